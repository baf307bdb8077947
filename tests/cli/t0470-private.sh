#!/bin/sh
# Incident records and secret previews are not readable by others: the
# database and its -wal, -shm and -journal files are made 0600 whatever
# the umask, and a preview shows at most 4 characters of a secret.
. tests/cli/lib.sh

umask 022
check "init under umask 022" "$NHIR" init
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
# a server's database has no file, -wal, -shm or -journal of its own:
# on PostgreSQL the files nhir keeps in $NHIR_FILES are checked instead
# (below)
if ! on_pg; then
	check "the database is 0600" test "$(stat -c %a "$NHIR_DB")" = 600
	# while a connection is open (the last one to close removes them)
	check "its -wal and -shm files are 0600" sh -c \
		'sqlite3 "$NHIR_DB" "BEGIN; SELECT count(*) FROM node;" \
			".shell stat -c %a $NHIR_DB-wal $NHIR_DB-shm" "COMMIT" >"$0/wmode" &&
		test "$(grep -cx 600 "$0/wmode")" = 2' "$T"
	check "--db makes a new database 0600 too" "$NHIR" --db "$T/j.db" init
	check "so is it" test "$(stat -c %a "$T/j.db")" = 600
	# a rollback journal, while a transaction is open
	sqlite3 "$T/j.db" 'PRAGMA journal_mode = DELETE' >/dev/null
	rm -f "$T/j.db-wal" "$T/j.db-shm"
	check "a rollback journal is 0600" sh -c \
		'sqlite3 "$0/j.db" "BEGIN; CREATE TABLE held(x); INSERT INTO held VALUES(1);" \
			".shell stat -c %a $0/j.db-journal" "ROLLBACK" >"$0/jmode" &&
		grep -qx 600 "$0/jmode"' "$T"
	# an existing database with looser modes (an older nhir made them 0644)
	# is made private when nhir opens it to write
	check "a database left 0644 is made 0600 by a write" sh -c \
		'chmod 644 "$NHIR_DB" && "$NHIR" user add ann --role observer &&
		test "$(stat -c %a "$NHIR_DB")" = 600'
	check "so are its -wal and -shm files" sh -c \
		'sqlite3 "$NHIR_DB" "BEGIN; SELECT count(*) FROM node;" \
			".shell chmod 644 $NHIR_DB $NHIR_DB-wal $NHIR_DB-shm && $NHIR user add bo --role observer && stat -c %a $NHIR_DB $NHIR_DB-wal $NHIR_DB-shm" \
			"COMMIT" >"$0/omode" &&
		test "$(grep -cx 600 "$0/omode")" = 3' "$T"
	check "one its group may only read is made 0600" sh -c \
		'chmod 640 "$NHIR_DB" && "$NHIR" user add cy --role observer &&
		test "$(stat -c %a "$NHIR_DB")" = 600'
	check "one shared through a group that writes it keeps its mode" sh -c \
		'chmod 660 "$NHIR_DB" && "$NHIR" user add di --role observer &&
		test "$(stat -c %a "$NHIR_DB")" = 660'
	check "less for others in any case" sh -c \
		'chmod 666 "$NHIR_DB" && "$NHIR" user add ed --role observer &&
		test "$(stat -c %a "$NHIR_DB")" = 660'
	chmod 600 "$NHIR_DB"
fi
ln -s "$T/elsewhere.db" "$T/link.db"
check "a dangling symbolic link is not followed to make one" \
	exits 1 "$NHIR" --db "$T/link.db" init
check "nothing was made behind it" test ! -e "$T/elsewhere.db"

# previews: 4 characters of the secret at most
cat >"$T/gl.json" <<'J'
[
 {"RuleID": "generic-api-key", "Secret": "sk_live_Zq8Lw2Xv9Rt4Yp6Nm3Kb", "File": "app/config.js", "StartLine": 3, "Commit": "abc"},
 {"RuleID": "generic-api-key", "Secret": "Hq7Wz2Lk9Jd", "File": "app/short.js", "StartLine": 1, "Commit": "abc"}
]
J
check "import a report with two secrets" "$NHIR" findings import gitleaks "$T/gl.json"
"$NHIR" findings list >"$T/list.txt" 2>&1
"$NHIR" findings list --format json >"$T/list.json" 2>&1
db_dump >"$T/dump.sql"
check "the long one shows its first 4 characters" has "$T/list.txt" "sk_l... (28 chars)"
check "the short one 2" has "$T/list.txt" "Hq... (11 chars)"
for f in list.txt list.json dump.sql; do
	check "$f holds no 5 characters of either secret" sh -c \
		'! grep -qE "sk_li|_Kb|Kb |Zq8L|Hq7|Jd " "$0/$1"' "$T" "$f"
done

# previews stored by an older version showed 6 characters (the first 4
# and the last 2): made as that version left them
db_sql "UPDATE finding SET preview = 'sk_l...Kb (28 chars)'
	WHERE preview = 'sk_l... (28 chars)';
	UPDATE node SET name = replace(name, 'sk_l... (28', 'sk_l...Kb (28')
	WHERE id IN (SELECT credential FROM finding);
	DELETE FROM meta WHERE key = 'previews_4'"
ext=$(db_sql "SELECT n.ext_id FROM node n JOIN finding f
	ON f.credential = n.id WHERE f.preview LIKE 'sk_l%'")
db_dump >"$T/dump6.sql"
check "an older database holds a 6-character preview" has "$T/dump6.sql" \
	"sk_l...Kb"
check "read-only, its credential shows 4 of them" sh -c \
	'"$NHIR" show "$1" >"$0/show.txt" && grep -q "name: *api-key sk_l... (28 chars)" "$0/show.txt" &&
	! grep -q "Kb" "$0/show.txt"' "$T" "$ext"
check "so does its blast radius" sh -c \
	'"$NHIR" blast --format json "$1" >"$0/blast.json" && ! grep -q "Kb" "$0/blast.json"' "$T" "$ext"
shortens() {
	"$NHIR" findings list >"$T/list2.txt" && hasnt "$T/list2.txt" "Kb" &&
		db_dump >"$T/dump4.sql" && hasnt "$T/dump4.sql" "sk_l...Kb"
}
check "the first command that writes shortens what is stored" shortens
check "the finding's preview" test "$(db_sql \
	"SELECT preview FROM finding WHERE preview LIKE 'sk_l%'")" = "sk_l... (28 chars)"
check "and its credential's name" test "$(db_sql \
	"SELECT name FROM node WHERE ext_id = '$ext'")" = "api-key sk_l... (28 chars)"
check "once: the database is marked" test "$(db_sql \
	"SELECT value FROM meta WHERE key = 'previews_4'")" = 1
# on PostgreSQL, what nhir keeps beside the database is as private: the
# folder of $NHIR_FILES, the fingerprint key, the evidence and its folder
if on_pg; then
	"$NHIR" user add lena --role lead >/dev/null
	"$NHIR" --as lena incident declare --title private --severity high \
		--lead lena >/dev/null
	echo "collected" >"$T/ev.txt"
	check "evidence is added under umask 022" "$NHIR" --as lena evidence \
		add INC-1 "$T/ev.txt" --source s3
	check "the folder of NHIR_FILES is 0700" \
		test "$(stat -c %a "$NHIR_FILES")" = 700
	check "the fingerprint key is 0600" test "$(stat -c %a "$(db_key)")" = 600
	check "the evidence folder is 0700" \
		test "$(stat -c %a "$(db_evidence)")" = 700
	check "the evidence is 0400" sh -c \
		'test "$(stat -c %a "$0"/*)" = 400' "$(db_evidence)"
fi

done_testing
