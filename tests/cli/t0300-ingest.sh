#!/bin/sh
# nhir ingest, usage and timeline on the CloudTrail fixtures.
. tests/cli/lib.sh

"$NHIR" init --fixed-clock >/dev/null
check "ingest a directory" sh -c \
	'"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >"$0/i.txt"' "$T"
check "summary counts files and events" has "$T/i.txt" "2 files ingested, 0 already ingested, 0 rejected; 12 events"
check "ingesting again adds nothing" sh -c \
	'"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail | grep -q "0 files ingested, 2 already ingested"'
check "json summary" sh -c \
	'"$NHIR" ingest --format json cloudtrail examples/telemetry/cloudtrail | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"files_already_ingested\"]==2 and d[\"complete\"]"'
mkdir "$T/again"
sed 's/^ /  /' examples/telemetry/cloudtrail/delivery.json >"$T/again/delivery.json"
sed 's/$/  /' examples/telemetry/cloudtrail/after-exposure.jsonl | gzip >"$T/again/x.jsonl.gz"
check "the same records in other files are stored once" sh -c \
	'"$NHIR" ingest cloudtrail "$0/again" >"$0/a.txt"' "$T"
check "and counted as stored before" has "$T/a.txt" "2 files ingested, 0 already ingested, 0 rejected; 0 events (12 stored before)"
check "the event table holds each record once" test \
	"$(db_sql "SELECT count(*) FROM event")" = 12
check "files record their time span and duplicates" test \
	"$(db_sql "SELECT sum(duplicates), count(first) FROM source_file")" = "12|4"
r='{"eventTime":"2024-06-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"accessKeyId":"AKIAEXAMPLEDUPS0001"}'
printf '%s\n' "$r,\"eventID\":\"e1\"}" "$r,\"eventID\":\"e2\"}" "$r}" >"$T/d1.jsonl"
printf '%s\n' "$r,\"eventID\":\"e2\"}" "$r}" "$r,\"eventID\":\"e3\"}" "$r, \"x\":1}" >"$T/d2.jsonl"
check "equal calls in one second are distinct events" sh -c \
	'"$NHIR" ingest cloudtrail "$0/d1.jsonl" | grep -q "; 3 events (0 stored before)"' "$T"
check "a record is known by its eventID, else by its bytes" sh -c \
	'"$NHIR" ingest cloudtrail "$0/d2.jsonl" | grep -q "; 2 events (2 stored before)"' "$T"
# by its bytes: the first 8 bytes of their SHA-256, as stores made
# when each event kept its record's hash have it
db_sql "SELECT e.offset, e.len, e.uid FROM event e JOIN source_file f
	ON f.id = e.file WHERE f.path LIKE '%d1.jsonl' ORDER BY e.offset" >"$T/uids"
check "the uid of a record without eventID is its bytes' hash" python3 -c '
import hashlib, sys
b = open(sys.argv[1], "rb").read()
rows = [l.split("|") for l in open(sys.argv[2]).read().split()]
assert len(rows) == 3, rows
off, n, uid = map(int, rows[2])
h = int.from_bytes(hashlib.sha256(b[off:off + n]).digest()[:8], "big", signed=True)
assert b[off:off + n].endswith(b"}") and b"eventID" not in b[off:off + n]
assert uid == h, (uid, h)
assert all(int(r[2]) != h for r in rows[:2])
' "$T/d1.jsonl" "$T/uids"
check "list formats" sh -c '"$NHIR" ingest --list | grep -q "^cloudtrail"'
check "unknown format is a usage error" exits 2 "$NHIR" ingest syslog x

printf '%s\n' '{"eventTime":"2024-05-02T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"accessKeyId":"AKIAEXAMPLEDEPLOY01"}}' \
	'{"eventTime": nope' >"$T/partial.jsonl"
check "skipped records exit 4" exits 4 "$NHIR" ingest cloudtrail "$T/partial.jsonl"
check "the skipped record is located" has "$T/last.err" "partial.jsonl: byte"
printf '%s\n' '{"eventTime": nope' \
	'{"eventTime":"2024-05-02T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"accessKeyId":"AKIAEXAMPLEFIRSTBAD1"},"eventID":"first-bad-2"}' >"$T/first-bad.jsonl"
check "a bad first line of JSON Lines is one skipped record" exits 4 "$NHIR" ingest cloudtrail "$T/first-bad.jsonl"
check "and the rest is ingested" has "$T/last.out" "1 files ingested, 0 already ingested, 0 rejected; 1 events"
check "the skip is located" has "$T/last.err" "first-bad.jsonl: byte 14: record skipped"
printf '{"eventTime": nope\n  "eventSource": "x"\n}\n' >"$T/pretty-bad.json"
check "a malformed document is still rejected whole" exits 1 "$NHIR" ingest cloudtrail "$T/pretty-bad.json"
printf 'not json\n' >"$T/bad.json"
check "a rejected file exits 1" exits 1 "$NHIR" ingest cloudtrail "$T/bad.json"
check "and says why" has "$T/last.err" "file rejected: not cloudtrail"
check "a missing path is an error" exits 1 "$NHIR" ingest cloudtrail "$T/nope"

check "usage" sh -c \
	'"$NHIR" usage --exposed-at 2024-05-01T09:00:00Z AKIAEXAMPLEDEPLOY01 >"$0/u.txt"' "$T"
check "usage flags the new source" has "$T/u.txt" "198.51.100.7"
check "usage flags it as after exposure" has "$T/u.txt" "[new after exposure]"
check "usage shows concurrent use" has "$T/u.txt" "concurrent use from different addresses"
check "usage shows minted sessions" has "$T/u.txt" "ASIAEXAMPLECHAINED  (issued by ASIAEXAMPLESESSION1"
check "usage shows created keys" has "$T/u.txt" "AKIAEXAMPLEBACKDOOR  (created by AKIAEXAMPLEDEPLOY01"
check "usage json" sh -c \
	'"$NHIR" usage --format json AKIAEXAMPLEDEPLOY01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d[\"keys\"])==5, d"'

check "timeline" sh -c '"$NHIR" timeline AKIAEXAMPLEDEPLOY01 >"$0/t.txt"' "$T"
check "timeline includes what minted keys did" has "$T/t.txt" "s3:GetObject"
check "timeline is in time order" sh -c \
	'cut -c1-20 "$0/t.txt" | sort -c' "$T"
check "timeline window" sh -c \
	'test "$("$NHIR" timeline --since 2024-05-01T10:00:00Z AKIAEXAMPLEDEPLOY01 | wc -l)" = 8'
check "timeline json has provenance" sh -c \
	'"$NHIR" timeline --format json AKIAEXAMPLEDEPLOY01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert all(e[\"offset\"]>=0 and e[\"file\"]>0 for e in d[\"events\"])"'
check "blast shows persistence" sh -c \
	'NHIR_NOW=2024-05-01T10:35:00Z "$NHIR" blast AKIAEXAMPLEDEPLOY01 | grep -q "Persistence: keys, users and roles created with them (2)"'
db_dump >"$T/dump.sql"
check "no secret reaches the database" hasnt "$T/dump.sql" \
	"IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
done_testing
