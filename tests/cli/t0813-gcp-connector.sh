#!/bin/sh
# The built-in gcp connector against a stand-in for Google's token
# endpoint and IAM API (tests/peers/gcp-peer.mjs, its checks written
# from Google's reference pages) that keeps state: the JWT assertion
# checked with the public half of the key file this test generates
# (openssl genpkey; never a real key), a key disabled then deleted, an
# account disabled; the probes (GET the key, the account) then find them
# so.  Dry run with the secrets redacted, a 429 and a 503 retried, key
# files that are not one, a responder without a permission.
. tests/cli/lib.sh

if ! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 ||
   ! command -v openssl >/dev/null 2>&1; then
	echo "ok 1 - # SKIP node, curl or openssl is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

PEER_PID=
stop_peer() {
	[ -n "$PEER_PID" ] && kill -KILL "$PEER_PID" 2>/dev/null
	rm -rf "$T"
}
trap stop_peer EXIT

PROJ=demo-proj
RESP=responder@$PROJ.iam.gserviceaccount.com
LEAK=leaked@$PROJ.iam.gserviceaccount.com
WEAK=weak@$PROJ.iam.gserviceaccount.com
RKEY=0a1b2c3d4e5f60718293a4b5c6d7e8f901234567
LKEY=9f8e7d6c5b4a39281706f5e4d3c2b1a098765432
WKEY=1111111111111111111111111111111111111111
GONE=2222222222222222222222222222222222222222
for k in resp leak weak; do
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$T/$k.pem" 2>/dev/null
	openssl pkey -in "$T/$k.pem" -pubout -out "$T/$k.pub" 2>/dev/null
done

# keyfile PEM EMAIL KEYID TOKEN_URI: a key file as Google writes them
keyfile() {
	python3 -c '
import json, sys
pem, email, kid, uri = sys.argv[1:5]
print(json.dumps({"type": "service_account", "project_id": "demo-proj",
    "private_key_id": kid, "private_key": open(pem).read(),
    "client_email": email, "client_id": "104729000000000000001",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": uri,
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/x",
    "universe_domain": "googleapis.com"}, indent=2))' "$@"
}

python3 -c '
import json, sys
t = sys.argv[1]
pub = lambda k: open(t + "/" + k + ".pub").read()
key_perms = ["iam.serviceAccountKeys.disable", "iam.serviceAccountKeys.delete",
             "iam.serviceAccountKeys.get", "iam.serviceAccounts.disable",
             "iam.serviceAccounts.get"]
print(json.dumps({"accounts": {
  sys.argv[2]: {"project": "demo-proj", "uniqueId": "104729000000000000001",
                "permissions": key_perms, "keys": {sys.argv[5]: {"public_key": pub("resp")}}},
  sys.argv[3]: {"project": "demo-proj", "uniqueId": "104729000000000000002",
                "permissions": [], "keys": {sys.argv[6]: {"public_key": pub("leak")},
                                            sys.argv[8]: {"public_key": pub("leak"), "deleted": True}}},
  sys.argv[4]: {"project": "demo-proj", "uniqueId": "104729000000000000003",
                "permissions": ["iam.serviceAccountKeys.get"],
                "keys": {sys.argv[7]: {"public_key": pub("weak")}}}}}))' \
	"$T" "$RESP" "$LEAK" "$WEAK" "$RKEY" "$LKEY" "$WKEY" "$GONE" >"$T/gcp.json"
