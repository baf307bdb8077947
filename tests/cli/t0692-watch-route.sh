#!/bin/sh
# Watching after containment, started, read and ended through the
# server: POST /api/v1/incidents/{id}/watch starts a watch the server
# runs (a folder under --watch-root, and uploads to /api/v1/ingest), GET
# reads its state, DELETE ends it with its verdict, signed with the
# server's report key and checked by 'nhir watch verify'.  An observer
# is refused, the refusal audited; bad requests name their field; the
# period ends a watch nobody ends.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}
WATCH_REAL_CLOCK=1
. tests/cli/lib-watch.sh
. tests/cli/lib-serve.sh
after_cut=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d '+2 minutes' +%Y-%m-%dT%H:%M:%SZ)

RORY=$("$NHIR" token create --user rory 2>/dev/null)
LENA=$("$NHIR" token create --user lena 2>/dev/null)
OTTO=$("$NHIR" token create --user otto 2>/dev/null)
python3 -c 'import secrets; print("whsec-" + secrets.token_hex(20))' >"$T/hook.key"
chmod 600 "$T/hook.key" "$T/key"
python3 tests/cli/webhook_receiver.py --port-file "$T/rport" --log "$T/recv.log" \
	--secret /team="$T/hook.key" 2>"$T/recv.err" &
