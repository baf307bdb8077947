#!/bin/sh
# The demo on PostgreSQL with one flag (make demo DB=postgresql://...):
# scripts/demo.sh runs the whole scenario on a throwaway cluster and
# prints what it prints on a database file, line for line, but for the
# database's name, the folder, the audit head (the log identity is made
# at random) and the fingerprint of the report key made at random.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh

pg_start || exit 1
db=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_demo/')
unset NHIR_USER

check "the demo runs on a database file" sh -c \
	'NHIR_DEMO_DIR="$1/sq" sh scripts/demo.sh "$0" >"$1/sq.out" 2>&1' \
	"$NHIR" "$T"
check "the demo runs on PostgreSQL with DB=" sh -c \
	'DB="$2" NHIR_DEMO_DIR="$1/pg" sh scripts/demo.sh "$0" >"$1/pg.out" 2>&1' \
	"$NHIR" "$T" "$db"
# what differs by nature: names, paths, what is made at random
cat >"$T/norm.sed" <<EOF
s|$T/sq|DIR|g
s|$T/pg|DIR|g
s|NHIR_DB='[^']*'|NHIR_DB=DB|g
s| NHIR_FILES='[^']*'||g
s|The database is [^;]*;|The database is DB;|
s/^initialized .* database .*/initialized/
s/, head [0-9a-f]\{64\}\$/, head HEAD/
s/signed by sha256:[0-9a-f]*/signed by KEY/
s/ searched in [0-9.]* s;/ searched in S s;/
EOF
check "it prints what it prints on a database file" sh -c '
sed -f "$0/norm.sed" "$0/sq.out" >"$0/sq.norm" &&
sed -f "$0/norm.sed" "$0/pg.out" >"$0/pg.norm" &&
diff "$0/sq.norm" "$0/pg.norm"' "$T"
check "the output is the whole scenario" sh -c \
	'test "$(grep -c "^[$] " "$0/pg.out")" -ge 40 &&
	 grep -q "audit log intact" "$0/pg.out" &&
	 grep -q "signature valid" "$0/pg.out"' "$T"
check "it was on PostgreSQL" grep -q "^initialized postgresql database" \
	"$T/pg.out"
check "the evidence and keys are in the demo's folder" sh -c \
	'test -f "$0/pg/files/nhir-key" && ls "$0/pg/files/nhir-evidence" | grep -q .' \
	"$T"
check "the audit chain verifies on the demo's database" sh -c \
	'NHIR_USER=ada NHIR_FILES="$1/pg/files" "$0" --db "$2" audit verify' "$NHIR" "$T" "$db"
check "a DB that is no PostgreSQL DSN is a usage error" sh -c \
	'DB=mysql://x NHIR_DEMO_DIR="$1/bad" sh scripts/demo.sh "$0" \
	 >/dev/null 2>"$1/bad.err"; test $? = 2 && grep -q postgresql "$1/bad.err"' \
	"$NHIR" "$T"

done_testing
