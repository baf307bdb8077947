#!/bin/sh
# nhir serve: the incident's record changed over HTTP, as the token's
# user, with entity tags guarding against lost updates; every answer
# checked against the API description (doc/openapi.json).
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

mkdir -p "$T/ans"

"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add olga --role observer >/dev/null
LENA=$("$NHIR" token create --user lena 2>/dev/null)
RORY=$("$NHIR" token create --user rory 2>/dev/null)
OLGA=$("$NHIR" token create --user olga --scope read 2>/dev/null)
"$NHIR" serve --routes >"$T/routes"

# api NAME TOKEN METHOD PATH [JSON [CURL-ARGS...]]: one request, its
# answer kept in $T/ans for the description check at the end.
api() {
	name=$1 tok=$2 method=$3 path=$4
	shift 4
	if [ $# -gt 0 ]; then
		data=$1
		shift
		req "$name" -X "$method" -H "Authorization: Bearer $tok" \
			-H 'Content-Type: application/json' --data-binary "$data" \
			"$@" "$URL$path"
	else
		req "$name" -X "$method" -H "Authorization: Bearer $tok" \
			"$URL$path"
	fi
	cp "$T/$name.meta" "$T/$name.body" "$T/ans/" 2>/dev/null
}
I=/api/v1/incidents

check "the server starts" start_server
check "the routes are listed" has "$T/routes" "POST /api/v1/incidents/{id}/notes write"
check "healthz is public" has "$T/routes" "GET /healthz public"

# the API description: served without a token, the file as built in
req openapi "$URL/api/v1/openapi.json"
cp "$T/openapi.meta" "$T/openapi.body" "$T/ans/"
check "the description needs no token" code openapi 200
check "it is doc/openapi.json" cmp "$T/openapi.body" doc/openapi.json

# declare: the token's user declares, whatever the body claims
api declare "$RORY" POST $I '{"title":"leaked deploy key","severity":"high","lead":"lena","seeds":["AKIAEXAMPLEDEPLOY01"]}'
check "declare: 201" code declare 201
check "where it is" sh -c 'grep -qi "^location: /api/v1/incidents/INC-1" "$0/declare.head"' "$T"
check "with its tag" sh -c 'grep -qi "^etag: \"[0-9a-f]\{32\}\"" "$0/declare.head"' "$T"
check "the seed confirmed, the radius proposed" sh -c \
	'grep -q "\"node\":\"AKIAEXAMPLEDEPLOY01\"[^}]*\"status\":\"confirmed\"" "$0/declare.body" &&
	 grep -q "\"status\":\"proposed\"" "$0/declare.body"' "$T"
check "declared by the token's user" has "$T/declare.body" '"declared_by":"rory"'
api declare_ro "$OLGA" POST $I '{"title":"x","severity":"high","lead":"lena"}'
check "a read token may not declare" code declare_ro 403
api declare_sev "$RORY" POST $I '{"title":"x","severity":"dire","lead":"lena"}'
check "a bad severity is 400" code declare_sev 400
api declare_time "$RORY" POST $I '{"title":"x","severity":"high","lead":"lena","exposed_at":"yesterday"}'
check "a bad time is 400" code declare_time 400
check "naming the field" has "$T/declare_time.body" "field 'exposed_at'"

# tags: a read gets the tag, an unchanged tag gets 304
api show "$OLGA" GET $I/INC-1
check "show: 200" code show 200
E1=$(header show etag)
check "with the tag declare gave" test "$E1" = "$(header declare etag)"
req same -H "Authorization: Bearer $OLGA" -H "If-None-Match: $E1" "$URL$I/INC-1"
check "unchanged since the tag: 304" code same 304
check "with no body" test ! -s "$T/same.body"

# a change made with the tag it read
api note "$RORY" POST $I/INC-1/notes '{"text":"key found in a public gist"}' -H "If-Match: $E1"
check "a note with the current tag: 201" code note 201
E2=$(header note etag)
check "the tag changed" test -n "$E2" -a "$E2" != "$E1"
check "the note is there" has "$T/note.body" '"text":"key found in a public gist"'

# a change made with a stale tag is refused, inside the transaction
api stale "$LENA" POST $I/INC-1/decisions '{"what":"rotate","why":"exposed"}' -H "If-Match: $E1"
check "a stale tag: 412" code stale 412
check "as problem+json" problem stale 412 NHIR_ESTALE
check "saying it changed" has "$T/stale.body" "changed since it was read"
check "and nothing was decided" sh -c '! "$0" audit log | grep -q decision' "$NHIR"
api badtag "$LENA" POST $I/INC-1/decisions '{"what":"rotate","why":"exposed"}' -H 'If-Match: W/"x"'
check "a tag the server never gave: 412" code badtag 412
api decide "$LENA" POST $I/INC-1/decisions '{"what":"rotate the key","why":"exposed in a gist"}' -H "If-Match: $E2"
check "with the new tag: 200" code decide 200
check "the decision is on the record" has "$T/decide.body" '"what":"rotate the key"'
api anytag "$LENA" POST $I/INC-1/notes '{"text":"any"}' -H 'If-Match: *'
check "If-Match: * takes any state" code anytag 201

# scope, state, assignment, tasks: the library's rules, as the token's user
api scope "$LENA" POST $I/INC-1/scope '{"op":"confirm","ref":"arn:aws:iam::111122223333:user/ci-deployer","why":"owns the key"}'
check "the lead confirms scope" code scope 200
check "confirmed" sh -c 'grep -q "user/ci-deployer\",\"name\":\"ci-deployer\",\"kind\":\"identity\",\"status\":\"confirmed\"" "$0/scope.body"' "$T"
api scope_ro "$OLGA" POST $I/INC-1/scope '{"op":"confirm","ref":"arn:aws:s3:::build-artifacts"}'
check "a read token may not" code scope_ro 403
api scope_op "$LENA" POST $I/INC-1/scope '{"op":"grow","ref":"x"}'
check "an unknown op is 400" code scope_op 400
api state_rory "$RORY" POST $I/INC-1/state '{"to":"investigating"}'
check "a responder may not move the state" code state_rory 403
check "as problem+json" problem state_rory 403 NHIR_EDENIED
check "the refusal is on the audit log" sh -c '"$0" audit log | grep -q "denied.*rory"' "$NHIR"
api state "$LENA" POST $I/INC-1/state '{"to":"investigating","why":"triage done"}'
check "the lead moves it" code state 200
check "investigating" has "$T/state.body" '"state":"investigating"'
api state_bad "$LENA" POST $I/INC-1/state '{"to":"solved"}'
check "an unknown state is 400" code state_bad 400
api state_skip "$LENA" POST $I/INC-1/state '{"to":"closed"}'
check "skipping states is a conflict" code state_skip 409
api assign "$LENA" POST $I/INC-1/assign '{"responders":["rory"]}'
check "assign" code assign 200
api assign_none "$LENA" POST $I/INC-1/assign '{}'
check "assign with nothing is 400" code assign_none 400
api task "$LENA" POST $I/INC-1/tasks '{"title":"rotate the deploy key","owner":"rory"}'
check "a task: 201" code task 201
check "open" sh -c 'grep -q "\"title\":\"rotate the deploy key\",\"owner\":\"rory\",\"status\":\"open\"" "$0/task.body"' "$T"
api done "$RORY" POST $I/INC-1/tasks/1/done
check "its owner marks it done" code done 200
check "done" sh -c 'grep -q "\"title\":\"rotate the deploy key\",\"owner\":\"rory\",\"status\":\"done\"" "$0/done.body"' "$T"
api done_none "$RORY" POST $I/INC-1/tasks/9/done
check "no such task: 404" code done_none 404
api done_zero "$RORY" POST $I/INC-1/tasks/01/done
check "a task number is a plain number" code done_zero 404

# bad bodies name what is wrong
api unknown "$LENA" POST $I/INC-1/notes '{"text":"x","by":"lena"}'
check "an unknown field is 400" code unknown 400
check "naming it" has "$T/unknown.body" "unknown field 'by'"
api type "$LENA" POST $I/INC-1/tasks '{"title":7}'
check "a field of the wrong type is 400" code type 400
check "naming it" has "$T/type.body" "field 'title' is not a string"
api missing "$LENA" POST $I/INC-1/decisions '{"what":"x"}'
check "a missing field is 400" code missing 400
check "naming it" has "$T/missing.body" "field 'why' is missing"
api notjson "$LENA" POST $I/INC-1/decisions '{"what":'
check "not JSON is 400" code notjson 400
check "at a byte" has "$T/notjson.body" "at byte"
api twice "$LENA" POST $I/INC-1/decisions '{"what":"a","what":"b","why":"c"}'
check "a field twice is 400" code twice 400
api list "$LENA" POST $I/INC-1/assign '{"responders":"rory"}'
check "a list that is not is 400" code list 400
req plain -X POST -H "Authorization: Bearer $LENA" -H 'Content-Type: text/plain' \
	--data-binary '{"what":"a","why":"b"}' "$URL$I/INC-1/decisions"
cp "$T/plain.meta" "$T/plain.body" "$T/ans/"
check "a body that is not JSON by its type: 415" code plain 415

# methods and routes
api delete "$LENA" DELETE $I
check "a method a route lacks: 405" code delete 405
check "saying which it takes" test "$(header delete allow)" = "GET, HEAD, POST"
api nosuch "$LENA" GET $I/INC-1/nothing
check "an unknown route: 404" code nosuch 404
api noinc "$LENA" GET $I/INC-99
check "an unknown incident: 404" code noinc 404

# the rest of the reads
api tokens "$OLGA" GET /api/v1/tokens
check "tokens: 200" code tokens 200
check "a user sees their own" sh -c 'grep -q "\"user\":\"olga\"" "$0/tokens.body" && ! grep -q "\"user\":\"lena\"" "$0/tokens.body"' "$T"
api audit "$OLGA" GET "/api/v1/audit?incident=INC-1"
check "the incident's audit log" code audit 200
api metrics "$OLGA" GET /metrics
check "metrics by route template" has "$T/metrics.body" 'route="/api/v1/incidents/{id}/tasks/{n}/done",status="200"} 1'
check "a 412 counted" has "$T/metrics.body" 'route="/api/v1/incidents/{id}/decisions",status="412"} 2'
check "latency as a histogram by route" has "$T/metrics.body" '# TYPE nhir_http_request_duration_seconds histogram'
check "every answer in the +Inf bucket" has "$T/metrics.body" 'nhir_http_request_duration_seconds_bucket{route="/api/v1/incidents/{id}/decisions",le="+Inf"} 7'
check "counted" has "$T/metrics.body" 'nhir_http_request_duration_seconds_count{route="/api/v1/incidents/{id}/decisions"} 7'
check "buckets grow with their bound" sh -c 'grep "duration_seconds_bucket{route=\"/api/v1/incidents/{id}/decisions\"" "$0/metrics.body" | sed "s/.* //" | sort -n -c' "$T"
# the space the database takes: the file's size, or on PostgreSQL the
# database's as the server counts it (within 10%: autovacuum may add
# a table's free space map between the two readings)
if on_pg; then
	want=$(db_sql "SELECT pg_database_size(current_database())")
else
	want=$(stat -c %s "$NHIR_DB")
fi
check "the database's size" python3 -c '
import re, sys
m = re.search(r"^nhir_store_bytes (\d+)$", open(sys.argv[1]).read(), re.M)
got, want = int(m.group(1)), int(sys.argv[2])
assert got > 0 and abs(got - want) <= want // 10, (got, want)
' "$T/metrics.body" "$want"

# the record: every change by the token's user, the chain intact
check "changes are the tokens' users'" sh -c '"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
by = {(e[\"action\"], e[\"actor\"]) for e in d[\"entries\"]}
for want in [(\"incident.declare\", \"rory\"), (\"note\", \"rory\"), (\"decide\", \"lena\"),
             (\"scope.confirm\", \"lena\"), (\"incident.state\", \"lena\"), (\"task.done\", \"rory\")]:
    assert want in by, (want, sorted(by))
"' "$NHIR"
check "the audit chain is intact" "$NHIR" audit verify
check "no token in the server's log" sh -c '! grep -qF -e "$1" -e "$2" -e "$3" "$0/srv.err"' "$T" "$LENA" "$RORY" "$OLGA"

# every answer above is one the description allows
check_answers "$T/ans"

done_testing
