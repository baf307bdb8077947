#!/bin/sh
# What usage keeps per key (doc/internals/usage.md): the kept sums and
# the events give the same answer, key by key, whatever order the files
# were read in, and migration 7 fills the same sums for an older store.
. tests/cli/lib.sh
D=${NHIR_DATA:-../shared/data}
ROOTKEY=AKIAKEPTROOT0000001

python3 tests/cli/gen_kept.py "$T/kept"
"$NHIR" --db "$T/a.db" init >/dev/null
"$NHIR" --db "$T/b.db" init >/dev/null
check "ingest the files" sh -c \
	'"$NHIR" --db "$0/a.db" ingest cloudtrail "$0/kept" >/dev/null' "$T"
check "ingest them one at a time, reaching back in time" sh -c \
	'for f in 3 1 2 0; do "$NHIR" --db "$0/b.db" ingest cloudtrail "$0/kept/kept-$f.json" >/dev/null || exit 1; done' "$T"

kept() {	# DB: every kept sum and lineage row, by name
	sqlite3 -bail "$1" "SELECT p.s, name, via, created, minted, events,
		failed, notable, flags, first, last, concurrent,
		concurrent_first, tail_time, i.s, rolled FROM key_use
		LEFT JOIN str p ON p.id = parent LEFT JOIN str i ON i.id = tail_ip
		ORDER BY 1, 2, 3;
	SELECT k.s, i.s, a.s, first, last, count FROM key_source
		JOIN str k ON k.id = key LEFT JOIN str i ON i.id = ip
		LEFT JOIN str a ON a.id = ua ORDER BY 1, 2, 3;
	SELECT k.s, a.s, count, failed FROM key_action
		JOIN str k ON k.id = key LEFT JOIN str a ON a.id = action
		ORDER BY 1, 2"
}
check "keys with 256 events or more keep their sources and actions" test \
	"$(sqlite3 "$T/a.db" "SELECT group_concat(s) FROM key_use JOIN str ON str.id = key WHERE rolled ORDER BY s")" = \
	"$ROOTKEY,ASIAKEPTSESS0000004"
check "the root key's concurrent uses are counted" test \
	"$(sqlite3 "$T/a.db" "SELECT concurrent > 100 FROM key_use JOIN str ON str.id = key WHERE s = '$ROOTKEY'")" = 1
kept "$T/a.db" >"$T/a.kept"
ka=$?
kept "$T/b.db" >"$T/b.kept"
check "the sums can be read" test "$ka$?" = 00
check "files read in either order keep the same sums" cmp "$T/a.kept" "$T/b.kept"
check "a row for each key the root minted" test "$(sqlite3 "$T/a.db" \
	"SELECT count(*) FROM key_use WHERE parent = (SELECT id FROM str WHERE s = '$ROOTKEY')")" = 77

# same DB KEY: usage from the sums and from the events (a window that
# holds them all) print the same bytes
same() {
	"$NHIR" --db "$1" usage --all --format json "$2" >"$T/sum.json" &&
	"$NHIR" --db "$1" usage --all --format json \
		--since 1970-01-01T00:00:00Z "$2" >"$T/read.json" &&
	cmp "$T/sum.json" "$T/read.json" || {
		echo "$1: usage of $2 differs" >&2
		return 1
	}
}
every() {	# DB: same for every key that signed an event
	for k in $(sqlite3 "$1" "SELECT s FROM key_use JOIN str ON str.id = key ORDER BY s"); do
		same "$1" "$k" || return 1
	done
}
check "every key: the sums and the events agree" every "$T/a.db"
check "and on the store read out of order" every "$T/b.db"
check "with an exposure time too" sh -c \
	'"$NHIR" --db "$0/a.db" usage --all --format json --exposed-at 2024-07-01T12:00:00Z '$ROOTKEY' >"$0/e1.json" &&
	 "$NHIR" --db "$0/a.db" usage --all --format json --exposed-at 2024-07-01T12:00:00Z --since 1970-01-01T00:00:00Z '$ROOTKEY' >"$0/e2.json" &&
	 cmp "$0/e1.json" "$0/e2.json"' "$T"

"$NHIR" --db "$T/a.db" usage $ROOTKEY >"$T/u.txt"
check "past 64 minted keys, each is in summary" has "$T/u.txt" \
	"78 minted keys in summary; --all shows each one's sources"
check "a summary gives counts and times" has "$T/u.txt" \
	"300 events, 0 failed, first 2024-07-01T01:34:15Z, last 2024-07-01T04:11:48Z; concurrent use 133 times"
check "and the kinds of notable calls" has "$T/u.txt" "1 notable (minted)"
check "a chained session is under the one that minted it" has "$T/u.txt" \
	"    ASIAKEPTCHAINED0001  (issued by ASIAKEPTSESS0000009"
check "the root's notable calls are the first 50 of them" has "$T/u.txt" \
	"notable (the first 50 of 155):"
