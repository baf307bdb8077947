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
done_testing
