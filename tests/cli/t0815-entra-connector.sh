#!/bin/sh
# The built-in entra connector against a stand-in for Microsoft's token
# endpoint and Microsoft Graph (tests/peers/entra-peer.mjs, its checks
# written from Microsoft's reference pages) that keeps state: a service
# principal disabled, client secrets of an application and of a service
# principal removed, a delegated permission grant and an app role
# assignment deleted; the probes then read them disabled, removed and
# gone (an assignment through the listing's pages); an access token the
# secret issued lives on as residual access until it expires.  Dry run, a 429 and a
# 503 retried, no secret, a wrong secret, too few permissions, a grant
# already gone, requests the stand-in refuses.  A certificate is removed
# (removeKey) with a proof signed by another certificate of the same
# application, which the stand-in verifies against the certificates it
# holds; refused without a proof key, with a stranger's certificate, or
# with a key that is not its certificate's; its probe fails once removed.
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

TENANT=contoso.onmicrosoft.com
RESPONDER=5b1f3e1c-8d7a-4b8e-9a44-0c1d2e3f4a5b
WEAK=6c2a4f2d-9e8b-4c9f-8b55-1d2e3f4a5b6c
SECRET='nhir~Resp0nderSecret.Value_With+Signs/And=More'
SP=11111111-2222-4333-8444-555555555555
APP=22222222-3333-4444-8555-666666666666
RES=33333333-4444-4555-8666-777777777777
KEY_APP=44444444-5555-4666-8777-888888888888
KEY_SP=55555555-6666-4777-8888-999999999999
KEY_KEEP=66666666-7777-4888-8999-aaaaaaaaaaaa
GRANT=l5ixn2B8DEq0p2fR3rUaXxkVtGhLrBXHn0HtsZ1p6D8
ASSIGN=Rz8bW1q3kEuTq0b3kYyq1x0cYxkAr7hNt3B8AmZa0fE
cat >"$T/entra.json" <<EOF
{"tenant": "$TENANT",
 "clients": {"$RESPONDER": {"secret": "$SECRET", "roles": ["Application.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"]},
             "$WEAK": {"secret": "$SECRET", "roles": ["Application.Read.All"]}},
 "servicePrincipals": {
   "$SP": {"accountEnabled": true, "displayName": "ci-deployer",
           "passwordCredentials": [{"keyId": "$KEY_SP", "displayName": "sp secret"}]},
   "$RES": {"accountEnabled": true, "displayName": "payments-api",
            "appRoleAssignedTo": [{"id": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1", "principalId": "$RES", "appRoleId": "$RES"},
                                  {"id": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA2", "principalId": "$RES", "appRoleId": "$RES"},
                                  {"id": "$ASSIGN", "principalId": "$SP", "appRoleId": "$RES"},
                                  {"id": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA3", "principalId": "$RES", "appRoleId": "$RES"}]}},
 "applications": {"$APP": {"displayName": "ci-deployer",
                           "passwordCredentials": [{"keyId": "$KEY_APP", "displayName": "leaked"}, {"keyId": "$KEY_KEEP", "displayName": "other"}]}},
 "grants": {"$GRANT": {"clientId": "$SP", "resourceId": "$RES", "scope": "User.Read Mail.Read"}}}
EOF
# certificates: one to remove, one of the same application whose key
# signs the proof, and a stranger's that no application holds
for c in leaked proof stranger; do
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/$c.key" -out "$T/$c.pem" \
		-subj "/CN=ci-deployer $c" -days 2 >/dev/null 2>&1
	chmod 600 "$T/$c.key"
done
KEY_PROOF=77777777-8888-4999-8aaa-bbbbbbbbbbbb
python3 - "$T" "$APP" "$KEY_KEEP" "$KEY_PROOF" <<'PY'
import json, sys
t, app, leaked, proof = sys.argv[1:5]
s = json.load(open(t + "/entra.json"))
s["applications"][app]["keyCredentials"] = [
    {"keyId": leaked, "displayName": "leaked", "cert": open(t + "/leaked.pem").read()},
    {"keyId": proof, "displayName": "rotation", "cert": open(t + "/proof.pem").read()}]
json.dump(s, open(t + "/entra.json", "w"))
PY
node tests/peers/entra-peer.mjs "$T/entra.json" >"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n "s/^port //p" "$T/peer.out" 2>/dev/null)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the Entra stand-in starts" test -n "$PORT"
E=http://127.0.0.1:$PORT

sed -e "s#tenant: contoso.onmicrosoft.com#tenant: $TENANT\n    login_url: $E\n    graph_url: $E/#" \
    -e "s#client_id: 00000000-0000-0000-0000-000000000000#client_id: $RESPONDER#" \
    -e "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" \
	examples/connectors/entra.yaml >"$T/entra.yaml"
chmod 600 "$T/entra.yaml"
cp "$T/entra.yaml" "$T/good.yaml"
export NHIR_NOW=2024-06-03T10:00:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/entra.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
export ENTRA_CLIENT_SECRET="$SECRET"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
cat >"$T/estate.jsonl" <<EOF
{"type":"node","kind":"identity","id":"entra:sp:$SP","name":"ci-deployer","subtype":"entra-service-principal","provider":"entra"}
{"type":"node","kind":"credential","id":"entra:app:$APP:password:$KEY_APP","name":"ci-deployer secret","subtype":"entra-client-secret","provider":"entra","created":"2024-06-01T00:00:00Z"}
{"type":"node","kind":"credential","id":"entra:sp:$SP:password:$KEY_SP","name":"ci-deployer sp secret","subtype":"entra-client-secret","provider":"entra","created":"2024-06-01T00:00:00Z"}
{"type":"node","kind":"credential","id":"entra:app:$APP:key:$KEY_KEEP","name":"ci-deployer certificate","subtype":"entra-certificate","provider":"entra","created":"2024-06-01T00:00:00Z"}
{"type":"node","kind":"grant","id":"entra:grant:$GRANT","name":"ci-deployer delegated grant","subtype":"entra-oauth2-permission-grant","provider":"entra"}
{"type":"node","kind":"grant","id":"entra:grant:GoneAlready000000000000000000000000000000001","name":"a grant removed before","subtype":"entra-oauth2-permission-grant","provider":"entra"}
{"type":"node","kind":"grant","id":"entra:sp:$RES:appRoleAssignedTo:$ASSIGN","name":"ci-deployer on payments-api","subtype":"entra-app-role-assignment","provider":"entra"}
{"type":"node","kind":"token","id":"entra:token:uti-Qm9vdHN0cmFw","name":"Graph access token","subtype":"entra-access-token","provider":"entra","created":"2024-06-03T09:30:00Z","expires":"2024-06-03T10:45:00Z"}
{"type":"edge","kind":"authenticates","from":"entra:app:$APP:password:$KEY_APP","to":"entra:sp:$SP"}
{"type":"edge","kind":"issued","from":"entra:app:$APP:password:$KEY_APP","to":"entra:token:uti-Qm9vdHN0cmFw","created":"2024-06-03T09:30:00Z"}
{"type":"edge","kind":"authenticates","from":"entra:token:uti-Qm9vdHN0cmFw","to":"entra:sp:$SP"}
{"type":"node","kind":"resource","id":"entra:graph:$TENANT:users","name":"the tenant's users","provider":"entra"}
{"type":"edge","kind":"can","from":"entra:sp:$SP","to":"entra:graph:$TENANT:users","privilege":"read","actions":["User.Read.All"]}
{"type":"edge","kind":"authenticates","from":"entra:sp:$SP:password:$KEY_SP","to":"entra:sp:$SP"}
EOF
"$NHIR" import nhir "$T/estate.jsonl" >/dev/null
"$NHIR" --as rory incident declare --title "Client secret leaked" --severity high \
	--lead lena --seed "entra:app:$APP:password:$KEY_APP" --exposed-at 2024-06-03T09:00:00Z >/dev/null
for x in "entra:sp:$SP" "entra:sp:$SP:password:$KEY_SP" "entra:app:$APP:key:$KEY_KEEP" "entra:grant:$GRANT" \
	 "entra:grant:GoneAlready000000000000000000000000000000001" "entra:sp:$RES:appRoleAssignedTo:$ASSIGN"; do
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
	curl -sf "$E/_peer/log" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["route"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}
peer_state() {
	curl -sf "$E/_peer/state" | python3 -c "import json,sys; s = json.load(sys.stdin); $1"
}

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >"$0/plan.out"' "$T"
check "it says issued access tokens outlive the steps" has "$T/plan.out" "survives: access tokens already issued; 60 to 90 min (CAE tokens up to 24 h)"
DIS=$(step entra.disable-service-principal "entra:sp:$SP")
VDIS=$(step generic.verify-revoked "entra:sp:$SP")
# the planner proves what it did to an identity, as to a credential
check "the planner proposes the proof of the disabling" test -n "$VDIS"
check "after the disabling" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json, sys
s = [x for x in json.load(sys.stdin)[\"steps\"] if x[\"step\"] == int(sys.argv[1])][0]
assert int(sys.argv[2]) in s[\"after\"], s" "$0" "$1"' "$VDIS" "$DIS"
RMA=$(step entra.remove-credential "entra:app:$APP:password:$KEY_APP")
VRMA=$(step generic.verify-revoked "entra:app:$APP:password:$KEY_APP")
RMS=$(step entra.remove-credential "entra:sp:$SP:password:$KEY_SP")
CERT=$(step entra.remove-credential "entra:app:$APP:key:$KEY_KEEP")
GR=$(step entra.delete-permission-grant "entra:grant:$GRANT")
VGR=$(step generic.verify-revoked "entra:grant:$GRANT")
GONE=$(step entra.delete-permission-grant "entra:grant:GoneAlready000000000000000000000000000000001")
AS=$(step entra.delete-app-role-assignment "entra:sp:$RES:appRoleAssignedTo:$ASSIGN")
VAS=$(step generic.verify-revoked "entra:sp:$RES:appRoleAssignedTo:$ASSIGN")
check "the steps are there" test -n "$DIS" -a -n "$VDIS" -a -n "$RMA" -a -n "$VRMA" -a -n "$RMS" \
	-a -n "$CERT" -a -n "$GR" -a -n "$VGR" -a -n "$GONE" -a -n "$AS" -a -n "$VAS"
for who in alex ben; do
	NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
	[ -z "$NEED" ] || "$NHIR" --as $who approve INC-1 $NEED --why "reviewed" >/dev/null
done
# the access token already issued has no call that revokes it: left be
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked" and not (s["target"] or "").startswith("entra:token:")))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run
check "a dry run shows the requests" sh -c '"$NHIR" --as rory execute INC-1 '$DIS' >"$0/dry.out"' "$T"
check "the client credentials grant" has "$T/dry.out" "POST $E/$TENANT/oauth2/v2.0/token"
check "its form, the secret redacted" has "$T/dry.out" "client_id=$RESPONDER&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=[redacted]&grant_type=client_credentials"
check "then Graph" has "$T/dry.out" "PATCH $E/v1.0/servicePrincipals/$SP"
check "the access token redacted" has "$T/dry.out" "Authorization: Bearer [redacted: the access token the token endpoint answers]"
check "the body" has "$T/dry.out" '{"accountEnabled":false}'
check "the secret's dry run reads the credentials first" sh -c '"$NHIR" --as rory execute INC-1 '$RMA' >"$0/dry2.out"' "$T"
check "then removes it" has "$T/dry2.out" "POST $E/v1.0/applications/$APP/removePassword"
check "by its keyId" has "$T/dry2.out" "{\"keyId\":\"$KEY_APP\"}"
check "nothing was sent" test "$(curl -sf "$E/_peer/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0
check "no secret in the dry runs" sh -c '! grep -qF "$0" "$1"/dry*.out' "$SECRET" "$T"

# no secret, a wrong one, too few permissions
check "no secret fails the step" exits 1 env -u ENTRA_CLIENT_SECRET "$NHIR" --as rory execute INC-1 $DIS --confirm
check "saying why" has "$T/last.out" "no client secret: connector secret \$ENTRA_CLIENT_SECRET is not set"
check "a wrong secret is refused by the token endpoint" exits 1 env ENTRA_CLIENT_SECRET=wrong "$NHIR" --as rory execute INC-1 $DIS --confirm
check "naming its error" has "$T/last.out" "the token endpoint refused: HTTP 401: invalid_client: AADSTS7000215: Invalid client secret provided."
sed "s#client_id: $RESPONDER#client_id: $WEAK#" "$T/good.yaml" >"$T/entra.yaml"
check "an application without the permission" exits 1 "$NHIR" --as rory execute INC-1 $DIS --confirm
check "is refused by Graph, its error named" has "$T/last.out" "PATCH /v1.0/servicePrincipals/$SP refused: HTTP 403: Authorization_RequestDenied: Insufficient privileges to complete the operation."
cp "$T/good.yaml" "$T/entra.yaml"

# client secrets
check "the application's secret is removed" sh -c '"$NHIR" --as rory execute INC-1 '$RMA' --confirm >"$0/rma.out"' "$T"
check "by removePassword" has "$T/rma.out" "POST /v1.0/applications/$APP/removePassword: HTTP 204"
check "that one only" peer_state "assert [p['keyId'] for p in s['applications']['$APP']['passwordCredentials']] == ['$KEY_KEEP']"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VRMA' --confirm >"$0/vrma.out"' "$T"
check "the access token issued before lives on" sh -c '"$NHIR" contain status INC-1 >"$0/contain.out"; test $? = 3' "$T"
check "as residual access until it expires" has "$T/contain.out" "token       entra:token:uti-Qm9vdHN0cmFw         until 2024-06-03T10:45:00Z"
check "the keyId no longer listed" has "$T/vrma.out" "no password credential with that keyId: removed"
check "the service principal's secret is removed" sh -c '"$NHIR" --as rory execute INC-1 '$RMS' --confirm >/dev/null'
check "from the service principal" peer_state "assert s['servicePrincipals']['$SP']['passwordCredentials'] == []"
check "a certificate is not removed without a proof key" exits 1 "$NHIR" --as rory execute INC-1 $CERT --confirm
check "saying why" has "$T/last.out" "no proof key for $APP in 'entra': Graph removes a certificate (removeKey) only with a proof signed by one"
check "nothing was sent for it" test "$(calls 'POST removeKey')" = 0
VCERT=$(step generic.verify-revoked "entra:app:$APP:key:$KEY_KEEP")
# proof_keys: name key_file, cert_file of a certificate of the application
proof_conf() {
	python3 - "$T/good.yaml" "$APP" "$1" "$2" >"$T/entra.yaml" <<'PY'
import sys
path, app, key, cert = sys.argv[1:5]
out = []
for line in open(path):
    out.append(line)
    if line.strip() == 'actions: ["entra.*"]':
        out.append("    proof_keys:\n      - object: %s\n        key_file: %s\n        cert_file: %s\n" % (app, key, cert))
sys.stdout.write("".join(out))
PY
}
proof_conf "$T/stranger.key" "$T/stranger.pem"
check "a proof signed by a certificate the application does not hold" exits 1 "$NHIR" --as rory execute INC-1 $CERT --confirm
check "is refused by Graph" has "$T/last.out" "POST /v1.0/applications/$APP/removeKey refused: HTTP 400: Request_BadRequest: Invalid proof of possession: the proof names (x5t) no certificate of the object"
check "and the certificate stays" peer_state "assert len(s['applications']['$APP']['keyCredentials']) == 2"
proof_conf "$T/stranger.key" "$T/proof.pem"
check "a key that is not its certificate's" exits 1 "$NHIR" --as rory execute INC-1 $CERT --confirm
check "is refused before anything is sent" has "$T/last.out" "proof_keys: the key in '$T/stranger.key' is not the one of the certificate in '$T/proof.pem'"
check "so only the one proof was sent" test "$(calls 'POST removeKey')" = 1
proof_conf "$T/proof.key" "$T/proof.pem"
check "the dry run of removeKey" sh -c '"$NHIR" --as rory execute INC-1 '$CERT' >"$0/dry3.out"' "$T"
check "shows the call" has "$T/dry3.out" "POST $E/v1.0/applications/$APP/removeKey"
check "the proof redacted" has "$T/dry3.out" "{\"keyId\":\"$KEY_KEEP\",\"proof\":\"[redacted: a JWT (RS256) signed with the key of a certificate of $APP]\"}"
check "with the application's proof key the certificate is removed" sh -c '"$NHIR" --as rory execute INC-1 '$CERT' --confirm >"$0/cert.out"' "$T"
check "by removeKey" has "$T/cert.out" "POST /v1.0/applications/$APP/removeKey: HTTP 204: certificate $KEY_KEEP of $APP removed"
check "the stand-in verified the proof's signature" test "$(curl -sf "$E/_peer/log" | python3 -c 'import json,sys; print([e.get("proof") for e in json.load(sys.stdin) if e["route"] == "POST removeKey"][-1])')" = verified
check "that certificate only" peer_state "assert [k['keyId'] for k in s['applications']['$APP']['keyCredentials']] == ['$KEY_PROOF']"
check "its probe now verifies it removed" sh -c '"$NHIR" --as rory execute INC-1 '$VCERT' --confirm >"$0/vcert.out"' "$T"
check "the keyId no longer listed" has "$T/vcert.out" "no key credential with that keyId: removed"
check "no private key in any output" sh -c '! grep -q "PRIVATE KEY" "$0"/*.out' "$T"
cp "$T/good.yaml" "$T/entra.yaml"

# throttled and unavailable: retried
curl -sf -X POST "$E/_peer/faults" -d '[{"route": "PATCH servicePrincipal", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}, {"route": "PATCH servicePrincipal", "status": 503, "count": 1}]' >/dev/null
check "the service principal is disabled" sh -c '"$NHIR" --as rory execute INC-1 '$DIS' --confirm >"$0/dis.out"' "$T"
check "after a 429 and a 503" test "$(calls 'PATCH servicePrincipal' 429) $(calls 'PATCH servicePrincipal' 503) $(calls 'PATCH servicePrincipal' 204)" = "1 1 1"
check "the step is done" test "$(status $DIS)" = done
check "its detail says issued tokens live on" has "$T/dis.out" "access tokens already issued are not revoked and stay valid until they expire: 60 to 90 minutes after issue by default"
check "disabled at Graph" peer_state "assert s['servicePrincipals']['$SP']['accountEnabled'] is False"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VDIS' --confirm >"$0/vdis.out"' "$T"
check "reading accountEnabled" has "$T/vdis.out" "GET /v1.0/servicePrincipals/$SP?\$select=id,accountEnabled: accountEnabled false"

# a delegated grant and an app role assignment
check "the delegated grant is deleted" sh -c '"$NHIR" --as rory execute INC-1 '$GR' --confirm >/dev/null'
check "gone at Graph" peer_state "assert '$GRANT' not in s['grants']"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VGR' --confirm >"$0/vgr.out"' "$T"
check "by a 404" has "$T/vgr.out" "HTTP 404: the delegated permission grant is gone"
check "a grant already gone is done" sh -c '"$NHIR" --as rory execute INC-1 '$GONE' --confirm >"$0/gone.out"' "$T"
check "said so" has "$T/gone.out" "is already gone; nothing to delete"
check "the app role assignment is deleted" sh -c '"$NHIR" --as rory execute INC-1 '$AS' --confirm >/dev/null'
check "that one only" peer_state "assert [a['id'] for a in s['servicePrincipals']['$RES']['appRoleAssignedTo']] == ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA2', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA3']"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VAS' --confirm >"$0/vas.out"' "$T"
check "no longer listed" has "$T/vas.out" "the app role assignment is no longer listed"
check "every page read" test "$(calls 'GET appRoleAssignedTo' 200)" = 2

check "the principal disabled, the token still lives" sh -c '"$NHIR" contain status INC-1 >"$0/contain2.out"; test $? = 3' "$T"
check "contained only when it expires" has "$T/contain2.out" "all end by themselves by 2024-06-03T10:45:00Z"
check "at its expiry, contained" sh -c '"$NHIR" contain status INC-1 --at 2024-06-03T10:46:00Z >"$0/contain3.out"' "$T"
check "no request broke Graph's reference" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
bad = [e for e in log if e.get(\"violations\")]
assert len(log) >= 20 and not bad, bad"' "$E"
check "an unknown form parameter is refused" sh -c 'curl -s -d "client_id=$1&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&client_secret=x&grant_type=client_credentials&resource=y" "$0/'$TENANT'/oauth2/v2.0/token" | grep -q "unknown parameter resource"' "$E" "$RESPONDER"
check "another property in the PATCH is refused" sh -c '
tok=$(curl -s --data-urlencode "client_id=$1" --data-urlencode "scope=https://graph.microsoft.com/.default" --data-urlencode "client_secret=$2" --data-urlencode grant_type=client_credentials "$0/'$TENANT'/oauth2/v2.0/token" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"access_token\"])")
curl -s -X PATCH -H "Authorization: Bearer $tok" -H "Accept: application/json" -H "Content-Type: application/json" -d "{\"accountEnabled\":false,\"notes\":\"x\"}" "$0/v1.0/servicePrincipals/'$SP'" | grep -q "not notes"' "$E" "$RESPONDER" "$SECRET"
check "the stand-in counted the two malformed" test "$(curl -sf "$E/_peer/log" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e.get("violations")))')" = 2

check "no secret in the database" sh -c '! grep -qaF "$0" "$NHIR_DB"' "$SECRET"
check "no secret in the record" sh -c '"$NHIR" audit log --format json >"$1/audit.json" 2>&1; ! grep -qF "$0" "$1/audit.json"' "$SECRET" "$T"
check "no secret in any output" sh -c '! grep -qF "$0" "$1"/*.out' "$SECRET" "$T"

done_testing
