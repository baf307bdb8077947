#!/bin/sh
# The web workbench nhir serve gives browsers: its page and hashed
# assets with their headers, then tests/browser/workbench.mjs in Debian's
# Chromium (playwright-core and axe-core from tests/peers): signing in
# by password and by OpenID Connect (a real provider, npm oidc-provider),
# two people on one plan (the approval appears live, one by one and
# all at once), four eyes explained, the next step run, an observer
# with nothing to press, forged requests
# refused, hostile strings shown as text, no serious accessibility
# violation, no console error; screenshots go to build/screenshots/.
# The server, the provider and the browser are stopped whatever happens.
. tests/cli/lib.sh

. tests/cli/lib-serve.sh
. tests/cli/lib-oidc.sh
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_PID=
stop_browser() {
	[ -n "$BROWSER_PID" ] && kill -KILL "$BROWSER_PID" 2>/dev/null
	stop_all
}
trap stop_browser EXIT

# Not a skip: the workbench is tested wherever make check runs, and
# scripts/deps.sh installs what it needs.
check "node, chromium and the test peers are installed (scripts/deps.sh)" sh -c '
	command -v node && command -v curl && test -x "$1" &&
	test -d "$2/node_modules/playwright-core" &&
	test -d "$2/node_modules/axe-core" &&
	test -d "$2/node_modules/oidc-provider"' sh "$CHROMIUM" "$PEERS"

HOSTILE='<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
export FAKE_STATE="$T/provider.json"
unset NHIR_CONNECTORS
"$NHIR" init >/dev/null
for u in "lena lead" "rory responder" "ben approver" "olga observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
	pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
	printf '%s\n' "$pw" | "$NHIR" user passwd "$1" >/dev/null
	eval "export PASSWORD_$(echo "$1" | tr a-z A-Z)=\$pw"
done
"$NHIR" user add alex --role approver >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
# a node whose name is hostile, in the blast radius of the seed
# and a session the key minted that cannot be revoked: it lives three
# hours more, the residual access counts it down
python3 - "$HOSTILE" >"$T/nodes.jsonl" <<'EOF'
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
print(json.dumps({"type": "node", "kind": "token", "id": "ASIAEXAMPLELIVE", "name": "live session",
                  "subtype": "aws-sts-session", "provider": "aws", "created": iso(now),
                  "expires": iso(now + datetime.timedelta(hours=3))}))
print(json.dumps({"type": "edge", "kind": "issued", "from": "AKIAEXAMPLEDEPLOY01", "to": "ASIAEXAMPLELIVE",
                  "cascade": False, "created": iso(now)}))
print(json.dumps({"type": "node", "kind": "resource", "id": "arn:aws:s3:::hostile",
                  "name": sys.argv[1]}))
print(json.dumps({"type": "edge", "kind": "can", "to": "arn:aws:s3:::hostile",
                  "from": "arn:aws:iam::111122223333:user/ci-deployer", "privilege": "read"}))
EOF
"$NHIR" import nhir "$T/nodes.jsonl" >/dev/null
# a large radius (more than the explorer draws with Cytoscape): a key
# whose user reads 800 buckets, one of them with the hostile name
python3 - "$HOSTILE" >"$T/big.jsonl" <<'EOF'
import json, sys
out = lambda o: print(json.dumps(o))
user = "arn:aws:iam::111122223333:user/big"
out({"type": "node", "kind": "credential", "id": "AKIAEXAMPLEBIGRADIUS", "name": "big key",
     "subtype": "aws-access-key", "provider": "aws"})
out({"type": "node", "kind": "identity", "id": user, "name": "big", "subtype": "aws-iam-user", "provider": "aws"})
out({"type": "edge", "kind": "authenticates", "from": "AKIAEXAMPLEBIGRADIUS", "to": user})
for i in range(800):
    out({"type": "node", "kind": "resource", "id": f"arn:aws:s3:::big-{i}",
         "name": sys.argv[1] if i == 7 else f"big bucket {i}"})
    out({"type": "edge", "kind": "can", "from": user, "to": f"arn:aws:s3:::big-{i}", "privilege": "read"})
