#!/bin/sh
# nhir serve: live feeds (Server-Sent Events) of the audit log.  Every
# feed is read by curl with a time limit; the server is killed whatever
# happens.
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
"$NHIR" user add olga --role observer >/dev/null
"$NHIR" --as lena incident declare --title leak --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
LENA=$("$NHIR" token create --user lena 2>/dev/null)
OLGA=$("$NHIR" token create --user olga --scope read 2>/dev/null)
DECLARED=$("$NHIR" audit log --format json | python3 -c '
import json, sys
print([e["seq"] for e in json.load(sys.stdin)["entries"] if e["action"] == "incident.declare"][0])')

# feed NAME SECONDS [CURL-ARGS...] PATH: reads a feed in the background
feed() {
	name=$1 secs=$2
	shift 2
	curl -sN -m "$secs" -D "$T/$name.head" -H "Authorization: Bearer $OLGA" \
		"$@" >"$T/$name.feed" 2>/dev/null &
}

# within SECONDS FILE TEXT: TEXT turns up in FILE in time
within() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		grep -qF -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "'$3' not in $2 after $1 s:" >&2
	head -c 2000 "$2" >&2
	return 1
}

check "the server starts" start_server
feed inc 10 "$URL/api/v1/events?incident=INC-1"
feed all 10 "$URL/api/v1/events"
check "a feed answers at once" within 3 "$T/inc.feed" "retry: 3000"
check "as an event stream" within 3 "$T/inc.head" "text/event-stream"
check "an incident's feed starts with its record" within 3 "$T/inc.feed" '"action":"incident.declare"'
check "each entry an event, its seq the id" within 3 "$T/inc.feed" "id: $DECLARED"
within 3 "$T/all.feed" "retry: 3000" 2>/dev/null
req note -H "Authorization: Bearer $LENA" -H 'Content-Type: application/json' \
	--data-binary '{"text":"seen live"}' "$URL/api/v1/incidents/INC-1/notes"
check "a change" code note 201
check "reaches the incident's feed at once" within 3 "$T/inc.feed" '"detail":{"body":"seen live"}'
check "and the whole log's" within 3 "$T/all.feed" '"detail":{"body":"seen live"}'
check "which started with now, not the past" hasnt "$T/all.feed" '"action":"incident.declare"'
check "events are whole: id, event, data, blank line" sh -c '
awk "/^id: /{i=1;next} i==1&&/^event: audit$/{i=2;next} i==2&&/^data: \\{/{i=3;next} i==3&&/^\$/{n++;i=0;next} {i=0} END{exit n<2}" "$0/inc.feed"' "$T"

# reconnecting where it left off
req resume -m 2 -H "Authorization: Bearer $OLGA" -H "Last-Event-ID: $DECLARED" \
	"$URL/api/v1/events?incident=INC-1"
check "Last-Event-ID: only what came after" sh -c '! grep -q "^id: $1\$" "$0/resume.body" && grep -q "seen live" "$0/resume.body"' "$T" "$DECLARED"
req after -m 2 -H "Authorization: Bearer $OLGA" "$URL/api/v1/events?after=0&incident=INC-1"
check "after=0 replays the incident's record" has "$T/after.body" '"action":"incident.declare"'
req badafter -H "Authorization: Bearer $OLGA" "$URL/api/v1/events?after=x"
check "a bad 'after' is 400" code badafter 400
check "as problem+json" problem badafter 400 NHIR_EINVAL
req badinc -H "Authorization: Bearer $OLGA" "$URL/api/v1/events?incident=nope"
check "a bad incident is 400" code badinc 400
# the same feed under the name /api/v1/stream
req stream -m 2 -H "Authorization: Bearer $OLGA" -H "Last-Event-ID: $DECLARED" \
	"$URL/api/v1/stream?incident=INC-1"
check "/api/v1/stream is the feed too" has "$T/stream.body" "seen live"
check "resumed after Last-Event-ID" sh -c '! grep -q "^id: $1\$" "$0/stream.body"' "$T" "$DECLARED"
check "as an event stream" has "$T/stream.head" "text/event-stream"
"$NHIR" --as lena incident declare --title other --severity low --lead lena >/dev/null
req stream2 -m 2 -H "Authorization: Bearer $OLGA" "$URL/api/v1/stream?after=0&incident=INC-2"
check "another incident's feed: its own record" has "$T/stream2.body" '"title":"other"'
check "filtered by incident: none of another's" hasnt "$T/stream2.body" "seen live"
req badstream -H "Authorization: Bearer $OLGA" "$URL/api/v1/stream?after=x"
check "a bad 'after' on /api/v1/stream is 400" code badstream 400
req anon "$URL/api/v1/events"
check "no token: 401" code anon 401

# the server stops with feeds open: they end, it exits 0 at once
feed open1 20 "$URL/api/v1/events"
feed open2 20 "$URL/api/v1/events?incident=INC-1"
within 3 "$T/open1.feed" "retry: 3000" 2>/dev/null
within 3 "$T/open2.feed" "retry: 3000" 2>/dev/null
t0=$(date +%s)
kill -TERM "$SRV_PID"
check "SIGTERM with feeds open: the server exits 0" wait "$SRV_PID"
SRV_PID=
check "without waiting for the feeds" test $(($(date +%s) - t0)) -le 5
check "it logged them" sh -c 'test "$(grep -c "live feed" "$0/srv.err")" -ge 4' "$T"

done_testing
