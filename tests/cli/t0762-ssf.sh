#!/bin/sh
# nhir serve as an OpenID Shared Signals transmitter, received by an
# independent receiver built on npm jose (tests/peers/ssf-receiver.mjs)
# that verifies every SET against the JWK set the metadata names: one
# stream pushed (RFC 8935), one polled (RFC 8936).  Containment on the
# record (scope confirmed, sessions cut, revocation verified) raises the
# RISC and CAEP events; bad requests are refused, naming the field.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}
command -v node >/dev/null 2>&1 && [ -d build/peers/node_modules/jose ] || {
	echo "ok 1 - # SKIP node or the test peers (build/peers) are not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

RECV_PID=
POLL_PID=
stop_all() {
	[ -n "$RECV_PID" ] && kill -KILL "$RECV_PID" 2>/dev/null
	[ -n "$POLL_PID" ] && kill -KILL "$POLL_PID" 2>/dev/null
	stop_server
}
trap stop_all EXIT

export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
for u in "lena lead" "rory responder" "alex approver" "ben approver" "ada admin" \
	"idp-acme responder"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
ADA=$("$NHIR" token create --user ada 2>/dev/null)
RORY=$("$NHIR" token create --user rory 2>/dev/null)
printf '%s\n' "$ADA" >"$T/ada.token"
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" report keygen "$T/ssf.key" >/dev/null 2>&1
chmod 600 "$T/ssf.key"

# an identity provider whose SETs nhir takes: its keys, made by jose
node tests/peers/ssf-sender.mjs build/peers keygen "$T/idp.jwk" "$T/idp.jwks"
node tests/peers/ssf-sender.mjs build/peers keygen "$T/other.jwk" "$T/other.jwks" EdDSA
IDP=https://idp.example.org

# the issuer names the endpoints: the server's own address
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ISS="http://127.0.0.1:$PORT"
cat >"$T/srv.yaml" <<YAML
ssf:
  issuer: $ISS/
  key: $T/ssf.key
  receive:
    audience: $ISS
    providers:
      - issuer: $IDP
        jwks_file: $T/idp.jwks
        user: idp-acme
YAML

chmod 644 "$T/ssf.key"
check "a key others may read stops the server" exits 1 "$NHIR" serve \
	--listen "127.0.0.1:$PORT" --config "$T/srv.yaml"
check "naming it" has "$T/last.err" "ssf: key $T/ssf.key may be read by others"
chmod 600 "$T/ssf.key"
printf 'ssf:\n  issuer: http://idp.example.org\n  key: %s\n' "$T/ssf.key" >"$T/bad.yaml"
check "an issuer in plain http off loopback is refused" exits 1 "$NHIR" serve \
	--config "$T/bad.yaml"
check "naming the file and line" has "$T/last.err" "bad.yaml:2"

export NHIR_WEBHOOK_BACKOFF_MS=50
check "the server starts" start_server --listen "127.0.0.1:$PORT" --config "$T/srv.yaml"
mkdir -p "$T/ans"
# ans NAME: keep an answer for the check against the API description
ans() { cp "$T/$1.meta" "$T/$1.body" "$T/ans/"; }

req meta "$URL/.well-known/ssf-configuration"
ans meta
check "the metadata needs no token" code meta 200
check "it names the issuer and the keys" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["issuer"] == sys.argv[2], d
assert d["jwks_uri"] == sys.argv[2] + "/api/v1/ssf/jwks", d
assert d["delivery_methods_supported"] == ["urn:ietf:rfc:8935", "urn:ietf:rfc:8936"], d
assert d["configuration_endpoint"] == sys.argv[2] + "/api/v1/ssf/streams", d
' "$T/meta.body" "$ISS"
req jwks "$URL/api/v1/ssf/jwks"
ans jwks
check "the keys need no token" code jwks 200
check "one Ed25519 key, no secret half" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
k, = d["keys"]
assert k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["alg"] == "EdDSA", k
assert set(k) == {"kty", "crv", "x", "kid", "use", "alg"}, k
' "$T/jwks.body"
check "the secret key is not served" hasnt "$T/jwks.body" "$(cut -c1-64 "$T/ssf.key")"

# ---- the receiver, and a stream pushed to it ----
node tests/peers/ssf-receiver.mjs build/peers push \
	--metadata "$URL/.well-known/ssf-configuration" --issuer "$ISS" \
	--aud https://rp.example/push --log "$T/push.log" --port-file "$T/rport" \
	--fail 2 2>"$T/recv.err" &
RECV_PID=$!
i=0
while [ ! -s "$T/rport" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RPORT=$(cat "$T/rport")
: >"$T/push.log"

CC="https://schemas.openid.net/secevent/risc/event-type/credential-compromise"
SR="https://schemas.openid.net/secevent/caep/event-type/session-revoked"
CH="https://schemas.openid.net/secevent/caep/event-type/credential-change"
VE="https://schemas.openid.net/secevent/ssf/event-type/verification"
J='Content-Type: application/json'

req mk_push -H "Authorization: Bearer $ADA" -H "$J" -d "{\"delivery\":
	{\"method\": \"urn:ietf:rfc:8935\", \"endpoint_url\": \"http://127.0.0.1:$RPORT/push\"},
	\"events_requested\": [\"$CC\", \"$SR\", \"$CH\", \"urn:example:other\"],
	\"aud\": \"https://rp.example/push\", \"description\": \"the payments RP\"}" \
	"$URL/api/v1/ssf/streams"
ans mk_push
check "an admin makes a push stream" code mk_push 201
check "its configuration says what it gets" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["stream_id"] == "1" and d["aud"] == "https://rp.example/push", d
assert d["delivery"]["method"] == "urn:ietf:rfc:8935", d
assert len(d["events_delivered"]) == 3 and "urn:example:other" not in d["events_requested"], d
' "$T/mk_push.body"
check "with its place" test "$(header mk_push Location)" = "/api/v1/ssf/streams?stream_id=1"

req mk_poll -H "Authorization: Bearer $ADA" -H "$J" -d "{\"delivery\":
	{\"method\": \"urn:ietf:rfc:8936\"}, \"events_requested\": [\"$CC\", \"$CH\"],
	\"aud\": \"https://rp.example/poll\"}" "$URL/api/v1/ssf/streams"
ans mk_poll
check "and a poll stream" code mk_poll 201
check "whose endpoint is nhir's" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["delivery"]["endpoint_url"] == sys.argv[2] + "/api/v1/ssf/poll/2", d
' "$T/mk_poll.body" "$ISS"
req list -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/streams"
ans list
check "an admin lists them" python3 -c '
import json, sys
assert [s["stream_id"] for s in json.load(open(sys.argv[1]))] == ["1", "2"]' "$T/list.body"
req list_rory -H "Authorization: Bearer $RORY" "$URL/api/v1/ssf/streams"
ans list_rory
check "a responder may not" code list_rory 403
check "the streams are on the audit log" sh -c '"$NHIR" audit log --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
es = d[\"entries\"] if isinstance(d, dict) else d
assert len([e for e in es if e[\"action\"] == \"ssf.stream.create\"]) == 2, es[-3:]"'

# wait_log FILE N: FILE has N lines (30 s)
wait_log() {
	i=0
	while [ $i -lt 300 ]; do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$(wc -l <"$1") line(s) in $1, want $2" >&2
	cat "$1" >&2
	return 1
}
# taken FILE EVENT SUBJECT: the receiver took a SET of EVENT about SUBJECT
taken() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["ok"] and r["event"] == sys.argv[2] and (sys.argv[3] == "-" or r["sub_id"] == {"format": "opaque", "id": sys.argv[3]}):
        sys.exit(0)
print(open(sys.argv[1]).read(), file=sys.stderr)
sys.exit(1)' "$@"
}

req verify -H "Authorization: Bearer $ADA" -H "$J" -d '{"stream_id": "1", "state": "s-42"}' \
	"$URL/api/v1/ssf/verify"
check "a verification is asked for" code verify 204
check "and pushed once the receiver answers (two 503 first)" wait_log "$T/push.log" 1
check "the receiver verified it (signature, typ, iss, aud)" taken "$T/push.log" "$VE" 1
check "carrying the state back" python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
assert r["body"] == {"state": "s-42"} and r["alg"] == "EdDSA" and r["typ"] == "secevent+jwt", r' "$T/push.log"

# ---- the incident: scope, cut, verified ----
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm AKIAEXAMPLEDEPLOY01 ASIAEXAMPLECHAINED \
	AKIAEXAMPLEBACKDOOR >/dev/null
check "a credential confirmed in scope: RISC credential-compromise" wait_log "$T/push.log" 4
check "about the key, by an opaque subject" taken "$T/push.log" "$CC" AKIAEXAMPLEDEPLOY01
check "with its type" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["sub_id"].get("id") == "AKIAEXAMPLEDEPLOY01":
        assert r["body"]["credential_type"] == "urn:nhir:credential-type:aws-access-key", r
        assert r["txn"].startswith("urn:nhir:audit:"), r' "$T/push.log"

"$NHIR" --as lena plan INC-1 >/dev/null
ALL=$("$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
"$NHIR" --as alex approve INC-1 $ALL --why "reviewed" >/dev/null
"$NHIR" --as ben approve INC-1 $ALL --why "reviewed" >/dev/null 2>&1
i=0
while [ $i -lt 30 ] && "$NHIR" --as rory execute INC-1 --next --confirm >/dev/null 2>&1; do
	i=$((i + 1))
done
check "containment ran" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json, sys
s = [x for x in json.load(sys.stdin)[\"steps\"] if x[\"action\"] == \"aws.deny-sessions-issued-before\"]
assert s and s[0][\"status\"] == \"done\", s"'
check "sessions cut: CAEP session-revoked" sh -c 'i=0; while [ $i -lt 300 ]; do
	grep -q session-revoked "$0" && exit 0; sleep 0.1; i=$((i + 1)); done; exit 1' "$T/push.log"
check "about the role whose sessions were cut" taken "$T/push.log" "$SR" \
	arn:aws:iam::111122223333:role/payments-admin
check "revocation verified: CAEP credential-change" sh -c 'i=0; while [ $i -lt 300 ]; do
	[ "$(grep -c credential-change "$0")" -ge 3 ] && exit 0; sleep 0.1; i=$((i + 1)); done; exit 1' "$T/push.log"
check "change_type revoke, of the key" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
r = [r for r in rs if r["ok"] and r["event"] == sys.argv[2] and r["sub_id"]["id"] == "AKIAEXAMPLEDEPLOY01"]
assert r and r[0]["body"]["change_type"] == "revoke", rs' "$T/push.log" "$CH"
check "the receiver refused nothing" sh -c '! grep -q "\"ok\":false" "$0"' "$T/push.log"

# ---- poll ----
req poll_peek -H "Authorization: Bearer $ADA" -H "$J" \
	-d '{"maxEvents": 1, "returnImmediately": true}' "$URL/api/v1/ssf/poll/2"
ans poll_peek
check "a poll answers SETs" code poll_peek 200
check "one at most, and says there are more" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert len(d["sets"]) == 1 and d["moreAvailable"] is True, d' "$T/poll_peek.body"
# the SET of the push stream is not for the poll stream's receiver
node tests/peers/ssf-receiver.mjs build/peers poll \
	--metadata "$URL/.well-known/ssf-configuration" --issuer "$ISS" \
	--aud https://rp.example/poll --log "$T/poll.log" --url "$ISS/api/v1/ssf/poll/2" \
	--token-file "$T/ada.token" --want 6 2>"$T/poll.err" &
POLL_PID=$!
check "the receiver polls and verifies every SET" wait "$POLL_PID"
POLL_PID=
check "three compromises and three revocations" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert all(r["ok"] for r in rs), rs
ev = sorted(r["event"].rsplit("/", 1)[1] for r in rs)
assert ev == ["credential-change"] * 3 + ["credential-compromise"] * 3, ev' "$T/poll.log"
req poll_done -H "Authorization: Bearer $ADA" -H "$J" -d '{"returnImmediately": true}' \
	"$URL/api/v1/ssf/poll/2"
ans poll_done
check "what was acknowledged is not sent again" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"sets": {}, "moreAvailable": False}, d' "$T/poll_done.body"
req poll_1 -H "Authorization: Bearer $ADA" -H "$J" -d '{"returnImmediately": true}' \
	"$URL/api/v1/ssf/poll/1"
ans poll_1
check "a pushed stream is not polled" code poll_1 409

# ---- status ----
req st_pause -H "Authorization: Bearer $ADA" -H "$J" \
	-d '{"stream_id": "1", "status": "paused", "reason": "receiver upgrade"}' \
	"$URL/api/v1/ssf/status"
ans st_pause
check "a stream is paused" code st_pause 200
req st -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/status?stream_id=1"
ans st
check "and says so" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d == {"stream_id": "1", "status": "paused", "reason": "receiver upgrade"}, d' "$T/st.body"
before=$(wc -l <"$T/push.log")
req verify_paused -H "Authorization: Bearer $ADA" -H "$J" -d '{"stream_id": "1"}' \
	"$URL/api/v1/ssf/verify"
sleep 1
check "a paused stream holds its events" test "$(wc -l <"$T/push.log")" = "$before"
req st_on -H "Authorization: Bearer $ADA" -H "$J" -d '{"stream_id": "1", "status": "enabled"}' \
	"$URL/api/v1/ssf/status"
check "and sends them once enabled" wait_log "$T/push.log" $((before + 1))

# the receiver is no rubber stamp: another audience, a forged signature
JWS=$(python3 -c 'import json, sys; print(list(json.load(open(sys.argv[1]))["sets"].values())[0])' \
	"$T/poll_peek.body")
curl -s -m 10 -o "$T/neg.body" -w '%{http_code}' -H 'Content-Type: application/secevent+jwt' \
	--data-binary "$JWS" "http://127.0.0.1:$RPORT/push" >"$T/neg.code"
check "the receiver refuses a SET meant for another audience" grep -qx 400 "$T/neg.code"
check "as RFC 8935 says" has "$T/neg.body" '"err":"invalid_audience"'
FORGED=$(printf '%s' "$JWS" | python3 -c '
import base64, json, sys
h, p, s = sys.stdin.read().split(".")
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
c["aud"] = "https://rp.example/push"
p = base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("=")
print(h + "." + p + "." + s)')
curl -s -m 10 -o "$T/neg2.body" -w '%{http_code}' -H 'Content-Type: application/secevent+jwt' \
	--data-binary "$FORGED" "http://127.0.0.1:$RPORT/push" >"$T/neg2.code"
check "and one whose claims were changed" grep -qx 400 "$T/neg2.code"
check "by its signature" has "$T/neg2.body" "signature"

# ---- bad requests ----
req bad_json -H "Authorization: Bearer $ADA" -H "$J" -d '{"delivery": ' "$URL/api/v1/ssf/streams"
ans bad_json
check "a body that is not JSON: 400" code bad_json 400
check "naming the byte" has "$T/bad_json.body" "at byte"
req bad_field -H "Authorization: Bearer $ADA" -H "$J" \
	-d '{"delivery": {"method": "urn:ietf:rfc:8936"}, "colour": "red"}' "$URL/api/v1/ssf/streams"
ans bad_field
check "an unknown field: 400 naming it" sh -c 'grep -q "unknown field .colour" "$0"' "$T/bad_field.body"
req bad_authz -H "Authorization: Bearer $ADA" -H "$J" -d "{\"delivery\":
	{\"method\": \"urn:ietf:rfc:8935\", \"endpoint_url\": \"https://rp.example/x\",
	 \"authorization_header\": \"Bearer s3cr3t-of-the-rp\"}}" "$URL/api/v1/ssf/streams"
ans bad_authz
check "a receiver's secret is not taken" code bad_authz 400
check "nor repeated" hasnt "$T/bad_authz.body" "s3cr3t-of-the-rp"
req bad_url -H "Authorization: Bearer $ADA" -H "$J" -d '{"delivery":
	{"method": "urn:ietf:rfc:8935", "endpoint_url": "http://rp.example/x"}}' "$URL/api/v1/ssf/streams"
check "plain http off loopback is refused" sh -c 'grep -q "delivery.endpoint_url" "$0"' "$T/bad_url.body"
req bad_method -H "Authorization: Bearer $ADA" -H "$J" -d '{"delivery": {"method": "smoke"}}' \
	"$URL/api/v1/ssf/streams"
check "an unknown delivery method is refused" code bad_method 400
req bad_type -H "Authorization: Bearer $ADA" -H 'Content-Type: text/plain' -d '{}' "$URL/api/v1/ssf/streams"
ans bad_type
check "a body that is not JSON by its type: 415" code bad_type 415
req rory_mk -H "Authorization: Bearer $RORY" -H "$J" -d '{"delivery": {"method": "urn:ietf:rfc:8936"}}' \
	"$URL/api/v1/ssf/streams"
check "a responder may not make a stream" code rory_mk 403
check "and the refusal is on the audit log" sh -c '"$NHIR" audit log --format json | grep -q "ssf.stream.create"'
req bad_poll -H "Authorization: Bearer $ADA" -H "$J" -d '{"maxEvents": -1}' "$URL/api/v1/ssf/poll/2"
ans bad_poll
check "a poll with a bad maxEvents: 400" code bad_poll 400
check "naming it" has "$T/bad_poll.body" "maxEvents"
req bad_ack -H "Authorization: Bearer $ADA" -H "$J" -d '{"ack": "x"}' "$URL/api/v1/ssf/poll/2"
check "an ack that is no list: 400" code bad_ack 400
req no_stream -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/streams?stream_id=9"
ans no_stream
check "no such stream: 404" code no_stream 404
req bad_sid -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/status?stream_id=x"
ans bad_sid
check "a stream_id that is none: 400" code bad_sid 400

# ---- update, delete ----
req patch -X PATCH -H "Authorization: Bearer $ADA" -H "$J" \
	-d '{"stream_id": "2", "description": "polled by the RP"}' "$URL/api/v1/ssf/streams"
ans patch
check "a stream is changed" code patch 200
check "only in what was given" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["description"] == "polled by the RP" and d["aud"] == "https://rp.example/poll", d' "$T/patch.body"
req put -X PUT -H "Authorization: Bearer $ADA" -H "$J" \
	-d '{"stream_id": "2", "delivery": {"method": "urn:ietf:rfc:8936"}}' "$URL/api/v1/ssf/streams"
ans put
check "or replaced" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert "description" not in d and d["aud"] == "urn:nhir:ssf:stream:2", d' "$T/put.body"
req del -X DELETE -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/streams?stream_id=2"
ans del
check "and deleted" code del 204
req gone -H "Authorization: Bearer $ADA" "$URL/api/v1/ssf/streams?stream_id=2"
check "then it is gone" code gone 404
check "each change on the audit log" sh -c '"$NHIR" audit log --format json >"$0/audit.json" &&
	grep -q ssf.stream.update "$0/audit.json" && grep -q ssf.stream.delete "$0/audit.json" &&
	grep -q ssf.stream.status "$0/audit.json"' "$T"

# ---- receiving: a provider's SET becomes a finding ----
NOW=$(date +%s)
# send NAME KEY CLAIMS [TYP] [CONTENT-TYPE]: POSTs a SET signed by KEY
send() {
	node tests/peers/ssf-sender.mjs build/peers sign "$T/$2.jwk" "$3" "${4:-secevent+jwt}" >"$T/$1.jws"
	req "$1" -H "Content-Type: ${5:-application/secevent+jwt}" --data-binary "@$T/$1.jws" \
		"$URL/api/v1/ssf/receive"
}
GOOD="{\"iss\": \"$IDP\", \"aud\": \"$ISS\", \"jti\": \"idp-1\", \"iat\": $NOW,
 \"sub_id\": {\"format\": \"opaque\", \"id\": \"okta-app:0oa1deploy\"},
 \"events\": {\"$CC\": {\"credential_type\": \"api-key\", \"event_timestamp\": $NOW}}}"
send rx_good idp "$GOOD"
ans rx_good
check "a SET from the provider is taken (RFC 8935: 202)" code rx_good 202
check "it is a finding" sh -c '"$NHIR" findings list --format json >"$0/f.json" && python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d[\"findings\"] if x[\"detector\"] == \"risc:credential-compromise\"]
assert len(f) == 1 and f[0][\"credential\"] == \"okta-app:0oa1deploy\", d
" "$0/f.json"' "$T"
check "recorded by the provider's user" sh -c '"$NHIR" audit log --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
es = d[\"entries\"] if isinstance(d, dict) else d
e = [e for e in es if e[\"action\"] == \"findings.import\"][-1]
assert e[\"actor\"] == \"idp-acme\" and \"ssf:https://idp.example.org#idp-1\" in json.dumps(e), e"'
send rx_again idp "$GOOD"
check "the same SET again is taken" code rx_again 202
check "and makes no second finding" sh -c '"$NHIR" findings list --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
assert len([x for x in d[\"findings\"] if x[\"detector\"] == \"risc:credential-compromise\"]) == 1, d"'
# refusals: each a 400 with RFC 8935's err
# refused NAME ERR: the SET was refused with err ERR
refused() {
	code "$1" 400 && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["err"] == sys.argv[2] and d["description"], d' "$T/$1.body" "$2"
}
send rx_aud idp "$(echo "$GOOD" | sed "s|\"aud\": \"$ISS\"|\"aud\": \"https://else.example\"|")"
ans rx_aud
check "a SET for another audience is refused" refused rx_aud invalid_audience
send rx_key other "$GOOD"
check "one signed by another key" refused rx_key invalid_key
send rx_iss idp "$(echo "$GOOD" | sed "s|\"iss\": \"$IDP\"|\"iss\": \"https://evil.example\"|")"
check "one from a provider not configured" refused rx_iss invalid_issuer
send rx_typ idp "$GOOD" JWT
check "one whose typ is not secevent+jwt" refused rx_typ invalid_request
send rx_old idp "$(echo "$GOOD" | sed "s|\"iat\": $NOW|\"iat\": $((NOW - 200000))|")"
check "one issued days ago" refused rx_old invalid_request
send rx_noev idp "{\"iss\": \"$IDP\", \"aud\": \"$ISS\", \"jti\": \"idp-2\", \"events\": {}}"
check "one without events" refused rx_noev invalid_request
send rx_ctype idp "$GOOD" secevent+jwt application/json
check "one not sent as application/secevent+jwt" refused rx_ctype invalid_request
req rx_junk -H "Content-Type: application/secevent+jwt" --data-binary 'not.a.jwt' "$URL/api/v1/ssf/receive"
check "and bytes that are no SET" refused rx_junk invalid_request
cp "$T/rx_junk.meta" "$T/rx_junk.body" "$T/ans/"
check "nothing refused became a finding" sh -c '"$NHIR" findings list --format json | python3 -c "
import json, sys
assert len(json.load(sys.stdin)[\"findings\"]) == 1"'

# ---- no secret anywhere ----
check "the key is in no answer" sh -c 'k=$(cut -c1-64 "$0/ssf.key"); ! grep -rqF "$k" "$0/ans" "$0/srv.err" "$0/push.log" "$0/poll.log"' "$T"
check "nor any token in the server's log" sh -c '! grep -qF "$1" "$0/srv.err" && ! grep -qF "$2" "$0/srv.err"' "$T" "$ADA" "$RORY"

# ---- ES256: a P-256 key, chosen by configuration ----
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ssf-es.pem" 2>/dev/null
chmod 600 "$T/ssf-es.pem"
PORT2=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ISS2="http://127.0.0.1:$PORT2"
printf 'ssf:\n  issuer: %s\n  alg: ES256\n  key: %s\n' "$ISS2" "$T/ssf.key" >"$T/es-bad.yaml"
check "an Ed25519 key file for ES256 stops the server" exits 1 "$NHIR" serve \
	--listen "127.0.0.1:$PORT2" --config "$T/es-bad.yaml"
check "saying what it wants" has "$T/last.err" "ssf: key $T/ssf.key is not a private key in PEM (alg ES256"
printf 'ssf:\n  issuer: %s\n  alg: RS256\n  key: %s\n' "$ISS2" "$T/ssf-es.pem" >"$T/es-alg.yaml"
check "an algorithm nhir does not sign with is refused" exits 1 "$NHIR" serve \
	--listen "127.0.0.1:$PORT2" --config "$T/es-alg.yaml"
check "naming the file and line" has "$T/last.err" "es-alg.yaml:3: ssf: alg is EdDSA (an Ed25519 key) or ES256 (a P-256 key), not 'RS256'"
printf 'ssf:\n  issuer: %s\n  alg: ES256\n  key: %s\n' "$ISS2" "$T/ssf-es.pem" >"$T/es.yaml"
check "the server starts with ES256" start_server --listen "127.0.0.1:$PORT2" --config "$T/es.yaml"
req jwks_es "$URL/api/v1/ssf/jwks"
ans jwks_es
check "its JWK set has the P-256 key, no private part" python3 -c '
import json, sys
k, = json.load(open(sys.argv[1]))["keys"]
assert k["kty"] == "EC" and k["crv"] == "P-256" and k["alg"] == "ES256", k
assert set(k) == {"kty", "crv", "x", "y", "kid", "use", "alg"}, k
assert len(k["x"]) == 43 and len(k["y"]) == 43, k' "$T/jwks_es.body"
check "the same point as the key file" sh -c 'openssl pkey -in "$0/ssf-es.pem" -pubout -outform DER 2>/dev/null | tail -c 64 | python3 -c "
import base64, json, sys
raw = sys.stdin.buffer.read()
k, = json.load(open(sys.argv[1]))[\"keys\"]
b = lambda s: base64.urlsafe_b64decode(s + \"=\" * (-len(s) % 4))
assert b(k[\"x\"]) + b(k[\"y\"]) == raw, k" "$0/jwks_es.body"' "$T"
req mk_es -H "Authorization: Bearer $ADA" -H "$J" -d '{"delivery":
	{"method": "urn:ietf:rfc:8936"}, "aud": "https://rp.example/es"}' "$URL/api/v1/ssf/streams"
ES_ID=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["stream_id"])' "$T/mk_es.body")
req verify_es -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\", \"state\": \"es-1\"}" \
	"$URL/api/v1/ssf/verify"
"$NHIR" --as rory incident declare --title "session leaked" --severity high \
	--lead lena --seed ASIAEXAMPLESESSION2 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-2 confirm ASIAEXAMPLESESSION2 >/dev/null
# both SETs made (the server scans the log on its own time): 10 s at most
i=0
while [ $i -lt 100 ]; do
	req poll_es -H "Authorization: Bearer $ADA" -H "$J" \
		-d '{"maxEvents": 2, "returnImmediately": true}' "$URL/api/v1/ssf/poll/$ES_ID"
	python3 -c 'import json, sys; sys.exit(len(json.load(open(sys.argv[1]))["sets"]) != 2)' \
		"$T/poll_es.body" 2>/dev/null && break
	sleep 0.1
	i=$((i + 1))
done
ans poll_es
node tests/peers/ssf-receiver.mjs build/peers poll \
	--metadata "$URL/.well-known/ssf-configuration" --issuer "$ISS2" \
	--aud https://rp.example/es --log "$T/es.log" --url "$ISS2/api/v1/ssf/poll/$ES_ID" \
	--token-file "$T/ada.token" --want 2 2>"$T/es.err" &
POLL_PID=$!
check "jose takes the ES256 SETs" wait "$POLL_PID"
POLL_PID=
check "signed ES256, verified against the JWK set" python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert len(rs) == 2 and all(r["ok"] and r["alg"] == "ES256" for r in rs), rs
ev = sorted(r["event"].rsplit("/", 1)[1] for r in rs)
assert ev == ["credential-compromise", "verification"], ev' "$T/es.log"
check "a signature of R and S, 64 bytes (RFC 7518 3.4)" python3 -c '
import base64, json, sys
d = json.load(open(sys.argv[1]))
for jws in d["sets"].values():
    s = jws.split(".")[2]
    assert len(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))) == 64, jws
assert len(d["sets"]) == 2, d' "$T/poll_es.body"
# ---- subjects: removed from a stream, added back (SSF 1.0 8.1.3) ----
# subs NAME: the opaque subjects of the SETs a poll answered, sorted
subs() {
	python3 -c '
import base64, json, sys
d = json.load(open(sys.argv[1]))
ids = []
for jws in d["sets"].values():
    p = jws.split(".")[1]
    c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    ids.append(c["sub_id"].get("id", "?"))
print(" ".join(sorted(ids)))' "$T/$1.body"
}
req meta_es "$URL/.well-known/ssf-configuration"
check "the metadata names the subject endpoints" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["add_subject_endpoint"] == sys.argv[2] + "/api/v1/ssf/subjects:add", d
assert d["remove_subject_endpoint"] == sys.argv[2] + "/api/v1/ssf/subjects:remove", d
assert d["default_subjects"] == "ALL", d' "$T/meta_es.body" "$ISS2"
ans meta_es
req sub_rm -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"opaque\", \"id\": \"ASIAEXAMPLESESSION1\"}}" \
	"$URL/api/v1/ssf/subjects:remove"
ans sub_rm
check "a subject is removed from a stream: 204" code sub_rm 204
req sub_add -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"iss_sub\", \"iss\": \"https://idp.example.org\", \"sub\": \"0oa1deploy\"},
	\"verified\": true}" "$URL/api/v1/ssf/subjects:add"
ans sub_add
check "a subject is added: 200" code sub_add 200
req sub_alias -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"aliases\", \"identifiers\": []}}" "$URL/api/v1/ssf/subjects:add"
ans sub_alias
check "a format nhir does not match is refused: 400" code sub_alias 400
check "naming the field" has "$T/sub_alias.body" "subject.format is not account, email, iss_sub, opaque"
req sub_extra -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"opaque\", \"id\": \"x\", \"email\": \"a@b\"}}" "$URL/api/v1/ssf/subjects:remove"
check "a member the format has not is refused" has "$T/sub_extra.body" "subject: unknown field 'email'"
req sub_ver -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"opaque\", \"id\": \"x\"}, \"verified\": true}" "$URL/api/v1/ssf/subjects:remove"
check "verified is for adding only" has "$T/sub_ver.body" "unknown field 'verified'"
req sub_none -H "Authorization: Bearer $ADA" -H "$J" -d '{"stream_id": "99",
	"subject": {"format": "opaque", "id": "x"}}' "$URL/api/v1/ssf/subjects:remove"
ans sub_none
check "no such stream: 404" code sub_none 404
req sub_rory -H "Authorization: Bearer $RORY" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"opaque\", \"id\": \"x\"}}" "$URL/api/v1/ssf/subjects:add"
check "a responder may not: 403" code sub_rory 403
"$NHIR" --as rory incident declare --title "old sessions" --severity high \
	--lead lena --seed ASIAEXAMPLESESSION1 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-3 confirm ASIAEXAMPLESESSION1 ASIAEXAMPLEOLD >/dev/null
# poll_some NAME BODY: polls stream ES_ID until it answers a SET (10 s)
poll_some() {
	i=0
	while [ $i -lt 100 ]; do
		req "$1" -H "Authorization: Bearer $ADA" -H "$J" -d "$2" \
			"$URL/api/v1/ssf/poll/$ES_ID"
		[ -n "$(subs "$1")" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
}
poll_some poll_sub '{"returnImmediately": true}'
ans poll_sub
check "the removed subject's event is not sent, the other's is" test "$(subs poll_sub)" = "ASIAEXAMPLEOLD"
ACK=$(python3 -c 'import json, sys; print(json.dumps(list(json.load(open(sys.argv[1]))["sets"])))' "$T/poll_sub.body")
req sub_add2 -H "Authorization: Bearer $ADA" -H "$J" -d "{\"stream_id\": \"$ES_ID\",
	\"subject\": {\"format\": \"opaque\", \"id\": \"ASIAEXAMPLESESSION1\"}}" "$URL/api/v1/ssf/subjects:add"
check "added back" code sub_add2 200
"$NHIR" --as rory incident declare --title "old sessions again" --severity high \
	--lead lena --seed ASIAEXAMPLESESSION1 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-4 confirm ASIAEXAMPLESESSION1 >/dev/null
poll_some poll_sub2 "{\"ack\": $ACK, \"returnImmediately\": true}"
check "its events come again" test "$(subs poll_sub2)" = "ASIAEXAMPLESESSION1"
check "each change of subjects on the audit log" sh -c '"$NHIR" audit log --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
es = d[\"entries\"] if isinstance(d, dict) else d
a = [e[\"action\"] for e in es if e[\"action\"].startswith(\"ssf.subject.\")]
assert a.count(\"ssf.subject.add\") >= 2 and a.count(\"ssf.subject.remove\") >= 1, a"'

check "the P-256 key is in no answer" sh -c 'k=$(sed -n 2p "$0/ssf-es.pem"); ! grep -rqF "$k" "$0/ans" "$0/srv.err" "$0/es.log"' "$T"

check_answers "$T/ans"

done_testing
