# Helpers for CLI tests: TAP output, a scratch directory, assertions.
# Each tNNNN-*.sh sources this, runs commands and calls check.
set -u
: "${NHIR:=build/nhir}"
case $NHIR in /*) ;; *) NHIR=$PWD/$NHIR ;; esac
ROOT=$PWD
T=$(mktemp -d "${TMPDIR:-/tmp}/nhir-cli-XXXXXX")
trap 'rm -rf "$T"' EXIT
export NHIR_DB="$T/test.db" NO_COLOR=1 NHIR_USER=tester
# NHIR_TEST_PG, a DSN template ("%s": a database name; tests/pg-suite.sh
# sets it): the test's own database is a new one on that server, its
# side files in $T/files.  Tests that name a database file still use it.
if [ -n "${NHIR_TEST_PG:-}" ]; then
	NHIR_DB=$(printf '%s' "$NHIR_TEST_PG" |
		sed "s/%s/t_$(basename "$T" | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z')/")
	export NHIR_DB NHIR_FILES="$T/files"
fi
n=0
failed=0

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$T/out" 2>"$T/err"; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/#   out: /' "$T/out" | head -20
		sed 's/^/#   err: /' "$T/err" | head -20
		failed=1
	fi
}

# exits STATUS COMMAND...: the command exits with STATUS.
exits() {
	want=$1
	shift
	"$@" >"$T/last.out" 2>"$T/last.err"
	got=$?
	[ "$got" = "$want" ] || {
		echo "exit $got, want $want" >&2
		cat "$T/last.err" >&2
		return 1
	}
}

# has FILE TEXT: FILE contains TEXT (fixed string).
has() {
	grep -qF -- "$2" "$1" || {
		echo "'$2' not in $1:" >&2
		head -40 "$1" >&2
		return 1
	}
}

hasnt() {
	! grep -qF -- "$2" "$1" || {
		echo "'$2' unexpectedly in $1" >&2
		return 1
	}
}

done_testing() {
	echo "1..$n"
	exit $failed
}
