#!/bin/sh
# Scenario 01 (examples/scenarios/01-ci-key-public-repo) carried out in
# the web workbench alone: tests/browser/scenario.mjs in Debian's
# Chromium, four people from the triage queue to the signed report.
# The harness feeds the record what a deployment's feeds would (the
# estate, the CloudTrail logs, the scanner's alerts), on the scenario's
# clock; then checks what the browser left on it: the report signed
# with the server's key, containment proven, the audit chain intact.
# The server and the browser are stopped whatever happens.
. tests/cli/lib.sh

. tests/cli/lib-serve.sh
PEERS=$ROOT/build/peers
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_PID=
stop_browser() {
	[ -n "$BROWSER_PID" ] && kill -KILL "$BROWSER_PID" 2>/dev/null
	stop_server
}
trap stop_browser EXIT

check "node, chromium and the test peers are installed (scripts/deps.sh)" sh -c '
	command -v node && test -x "$1" &&
	test -d "$2/node_modules/playwright-core" && test -d "$2/node_modules/axe-core"' \
	sh "$CHROMIUM" "$PEERS"

S=examples/scenarios/01-ci-key-public-repo
# the feeds on the scenario's clock (a database made for it: init
# --fixed-clock); the server, and all the people do, on the real one
export NHIR_NOW=2024-05-01T10:35:00Z FAKE_STATE="$T/provider.json"
unset NHIR_CONNECTORS
export NHIR_USER=ada
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" --as ada user add "$1" --role "$2" >/dev/null
	pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
	printf '%s\n' "$pw" | "$NHIR" --as ada user passwd "$1" >/dev/null
	eval "export PASSWORD_$(echo "$1" | tr a-z A-Z)=\$pw"
done
"$NHIR" --as rory import nhir $S/inventory.jsonl >/dev/null
"$NHIR" --as rory ingest cloudtrail $S/telemetry/ >/dev/null
"$NHIR" --as rory findings import generic $S/alerts.jsonl --policy policy/routing.yaml >/dev/null
"$NHIR" report keygen "$T/report.key" >/dev/null
unset NHIR_NOW

check "nhir serve starts" start_server --catalog catalog/actions.yaml \
	--policy policy/routing.yaml --connectors examples/connectors/simulated.yaml \
	--report-key "$T/report.key" || { sed 's/^/#   /' "$T/srv.err"; done_testing; exit 1; }

mkdir -p "$ROOT/build/screenshots"
CHROMIUM=$CHROMIUM SIGNED_OUT=$T/signed.json EVIDENCE=$ROOT/$S/telemetry/after-exposure.jsonl \
	node tests/browser/scenario.mjs "$PEERS" "$URL" "$ROOT/build/screenshots" \
	>"$T/browser.out" 2>"$T/browser.err" &
BROWSER_PID=$!
wait "$BROWSER_PID"
rc=$?
BROWSER_PID=
while IFS= read -r line; do
	case $line in
	"ok "*) n=$((n + 1)); echo "ok $n - ${line#ok }" ;;
	"not ok "*) n=$((n + 1)); failed=1; echo "not ok $n - ${line#not ok }" ;;
	*) echo "$line" ;;
	esac
done <"$T/browser.out"
check "the browser carried the scenario to its end" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/browser.err" | tail -30

check "the report signed in the browser verifies with the server's key" \
	"$NHIR" report verify "$T/signed.json" --key "$T/report.key.pub"
check "it is the closed incident's" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["report"]
assert r["incident"]["state"] == "closed" and r["residual"]["contained"], r["incident"]
' "$T/signed.json"
"$NHIR" contain status INC-1 >"$T/contain" 2>&1
check "the record says contained" has "$T/contain" "contained: no residual access"
check "the provider revoked the leaked key" python3 -c '
import json, sys
assert "AKIAEXAMPLEDEPLOY01" in json.load(open(sys.argv[1]))["revoked"]
' "$FAKE_STATE"
"$NHIR" audit log --incident INC-1 --format json >"$T/audit.json"
check "each change is on the audit log by the person who made it in the browser" python3 -c '
import json, sys
es = json.load(open(sys.argv[1]))
es = es.get("entries", es) if isinstance(es, dict) else es
who = {(e["actor"], e["action"]) for e in es}
for w in [("rory", "incident.declare"), ("lena", "plan"), ("alex", "approve"), ("ben", "approve"),
          ("rory", "execute"), ("lena", "report")]:
    assert any(a == w[0] and x.startswith(w[1]) for a, x in who), (w, sorted(who))
' "$T/audit.json"
check "the audit chain is intact" "$NHIR" audit verify

done_testing
