#!/bin/sh
# nhir serve: a server on a free loopback port, asked with curl.  Every
# request has a time limit and the server is killed whatever happens.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1

. tests/cli/lib-serve.sh

"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add olga --role observer >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null

# tokens: shown once, kept as a keyed hash
check "an admin makes a write token" sh -c '"$0" token create --user rory >"$1/rory.tok"' "$NHIR" "$T"
RORY=$(cat "$T/rory.tok")
check "it is shown once, recognizably" sh -c 'grep -qx "nhir_[A-Za-z0-9_-]\{43\}" "$0/rory.tok"' "$T"
check "and a read token" sh -c '"$0" token create --user olga --scope read --expires 1h >"$1/olga.tok"' "$NHIR" "$T"
OLGA=$(cat "$T/olga.tok")
check "a token that lives a second" sh -c '"$0" token create --user rory --expires 1s >"$1/old.tok"' "$NHIR" "$T"
OLD=$(cat "$T/old.tok")
check "a token soon revoked" sh -c '"$0" token create --user rory >"$1/gone.tok"' "$NHIR" "$T"
GONE=$(cat "$T/gone.tok")
check "revoking it" "$NHIR" token revoke 4
check "twice is an error" exits 1 "$NHIR" token revoke 4
check "a responder may not make tokens" exits 5 "$NHIR" --as rory token create --user rory
check "nor revoke another's" exits 5 "$NHIR" --as olga token revoke 1
check "a token for no user" exits 1 "$NHIR" token create --user nobody
check "a bad duration" exits 2 "$NHIR" token create --user rory --expires 10x
check "no value in the database" sh -c '! grep -aqF -e "$1" -e "$2" "$0"' "$NHIR_DB" "$RORY" "$OLGA"
check "the audit log names tokens by id" sh -c \
	'"$0" audit log --format json | python3 -c "
