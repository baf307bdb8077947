#!/bin/sh
# Scenario 3: an AI agent (ops assistant) issues privileged AWS calls at
# 02:13 UTC, outside its expected hours, from a new address: it grants
# itself AdministratorAccess, makes a second key and starts GPU
# instances.  Its tool permissions, control-plane events and approval
# path are inspected before containment; the agent is redeployed with a
# new credential before its key is revoked.
. examples/scenarios/lib.sh
S=examples/scenarios/03-ai-agent-off-hours
KEY=AKIAAGENTOPSKEY00001
export NHIR_USER=ada NHIR_NOW=2024-06-04T03:00:00Z
team
"$NHIR" --as rory import nhir $S/inventory.jsonl >/dev/null
"$NHIR" --as rory ingest cloudtrail $S/cloudtrail.json >/dev/null

stage "the alert: an agent's credential goes to people, never to a script"
run "$NHIR" --as rory findings import generic $S/alerts.jsonl
run "$NHIR" triage
expect "dedicated nhi-response (agent-execution-path)" "$WORK/out"
run "$NHIR" route explain 1
expect "agent_path is true" "$WORK/out"

stage "its tool permissions and approval path"
run "$NHIR" blast $KEY
expect "admin arn:aws:iam::444455556666:*" "$WORK/out"
expect "agent:ops-assistant" "$WORK/out"
run "$NHIR" show agent:ops-assistant
expect "privileged tool calls need a human in #ops-approvals" "$WORK/out"
expect "08:00-18:00 UTC" "$WORK/out"

stage "its control-plane events outside its hours"
run "$NHIR" usage $KEY --exposed-at 2024-06-04T02:00:00Z
expect "203.0.113.77" "$WORK/out"
expect "[new after exposure]" "$WORK/out"
expect "iam:AttachUserPolicy" "$WORK/out"
expect "AKIAAGENTSHADOWKEY01  (created by AKIAAGENTOPSKEY00001" "$WORK/out"
run "$NHIR" timeline --since 2024-06-04T00:00:00Z $KEY
expect "ec2:RunInstances" "$WORK/out"
expect "cloudtrail:DeleteTrail" "$WORK/out"

stage "an incident; the key it made in scope"
run "$NHIR" --as rory incident declare --title "Ops agent acting outside its hours" \
	--severity critical --lead lena --finding 1 --exposed-at 2024-06-04T02:13:00Z
run "$NHIR" --as lena incident scope INC-1 confirm AKIAAGENTSHADOWKEY01 --why "created at 02:14 by the agent's key"
run "$NHIR" --as lena decide INC-1 "Contain the agent's keys; redeploy it with read-only tools" \
	--why "approval path bypassed: privileged calls ran without a human in #ops-approvals"
run "$NHIR" contain status INC-1
expect "NOT contained" "$WORK/out"
expect "AKIAAGENTSHADOWKEY01" "$WORK/out"

stage "the plan: redeploy the agent before its key dies"
run "$NHIR" --as lena plan INC-1
"$NHIR" plan --format json INC-1 >"$WORK/plan.json"
json "$WORK/plan.json" "[s['step'] for s in d['steps'] if s['action'] == 'generic.rotate-secret' and s['target'] == 'vault:secret/agents/ops-assistant'][0] < [s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload' and s['target'] == 'agent:ops-assistant'][0] < [s['step'] for s in d['steps'] if s['action'] == 'aws.deactivate-access-key' and s['target'] == 'AKIAAGENTOPSKEY00001'][0]"
json "$WORK/plan.json" "any(s['action'] == 'aws.deactivate-access-key' and s['target'] == 'AKIAAGENTSHADOWKEY01' for s in d['steps'])"

stage "four eyes, then the plan carried out"
run_plan INC-1 alex ben rory

stage "contained, and proven"
run "$NHIR" contain status INC-1
expect "contained: no residual access" "$WORK/out"
run "$NHIR" --as rory verify INC-1
expect "verified   AKIAAGENTSHADOWKEY01" "$WORK/out"
"$NHIR" report INC-1 --format json >"$WORK/report.json"
json "$WORK/report.json" "[c for c in d['framework']['nist_csf_2'] if c['id'] == 'RS.MI-02'][0]['status'] == 'met'"
json "$WORK/report.json" "any(t['id'] == 'NHI5:2025' for t in d['framework']['owasp_nhi_2025'])"
echo "scenario 03-ai-agent-off-hours: passed"
