#!/bin/sh
# The store conformance suite (tests/store/) against PostgreSQL, on a
# throwaway cluster (tests/lib-pg.sh), and the CLI on it: a DSN selects
# the backend, an unknown scheme is an error, no message shows the
# DSN's password.  Contracts the PostgreSQL store does not meet yet are
# skipped by name, each listed below as "not yet implemented" (never
# counted as passed).
. tests/cli/lib.sh
. tests/lib-pg.sh

pg_start || exit 1
bin=$(dirname "$NHIR")/tests/store
export CMOCKA_MESSAGE_OUTPUT=TAP

# each suite's TAP lines are this script's own (the runner tallies them)
for t in contract record_store token_store findings_store plan_store \
	report_store; do
	if [ ! -x "$bin/test_$t" ]; then
		echo "not ok - $bin/test_$t is not built"
		failed=1
		continue
	fi
	NHIR_TEST_DSN=$PG_DSN "$bin/test_$t" >"$T/$t.tap" 2>&1
	rc=$?
	sed -n -e 's/^\(not \)\{0,1\}ok [0-9]* - \(.*\)$/\1ok - '"$t"': \2/p' \
		-e 's/^not ok [0-9]* # SKIP \(.*\)$/ok - '"$t"': \1 # SKIP not yet implemented on postgresql/p' \
		"$T/$t.tap"
	grep '^# not yet implemented' "$T/$t.tap" | sed "s/^# /# $t: /"
	if [ "$rc" != 0 ]; then
		echo "not ok - $t exited $rc"
		sed 's/^/#   /' "$T/$t.tap" | tail -30
		failed=1
	fi
done

db=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_cli/')
export NHIR_DB="$db"
check "init makes the database on the server" "$NHIR" init
check "a lead is added" "$NHIR" user add lena --role lead
check "an incident is declared" sh -c \
	"'$NHIR' --as lena incident declare --title 'pg test' --severity high \
	 --lead lena >/dev/null"
check "the incident is there" sh -c "'$NHIR' incident list | grep -q 'pg test'"
check "the audit chain verifies" "$NHIR" audit verify
check "postgres:// names the same backend" sh -c \
	"NHIR_DB='$(printf '%s' "$db" | sed 's|^postgresql://|postgres://|')' \
	 '$NHIR' incident list | grep -q 'pg test'"
check "an unknown scheme is an error naming it" sh -c \
	"! '$NHIR' --db 'mysql://x/y' incident list 2>$T/scheme.err &&
	 grep -q \"unknown database scheme 'mysql://'\" $T/scheme.err"
check "no message shows the DSN's password" sh -c \
	"! '$NHIR' --db 'postgresql://nhir:s3cretpw@/nosuch?host=$PG_SOCK' \
	   incident list >$T/pw.out 2>$T/pw.err &&
	 grep -q 'nhir:\*\*\*@' $T/pw.err && ! grep -q s3cretpw $T/pw.out $T/pw.err"

echo "1..$n"
exit $failed