import json, sys
e = [x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"].startswith(\"token.\")]
assert [x[\"action\"] for x in e] == [\"token.create\"] * 4 + [\"token.revoke\"], e
assert e[0][\"detail\"] == {\"expires\": e[0][\"detail\"][\"expires\"], \"scope\": \"write\", \"token\": 1, \"user\": \"rory\"}, e[0]
assert e[4][\"detail\"][\"token\"] == 4
"' "$NHIR"
check "and never by value" sh -c '! "$0" audit log | grep -qF -e "$1" -e "$2"' "$NHIR" "$RORY" "$OLGA"
check "token list" sh -c '"$0" token list >"$1/list" && grep -q "^   1  rory  *write" "$1/list" && grep -q "revoked" "$1/list"' "$NHIR" "$T"
check "a user sees only their own" sh -c '"$0" --as olga token list --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"version\"] == 1 and [t[\"user\"] for t in d[\"tokens\"]] == [\"olga\"], d
"' "$NHIR"

check "a --listen that is no address fails" exits 1 "$NHIR" serve --listen nowhere
check "a bad --threads is a usage error" exits 2 "$NHIR" serve --threads 0
check "the server never takes its time from NHIR_NOW" exits 2 \
	env NHIR_NOW=2020-01-01T00:00:00Z "$NHIR" serve --listen 127.0.0.1:0
check "the server starts on a free port" start_server --max-body 1024
check "it says where" has "$T/srv.out" "listening on http://127.0.0.1:"

req health "$URL/healthz"
check "healthz answers without a token" code health 200
check "ok" has "$T/health.body" '"status":"ok"'
check "with a CSP that allows nothing" grep -qi "^content-security-policy: default-src 'none'; frame-ancestors 'none'" "$T/health.head"
check "nosniff" grep -qi '^x-content-type-options: nosniff' "$T/health.head"

req none "$URL/no/such/thing"
check "an unknown route is 404" code none 404
check "as problem+json" problem none 404 NHIR_ENOTFOUND
req method -X DELETE "$URL/api/v1/incidents"
check "a method a route does not take is 405" code method 405

# authentication
req anon "$URL/api/v1/incidents"
check "no token: 401" code anon 401
check "as problem+json" problem anon 401 NHIR_EDENIED
check "asking for a bearer token" grep -qi '^www-authenticate: Bearer' "$T/anon.head"
req bad -H "Authorization: Bearer nhir_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$URL/api/v1/incidents"
check "an unknown token: 401" code bad 401
check "as problem+json" problem bad 401 NHIR_EDENIED
req basic -u rory:x "$URL/api/v1/incidents"
check "a password: 401" code basic 401
sleep 1
req old -H "Authorization: Bearer $OLD" "$URL/api/v1/incidents"
check "an expired token: 401" code old 401
check "saying it expired" has "$T/old.body" "token 3 expired at 20"
req gone -H "Authorization: Bearer $GONE" "$URL/api/v1/incidents"
check "a revoked token: 401" code gone 401
check "saying so" has "$T/gone.body" "token 4 was revoked"
check "each refusal is logged" sh -c 'test "$(grep -c " 401 " "$0/srv.err")" -ge 5' "$T"
check "without the token" sh -c '! grep -qF -e "$1" -e "$2" -e nhir_AAAA "$0/srv.err"' "$T" "$OLD" "$GONE"
check "a refused known token is on the audit log" sh -c \
	'"$0" audit log | grep "denied" | grep -q "token 4 was revoked"' "$NHIR"

# reads
req list -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents"
check "a read token lists incidents" code list 200
# the same bytes as --format json (less the final newline)
check "the library's document" sh -c 'test "$("$0" incident list --format json)" = "$(cat "$1/list.body")"' "$NHIR" "$T"
check "versioned" has "$T/list.body" '{"version":1,"incidents":[{"id":"INC-1"'
req bystate -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents?state=closed"
check "filtered by state" has "$T/bystate.body" '"incidents":[]'
req badstate -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents?state=melted"
check "a bad state is 400" code badstate 400
check "naming the parameter" has "$T/badstate.body" "parameter 'state'"
req one -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents/INC-1"
check "one incident" code one 200
check "as incident show prints it" sh -c 'test "$("$0" incident show INC-1 --format json)" = "$(cat "$1/one.body")"' "$NHIR" "$T"
req missing -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents/INC-99"
check "no such incident: 404" code missing 404
check "as problem+json" problem missing 404 NHIR_ENOTFOUND

# writes
post() {
	name=$1 tok=$2 body=$3
	shift 3
	req "$name" -X POST -H "Authorization: Bearer $tok" \
		-H 'Content-Type: application/json' --data-binary "$body" \
		"$@" "$URL/api/v1/incidents/INC-1/notes"
}
post ro "$OLGA" '{"text":"olga was here"}'
check "a read token cannot write: 403" code ro 403
check "as problem+json" problem ro 403 NHIR_EDENIED
post claim "$OLGA" '{"text":"olga as admin"}' -H "X-Nhir-User: tester" \
	-H "X-Remote-User: tester" -H "X-Forwarded-User: tester"
check "claiming another identity changes nothing" code claim 403
post note "$RORY" '{"text":"rotated the deploy key"}' -H "X-Nhir-User: lena" -H "X-Remote-User: lena"
check "a write token adds a note: 201" code note 201
check "the incident comes back with it" has "$T/note.body" '"text":"rotated the deploy key"'
check "attributed to the token's user in the audit log" sh -c \
	'"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
e = [x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"note\"]
assert len(e) == 1 and e[0][\"actor\"] == \"rory\", e
assert e[0][\"detail\"][\"body\"] == \"rotated the deploy key\", e
"' "$NHIR"
check "the read-only refusals are audited" sh -c \
	'test "$("$0" audit log | grep -c "olga .*denied.*may only read")" = 2' "$NHIR"
post bad1 "$RORY" '{"text":"x","by":"lena"}'
check "an unknown field is 400" code bad1 400
check "naming it" has "$T/bad1.body" "unknown field 'by'"
post bad2 "$RORY" '{"text":'
check "malformed JSON is 400" code bad2 400
check "as problem+json, with the library's code" problem bad2 400 NHIR_EPARSE
req plain -X POST -H "Authorization: Bearer $RORY" --data-binary 'hi' "$URL/api/v1/incidents/INC-1/notes"
check "a body that is not JSON is 415" code plain 415
head -c 5000 /dev/zero | tr '\0' x >"$T/big"
post big "$RORY" "@$T/big"
check "a body over --max-body is 413" code big 413
check "as problem+json" problem big 413 NHIR_ETOOBIG
req bigchunk -X POST -H "Authorization: Bearer $RORY" -H 'Content-Type: application/json' \
	-H 'Transfer-Encoding: chunked' --data-binary "@$T/big" "$URL/api/v1/incidents/INC-1/notes"
check "so is a chunked one" code bigchunk 413
req huge -X POST -H "Authorization: Bearer $RORY" -H 'Content-Type: application/json' \
	-H 'Content-Length: 99999999999' --data-binary x "$URL/api/v1/incidents/INC-1/notes"
check "one declared far too large is refused unread" code huge 413
check "the role still rules: an observer's write token" sh -c \
	'"$0" token create --user olga --scope write >"$1/olgaw.tok"' "$NHIR" "$T"
post obs "$(cat "$T/olgaw.tok")" '{"text":"observer note"}'
check "is refused by the library: 403" code obs 403

req audit -H "Authorization: Bearer $OLGA" "$URL/api/v1/audit?incident=INC-1"
check "the audit log" code audit 200
check "as audit log prints it" sh -c 'test "$("$0" audit log --incident INC-1 --format json)" = "$(cat "$1/audit.body")"' "$NHIR" "$T"
check "last use is kept" sh -c '"$0" token list --format json | python3 -c "
import json, sys
t = {x[\"id\"]: x for x in json.load(sys.stdin)[\"tokens\"]}
assert t[1][\"last_used\"] and t[2][\"last_used\"], t
assert t[3][\"last_used\"] is None and t[4][\"last_used\"] is None, t
"' "$NHIR"

req metrics "$URL/metrics"
check "metrics need a token" code metrics 401
req metrics -H "Authorization: Bearer $OLGA" "$URL/metrics"
check "metrics" code metrics 200
check "requests by route and status" has "$T/metrics.body" 'nhir_http_requests_total{route="/api/v1/incidents/{id}/notes",status="201"} 1'
check "refusals too" has "$T/metrics.body" 'nhir_http_requests_total{route="/api/v1/incidents",status="401"} 5'

# a note uploaded slowly is in flight when SIGTERM comes: it is answered
python3 -c 'print("{\"text\":\"" + "s" * 900 + "\"}", end="")' >"$T/slow.json"
curl -s -m 20 -o "$T/slow.body" -w '%{http_code}' --limit-rate 300 -X POST \
	-H "Authorization: Bearer $RORY" -H 'Content-Type: application/json' \
	--data-binary "@$T/slow.json" "$URL/api/v1/incidents/INC-1/notes" \
	>"$T/slow.code" 2>/dev/null &
SLOW=$!
sleep 1
# a server that does not stop is killed after 20 s, and the check fails
(
	sleep 20 &
	s=$!
	trap 'kill $s; exit 0' TERM
	wait $s
	kill -KILL "$SRV_PID"
) >/dev/null 2>&1 &
WATCH=$!
check "SIGTERM stops it" kill -TERM "$SRV_PID"
check "with exit status 0" wait "$SRV_PID"
kill "$WATCH" 2>/dev/null
SRV_PID=
wait "$SLOW"
check "the request in flight was answered" code slow 201
check "and it said so" has "$T/srv.err" "stopped"

done_testing
