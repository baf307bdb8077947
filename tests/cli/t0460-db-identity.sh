#!/bin/sh
# --db naming an SQLite file that is not nhir's is refused and left
# unchanged: nhir marks its databases with an application id when it
# makes them.  An nhir database made before the id still opens.
. tests/cli/lib.sh

check "init" "$NHIR" init
# nhir's mark: the SQLite file's application id, or on PostgreSQL its
# schema_version table; a database of another application's is refused
if on_pg; then
	check "the new database carries nhir's schema_version" test \
		"$(db_sql "SELECT count(*) FROM schema_version")" -gt 0
	pgf=$(printf '%s' "$NHIR_DB" | sed 's#^\([a-z]*://[^/]*/\)\([^?]*\)#\1\2_other#')
	db_sql "CREATE DATABASE \"$(_pg_name)_other\"" "$(printf '%s' \
		"$NHIR_DB" | sed 's#^\([a-z]*://[^/]*/\)[^?]*#\1postgres#')" >/dev/null
	db_sql "CREATE TABLE contacts(name text); INSERT INTO contacts
		VALUES ('ann')" "$pgf"
	check "another application's PostgreSQL database is refused" \
		exits 1 "$NHIR" --db "$pgf" incident list
	check "saying so" has "$T/last.err" "not an nhir database"
	check "and holds no table of nhir's" test "$(db_sql "SELECT
		string_agg(tablename, ',') FROM pg_tables WHERE
		schemaname = 'public'" "$pgf")" = contacts
else
	check "the new database carries nhir's application id" test \
		"$(sqlite3 "$NHIR_DB" 'PRAGMA application_id')" = 1852336498
fi

foreign="$T/other.db"
sqlite3 "$foreign" 'CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES ("ann")'
sum=$(sha256sum "$foreign")
for c in "init" "user add mallory --role admin" "audit log" "incident list"; do
	# shellcheck disable=SC2086
	check "$c on another application's database is refused" \
		exits 1 "$NHIR" --db "$foreign" $c
done
check "naming the file" has "$T/last.err" "$foreign: not an nhir database"
check "the file is unchanged" test "$(sha256sum "$foreign")" = "$sum"
check "and holds no table of nhir's" test \
	"$(sqlite3 "$foreign" 'SELECT group_concat(name) FROM sqlite_schema')" = contacts

sqlite3 "$T/app.db" 'PRAGMA application_id = 1234; PRAGMA user_version = 3'
check "a database with another application id is refused" \
	exits 1 "$NHIR" --db "$T/app.db" init
check "and said so" has "$T/last.err" "application id 0x000004d2"
sqlite3 "$T/ver.db" 'PRAGMA user_version = 12'
check "an empty file claiming a schema is refused" \
	exits 1 "$NHIR" --db "$T/ver.db" init
printf 'not sqlite at all, just text\n%.0s' 1 2 3 4 5 6 7 8 >"$T/text.db"
check "a file that is not SQLite is refused" \
	exits 1 "$NHIR" --db "$T/text.db" audit log
check "naming it" has "$T/last.err" "$T/text.db"

# an nhir database from before the application id (an SQLite file's
# mark: nothing of it on PostgreSQL)
if ! on_pg; then
	"$NHIR" user add lena --role lead >/dev/null
	sqlite3 "$NHIR_DB" 'PRAGMA application_id = 0'
	check "an older nhir database opens read-only" "$NHIR" user list
	check "and read-write" "$NHIR" user add rory --role responder
	check "which marks it as nhir's" test \
		"$(sqlite3 "$NHIR_DB" 'PRAGMA application_id')" = 1852336498
	check "and keeps its record" sh -c \
		'"$NHIR" audit verify | grep -q "audit log intact"'
fi
done_testing
