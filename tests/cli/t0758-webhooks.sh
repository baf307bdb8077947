#!/bin/sh
# nhir serve tells people: webhooks from the server's configuration,
# received by a real HTTP receiver on loopback (tests/cli/
# webhook_receiver.py) that checks every signature.  A receiver that
# fails is tried again until it answers; one that is gone ends failed
# after its attempts; SIGHUP changes the hooks.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

RECV_PID=
stop_all() {
	[ -n "$RECV_PID" ] && kill -KILL "$RECV_PID" 2>/dev/null
	stop_server
}
trap stop_all EXIT

for u in "lena lead" "rory responder" "alex approver" "ada admin"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
	eval "$(echo "$1" | tr a-z A-Z)=\$(\"\$NHIR\" token create --user $1 2>/dev/null)"
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null

# the secrets: each hook its own, 0600
for k in team chat flaky gone late; do
	python3 -c 'import secrets; print("whsec-" + secrets.token_hex(20))' >"$T/$k.key"
	chmod 600 "$T/$k.key"
done

python3 tests/cli/webhook_receiver.py --port-file "$T/rport" --log "$T/recv.log" \
	--secret /team="$T/team.key" --secret /chat="$T/chat.key" \
	--secret /flaky="$T/flaky.key" --secret /late="$T/late.key" \
	--fail /flaky=2 2>"$T/recv.err" &
