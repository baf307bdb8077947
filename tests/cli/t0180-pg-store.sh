#!/bin/sh
# The store conformance suite (tests/store/) against PostgreSQL, on a
# throwaway cluster (tests/lib-pg.sh), and the CLI on it: a DSN selects
# the backend, an unknown scheme is an error, no message shows the
# DSN's password; telemetry, usage and lineage answer as on SQLite.
# Nothing is skipped: a contract skipped as not implemented fails.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/lib-pg.sh

pg_start || exit 1
# the side files (fingerprint key, evidence, run locks) of a server's database
export NHIR_FILES="$T/files"
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
		-e 's/^not ok [0-9]* # SKIP \(.*\)$/not ok - '"$t"': \1 skipped on postgresql/p' \
		"$T/$t.tap"
	if grep '^# not yet implemented' "$T/$t.tap" | sed "s/^# /# $t: /" |
		grep .; then
		echo "not ok - $t skips a part on postgresql"
		failed=1
	fi
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

# telemetry on both backends: the same commands, the same answers
sq="$T/same.db"
"$NHIR" --db "$sq" init --fixed-clock >/dev/null
both() {	# NAME COMMAND...: COMMAND's output on PostgreSQL and on SQLite
	_b=$1
	shift
	"$NHIR" "$@" >"$T/$_b.pg" 2>&1 && "$NHIR" --db "$sq" "$@" >"$T/$_b.sq" 2>&1
}
mkdir "$T/again"
sed 's/^ /  /' examples/telemetry/cloudtrail/delivery.json >"$T/again/delivery.json"
sed 's/$/  /' examples/telemetry/cloudtrail/after-exposure.jsonl | gzip >"$T/again/x.jsonl.gz"
check "events are ingested" both ingest ingest cloudtrail examples/telemetry/cloudtrail
check "as on SQLite" cmp "$T/ingest.pg" "$T/ingest.sq"
check "the same records from other files are stored once" both again \
	ingest cloudtrail "$T/again"
check "and counted as stored before, as on SQLite" sh -c \
	"grep -q '0 events (12 stored before)' '$T/again.pg' && cmp '$T/again.pg' '$T/again.sq'"
check "usage answers" both usage usage --exposed-at 2024-05-01T09:00:00Z \
	AKIAEXAMPLEDEPLOY01
check "usage shows what was minted and new sources" sh -c \
	"grep -q 'AKIAEXAMPLEBACKDOOR  (created by AKIAEXAMPLEDEPLOY01' '$T/usage.pg' &&
	 grep -q 'new after exposure' '$T/usage.pg'"
check "usage is SQLite's" cmp "$T/usage.pg" "$T/usage.sq"
check "usage json is SQLite's" both usagej usage --format json AKIAEXAMPLEDEPLOY01
check "(compared)" cmp "$T/usagej.pg" "$T/usagej.sq"
check "the timeline is SQLite's" both timeline timeline AKIAEXAMPLEDEPLOY01
check "(compared)" cmp "$T/timeline.pg" "$T/timeline.sq"
check "a near miss is suggested" sh -c \
	"! '$NHIR' usage AKIAEXAMPLEDEPLOY0 >$T/near.out 2>$T/near.err;
	 grep -q AKIAEXAMPLEDEPLOY01 $T/near.out $T/near.err"

# end facts (deletions, deactivations) with the file and record that
# told them: the blast at a time after them is SQLite's
edb=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_ended/')
"$NHIR" --db "$edb" init --fixed-clock >/dev/null
"$NHIR" --db "$T/ended.db" init --fixed-clock >/dev/null
check "ended things are ingested" sh -c \
	"'$NHIR' --db '$edb' ingest cloudtrail tests/data/cloudtrail-ended >'$T/ended.pg' &&
	 '$NHIR' --db '$T/ended.db' ingest cloudtrail tests/data/cloudtrail-ended >'$T/ended.sq' &&
	 cmp '$T/ended.pg' '$T/ended.sq'"
check "their end facts are SQLite's" sh -c \
	"'$NHIR' --db '$edb' blast AKIAEXAMPLELEAKED001 --at 2024-05-01T11:30:00Z >'$T/eb.pg' &&
	 '$NHIR' --db '$T/ended.db' blast AKIAEXAMPLELEAKED001 --at 2024-05-01T11:30:00Z >'$T/eb.sq' &&
	 grep -q 'deleted by DeleteRole' '$T/eb.pg' && cmp '$T/eb.pg' '$T/eb.sq'"

# the sums usage keeps, with 256 events and more, files read back in time
python3 tests/cli/gen_kept.py "$T/kept"
kdb=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_kept/')
"$NHIR" --db "$kdb" init >/dev/null
"$NHIR" --db "$T/kept.db" init >/dev/null
check "kept files are ingested, reaching back in time" sh -c \
	"for f in 3 1 2 0; do '$NHIR' --db '$kdb' ingest cloudtrail $T/kept/kept-\$f.json &&
	 '$NHIR' --db '$T/kept.db' ingest cloudtrail $T/kept/kept-\$f.json || exit 1; done >/dev/null"
