#!/bin/sh
# Findings: every report format, fingerprints, matching, sightings,
# routing, triage, explain; bad reports and bad policies.
. tests/cli/lib.sh

F=tests/data/findings
D=${NHIR_DATA:-../shared/data}
"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
export NHIR_POLICY="$ROOT/policy/routing.yaml"

check "list report formats" sh -c '"$NHIR" findings --list | grep -q "^github-secret-scanning"'
check "an unknown format is a usage error" exits 2 "$NHIR" findings import snyk x.json
check "generic alerts" sh -c '"$NHIR" findings import generic '$F'/generic.jsonl >"$0/g.txt"' "$T"
check "the same secret in two places is one finding" has "$T/g.txt" "3 entries, 2 new findings, 3 new sightings, 2 matched known credentials"
check "it is the inventory's key" sh -c \
	'"$NHIR" findings show 1 | grep -q "AKIAEXAMPLEDEPLOY01"'
check "with both sightings" sh -c \
	'test "$("$NHIR" findings show --format json 1 | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"sightings\"]))")" = 2'
check "stored_in edges to each place" sh -c \
	'"$NHIR" show AKIAEXAMPLEDEPLOY01 | grep -q "stored_in.*git:acme/infra:terraform/ci.tfvars"'
check "a privileged key goes to dedicated response" sh -c \
	'"$NHIR" triage | grep -q "^   1 .*dedicated nhi-response (privileged-credential)"'
check "triage exits 3 while dedicated findings are open" exits 3 "$NHIR" triage
check "explain names the rule and the facts" sh -c \
	'"$NHIR" route explain 1 | grep -q "=>  privileged-credential .*privilege is admin"'
check "explain as json" sh -c \
	'"$NHIR" route explain --format json 1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"decision\"][\"rule\"]==\"privileged-credential\" and d[\"facts\"][\"privilege\"]==\"admin\""'
check "routing is on the audit log with its facts" sh -c \
	'"$NHIR" audit log | grep -q "route .*\"rule\":\"privileged-credential\""'
check "an unknown finding" exits 1 "$NHIR" route explain 99
check "GitHub secret scanning alerts" sh -c '"$NHIR" findings import github-secret-scanning '$F'/github-alerts.json >"$0/h.txt"' "$T"
check "the Slack token seen by two tools is one finding" has "$T/h.txt" "3 entries, 2 new findings, 3 new sightings, 1 matched"
check "a withheld secret is said so" sh -c '"$NHIR" triage | grep -q "(alert #7, secret withheld)"'
check "inactive and reaching nothing is dismissed, with the reason" sh -c \
	'"$NHIR" triage | grep -q "not live .*dismiss the issuer reports the secret inactive"'
check "an observer may not import" exits 5 sh -c 'NHIR_USER=otto "$NHIR" findings import generic '$F'/generic.jsonl'
"$NHIR" user add otto --role observer >/dev/null
check "an observer may not import (user)" exits 5 "$NHIR" --as otto findings import generic $F/generic.jsonl
check "an observer may read triage" exits 3 "$NHIR" --as otto triage
check "importing again adds nothing" sh -c \
	'"$NHIR" findings import generic '$F'/generic.jsonl | grep -q "0 new findings, 0 new sightings"'

# bad input
check "a finding without location is skipped and located" exits 4 "$NHIR" findings import gitleaks $F/no-location.json
check "with its line" has "$T/last.err" "no-location.json:3:2: finding has no location (File)"
before=$(db_sql "SELECT count(*) FROM finding")
check "a truncated report is rejected" exits 1 "$NHIR" findings import gitleaks $F/truncated.json
check "at its line" has "$T/last.err" "truncated.json: line 3, column 1: malformed JSON"
check "a report of another format is rejected" exits 1 "$NHIR" findings import sarif $F/generic.jsonl
check "saying so" has "$T/last.err" "not a SARIF log"
check "rejected reports leave no finding" test \
	"$(db_sql "SELECT count(*) FROM finding")" = "$before"
