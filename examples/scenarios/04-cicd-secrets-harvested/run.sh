#!/bin/sh
# Scenario 4: a pull-request workflow dumped CI secrets into its log; a
# scanner found the AWS deploy key there, and the logs show it and the
# release bot's token used from a foreign address.  The same key deploys
# dev, staging and production: rotation is coordinated across the
# environments, and each redeployment is checked (deployment integrity,
# then the environment) as recovery steps.
. examples/scenarios/lib.sh
S=examples/scenarios/04-cicd-secrets-harvested
KEY=AKIACICDSHARED000001
PAT=github:token:dGhpcyBpcyBhIGhhc2ggb2YgdGhlIHJlbGVhc2UgYm90
export NHIR_USER=ada NHIR_NOW=2024-09-12T06:00:00Z
team
"$NHIR" --as rory import nhir $S/inventory.jsonl >/dev/null

stage "the scanner's report: the key is live and reaches production"
run "$NHIR" --as rory findings import trufflehog $S/trufflehog.jsonl
expect "2 entries, 2 new findings, 2 new sightings, 1 matched known credentials" "$WORK/out"
run "$NHIR" triage
expect "live" "$WORK/out"
expect "dedicated nhi-response (privileged-credential)" "$WORK/out"

stage "the logs: both secrets used from an address CI never uses"
run "$NHIR" --as rory ingest cloudtrail $S/cloudtrail.jsonl
run "$NHIR" --as rory ingest github-audit $S/github-audit.jsonl
run "$NHIR" usage $KEY --exposed-at 2024-09-12T03:00:00Z
expect "45.155.205.9" "$WORK/out"
expect "[new after exposure]" "$WORK/out"
run "$NHIR" usage $PAT --exposed-at 2024-09-12T03:00:00Z
expect "github:git.push" "$WORK/out"
expect "45.155.205.9" "$WORK/out"

stage "who depends on them: every environment"
run "$NHIR" blast $KEY
expect "github:acme/platform:deploy-dev" "$WORK/out"
expect "github:acme/platform:deploy-staging" "$WORK/out"
expect "github:acme/platform:deploy-prod" "$WORK/out"

stage "an incident over both secrets"
run "$NHIR" --as rory incident declare --title "CI secrets harvested by a pull-request workflow" \
	--severity high --lead lena --finding 1 --seed $PAT --exposed-at 2024-09-12T03:00:00Z

stage "the plan: rotate everywhere, redeploy every environment, check each, then revoke"
run "$NHIR" --as lena plan INC-1
"$NHIR" plan --format json INC-1 >"$WORK/plan.json"
# every store rotated before any redeploy; every redeploy before the key dies
json "$WORK/plan.json" "max(s['step'] for s in d['steps'] if s['action'] == 'generic.rotate-secret') < min(s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload')"
json "$WORK/plan.json" "max(s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload' and s['target'].startswith('github:acme/platform:deploy-')) < [s['step'] for s in d['steps'] if s['action'] == 'aws.deactivate-access-key'][0]"
json "$WORK/plan.json" "sorted(s['target'] for s in d['steps'] if s['action'] == 'generic.check-deployment-integrity') == ['github:acme/platform:deploy-dev', 'github:acme/platform:deploy-prod', 'github:acme/platform:deploy-staging', 'github:acme/platform:release']"
json "$WORK/plan.json" "all(s['step'] > [x['step'] for x in d['steps'] if x['action'] == 'generic.check-deployment-integrity' and x['target'] == s['target']][0] for s in d['steps'] if s['action'] == 'generic.validate-environment')"
json "$WORK/plan.json" "any(s['action'] == 'github.revoke-credential' and s['target'] == '$PAT' for s in d['steps'])"

stage "four eyes, then the plan carried out"
run_plan INC-1 alex ben rory
run "$NHIR" contain status INC-1
expect "contained: no residual access" "$WORK/out"

stage "the report names the shared key across environments"
"$NHIR" report INC-1 --format json >"$WORK/report.json"
json "$WORK/report.json" "any(t['id'] == 'NHI8:2025' for t in d['framework']['owasp_nhi_2025'])"
json "$WORK/report.json" "[c for c in d['framework']['nist_csf_2'] if c['id'] == 'RC.RP-01'][0]['status'] == 'met'"
echo "scenario 04-cicd-secrets-harvested: passed"
