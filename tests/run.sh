#!/bin/sh
# Runs every test: cmocka unit tests (TAP), CLI scripts (on SQLite, then
# on PostgreSQL), and fuzz corpus replays.  Prints each failure, then
# "N passed, N failed, N skipped".
set -u
BUILD=${BUILD:-build}
export NHIR="$BUILD/nhir"
export NHIR_DATA="${NHIR_DATA:-../shared/data}"
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
unset NHIR_DB NHIR_USER NHIR_NOW
# nhir refuses a connectors file that group or others may write, or
# replace in its directory: the files the tests write, and the examples
# they use from the checkout (and their directory), are kept to their
# owner whatever the caller's umask.
umask 022
chmod go-w examples/connectors examples/connectors/*.yaml

pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ ! -d "$NHIR_DATA" ]; then
	echo "note: $NHIR_DATA is absent; tests on real sample data skip"
fi

# Tallies TAP lines from one program's output in $log.
tally() {
	name=$1 rc=$2
	# cmocka writes a skipped test as "not ok N # SKIP", TAP as "ok"
	p=$(grep -c '^ok ' "$log" | tr -d ' ')
	s=$(grep -Ec '^(not )?ok .*# [Ss][Kk][Ii][Pp]' "$log" | tr -d ' ')
	ps=$(grep -c '^ok .*# [Ss][Kk][Ii][Pp]' "$log" | tr -d ' ')
	f=$(grep -c '^not ok ' "$log" | tr -d ' ')
	p=$((p - ps))
	f=$((f - (s - ps)))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		# crashed, or failed outside a test case
		f=1
	fi
	if [ "$f" != 0 ]; then
		echo "FAIL $name (exit $rc)"
		sed 's/^/    /' "$log" | tail -60
	fi
	grep -Eh '^(not )?ok .*# [Ss][Kk][Ii][Pp]' "$log" | sed "s|^|    $name: |"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# Prints what the group since the last call added to the counts, and
# the seconds it took.
group() {
	gt1=$(date +%s)
	echo "$1: $((pass - gp)) passed, $((fail - gf)) failed, $((skip - gs)) skipped ($((gt1 - gt)) s)"
	gp=$pass gf=$fail gs=$skip gt=$gt1
}
gp=0 gf=0 gs=0 gt=$(date +%s)

# A program is run only while its source is there: one left in $BUILD
# by a test since renamed or removed is not counted.
for t in $(find "$BUILD/tests" -type f -name 'test_*' -perm -u+x | sort); do
	[ -f "tests/${t#$BUILD/tests/}.c" ] || continue
	"$t" >"$log" 2>&1
	tally "${t#$BUILD/}" $?
done
group unit

# The CLI scripts run TEST_JOBS at a time (default: the number of
# processors), each into its own log; they are tallied in order.
cli_out=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$cli_out"' EXIT
jobs=${TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
ls tests/cli/t[0-9]*.sh 2>/dev/null |
	xargs -P "$jobs" -I{} sh -c \
		'o="$1/$(basename "$2")"; sh "$2" >"$o.log" 2>&1; echo $? >"$o.rc"' \
		sh "$cli_out" {}
for t in tests/cli/t[0-9]*.sh; do
	[ -f "$t" ] || continue
	o="$cli_out/$(basename "$t")"
	cp "$o.log" "$log" 2>/dev/null || : >"$log"
	tally "$t" "$(cat "$o.rc" 2>/dev/null || echo 1)"
done
group cli

# The same scripts again, each one's database a new one on one
# throwaway PostgreSQL cluster (tests/lib-pg.sh starts it here and
# stops it when they are done, or on any exit): NHIR_TEST_PG makes
# tests/cli/lib.sh put the database there instead of $T/test.db.
# Scripts marked "pg-leg: own cluster" make their own cluster for every
# database they use and ran on PostgreSQL above; they are not run twice.
# Those marked "pg-leg: not run" check what only an SQLite file has (the
# marker says why and which scripts check PostgreSQL's counterpart).
# Without the PostgreSQL programs (scripts/deps.sh installs them) the
# leg fails, never skips.
. tests/lib-pg.sh
if pg_start; then
	ls tests/cli/t[0-9]*.sh | while read -r t; do
		grep -q '^# pg-leg: ' "$t" || echo "$t"
	done >"$cli_out/pg.list"
	NHIR_TEST_PG=$PG_DSN xargs -P "$jobs" -I{} sh -c \
		'o="$1/pg-$(basename "$2")"; timeout 600 sh "$2" >"$o.log" 2>&1; echo $? >"$o.rc"' \
		sh "$cli_out" {} <"$cli_out/pg.list"
	pg_stop
	while read -r t; do
		o="$cli_out/pg-$(basename "$t")"
		cp "$o.log" "$log" 2>/dev/null || : >"$log"
		tally "$t on postgresql" "$(cat "$o.rc" 2>/dev/null || echo 1)"
	done <"$cli_out/pg.list"
else
	echo "FAIL cli on postgresql: the cluster did not start"
	fail=$((fail + 1))
fi
group "cli on postgresql"

for r in "$BUILD"/fuzz/replay_*; do
	[ -x "$r" ] || continue
	name=${r##*/replay_}
	[ -f "fuzz/fuzz_$name.c" ] || continue
	"$r" "fuzz/corpus/$name" >"$log" 2>&1
	tally "fuzz corpus $name" $?
done
group corpus

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
