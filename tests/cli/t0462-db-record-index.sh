#!/bin/sh
# An incident's notes, decisions, tasks, evidence and custody are read by
# the incident's id through an index, not by scanning every incident's:
# the incident's document is built for each read and each change.
. tests/cli/lib.sh

check "init" "$NHIR" init
for t in note decision task evidence; do
	sqlite3 "$NHIR_DB" "EXPLAIN QUERY PLAN SELECT id FROM $t
		WHERE incident = 1 ORDER BY id" >"$T/$t.plan"
	check "$t rows by incident use an index" has "$T/$t.plan" \
		"INDEX ${t}_incident (incident=?)"
	check "$t rows by incident need no sort" hasnt "$T/$t.plan" "TEMP B-TREE"
done
sqlite3 "$NHIR_DB" "EXPLAIN QUERY PLAN SELECT c.id FROM custody c
	JOIN evidence e ON e.id = c.evidence WHERE e.incident = 1
	ORDER BY c.id" >"$T/custody.plan"
check "custody rows by evidence use an index" has "$T/custody.plan" \
	"INDEX custody_evidence"
done_testing
