#!/bin/sh
# Scenario 1: a CI deploy key (a service account's long-term AWS key)
# found in a public repository.  Was it cloned (used from new addresses
# after the exposure)?  Where was it used, what did it mint and create?
# Which workloads still depend on it?  Rotate and redeploy them before
# the key is revoked; prove it is gone.
. examples/scenarios/lib.sh
S=examples/scenarios/01-ci-key-public-repo
KEY=AKIAEXAMPLEDEPLOY01
export NHIR_USER=ada NHIR_NOW=2024-05-01T10:35:00Z
team
"$NHIR" --as rory import nhir $S/inventory.jsonl >/dev/null

stage "the scanner's alert is routed to the dedicated team"
run "$NHIR" --as rory findings import generic $S/alerts.jsonl
expect "3 entries, 2 new findings, 3 new sightings, 2 matched known credentials" "$WORK/out"
run "$NHIR" triage
expect "dedicated nhi-response (privileged-credential)" "$WORK/out"

stage "was it cloned? where was it used after the exposure?"
run "$NHIR" --as rory ingest cloudtrail $S/telemetry/
run "$NHIR" usage $KEY --exposed-at 2024-05-01T09:00:00Z
expect "198.51.100.7" "$WORK/out"
expect "[new after exposure]" "$WORK/out"
expect "concurrent use from different addresses" "$WORK/out"
expect "AKIAEXAMPLEBACKDOOR  (created by AKIAEXAMPLEDEPLOY01" "$WORK/out"

stage "who depends on it"
run "$NHIR" blast $KEY --exposed-at 2024-05-01T09:00:00Z
expect "github:acme/payments-api:deploy" "$WORK/out"

stage "an incident with one lead; what it minted and created in scope"
run "$NHIR" --as rory incident declare --title "CI deploy key in a public repository" \
	--severity critical --lead lena --finding 1 --exposed-at 2024-05-01T09:00:00Z
run "$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR
run "$NHIR" contain status INC-1
expect "NOT contained" "$WORK/out"
expect "ASIAEXAMPLESESSION2                  until 2024-05-01T22:30:00Z" "$WORK/out"

stage "the plan: rotate and redeploy before the key is revoked"
run "$NHIR" --as lena plan INC-1
"$NHIR" plan --format json INC-1 >"$WORK/plan.json"
json "$WORK/plan.json" "[s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload' and s['target'] == 'github:acme/payments-api:deploy'][0] < [s['step'] for s in d['steps'] if s['action'] == 'aws.deactivate-access-key' and s['target'] == 'AKIAEXAMPLEDEPLOY01'][0]"
json "$WORK/plan.json" "[s['step'] for s in d['steps'] if s['action'] == 'generic.rotate-secret' and s['target'] == 'github:acme/payments-api:secret:AWS_ACCESS_KEY_ID'][0] < [s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload'][0]"
json "$WORK/plan.json" "any(s['action'] == 'aws.deny-sessions-issued-before' and s['target'] == 'arn:aws:iam::111122223333:role/deploy' for s in d['steps'])"

stage "four eyes, then the plan carried out"
run_plan INC-1 alex ben rory

stage "contained, and proven"
run "$NHIR" contain status INC-1
expect "contained: no residual access" "$WORK/out"
run "$NHIR" --as rory verify INC-1
expect "verified   AKIAEXAMPLEDEPLOY01" "$WORK/out"

stage "closed and written up"
run "$NHIR" --as lena incident state INC-1 investigating
run "$NHIR" --as lena incident state INC-1 containing
run "$NHIR" --as lena incident state INC-1 recovering
run "$NHIR" --as lena decide INC-1 "close with the remaining proposals unreviewed" \
	--why "everything they reach was cut with the deploy role" --risk-acceptance
run "$NHIR" --as lena task INC-1 add "follow-up: OIDC instead of keys in CI" --owner rory
run "$NHIR" --as lena incident state INC-1 closed
"$NHIR" report INC-1 --format json >"$WORK/report.json"
json "$WORK/report.json" "d['incident']['state'] == 'closed'"
json "$WORK/report.json" "all(c['status'] == 'met' for c in d['framework']['nist_csf_2'] if c['id'] in ('RS.MI-01', 'RS.MI-02', 'RS.AN-06', 'RC.RP-06'))"
json "$WORK/report.json" "any(t['id'] == 'NHI2:2025' for t in d['framework']['owasp_nhi_2025'])"
echo "scenario 01-ci-key-public-repo: passed"
