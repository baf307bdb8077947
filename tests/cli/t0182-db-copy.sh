#!/bin/sh
# nhir db copy: SQLite to PostgreSQL and back (tests/lib-pg.sh starts a
# throwaway cluster).  Rows, ids, the audit chain, evidence and the
# fingerprint key travel; the copy answers as the source; a database
# with rows is never copied into; every table of the schema is copied.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh

pg_start || exit 1
pgdb=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_copy/')
a="$T/a.db"
b="$T/b.db"

# a team's SQLite database: users, an incident, evidence, findings
# (and so the fingerprint key), telemetry, a token, checkpoints
"$NHIR" --db "$a" init >/dev/null
"$NHIR" --db "$a" user add lena --role lead >/dev/null
"$NHIR" --db "$a" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --db "$a" --as lena incident declare --title "moved" \
	--severity high --lead lena >/dev/null
printf 'CloudTrail export\n\twith a tab\\and a backslash\n' >"$T/ev.txt"
"$NHIR" --db "$a" --as lena evidence add INC-1 "$T/ev.txt" --source s3 \
	>/dev/null
"$NHIR" --db "$a" --as lena note INC-1 "quotes ' \" and é" >/dev/null
"$NHIR" --db "$a" findings import generic tests/data/findings/generic.jsonl \
	>/dev/null
"$NHIR" --db "$a" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --db "$a" token create --user lena --scope read >/dev/null 2>&1
# a Shared Signals stream with a SET pending, a subject and a SET
# received, as src/record/ssf.c stores them (t0762 makes them through
# a server, on both backends)
sqlite3 "$a" "INSERT INTO ssf_stream VALUES(1, 'https://rp.example/push',
	'urn:ietf:rfc:8935', 'http://127.0.0.1:9/push', 7, 'the payments RP',
	'enabled', NULL, 12, 1764000000, 'ada', 1764000001);
	INSERT INTO ssf_set(id, stream, seq, jti, event, jws, created, state,
	next_ms) VALUES(1, 1, 12, 'j-1', 'urn:example:ev', 'e.y.j', 1764000002,
	'pending', 1764000002000);
	INSERT INTO ssf_subject VALUES(1, 'opaque:AKIA', 1, NULL, 1764000003,
	'ada');
	INSERT INTO ssf_received VALUES('https://idp.example.org', 'r-1', NULL,
	1764000004)"
check "the source is made" test -f "$a-key"

export NHIR_FILES="$T/pgfiles"
check "copy SQLite to PostgreSQL" sh -c \
	"'$NHIR' db copy --from '$a' --to '$pgdb' --format json >$T/to.json"
check "it says what it copied and verified" python3 -c "
import json, sys
d = json.load(open('$T/to.json'))
assert d['verified'] and d['evidence_files'] == 1 and d['fingerprint_key'], d
assert d['tables']['event'] == 12 and d['tables']['audit'] > 5, d"
check "every table of the schema is copied" sh -c \
	"sqlite3 '$a' \"SELECT name FROM sqlite_master WHERE type = 'table'
	 AND name NOT LIKE 'sqlite_%' ORDER BY 1\" >$T/tables.db &&
	 python3 -c \"import json; print('\\n'.join(sorted(json.load(open('$T/to.json'))['tables'])))\" >$T/tables.copied &&
	 diff $T/tables.db $T/tables.copied"
check "the audit chain verifies on PostgreSQL" "$NHIR" --db "$pgdb" audit verify
check "the Shared Signals stream came along" sh -c \
	"test \"\$('$PG_BIN/psql' -X -At -d '$pgdb' -c \"SELECT s.aud, t.jti,
	 u.subject, r.jti FROM ssf_stream s JOIN ssf_set t ON t.stream = s.id
	 JOIN ssf_subject u ON u.stream = s.id, ssf_received r\")\" = \
	 'https://rp.example/push|j-1|opaque:AKIA|r-1'"
