#!/bin/sh
# nhir ingest FORMAT - reads a log from standard input: kept whole in
# an anonymous file before anything is written (a slow writer holds no
# lock), then sniffed, hashed and read like a file named "stdin".
. tests/cli/lib.sh

"$NHIR" init >/dev/null
log=examples/telemetry/cloudtrail/delivery.json

check "a log from standard input is ingested" sh -c \
	'"$NHIR" ingest cloudtrail - <"$1" >"$0/s.out" &&
	grep -q "^1 files ingested, 0 already ingested, 0 rejected; 5 events" "$0/s.out"' "$T" "$log"
check "stored as stdin, with its hash" test "$(db_sql \
	"SELECT path || ' ' || sha256 FROM source_file")" = "stdin $(sha256sum <"$log" | cut -d' ' -f1)"
check "its events point into it" test "$(db_sql \
	"SELECT count(*) FROM event e JOIN source_file f ON f.id = e.file WHERE f.path = 'stdin'")" = 5
check "the same bytes again are already ingested" sh -c \
	'"$NHIR" ingest cloudtrail - <"$1" | grep -q "^0 files ingested, 1 already ingested"' "$T" "$log"
check "compressed, it is read too" sh -c \
	'gzip -c "$1" | "$NHIR" ingest cloudtrail - | grep -q "^1 files ingested.*0 events (5 stored before"' "$T" "$log"
check "beside files named on the line" sh -c \
	'cat "$1" | "$NHIR" ingest cloudtrail - examples/telemetry/cloudtrail/after-exposure.jsonl |
	grep -q "^1 files ingested, 1 already ingested"' "$T" "$log"
check "what is not the format is rejected (1)" sh -c \
	'echo "not a log" | "$NHIR" ingest cloudtrail - 2>"$0/e.txt"; test $? = 1' "$T"
check "naming stdin and the offset" has "$T/e.txt" \
	"stdin: byte 0: file rejected: not cloudtrail: not JSON"
check "an empty input has no records (1)" sh -c \
	'"$NHIR" ingest cloudtrail - </dev/null 2>"$0/e.txt"; test $? = 1' "$T"
check "and said so" has "$T/e.txt" "stdin: byte 0: file rejected: no records"
check "the run is on the audit log" sh -c \
	'"$NHIR" audit log | grep -q "ingest.*\"path\":\"-\""'

# a writer that is slow to send: other writers are not held up
"$NHIR" user add rory --role responder >/dev/null
python3 tests/cli/gen_trail.py "$T/slow.jsonl" 20 0
(sleep 4; cat "$T/slow.jsonl") | "$NHIR" ingest cloudtrail - >"$T/slow.out" 2>&1 &
pid=$!
sleep 1
check "while it waits, another write goes through at once" \
	env NHIR_BUSY_TIMEOUT=1 "$NHIR" user add sam --role observer
wait $pid
check "and the slow input is then ingested" has "$T/slow.out" "1 files ingested"
done_testing
