#!/bin/sh
# How much of the CLI suite passes on PostgreSQL: every tests/cli script
# (or those named) with NHIR_TEST_PG set, so that its database is a new
# one on one throwaway cluster (tests/lib-pg.sh) instead of $T/test.db.
# Prints each script's verdict and "N passed, N failed" over scripts.
# make check runs the same leg (tests/run.sh, "cli on postgresql"),
# counting checks; make check-pg runs this, for the verdicts alone.
# Scripts marked "pg-leg: ..." (own cluster, not run) are left out
# unless named.
#   NHIR=build/check/nhir tests/pg-suite.sh [tests/cli/tNNNN-name.sh...]
set -u
: "${NHIR:=build/check/nhir}"
case $NHIR in /*) ;; *) NHIR=$PWD/$NHIR ;; esac
export NHIR
export NHIR_DATA="${NHIR_DATA:-../shared/data}"
unset NHIR_DB NHIR_USER NHIR_NOW
umask 022
. tests/lib-pg.sh
pg_start || exit 1
export NHIR_TEST_PG="$PG_DSN"
out=$(mktemp -d)
trap 'pg_stop; rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- $(grep -L '^# pg-leg: ' tests/cli/t[0-9]*.sh)
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
printf '%s\n' "$@" | xargs -P "$jobs" -I{} sh -c \
	'o="$1/$(basename "$2")"; timeout 600 sh "$2" >"$o.log" 2>&1; echo $? >"$o.rc"' \
	sh "$out" {}
pass=0 fail=0
for t in "$@"; do
	o="$out/$(basename "$t")"
	rc=$(cat "$o.rc" 2>/dev/null || echo 1)
	nok=$(grep -c '^not ok' "$o.log" 2>/dev/null)
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "PASS $t"
	else
		fail=$((fail + 1))
		echo "FAIL $t (exit $rc, $nok checks failed)"
		grep '^not ok' "$o.log" | head -5 | sed 's/^/    /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
