#!/bin/sh
# Two runs of 'execute --next' at once: the step is claimed by one, and
# its connector is called once.
. tests/cli/lib.sh

export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
cat >"$T/conn.yaml" <<YAML
version: 1
connectors:
  - name: slow
    type: exec
    command: [/bin/sh, -c, "cat >/dev/null; echo call >>$T/calls; sleep 1; echo '{\"status\":\"done\"}'"]
    timeout: 10
    actions: ["*"]
YAML
export NHIR_CONNECTORS="$T/conn.yaml"
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null

for round in 1 2 3; do
	"$NHIR" --as rory execute INC-1 --next --confirm >"$T/a$round" 2>&1 &
	a=$!
	"$NHIR" --as rory execute INC-1 --next --confirm >"$T/b$round" 2>&1 &
	b=$!
	wait $a $b
done
check "each step went to its connector once" test "$(wc -l <"$T/calls")" -le 3
if on_pg; then
	step="CAST(detail AS json)->>'step'"
else
	step="json_extract(detail, '\$.step')"
fi
check "the steps run are distinct" test \
	"$(db_sql "SELECT count(*) FROM audit WHERE action = 'execute.start'")" = \
	"$(db_sql "SELECT count(DISTINCT $step) FROM audit WHERE action = 'execute.start'")"
check "no step was started twice" test \
	"$(db_sql "SELECT count(*) FROM audit WHERE action = 'execute.start'")" = "$(wc -l <"$T/calls")"
# Whether the two runs of a round met on one step depends on timing:
# each run must have run a step, found none left, reached the step that
# waits for approval (when the runs did not meet, six runs outnumber the
# steps before it), found the step before it still running, or been
# refused its claim -- never failed otherwise
# (a lock error, a second send).
check "every run ran a step, found none, waited, or lost the claim" sh -c \
	'for f in "$0"/a? "$0"/b?; do
		grep -qE "^INC-1 step [0-9]+: |claimed by another run|no step left|needs [0-9]+ approvals? \(has [0-9]+\)|waits for step [0-9]+" "$f" ||
			{ cat "$f"; exit 1; }
	done' "$T"
done_testing