RECV_PID=$!
i=0
while [ ! -s "$T/rport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RPORT=$(cat "$T/rport")
# a port no one listens on: the receiver that is gone
GONE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# the chat hook's address is a secret too: from a file
echo "http://127.0.0.1:$RPORT/chat" >"$T/chat.url"
chmod 600 "$T/chat.url"
: >"$T/recv.log"

cat >"$T/hooks.yaml" <<YAML
webhooks:
  - name: team
    url: http://127.0.0.1:$RPORT/team
    events: [incident.declared, approval.requested, step.failed,
             incident.contained, incident.closed]
    secret_file: $T/team.key
  - name: chat
    url_file: $T/chat.url
    format: slack
    events: [incident.declared, incident.closed]
    secret_file: $T/chat.key
  - name: flaky
    url: http://127.0.0.1:$RPORT/flaky
    events: [incident.declared]
    secret_file: $T/flaky.key
  - name: gone
    url: http://127.0.0.1:$GONE/hook
    events: [incident.declared]
    secret_file: $T/gone.key
    attempts: 3
YAML

# recv PATH [EVENT]: how many requests the receiver had to PATH (of EVENT)
recv() {
	python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == sys.argv[2] and (not sys.argv[3] or r["event"] == sys.argv[3]):
        n += 1
print(n)' "$T/recv.log" "$1" "${2:-}"
}
# wait_recv N PATH [EVENT]: the receiver has had N such requests (15 s)
wait_recv() {
	i=0
	while [ $i -lt 150 ]; do
		[ "$(recv "$2" "${3:-}")" -ge "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$(recv "$2" "${3:-}") request(s) to $2 ${3:-}, want $1" >&2
	cat "$T/recv.log" >&2
	return 1
}
# body PATH EVENT: the last body received at PATH for EVENT
body() {
	python3 -c '
import json, sys
b = None
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] == sys.argv[2] and r["event"] == sys.argv[3]:
        b = r["body"]
print(b)' "$T/recv.log" "$1" "$2" >"$T/body.json"
}
# field EXPR: a value of the last body (b, parsed)
field() {
	python3 -c 'import json, sys; b = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$T/body.json" "$1"
}
# delivery HOOK FIELD: a field of the hook's newest delivery
delivery() {
	req deliv -H "Authorization: Bearer $ADA" "$URL/api/v1/webhooks/deliveries?hook=$1"
	python3 -c '
import json, sys
print(json.load(open(sys.argv[1]))["deliveries"][0][sys.argv[2]])' "$T/deliv.body" "$2"
}
# wait_state HOOK STATE: its newest delivery reaches STATE (15 s)
wait_state() {
	i=0
	while [ $i -lt 150 ]; do
		[ "$(delivery "$1" state 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	cat "$T/deliv.body" >&2
	return 1
}
post() {
	req "$1" -X POST -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}

# ---- the configuration, refused with file and line ----
bad() {
	printf '%s\n' "$@" >"$T/bad.yaml"
	timeout 20 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/bad.yaml" \
		>"$T/bad.out" 2>"$T/bad.err"
	test $? = 1 || { echo "serve did not fail" >&2; return 1; }
}
bad webhooks: "  - name: a" "    url: https://example.org/h" \
	"    events: [incident.declared, incident.reopened]" \
	"    secret_file: $T/team.key"
check "an unknown event: exit 1" test $? = 0
check "naming file and line" has "$T/bad.err" "$T/bad.yaml:4"
check "and the event" has "$T/bad.err" "incident.reopened"
bad webhooks: "  - name: a" "    url: http://hooks.example.org/h" \
	"    events: [incident.declared]" "    secret_file: $T/team.key"
check "plain http off loopback is refused" has "$T/bad.err" "$T/bad.yaml:3"
bad webhooks: "  - name: a" "    url: https://example.org/h" \
	"    url_file: $T/chat.url" "    events: [incident.declared]" \
	"    secret_file: $T/team.key"
check "url and url_file together are refused" has "$T/bad.err" "one of them"
bad webhooks: "  - name: a" "    url: https://example.org/h" \
	"    events: [incident.declared]"
check "a hook without a secret is refused" has "$T/bad.err" "'secret_file' is missing"
bad webhook: "  - name: a"
check "an unknown section is refused" has "$T/bad.err" "$T/bad.yaml:1"
cp "$T/team.key" "$T/open.key"
chmod 644 "$T/open.key"
bad webhooks: "  - name: a" "    url: https://example.org/h" \
	"    events: [incident.declared]" "    secret_file: $T/open.key"
check "a secret others may read is refused" has "$T/bad.err" "chmod 600"
check "naming where the configuration names it" has "$T/bad.err" "$T/bad.yaml:5"
check "and the hook" has "$T/bad.err" "'a'"
printf 's3cr3tvalue\n' >"$T/tiny.key"
chmod 600 "$T/tiny.key"
bad webhooks: "  - name: a" "    url: https://example.org/h" \
	"    events: [incident.declared]" "    secret_file: $T/tiny.key"
check "a secret under 16 bytes is refused" has "$T/bad.err" "at least 16"
check "without showing it" hasnt "$T/bad.err" "s3cr3tvalue"

# ---- events, delivered and signed ----
export NHIR_WEBHOOK_BACKOFF_MS=50
check "the server starts with four hooks" start_server --config "$T/hooks.yaml" \
	--catalog catalog/actions.yaml
# at once: the first event after the start is not lost
post declare "$RORY" /api/v1/incidents '{"title":"deploy key <leaked> & more","severity":"critical","lead":"lena","seeds":["AKIAEXAMPLEDEPLOY01"]}'
check "declared over the API" code declare 201
check "the team hook is told" wait_recv 1 /team incident.declared
body /team incident.declared
check "as nhir's JSON" test "$(field 'b["event"]')" = incident.declared
check "naming the incident" test "$(field 'b["incident"]["id"]')" = INC-1
check "its title" test "$(field 'b["incident"]["title"]')" = "deploy key <leaked> & more"
check "its severity" test "$(field 'b["incident"]["severity"]')" = critical
check "the actor" test "$(field 'b["actor"]')" = rory
check "and where to look" test "$(field 'b["incident"]["link"]')" = /api/v1/incidents/INC-1
check "every request is signed right" sh -c '! grep -q "\"sig_ok\": false" "$0"' "$T/recv.log"
check "with its event in a header" sh -c 'grep "\"path\": \"/team\"" "$0" | grep -q "\"event\": \"incident.declared\""' "$T/recv.log"
check "as JSON" sh -c 'grep -q "\"content_type\": \"application/json\"" "$0"' "$T/recv.log"
check "the chat hook is told" wait_recv 1 /chat incident.declared
body /chat incident.declared
check "in Slack's form" test "$(field 'sorted(b)')" = "['text']"
check "its text escaped for Slack" sh -c 'grep -F "&lt;leaked&gt; &amp; more" "$0"' "$T/body.json"
check "naming incident and actor" sh -c 'grep -F "INC-1" "$0" | grep -qF "rory"' "$T/body.json"

# a failing receiver: tried again until it answers
check "the flaky receiver is tried three times" wait_recv 3 /flaky incident.declared
check "it is delivered at the third" wait_state flaky delivered
check "after three attempts" test "$(delivery flaky attempts)" = 3
check "the last answered 200" test "$(delivery flaky last_status)" = 200
check "the same delivery each time" sh -c '
	test "$(grep "\"path\": \"/flaky\"" "$0" | sed "s/.*\"delivery\": \"\([0-9]*\)\".*/\1/" | sort -u | wc -l)" = 1' "$T/recv.log"
# a receiver that is gone: failed after its attempts
check "the gone receiver ends failed" wait_state gone failed
check "after its three attempts" test "$(delivery gone attempts)" = 3
WHY=$(delivery gone last_error)
check "saying why" test -n "$WHY" -a "$WHY" != None

# the plan asks for approvals; a step fails; contained; closed
post plan "$RORY" /api/v1/incidents/INC-1/plan '{}'
check "the plan is built" code plan 201
check "approvers are told" wait_recv 1 /team approval.requested
body /team approval.requested
check "how many steps await approval" test "$(field 'b["plan"]["awaiting_approval"]')" -ge 1
cat >"$T/conn.yaml" <<YAML
version: 1
connectors:
  - name: broken
    type: exec
    command: [/bin/sh, -c, "cat >/dev/null; echo '{\"status\":\"failed\",\"detail\":\"token=abc123secret\"}'"]
    timeout: 10
    actions: ["*"]
YAML
NHIR_CONNECTORS="$T/conn.yaml" NHIR_CATALOG="$ROOT/catalog/actions.yaml" \
	"$NHIR" --as rory execute INC-1 --next --confirm >"$T/exec.out" 2>&1
check "a step fails (run from the command line)" grep -q failed "$T/exec.out"
check "the team is told the step failed" wait_recv 1 /team step.failed
body /team step.failed
check "which step" test "$(field 'b["step"]["status"]')" = failed
check "not what the connector said" hasnt "$T/body.json" "abc123secret"
for to in investigating containing recovering; do
	post "st_$to" "$LENA" /api/v1/incidents/INC-1/state "{\"to\":\"$to\"}"
done
check "the lead moves it to recovering" code st_recovering 200
check "contained: the team is told" wait_recv 1 /team incident.contained
body /team incident.contained
check "from containing to recovering" test "$(field 'b["state"]["from"] + ">" + b["state"]["to"]')" = "containing>recovering"
check "not for investigating or containing" test "$(recv /team)" = 4
post risk "$LENA" /api/v1/incidents/INC-1/decisions '{"kind":"risk-acceptance","what":"close with the rest proposed","why":"the test"}'
post st_closed "$LENA" /api/v1/incidents/INC-1/state '{"to":"closed"}'
check "the lead closes it" code st_closed 200
check "closed: the team is told" wait_recv 1 /team incident.closed
check "and the chat" wait_recv 1 /chat incident.closed
check "the chat hook was told nothing else" test "$(recv /chat)" = 2

# the deliveries, to admins only
req list -H "Authorization: Bearer $ADA" "$URL/api/v1/webhooks/deliveries"
check "an admin lists the deliveries" code list 200
check "every one" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["deliveries"]))' "$T/list.body")" = 9
check "none pending" hasnt "$T/list.body" '"state":"pending"'
req list_lead -H "Authorization: Bearer $LENA" "$URL/api/v1/webhooks/deliveries"
check "a lead may not" code list_lead 403
check "as problem+json" problem list_lead 403 NHIR_EDENIED
req list_bad -H "Authorization: Bearer $ADA" "$URL/api/v1/webhooks/deliveries?limit=0"
check "a limit of 0 is 400" code list_bad 400
req metrics -H "Authorization: Bearer $ADA" "$URL/metrics"
check "metrics count the flaky hook's failures" has "$T/metrics.body" 'nhir_webhook_attempts_total{hook="flaky",result="failed"} 2'
check "and its success" has "$T/metrics.body" 'nhir_webhook_attempts_total{hook="flaky",result="ok"} 1'
check "and the gone one's" has "$T/metrics.body" 'nhir_webhook_attempts_total{hook="gone",result="failed"} 3'