RECV_PID=$!
trap 'kill $RECV_PID 2>/dev/null; stop_server' EXIT
i=0
while [ ! -s "$T/rport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cat >"$T/hooks.yaml" <<YAML
webhooks:
  - name: team
    url: http://127.0.0.1:$(cat "$T/rport")/team
    events: [watch.alert, watch.verdict]
    secret_file: $T/hook.key
YAML
mkdir -p "$T/root/in" "$T/elsewhere" "$T/ans"
ln -s "$T/elsewhere" "$T/root/out"

W=/api/v1/incidents/INC-1/watch
# call NAME TOKEN METHOD [BODY]: the answer kept for the description check
call() {
	if [ $# -gt 3 ]; then
		req "$1" -X "$3" -H "Authorization: Bearer $2" \
			-H 'Content-Type: application/json' --data-binary "$4" "$URL$W"
	else
		req "$1" -X "$3" -H "Authorization: Bearer $2" "$URL$W"
	fi
	cp "$T/$1.meta" "$T/$1.body" "$T/ans/" 2>/dev/null
}
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
denied() {
	"$NHIR" audit log --format json | python3 -c '
import json, sys
e = [(x["actor"], x["detail"].get("operation")) for x in json.load(sys.stdin)["entries"] if x["action"] == "denied"]
assert (sys.argv[1], sys.argv[2]) in e, e
' "$1" "$2"
}

check "the server starts" start_server --config "$T/hooks.yaml" \
	--report-key "$T/key" --watch-root "$T/root"
call none "$OTTO" GET
check "before any watch, GET answers" code none 200
check "that there is none" test "$(field none 'd["watch"]')" = None

# ---- refusals and bad requests ----
call obs "$OTTO" POST '{"for": "60s"}'
check "an observer may not start a watch: 403" code obs 403
check "as problem+json" problem obs 403 NHIR_EDENIED
check "the refusal is on the audit log" denied otto api.watch.start
call badfor "$RORY" POST '{"for": "soon"}'
check "a period that is no duration: 400" code badfor 400
check "naming the field" has "$T/badfor.body" "field 'for'"
call longfor "$RORY" POST '{"for": "8d"}'
check "nor one past 7 days" has "$T/longfor.body" "field 'for'"
call updir "$RORY" POST '{"for": "60s", "dir": "../elsewhere"}'
check "a folder above the root: 400" code updir 400
check "naming the field" has "$T/updir.body" "field 'dir'"
call outdir "$RORY" POST '{"for": "60s", "dir": "out"}'
check "a link out of the root: 400" code outdir 400
check "saying it leads out" has "$T/outdir.body" "leads out of the server's watch root"
call nodir "$RORY" POST '{"for": "60s", "dir": "missing"}'
check "a folder that is not there: 400" has "$T/nodir.body" "field 'dir': 'missing' is not a folder"
call badlog "$RORY" POST '{"for": "60s", "log": "syslog"}'
check "a log format nhir does not read: 400" has "$T/badlog.body" "field 'log'"
call extra "$RORY" POST '{"for": "60s", "folder": "in"}'
check "an unknown field: 400" code extra 400
check "naming it" has "$T/extra.body" "folder"
req plain -X POST -H "Authorization: Bearer $RORY" -H 'Content-Type: text/plain' \
	--data-binary '{"for": "60s"}' "$URL$W"
check "a body that is not JSON: 415" code plain 415
check "no watch was started by any of them" sh -c \
	'! "$0" audit log --incident INC-1 | grep -q " watch.start "' "$NHIR"
call noend "$LENA" DELETE
check "ending a watch when none is open: 404" code noend 404

# ---- a watch the server runs ----
call start "$RORY" POST '{"for": "60s", "dir": "in"}'
check "a responder starts a watch: 201" code start 201
check "Location names the watch" test "$(header start Location)" = "$W"
check "its state says it is open" test "$(field start 'd["watch"]["open"]')" = True
check "for its period" test "$(field start 'd["watch"]["for_seconds"]')" = 60
check "started by rory" test "$(field start 'd["watch"]["by"]')" = rory
check "the start is on the audit log, as rory" sh -c \
	'"$0" audit log --incident INC-1 | grep " watch.start " | grep -q rory' "$NHIR"
call again "$LENA" POST '{"for": "60s"}'
check "a second watch of the incident: 409" code again 409
curl -sN -m 30 -H "Authorization: Bearer $OTTO" \
	"$URL/api/v1/events?incident=INC-1" >"$T/inc.feed" 2>/dev/null &
check "the incident's feed is open" within 5 "$T/inc.feed" '"action":"watch.start"'

rec 2024-05-01T10:30:00Z AKIAEXAMPLEDEPLOY01 GetObject 198.51.100.7 >"$T/before.jsonl"
upload before "$T/before.jsonl"
check "an upload from before the cut raises nothing" test "$(field before 'd["watch_alerts"]')" = 0
rec "$after_cut" AKIAEXAMPLEDEPLOY01 GetObject 203.0.113.78 >"$T/after.jsonl"
upload after "$T/after.jsonl"
check "an upload with a use after the cut: the answer counts the alert" \
	test "$(field after 'd["watch_alerts"]')" = 1
check "the alert is on the incident's feed" within 5 "$T/inc.feed" '"action":"watch.alert"'
check "the webhook is told" wait_recv_event watch.alert

# a file landing in the watched folder, written under a hidden name
rec "$later" AKIAEXAMPLEBACKDOOR ListBuckets 203.0.113.90 >"$T/root/in/.landing"
mv "$T/root/in/.landing" "$T/root/in/later.jsonl"
check "the server reads the folder's file and alerts" within 10 "$T/srv.err" \
	"watch of INC-1: alert: AKIAEXAMPLEBACKDOOR used after its cut"
call state "$OTTO" GET
check "an observer reads the state" code state 200
check "two alerts for this watch" test "$(field state 'd["watch"]["alerts"]')" = 2
check "no verdict yet" test "$(field state 'd["watch"]["verdict"]')" = None

call obsend "$OTTO" DELETE
check "an observer may not end it: 403" code obsend 403
check "that refusal is on the audit log too" denied otto api.watch.end
call end "$LENA" DELETE
check "the lead ends it: 200" code end 200
check "the verdict: uses after cut" test "$(field end 'd["verdict"]["result"]')" = uses-after-cut
check "stopped by request" test "$(field end 'd["verdict"]["stopped"]')" = request
check "ended by lena, started by rory" \
	test "$(field end 'd["verdict"]["ended_by"] + "/" + d["verdict"]["by"]')" = lena/rory
check "the folder's file counts" test "$(field end 'd["verdict"]["files_read"]')" = 1
cp "$T/end.body" "$T/verdict.json"
check "the verdict is signed with the server's key and holds" \
	exits 0 "$NHIR" watch verify "$T/verdict.json" --key "$T/key.pub"
check "not with another key" exits 1 "$NHIR" watch verify "$T/verdict.json" --key "$T/other.pub"
check "it is on the record, in lena's name" sh -c \
	'"$0" audit log --incident INC-1 | grep " watch.verdict " | grep -q lena' "$NHIR"
"$NHIR" watch verdicts INC-1 --key "$T/key.pub" >"$T/verdicts.out"
check "and checks there" has "$T/verdicts.out" "stopped: request (stopped before its period (request)), signature valid"
check "the verdict reaches the webhook" wait_recv_event watch.verdict
call ended "$OTTO" GET
check "the state is closed" test "$(field ended 'd["watch"]["open"]')" = False
check "with the verdict" test "$(field ended 'd["watch"]["verdict"]["verdict"]["result"]')" = uses-after-cut
call endagain "$LENA" DELETE
check "ending it again: 404" code endagain 404
upload late "$T/after.jsonl"
check "after the verdict, uploads are not checked" test "$(field late 'd.get("watch_alerts")')" = None

# ---- the period ends a watch nobody ends ----
call short "$RORY" POST '{"for": "2s"}'
check "a 2 s watch starts" code short 201
# closed_within SECONDS: the state has the watch's verdict
closed_within() {
	i=0
	while [ $i -lt $(($1 * 10)) ]; do
		call after2 "$OTTO" GET
		[ "$(field after2 'd["watch"]["verdict"] is not None')" = True ] && return 0
		sleep 0.2
		i=$((i + 2))
	done
	return 1
}
check "its verdict is recorded at its end" closed_within 10
check "stopped: elapsed" test "$(field after2 'd["watch"]["verdict"]["verdict"]["stopped"]')" = elapsed
check "in the name of who started it" test "$(field after2 'd["watch"]["verdict"]["verdict"]["by"]')" = rory
check "closed" test "$(field after2 'd["watch"]["open"]')" = False

# ---- a server that stops ends its watch, with a verdict ----
call last "$RORY" POST '{"for": "10m"}'
check "another watch starts" code last 201
kill -TERM "$SRV_PID"
wait "$SRV_PID"
SRV_PID=
check "the stopped server recorded its verdict" sh -c \
	'"$0" watch verdicts INC-1 | tail -1 | grep -q "stopped: signal"' "$NHIR"
check "the audit chain is intact" sh -c '"$NHIR" audit verify | grep -q intact'
check_answers "$T/ans"
done_testing