check "the evidence is there and verifies" "$NHIR" --db "$pgdb" evidence verify 1
check "the fingerprint key came along" cmp "$a-key" "$T/pgfiles/nhir-key"
check "usage answers as on SQLite" sh -c \
	"'$NHIR' --db '$a' usage AKIAEXAMPLEDEPLOY01 >$T/u.a &&
	 '$NHIR' --db '$pgdb' usage AKIAEXAMPLEDEPLOY01 >$T/u.pg && cmp $T/u.a $T/u.pg"
check "so do the findings" sh -c \
	"'$NHIR' --db '$a' findings list >$T/f.a &&
	 '$NHIR' --db '$pgdb' findings list >$T/f.pg && cmp $T/f.a $T/f.pg"
check "the note's text is kept" sh -c \
	"'$NHIR' --db '$pgdb' incident show INC-1 | grep -q \"quotes ' \\\" and é\""
check "the copy takes new records after the copied ones" sh -c \
	"'$NHIR' --db '$pgdb' --as lena note INC-1 'after the move' >/dev/null &&
	 '$NHIR' --db '$pgdb' audit verify >/dev/null"

check "a database with rows is not copied into" exits 1 "$NHIR" db copy \
	--from "$a" --to "$pgdb"
check "and says so" has "$T/last.err" "not a new database"
check "and is left as it was" sh -c \
	"'$NHIR' --db '$pgdb' incident show INC-1 | grep -q 'after the move'"
unset NHIR_FILES
check "evidence with no place to go is refused" exits 1 "$NHIR" db copy \
	--from "$a" --to "$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_nofiles/')"
check "naming NHIR_FILES" has "$T/last.err" "NHIR_FILES"
check "before any row is copied" sh -c \
	"test \"\$('$PG_BIN/psql' -X -At -h '$PG_SOCK' -U nhir -d nhir_nofiles \
	 -c 'SELECT count(*) FROM audit')\" = 0"

check "copy PostgreSQL back to SQLite" sh -c \
	"'$NHIR' db copy --from '$pgdb' --from-files '$T/pgfiles' --to '$b' >$T/back.txt"
check "it reports the verification" has "$T/back.txt" "the audit chain"
check "the audit chain verifies on SQLite" "$NHIR" --db "$b" audit verify
check "the evidence verifies" "$NHIR" --db "$b" evidence verify 1
check "the key is beside the file" cmp "$a-key" "$b-key"
rows() {	# DB: every table's rows, sorted
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_master WHERE
		type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"); do
		sqlite3 "$1" "SELECT '$t', * FROM \"$t\""
	done | LC_ALL=C sort
}
# (the audit head and the data's version move on with what was written
# after the move)
rows "$a" | grep -av -e '^meta|audit_head|' -e '^meta|data_gen|' >"$T/rows.a"
rows "$b" >"$T/rows.b"
check "the rows are read" test "$(wc -l <"$T/rows.a")" -gt 80
check "every row of the source is in the round trip" sh -c \
	"LC_ALL=C comm -23 $T/rows.a $T/rows.b >$T/rows.lost; test ! -s $T/rows.lost || { cat $T/rows.lost; LC_ALL=C comm -13 $T/rows.a $T/rows.b; false; }"
check "with the token and the evidence's custody" sh -c \
	"grep -q '^api_token|1|' $T/rows.b && grep -q '^custody|' $T/rows.b"
check "and the Shared Signals stream, SET, subject and jti" sh -c \
	"grep -q '^ssf_stream|1|https://rp.example/push|' $T/rows.b &&
	 grep -q '^ssf_set|1|1|12|j-1|' $T/rows.b &&
	 grep -q '^ssf_subject|1|opaque:AKIA|1||' $T/rows.b &&
	 grep -q '^ssf_received|https://idp.example.org|r-1|' $T/rows.b"
check "usage answers as before" sh -c \
	"'$NHIR' --db '$b' usage AKIAEXAMPLEDEPLOY01 | cmp - $T/u.a"
check "the same database twice is a usage error" exits 2 "$NHIR" db copy \
	--from "$a" --to "$a"
check "db --help" sh -c "'$NHIR' db --help | grep -q '^usage: nhir db copy'"

echo "1..$n"
exit $failed
