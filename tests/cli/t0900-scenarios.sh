#!/bin/sh
# Every scenario under examples/scenarios runs to its end, each stage
# asserting its outcome (routing, scope, plan order, residual access,
# report).
. tests/cli/lib.sh

for s in "$ROOT"/examples/scenarios/*/run.sh; do
	name=$(basename "$(dirname "$s")")
	check "scenario $name" sh -c 'sh "$0" >"$1/scenario.out" 2>&1 ||
		{ cat "$1/scenario.out"; exit 1; }' "$s" "$T"
	if grep -q "^skip:" "$T/scenario.out"; then
		echo "# $name: $(grep "^skip:" "$T/scenario.out")"
	fi
done
done_testing