kept_sql="SELECT p.s, name, via, created, minted, events, failed, notable,
	flags, first, last, concurrent, concurrent_first, tail_time, i.s, rolled
	FROM key_use LEFT JOIN str p ON p.id = parent
	LEFT JOIN str i ON i.id = tail_ip ORDER BY coalesce(p.s, ''), 2, 3;
SELECT k.s, i.s, a.s, first, last, count FROM key_source
	JOIN str k ON k.id = key LEFT JOIN str i ON i.id = ip
	LEFT JOIN str a ON a.id = ua
	ORDER BY 1, coalesce(i.s, ''), coalesce(a.s, '');
SELECT k.s, a.s, count, failed FROM key_action
	JOIN str k ON k.id = key LEFT JOIN str a ON a.id = action
	ORDER BY 1, coalesce(a.s, '');"
"$PG_BIN/psql" -X -q -At -F '|' -h "$PG_SOCK" -U nhir -d nhir_kept \
	-c "$kept_sql" >"$T/kept.pg" 2>&1
sqlite3 -bail "$T/kept.db" "$kept_sql" >"$T/kept.sq" 2>&1
check "sources and actions are rolled up" sh -c \
	"grep -q '^AKIAKEPTROOT0000001|' '$T/kept.pg' && test \$(wc -l <'$T/kept.pg') -gt 100"
check "every kept sum is SQLite's" cmp "$T/kept.pg" "$T/kept.sq"
check "the events partition by year" sh -c \
	"'$PG_BIN/psql' -X -At -h '$PG_SOCK' -U nhir -d nhir_kept -c \
	 \"SELECT count(*) FROM event_2024\" | grep -qx '[1-9][0-9]*'"
# a database from before migration 13, whose events kept their
# records' SHA-256, and had no key_identity: the column goes, the
# table is filled, the events stay and answer the same
kpsql() {
	"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$PG_SOCK" -U nhir \
		-d nhir_kept -c "$1"
}
ki_sql="SELECT i.s || ' ' || coalesce(k.s, '-') FROM key_identity
	JOIN str i ON i.id = identity LEFT JOIN str k ON k.id = key ORDER BY 1"
sqlite3 "$T/kept.db" "$ki_sql" >"$T/ki.sq"
kpsql "$ki_sql" >"$T/ki0.pg"
check "ingest keeps the keys of each identity as on SQLite" sh -c \
	"test -s '$T/ki.sq' && cmp '$T/ki0.pg' '$T/ki.sq'"
kpsql "SELECT count(*) FROM event" >"$T/kept.n"
check "an older database is made" kpsql \
	"ALTER TABLE event ADD COLUMN sha256 BYTEA;
	 UPDATE event SET sha256 = sha256(int8send(id));
	 DROP TABLE key_identity;
	 DELETE FROM schema_version WHERE version >= 13"
check "is migrated" sh -c "'$NHIR' --db '$kdb' init >/dev/null &&
	'$NHIR' --db '$kdb' usage AKIAKEPTROOT0000001 >'$T/kept-usage.pg'"
check "without the records' hashes" test \
	"$(kpsql "SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'event' AND column_name = 'sha256'")" = 0
check "with every event" test "$(kpsql "SELECT count(*) FROM event")" = "$(cat "$T/kept.n")"
kpsql "$ki_sql" >"$T/ki.pg"
check "with the keys of each identity (migration 14), as SQLite's" sh -c \
	"test -s '$T/ki.pg' && cmp '$T/ki.pg' '$T/ki.sq'"
check "answering as SQLite" sh -c \
	"'$NHIR' --db '$T/kept.db' usage AKIAKEPTROOT0000001 | cmp - '$T/kept-usage.pg'"

# the side files of a server's database are in NHIR_FILES
printf 'CloudTrail export\n' >"$T/ct.txt"
sha=$(sha256sum "$T/ct.txt" | cut -c1-64)
check "evidence is added" sh -c \
	"'$NHIR' --as lena evidence add INC-1 '$T/ct.txt' --source s3 >/dev/null"
check "into NHIR_FILES, by its hash" cmp "$T/ct.txt" "$T/files/nhir-evidence/$sha"
check "and verifies" "$NHIR" evidence verify 1
check "an export over a side file is refused" exits 1 "$NHIR" evidence \
	export 1 --to "$T/files/nhir-evidence/x" --force
check "NHIR_FILES must be an absolute path" sh -c \
	"! NHIR_FILES=rel '$NHIR' incident list 2>$T/rel.err &&
	 grep -q 'not an absolute path' $T/rel.err"

echo "1..$n"
exit $failed
