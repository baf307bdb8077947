#!/bin/sh
# Cross-account trust: a role of account 111111111111 is reachable from
# a principal of account 222222222222 only when both sides allow it;
# with one side imported, what is unknown is said.
. tests/cli/lib.sh

cat >"$T/a.json" <<'JSON'
{
 "UserDetailList": [],
 "GroupDetailList": [],
 "RoleDetailList": [
  {
   "Path": "/",
   "RoleName": "partner-admin",
   "RoleId": "AROA1000000000000001",
   "Arn": "arn:aws:iam::111111111111:role/partner-admin",
   "CreateDate": "2024-01-02T10:00:00Z",
   "AssumeRolePolicyDocument": {
    "Version": "2012-10-17",
    "Statement": [
     {
      "Effect": "Allow",
      "Principal": {
       "AWS": "arn:aws:iam::222222222222:root"
      },
      "Action": "sts:AssumeRole"
     }
    ]
   },
   "InstanceProfileList": [],
   "RolePolicyList": [],
   "AttachedManagedPolicies": [
    {
     "PolicyName": "AdministratorAccess",
     "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"
    }
   ],
   "Tags": [],
   "RoleLastUsed": {}
  },
  {
   "Path": "/",
   "RoleName": "ci-deploy",
   "RoleId": "AROA1000000000000002",
   "Arn": "arn:aws:iam::111111111111:role/ci-deploy",
   "CreateDate": "2024-01-02T10:00:00Z",
   "AssumeRolePolicyDocument": {
    "Version": "2012-10-17",
    "Statement": [
     {
      "Effect": "Allow",
      "Principal": {
       "AWS": "arn:aws:iam::222222222222:role/ci"
      },
      "Action": "sts:AssumeRole"
     }
    ]
   },
   "InstanceProfileList": [],
   "RolePolicyList": [],
   "AttachedManagedPolicies": [
    {
     "PolicyName": "AdministratorAccess",
     "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"
    }
   ],
   "Tags": [],
   "RoleLastUsed": {}
  },
  {
   "Path": "/",
   "RoleName": "internal",
   "RoleId": "AROA1000000000000003",
   "Arn": "arn:aws:iam::111111111111:role/internal",
   "CreateDate": "2024-01-02T10:00:00Z",
   "AssumeRolePolicyDocument": {
    "Version": "2012-10-17",
    "Statement": [
     {
      "Effect": "Allow",
      "Principal": {
       "AWS": "arn:aws:iam::111111111111:root"
      },
      "Action": "sts:AssumeRole"
     }
    ]
   },
   "InstanceProfileList": [],
   "RolePolicyList": [],
   "AttachedManagedPolicies": [
    {
     "PolicyName": "AdministratorAccess",
     "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"
    }
   ],
   "Tags": [],
   "RoleLastUsed": {}
  }
 ],
 "Policies": [
  {
   "PolicyName": "AdministratorAccess",
   "PolicyId": "ANPAIWMBCKSKIEE64ZLYK",
   "Arn": "arn:aws:iam::aws:policy/AdministratorAccess",
   "Path": "/",
   "DefaultVersionId": "v1",
   "AttachmentCount": 3,
   "IsAttachable": true,
   "PolicyVersionList": [
    {
     "Document": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*"
       }
      ]
     },
     "VersionId": "v1",
     "IsDefaultVersion": true
    }
   ]
  }
 ]
}
JSON
cat >"$T/b.json" <<'JSON'
{
 "UserDetailList": [
  {
   "Path": "/",
   "UserName": "bob",
   "UserId": "AIDA2000000000000001",
   "Arn": "arn:aws:iam::222222222222:user/bob",
   "CreateDate": "2024-01-02T10:00:00Z",
   "GroupList": [],
   "AttachedManagedPolicies": [],
   "Tags": [],
   "UserPolicyList": [
    {
     "PolicyName": "p",
     "PolicyDocument": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::111111111111:role/partner-admin"
       }
      ]
     }
    }
   ]
  },
  {
   "Path": "/",
   "UserName": "carol",
   "UserId": "AIDA2000000000000002",
   "Arn": "arn:aws:iam::222222222222:user/carol",
   "CreateDate": "2024-01-02T10:00:00Z",
   "GroupList": [],
   "AttachedManagedPolicies": [],
   "Tags": [],
   "UserPolicyList": [
    {
     "PolicyName": "p",
     "PolicyDocument": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "*"
       }
      ]
     }
    }
   ]
  },
  {
   "Path": "/",
   "UserName": "dave",
   "UserId": "AIDA2000000000000003",
   "Arn": "arn:aws:iam::222222222222:user/dave",
   "CreateDate": "2024-01-02T10:00:00Z",
   "GroupList": [],
   "AttachedManagedPolicies": [],
   "Tags": [],
   "UserPolicyList": [
    {
     "PolicyName": "p",
     "PolicyDocument": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": "*"
       }
      ]
     }
    }
   ]
  },
  {
   "Path": "/",
   "UserName": "eve",
   "UserId": "AIDA2000000000000004",
   "Arn": "arn:aws:iam::222222222222:user/eve",
   "CreateDate": "2024-01-02T10:00:00Z",
   "GroupList": [],
   "AttachedManagedPolicies": [],
   "Tags": [],
   "UserPolicyList": [
    {
     "PolicyName": "p",
     "PolicyDocument": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::111111111111:role/internal"
       }
      ]
     }
    }
   ]
  }
 ],
 "GroupDetailList": [],
 "RoleDetailList": [
  {
   "Path": "/",
   "RoleName": "ci",
   "RoleId": "AROA2000000000000001",
   "Arn": "arn:aws:iam::222222222222:role/ci",
   "CreateDate": "2024-01-02T10:00:00Z",
   "AssumeRolePolicyDocument": {
    "Version": "2012-10-17",
    "Statement": [
     {
      "Effect": "Allow",
      "Principal": {
       "AWS": "arn:aws:iam::222222222222:root"
      },
      "Action": "sts:AssumeRole"
     }
    ]
   },
   "InstanceProfileList": [],
   "AttachedManagedPolicies": [],
   "RolePolicyList": [
    {
     "PolicyName": "p",
     "PolicyDocument": {
      "Version": "2012-10-17",
      "Statement": [
       {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": "arn:aws:iam::111111111111:role/ci-deploy"
       }
      ]
     }
    }
   ]
  }
 ],
 "Policies": []
}
JSON
A=arn:aws:iam::111111111111
B=arn:aws:iam::222222222222