# no secret anywhere
for k in team chat flaky gone; do
	check "the $k secret is in no body" hasnt "$T/recv.log" "$(cat "$T/$k.key")"
	check "nor in the server's log" hasnt "$T/srv.err" "$(cat "$T/$k.key")"
done
check "nor any token" sh -c 'for t in "$1" "$2" "$3" "$4"; do ! grep -qF "$t" "$0" || exit 1; done' \
	"$T/recv.log" "$ADA" "$LENA" "$RORY" "$ALEX"
check "the chat's address is not in the log" hasnt "$T/srv.err" "/chat"
check "nor in the deliveries" hasnt "$T/list.body" "/chat"

# the answers are the ones the API description allows
mkdir -p "$T/ans"
for a in list list_lead list_bad deliv; do
	cp "$T/$a.meta" "$T/$a.body" "$T/ans/"
done
check_answers "$T/ans"

# ---- SIGHUP: a changed list of hooks ----
sed -e '/name: flaky/,$d' "$T/hooks.yaml" >"$T/hooks2.yaml"
cat >>"$T/hooks2.yaml" <<YAML
  - name: late
    url: http://127.0.0.1:$RPORT/late
    events: [incident.declared]
    secret_file: $T/late.key
YAML
cp "$T/hooks2.yaml" "$T/hooks.yaml"
kill -HUP "$SRV_PID"
i=0
while ! grep -q "read again" "$T/srv.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "SIGHUP reads the hooks again" grep -q "3 webhook(s)" "$T/srv.err"
post declare2 "$RORY" /api/v1/incidents '{"title":"second","severity":"low","lead":"lena","seeds":["AKIAEXAMPLEDEPLOY01"]}'
check "a second incident" code declare2 201
check "the new hook is told" wait_recv 1 /late incident.declared
body /late incident.declared
check "of the second incident" test "$(field 'b["incident"]["id"]')" = INC-2
check "the team too" wait_recv 2 /team incident.declared
check "the dropped hook is not" test "$(recv /flaky)" = 3
# a reload that fails keeps what runs
chmod 644 "$T/late.key"
kill -HUP "$SRV_PID"
i=0
while ! grep -q "running configuration stays" "$T/srv.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "a secret others may read: the reload is refused" grep -q "chmod 600" "$T/srv.err"
post declare3 "$RORY" /api/v1/incidents '{"title":"third","severity":"low","lead":"lena","seeds":["AKIAEXAMPLEDEPLOY01"]}'
check "the running hooks still tell" wait_recv 2 /late incident.declared
check "every signature held" sh -c '! grep -q "\"sig_ok\": false" "$0"' "$T/recv.log"

# a restart goes on where the hooks stopped, nothing twice
chmod 600 "$T/late.key"
check "the server restarts" start_server --config "$T/hooks.yaml"
post declare4 "$RORY" /api/v1/incidents '{"title":"fourth","severity":"low","lead":"lena","seeds":["AKIAEXAMPLEDEPLOY01"]}'
check "told after the restart" wait_recv 3 /late incident.declared
check "nothing told twice" sh -c '
	test "$(grep -c "\"status\": 200" "$0")" = "$(grep "\"status\": 200" "$0" | sed "s/.*\"delivery\": \"\([0-9]*\)\".*/\1/" | sort -u | wc -l)"' "$T/recv.log"
done_testing
