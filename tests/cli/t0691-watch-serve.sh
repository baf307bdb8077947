#!/bin/sh
# Watching after containment, in the server: while a watch of INC-1 is
# open, a CloudTrail file uploaded to POST /api/v1/ingest is checked as
# the watch checks its own files.  A use of the revoked key after its
# cut raises the alert on the incident's live feed (SSE) and to a
# webhook subscribed to watch.alert, the upload's answer counts it, and
# the watch's verdict counts it too.  Once the verdict is in, uploads
# are no longer checked.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}
WATCH_REAL_CLOCK=1
. tests/cli/lib-watch.sh
. tests/cli/lib-serve.sh
# the cut was made now: a use is after it when it is later than now
after_cut=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)

RORY=$("$NHIR" token create --user rory 2>/dev/null)
OTTO=$("$NHIR" token create --user otto 2>/dev/null)
python3 -c 'import secrets; print("whsec-" + secrets.token_hex(20))' >"$T/hook.key"
chmod 600 "$T/hook.key"
python3 tests/cli/webhook_receiver.py --port-file "$T/rport" --log "$T/recv.log" \
	--secret /team="$T/hook.key" 2>"$T/recv.err" &
RECV_PID=$!
WATCH_PID=
trap 'kill $RECV_PID 2>/dev/null; [ -n "$WATCH_PID" ] && kill $WATCH_PID 2>/dev/null; stop_server' EXIT
i=0
while [ ! -s "$T/rport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat >"$T/hooks.yaml" <<YAML
webhooks:
  - name: team
    url: http://127.0.0.1:$(cat "$T/rport")/team
    events: [watch.alert, watch.verdict]
    secret_file: $T/hook.key
YAML

# upload NAME FILE: FILE sent to POST /api/v1/ingest as rory, the
# answer kept for the description check
mkdir -p "$T/ans"
upload() {
	req "$1" -X POST -H "Authorization: Bearer $RORY" \
		-H 'Content-Type: application/octet-stream' \
		--data-binary "@$2" "$URL/api/v1/ingest?format=cloudtrail&name=$1.jsonl"
	cp "$T/$1.meta" "$T/$1.body" "$T/ans/" 2>/dev/null
}
field() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/$1.body" "$2"
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

check "the server starts" start_server --config "$T/hooks.yaml"
rec "$after_cut" AKIAEXAMPLEDEPLOY01 ListBuckets 203.0.113.77 >"$T/early.jsonl"
upload early "$T/early.jsonl"
check "before any watch, an upload is ingested" code early 200
check "its answer is the command line's: no watch member" test "$(field early 'd.get("watch_alerts")')" = None

# a watch of the incident, on the same database, with an empty folder
mkdir -p "$T/empty"
"$NHIR" --as rory watch INC-1 --for 60s --dir "$T/empty" >"$T/watch.out" 2>"$T/watch.err" &
WATCH_PID=$!
check "the watch starts" wait_for "$T/watch.err" "watching INC-1"
curl -sN -m 20 -H "Authorization: Bearer $OTTO" \
	"$URL/api/v1/events?incident=INC-1" >"$T/inc.feed" 2>/dev/null &
check "the incident's feed is open" within 5 "$T/inc.feed" '"action":"watch.start"'

rec "$after_cut" AKIAEXAMPLEDEPLOY01 GetObject 203.0.113.78 >"$T/after.jsonl"
rec 2024-05-01T10:30:00Z AKIAEXAMPLEDEPLOY01 GetObject 198.51.100.7 >"$T/before.jsonl"
upload before "$T/before.jsonl"
check "a use from before the cut: ingested" code before 200
check "and no alert" test "$(field before 'd["watch_alerts"]')" = 0
upload after "$T/after.jsonl"
check "a use after the cut: ingested" code after 200
check "the answer counts the alert" test "$(field after 'd["watch_alerts"]')" = 1
check "the alert is on the incident's feed at once" within 5 "$T/inc.feed" '"action":"watch.alert"'
check "naming the key and the upload" within 3 "$T/inc.feed" '"uploaded_by":"rory"'
check "the webhook is told" wait_recv_event watch.alert
check "its body names the key and the cut" sh -c \
	'grep "watch.alert" "$0/recv.log" | grep -q "AKIAEXAMPLEDEPLOY01"' "$T"
check "the server logged it" has "$T/srv.err" "alert: AKIAEXAMPLEDEPLOY01 used after its cut"

kill -TERM $WATCH_PID
wait $WATCH_PID
rc=$?
WATCH_PID=
check "the watch's verdict counts the upload's alert (exit 3)" test "$rc" = 3
check "saying so" has "$T/watch.out" "verdict INC-1: uses after cut (2 stored, 1 new alert)"
check "the verdict reaches the webhook" wait_recv_event watch.verdict
check "as its own event" sh -c \
	'grep "watch.verdict" "$0/recv.log" | grep -q "uses_after_cut"' "$T"

rec "$later" AKIAEXAMPLEDEPLOY01 GetObject 203.0.113.79 >"$T/late.jsonl"
upload late "$T/late.jsonl"
check "after the verdict, an upload is not checked" test "$(field late 'd.get("watch_alerts")')" = None
check "the audit chain is intact" sh -c '"$NHIR" audit verify | grep -q intact'
check_answers "$T/ans"
done_testing
