#!/bin/sh
# Ingest reads records in batches (a worker parses the next while the
# last is stored) and stores files a group at a time: what a file comes
# to must not depend on either.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
# 6000 records of JSON Lines; four bad ones past the first batches
python3 - "$T/big.jsonl" >"$T/want.err" <<'PY'
import json, sys
out, off = open(sys.argv[1], "w"), 0
for i in range(6000):
    if i in (2500, 5000):
        line = '{"eventTime": nope}'
        print("%s: byte %d: record skipped:" % (sys.argv[1], off + 14))
    elif i == 3000:
        line = json.dumps({"hello": "world"})
        print("%s: byte %d: record skipped:" % (sys.argv[1], off))
    elif i == 4100:
        line = "[1, 2]"
        print("%s: byte %d: record skipped: not a JSON object" % (sys.argv[1], off))
    else:
        line = json.dumps({"eventTime": "2024-06-01T%02d:%02d:%02dZ" % (i // 3600, i // 60 % 60, i % 60),
                           "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                           "eventID": "big-%d" % i, "sourceIPAddress": "192.0.2.%d" % (i % 200),
                           "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIABATCHES%09d" % (i % 7)}})
    out.write(line + "\n")
    off += len(line) + 1
PY
check "a file of many batches with bad records in them" exits 4 \
	"$NHIR" ingest cloudtrail "$T/big.jsonl"
check "every good record is stored" has "$T/last.out" \
	"1 files ingested, 0 already ingested, 0 rejected; 5996 events (0 stored before), 4 records skipped"
cut -d: -f1-3 "$T/last.err" >"$T/got.err"
cut -d: -f1-3 "$T/want.err" >"$T/want3.err"
check "the bad ones are named in file order, at their offsets" \
	cmp "$T/want3.err" "$T/got.err"
check "with the reason of each" has "$T/last.err" "not a JSON object"
check "the events are those of the file" test \
	"$(db_sql 'SELECT count(*), count(DISTINCT "offset") FROM event')" = "5996|5996"

# a rejected file among good ones: the others are kept
mkdir "$T/dir"
head -100 "$T/big.jsonl" >"$T/dir/a.jsonl"
# cut short inside its first record: a broken log, not a README
printf '{"eventTime": "2024-05-01T\n' >"$T/dir/b.jsonl"
sed -n '101,200p' "$T/big.jsonl" | sed 's/big-/dir-/' >"$T/dir/c.jsonl"
"$NHIR" --db "$T/g.db" init >/dev/null
check "a rejected file among good ones" exits 1 \
	"$NHIR" --db "$T/g.db" ingest cloudtrail "$T/dir"
check "is rejected alone" has "$T/last.out" \
	"2 files ingested, 0 already ingested, 1 rejected; 200 events"
check "and the others are stored" test \
	"$(sqlite3 "$T/g.db" "SELECT count(*) FROM event; SELECT count(*) FROM source_file")" = "200
2"
check "ingesting again adds nothing" sh -c \
	'"$NHIR" --db "$0/g.db" ingest cloudtrail "$0/dir/a.jsonl" "$0/dir/c.jsonl" | grep -q "0 files ingested, 2 already ingested"' "$T"

# the first record decides the format, even when the cut reads on
python3 - "$T/first.json" <<'PY'
import json, sys
recs = [{"hello": "world"}] + [{"eventTime": "2024-06-01T00:00:%02dZ" % (i % 60),
        "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
        "userIdentity": {"accessKeyId": "AKIAFIRSTDECIDES001"}} for i in range(1500)]
s = json.dumps({"Records": recs})
open(sys.argv[1], "w").write(s[:-10])	# and it ends early
PY
check "a file whose first record is not this format" exits 1 \
	"$NHIR" ingest cloudtrail "$T/first.json"
check "is rejected for that, not for its end" has "$T/last.err" \
	"first.json: byte 13: file rejected: not cloudtrail"
done_testing
