#!/bin/sh
# Scenario 2: a third-party OAuth app with a suspicious consent grant.
# alice consented at 22:41 to an app asking for repo and admin:repo_hook;
# its token then cloned repositories and created a webhook from Tor
# exits.  The app's grants are reviewed (one kept, one removed), the
# delegated scopes removed by deleting the grant (which kills its
# tokens), and the vendor's service checked for activity.
. examples/scenarios/lib.sh
S=examples/scenarios/02-oauth-app-consent
GRANT=grant:shady-analytics:alice
TOKEN=github:token:YWxpY2Utc2hhZHktYW5hbHl0aWNzLXRva2VuLWhhc2g=
export NHIR_USER=ada NHIR_NOW=2024-10-02T08:00:00Z
team
"$NHIR" --as rory import nhir $S/inventory.jsonl >/dev/null

stage "the consent alert reaches the team with authority"
run "$NHIR" --as rory findings import generic $S/alerts.jsonl
expect "1 matched known credentials" "$WORK/out"
run "$NHIR" triage
expect "dedicated nhi-response" "$WORK/out"

stage "third-party access: what the app can reach through each grant"
run "$NHIR" blast github:app:shady-analytics
expect "admin github:acme/infra" "$WORK/out"
expect "read  github:acme/handbook" "$WORK/out"
run "$NHIR" show $GRANT
expect "admin:repo_hook" "$WORK/out"

stage "the vendor's service checked for activity"
run "$NHIR" --as rory ingest github-audit $S/github-audit.jsonl
run "$NHIR" usage $TOKEN --exposed-at 2024-10-01T22:41:00Z
expect "185.220.101.7" "$WORK/out"
expect "github:hook.create" "$WORK/out"
expect "github:git.clone" "$WORK/out"
run "$NHIR" blast $TOKEN
expect "vendor:shady-analytics:sync" "$WORK/out"

stage "an incident; the review keeps bob's read-only grant"
run "$NHIR" --as rory incident declare --title "Suspicious consent to Shady Analytics" \
	--severity high --lead lena --finding 1 --exposed-at 2024-10-01T22:41:00Z
run "$NHIR" --as rory incident scope INC-1 add grant:shady-analytics:bob
run "$NHIR" --as lena incident scope INC-1 dismiss grant:shady-analytics:bob \
	--why "read:user only, created in June, no activity since"
run "$NHIR" --as lena decide INC-1 "Remove alice's grant; block the app for the organization" \
	--why "admin:repo_hook was used to add a webhook from a Tor exit"

stage "the plan: delete the grant, which kills its token"
run "$NHIR" --as lena plan INC-1
expect "github.delete-oauth-grant" "$WORK/out"
expect "tokens it issued die with it" "$WORK/out"
"$NHIR" plan --format json INC-1 >"$WORK/plan.json"
json "$WORK/plan.json" "not any(s['target'] == 'grant:shady-analytics:bob' for s in d['steps'])"
json "$WORK/plan.json" "any(s['action'] == 'generic.notify-owner' and s['target'] == 'vendor:shady-analytics' for s in d['steps']) or any(s['action'] == 'generic.notify-owner' and s['target'] == 'team-it' for s in d['steps'])"

stage "four eyes, then the plan carried out; delegated access gone"
run "$NHIR" contain status INC-1
expect "NOT contained" "$WORK/out"
run_plan INC-1 alex ben rory
run "$NHIR" contain status INC-1
expect "contained: no residual access" "$WORK/out"
run "$NHIR" --as rory verify INC-1
expect "verified   grant:shady-analytics:alice" "$WORK/out"
"$NHIR" report INC-1 --format json >"$WORK/report.json"
json "$WORK/report.json" "[c for c in d['framework']['nist_csf_2'] if c['id'] == 'RS.MI-01'][0]['status'] == 'met'"
json "$WORK/report.json" "any(s['node'] == 'grant:shady-analytics:bob' and s['status'] == 'dismissed' for s in d['scope'])"
echo "scenario 02-oauth-app-consent: passed"
