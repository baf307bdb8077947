#!/usr/bin/env python3
"""A simulated cloud provider, for the demo and the containment tests: an
nhir exec connector and probe (doc/formats/connectors.md).  It changes
nothing anywhere; it only remembers.  It reads one request on stdin and keeps what was revoked in
the JSON file $FAKE_STATE.  Failure injection: $FAKE_MODE = timeout, exit,
garbage or fail; $FAKE_PROBE = still (credentials keep working) or
callerid (answers with sts:GetCallerIdentity)."""
import json
import os
import sys
import time

state_path = os.environ["FAKE_STATE"]
try:
    with open(state_path) as f:
        state = json.load(f)
except FileNotFoundError:
    state = {"revoked": [], "calls": []}

req = json.load(sys.stdin)
target = req.get("target", {}).get("id")
mode = os.environ.get("FAKE_MODE", "")

if req.get("action") == "probe":
    probe = os.environ.get("FAKE_PROBE", "")
    call = "sts:GetCallerIdentity" if probe == "callerid" else "s3:ListBuckets"
    acts_as = req.get("target", {}).get("acts_as", [])
    dead = target in state["revoked"] or any(a in state["revoked"] for a in acts_as)
    works = not dead or probe == "still"
    print(json.dumps({"works": works, "call": call}))
    sys.exit(0)

state["calls"].append({"action": req["action"], "target": target, "dry_run": req.get("dry_run")})
if mode == "timeout":
    time.sleep(30)
if mode == "exit":
    sys.exit(3)
if mode == "garbage":
    print("<html>gateway error</html>")
    sys.exit(0)
if mode == "fail":
    print(json.dumps({"status": "failed", "detail": "AccessDenied"}))
    sys.exit(0)
if target and req["action"] not in ("generic.preserve-evidence", "generic.notify-owner"):
    state["revoked"].append(target)
with open(state_path, "w") as f:
    json.dump(state, f)
print(json.dumps({"status": "done", "detail": "%s on %s" % (req["action"], target or "the incident")}))