"$NHIR" init >/dev/null
check "the roles' account alone" "$NHIR" import aws-authz "$T/a.json"
check "blast of a principal the trust names" sh -c \
	'"$NHIR" blast '"$B"':role/ci >"$0/ci.txt"' "$T"
check "its side is unknown, and said" has "$T/ci.txt" \
	"[not evaluated: whether the identity policy of $B:role/ci allows sts:AssumeRole: its account is not in the imported data]"
check "the callers' account too" "$NHIR" import aws-authz "$T/b.json"
check "blast of bob" sh -c '"$NHIR" blast '"$B"':user/bob >"$0/bob.txt"' "$T"
check "bob reaches the role through its trust" has "$T/bob.txt" \
	"$B:user/bob -assumes-> $A:role/partner-admin#from:$B:root -assumes-> $A:role/partner-admin -can(admin)-> aws:111111111111:*"
check "both sides known: nothing unknown" hasnt "$T/bob.txt" "not evaluated"
check "blast of dave" sh -c '"$NHIR" blast '"$B"':user/dave >"$0/dave.txt"' "$T"
check "dave's policy does not allow it: the account boundary holds" \
	hasnt "$T/dave.txt" "$A:role/partner-admin"
check "dave was blasted" has "$T/dave.txt" "Seeds (1)"
check "blast of eve" sh -c '"$NHIR" blast '"$B"':user/eve >"$0/eve.txt"' "$T"
check "internal does not trust account B" hasnt "$T/eve.txt" "$A:role/internal \""
check "the gate leading nowhere is counted" has "$T/eve.txt" \
	"trust gates leading nowhere"
done_testing
