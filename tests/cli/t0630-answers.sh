#!/bin/sh
# Answers that cannot be misread: a reference nhir has never seen is an
# error naming the nearest known ids, never "no events"; an identity
# stands for the credentials acting as it; timeline names its records.
. tests/cli/lib.sh

ct=examples/telemetry/cloudtrail
"$NHIR" init >/dev/null
"$NHIR" ingest cloudtrail $ct >/dev/null

for cmd in usage timeline show blast; do
	check "$cmd: a mistyped key is an unknown credential (exit 1)" \
		exits 1 "$NHIR" $cmd AKIAEXAMPLEDEPLOY0l
	check "$cmd: says so" has "$T/last.err" "unknown credential 'AKIAEXAMPLEDEPLOY0l'"
	check "$cmd: and names the nearest known id" has "$T/last.err" "  AKIAEXAMPLEDEPLOY01"
	check "$cmd: never 'no events'" hasnt "$T/last.out" "no events"
	check "$cmd: a lowercase key is unknown too" \
		exits 1 "$NHIR" $cmd akiaexampledeploy01
	check "$cmd: with the key it differs from by case" has "$T/last.err" "  AKIAEXAMPLEDEPLOY01"
done
check "nothing near: said so" exits 1 "$NHIR" usage zzzz-nothing-like-it
check "with what usage takes" has "$T/last.err" "no known id is near it"
check "json usage of an unknown key writes no JSON that reads as unused" \
	exits 1 "$NHIR" usage --format json AKIAEXAMPLEDEPLOY0l
check "stdout is empty" test ! -s "$T/last.out"
check "a known key still answers" exits 0 "$NHIR" usage AKIAEXAMPLEDEPLOY01

# an identity: the credentials that act as it, and their use
check "usage of an IAM user ARN" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:user/ci-deployer
check "lists the credentials acting as it" has "$T/last.out" \
	"arn:aws:iam::111122223333:user/ci-deployer: an identity; 2 credentials act as it"
check "with their use" has "$T/last.out" "8 events, 1 failed"
check "and what they minted" has "$T/last.out" "ASIAEXAMPLESESSION1  (issued by AKIAEXAMPLEDEPLOY01"
check "usage of a role ARN: its sessions" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:role/deploy
check "the session acting as the role" has "$T/last.out" "ASIAEXAMPLESESSION1"
check "json of an identity" sh -c \
	'"$NHIR" usage --format json arn:aws:iam::111122223333:user/ci-deployer | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"identity\"].endswith(\"user/ci-deployer\") and d[\"credentials\"][0][\"keys\"][0][\"key\"]==\"AKIAEXAMPLEDEPLOY01\" and d[\"credentials\"][0][\"keys\"][0][\"events\"]==8, d"'
check "timeline of an identity is its credentials' timeline" sh -c \
	'test "$("$NHIR" timeline arn:aws:iam::111122223333:user/ci-deployer | wc -l)" = "$("$NHIR" timeline AKIAEXAMPLEDEPLOY01 ASIAEXAMPLESESSION2 | wc -l)"'
printf '%s\n' '{"type":"node","kind":"identity","id":"arn:aws:iam::111122223333:user/auditor","name":"auditor"}' >"$T/inv.jsonl"
"$NHIR" import nhir "$T/inv.jsonl" >/dev/null
check "an identity no credential acts as says so" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:user/auditor
check "plainly" has "$T/last.out" "no credential is known to act as it"

# Kubernetes users and Vault entities, as events name them
"$NHIR" ingest k8s-audit tests/data/k8s-audit/tokenrequest.jsonl >/dev/null
"$NHIR" ingest vault-audit tests/data/vault-audit/tokens.jsonl >/dev/null
check "a Kubernetes user as the audit log names it" exits 0 \
	"$NHIR" usage system:serviceaccount:ci:deployer
check "the credential acting as it" has "$T/last.out" "1 credential acts as it"
check "with its use" has "$T/last.out" "4 events, 1 failed"
check "a Vault entity: the tokens acting as it" exits 0 \
	"$NHIR" usage vault:entity:ent-ci
check "with their use" has "$T/last.out" "vault:hmac-sha256:"
check "a Vault name only events know, with no token" exits 0 \
	"$NHIR" usage vault:ci
check "is an identity no credential is known to act as" has "$T/last.out" "no credential is known to act as it"

# timeline names the file and byte offset; JSON gives the path
check "timeline text names file and offset" sh -c \
	'"$NHIR" timeline AKIAEXAMPLEDEPLOY01 >"$0/t.txt"' "$T"
check "each line has its file" sh -c \
	'test "$(grep -c "(examples/telemetry/cloudtrail/[a-z.-]*json[l]*, byte [0-9]*)$" "$0/t.txt")" = "$(wc -l <"$0/t.txt")"' "$T"