EOF
"$NHIR" import nhir "$T/big.jsonl" >/dev/null
"$NHIR" --as rory ingest cloudtrail examples/telemetry/cloudtrail/* >/dev/null
{
	cat examples/findings/ci-log-alerts.jsonl
	python3 -c 'import json, sys; print(json.dumps({"detector": sys.argv[1], "secret": "xoxb-0000-hostile-finding-0000", "kind": "slack-token", "time": "2024-05-02T09:00:00Z", "location": {"repository": "acme/web", "file": sys.argv[1], "line": 1}}))' "$HOSTILE"
} >"$T/findings.jsonl"
"$NHIR" --as rory findings import generic "$T/findings.jsonl" --policy policy/routing.yaml >/dev/null
"$NHIR" --as rory incident declare --title "$HOSTILE" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as rory note INC-1 "$HOSTILE" >/dev/null

"$NHIR" report keygen "$T/report.key" >/dev/null
check "the provider starts" start_idp
oidc_config "$T/nhir.yaml"
check "nhir serve starts" start_server --listen "127.0.0.1:$PORT" \
	--config "$T/nhir.yaml" --catalog catalog/actions.yaml --policy policy/routing.yaml \
	--connectors examples/connectors/simulated.yaml --report-key "$T/report.key"

req page "$URL/"
check "GET / is the workbench's page" code page 200
check "as HTML" sh -c 'grep -qi "^content-type: text/html" "$1"' sh "$T/page.head"
WANT="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
check "with a CSP: its own scripts and styles, requests to itself only" \
	test "$(header page Content-Security-Policy)" = "$WANT"
check "no inline script in the page" python3 -c '
import re, sys
page = open(sys.argv[1]).read()
scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
assert scripts and all("src=" in a and not body.strip() for a, body in scripts), scripts
assert "http://" not in page and "https://" not in page, "an external resource"
' "$T/page.body"
check "the page is not kept" test "$(header page Cache-Control)" = no-store
JS=$(sed -n 's|.*src="\(/assets/app\.[A-Za-z0-9]*\.js\)".*|\1|p' "$T/page.body")
CSS=$(sed -n 's|.*href="\(/assets/app\.[A-Za-z0-9]*\.css\)".*|\1|p' "$T/page.body")
check "it names a hashed script and style sheet" test -n "$JS" -a -n "$CSS"
req js "$URL$JS"
check "the script is served" code js 200
check "as JavaScript" sh -c 'grep -qi "^content-type: text/javascript" "$1"' sh "$T/js.head"
check "kept a year, immutable" test "$(header js Cache-Control)" = "public, max-age=31536000, immutable"
check "and nosniff" test "$(header js X-Content-Type-Options)" = nosniff
req css "$URL$CSS"
check "the style sheet is served as CSS" sh -c 'grep -qi "^content-type: text/css" "$1"' sh "$T/css.head"
req nosuch "$URL/assets/app.NOSUCH.js"
check "an asset that is not there: 404" code nosuch 404
check "as problem+json" problem nosuch 404 NHIR_ENOTFOUND
req api -H "Authorization: Bearer nhir_x" "$URL/api/v1/incidents"
check "the API keeps its CSP" test "$(header api Content-Security-Policy)" = "default-src 'none'; frame-ancestors 'none'"
check "and its Cache-Control" test "$(header api Cache-Control)" = no-store
req post -X POST "$URL/"
check "the page takes no POST: 404" code post 404
req head -I "$URL/"
check "HEAD / answers" code head 200

# the metrics the workbench draws, as the API gives them
OLGA=$("$NHIR" token create --user olga 2>/dev/null)
mkdir -p "$T/api"
T=$T/api req metrics -H "Authorization: Bearer $OLGA" "$URL/api/v1/metrics?days=3"
check "GET /api/v1/metrics answers an observer" code api/metrics 200
check "what nhir metrics prints, with days" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["incidents"] == 1 and d["days_after_notice"] == 3, d
i = d["per_incident"][0]
assert i["id"] == "INC-1" and i["declaration"] == 0 and i["detection"] is None, i
' "$T/api/metrics.body"
T=$T/api req baddays -H "Authorization: Bearer $OLGA" "$URL/api/v1/metrics?days=-1"
check "days that is not a number: 400" code api/baddays 400
check "naming the parameter" has "$T/api/baddays.body" days
T=$T/api req badsince -H "Authorization: Bearer $OLGA" "$URL/api/v1/metrics?since=yesterday"
check "since that is not a time: 400" code api/badsince 400
"$NHIR" serve --routes >"$T/routes"
check "the answers match the API description" node tests/peers/openapi-check.mjs \
	"$PEERS" doc/openapi.json "$T/routes" "$T/api"

mkdir -p "$ROOT/build/screenshots"
HOSTILE=$HOSTILE OIDC_USER=alex CHROMIUM=$CHROMIUM SIGNED_OUT=$T/signed.json \
	node tests/browser/workbench.mjs "$PEERS" "$URL" "$ROOT/build/screenshots" \
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
check "the browser suite ran to its end" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/browser.err" | tail -30
check "a screenshot of every page at both sizes" sh -c '
	for p in signin board triage incident incident-observer credential blast blast-large report metrics; do
		for s in wide phone; do
			test -s "$1/$p-$s-light.png" && test -s "$1/$p-$s-dark.png" || exit 1
		done
	done' sh "$ROOT/build/screenshots"
check "the steps run from the page reached the provider, once each" python3 -c '
import json, sys
calls = json.load(open(sys.argv[1]))["calls"]
run = [c["action"] for c in calls if not c["dry_run"]]
assert run == ["generic.preserve-evidence", "generic.notify-owner"], calls
' "$FAKE_STATE"
"$NHIR" evidence list INC-1 --format json >"$T/evidence.json"
check "the evidence uploaded from the page is on the record with its hash" python3 -c '
import hashlib, json, sys
ev = json.load(open(sys.argv[1]))["evidence"]
assert any(e["sha256"] == hashlib.sha256(b"evidence from the page\n").hexdigest() for e in ev), ev
' "$T/evidence.json"
check "the report signed in the browser verifies with the server's key" \
	"$NHIR" report verify "$T/signed.json" --key "$T/report.key.pub"
check "the audit chain is intact" "$NHIR" audit verify

done_testing
