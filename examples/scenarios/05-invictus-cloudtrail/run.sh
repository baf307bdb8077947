#!/bin/sh
# Scenario 5: the Invictus IR CloudTrail data (Stratus Red Team attacks in
# account 123837392027).  One long-term key ran the attacks: its
# sessions, the keys, users, roles and login profiles it created are
# found, contained, and proven gone; the sessions it minted are shown
# until they expire.  The response starts at 12:26, before the attacker's
# own clean-up at 12:28 (after it, everything the key made is ended by
# logged deletions: tests/cli/t0610-ended.sh).
. examples/scenarios/lib.sh
LOGS="$DATA/invictus-aws-stratus-cloudtrail/CloudTrail"
if [ ! -d "$LOGS" ]; then
	echo "skip: $LOGS is absent"
	exit 0
fi
KEY=AKIATFQR7NSC8Q4X20BJ
export NHIR_USER=ada NHIR_NOW=2023-07-10T12:26:00Z
team

stage "the logs: what the key did, minted and created"
run "$NHIR" --as rory ingest cloudtrail "$LOGS"
expect "55 files ingested" "$WORK/out"
"$NHIR" usage --format json $KEY >"$WORK/usage.json"
json "$WORK/usage.json" "sum(1 for k in d['keys'] if k.get('via') == 'issued') == 10"
json "$WORK/usage.json" "sorted(k['key'] for k in d['keys'] if k.get('via') == 'created' and k['key'].startswith('AKIA')) == ['AKIATFQR7NSC3ZO6PKAZ', 'AKIATFQR7NSCQLA2F4OD']"
json "$WORK/usage.json" "sum(1 for k in d['keys'] if k['key'].endswith('#login-profile')) == 2"
first=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['keys'][0]['first'])" "$WORK/usage.json")

stage "the alert: a key that made keys, users and roles goes to people"
run "$NHIR" --as rory findings import generic examples/scenarios/05-invictus-cloudtrail/alerts.jsonl
run "$NHIR" triage
expect "dedicated nhi-response (persistence-created)" "$WORK/out"

stage "an incident with one lead; everything the key created in scope"
run "$NHIR" --as rory incident declare --title "Attacker key in account 123837392027" \
	--severity critical --lead lena --finding 1 --exposed-at "$first"
"$NHIR" blast --format json $KEY >"$WORK/blast.json"
made=$(python3 -c "import json,sys; print(' '.join(i['ref'] for i in json.load(open(sys.argv[1]))['groups']['persistence']))" "$WORK/blast.json")
# shellcheck disable=SC2086
run "$NHIR" --as lena incident scope INC-1 confirm $made --why "created with the attacker key"
expect "confirmed AKIATFQR7NSC3ZO6PKAZ" "$WORK/out"
expect "confirmed arn:aws:iam::123837392027:user/malicious-iam-user" "$WORK/out"

stage "residual access: the sessions it minted, until they expire"
run "$NHIR" contain status INC-1 --at 2023-07-10T12:04:00Z
expect "NOT contained" "$WORK/out"
expect "token       ASIA" "$WORK/out"
"$NHIR" contain status INC-1 --at 2023-07-10T12:04:00Z --format json >"$WORK/r0.json" || true
json "$WORK/r0.json" "all(i['expires'] for i in d['residual'] if i['kind'] == 'token')"
run "$NHIR" contain status INC-1
expect "NOT contained: " "$WORK/out"

stage "the plan: contain the keys before deleting them, strip what was created"
run "$NHIR" --as lena plan INC-1
"$NHIR" plan --format json INC-1 >"$WORK/plan.json"
json "$WORK/plan.json" "d['steps'][0]['action'] == 'generic.preserve-evidence'"
json "$WORK/plan.json" "[s['step'] for s in d['steps'] if s['action'] == 'aws.deactivate-access-key' and s['target'] == 'AKIATFQR7NSC3ZO6PKAZ'][0] < [s['step'] for s in d['steps'] if s['action'] == 'aws.delete-access-key' and s['target'] == 'AKIATFQR7NSC3ZO6PKAZ'][0]"
json "$WORK/plan.json" "any(s['action'] == 'aws.detach-policies' and s['target'] == 'arn:aws:iam::123837392027:user/malicious-iam-user' for s in d['steps'])"
json "$WORK/plan.json" "any(s['action'] == 'aws.delete-login-profile' for s in d['steps'])"

stage "four eyes, then the plan carried out through the (simulated) provider"
run_plan INC-1 alex ben rory

stage "contained, and proven"
run "$NHIR" contain status INC-1
expect "contained: no residual access" "$WORK/out"
run "$NHIR" --as rory verify INC-1
expect "verified   AKIATFQR7NSC8Q4X20BJ" "$WORK/out"

stage "the report"
"$NHIR" report INC-1 --format json >"$WORK/report.json"
json "$WORK/report.json" "[c for c in d['framework']['nist_csf_2'] if c['id'] == 'RS.MI-01'][0]['status'] == 'met'"
json "$WORK/report.json" "any(t['id'] == 'NHI7:2025' for t in d['framework']['owasp_nhi_2025'])"
echo "scenario 05-invictus-cloudtrail: passed"
