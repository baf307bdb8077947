#!/usr/bin/python3
"""Generates a synthetic CloudTrail corpus for bench-ingest: S3-delivery
files {"Records": [...]} of about 1 KB records, with many long-term keys,
STS sessions minted from them (and chained), and a mix of read, write,
failed and persistence calls.  Deterministic for a given seed.

usage: gen_cloudtrail.py OUTDIR TOTAL_MB [RECORDS_PER_FILE [SEED [FIRST_FILE]]]"""
import datetime
import json
import os
import random
import sys

ACCT = "123456789012"
SERVICES = [("s3", ["GetObject", "PutObject", "ListBuckets", "HeadObject"]),
            ("ec2", ["DescribeInstances", "RunInstances", "DescribeVolumes"]),
            ("iam", ["ListUsers", "GetUser", "ListRoles", "CreateAccessKey",
                     "AttachUserPolicy"]),
            ("kms", ["Decrypt", "GenerateDataKey"]),
            ("secretsmanager", ["GetSecretValue", "ListSecrets"]),
            ("lambda", ["Invoke", "ListFunctions"])]
AGENTS = ["aws-cli/2.15.0 Python/3.11.6 Linux/6.1", "Boto3/1.34.0 Python/3.11",
          "aws-sdk-go-v2/1.24.0 os/linux lang/go", "terraform-provider-aws/5.31.0",
          "python-requests/2.31.0"]


def key(n, prefix="AKIA"):
    return prefix + ("%016d" % n).replace("0", "Q")[:16]


BASE = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)


def ts(t):
    return (BASE + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    out, total_mb = sys.argv[1], int(sys.argv[2])
    per_file = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    seed = int(sys.argv[4]) if len(sys.argv) > 4 else 42
    rnd = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    users = ["svc-%04d" % i for i in range(2000)]
    keys = [key(i) for i in range(len(users))]
    sessions = []            # (session key, parent key, role)
    fileno = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    written, t, seq = 0, 0, fileno * per_file
    target = total_mb * 1000 * 1000
    while written < target:
        recs = []
        for _ in range(per_file):
            t += rnd.randint(0, 2)
            seq += 1
            u = rnd.randrange(len(users)) if rnd.random() < 0.7 else rnd.randrange(20)
            if sessions and rnd.random() < 0.3:
                sk, parent, role = sessions[rnd.randrange(max(0, len(sessions) - 500), len(sessions))]
                ident = {"type": "AssumedRole", "principalId": "AROA:%s" % sk,
                         "arn": "arn:aws:sts::%s:assumed-role/%s/s" % (ACCT, role),
                         "accountId": ACCT, "accessKeyId": sk,
                         "sessionContext": {"sessionIssuer": {"type": "Role",
                             "arn": "arn:aws:iam::%s:role/%s" % (ACCT, role),
                             "accountId": ACCT, "userName": role},
                             "attributes": {"creationDate": ts(max(0, t - 60)),
                                            "mfaAuthenticated": "false"}}}
                actor = sk
            else:
                ident = {"type": "IAMUser", "principalId": "AIDA%012d" % u,
                         "arn": "arn:aws:iam::%s:user/%s" % (ACCT, users[u]),
                         "accountId": ACCT, "accessKeyId": keys[u], "userName": users[u]}
                actor = keys[u]
            r = {"eventVersion": "1.08", "userIdentity": ident, "eventTime": ts(t),
                 "awsRegion": rnd.choice(["us-east-1", "eu-west-1", "us-west-2"]),
                 "sourceIPAddress": "10.%d.%d.%d" % (u % 250, rnd.randrange(4), u % 200 + 1),
                 "userAgent": rnd.choice(AGENTS), "requestID": "%032x" % rnd.getrandbits(128),
                 "eventID": "%032x" % rnd.getrandbits(128), "eventType": "AwsApiCall",
                 "managementEvent": True, "recipientAccountId": ACCT,
                 "eventCategory": "Management",
                 "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                "clientProvidedHostHeader": "example.amazonaws.com"}}
            x = rnd.random()
            if x < 0.05:
                role = "role-%03d" % rnd.randrange(300)
                nk = key(10_000_000 + seq, "ASIA")
                r.update({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
                          "requestParameters": {"roleArn": "arn:aws:iam::%s:role/%s" % (ACCT, role),
                                                "roleSessionName": "s%d" % seq},
                          "responseElements": {"credentials": {"accessKeyId": nk,
                              "sessionToken": "x" * 40,
                              "expiration": ts(t + 3600)},
                              "assumedRoleUser": {"assumedRoleId": "AROA:s%d" % seq,
                                  "arn": "arn:aws:sts::%s:assumed-role/%s/s%d" % (ACCT, role, seq)}},
                          "readOnly": True})
                sessions.append((nk, actor, role))
            else:
                svc, names = rnd.choice(SERVICES)
                name = rnd.choice(names)
                r.update({"eventSource": svc + ".amazonaws.com", "eventName": name,
                          "requestParameters": {"bucketName": "bucket-%d" % rnd.randrange(500),
                                                "key": "data/%d.csv" % rnd.randrange(10000)},
                          "responseElements": None,
                          "readOnly": name.startswith(("Get", "List", "Describe", "Head"))})
                if rnd.random() < 0.04:
                    r["errorCode"] = "AccessDenied"
                    r["errorMessage"] = "User is not authorized"
            recs.append(r)
        data = json.dumps({"Records": recs}, separators=(",", ":"))
        # named as CloudTrail names a file: for the minute it was
        # delivered, a few minutes after its last record
        stamp = (BASE + datetime.timedelta(seconds=t + 300)).strftime("%Y%m%dT%H%MZ")
        name = os.path.join(out, "%s_CloudTrail_us-east-1_%s_%016d.json"
                            % (ACCT, stamp, fileno))
        with open(name, "w") as f:
            f.write(data)
        written += len(data)
        fileno += 1
    print("%d files, %.0f MB, %d records" % (fileno, written / 1e6, seq))


if __name__ == "__main__":
    main()