node tests/peers/gcp-peer.mjs "$T/gcp.json" >"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n "s/^port //p" "$T/peer.out" 2>/dev/null)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the Google stand-in starts" test -n "$PORT"
G=http://127.0.0.1:$PORT
keyfile "$T/resp.pem" "$RESP" "$RKEY" "$G/token" >"$T/responder.json"
keyfile "$T/weak.pem" "$WEAK" "$WKEY" "$G/token" >"$T/weak.json"
# the leaked key signs nothing here: the peer would accept it until disabled
keyfile "$T/leak.pem" "$LEAK" "$LKEY" "$G/token" >"$T/leaked.json"
chmod 600 "$T"/*.json
# a line from the private half (line 2 is the header and the modulus)
SECRET=$(sed -n 15p "$T/resp.pem")

sed "s#https://iam.googleapis.com#$G#" examples/connectors/gcp.yaml >"$T/gcp.yaml"
sed -i "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" "$T/gcp.yaml"
chmod 600 "$T/gcp.yaml"
export NHIR_NOW=2024-06-03T10:00:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/gcp.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
export GOOGLE_APPLICATION_CREDENTIALS="$T/responder.json"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
SA="gcp:projects/$PROJ/serviceAccounts/$LEAK"
KEY="$SA/keys/$LKEY"
KEY2="$SA/keys/$GONE"
cat >"$T/estate.jsonl" <<EOF
{"type":"node","kind":"credential","id":"$KEY","name":"leaked key","subtype":"gcp-service-account-key","provider":"gcp","created":"2024-06-03T08:59:00Z"}
{"type":"node","kind":"identity","id":"$SA","name":"leaked","subtype":"gcp-service-account","provider":"gcp","created":"2024-06-03T08:59:00Z"}
{"type":"edge","kind":"authenticates","from":"$KEY","to":"$SA"}
{"type":"node","kind":"credential","id":"$KEY2","name":"a key deleted already","subtype":"gcp-service-account-key","provider":"gcp","created":"2024-06-03T08:59:00Z"}
EOF
"$NHIR" import nhir "$T/estate.jsonl" >/dev/null
"$NHIR" --as rory incident declare --title "GCP key leaked" --severity high \
	--lead lena --seed "$KEY" --exposed-at 2024-06-03T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 add "$SA" >/dev/null 2>&1
"$NHIR" --as lena incident scope INC-1 confirm "$SA" >/dev/null 2>&1
"$NHIR" --as lena incident scope INC-1 add "$KEY2" >/dev/null 2>&1
"$NHIR" --as lena incident scope INC-1 confirm "$KEY2" >/dev/null 2>&1

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
	curl -sf "$G/_peer/log" | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["route"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}
peer_state() {
	curl -sf "$G/_peer/state" | python3 -c "import json,sys; s=json.load(sys.stdin)['accounts']; print($1)"
}

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >/dev/null'
DEL=$(step gcp.delete-service-account-key "$KEY")
VER=$(step generic.verify-revoked "$KEY")
DIS=$(step gcp.disable-service-account "$SA")
check "the steps are there" test -n "$DEL" -a -n "$VER" -a -n "$DIS"
for who in alex ben; do
	NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
	[ -z "$NEED" ] || "$NHIR" --as $who approve INC-1 $NEED --why "reviewed" >/dev/null
done
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked"))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run: the exact requests, secrets redacted
check "a dry run shows the requests" sh -c '"$NHIR" --as rory execute INC-1 '$DEL' >"$0/dry.out"' "$T"
check "first the token, at the key file's token_uri" has "$T/dry.out" "POST $G/token"
check "as a form" has "$T/dry.out" "Content-Type: application/x-www-form-urlencoded"
check "the JWT bearer grant" has "$T/dry.out" "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=[redacted"
check "then the key disabled" has "$T/dry.out" "POST $G/v1/projects/$PROJ/serviceAccounts/$LEAK/keys/$LKEY:disable"
check "then deleted" has "$T/dry.out" "DELETE $G/v1/projects/$PROJ/serviceAccounts/$LEAK/keys/$LKEY"
check "the access token redacted" has "$T/dry.out" "Authorization: Bearer [redacted"
check "no key in it" hasnt "$T/dry.out" "$SECRET"
check "nothing was sent" test "$(curl -sf "$G/_peer/log" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0
check "without a key file the dry run still shows the calls" sh -c 'env -u GOOGLE_APPLICATION_CREDENTIALS "$0" --as rory execute INC-1 '$DIS' >"$1/dry2.out"' "$NHIR" "$T"
check "saying the key file is not read" has "$T/dry2.out" "the key file is not read now: connector secret \$GOOGLE_APPLICATION_CREDENTIALS is not set"
check "and the account's disable" has "$T/dry2.out" "POST $G/v1/projects/$PROJ/serviceAccounts/$LEAK:disable"

# key files that are not one: the file and the field named
check "no key file fails the step" exits 1 env -u GOOGLE_APPLICATION_CREDENTIALS "$NHIR" --as rory execute INC-1 $DEL --confirm
check "saying where it is looked for" has "$T/last.out" "no Google credentials for 'gcp': connector secret \$GOOGLE_APPLICATION_CREDENTIALS is not set"
check "a missing file is named" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/nope.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "as unreadable" has "$T/last.out" "cannot read '$T/nope.json': No such file or directory"
printf '{"type": "service_account", "client_email": "%s",\n "private_key_id": 7}\n' "$RESP" >"$T/bad1.json"
check "a field of the wrong type" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad1.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is named" has "$T/last.out" "'$T/bad1.json': field private_key_id is not a text"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["type"]="authorized_user"; print(json.dumps(d))' "$T/responder.json" >"$T/bad2.json"
check "a user's credentials are refused" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad2.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "naming the type" has "$T/last.out" "field type is \"authorized_user\", not \"service_account\""
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["token_uri"]; print(json.dumps(d))' "$T/responder.json" >"$T/bad3.json"
check "a missing token_uri" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad3.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is named" has "$T/last.out" "'$T/bad3.json': field token_uri is missing"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["token_uri"]="http://oauth2.example.com/token"; print(json.dumps(d))' "$T/responder.json" >"$T/bad4.json"
check "plain http away from loopback" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad4.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is refused" has "$T/last.out" "'$T/bad4.json': field token_uri is plain http to an address not loopback"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["private_key"]="-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"; print(json.dumps(d))' "$T/responder.json" >"$T/bad5.json"
check "a private key that is not one" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad5.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is named" has "$T/last.out" "'$T/bad5.json': field private_key: not a private key in PEM"
printf '{"type": "service_account",\n "client_email": "x@y" x}' >"$T/bad6.json"
check "a file that is not JSON" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad6.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "names its byte" has "$T/last.out" "'$T/bad6.json': byte 51: not JSON"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem" 2>/dev/null
keyfile "$T/ec.pem" "$RESP" "$RKEY" "$G/token" >"$T/bad7.json"
check "an EC key" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/bad7.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is not RSA" has "$T/last.out" "'$T/bad7.json': field private_key: a EC key, not RSA"
check "nothing reached Google" test "$(calls token)" = 0

# the wrong key for the account: Google refuses the signature
keyfile "$T/weak.pem" "$RESP" "$RKEY" "$G/token" >"$T/forged.json"
check "an assertion signed with another key" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/forged.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is refused by the token endpoint" has "$T/last.out" "POST $G/token: no access token for $RESP: HTTP 400: invalid_grant: Invalid JWT Signature."
check "whose signature the stand-in checked" test "$(curl -sf "$G/_peer/log" | python3 -c 'import json,sys; print([e.get("signature") for e in json.load(sys.stdin) if e["route"] == "token"])')" = "[False]"
check "a responder without the permission" exits 1 env GOOGLE_APPLICATION_CREDENTIALS="$T/weak.json" "$NHIR" --as rory execute INC-1 $DEL --confirm
check "is refused by IAM" has "$T/last.out" "POST /v1/projects/$PROJ/serviceAccounts/$LEAK/keys/$LKEY:disable refused: HTTP 403: PERMISSION_DENIED: Permission 'iam.serviceAccountKeys.disable' denied"
check "the key still works" test "$(peer_state "s['$LEAK']['keys']['$LKEY'].get('disabled', False)")" = False

# throttled and unavailable: retried
curl -sf -X POST "$G/_peer/faults" -d '[{"route": "token", "status": 503, "message": "The service is currently unavailable.", "count": 1}, {"route": "keys.disable", "status": 429, "headers": {"Retry-After": "1"}, "message": "Quota exceeded for quota metric", "count": 1}]' >/dev/null
check "the key is disabled and deleted" sh -c '"$NHIR" --as rory execute INC-1 '$DEL' --confirm >"$0/del.out"' "$T"
check "after a 503 at the token endpoint and a 429" test "$(calls token 503) $(calls keys.disable 429) $(calls keys.disable 200) $(calls keys.delete 200)" = "1 1 1 1"
check "the step is done" test "$(status $DEL)" = done
check "its detail says what survives" has "$T/del.out" "access tokens already issued for the key live until they expire"
check "the key is gone at Google" test "$(peer_state "s['$LEAK']['keys']['$LKEY'].get('deleted', False)")" = True
check "with the responder's bearer token on every IAM call" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
iam = [e for e in json.load(sys.stdin) if e[\"route\"] not in (\"token\", None) and e[\"status\"] == 200]
assert iam and all(e[\"auth\"] == sys.argv[1] for e in iam), iam" "$1"' "$G" "$RESP"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VER' --confirm >"$0/ver.out"' "$T"
check "by a 404 on the key" has "$T/ver.out" "GET /v1/projects/$PROJ/serviceAccounts/$LEAK/keys/$LKEY: HTTP 404: the key does not exist (deleted)"
check "the verify step is done" test "$(status $VER)" = done

check "the account is disabled" sh -c '"$NHIR" --as rory execute INC-1 '$DIS' --confirm >"$0/dis.out"' "$T"
check "at Google" test "$(peer_state "s['$LEAK'].get('disabled', False)")" = True
check "saying tokens issued are refused" has "$T/dis.out" "service account $LEAK disabled"
check "nhir verify probes the account" sh -c '"$NHIR" --as rory verify INC-1 >"$0/vsa.out"' "$T"
check "and finds it disabled" has "$T/vsa.out" "the service account is disabled"

DEL2=$(step gcp.delete-service-account-key "$KEY2")
check "a key deleted already (an answer lost): its step" test -n "$DEL2"
check "is done, not failed for ever" sh -c '"$NHIR" --as rory execute INC-1 '$DEL2' --confirm >"$0/del2.out"' "$T"
check "saying the key was gone" has "$T/del2.out" "HTTP 404: key $GONE of $LEAK does not exist: it was deleted already"

check "no request broke Google's documented API" sh -c 'curl -sf "$0/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
bad = [e for e in log if e.get(\"violations\")]
assert len(log) >= 8 and not bad, bad"' "$G"
check "the stand-in refuses a wrong grant type" sh -c 'curl -s -d "grant_type=client_credentials&assertion=x" "$0/token" | grep -q "grant_type is client_credentials"' "$G"
check "and an IAM call without a token" sh -c 'curl -s -X POST -H "Content-Type: application/json" -d "{}" "$0/v1/projects/demo-proj/serviceAccounts/x@y:disable" | grep -q UNAUTHENTICATED' "$G"

check "no key in the database" sh -c '! grep -qaF "$0" "$NHIR_DB"' "$SECRET"
check "no key in the record" sh -c '"$NHIR" audit log --format json >"$1/audit.json" 2>&1; ! grep -qF "$0" "$1/audit.json"' "$SECRET" "$T"
check "no key or token in any output" sh -c '! grep -qE "$0|ya29\\." "$1"/*.out' "$SECRET" "$T"
check "no access token or assertion in the database or the record" sh -c '! grep -qaE "ya29\\.|eyJhbGciOiJSUzI1NiIs" "$NHIR_DB" "$0/audit.json"' "$T"

done_testing
