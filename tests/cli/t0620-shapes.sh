#!/bin/sh
# Logs in the shapes responders hold: a byte order mark, a record twice
# in one file, a README among the logs, many problems, honest summaries.
. tests/cli/lib.sh

ct=examples/telemetry/cloudtrail
"$NHIR" init >/dev/null

# A UTF-8 byte order mark, on JSON Lines and on a delivery file
mkdir "$T/bom"
printf '\357\273\277' | cat - $ct/after-exposure.jsonl >"$T/bom/a.jsonl"
printf '\357\273\277' | cat - $ct/delivery.json | gzip >"$T/bom/d.json.gz"
check "a byte order mark is skipped" exits 0 "$NHIR" ingest cloudtrail "$T/bom"
check "and every record is read" has "$T/last.out" "2 files ingested, 0 already ingested, 0 rejected; 12 events (0 stored before)"
printf '%s\n' '{"created_at":1714550460000,"action":"public_key.create","actor":"deploy-bot[bot]","actor_ip":"198.51.100.1","hashed_token":"AAAAfakehashedtoken="}' >"$T/gh.jsonl"
for f in k8s-audit:tests/data/k8s-audit/tokenrequest.jsonl \
	 vault-audit:tests/data/vault-audit/tokens.jsonl \
	 github-audit:"$T/gh.jsonl"; do
	printf '\357\273\277' | cat - "${f#*:}" >"$T/bom-${f%%:*}.json"
	check "${f%%:*}: a byte order mark is skipped" \
		exits 0 "$NHIR" ingest "${f%%:*}" "$T/bom-${f%%:*}.json"
done
printf '\357\273\277not json\n' >"$T/bom-bad.json"
check "a byte order mark before text that is not JSON is still rejected" \
	exits 1 "$NHIR" ingest cloudtrail "$T/bom-bad.json"

# One record twice in the same file counts once
db_drop
"$NHIR" init >/dev/null
r='{"eventTime":"2024-06-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","userIdentity":{"accessKeyId":"AKIAEXAMPLEREPEAT01"},"sourceIPAddress":"198.51.100.9"'
printf '%s\n' "$r,\"eventID\":\"e1\"}" "$r,\"eventID\":\"e2\"}" "$r,\"eventID\":\"e1\"}" "$r}" "$r}" "$r,\"eventID\":\"e3\"}" >"$T/rep.jsonl"
check "a record repeated in its file is stored once" sh -c \
	'"$NHIR" ingest cloudtrail "$0/rep.jsonl" >"$0/rep.txt"' "$T"
check "and said so" has "$T/rep.txt" "; 4 events (0 stored before, 2 repeated in their file)"
check "usage counts it once" sh -c \
	'"$NHIR" usage --format json AKIAEXAMPLEREPEAT01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"keys\"][0][\"events\"]==4, d"'
check "the event table holds it once" test \
	"$(db_sql "SELECT count(*) FROM event")" = 4
check "timeline lists it once" sh -c \
	'test "$("$NHIR" timeline AKIAEXAMPLEREPEAT01 | grep -c GetObject)" = 4'
# equal calls within one second, distinct records: all kept
printf '%s\n' "$r,\"eventID\":\"f1\"}" "$r,\"eventID\":\"f2\"}" "$r,\"x\":1}" >"$T/distinct.jsonl"
check "distinct records are never folded" sh -c \
	'"$NHIR" ingest cloudtrail "$0/distinct.jsonl" | grep -q "; 3 events (0 stored before)"' "$T"

# Duplicates from this very run are not "stored before"
db_drop
"$NHIR" init >/dev/null
mkdir "$T/twice"
cp $ct/delivery.json "$T/twice/a.json"
sed 's/^ /  /' $ct/delivery.json >"$T/twice/b.json"
check "a fresh database with the same records in two files" sh -c \
	'"$NHIR" ingest cloudtrail "$0/twice" >"$0/tw.txt"' "$T"
check "says they were in another file read now" has "$T/tw.txt" "(0 stored before, 5 also in another file read now)"
cp $ct/delivery.json "$T/c.json"
printf ' ' >>"$T/c.json"
check "a later run says stored before" sh -c \
	'"$NHIR" ingest cloudtrail "$0/c.json" | grep -q "0 events (5 stored before)"' "$T"