check "json: the root in detail, minted keys in summary" sh -c \
	'"$NHIR" --db "$0/a.db" usage --format json '$ROOTKEY' | python3 -c "
import json, sys
k = json.load(sys.stdin)[\"keys\"]
assert len(k) == 79 and k[0][\"detail\"] and len(k[0][\"notable\"]) == 50, k[0]
assert all(not x[\"detail\"] and \"sources\" not in x for x in k[1:])
c = [x for x in k if x[\"key\"] == \"ASIAKEPTCHAINED0001\"][0]
assert c[\"depth\"] == 2 and c[\"minted_by\"] == \"ASIAKEPTSESS0000009\", c
assert [x for x in k if x[\"key\"] == \"ASIAKEPTSESS0000009\"][0][\"notable_kinds\"] == [\"minted\"]
"' "$T"
check "--all: every key in detail" sh -c \
	'"$NHIR" --db "$0/a.db" usage --all --format json '$ROOTKEY' | python3 -c "
import json, sys
k = json.load(sys.stdin)[\"keys\"]
assert len(k) == 79 and all(x[\"detail\"] and \"sources\" in x for x in k)
"' "$T"
check "timeline follows the same lineage" sh -c \
	'"$NHIR" --db "$0/a.db" timeline ASIAKEPTSESS0000009 | grep -q "ASIAKEPTCHAINED0001"' "$T"

# a store from before migration 7: the migration fills the same sums
cp "$T/a.db" "$T/c.db"
sqlite3 "$T/c.db" "DROP TABLE key_use; DROP TABLE key_source;
	DROP TABLE key_action; DROP INDEX event_notable;
	ALTER TABLE plan_step DROP COLUMN cuts; DROP TABLE node_end;
	ALTER TABLE plan_step DROP COLUMN entry;
	ALTER TABLE plan_step DROP COLUMN digest;
	DROP INDEX approval_step; DROP TABLE setting;
	DROP TABLE IF EXISTS webhook_cursor; DROP TABLE IF EXISTS webhook_delivery;
	DROP TABLE IF EXISTS ssf_stream; DROP TABLE IF EXISTS ssf_set;
	DROP TABLE IF EXISTS ssf_received; DROP TABLE IF EXISTS ssf_subject;
	ALTER TABLE approval DROP COLUMN digest; ALTER TABLE approval DROP COLUMN seq;
	ALTER TABLE approval DROP COLUMN entry; ALTER TABLE approval DROP COLUMN reversible;
	ALTER TABLE approval DROP COLUMN withdrawn;
	ALTER TABLE approval DROP COLUMN withdrawn_why;
	DROP TABLE IF EXISTS audit_checkpoint; DROP TABLE IF EXISTS audit_rows_before;
	DROP TABLE IF EXISTS api_token; DROP TABLE IF EXISTS token_key;
	DROP TABLE IF EXISTS user_password; DROP TABLE IF EXISTS session;
	DROP TABLE IF EXISTS witness_checkpoint;
	DROP INDEX IF EXISTS note_incident; DROP INDEX IF EXISTS decision_incident;
	DROP INDEX IF EXISTS task_incident; DROP INDEX IF EXISTS evidence_incident;
	DROP INDEX IF EXISTS custody_evidence;
	DELETE FROM meta WHERE key = 'log_id';
	DROP TABLE key_identity; CREATE INDEX event_identity ON event(identity, time);
	DROP INDEX node_leaf;
	ALTER TABLE event ADD COLUMN sha256 BLOB;
	UPDATE event SET sha256 = randomblob(32);
	PRAGMA user_version = 6"
check "an older store is migrated" sh -c \
	'"$NHIR" --db "$0/c.db" init | grep -q "schema $(sqlite3 "$0/a.db" "PRAGMA user_version")"' "$T"
kept "$T/c.db" >"$T/c.kept"
check "and keeps what ingest would have kept" test "$?" = 0
check "the same sums" cmp "$T/a.kept" "$T/c.kept"
check "its events lose their records' hashes (migration 21), none else" test \
	"$(sqlite3 "$T/c.db" "SELECT count(*) FROM pragma_table_info('event') WHERE name = 'sha256';
		SELECT count(*) FROM event")" = "$(printf '0\n%s' "$(sqlite3 "$T/a.db" 'SELECT count(*) FROM event')")"
check "and answers the same" every "$T/c.db"

if [ -d "$D/invictus-aws-stratus-cloudtrail/CloudTrail" ]; then
	"$NHIR" --db "$T/i.db" init >/dev/null
	check "Invictus CloudTrail" sh -c \
		'"$NHIR" --db "$0/i.db" ingest cloudtrail '"$D"'/invictus-aws-stratus-cloudtrail/CloudTrail >/dev/null' "$T"
	check "Invictus: every key, the sums and the events agree" every "$T/i.db"
else
	echo "# skip: $D/invictus-aws-stratus-cloudtrail absent"
fi
done_testing
