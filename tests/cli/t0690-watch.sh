#!/bin/sh
# Watching after containment: an incident contained through the
# simulated provider, then nhir watch following a folder where
# CloudTrail files land.  A use of the revoked key after its cut is an
# alert, on stdout and on the incident's record; a use from before the
# cut is not; a session minted from the revoked key is caught and joins
# the scope as proposed; a malformed file is reported and the watch goes
# on; the verdict is recorded, signed and verifiable.
. tests/cli/lib.sh
. tests/cli/lib-watch.sh
check "contained through the simulated provider" "$NHIR" contain status INC-1
check "the key's revocation is on the record" sh -c \
	'"$NHIR" --as rory verify INC-1 | grep -q "verified   AKIAEXAMPLEDEPLOY01"'
# drop NAME: standard input lands in the folder whole (hidden, renamed)
drop() {
	cat >"$T/logs/AWSLogs/.$1" && mv "$T/logs/AWSLogs/.$1" "$T/logs/AWSLogs/$1"
}

# a file there before the watch starts: a use from before the cut
rec 2024-05-01T10:20:00Z AKIAEXAMPLEDEPLOY01 ListBuckets 198.51.100.7 | drop 01-before.jsonl

check "an observer may not watch" exits 5 "$NHIR" --as otto watch INC-1 --for 5s --dir "$T/logs"
check "a watch needs a folder" exits 2 "$NHIR" --as rory watch INC-1 --for 5s
check "a duration is checked" exits 2 "$NHIR" --as rory watch INC-1 --for 5x --dir "$T/logs"

wpid=
trap '[ -n "$wpid" ] && kill $wpid 2>/dev/null; rm -rf "$T"' EXIT
"$NHIR" --as rory watch INC-1 --for 20s --dir "$T/logs" --sign "$T/key" \
	-o "$T/verdict.json" >"$T/watch.out" 2>"$T/watch.err" &
wpid=$!
check "the watch starts" wait_for "$T/watch.err" "watching INC-1 for 20 s"
sleep 1.5
check "a use from before the cut is no alert" hasnt "$T/watch.out" "01-before.jsonl"
# the sample logs ingested before the watch hold a use of the backdoor
# key after its cut: stored before, a use all the same
check "a use stored before the watch is alerted too" has "$T/watch.out" \
	"ALERT INC-1: AKIAEXAMPLEBACKDOOR used after its cut (2024-05-01T10:35:00Z, revoked)"

# the revoked key used after its cut
rec 2024-05-01T10:40:00Z AKIAEXAMPLEDEPLOY01 ListBuckets 203.0.113.66 | drop 02-after.jsonl
check "a use after the cut is an alert" wait_for "$T/watch.out" "ALERT INC-1: AKIAEXAMPLEDEPLOY01 used after its cut (2024-05-01T10:35:00Z, revoked)"
check "naming the call, the address and the file" has "$T/watch.out" \
	"s3:ListBuckets from 203.0.113.66 (success); $T/logs/AWSLogs/02-after.jsonl byte 0"

# a malformed file: said with its file and offset, the watch goes on
printf '{"Records": [{"eventTime": "2024-05-01T10:45:00Z",' | drop 03-cut-short.json
check "a malformed file is reported with its offset" wait_for "$T/watch.err" \
	"$T/logs/AWSLogs/03-cut-short.json: byte"

# a session minted from the revoked key, then used
{
	rec 2024-05-01T10:41:00Z AKIAEXAMPLEDEPLOY01 GetSessionToken 203.0.113.66 ASIAWATCHSESSION01
	rec 2024-05-01T10:42:00Z ASIAWATCHSESSION01 ListBuckets 203.0.113.66
} | drop 04-minted.jsonl
check "the minted session's use is caught" wait_for "$T/watch.out" \
	"ALERT INC-1: ASIAWATCHSESSION01 used after its cut (2024-05-01T10:35:00Z, inherited)"
check "saying where it comes from" has "$T/watch.out" "it comes from AKIAEXAMPLEDEPLOY01"
check "the watch went on after the malformed file" has "$T/watch.out" "04-minted.jsonl"
check "the session joins the scope as proposed" sh -c \
	'"$NHIR" incident show --format json INC-1 | python3 -c "
