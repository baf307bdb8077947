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
# (Its name holds no "nhir_", which tests look for in logs as a token's.)
if [ -n "${NHIR_TEST_PG:-}" ]; then
	NHIR_DB=$(printf '%s' "$NHIR_TEST_PG" | sed "s/%s/t_$(basename "$T" |
		sed 's/^nhir-//' | tr -c 'a-zA-Z0-9\n' _ | tr 'A-Z' 'a-z')/")
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

# on_pg [DB]: DB (default the test's database) is on PostgreSQL.
on_pg() {
	case ${1:-$NHIR_DB} in
	postgres://* | postgresql://*) return 0 ;;
	esac
	return 1
}

# The newest PostgreSQL client programs (tests/lib-pg.sh finds them so).
pg_client() {
	_b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
	"${PG_BINDIR:-${_b:-/usr/bin}}/$@"
}

# db_sql SQL [DB]: runs SQL on DB (default the test's database): sqlite3
# on a file, psql on PostgreSQL.  Rows one a line, columns joined by
# '|', NULL empty, as sqlite3 prints them; SQL that both understand (no
# group_concat, json_extract or PRAGMA; an integer flag compared, as
# "rolled != 0", not used as a boolean).
db_sql() {
	if on_pg "${2:-}"; then
		pg_client psql -X -A -t -q -v ON_ERROR_STOP=1 \
			-d "${2:-$NHIR_DB}" -c "$1"
	else
		sqlite3 "${2:-$NHIR_DB}" "$1"
	fi
}

# db_dump [DB]: all of DB as text (sqlite3 .dump, pg_dump), for looking
# for what must not be stored or comparing two states (less pg_dump's
# \restrict lines, whose key is new each time).
db_dump() {
	if on_pg "${1:-}"; then
		pg_client pg_dump -d "${1:-$NHIR_DB}" |
			grep -v '^\\\(un\)\{0,1\}restrict '
	else
		sqlite3 "${1:-$NHIR_DB}" .dump
	fi
}

# The test's database's evidence folder (beside the file, or in
# $NHIR_FILES on PostgreSQL).
db_evidence() {
	if on_pg; then
		echo "$NHIR_FILES/nhir-evidence"
	else
		echo "$NHIR_DB-evidence"
	fi
}

# The test's database's fingerprint key file.
db_key() {
	if on_pg; then
		echo "$NHIR_FILES/nhir-key"
	else
		echo "$NHIR_DB-key"
	fi
}

# db_drop: removes the test's database (the file, or the database on
# PostgreSQL), so that the next "nhir init" makes a new one.
db_drop() {
	if on_pg; then
		_pg_admin "DROP DATABASE IF EXISTS \"$(_pg_name)\"" >/dev/null
	else
		rm -f "$NHIR_DB"
	fi
}

# db_copy FILE: the test's database copied into a new SQLite file (on
# PostgreSQL by nhir db copy, with its evidence and key).
db_copy() {
	if on_pg; then
		"$NHIR" db copy --from "$NHIR_DB" --to "$1" >/dev/null
	else
		cp "$NHIR_DB" "$1"
	fi
}

# db_save NAME, db_restore NAME: keeps the test's database as it is now
# under NAME (a copy of the file, or a database made from it as a
# template on PostgreSQL), and puts it back.  Not while nhir has it open.
_pg_name() {
	printf '%s' "$NHIR_DB" | sed 's#^[a-z]*://[^/]*/\([^?]*\).*#\1#'
}
_pg_admin() {
	db_sql "$1" "$(printf '%s' "$NHIR_DB" |
		sed 's#^\([a-z]*://[^/]*/\)[^?]*#\1postgres#')"
}
db_save() {
	if on_pg; then
		_pg_admin "CREATE DATABASE \"$(_pg_name)_$1\" TEMPLATE \"$(_pg_name)\""
	else
		cp "$NHIR_DB" "$T/$1.saved.db"
	fi
}
db_restore() {
	if on_pg; then
		_pg_admin "DROP DATABASE \"$(_pg_name)\"" &&
			_pg_admin "CREATE DATABASE \"$(_pg_name)\" TEMPLATE \"$(_pg_name)_$1\""
	else
		cp "$T/$1.saved.db" "$NHIR_DB" &&
			rm -f "$NHIR_DB-wal" "$NHIR_DB-shm"
	fi
}

# sqlite_file WHY: true when the test's database is an SQLite file; on
# PostgreSQL it counts one check skipped, saying WHY (what the checks
# that follow need of the file itself), and is false.
#   sqlite_file "the file's mode" && check ...
sqlite_file() {
	on_pg || return 0
	n=$((n + 1))
	echo "ok $n - # SKIP on PostgreSQL: $1"
	return 1
}

done_testing() {
	echo "1..$n"
	exit $failed
}
