#!/usr/bin/python3
"""Writes CloudTrail files for t0310: a key that signs 700 calls from
three addresses (some within a minute of each other), with failures,
persistence and escalation, and mints 70 sessions (one of them busy,
one chaining to another); the files overlap in time, so whichever order
they are read in, some reach back before what was read already.

usage: gen_kept.py OUTDIR"""
import datetime
import json
import os
import random
import sys

ACCT = "111122223333"
ROOT = "AKIAKEPTROOT0000001"
BASE = datetime.datetime(2024, 7, 1, tzinfo=datetime.timezone.utc)
IPS = ["192.0.2.10", "192.0.2.11", "198.51.100.99"]
AGENTS = ["aws-cli/2.15.0", "Boto3/1.34.0"]
CALLS = [("s3", "GetObject"), ("s3", "ListBuckets"), ("kms", "Decrypt"),
         ("ec2", "DescribeInstances"), ("secretsmanager", "GetSecretValue")]


def ts(t):
    return (BASE + datetime.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def ident(key):
    if key.startswith("ASIA"):
        return {"type": "AssumedRole", "accountId": ACCT, "accessKeyId": key,
                "arn": "arn:aws:sts::%s:assumed-role/kept/%s" % (ACCT, key)}
    return {"type": "IAMUser", "accountId": ACCT, "accessKeyId": key,
            "userName": "kept", "arn": "arn:aws:iam::%s:user/kept" % ACCT}


def rec(n, t, key, src, name, ip, ua, **kw):
    r = {"eventVersion": "1.08", "userIdentity": ident(key),
         "eventTime": ts(t), "eventSource": src + ".amazonaws.com",
         "eventName": name, "awsRegion": "us-east-1",
         "sourceIPAddress": ip, "userAgent": ua, "eventID": "kept-%d" % n,
         "requestID": "r-%d" % n, "eventType": "AwsApiCall",
         "recipientAccountId": ACCT}
    r.update(kw)
    return r


def main():
    out = sys.argv[1]
    rnd = random.Random(7)
    os.makedirs(out, exist_ok=True)
    recs, n, t = [], 0, 0
    sessions = []
    for i in range(700):
        t += rnd.choice([5, 20, 45, 90, 400])
        n += 1
        ip, ua = rnd.choice(IPS), rnd.choice(AGENTS)
        if i % 10 == 3 and len(sessions) < 70:
            sk = "ASIAKEPTSESS%07d" % len(sessions)
            sessions.append((sk, t))
            recs.append(rec(n, t, ROOT, "sts", "AssumeRole", ip, ua,
                            requestParameters={"roleArn": "arn:aws:iam::%s:role/kept" % ACCT,
                                               "roleSessionName": "s%d" % i},
                            responseElements={"credentials": {"accessKeyId": sk,
                                                              "expiration": ts(t + 3600)}}))
        elif i % 97 == 5:
            nk = "AKIAKEPTMADE%07d" % i
            recs.append(rec(n, t, ROOT, "iam", "CreateAccessKey", ip, ua,
                            requestParameters={"userName": "kept"},
                            responseElements={"accessKey": {"accessKeyId": nk,
                                                            "userName": "kept",
                                                            "status": "Active"}}))
        elif i % 89 == 7:
            recs.append(rec(n, t, ROOT, "iam", "AttachUserPolicy", ip, ua,
                            requestParameters={"userName": "kept",
                                               "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}))
        else:
            src, name = rnd.choice(CALLS)
            kw = {}
            if rnd.random() < 0.08:
                kw = {"errorCode": "AccessDenied", "errorMessage": "denied"}
            recs.append(rec(n, t, ROOT, src, name, ip, ua, **kw))
    # the sessions: most used a little, one busy, one chaining
    for j, (sk, t0) in enumerate(sessions):
        uses = 300 if j == 4 else rnd.randint(0, 3)
        tt = t0
        for _ in range(uses):
            tt += rnd.choice([1, 30, 70])
            n += 1
            src, name = rnd.choice(CALLS)
            recs.append(rec(n, tt, sk, src, name, rnd.choice(IPS[:2] if j != 4 else IPS),
                            AGENTS[0]))
        if j == 9:
            n += 1
            recs.append(rec(n, tt + 5, sk, "sts", "AssumeRole", IPS[2], AGENTS[1],
                            requestParameters={"roleArn": "arn:aws:iam::%s:role/next" % ACCT,
                                               "roleSessionName": "chain"},
                            responseElements={"credentials": {"accessKeyId": "ASIAKEPTCHAINED0001",
                                                              "expiration": ts(tt + 3605)}}))
            n += 1
            recs.append(rec(n, tt + 9, "ASIAKEPTCHAINED0001", "s3", "ListBuckets",
                            IPS[2], AGENTS[1]))
    # four files, dealt round robin: each spans the whole time range
    for f in range(4):
        part = recs[f::4]
        with open(os.path.join(out, "kept-%d.json" % f), "w") as fp:
            json.dump({"Records": part}, fp)


main()