# A rolled-back file changes no lineage, and says none
db_drop
"$NHIR" init >/dev/null
head -c 1500 $ct/delivery.json >"$T/cut.json"
grep -q CreateAccessKey "$T/cut.json" || head -c 3000 $ct/delivery.json >"$T/cut.json"
check "a file cut short is rejected" exits 1 "$NHIR" ingest cloudtrail "$T/cut.json"
check "and its lineage is not counted" has "$T/last.out" "0 records skipped, 0 lineage changes"
check "nor stored" test "$(db_sql "SELECT count(*) FROM edge")" = 0

# A README and a .gitignore among the logs: reported, skipped, partial
db_drop
"$NHIR" init >/dev/null
mkdir "$T/logs"
cp $ct/after-exposure.jsonl "$T/logs/"
printf '# CloudTrail export\n\nFrom the console.\n' >"$T/logs/README.md"
printf '*.db\n' >"$T/logs/.gitignore"
printf '{"awsAccountId":"111122223333","digestStartTime":"2024-05-01T00:00:00Z","digestEndTime":"2024-05-01T01:00:00Z","logFiles":[]}\n' | gzip >"$T/logs/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240501T010000Z.json.gz"
check "files that are not logs make the run partial (4), not an error" \
	exits 4 "$NHIR" ingest cloudtrail "$T/logs"
check "the logs are ingested" has "$T/last.out" "1 files ingested, 0 already ingested, 0 rejected, 2 skipped (not read), 1 digest files skipped; 7 events"
check "the README is named" has "$T/last.err" "README.md: byte 0: file skipped: not cloudtrail: not JSON"
check "the digest is not a problem" hasnt "$T/last.err" "Digest_us-east-1"
check "the hidden file is named" has "$T/last.err" "logs/.gitignore: byte 0: skipped: hidden, not read"
check "json says so" sh -c \
	'"$NHIR" ingest --format json cloudtrail "$0/logs" | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"files_skipped\"]==2 and d[\"digests_skipped\"]==1 and not d[\"complete\"], d"' "$T"
check "a file named on the command line that is not a log is an error" \
	exits 1 "$NHIR" ingest cloudtrail "$T/logs/README.md"

# An AWSLogs tree holds digests beside the logs: expected, not partial
db_drop
"$NHIR" init >/dev/null
mkdir -p "$T/awslogs/CloudTrail" "$T/awslogs/CloudTrail-Digest"
cp $ct/after-exposure.jsonl "$T/awslogs/CloudTrail/"
cp "$T"/logs/*Digest*.json.gz "$T/awslogs/CloudTrail-Digest/"
check "digests alone do not make the run partial" \
	exits 0 "$NHIR" ingest cloudtrail "$T/awslogs"
check "the digest is counted" has "$T/last.out" "1 files ingested, 0 already ingested, 0 rejected, 1 digest files skipped; 7 events"
check "a digest named on the command line is an error" \
	exits 1 "$NHIR" ingest cloudtrail "$T"/awslogs/CloudTrail-Digest/*Digest*.json.gz

# Every problem, or the count of the rest and the flag that shows them
i=0
: >"$T/many.jsonl"
while [ $i -lt 25 ]; do
	printf '%s\n' "$r,\"eventID\":\"m$i\"}" '{"eventTime": nope' >>"$T/many.jsonl"
	i=$((i + 1))
done
check "25 bad lines are partial" exits 4 "$NHIR" ingest cloudtrail "$T/many.jsonl"
check "ten are printed" sh -c 'test "$(grep -c "record skipped" "$0/last.err")" = 10' "$T"
check "and the count of the rest with the flag" has "$T/last.err" "... and 15 more problems; --all-problems prints every one"
printf ' ' >>"$T/many.jsonl"
check "--all-problems prints them all" exits 4 "$NHIR" ingest --all-problems cloudtrail "$T/many.jsonl"
check "all 25" sh -c 'test "$(grep -c "record skipped" "$0/last.err")" = 25' "$T"
check "and no count of the rest" hasnt "$T/last.err" "more problems"
printf '  ' >>"$T/many.jsonl"
check "--all-problems in json" sh -c \
	'"$NHIR" ingest --format json --all-problems cloudtrail "$0/many.jsonl" | python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d[\"problems\"])==25 and d[\"problems_total\"]==25, d"' "$T"

done_testing
