#!/bin/sh
# nhir init, global options, help and usage errors.
. tests/cli/lib.sh

made() {
	"$NHIR" init || return 1
	if on_pg; then
		test "$(db_sql "SELECT count(*) FROM schema_version")" -gt 0
	else
		test -f "$NHIR_DB"
	fi
}
check "init creates a database" made
check "init again is harmless" sh -c '"$NHIR" init | grep -q "schema [1-9][0-9]*)"'
check "--db overrides NHIR_DB" sh -c \
	'"$NHIR" --db "$0/other.db" init && test -f "$0/other.db"' "$T"
check "--db after the command" sh -c \
	'"$NHIR" init --db "$0/third.db" && test -f "$0/third.db"' "$T"
check "--version" sh -c '"$NHIR" --version | grep -q "^nhir "'
cmds=$("$NHIR" --help | sed -n 's/^   \([a-z][a-z]*\)  .*/\1/p')
check "the command list is read" test "$(echo $cmds | wc -w)" -ge 17
for c in $cmds; do
	check "$c --help prints usage, exit 0" sh -c \
		'"$NHIR" "$0" --help | grep -q "^usage: nhir $0"' "$c"
	check "$c has a man page" test -f "$ROOT/doc/man/nhir-$c.1"
done
check "help COMMAND" sh -c '"$NHIR" help blast | grep -q "usage: nhir blast"'
check "unknown command is a usage error" exits 2 "$NHIR" frobnicate
check "unknown option is a usage error" exits 2 "$NHIR" blast --bogus x
check "no command is a usage error" exits 2 "$NHIR"
check "missing database names it" sh -c \
	'"$NHIR" --db /nonexistent/x.db show a 2>&1 | grep -q "no database at ./nonexistent/x.db.*nhir init"'
check "not a database is an error" sh -c \
	'echo "hello there, definitely not sqlite...................................................................." >"$0/junk.db"; "$NHIR" --db "$0/junk.db" show a; test $? = 1' "$T"
done_testing
