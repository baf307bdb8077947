#!/usr/bin/env python3
"""Writes N CloudTrail events as JSON Lines to OUT, ids from START: a
large, valid input for the kill and load tests.
usage: gen_trail.py OUT N [START]"""
import json
import sys

out, n = sys.argv[1], int(sys.argv[2])
start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
with open(out, "w") as f:
    for i in range(start, start + n):
        ev = {
            "eventVersion": "1.08",
            "userIdentity": {
                "type": "IAMUser", "principalId": "AIDAEXAMPLE",
                "arn": "arn:aws:iam::111122223333:user/ci-deployer",
                "accountId": "111122223333",
                "accessKeyId": "AKIAEXAMPLEDEPLOY01",
                "userName": "ci-deployer"},
            "eventTime": "2024-05-%02dT%02d:%02d:%02dZ" % (
                1 + i // 86400 % 28, i // 3600 % 24, i // 60 % 60, i % 60),
            "eventSource": "s3.amazonaws.com",
            "eventName": "ListBuckets",
            "awsRegion": "us-east-1",
            "sourceIPAddress": "198.51.100.%d" % (i % 250 + 1),
            "userAgent": "aws-cli/2.15",
            "requestParameters": None,
            "responseElements": None,
            "eventID": "ev-%012d" % i,
            "eventType": "AwsApiCall",
            "recipientAccountId": "111122223333",
        }
        f.write(json.dumps(ev) + "\n")