import json, sys
s = [x for x in json.load(sys.stdin)[\"scope\"] if x[\"node\"] == \"ASIAWATCHSESSION01\"]
assert s and s[0][\"status\"] == \"proposed\", s"'

kill -TERM $wpid
i=0
while [ $i -lt 100 ] && kill -0 $wpid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
wait $wpid
rc=$?
wpid=
check "the watch ends on SIGTERM, its exit code says uses after cut" test "$rc" = 3
check "the verdict is printed" has "$T/watch.out" "verdict INC-1: uses after cut (4 stored, 4 new alerts)"
check "with the files read and the rejected one" has "$T/watch.out" "3 files read, 1 rejected"
check "the alerts are on the incident's record" sh -c \
	'"$NHIR" incident show INC-1 | grep -c "watch alert: " | grep -qx 4'
check "and on the audit log" sh -c \
	'"$NHIR" audit log --incident INC-1 | grep -c "watch.alert" | grep -qx 4'
check "the verdict is on the record" sh -c \
	'"$NHIR" incident show INC-1 | grep -q "watch verdict: 4 uses after cut; stopped before its period (signal), 1 file rejected"'
check "the verdict file is signed and holds" exits 0 "$NHIR" watch verify "$T/verdict.json" --key "$T/key.pub"
check "saying so, and how it stopped" has "$T/last.out" \
	"uses after cut (4), stopped: signal (stopped before its period (signal); 1 file rejected), signature valid"
check "another key is refused" exits 1 "$NHIR" watch verify "$T/verdict.json" --key "$T/other.pub"
python3 - "$T/verdict.json" "$T/tampered.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["verdict"]["result"] == "uses-after-cut", d
assert d["verdict"]["stopped"] == "signal", d
assert d["verdict"]["files_read"] == 3 and d["verdict"]["files_rejected"] == 1, d
d["verdict"]["result"] = "clean"
d["verdict"]["uses_after_cut"] = 0
json.dump(d, open(sys.argv[2], "w"))
EOF
check "a verdict changed after signing does not hold" exits 1 "$NHIR" watch verify "$T/tampered.json"
check "and says why" has "$T/last.out" "was changed after it was signed"
check "the recorded verdict holds" sh -c \
	'"$NHIR" watch verdicts INC-1 --key "$0/key.pub" | grep -q "uses after cut (4), stopped: signal"' "$T"
check "verdicts as a document" sh -c \
	'"$NHIR" watch verdicts INC-1 --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert d[\"version\"] == 1 and len(d[\"verdicts\"]) == 1 and d[\"verdicts\"][0][\"holds\"], d"'
check "the audit chain is intact" sh -c '"$NHIR" audit verify | grep -q intact'

# a second watch: nothing new arrives, the period elapses.  The uses
# after cut are stored: the verdict counts them (exit 3) without
# alerting them again; the file cut short is still rejected
check "a second watch: the stored uses, no new alert (exit 3)" exits 3 \
	"$NHIR" --as rory watch INC-1 --for 2s --dir "$T/logs" --format json
check "its verdict is a document, the last line" sh -c \
	'tail -1 "$0/last.out" | python3 -c "
import json, sys
d = json.load(sys.stdin)[\"verdict\"]
assert d[\"result\"] == \"uses-after-cut\" and d[\"stopped\"] == \"elapsed\", d
assert d[\"uses_after_cut\"] == 4 and d[\"alerts\"] == 0 and d[\"alerts_before\"] == 4, d
assert d[\"files_read\"] == 0 and d[\"files_already_read\"] == 3, d
assert d[\"incomplete_because\"] == [\"1 file rejected\"], d
k = [x for x in d[\"keys\"] if x[\"key\"] == \"ASIAWATCHSESSION01\"][0]
assert k[\"cut_basis\"] == \"inherited\" and k[\"from\"] == \"AKIAEXAMPLEDEPLOY01\", k"' "$T"
check "the uses alerted before are not alerted again" hasnt "$T/last.out" '"alert"'
check "a verdict file needs no database" exits 0 env NHIR_DB="$T/none.db" \
	"$NHIR" watch verify "$T/verdict.json"
check "and makes none" test ! -e "$T/none.db"
printf '{"verdict": {"result": "clean"}, "signature": {"public_key": "zz", "signature": "00"}}' >"$T/badhex.json"
check "a signature that is not hex does not hold" exits 1 "$NHIR" watch verify "$T/badhex.json"
check "and says why" has "$T/last.out" "not an Ed25519 public key and signature in hex"
printf '{"verdict": ' >"$T/short.json"
check "a verdict cut short is refused, with its offset" exits 1 "$NHIR" watch verify "$T/short.json"
check "naming the file" has "$T/last.err" "$T/short.json: not JSON (byte"
check "a misspelt signing key fails at once" exits 1 "$NHIR" --as rory watch INC-1 --for 1h --dir "$T/logs" --sign "$T/nokey"
check "before a watch starts" sh -c '"$NHIR" audit log --incident INC-1 | grep -c " watch.start " | grep -qx 2'

# an alert as JSON: one object a line
mkdir -p "$T/logs2"
rec 2024-05-01T11:00:00Z AKIAEXAMPLEDEPLOY01 GetObject 203.0.113.67 >"$T/logs2/05-json.jsonl"
check "an alert in JSON" exits 3 "$NHIR" --as rory watch INC-1 --for 3s --dir "$T/logs2" --format json
check "one object a line, the verdict last" sh -c \
	'head -1 "$0/last.out" | python3 -c "
import json, sys
a = json.load(sys.stdin)[\"alert\"]
assert a[\"key\"] == \"AKIAEXAMPLEDEPLOY01\" and a[\"cut_basis\"] == \"revoked\" and a[\"uses\"] == 1 and a[\"cut\"] == \"2024-05-01T10:35:00Z\", a"' "$T"
# a folder more than 16 deep is not looked into: never "clean"
deep=$T/deep
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do deep=$deep/d$i; done
mkdir -p "$deep"
check "a folder too deep to read" exits 3 "$NHIR" --as rory watch INC-1 --for 2s --dir "$T/deep" --format json
check "is counted, and the verdict says it did not see all" sh -c \
	'tail -1 "$0/last.out" | python3 -c "
import json, sys
d = json.load(sys.stdin)[\"verdict\"]
assert d[\"folders_unread\"] == 1 and \"1 folder not read\" in d[\"incomplete_because\"], d"' "$T"
check "and warns, naming it" has "$T/last.err" "d17' not read: more than 16 folders deep"
# a symbolic link is not followed, and not passed over in silence
mkdir -p "$T/linked"
ln -s "$T/logs2/05-json.jsonl" "$T/linked/06-link.jsonl"
check "a folder holding a symbolic link" exits 3 "$NHIR" --as rory watch INC-1 --for 2s --dir "$T/linked" --format json
check "is not clean: the link was not read" sh -c \
	'tail -1 "$0/last.out" | python3 -c "
import json, sys
d = json.load(sys.stdin)[\"verdict\"]
assert d[\"result\"] != \"clean\" and d[\"folders_unread\"] == 1 and \"1 folder not read\" in d[\"incomplete_because\"], d"' "$T"
check "and warns, naming it" has "$T/last.err" "06-link.jsonl' not read: a symbolic link, not followed"
done_testing