check "the offset is the record's" sh -c \
	'l=$(grep "iam:CreateUser" "$0/t.txt"); f=$(echo "$l" | sed "s/.*(\(.*\), byte \([0-9]*\))$/\1/"); o=$(echo "$l" | sed "s/.*, byte \([0-9]*\))$/\1/"); tail -c +$((o + 1)) "$f" | head -c 400 | grep -q "\"eventName\": *\"CreateUser\""' "$T"
check "timeline json gives the path" sh -c \
	'"$NHIR" timeline --format json AKIAEXAMPLEDEPLOY01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert all(e[\"path\"].startswith(\"examples/telemetry/cloudtrail/\") for e in d[\"events\"]), d"'

# Sources by address, user agents beneath; the provider's own callers
# are never a new address nor concurrent use
python3 - "$T/int.jsonl" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
def rec(i, t, ip, ua, name="GetSecretValue", src="secretsmanager.amazonaws.com"):
    out.write(json.dumps({"eventVersion": "1.08", "eventID": "int-%d" % i,
        "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIAEXAMPLEINTERNAL",
                         "arn": "arn:aws:iam::111122223333:user/svc"},
        "eventTime": t, "eventSource": src, "eventName": name,
        "sourceIPAddress": ip, "userAgent": ua, "awsRegion": "us-east-1"}) + "\n")
# before exposure: the key's own address, two user agents
rec(1, "2024-05-01T08:00:00Z", "203.0.113.10", "aws-cli/2.15.0")
rec(2, "2024-05-01T08:00:10Z", "203.0.113.10", "Boto3/1.34.0")
# after exposure: the same address with a new agent (not a new address),
# the provider acting for it within seconds (neither new nor concurrent)
rec(3, "2024-05-01T10:00:00Z", "203.0.113.10", "python-requests/2.31")
rec(4, "2024-05-01T10:00:05Z", "AWS Internal", "AWS Internal")
rec(5, "2024-05-01T10:00:08Z", "203.0.113.10", "aws-cli/2.15.0")
rec(6, "2024-05-01T10:00:20Z", "secretsmanager.amazonaws.com", "secretsmanager.amazonaws.com")
rec(7, "2024-05-01T10:00:30Z", "203.0.113.10", "aws-cli/2.15.0")
# and one truly new address
rec(8, "2024-05-01T11:00:00Z", "198.51.100.77", "curl/8.5.0")
PY
"$NHIR" --db "$T/int.db" init >/dev/null
"$NHIR" --db "$T/int.db" ingest cloudtrail "$T/int.jsonl" >/dev/null
check "usage of a key with internal callers" exits 0 \
	"$NHIR" --db "$T/int.db" usage --exposed-at 2024-05-01T09:00:00Z AKIAEXAMPLEINTERNAL
cp "$T/last.out" "$T/int.txt"
check "one address is new after exposure" sh -c \
	'test "$(grep -c "new after exposure" "$0/int.txt")" = 1' "$T"
check "the new one is the new address" sh -c \
	'grep "new after exposure" "$0/int.txt" | grep -q "198.51.100.77"' "$T"
check "a new user agent on a known address is not a new address" sh -c \
	'! grep "203.0.113.10" "$0/int.txt" | grep -q "new after"' "$T"
check "the address lists its user agents beneath" sh -c \
	'grep -A3 "^    203.0.113.10 .* 5 calls" "$0/int.txt" | grep -q "Boto3/1.34.0"' "$T"
check "AWS Internal is the provider's own" sh -c \
	'grep "^    AWS Internal" "$0/int.txt" | grep -q "the provider'"'"'s own"' "$T"
check "so is a *.amazonaws.com caller" sh -c \
	'grep "^    secretsmanager.amazonaws.com" "$0/int.txt" | grep -q "the provider'"'"'s own"' "$T"
check "the provider's calls are not concurrent use" hasnt "$T/int.txt" "concurrent use"
check "json groups by address" sh -c \
	'"$NHIR" --db "$0/int.db" usage --format json --exposed-at 2024-05-01T09:00:00Z AKIAEXAMPLEINTERNAL | python3 -c "
