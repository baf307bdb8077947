#!/bin/sh
# The built-in vault connector against a stand-in for Vault's HTTP API
# (tests/peers/vault-peer.mjs, its checks written from Vault's API
# documentation) that keeps state: a token revoked by its accessor takes
# its children and leases with it, an orphan survives; a login token's
# path revoked by prefix; the probe (lookup-accessor) then finds them
# gone.  Dry run, a 429 and a 503 retried, a missing token, no sudo, an
# HMAC'd accessor, requests the stand-in refuses.
. tests/cli/lib.sh

if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	echo "ok 1 - # SKIP node or curl is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PEER_PID=
stop_peer() {
	[ -n "$PEER_PID" ] && kill -KILL "$PEER_PID" 2>/dev/null
	rm -rf "$T"
}
trap stop_peer EXIT

RESPONDER='hvs.nhirResponderToken0000000001'
WEAK='hvs.nhirWeakToken00000000000000002'
cat >"$T/vault.json" <<EOF
{"tokens": {
  "accResponder0001": {"token": "$RESPONDER", "path": "auth/token/create", "policies": ["incident-response", "sudo"], "parent": null, "orphan": true},
  "accWeak000000002": {"token": "$WEAK", "path": "auth/token/create", "policies": ["incident-response"], "parent": null, "orphan": true},
  "accDeploy0000004": {"token": "hvs.deploy", "path": "auth/token/create", "policies": ["deploy"], "parent": null, "orphan": true},
  "accChild00000003": {"token": "hvs.child", "path": "auth/token/create", "policies": ["deploy"], "parent": "accDeploy0000004", "orphan": false},
  "accOrphan0000005": {"token": "hvs.orphan", "path": "auth/token/create-orphan", "policies": ["deploy"], "parent": "accDeploy0000004", "orphan": true},
  "accCiLogin000001": {"token": "hvs.cilogin", "path": "auth/approle/login", "policies": ["ci"], "parent": null, "orphan": true},
  "accCiOther000002": {"token": "hvs.ciother", "path": "auth/approle/login", "policies": ["ci"], "parent": null, "orphan": true},
  "accKube000000006": {"token": "hvs.kube", "path": "auth/kubernetes/login", "policies": ["app"], "parent": null, "orphan": true}},
 "leases": {"aws/creds/deploy/lease1": {"token": "accDeploy0000004"},
            "database/creds/readonly/lease2": {"token": "accChild00000003"},
            "database/creds/readonly/lease3": {"token": "accCiLogin000001"}}}
EOF
node tests/peers/vault-peer.mjs "$T/vault.json" >"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n "s/^port //p" "$T/peer.out" 2>/dev/null)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the Vault stand-in starts" test -n "$PORT"
V=http://127.0.0.1:$PORT

sed "s#https://vault.example.com:8200#$V#" examples/connectors/vault.yaml >"$T/vault.yaml"
sed -i "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" "$T/vault.yaml"
chmod 600 "$T/vault.yaml"
export NHIR_NOW=2024-06-03T10:00:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/vault.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
export VAULT_TOKEN="$RESPONDER"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
cat >"$T/estate.jsonl" <<'EOF'
{"type":"node","kind":"token","id":"vault:accDeploy0000004","name":"deploy token","subtype":"vault-token","provider":"vault","created":"2024-06-03T08:59:00Z"}
{"type":"node","kind":"token","id":"vault:accCiLogin000001","name":"ci approle login","subtype":"vault-login-token","provider":"vault","created":"2024-06-03T08:59:00Z"}
{"type":"node","kind":"token","id":"vault:hmac-sha256:4fdf2a6c6f2d2754c69bc8ea7645e5584c3a0e4bd0bd450d0031c1e0bead75c9","name":"a token seen HMAC'd","subtype":"vault-token","provider":"vault","created":"2024-06-03T08:59:00Z"}
EOF
"$NHIR" import nhir "$T/estate.jsonl" >/dev/null
"$NHIR" --as rory incident declare --title "Vault token leaked" --severity high \
	--lead lena --seed vault:accDeploy0000004 --exposed-at 2024-06-03T09:00:00Z >/dev/null
HM='vault:hmac-sha256:4fdf2a6c6f2d2754c69bc8ea7645e5584c3a0e4bd0bd450d0031c1e0bead75c9'
for x in vault:accCiLogin000001 "$HM"; do
	"$NHIR" --as lena incident scope INC-1 add "$x" >/dev/null
	"$NHIR" --as lena incident scope INC-1 confirm "$x" >/dev/null
