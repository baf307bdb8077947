#!/bin/sh
# An incident's notes, decisions, tasks, evidence and custody are read by
# the incident's id through an index, not by scanning every incident's:
# the incident's document is built for each read and each change.
. tests/cli/lib.sh

check "init" "$NHIR" init
# plan SQL: the plan of SQL (PostgreSQL's as if the tables were large:
# an empty table is cheaper to scan than to look up by an index)
plan() {
	if on_pg; then
		db_sql "SET enable_seqscan = off; SET enable_bitmapscan = off; EXPLAIN $1"
	else
		db_sql "EXPLAIN QUERY PLAN $1"
	fi
}
for t in note decision task evidence; do
	plan "SELECT id FROM $t WHERE incident = 1 ORDER BY id" >"$T/$t.plan"
	if on_pg; then
		check "$t rows by incident use an index" has "$T/$t.plan" \
			"using ${t}_incident on $t"
		check "$t rows by incident need no sort" hasnt "$T/$t.plan" "Sort"
	else
		check "$t rows by incident use an index" has "$T/$t.plan" \
			"INDEX ${t}_incident (incident=?)"
		check "$t rows by incident need no sort" hasnt "$T/$t.plan" \
			"TEMP B-TREE"
	fi
done
plan "SELECT c.id FROM custody c JOIN evidence e ON e.id = c.evidence
	WHERE e.incident = 1 ORDER BY c.id" >"$T/custody.plan"
if on_pg; then
	check "custody rows by evidence use an index" has "$T/custody.plan" \
		"using custody_evidence on custody"
else
	check "custody rows by evidence use an index" has "$T/custody.plan" \
		"INDEX custody_evidence"
fi
done_testing