import json,sys
d=json.load(sys.stdin); k=d[\"keys\"][0]
a={x[\"ip\"]: x for x in k[\"addresses\"]}
assert len(a)==4, a
assert a[\"203.0.113.10\"][\"count\"]==5 and len(a[\"203.0.113.10\"][\"user_agents\"])==3 and not a[\"203.0.113.10\"][\"after_exposure\"]
assert a[\"AWS Internal\"][\"internal\"] and not a[\"AWS Internal\"][\"after_exposure\"]
assert a[\"198.51.100.77\"][\"after_exposure\"]
assert k[\"concurrent\"]==0, k
"' "$T"
check "over a window, the same answer" sh -c \
	'"$NHIR" --db "$0/int.db" usage --since 2024-01-01T00:00:00Z --exposed-at 2024-05-01T09:00:00Z AKIAEXAMPLEINTERNAL | diff - "$0/int.txt"' "$T"
# a real second address within a minute is still concurrent use
printf '%s\n' '{"eventID":"int-9","userIdentity":{"accessKeyId":"AKIAEXAMPLEINTERNAL","arn":"arn:aws:iam::111122223333:user/svc"},"eventTime":"2024-05-01T11:00:30Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","sourceIPAddress":"203.0.113.10","userAgent":"aws-cli/2.15.0"}' >"$T/int2.jsonl"
"$NHIR" --db "$T/int.db" ingest cloudtrail "$T/int2.jsonl" >/dev/null
check "two addresses of the caller's within a minute are concurrent" sh -c \
	'"$NHIR" --db "$0/int.db" usage AKIAEXAMPLEINTERNAL | grep -q "concurrent use from different addresses: 1 times"' "$T"

# A session calling from the address its parent key has used all along
# brings no new address; a session's own new address still counts
python3 - "$T/lin.jsonl" <<'PY'
import json, sys
out = open(sys.argv[1], "w")
def rec(i, t, key, ip, name, extra=None):
    r = {"eventVersion": "1.08", "eventID": "lin-%d" % i,
         "userIdentity": {"type": "IAMUser", "accessKeyId": key,
                          "arn": "arn:aws:iam::111122223333:user/svc"},
         "eventTime": t, "eventSource": "sts.amazonaws.com", "eventName": name,
         "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.0", "awsRegion": "us-east-1"}
    if extra:
        r.update(extra)
    out.write(json.dumps(r) + "\n")
rec(1, "2024-05-01T08:00:00Z", "AKIAEXAMPLELINEAGE1", "203.0.113.10", "GetCallerIdentity")
rec(2, "2024-05-01T10:00:00Z", "AKIAEXAMPLELINEAGE1", "203.0.113.10", "GetSessionToken",
    {"responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLELINEAGE1",
        "expiration": "May 1, 2024, 10:00:00 PM", "sessionToken": "x"}}})
rec(3, "2024-05-01T10:05:00Z", "ASIAEXAMPLELINEAGE1", "203.0.113.10", "GetCallerIdentity")
rec(4, "2024-05-01T10:06:00Z", "ASIAEXAMPLELINEAGE1", "198.51.100.99", "GetCallerIdentity")
PY
"$NHIR" --db "$T/lin.db" init >/dev/null
"$NHIR" --db "$T/lin.db" ingest cloudtrail "$T/lin.jsonl" >/dev/null
check "usage over a lineage" exits 0 "$NHIR" --db "$T/lin.db" usage --all \
	--format json --exposed-at 2024-05-01T09:00:00Z AKIAEXAMPLELINEAGE1
check "the session is in the lineage" has "$T/last.out" '"ASIAEXAMPLELINEAGE1"'
check "the parent key's old address is not new for its session" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = [k for k in d["keys"] if k["key"] == "ASIAEXAMPLELINEAGE1"][0]
a = {x["ip"]: x for x in s["addresses"]}
assert not a["203.0.113.10"]["after_exposure"], a
assert a["198.51.100.99"]["after_exposure"], a
' "$T/last.out"

# The Invictus attacking key used one address: one new address, not 109
inv=${NHIR_DATA:-../shared/data}/invictus-aws-stratus-cloudtrail/CloudTrail
if [ -d "$inv" ]; then
	"$NHIR" --db "$T/inv.db" init >/dev/null
	"$NHIR" --db "$T/inv.db" ingest cloudtrail "$inv" >/dev/null
	check "invictus: usage of the attacking key" exits 0 "$NHIR" --db "$T/inv.db" \
		usage --format json --exposed-at 2023-07-10T11:50:00Z AKIATFQR7NSC8Q4X20BJ
	check "invictus: one address, new after exposure, 130 agents beneath" \
		python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["keys"][0]; a=k["addresses"]; assert len(a)==1 and a[0]["ip"]=="192.168.10.20" and a[0]["after_exposure"] and a[0]["count"]==2104 and len(a[0]["user_agents"])==130, [(x["ip"], x["count"]) for x in a]' "$T/last.out"
	check "invictus: sessions use the key's address, not a new one" exits 0 \
		"$NHIR" --db "$T/inv.db" usage --all --format json \
		--exposed-at 2023-07-10T12:00:00Z AKIATFQR7NSC8Q4X20BJ
	check "invictus: no session's address is new after the key's" \
		python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); a=[(k["key"], x["ip"]) for k in d["keys"] for x in k["addresses"] if x["after_exposure"]]; n=sum(1 for k in d["keys"][1:] for x in k["addresses"] if x["ip"]=="192.168.10.20"); assert n >= 5 and not a, (n, a)' "$T/last.out"
	check "invictus: the user ARN lists the key and its 2,104 events" exits 0 \
		"$NHIR" --db "$T/inv.db" usage arn:aws:iam::123837392027:user/bert-jan
	check "invictus: with the key's use" has "$T/last.out" "2104 events, 224 failed"
else
	echo "# skip: $inv is absent"
fi

done_testing
