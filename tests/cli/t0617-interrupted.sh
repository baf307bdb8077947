#!/bin/sh
# A step whose run died while its connector ran is shown as interrupted,
# is not run again and not passed over by --next, until the lead decides
# (done or retry) on the record.  A step another run is executing still
# shows as running.
. tests/cli/lib.sh

export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
# the connector kills the nhir that runs it: a crash mid-step
cat >"$T/crash.yaml" <<YAML
version: 1
connectors:
  - name: crash
    type: exec
    command: [/bin/sh, -c, "kill -9 \$PPID; sleep 5"]
    actions: ["*"]
YAML
cat >"$T/ok.yaml" <<YAML
version: 1
connectors:
  - name: ok
    type: exec
    command: [/bin/sh, -c, "cat >/dev/null; echo call >>$T/calls; sleep 2; echo '{\"status\":\"done\"}'"]
    actions: ["*"]
YAML
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null
status() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["step"] == int(sys.argv[1]):
        print(s["status"])' "$1"
}

check "a run killed mid-step" exits 137 "$NHIR" --as rory execute INC-1 \
	--next --confirm --connectors "$T/crash.yaml"
S=$(db_sql "SELECT seq FROM plan_step WHERE status = 'running'")
check "left one step marked running in the database" test -n "$S"
check "which shows as interrupted" test "$(status "$S")" = interrupted
check "in the text plan too" sh -c '"$NHIR" plan INC-1 | grep -qE "^ *'"$S"'  interrupted "'
check "--next stops at it" exits 1 "$NHIR" --as rory execute INC-1 --next \
	--confirm --connectors "$T/ok.yaml"
check "saying a lead decides" has "$T/last.err" \
	"step $S (generic.preserve-evidence) was interrupted: its run ended while the connector ran"
check "naming the command" has "$T/last.err" \
	"nhir execute INC-1 $S --resolve done|retry --why TEXT"
check "it is not run by number either" exits 1 "$NHIR" --as rory execute \
	INC-1 "$S" --confirm --connectors "$T/ok.yaml"
check "nothing reached a connector" test ! -e "$T/calls"
check "a responder may not decide" exits 5 "$NHIR" --as rory execute INC-1 \
	"$S" --resolve retry --why "looks lost"
check "a decision needs its reason" exits 1 "$NHIR" --as lena execute INC-1 \
	"$S" --resolve retry
check "the lead decides to run it again" "$NHIR" --as lena execute INC-1 \
	"$S" --resolve retry --why "the owners were not told: the mailer log is empty"
check "it is failed, to be run again" test "$(status "$S")" = failed
check "the decision is on the record" sh -c \
	'"$NHIR" incident show INC-1 | grep -q "the owners were not told"'
check "and on the audit log" sh -c \
	'"$NHIR" audit log | grep -q "execute.resolve .*\"decided\":\"retry\""'
check "only an interrupted step is decided" exits 1 "$NHIR" --as lena \
	execute INC-1 "$S" --resolve done --why again

# a step another run is executing is running, not interrupted
"$NHIR" --as rory execute INC-1 --next --confirm --connectors "$T/ok.yaml" \
	>"$T/bg.out" 2>&1 &
bg=$!
i=0
while [ ! -e "$T/calls" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "while its run is alive the step shows running" test "$(status "$S")" = running
wait $bg
check "and it is done" test "$(status "$S")" = done
check "sent once" test "$(wc -l <"$T/calls")" = 1
done_testing
