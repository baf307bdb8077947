#!/bin/sh
# Privilege escalation from IAM policies: nhir blast names each
# escalation on the path and flags what was not evaluated.
. tests/cli/lib.sh

A=arn:aws:iam::111122223333
cat >"$T/authz.json" <<JSON
{"UserDetailList":[
 {"Path":"/","UserName":"passer","UserId":"AIDA0000000000000003",
  "Arn":"$A:user/passer","CreateDate":"2024-01-02T10:00:00Z","GroupList":[],
  "AttachedManagedPolicies":[],"Tags":[],
  "UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17",
   "Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"$A:role/fn-admin"},
   {"Effect":"Allow","Action":["lambda:CreateFunction","lambda:InvokeFunction"],"Resource":"*"},
   {"Effect":"Allow","Action":"iam:CreateLoginProfile","Resource":"$A:user/target",
    "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}}]},
 {"Path":"/","UserName":"passonly","UserId":"AIDA0000000000000004",
  "Arn":"$A:user/passonly","CreateDate":"2024-01-02T10:00:00Z","GroupList":[],
  "AttachedManagedPolicies":[],"Tags":[],
  "UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17",
   "Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}}]},
 {"Path":"/","UserName":"target","UserId":"AIDA0000000000000002",
  "Arn":"$A:user/target","CreateDate":"2024-01-02T10:00:00Z","GroupList":[],
  "AttachedManagedPolicies":[],"Tags":[],"UserPolicyList":[]}],
"GroupDetailList":[],
"RoleDetailList":[
 {"Path":"/","RoleName":"fn-admin","RoleId":"AROA0000000000000001",
  "Arn":"$A:role/fn-admin","CreateDate":"2024-01-02T10:00:00Z",
  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
   "Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]},
  "InstanceProfileList":[],"RolePolicyList":[],"Tags":[],"RoleLastUsed":{},
  "AttachedManagedPolicies":[{"PolicyName":"AdministratorAccess",
   "PolicyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}]}],
"Policies":[{"PolicyName":"AdministratorAccess","PolicyId":"ANPAIWMBCKSKIEE64ZLYK",
  "Arn":"arn:aws:iam::aws:policy/AdministratorAccess","Path":"/","DefaultVersionId":"v1",
  "AttachmentCount":1,"IsAttachable":true,"PolicyVersionList":[{"Document":
  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},
  "VersionId":"v1","IsDefaultVersion":true}]}]}
JSON

"$NHIR" init >/dev/null
check "import" "$NHIR" import aws-authz "$T/authz.json"
check "blast a user that can pass a role" sh -c \
	'"$NHIR" blast '"$A"':user/passer >"$0/b.txt"' "$T"
check "admin reached through the passed role, escalation named" has "$T/b.txt" \
	"$A:user/passer -escalates(iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction)-> $A:role/fn-admin -can(admin)-> aws:111122223333:*"
check "condition not evaluated is flagged on the item" has "$T/b.txt" \
	"[not evaluated: condition on iam:CreateLoginProfile]"
check "path to the user through a password" has "$T/b.txt" \
	"-escalates(iam:CreateLoginProfile)-> $A:user/target"
check "json names the escalation and what was not evaluated" sh -c \
	'"$NHIR" blast --format json '"$A"':user/passer | python3 -c "
import json, sys
d = json.load(sys.stdin)
ids = {i[\"ref\"]: i for i in d[\"groups\"][\"identities\"]}
t = ids[\"'"$A"':user/target\"]
assert t[\"not_evaluated\"] == [\"condition on iam:CreateLoginProfile\"], t
assert t[\"path\"][1][\"escalation\"] == [\"iam:CreateLoginProfile\"], t
"'
check "PassRole without a service to run is no escalation" sh -c \
	'"$NHIR" blast '"$A"':user/passonly >"$0/p.txt"' "$T"
check "passonly blasted" has "$T/p.txt" "Seeds (1)"
check "nothing escalated from passonly" hasnt "$T/p.txt" "escalates"

# A role with AdministratorAccess that may also assume a role whose
# escalation rests on a condition: its admin is its own policy's, said
# without the condition; a user that may create roles named made-* and
# attach policies to them reaches admin by that.
cat >"$T/authz2.json" <<JSON
{"UserDetailList":[
 {"Path":"/","UserName":"maker","UserId":"AIDA0000000000000021",
  "Arn":"$A:user/maker","CreateDate":"2024-01-02T10:00:00Z","GroupList":[],
  "AttachedManagedPolicies":[],"Tags":[],
  "UserPolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17",
   "Statement":[{"Effect":"Allow","Action":["iam:CreateRole","iam:AttachRolePolicy"],
    "Resource":"arn:aws:iam::*:role/made-*"}]}}]}],
"GroupDetailList":[],
"RoleDetailList":[
 {"Path":"/","RoleName":"boss","RoleId":"AROA0000000000000021",
  "Arn":"$A:role/boss","CreateDate":"2024-01-02T10:00:00Z",
  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
   "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]},
  "InstanceProfileList":[],"RolePolicyList":[],"Tags":[],"RoleLastUsed":{},
  "AttachedManagedPolicies":[{"PolicyName":"AdministratorAccess",
   "PolicyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}]},
 {"Path":"/","RoleName":"cond","RoleId":"AROA0000000000000022",
  "Arn":"$A:role/cond","CreateDate":"2024-01-02T10:00:00Z",
  "AssumeRolePolicyDocument":{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
   "Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]},
  "InstanceProfileList":[],"Tags":[],"RoleLastUsed":{},"AttachedManagedPolicies":[],
  "RolePolicyList":[{"PolicyName":"p","PolicyDocument":{"Version":"2012-10-17",
   "Statement":[{"Effect":"Allow","Action":"iam:PutRolePolicy","Resource":"$A:role/cond",
    "Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}}]}],
"Policies":[{"PolicyName":"AdministratorAccess","PolicyId":"ANPAIWMBCKSKIEE64ZLYK",
  "Arn":"arn:aws:iam::aws:policy/AdministratorAccess","Path":"/","DefaultVersionId":"v1",
  "AttachmentCount":1,"IsAttachable":true,"PolicyVersionList":[{"Document":
  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]},
  "VersionId":"v1","IsDefaultVersion":true}]}]}
JSON
"$NHIR" --db "$T/2.db" init >/dev/null
check "import the second estate" "$NHIR" --db "$T/2.db" import aws-authz "$T/authz2.json"
"$NHIR" --db "$T/2.db" blast "$A:role/boss" >"$T/boss.txt"
check "a role's own admin is its own, one step" has "$T/boss.txt" \
	"path: $A:role/boss -can(admin)-> aws:111122223333:*"
check "not made to rest on another role's condition" sh -c \
	'! grep "^  admin aws:111122223333:\*" "$0/boss.txt" | grep -q "not evaluated"' "$T"
check "the conditional escalation is still the other role's" sh -c \
	'"$NHIR" --db "$0/2.db" blast '"$A"':role/cond | grep -q "admin aws:111122223333:\* .*\[not evaluated: condition on iam:PutRolePolicy\]"' "$T"
check "a role it may create and write: admin, escalation named" sh -c \
	'"$NHIR" --db "$0/2.db" blast '"$A"':user/maker | grep -qF "path: '"$A"':user/maker -escalates(iam:CreateRole(arn:aws:iam::*:role/made-*)+iam:AttachRolePolicy)-> aws:111122223333:*"' "$T"
done_testing
