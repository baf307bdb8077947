#!/bin/sh
# nhir import: summaries, idempotence, bad files rejected whole.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
check "import the example estate" sh -c \
	'"$NHIR" import nhir examples/inventory/estate.jsonl | grep -q "added, 0 updated, .* 0 rejected"'
# the graph as the next reader loads it: a cache file beside an SQLite
# database; on PostgreSQL, which keeps none, the graph's generation
# (every server loads the graph anew when it moves: t0189, t0191)
if on_pg; then
	check "import moves the graph's generation" test \
		"$(db_sql "SELECT value FROM meta WHERE key = 'graph_gen'")" -gt 0
else
	check "import leaves a fresh graph cache" test -s "$NHIR_DB-graph"
fi
check "importing again changes nothing" sh -c \
	'"$NHIR" import nhir examples/inventory/estate.jsonl | grep -q ": 0 added, 0 updated, [0-9]* unchanged"'
check "list formats" sh -c '"$NHIR" import --list | grep -q "^aws-authz"'
check "unknown format is a usage error" exits 2 "$NHIR" import nope x.json
check "no files is a usage error" exits 2 "$NHIR" import nhir

db_sql 'SELECT * FROM node ORDER BY id; SELECT * FROM edge ORDER BY id' >"$T/before"
printf '%s\n' '{"type":"node","kind":"identity","id":"new-one"}' \
	'{"type":"node","kind":"gizmo","id":"x"}' \
	'{"type":"edge","kind":"assumes","from":"new-one","to":"nowhere"}' >"$T/bad.jsonl"
check "bad file exits 1" exits 1 "$NHIR" import nhir "$T/bad.jsonl"
check "errors name file, line and column" has "$T/last.err" "$T/bad.jsonl:2:1: error: node 'x': unknown kind 'gizmo'"
check "dangling edge is reported at its line" has "$T/last.err" "$T/bad.jsonl:3:1: error: edge target 'nowhere' is not a known node"
check "summary says nothing stored" has "$T/last.out" "rejected, nothing stored (2 errors)"
db_sql 'SELECT * FROM node ORDER BY id; SELECT * FROM edge ORDER BY id' >"$T/after"
check "database exactly as before" cmp "$T/before" "$T/after"

printf '{"type":"node","kind":"owner","id":"good-owner"}\n' >"$T/good.jsonl"
check "good and bad files: exit 1, good one stored" sh -c \
	'"$NHIR" import nhir "$0/bad.jsonl" "$0/good.jsonl"; test $? = 1 && "$NHIR" show good-owner >/dev/null' "$T"
check "missing file is reported by name" sh -c \
	'"$NHIR" import nhir "$0/missing.json" 2>&1 | grep -q "cannot open .*missing.json"' "$T"
check "json summary" sh -c \
	'"$NHIR" import --format json nhir "$0/bad.jsonl" | grep -q "\"status\":\"rejected\",\"added\":0"' "$T"
check "import runs are on record with their actor" test "$(db_sql \
	"SELECT count(*) FROM import_run WHERE actor = 'tester' AND status = 'rejected'")" -ge 2
done_testing
