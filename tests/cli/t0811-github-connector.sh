#!/bin/sh
# The built-in github connector against a stand-in for GitHub's REST API
# (tests/peers/github-peer.mjs) that checks every request against
# GitHub's own OpenAPI description (npm @octokit/openapi) and keeps
# state: a token a secret scanning alert found is revoked through
# POST /credentials/revoke and its alert resolved; a fine-grained token
# loses its organisation's grant, as a GitHub App (a JWT signed with the
# App's key, checked with its public key, for an installation token); the
# probes then see both dead.  Dry run, rate limits, a 5xx, a missing
# token, a forged App key, requests the stand-in refuses.
. tests/cli/lib.sh

PEERS=$ROOT/build/peers
if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 ||
   ! command -v openssl >/dev/null 2>&1 ||
   [ ! -d "$PEERS/node_modules/@octokit/openapi" ]; then
	echo "ok 1 - # SKIP node, curl, openssl or GitHub's OpenAPI description is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PEER_PID=
stop_peer() {
	[ -n "$PEER_PID" ] && kill -KILL "$PEER_PID" 2>/dev/null
	[ -n "${KEEP_PEER_ERR:-}" ] && cp "$T/peer.err" "$KEEP_PEER_ERR" 2>/dev/null
	rm -rf "$T"
}
trap stop_peer EXIT

RESPONDER='ghp_nhirResponderToken000000000000000001'
LEAKED='ghp_leakedTokenFromTheAlert0000000000007'
# the App's key, in the PKCS#1 form GitHub hands out; made here, never real
openssl genrsa -traditional -out "$T/app.pem" 2048 2>/dev/null
openssl rsa -in "$T/app.pem" -pubout -out "$T/app.pub" 2>/dev/null
openssl genrsa -traditional -out "$T/other.pem" 2048 2>/dev/null
chmod 600 "$T/app.pem" "$T/other.pem"
APP_PUB=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/app.pub")
cat >"$T/gh.json" <<EOF
{"tokens": {"$RESPONDER": {"login": "nhir-responder", "responder": true},
            "$LEAKED": {"login": "ci-bot"}},
 "alerts": {"acme/payments-api#7": {"secret": "$LEAKED"}},
 "orgs": {"acme": {"grants": [{"id": 42, "token_id": 6001, "owner": "octo-ci"},
                              {"id": 43, "token_id": 6002, "owner": "someone-else"}]}},
 "apps": {"1024": {"slug": "nhir-responder", "public_key": $APP_PUB,
                   "installations": {"77": {"account": "acme"}}}}}
EOF
node tests/peers/github-peer.mjs "$PEERS" "$T/gh.json" >"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 300 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n "s/^port //p" "$T/peer.out" 2>/dev/null)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the GitHub stand-in starts with GitHub's OpenAPI description" test -n "$PORT"
GH=http://127.0.0.1:$PORT

sed "s#https://api.github.com#$GH#" examples/connectors/github.yaml >"$T/github.yaml"
sed -i "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" "$T/github.yaml"
chmod 600 "$T/github.yaml"
export NHIR_NOW=2024-05-01T10:35:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/github.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
export GITHUB_TOKEN="$RESPONDER"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" findings import github-secret-scanning tests/data/findings/github-alerts.json >/dev/null
printf '%s\n' '{"@timestamp": 1714553000000, "_document_id": "fg-clone-1", "action": "git.clone", "actor": "octo-ci", "org": "acme", "repo": "acme/api", "token_id": 6001, "programmatic_access_type": "Fine-grained personal access token"}' >"$T/audit.jsonl"
"$NHIR" ingest github-audit "$T/audit.jsonl" >/dev/null
"$NHIR" --as rory incident declare --title "PAT leaked in payments-api" --severity high \
	--lead lena --seed 'github-alert:acme/payments-api#7' --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 add github:token-id:6001 >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm github:token-id:6001 >/dev/null

step() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == sys.argv[1] and (s["target"] or "-") == sys.argv[2]:
        print(s["step"])' "$1" "$2"
}
status() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
print([s["status"] for s in json.load(sys.stdin)["steps"] if s["step"] == int(sys.argv[1])][0])' "$1"
}
peer() { curl -sf "$GH/_peer/$1"; }
# calls OP [STATUS]: how many requests of OP ("METHOD /template") the stand-in saw
calls() {
	peer log | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["op"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}
ALERT='github-alert:acme/payments-api#7'
ALERT_OP='/repos/{owner}/{repo}/secret-scanning/alerts/{alert_number}'

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >/dev/null'
REV=$(step github.revoke-credential "$ALERT")
VER=$(step generic.verify-revoked "$ALERT")
REV2=$(step github.revoke-credential github:token-id:6001)
VER2=$(step generic.verify-revoked github:token-id:6001)
check "the steps are there" test -n "$REV" -a -n "$VER" -a -n "$REV2" -a -n "$VER2"
NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
[ -z "$NEED" ] || "$NHIR" --as alex approve INC-1 $NEED --why "reviewed" >/dev/null
NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
[ -z "$NEED" ] || "$NHIR" --as ben approve INC-1 $NEED --why "second pair of eyes" >/dev/null
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked"))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run: the exact requests, the token redacted, nothing sent
check "a dry run shows the requests" sh -c '"$NHIR" --as rory execute INC-1 '$REV' >"$0/dry.out"' "$T"
check "the alert read first" has "$T/dry.out" "GET $GH/repos/acme/payments-api/secret-scanning/alerts/7"
check "with GitHub's headers" has "$T/dry.out" "X-GitHub-Api-Version: 2022-11-28"
check "the token redacted" has "$T/dry.out" "Authorization: Bearer [redacted]"
check "the revocation, unauthenticated" has "$T/dry.out" "POST $GH/credentials/revoke"
check "its secret described, not shown" has "$T/dry.out" "[redacted: the alert's secret, read when it runs]"
check "the alert resolved as revoked" has "$T/dry.out" '"state":"resolved","resolution":"revoked"'
check "no token in it" hasnt "$T/dry.out" "$RESPONDER"
check "nothing was sent" test "$(peer log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0
check "nor run" test "$(status $REV)" = planned

# no token: said, nothing sent
check "no token fails the step" exits 1 env -u GITHUB_TOKEN "$NHIR" --as rory execute INC-1 $REV --confirm
check "saying why" has "$T/last.out" "no GitHub token for 'github': connector secret \$GITHUB_TOKEN is not set"
check "nothing sent then" test "$(peer log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0
check "a token GitHub does not know fails it" exits 1 env GITHUB_TOKEN=ghp_unknown "$NHIR" --as rory execute INC-1 $REV --confirm
check "naming GitHub's answer" has "$T/last.out" "GET /repos/acme/payments-api/secret-scanning/alerts/7 refused: HTTP 401: Bad credentials"
check "the leaked token still works" sh -c 'peer() { curl -sf "$0/_peer/state"; }; peer | python3 -c "import json,sys; assert not json.load(sys.stdin)[\"tokens\"][sys.argv[1]].get(\"revoked\")" "$1"' "$GH" "$LEAKED"

# rate limited, then a 502: retried as GitHub says
RESET=$(($(date +%s) + 1))
curl -sf -X POST "$GH/_peer/faults" -d '[{"op": "GET '"$ALERT_OP"'", "status": 403, "headers": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "'$RESET'"}, "message": "API rate limit exceeded", "count": 1}, {"op": "POST /credentials/revoke", "status": 502, "message": "Server Error", "count": 1}]' >/dev/null
check "the revocation runs" sh -c '"$NHIR" --as rory execute INC-1 '$REV' --confirm >"$0/rev.out"' "$T"
check "after a rate limit and a 502" test "$(calls "GET $ALERT_OP" 403) $(calls "POST /credentials/revoke" 502) $(calls "POST /credentials/revoke" 202)" = "1 1 1"
check "the step is done" test "$(status $REV)" = done
check "its detail" has "$T/rev.out" "the secret of alert acme/payments-api#7 revoked by POST /credentials/revoke; the alert resolved as revoked"
check "the token is revoked at GitHub" sh -c 'curl -sf "$0/_peer/state" | python3 -c "import json,sys; assert json.load(sys.stdin)[\"tokens\"][sys.argv[1]][\"revoked\"]" "$1"' "$GH" "$LEAKED"
check "the alert is resolved as revoked" sh -c 'curl -sf "$0/_peer/state" | python3 -c "
import json,sys
a = json.load(sys.stdin)[\"alerts\"][\"acme/payments-api#7\"]
assert a[\"state\"] == \"resolved\" and a[\"resolution\"] == \"revoked\" and \"INC-1\" in a[\"resolution_comment\"], a"' "$GH"
check "the revocation was sent without a token, as GitHub requires" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
e = [e for e in json.load(sys.stdin) if e[\"op\"] == \"POST /credentials/revoke\"]
assert e and all(x[\"auth\"] == \"none\" for x in e), e"' "$GH"

# verification: the alert's secret no longer signs in
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VER' --confirm >"$0/ver.out"' "$T"
check "by GET /user with the secret" has "$T/ver.out" "GET /user with the secret of alert acme/payments-api#7: HTTP 401 Bad credentials (revoked)"
check "verified on the record" sh -c '"$NHIR" --as rory verify INC-1 | grep -q "verified   github-alert:acme/payments-api#7"'

# the fine-grained token: its grant in the organisation, which only a
# GitHub App may list and revoke
check "a personal token is refused there" exits 1 "$NHIR" --as rory execute INC-1 $REV2 --confirm
check "as GitHub refuses it" has "$T/last.out" "GET /orgs/acme/personal-access-tokens refused: HTTP 403: Resource not accessible by personal access token"
sed "s#    token: \${env:GITHUB_TOKEN}#    app_id: 1024\n    app_key_file: $T/app.pem\n    installation_id: 77#" \
	"$T/github.yaml" >"$T/github-app.yaml"
chmod 600 "$T/github-app.yaml"
export NHIR_CONNECTORS="$T/github-app.yaml"
check "the App's dry run" sh -c 'env -u GITHUB_TOKEN "$1" --as rory execute INC-1 '$REV2' >"$0/app-dry.out"' "$T" "$NHIR"
check "asks for an installation token first" has "$T/app-dry.out" "POST $GH/app/installations/77/access_tokens"
check "with the JWT redacted" has "$T/app-dry.out" "Authorization: Bearer [redacted: a JWT (RS256) signed with the private key of App 1024]"
check "then lists the grants with it, redacted" has "$T/app-dry.out" "Authorization: Bearer [redacted: the installation token POST /app/installations/77/access_tokens answers]"
check "a key that is not the App's" exits 1 env -u GITHUB_TOKEN sh -c 'sed "s#$0/app.pem#$0/other.pem#" "$0/github-app.yaml" >"$0/github-other.yaml"; chmod 600 "$0/github-other.yaml"; "$1" --as rory execute INC-1 '$REV2' --confirm --connectors "$0/github-other.yaml"' "$T" "$NHIR"
check "is refused by GitHub" has "$T/last.out" "no GitHub installation token for 'github': POST /app/installations/77/access_tokens refused: HTTP 401: A JSON web token could not be decoded: the signature does not verify with the App's public key"
check "a missing key file is named" exits 1 env -u GITHUB_TOKEN sh -c 'sed "s#$0/app.pem#$0/none.pem#" "$0/github-app.yaml" >"$0/github-none.yaml"; chmod 600 "$0/github-none.yaml"; "$1" --as rory execute INC-1 '$REV2' --confirm --connectors "$0/github-none.yaml"' "$T" "$NHIR"
check "as unreadable" has "$T/last.out" "no GitHub installation token for 'github': cannot read '$T/none.pem': No such file or directory"
curl -sf -X POST "$GH/_peer/faults" -d '[{"op": "GET /orgs/{org}/personal-access-tokens", "status": 429, "headers": {"Retry-After": "3600"}, "message": "You have exceeded a secondary rate limit", "count": 1}]' >/dev/null
check "a rate limit past the timeout fails the step" exits 1 "$NHIR" --as rory execute INC-1 $REV2 --confirm
check "saying how long" has "$T/last.out" "refused: HTTP 429: You have exceeded a secondary rate limit (rate limited for 3600 s more, past the step's timeout)"
check "the grant is revoked" sh -c 'env -u GITHUB_TOKEN "$1" --as rory execute INC-1 '$REV2' --confirm >"$0/rev2.out"' "$T" "$NHIR"
check "as the App's installation" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
tok = [e for e in log if e[\"op\"] == \"POST /app/installations/{installation_id}/access_tokens\" and e[\"status\"] == 201]
pat = [e for e in log if e[\"op\"] == \"POST /orgs/{org}/personal-access-tokens\" and e[\"status\"] == 202]
assert tok and pat and all(e[\"auth\"] == \"installation\" for e in pat), (tok, pat)
j = tok[-1][\"jwt\"]
# signed with the App key, iat a minute back, exp within 10 minutes
assert j[\"signature\"] and 58 <= j[\"iat\"] <= 65 and 0 < j[\"exp\"] <= 600, j"' "$GH"
check "by its grant id" has "$T/rev2.out" "POST /orgs/acme/personal-access-tokens: the grant 42 of fine-grained token 6001 in acme revoked"
check "gone at GitHub, the other kept" sh -c 'curl -sf "$0/_peer/state" | python3 -c "
import json,sys
g = json.load(sys.stdin)[\"orgs\"][\"acme\"][\"grants\"]
assert [x[\"id\"] for x in g] == [43], g"' "$GH"
check "and verified" sh -c 'env -u GITHUB_TOKEN "$1" --as rory execute INC-1 '$VER2' --confirm >"$0/ver2.out"' "$T" "$NHIR"
check "by the listing" has "$T/ver2.out" "no grant of fine-grained token 6001 left in acme"

# every request nhir sent was one GitHub's description allows
check "no request broke GitHub's description" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
bad = [e for e in log if e.get(\"violations\")]
assert len(log) >= 10 and not bad, bad"' "$GH"

# requests the stand-in refuses, by the description
H='-H Accept:application/vnd.github+json -H X-GitHub-Api-Version:2022-11-28'
check "a missing API version is refused" sh -c 'curl -s -H "Accept: application/vnd.github+json" -H "Authorization: Bearer $1" "$0/user" | grep -q "X-GitHub-Api-Version is .undefined., not 2022-11-28"' "$GH" "$RESPONDER"
check "an empty list of credentials is refused" sh -c 'curl -s '"$H"' -H "Content-Type: application/json" -d "{\"credentials\": []}" "$0/credentials/revoke" | grep -q "must NOT have fewer than 1 items"' "$GH"
check "an authenticated revocation is refused" sh -c 'test "$(curl -s -o /dev/null -w %{http_code} '"$H"' -H "Authorization: Bearer $1" -H "Content-Type: application/json" -d "{\"credentials\": [\"x\"]}" "$0/credentials/revoke")" = 403' "$GH" "$RESPONDER"
check "a resolution outside the enum is refused" sh -c 'curl -s -X PATCH '"$H"' -H "Authorization: Bearer $1" -H "Content-Type: application/json" -d "{\"state\": \"resolved\", \"resolution\": \"done\"}" "$0/repos/acme/payments-api/secret-scanning/alerts/7" | grep -q "must be equal to one of the allowed values"' "$GH" "$RESPONDER"
check "an undeclared query parameter is refused" sh -c 'curl -s '"$H"' -H "Authorization: Bearer $1" "$0/orgs/acme/personal-access-tokens?tokenid=1" | grep -q "query parameter tokenid is not declared"' "$GH" "$RESPONDER"

# nothing secret anywhere
check "no token in the database" sh -c '! grep -qaF "$0" "$NHIR_DB" && ! grep -qaF "$1" "$NHIR_DB"' "$RESPONDER" "$LEAKED"
check "no token in the record" sh -c '"$NHIR" audit log --format json >"$2/audit.json" 2>&1; ! grep -qF "$0" "$2/audit.json" && ! grep -qF "$1" "$2/audit.json"' "$RESPONDER" "$LEAKED" "$T"
check "no token in any output" sh -c '! grep -qF "$0" "$2"/*.out && ! grep -qF "$1" "$2"/*.out' "$RESPONDER" "$LEAKED" "$T"
check "no installation token or App key anywhere" sh -c '! grep -qaE "ghs_|eyJhbGciOiJSUzI1NiIs" "$NHIR_DB" "$0"/*.out "$0/audit.json" && ! grep -qaF "$(sed -n 2p "$0/app.pem")" "$NHIR_DB" "$0"/*.out' "$T"

done_testing