check "a missing report" exits 1 "$NHIR" findings import gitleaks $T/nope.json
check "a bad policy names file, line and rule" exits 1 "$NHIR" route check --policy $F/bad-policy.yaml
check "so" has "$T/last.err" "bad-policy.yaml:8: rule 'broken': privilege is none, read, write or admin"
printf 'version: 1\nrules: [\n' >"$T/p.yaml"
check "a policy that is not YAML" exits 1 "$NHIR" route check --policy "$T/p.yaml"
check "says where" has "$T/last.err" "p.yaml:3:1:"
check "the shipped policy is valid" sh -c '"$NHIR" route check | grep -q "12 rules, valid"'
check "no policy at all" exits 1 env NHIR_POLICY= sh -c 'cd "$0" && "$NHIR" route explain 1' "$T"

# no secret reaches the database, and fingerprints are keyed per database
db_dump >"$T/dump.sql"
check "no secret in the database" sh -c \
	'! grep -q -e "xoxb-000000000000-EXAMPLEONLYNOTREAL" -e "aaaabbbbccccddddeeeeffff00001111" "$0"' "$T/dump.sql"
check "the key is private to its owner" test "$(stat -c %a "$(db_key)")" = 600
NHIR_DB="$T/other.db" "$NHIR" init >/dev/null
NHIR_DB="$T/other.db" "$NHIR" findings import generic $F/generic.jsonl >/dev/null
check "another database fingerprints differently" test \
	"$(db_sql "SELECT fingerprint FROM finding WHERE id = 2")" != \
	"$(db_sql "SELECT fingerprint FROM finding WHERE id = 2" "$T/other.db")"

# real reports
if [ -d "$D/secret-scanner-reports" ]; then
	check "gitleaks JSON (pygoat)" sh -c '"$NHIR" findings import gitleaks '$D'/secret-scanner-reports/gitleaks/pygoat-gitleaks-report.json | grep -q "11 entries, 8 new findings, 11 new sightings"'
	check "gitleaks SARIF with undeclared rules" sh -c '"$NHIR" findings import sarif '$D'/secret-scanner-reports/gitleaks/sample_secrets-gitleaks-report.sarif | grep -q "6 entries, 4 new findings, 6 new sightings"'
	check "trufflehog, noisy and duplicated" sh -c '"$NHIR" findings import trufflehog '$D'/secret-scanner-reports/trufflehog/chaos-observatory-trufflehog-results.ndjson | grep -q "916 entries, 23 new findings, 105 new sightings"'
	check "trufflehog verified AWS canary" sh -c '"$NHIR" findings import trufflehog '$D'/secret-scanner-reports/trufflehog/trufflehog-readme-example.ndjson >/dev/null && "$NHIR" triage | grep -q "AKIAYVP4CIPPERUVIFXG *live"'
	db_dump >"$T/dump2.sql"
	check "no scanned secret in the database" sh -c \
		'! grep -q -e 5fVOTXh2HNahtvJFJNRSrKkwPAgPM9YCHlrCGprAxhAAKOUWMxqMnWm8BUomv0Yd -e sup3rstr0ngpass1ForGGs -e 8j962tkyb10kr7d3xwhjljo24hnzhws8 "$0"' "$T/dump2.sql"
else
	echo "# skip: $D/secret-scanner-reports absent"
fi
if [ -d "$D/gitleaks-testdata" ]; then
	check "gitleaks test reports" sh -c '"$NHIR" findings import gitleaks '$D'/gitleaks-testdata/testdata/expected/report/json_simple.json '$D'/gitleaks-testdata/testdata/expected/report/empty.json >/dev/null'
	check "gitleaks test SARIF" "$NHIR" findings import sarif $D/gitleaks-testdata/testdata/expected/report/sarif_simple.sarif
fi
done_testing
