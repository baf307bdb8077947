#!/bin/sh
# After-action reports: formats, framework section, signatures, bad input.
. tests/cli/lib.sh

export NHIR_NOW=2024-05-01T10:35:00Z
"$NHIR" init --fixed-clock >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" findings import generic examples/findings/ci-log-alerts.jsonl --policy policy/routing.yaml >/dev/null
"$NHIR" --as rory incident declare --title "CI key <leaked> & used" --severity high --lead lena --finding 1 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena decide INC-1 "deactivate, keep for evidence" --why "logs must stay tied to the key" >/dev/null
"$NHIR" --as lena task INC-1 add "follow-up: rotate CI keys every 90 days" --owner lena >/dev/null
printf 'log line\n' >"$T/ev.log"
"$NHIR" --as rory evidence add INC-1 "$T/ev.log" --source "CloudTrail" >/dev/null

check "markdown" sh -c '"$NHIR" report INC-1 >"$0/r.md"' "$T"
check "with the decision and why" has "$T/r.md" "**deactivate, keep for evidence**. Why: logs must stay tied to the key"
check "with the path into scope" has "$T/r.md" "AKIAEXAMPLEDEPLOY01 -authenticates-> arn:aws:iam::111122223333:user/ci-deployer"
check "with the evidence hash" has "$T/r.md" "$(sha256sum "$T/ev.log" | cut -c1-64)"
check "with follow-ups and owners" has "$T/r.md" "follow-up: rotate CI keys every 90 days (owner lena"
check "the framework maps NIST CSF 2.0" has "$T/r.md" "| RS.MI-01 | gap | residual access remains"
check "and tags OWASP NHI root causes" has "$T/r.md" "NHI2:2025 Secret Leakage"
check "NHI5 when it reaches admin" has "$T/r.md" "NHI5:2025 Overprivileged NHI"
check "html" sh -c '"$NHIR" report --format html -o "$0/r.html" INC-1' "$T"
check "html escapes what it shows" has "$T/r.html" "CI key &lt;leaked&gt; &amp; used"
check "html is self-contained" sh -c '! grep -Eq "<script|<link|src=|url\(" "$0/r.html"' "$T"
check "html has the blast radius and timeline drawn" sh -c \
	'test "$(grep -o "<svg" "$0/r.html" | wc -l)" = 2' "$T"
check "json" sh -c '"$NHIR" report --format json INC-1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"incident\"][\"id\"]==\"INC-1\" and d[\"framework\"][\"nist_csf_2\"]"'
check "reading the record is on the record" sh -c '"$NHIR" audit log --incident INC-1 | grep -q " report "'
check "keygen" "$NHIR" report keygen "$T/k"
check "the secret key is private" test "$(stat -c %a "$T/k")" = 600
check "signed json" sh -c '"$NHIR" report --format json --sign "$0/k" INC-1 >"$0/s.json"' "$T"
check "verifies" exits 0 "$NHIR" report verify "$T/s.json" --trust "$T/k.pub"
check "saying which key signed and that it is trusted" has "$T/last.out" "signed by sha256:$(python3 -c 'import hashlib,sys; print(hashlib.sha256(bytes.fromhex(open(sys.argv[1]).read().strip())).hexdigest()[:32])' "$T/k.pub")"
check "with no key nor trust list it is not trusted" exits 1 "$NHIR" report verify "$T/s.json"
check "and says so, naming the signer" has "$T/last.out" "signature valid, signed by sha256:"
check "not trusted" has "$T/last.out" "NOT trusted"
check "the trust list from the environment" env NHIR_TRUST="$T/k.pub" "$NHIR" report verify "$T/s.json"
check "verifies against its key" "$NHIR" report verify "$T/s.json" --key "$T/k.pub"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["report"]["incident"]["severity"]="low"; json.dump(d, open(sys.argv[2], "w"))' "$T/s.json" "$T/t.json"
check "a tampered report fails" exits 1 "$NHIR" report verify "$T/t.json"
check "saying it was changed" has "$T/last.err" "the report was changed after it was signed"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps(d, indent=7))' "$T/s.json" >"$T/reformatted.json"
check "reformatting is not tampering" "$NHIR" report verify "$T/reformatted.json" --key "$T/k.pub"
"$NHIR" report keygen "$T/other" >/dev/null
check "another key is refused" exits 1 "$NHIR" report verify "$T/s.json" --key "$T/other.pub"
check "a key not in the trust list is refused" exits 1 "$NHIR" report verify "$T/s.json" --trust "$T/other.pub"
check "saying so" has "$T/last.out" "NOT trusted: not in $T/other.pub"
check "a report for no incident" exits 1 "$NHIR" report INC-7
check "names it" has "$T/last.err" "no incident INC-7"
check "signing needs json" exits 2 "$NHIR" report --sign "$T/k" INC-1
check "not a signed report" exits 1 "$NHIR" report verify "$T/r.md"
check "a bad key file" exits 1 "$NHIR" report --format json --sign "$T/r.md" INC-1
check "a stranger may not read it" exits 5 "$NHIR" --as mallory report INC-1
check "metrics" sh -c '"$NHIR" metrics | grep -q "^INC-1 high  *0m  *1h35m"'
check "metrics as json" sh -c '"$NHIR" metrics --format json | python3 -c "import json,sys; d=json.load(sys.stdin); i=d[\"per_incident\"][0]; assert list(d)[0]==\"version\" and d[\"version\"]==1; assert i[\"detection\"]==0 and i[\"declaration\"]==5700 and i[\"containment\"] is None and d[\"median_by_severity\"][\"high\"][\"declaration\"]==5700, d"'
check "metrics over an empty database" sh -c 'NHIR_DB="$0/empty.db" "$NHIR" init --fixed-clock >/dev/null && NHIR_DB="$0/empty.db" "$NHIR" metrics | grep -q "^0 incident"' "$T"
check "metrics since after everything" sh -c '"$NHIR" metrics --since 2030-01-01T00:00:00Z --format json | grep -q "\"incidents\":	0"'
done_testing
