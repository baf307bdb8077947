#!/bin/sh
# nhir hunt: the records of some keys straight from raw logs, with the
# same answer as a full ingest followed by usage.
. tests/cli/lib.sh

CT=examples/telemetry/cloudtrail
K=AKIAEXAMPLEDEPLOY01
A="$T/a.db" B="$T/b.db"
"$NHIR" --db "$A" init >/dev/null
"$NHIR" --db "$B" init >/dev/null

# same_answer NAME KEY PATH: hunt and ingest+usage print the same
same_answer() {
	rm -f "$T/s1.db"* "$T/s2.db"*
	"$NHIR" --db "$T/s1.db" init >/dev/null &&
	"$NHIR" --db "$T/s1.db" ingest cloudtrail "$3" >/dev/null 2>&1
	"$NHIR" --db "$T/s1.db" usage --all "$2" >"$T/$1.want" || return 1
	"$NHIR" --db "$T/s2.db" init >/dev/null &&
	"$NHIR" --db "$T/s2.db" hunt --all cloudtrail "$2" "$3" \
		>"$T/$1.got" 2>"$T/$1.err" || return 1
	diff "$T/$1.want" "$T/$1.got" >&2
}

check "hunt answers as ingest and usage do" same_answer ex "$K" "$CT"
check "and says what it searched" has "$T/ex.err" "records of 5 keys (4 minted or created)"
check "json" sh -c '"$NHIR" --db "$0" hunt --format json cloudtrail \
	AKIAEXAMPLEDEPLOY01 examples/telemetry/cloudtrail 2>/dev/null |
	python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d[\"keys\"][0][\"keys\"])==5, d"' "$B"
check "hunting again stores nothing twice" sh -c \
	'"$NHIR" --db "$0" hunt cloudtrail AKIAEXAMPLEDEPLOY01 examples/telemetry/cloudtrail 2>&1 >/dev/null | grep -q "; 0 events stored ("' "$B"
check "a later ingest still reads every file" sh -c \
	'"$NHIR" --db "$0" ingest cloudtrail examples/telemetry/cloudtrail | grep -q "^2 files ingested, 0 already ingested"' "$B"
check "and each record is stored once" sh -c \
	'test "$(sqlite3 "$0" "SELECT count(*) FROM event")" = 12' "$B"
check "the hunt is in the audit log" sh -c \
	'sqlite3 "$0" "SELECT action FROM audit" | grep -qx hunt' "$B"

# a session used in a file read before the one that mints it
mkdir "$T/late"
printf '%s\n' '{"eventTime":"2024-06-01T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"u1","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIAHUNTLATESESSION1","arn":"arn:aws:sts::111122223333:assumed-role/r/s"}}' >"$T/late/1-use.jsonl"
printf '%s\n' '{"eventTime":"2024-06-01T08:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","eventID":"m1","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAHUNTROOTKEY00001","arn":"arn:aws:iam::111122223333:user/u"},"responseElements":{"credentials":{"accessKeyId":"ASIAHUNTLATESESSION1","sessionToken":"t","expiration":"2024-06-01T20:00:00Z"}}}' \
	'{"eventTime":"2024-06-01T08:05:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"o1","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAOTHERKEY00000001","arn":"arn:aws:iam::111122223333:user/o"}}' >"$T/late/2-mint.jsonl"
gzip -k "$T/late/2-mint.jsonl"
mv "$T/late/2-mint.jsonl.gz" "$T/late/3-copy.jsonl.gz"
check "a session found late is searched for in files read before" \
	same_answer late AKIAHUNTROOTKEY00001 "$T/late"
check "its use is found" has "$T/late.got" "ASIAHUNTLATESESSION1"
check "in a second pass" has "$T/late.err" "2 passes"
check "records of other keys are not stored" sh -c \
	'test "$(sqlite3 "$0" "SELECT count(*) FROM event")" = 2' "$T/s2.db"
check "a file without the keys leaves no trace" sh -c \
	'"$NHIR" --db "$0" init >/dev/null; "$NHIR" --db "$0" hunt cloudtrail AKIANOWHERE000000001 "$1" >"$1.out" 2>&1; grep -q "not in the logs searched" "$1.out" && test "$(sqlite3 "$0" "SELECT count(*) FROM source_file")" = 0' "$T/n.db" "$T/late"
check "no path is a usage error" exits 2 "$NHIR" --db "$B" hunt cloudtrail "$K" "$T/nope"
check "no key is a usage error" exits 2 "$NHIR" --db "$B" hunt cloudtrail "$CT"
check "an unknown format is a usage error" exits 2 "$NHIR" --db "$B" hunt syslog "$K" "$CT"
printf '{"Records":[{"eventTime":"2024-06-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","userIdentity":{"accessKeyId":"AKIAHUNTCUT000000001"}}' >"$T/cut.json"
check "a file cut short is rejected, named" exits 1 "$NHIR" --db "$B" hunt cloudtrail AKIAHUNTCUT000000001 "$T/cut.json"
check "with its offset" has "$T/last.err" "cut.json: byte"

# a file read with a key in it is indexed, and a later pass looks at
# its prints before reading it again for a session found late: read
# when they may hold it (and it is there), not when they cannot (the
# keys share the bytes the index tests, as AWS key ids do)
mkdir "$T/prints"
pr_use='{"eventTime":"2024-06-01T09:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"p-use","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIAHUNTLATESESSION1","arn":"arn:aws:sts::111122223333:assumed-role/r/s"}}'
pr_root='{"eventTime":"2024-06-01T07:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"ID","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIAHUNTROOTSESSION1","arn":"arn:aws:sts::111122223333:assumed-role/r/s0"}}'
printf '%s\n%s\n' "$(echo "$pr_root" | sed 's/"ID"/"p-r1"/')" "$pr_use" \
	>"$T/prints/1-both.jsonl"
echo "$pr_root" | sed 's/"ID"/"p-r2"/' >"$T/prints/1-root.jsonl"
printf '%s\n' '{"eventTime":"2024-06-01T08:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"p-mint","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIAHUNTROOTSESSION1","arn":"arn:aws:sts::111122223333:assumed-role/r/s0"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r","roleSessionName":"s"},"responseElements":{"credentials":{"accessKeyId":"ASIAHUNTLATESESSION1","sessionToken":"t","expiration":"2024-06-01T20:00:00Z"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s"}}}' \
	>"$T/prints/2-mint.jsonl"
check "prints of files read: hunt answers as ingest and usage do" \
	same_answer prints ASIAHUNTROOTSESSION1 "$T/prints"
check "the use in a file indexed before is found" has "$T/prints.got" \
	"ASIAHUNTLATESESSION1"
check "both files read before are searched again" has "$T/prints.err" \
	"hunt: 5 files,"
check "in two passes" has "$T/prints.err" "2 passes"

# files named for their delivery minute, as CloudTrail names them: one
# delivered before a session was minted is not read again for it
mkdir "$T/named"
use='{"eventTime":"2024-06-01T09:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"n-use","userIdentity":{"type":"AssumedRole","accessKeyId":"ASIAHUNTNAMEDSESS001","arn":"arn:aws:sts::111122223333:assumed-role/r/s"}}'
printf '{"Records":[%s]}' "$use" \
	>"$T/named/111122223333_CloudTrail_ap-south-1_20240601T0915Z_u.json"
printf '{"Records":[%s]}' '{"eventTime":"2024-06-01T06:55:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"n-old","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAHUNTNAMEDROOT001","arn":"arn:aws:iam::111122223333:user/u"}}' \
	>"$T/named/111122223333_CloudTrail_us-east-1_20240601T0700Z_a.json"
printf '{"Records":[%s]}' '{"eventTime":"2024-06-01T08:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","eventID":"n-mint","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAHUNTNAMEDROOT001","arn":"arn:aws:iam::111122223333:user/u"},"responseElements":{"credentials":{"accessKeyId":"ASIAHUNTNAMEDSESS001","sessionToken":"t","expiration":"2024-06-01T20:00:00Z"}}}' \
	>"$T/named/111122223333_CloudTrail_us-east-1_20240601T0805Z_b.json"
# named with a time, but not by CloudTrail: what the time means is unknown
printf '{"Records":[%s]}' "$(printf '%s' "$use" | sed 's/n-use/n-use3/')" \
	>"$T/named/0-export_20240601T0700Z_u.json"
check "named files: hunt answers as ingest and usage do" \
	same_answer named AKIAHUNTNAMEDROOT001 "$T/named"
check "the session's use delivered later is found" has "$T/named.got" \
	"ASIAHUNTNAMEDSESS001"
check "a file delivered before the minting is not read again" \
	has "$T/named.err" "hunt: 6 files,"

# a session used before the record that mints it, in the same file,
# and after it
mkdir "$T/order"
printf '%s\n' "$(printf '%s' "$use" | sed 's/NAMED/ORDER/g')" \
	"$(sed 's/^{"Records":\[//; s/\]}$//; s/NAMED/ORDER/g' \
		"$T/named/111122223333_CloudTrail_us-east-1_20240601T0805Z_b.json")" \
	"$(printf '%s' "$use" | sed 's/NAMED/ORDER/g; s/n-use/n-use2/; s/09:10/09:20/')" \
	>"$T/order/one.jsonl"
check "out of order in one file: hunt answers as ingest and usage do" \
	same_answer order AKIAHUNTORDERROOT001 "$T/order"
check "and finds the use before the minting" has "$T/order.got" \
	"ASIAHUNTORDERSESS001"

# a .gz cut short is rejected as an ingest rejects it
mkdir "$T/gz"
gzip -c "$T/late/2-mint.jsonl" | head -c 60 >"$T/gz/cut.jsonl.gz"
check "a .gz cut short is rejected" exits 1 "$NHIR" --db "$B" hunt \
	cloudtrail AKIAHUNTROOTKEY00001 "$T/gz"
check "named, with why" grep -q "cut.jsonl.gz: byte .*truncated" "$T/last.err"

# a key cut by the boundary of the pieces a file is read and searched
# in (256 KiB), in a plain file and a .gz
mkdir "$T/big"
python3 - "$T/big/cut.jsonl" <<'EOF'
import json, sys
rec = lambda i, key: json.dumps({"eventTime": "2024-06-01T08:%02d:00Z" % (i % 60),
    "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "eventID": "b%d" % i,
    "userIdentity": {"type": "IAMUser", "accessKeyId": key,
    "arn": "arn:aws:iam::111122223333:user/u"}}, separators=(",", ":")) + "\n"
out, i = "", 0
key = rec(0, "AKIAHUNTBOUNDARY0001")
while len(out) < 262144 - 2000:
    out += rec(i, "AKIAOTHERKEY%08d" % i); i += 1
# blank lines up to where the key's 8th byte is the first of a piece
out += "\n" * (262144 - 7 - key.index("AKIAHUNTBOUNDARY0001") - len(out)) + key
assert out.index("AKIAHUNTBOUNDARY0001") == 262144 - 7
out += "".join(rec(i + 1 + j, "AKIAOTHERKEY%08d" % j) for j in range(300))
open(sys.argv[1], "w").write(out)
EOF
gzip -c "$T/big/cut.jsonl" >"$T/big/copy.jsonl.gz"
check "a key across the boundary of the pieces searched is found" \
	same_answer big AKIAHUNTBOUNDARY0001 "$T/big"
check "in both files" has "$T/big.err" "2 records of 1 keys (0 minted or created) in 2 files"

# a file cut short while the hunt searches it (mapped): read again as it
# is now, not a crash (gdb cuts it at the first search)
mkdir "$T/bus"
head -n 1 "$T/late/2-mint.jsonl" >"$T/bus/f.jsonl"
first=$(wc -c <"$T/bus/f.jsonl")
for i in $(seq 4000); do sed -n 2p "$T/late/2-mint.jsonl"; done >>"$T/bus/f.jsonl"
"$NHIR" --db "$T/bus.db" init >/dev/null
# (LeakSanitizer cannot run under gdb)
ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -nx -ex 'set breakpoint pending on' \
	-ex 'handle SIGBUS nostop noprint pass' \
	-ex 'break nhir_litscan_find' -ex run \
	-ex "shell truncate -s $first $T/bus/f.jsonl" -ex 'delete' \
	-ex continue --args "$NHIR" --db "$T/bus.db" hunt cloudtrail \
	AKIAHUNTROOTKEY00001 "$T/bus" >"$T/bus.gdb" 2>&1 </dev/null
check "gdb stopped the hunt at its first search" grep -q \
	"Breakpoint 1, nhir_litscan_find" "$T/bus.gdb"
check "the file cut short is read as it is now" has "$T/bus.gdb" \
	"hunt: 1 files, 0.0 MB searched"
check "with its key" has "$T/bus.gdb" \
	"1 records of 2 keys (1 minted or created) in 1 files"
check "and the hunt ends well" has "$T/bus.gdb" "exited normally"

# two files or more: the next one is loaded and searched on a second
# thread; a file cut short while that thread searches it is read again
mkdir "$T/bus2"
cp "$T/late/2-mint.jsonl" "$T/bus2/a.jsonl"
for i in $(seq 4000); do sed -n 2p "$T/late/2-mint.jsonl"; done >>"$T/bus2/a.jsonl"
sed -n 2p "$T/late/2-mint.jsonl" >"$T/bus2/b.jsonl"
"$NHIR" --db "$T/bus2.db" init >/dev/null
ASAN_OPTIONS=detect_leaks=0 gdb -q -batch -nx -ex 'set breakpoint pending on' \
	-ex 'handle SIGBUS nostop noprint pass' \
	-ex 'break nhir_litscan_find' -ex run \
	-ex "shell truncate -s $first $T/bus2/a.jsonl" -ex 'delete' \
	-ex continue --args "$NHIR" --db "$T/bus2.db" hunt cloudtrail \
	AKIAHUNTROOTKEY00001 "$T/bus2" >"$T/bus2.gdb" 2>&1 </dev/null
check "the first search is on the second thread" grep -q \
	"Thread 2 .* hit Breakpoint 1, nhir_litscan_find" "$T/bus2.gdb"
check "the file it was cut under is read as it is now" has "$T/bus2.gdb" \
	"hunt: 2 files, 0.0 MB searched"
check "with its key, the other file left alone" has "$T/bus2.gdb" \
	"1 records of 2 keys (1 minted or created) in 1 files"
check "and that hunt ends well" has "$T/bus2.gdb" "exited normally"

# sessions minted each from the one before, in one file after another:
# the next file is searched ahead before the session it holds joined
mkdir "$T/chain"
for k in 1 2 3 4 5 6; do
	src=$(printf 'ASIAHUNTCHAINSESS%03d' "$k")
	[ "$k" = 1 ] && src=AKIAHUNTCHAINROOT001
	dst=$(printf 'ASIAHUNTCHAINSESS%03d' $((k + 1)))
	printf '{"eventTime":"2024-06-01T0%s:00:00Z","eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventID":"c%s","userIdentity":{"type":"AssumedRole","accessKeyId":"%s","arn":"arn:aws:sts::111122223333:assumed-role/r/s%s"},"requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/r","roleSessionName":"s%s"},"responseElements":{"credentials":{"accessKeyId":"%s","sessionToken":"t","expiration":"2024-06-01T20:00:00Z"},"assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/r/s%s"}}}\n' \
		"$k" "$k" "$src" "$k" $((k + 1)) "$dst" $((k + 1)) >"$T/chain/$k.jsonl"
done
check "a chain of sessions file after file: hunt answers as ingest and usage do" \
	same_answer chain AKIAHUNTCHAINROOT001 "$T/chain"
check "every session of the chain is found" has "$T/chain.err" \
	"6 records of 7 keys (6 minted or created) in 6 files"

# the second thread also cuts the records of a file it found a key in;
# every shape of file, and one broken after good records, as when the
# hunt cuts them itself
mkdir "$T/shapes"
r1='{"eventTime":"2024-06-01T08:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"ID","userIdentity":{"type":"IAMUser","accessKeyId":"AKIAHUNTSHAPES000001","arn":"arn:aws:iam::111122223333:user/u"}}'
rec() { echo "$r1" | sed "s/\"ID\"/\"$1\"/"; }
printf '\357\273\277 { "Records" : [ %s ,\n %s ] }' "$(rec s1)" "$(rec s2)" \
	>"$T/shapes/a.json"
printf '[\n  %s,\n  %s\n]\n' "$(rec s3)" "$(rec s4)" >"$T/shapes/b.json"
printf '%s\n%s\n' "$(rec s5)" "$(rec s6)" >"$T/shapes/c.jsonl"
printf '{"Events":[%s]}' "$(rec s7)" >"$T/shapes/d.json"
check "records cut on the second thread: hunt answers as ingest and usage do" \
	same_answer shapes AKIAHUNTSHAPES000001 "$T/shapes"
check "in every shape" has "$T/shapes.err" "7 records of 1 keys"
printf '{"Records":[%s,%s,{"eventTime":1,]}' "$(rec s8)" "$(rec s9)" \
	>"$T/shapes/e.json"
"$NHIR" --db "$T/e1.db" init >/dev/null
"$NHIR" --db "$T/e1.db" hunt cloudtrail AKIAHUNTSHAPES000001 \
	"$T/shapes/e.json" >/dev/null 2>"$T/e1.err"
"$NHIR" --db "$T/e2.db" init >/dev/null
"$NHIR" --db "$T/e2.db" hunt cloudtrail AKIAHUNTSHAPES000001 \
	"$T/shapes" >/dev/null 2>"$T/e2.err"
check "a file broken after good records is rejected at its byte" has \
	"$T/e1.err" "e.json: byte 473: file rejected: mismatched ']'"
check "the same when the second thread cut its good records" has \
	"$T/e2.err" "e.json: byte 473: file rejected: mismatched ']'"

# the same answer on real CloudTrail, for its busiest key
if [ -d "$NHIR_DATA/invictus-aws-stratus-cloudtrail/CloudTrail" ]; then
	D=$NHIR_DATA/invictus-aws-stratus-cloudtrail/CloudTrail
	check "invictus: hunt answers as ingest and usage do" \
		same_answer inv AKIATFQR7NSC8Q4X20BJ "$D"
	check "invictus: with what the key minted" sh -c \
		'test "$(grep -c "issued by\|created by" "$0")" -ge 10' "$T/inv.got"
else
	echo "ok $((n + 1)) - invictus data # SKIP absent"
	n=$((n + 1))
fi
done_testing
