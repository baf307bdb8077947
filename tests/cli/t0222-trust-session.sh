#!/bin/sh
# Trust that names a role session (arn:aws:sts::ACCT:assumed-role/ROLE/
# SESSION, how IAM Identity Center users are named in trust policies)
# links to that role's sessions; another role's sessions stay out.
. tests/cli/lib.sh

A=111111111111
SSO=arn:aws:iam::$A:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef
RO=arn:aws:iam::$A:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_fedcba9876543210
SESS=arn:aws:sts::$A:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com
role() { # NAME PATH TRUST-PRINCIPAL-JSON
	cat <<JSON
  {"Path": "$2", "RoleName": "$1", "RoleId": "AROA$1",
   "Arn": "arn:aws:iam::$A:role$2$1", "CreateDate": "2024-01-02T10:00:00Z",
   "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": $3, "Action": "sts:AssumeRole"}]},
   "InstanceProfileList": [], "RolePolicyList": [], "AttachedManagedPolicies": [],
   "Tags": [], "RoleLastUsed": {}}
JSON
}
{
	echo '{"UserDetailList": [], "GroupDetailList": [], "Policies": [], "RoleDetailList": ['
	role AWSReservedSSO_Admin_0123456789abcdef /aws-reserved/sso.amazonaws.com/ \
		"{\"Federated\": \"arn:aws:iam::$A:saml-provider/AWSSSO_0000_DO_NOT_DELETE\"}"
	echo ,
	role AWSReservedSSO_ReadOnly_fedcba9876543210 /aws-reserved/sso.amazonaws.com/ \
		"{\"Federated\": \"arn:aws:iam::$A:saml-provider/AWSSSO_0000_DO_NOT_DELETE\"}"
	echo ,
	role break-glass / "{\"AWS\": \"$SESS\"}"
	echo ']}'
} >"$T/authz.json"

"$NHIR" init >/dev/null
check "import" "$NHIR" import aws-authz "$T/authz.json"
"$NHIR" blast "$SSO" >"$T/b.txt"
check "the SSO role's sessions named in the trust reach the role" has "$T/b.txt" \
	"path: $SSO -assumes-> $SESS -assumes-> arn:aws:iam::$A:role/break-glass"
check "the session name is flagged as not evaluated" has "$T/b.txt" \
	"[not evaluated: whether a session of $SSO is named alice@example.com]"
check "another SSO role's sessions do not" sh -c \
	'! "$NHIR" blast '"$RO"' | grep -q break-glass'

# a session of the SSO role seen in CloudTrail (sessionIssuer with the
# role's path) reaches it too
cat >"$T/ct.json" <<JSON
{"Records": [{"eventVersion": "1.08",
 "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLESSO:alice@example.com",
  "arn": "$SESS", "accountId": "$A", "accessKeyId": "ASIAEXAMPLESSOALICE1",
  "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLESSO",
   "arn": "$SSO", "accountId": "$A", "userName": "AWSReservedSSO_Admin_0123456789abcdef"},
   "webIdFederationData": {}, "attributes": {"creationDate": "2024-05-01T09:00:00Z",
   "mfaAuthenticated": "false"}}},
 "eventTime": "2024-05-01T09:05:00Z", "eventSource": "s3.amazonaws.com",
 "eventName": "ListBuckets", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
 "userAgent": "aws-cli/2.15.0", "requestParameters": null, "responseElements": null,
 "requestID": "req-sso-1", "eventID": "6b2f0c1e-0000-4000-8000-000000000001",
 "readOnly": true, "eventType": "AwsApiCall", "managementEvent": true,
 "recipientAccountId": "$A", "eventCategory": "Management"}]}
JSON
"$NHIR" ingest cloudtrail "$T/ct.json" >/dev/null
check "the session key reaches the role its trust names" sh -c \
	'"$NHIR" blast ASIAEXAMPLESSOALICE1 --at 2024-05-01T09:10:00Z |
	 grep -q "ASIAEXAMPLESSOALICE1 -authenticates-> '"$SSO"' -assumes-> '"$SESS"' -assumes-> arn:aws:iam::'"$A"':role/break-glass"'

# the real account: roles trusting an Identity Center session
D=${NHIR_DATA:-../shared/data}/cloudsplaining-iam-authz/example.json
if [ -f "$D" ]; then
	"$NHIR" --db "$T/c.db" init >/dev/null
	"$NHIR" --db "$T/c.db" import aws-authz "$D" >/dev/null 2>&1
	ADM=arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc
	"$NHIR" --db "$T/c.db" blast "$ADM" >"$T/c.txt"
	check "cloudsplaining: the SSO admin role's session reaches the roles trusting it" \
		has "$T/c.txt" "-assumes-> arn:aws:sts::200611803367:assumed-role/AWSReservedSSO_AdministratorAccess_dc6414f7f2ab04fc/elad@codsec.io -assumes-> arn:aws:iam::200611803367:role/privesc4-CreateAccessKey-role"
	check "cloudsplaining: the view-only SSO role's do not" sh -c \
		'! "$NHIR" --db "$0/c.db" blast arn:aws:iam::200611803367:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ViewOnlyAccess_0ace44bbc7092ea8 |
		 grep -q "assumed-role/AWSReservedSSO_AdministratorAccess"' "$T"
else
	n=$((n + 1))
	echo "ok $n # SKIP $D absent"
fi
done_testing
