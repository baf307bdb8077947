#!/bin/sh
# ingest reads a file up to its first record before it hashes the whole
# of it: a huge file that is not the named format is rejected at once,
# and nothing is recorded of it, so the same file named with its right
# format is then read, not refused as one already ingested.
. tests/cli/lib.sh

"$NHIR" init >/dev/null

# 10 GB that start as text and go on as a hole: no disk is used, but
# hashing it all takes many seconds
printf 'this is not a log\n' >"$T/big.log"
truncate -s 10G "$T/big.log"
check "a 10 GB file that is not CloudTrail is rejected at once" \
	exits 1 timeout 5 "$NHIR" ingest cloudtrail "$T/big.log"
check "naming the file, the offset and why" has "$T/last.err" \
	"$T/big.log: byte 0: file rejected: not cloudtrail: not JSON"
# a log of records that are not CloudTrail's, also a hole after them
printf '{"kind": "Event", "apiVersion": "audit.k8s.io/v1"}\n' >"$T/k8s.log"
truncate -s 10G "$T/k8s.log"
check "so is one whose first record is another format's" \
	exits 1 timeout 5 "$NHIR" ingest cloudtrail "$T/k8s.log"
check "saying so" has "$T/last.err" "$T/k8s.log: byte 0: file rejected: not cloudtrail"
check "and import refuses one that large before reading it" \
	exits 1 timeout 5 "$NHIR" import nhir "$T/big.log"
check "saying how large it may be" has "$T/last.err" "is larger than"
# in a directory, it is a file beside the logs, skipped
mkdir "$T/dir"
cp examples/telemetry/cloudtrail/delivery.json "$T/dir/"
ln "$T/big.log" "$T/dir/README"
check "in a directory it is skipped at once (partial, 4)" \
	exits 4 timeout 5 "$NHIR" ingest cloudtrail "$T/dir"
check "the logs beside it are read" has "$T/last.out" \
	"1 files ingested, 0 already ingested, 0 rejected, 1 skipped"
check "said" has "$T/last.err" "README: byte 0: file skipped: not cloudtrail: not JSON"
check "nothing is on record of either file" test \
	"$(db_sql "SELECT count(*) FROM source_file WHERE path LIKE '%big.log' OR path LIKE '%README' OR path LIKE '%k8s.log'")" = 0

# the wrong format first, then the right one: the second run reads it
cp tests/data/k8s-audit/tokenrequest.jsonl "$T/audit.jsonl"
check "a Kubernetes audit log named as CloudTrail is rejected" \
	exits 1 "$NHIR" ingest cloudtrail "$T/audit.jsonl"
check "named as k8s-audit it is read" sh -c \
	'"$NHIR" ingest k8s-audit "$0/audit.jsonl" >"$0/k.out" &&
	grep -q "^1 files ingested, 0 already ingested" "$0/k.out"' "$T"
check "once" test "$(db_sql \
	"SELECT count(*) FROM source_file WHERE path LIKE '%audit.jsonl'")" = 1
done_testing