done

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
calls() {
	curl -sf "$V/_peer/log" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["route"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}
# revoked ACCESSOR|LEASE...: each is revoked at the stand-in
revoked() {
	curl -sf "$V/_peer/state" | python3 -c '
import json, sys
s = json.load(sys.stdin)
for x in sys.argv[1:]:
    want = not x.startswith("!")
    x = x.lstrip("!")
    e = s["tokens"].get(x) or s["leases"][x]
    assert bool(e.get("revoked")) == want, (x, e)' "$@"
}

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >/dev/null'
REV=$(step vault.revoke-token vault:accDeploy0000004)
VER=$(step generic.verify-revoked vault:accDeploy0000004)
PFX=$(step vault.revoke-lease-prefix vault:accCiLogin000001)
VER2=$(step generic.verify-revoked vault:accCiLogin000001)
HREV=$(step vault.revoke-token "$HM")
check "the steps are there" test -n "$REV" -a -n "$VER" -a -n "$PFX" -a -n "$VER2" -a -n "$HREV"
for who in alex ben; do
	NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
	[ -z "$NEED" ] || "$NHIR" --as $who approve INC-1 $NEED --why "reviewed" >/dev/null
done
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked"))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run
check "a dry run shows the request" sh -c '"$NHIR" --as rory execute INC-1 '$REV' >"$0/dry.out"' "$T"
check "to Vault's endpoint" has "$T/dry.out" "POST $V/v1/auth/token/revoke-accessor"
check "the token redacted" has "$T/dry.out" "X-Vault-Token: [redacted]"
check "the body" has "$T/dry.out" '{"accessor":"accDeploy0000004"}'
check "no token in it" hasnt "$T/dry.out" "$RESPONDER"
check "the prefix's dry run reads the path first" sh -c '"$NHIR" --as rory execute INC-1 '$PFX' >"$0/dry2.out"' "$T"
check "then revokes under it" has "$T/dry2.out" "PUT $V/v1/sys/leases/revoke-prefix/PATH"
check "nothing was sent" test "$(curl -sf "$V/_peer/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0

check "no token fails the step" exits 1 env -u VAULT_TOKEN "$NHIR" --as rory execute INC-1 $REV --confirm
check "saying why" has "$T/last.out" "no Vault token for 'vault': connector secret \$VAULT_TOKEN is not set"
check "an unknown token is refused by Vault" exits 1 env VAULT_TOKEN=hvs.unknown "$NHIR" --as rory execute INC-1 $REV --confirm
check "naming Vault's error" has "$T/last.out" "POST /v1/auth/token/revoke-accessor refused: HTTP 403: permission denied"

# throttled and unavailable: retried
curl -sf -X POST "$V/_peer/faults" -d '[{"path": "auth/token/revoke-accessor", "status": 429, "headers": {"Retry-After": "1"}, "message": "request path \"auth/token/revoke-accessor\": rate limit quota exceeded", "count": 1}, {"path": "auth/token/revoke-accessor", "status": 503, "message": "Vault is sealed", "count": 1}]' >/dev/null
check "the token is revoked" sh -c '"$NHIR" --as rory execute INC-1 '$REV' --confirm >"$0/rev.out"' "$T"
check "after a 429 and a 503" test "$(calls auth/token/revoke-accessor 429) $(calls auth/token/revoke-accessor 503) $(calls auth/token/revoke-accessor 204)" = "1 1 1"
check "the step is done" test "$(status $REV)" = done
check "its detail names what survives" has "$T/rev.out" "orphan tokens (logins through other auth methods) and STS credentials of the AWS secrets engine survive"
check "with its child and their leases, not the orphan" revoked accDeploy0000004 accChild00000003 aws/creds/deploy/lease1 database/creds/readonly/lease2 '!accOrphan0000005' '!accCiLogin000001'
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VER' --confirm >"$0/ver.out"' "$T"
check "by lookup-accessor" has "$T/ver.out" "Vault knows no token with accessor accDeploy0000004 (invalid accessor)"

# the login path by prefix: sudo only
check "without sudo the prefix is refused" exits 1 env VAULT_TOKEN="$WEAK" "$NHIR" --as rory execute INC-1 $PFX --confirm
check "naming the refusal" has "$T/last.out" "PUT /v1/sys/leases/revoke-prefix/auth/approle/login refused: HTTP 403: permission denied"
check "with sudo it runs" sh -c '"$NHIR" --as rory execute INC-1 '$PFX' --confirm >"$0/pfx.out"' "$T"
check "under the token's path" has "$T/pfx.out" "every token and lease made under auth/approle/login revoked"
check "every login of the role and its leases, no other mount" revoked accCiLogin000001 accCiOther000002 database/creds/readonly/lease3 '!accKube000000006'
check "and verified" sh -c '"$NHIR" --as rory execute INC-1 '$VER2' --confirm >/dev/null'

# an accessor seen only HMAC'd cannot be revoked: said
check "an HMAC'd accessor fails its step" exits 1 "$NHIR" --as rory execute INC-1 $HREV --confirm
check "saying how to log accessors" has "$T/last.out" "the audit device HMACs accessors"

check "no request broke Vault's documented API" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
bad = [e for e in log if e.get(\"violations\")]
assert len(log) >= 8 and not bad, bad"' "$V"
check "an unknown parameter is refused" sh -c 'curl -s -H "X-Vault-Token: $1" -d "{\"accessor\": \"x\", \"mode\": \"orphan\"}" "$0/v1/auth/token/revoke-accessor" | grep -q "has no parameter mode"' "$V" "$RESPONDER"
check "a missing accessor is refused" sh -c 'curl -s -H "X-Vault-Token: $1" -d "{}" "$0/v1/auth/token/lookup-accessor" | grep -q "missing required parameter accessor"' "$V" "$RESPONDER"
check "no token, no answer" sh -c 'test "$(curl -s -o /dev/null -w %{http_code} -d "{\"accessor\": \"x\"}" "$0/v1/auth/token/lookup-accessor")" = 403' "$V"

check "no token in the database" sh -c '! grep -qaF "$0" "$NHIR_DB"' "$RESPONDER"
check "no token in the record" sh -c '"$NHIR" audit log --format json >"$1/audit.json" 2>&1; ! grep -qF "$0" "$1/audit.json"' "$RESPONDER" "$T"
check "no token in any output" sh -c '! grep -qF "$0" "$1"/*.out' "$RESPONDER" "$T"

done_testing
