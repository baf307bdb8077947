#!/bin/sh
# The built-in kubernetes connector against a stand-in for the API server
# (tests/peers/k8s-peer.mjs, its checks written from the Kubernetes API
# reference) over HTTPS with a CA made here, that keeps state: a legacy
# token Secret deleted (its uid as precondition), a Pod a token is bound
# to deleted, a service account deleted; the leaked tokens then fail
# their SelfSubjectReview and the objects answer 404.  Dry run, a 429 and
# a 503 retried, no delete right, a Secret that is no token, an object
# already gone, bad kubeconfigs, requests the stand-in refuses.
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

# a CA and the API server's certificate, for 127.0.0.1 only
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/ca.key" -out "$T/ca.crt" -days 2 -subj "/CN=nhir test cluster CA" \
	2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/server.key" -out "$T/server.csr" -subj "/CN=kube-apiserver" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/san.ext"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/server.crt" -days 2 -extfile "$T/san.ext" 2>/dev/null
# another CA, that signed nothing the stand-in shows
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -out "$T/other.crt" -days 2 -subj "/CN=someone else" \
	2>/dev/null
check "the certificates are made" test -s "$T/server.crt" -a -s "$T/other.crt"

RESPONDER='eyJhbGciOiJSUzI1NiJ9.nhirResponder.c2lnbmF0dXJlLXJlc3BvbmRlcg'
WEAK='eyJhbGciOiJSUzI1NiJ9.nhirWeak.c2lnbmF0dXJlLXdlYWs'
LEGACY='eyJhbGciOiJSUzI1NiJ9.nhirLegacyDeployer.c2lnbmF0dXJlLWxlZ2FjeQ'
BOUND='eyJhbGciOiJSUzI1NiJ9.nhirBoundWeb.c2lnbmF0dXJlLWJvdW5k'
BATCH='eyJhbGciOiJSUzI1NiJ9.nhirBatch.c2lnbmF0dXJlLWJhdGNo'
cat >"$T/cluster.json" <<EOF
{"serviceaccounts": {"kube-system/nhir-responder": {}, "kube-system/viewer": {},
   "payments/deployer": {}, "payments/web": {}, "payments/batch": {}},
 "secrets": {"payments/deployer-token": {"type": "kubernetes.io/service-account-token", "account": "deployer",
              "data": {"token": "$(printf %s "$LEGACY" | base64 -w0)"}},
             "payments/db-config": {"type": "Opaque", "data": {"url": "cG9zdGdyZXM6Ly9kYg=="}}},
 "pods": {"payments/web-7d4f9": {"account": "web"}},
 "tokens": {"$RESPONDER": {"account": "kube-system/nhir-responder", "verbs": ["get", "delete"]},
            "$WEAK": {"account": "kube-system/viewer", "verbs": ["get"]},
            "$LEGACY": {"account": "payments/deployer", "secret": "payments/deployer-token", "verbs": ["get"]},
            "$BOUND": {"account": "payments/web", "bound": "Pod payments/web-7d4f9", "verbs": ["get"]},
            "$BATCH": {"account": "payments/batch", "verbs": ["get"]}}}
EOF
node tests/peers/k8s-peer.mjs "$T/cluster.json" "$T/server.key" "$T/server.crt" \
	>"$T/peer.out" 2>"$T/peer.err" &
PEER_PID=$!
PORT=
i=0
while [ $i -lt 100 ] && [ -z "$PORT" ]; do
	PORT=$(sed -n "s/^port //p" "$T/peer.out" 2>/dev/null)
	[ -n "$PORT" ] || sleep 0.1
	i=$((i + 1))
done
check "the API server stand-in starts" test -n "$PORT"
K=https://127.0.0.1:$PORT
peer() {
	curl -sf --cacert "$T/ca.crt" "$K/_peer/$1"
}

# the responder's context (CA inline, token inline) is the current one;
# "viewer" takes its CA and token from files beside the kubeconfig
mkdir -p "$T/kube"
cp "$T/ca.crt" "$T/kube/ca.crt"
printf '%s\n' "$WEAK" >"$T/kube/viewer.token"
cat >"$T/kube/config" <<EOF
apiVersion: v1
kind: Config
current-context: incident-response
clusters:
- name: prod
  cluster:
    server: $K/
    certificate-authority-data: $(base64 -w0 "$T/ca.crt")
- name: prod-by-file
  cluster:
    server: $K
    certificate-authority: ca.crt
- name: prod-other-ca
  cluster:
    server: $K
    certificate-authority-data: $(base64 -w0 "$T/other.crt")
contexts:
- name: incident-response
  context: {cluster: prod, user: responder}
- name: viewer
  context: {cluster: prod-by-file, user: viewer}
- name: other-ca
  context: {cluster: prod-other-ca, user: responder}
users:
- name: responder
  user:
    token: $RESPONDER
- name: viewer
  user:
    tokenFile: viewer.token
EOF
chmod 600 "$T/kube/config"

sed -e "s#/etc/nhir/kubeconfig#$T/kube/config#" -e "s#/etc/nhir/leaked.token#$T/leaked.token#" \
	-e "s#examples/connectors/simulated-provider.py#$ROOT/examples/connectors/simulated-provider.py#" \
	examples/connectors/kubernetes.yaml >"$T/k8s.yaml"
chmod 600 "$T/k8s.yaml"
export NHIR_NOW=2024-06-03T10:00:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$T/k8s.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
SA=k8s:cluster:serviceaccount
cat >"$T/estate.jsonl" <<EOF
{"type":"node","kind":"identity","id":"$SA:payments/deployer","name":"payments/deployer","subtype":"k8s-service-account","provider":"k8s"}
{"type":"node","kind":"identity","id":"$SA:payments/web","name":"payments/web","subtype":"k8s-service-account","provider":"k8s"}
{"type":"node","kind":"identity","id":"$SA:payments/batch","name":"payments/batch","subtype":"k8s-service-account","provider":"k8s"}
{"type":"node","kind":"token","id":"k8s:cluster:secret:payments/deployer-token","name":"deployer-token","subtype":"k8s-sa-token","provider":"k8s","created":"2024-06-01T08:00:00Z"}
{"type":"node","kind":"token","id":"k8s:cluster:secret:payments/db-config","name":"db-config","subtype":"k8s-sa-token","provider":"k8s","created":"2024-06-01T08:00:00Z"}
{"type":"node","kind":"token","id":"k8s-cred:7c1e0f3a-web","name":"web token","subtype":"k8s-bound-token","provider":"k8s","created":"2024-06-03T09:00:00Z","expires":"2024-06-03T19:00:00Z","attrs":{"bound_object":"Pod payments/web-7d4f9"}}
{"type":"node","kind":"token","id":"k8s:cluster:secret:payments/gone-token","name":"gone-token","subtype":"k8s-sa-token","provider":"k8s","created":"2024-06-01T08:00:00Z"}
{"type":"edge","kind":"authenticates","from":"k8s:cluster:secret:payments/deployer-token","to":"$SA:payments/deployer"}
{"type":"edge","kind":"authenticates","from":"k8s-cred:7c1e0f3a-web","to":"$SA:payments/web"}
{"type":"node","kind":"identity","id":"$SA:payments/cron","name":"payments/cron","subtype":"k8s-service-account","provider":"k8s"}
{"type":"node","kind":"token","id":"k8s-cred:9a2b-cron","name":"cron token (kubectl create token)","subtype":"k8s-bound-token","provider":"k8s","created":"2024-06-03T09:10:00Z","expires":"2024-06-04T09:10:00Z"}
{"type":"edge","kind":"authenticates","from":"k8s-cred:9a2b-cron","to":"$SA:payments/cron"}
{"type":"node","kind":"token","id":"k8s-cred:5e6f-stray","name":"a token of no known account","subtype":"k8s-bound-token","provider":"k8s","created":"2024-06-03T09:20:00Z","expires":"2024-06-04T09:20:00Z"}
EOF
"$NHIR" import nhir "$T/estate.jsonl" >/dev/null
"$NHIR" --as rory incident declare --title "Service account token leaked" --severity high \
	--lead lena --seed k8s:cluster:secret:payments/deployer-token \
	--exposed-at 2024-06-03T09:00:00Z >/dev/null
for x in k8s-cred:7c1e0f3a-web k8s-cred:9a2b-cron k8s-cred:5e6f-stray "$SA:payments/batch" k8s:cluster:secret:payments/db-config \
	 k8s:cluster:secret:payments/gone-token; do
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
	peer log | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e["route"] == sys.argv[1] and (len(sys.argv) < 3 or str(e["status"]) == sys.argv[2])))' "$@"
}
exists() {
	peer state | python3 -c '
import json, sys
s = json.load(sys.stdin)
for x in sys.argv[1:]:
    want = not x.startswith("!")
    kind, key = x.lstrip("!").split(" ")
    assert (key in s[kind]) == want, (x, list(s[kind]))' "$@"
}

check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >/dev/null'
# an account in scope that nothing contains: the planner deletes it
check "the planner proposes the account's deletion" test -n "$(step k8s.delete-service-account "$SA:payments/batch")"
check "and its proof, after it" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json, sys
st = json.load(sys.stdin)[\"steps\"]
d = [x[\"step\"] for x in st if x[\"action\"] == \"k8s.delete-service-account\" and x[\"target\"] == sys.argv[1]]
v = [x for x in st if x[\"action\"] == \"generic.verify-revoked\" and x[\"target\"] == sys.argv[1]]
assert len(d) == 1 and len(v) == 1 and d[0] in v[0][\"after\"], (d, v)" "$0"' "$SA:payments/batch"
# a token bound to nothing (kubectl create token): only its account's
# deletion ends it; a token bound to a Pod ends with the Pod
check "an unbound token: the planner deletes its account" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json, sys
st = json.load(sys.stdin)[\"steps\"]
d = [x for x in st if x[\"action\"] == \"k8s.delete-service-account\" and x[\"target\"] == sys.argv[1]]
assert len(d) == 1 and \"bound to no object\" in d[0][\"why\"], d
v = [x for x in st if x[\"action\"] == \"generic.verify-revoked\" and x[\"target\"] == \"k8s-cred:9a2b-cron\"]
assert len(v) == 1 and d[0][\"step\"] in v[0][\"after\"], v
assert not [x for x in st if x[\"action\"] == \"k8s.delete-bound-secret\" and x[\"target\"] == \"k8s-cred:9a2b-cron\"]
assert not [x for x in st if x[\"action\"] == \"k8s.delete-service-account\" and x[\"target\"] in (sys.argv[2], sys.argv[3])]
" "$0" "$1" "$2"' "$SA:payments/cron" "$SA:payments/web" "$SA:payments/deployer"
check "an unbound token of no known account: no step that cannot end it" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json, sys
st = [x for x in json.load(sys.stdin)[\"steps\"] if x[\"target\"] == \"k8s-cred:5e6f-stray\"]
assert [x[\"action\"] for x in st] == [\"generic.verify-revoked\"], st
assert \"no step ends it\" in st[0][\"why\"], st
"'
SEC=$(step k8s.delete-bound-secret k8s:cluster:secret:payments/deployer-token)
VSEC=$(step generic.verify-revoked k8s:cluster:secret:payments/deployer-token)
POD=$(step k8s.delete-bound-secret k8s-cred:7c1e0f3a-web)
VPOD=$(step generic.verify-revoked k8s-cred:7c1e0f3a-web)
SAD=$(step k8s.delete-service-account "$SA:payments/batch")
VSA=$(step generic.verify-revoked "$SA:payments/batch")
CFG=$(step k8s.delete-bound-secret k8s:cluster:secret:payments/db-config)
GONE=$(step k8s.delete-bound-secret k8s:cluster:secret:payments/gone-token)
check "the steps are there" test -n "$SEC" -a -n "$VSEC" -a -n "$POD" -a -n "$VPOD" \
	-a -n "$SAD" -a -n "$VSA" -a -n "$CFG" -a -n "$GONE"
for who in alex ben; do
	NEED=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"]))')
	[ -z "$NEED" ] || "$NHIR" --as $who approve INC-1 $NEED --why "reviewed" >/dev/null
done
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["action"].startswith("generic.") and s["action"] != "generic.verify-revoked"))'); do
	"$NHIR" --as rory execute INC-1 $s --confirm >/dev/null
done

# the dry run
check "a dry run shows the requests" sh -c '"$NHIR" --as rory execute INC-1 '$SEC' >"$0/dry.out"' "$T"
check "the Secret read first" has "$T/dry.out" "GET $K/api/v1/namespaces/payments/secrets/deployer-token"
check "then deleted" has "$T/dry.out" "DELETE $K/api/v1/namespaces/payments/secrets/deployer-token"
check "the token redacted" has "$T/dry.out" "Authorization: Bearer [redacted]"
check "the DeleteOptions, its uid named" has "$T/dry.out" '{"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Background","preconditions":{"uid":"UID"}}'
check "the pod's dry run" sh -c '"$NHIR" --as rory execute INC-1 '$POD' >"$0/dry2.out"' "$T"
check "deletes the pod the token is bound to" has "$T/dry2.out" "DELETE $K/api/v1/namespaces/payments/pods/web-7d4f9"
check "nothing was sent" test "$(peer log | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 0
check "no token in the dry runs" sh -c '! grep -qF "$0" "$1"/dry*.out' "$RESPONDER" "$T"

# a kubeconfig that does not serve
cp "$T/k8s.yaml" "$T/k8s-good.yaml"
sed "s#context: incident-response#context: nowhere#" "$T/k8s-good.yaml" >"$T/k8s.yaml"
check "an unknown context fails the step" exits 1 "$NHIR" --as rory execute INC-1 $SEC --confirm
check "naming the kubeconfig" has "$T/last.out" "$T/kube/config:"
check "and the context" has "$T/last.out" "context 'nowhere' is not among the file's contexts"
sed "s#context: incident-response#context: other-ca#" "$T/k8s-good.yaml" >"$T/k8s.yaml"
check "an API server the CA did not sign fails the step" exits 1 "$NHIR" --as rory execute INC-1 $SEC --confirm
check "a TLS refusal" sh -c 'grep -Eqi "certificate|SSL" "$0"' "$T/last.out"
sed "s#context: incident-response#context: viewer#" "$T/k8s-good.yaml" >"$T/k8s.yaml"
check "a token without the delete right" exits 1 "$NHIR" --as rory execute INC-1 $SEC --confirm
check "is refused, the API server's Status named" has "$T/last.out" 'refused: HTTP 403: secrets "deployer-token" is forbidden: User "system:serviceaccount:kube-system:viewer" cannot delete resource "secrets"'
check "the CA and token read from files beside the kubeconfig" test "$(calls 'GET secrets' 200)" = 1
cp "$T/k8s-good.yaml" "$T/k8s.yaml"

# throttled and unavailable: retried
curl -sf --cacert "$T/ca.crt" -X POST "$K/_peer/faults" -d '[{"route": "DELETE secrets", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}, {"route": "DELETE secrets", "status": 503, "count": 1}]' >/dev/null
check "the token Secret is deleted" sh -c '"$NHIR" --as rory execute INC-1 '$SEC' --confirm >"$0/sec.out"' "$T"
check "after a 429 and a 503" test "$(calls 'DELETE secrets' 429) $(calls 'DELETE secrets' 503) $(calls 'DELETE secrets' 200)" = "1 1 1"
check "the step is done" test "$(status $SEC)" = done
check "it is gone at the API server" exists '!secrets payments/deployer-token' 'serviceaccounts payments/deployer'
check "with its uid as precondition" sh -c 'peer_log=$(curl -sf --cacert "$0/ca.crt" "$1/_peer/log"); printf %s "$peer_log" | python3 -c "
import json,sys
d = [e for e in json.load(sys.stdin) if e[\"route\"] == \"DELETE secrets\" and e[\"status\"] == 200][0]
assert d[\"options\"][\"preconditions\"][\"uid\"] and d[\"options\"][\"propagationPolicy\"] == \"Background\", d"' "$T" "$K"
printf '%s\n' "$LEGACY" >"$T/leaked.token"
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VSEC' --confirm >"$0/vsec.out"' "$T"
check "the leaked token refused by SelfSubjectReview" has "$T/vsec.out" "POST /apis/authentication.k8s.io/v1/selfsubjectreviews with the leaked token: HTTP 401 Unauthorized (revoked)"
check "one review, answered 401" test "$(calls 'POST selfsubjectreviews' 401)" = 1

# a token bound to a Pod: the Pod deleted
printf '%s\n' "$BOUND" >"$T/leaked.token"
check "the token works before" sh -c 'curl -sf --cacert "$0/ca.crt" -H "Authorization: Bearer $2" -H "Accept: application/json" -H "Content-Type: application/json" -d "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}" "$1/apis/authentication.k8s.io/v1/selfsubjectreviews" | grep -q "system:serviceaccount:payments:web"' "$T" "$K" "$BOUND"
check "the pod it is bound to is deleted" sh -c '"$NHIR" --as rory execute INC-1 '$POD' --confirm >"$0/pod.out"' "$T"
check "saying what survives" has "$T/pod.out" "unbound tokens of the same service account (kubectl create token) survive"
check "the pod is gone, its account not" exists '!pods payments/web-7d4f9' 'serviceaccounts payments/web'
check "the probe verifies it" sh -c '"$NHIR" --as rory execute INC-1 '$VPOD' --confirm >"$0/vpod.out"' "$T"
check "by the leaked token refused" has "$T/vpod.out" "HTTP 401 Unauthorized (revoked)"

# a service account: every token of it
printf '%s\n' "$BATCH" >"$T/leaked.token"
check "the service account is deleted" sh -c '"$NHIR" --as rory execute INC-1 '$SAD' --confirm >"$0/sa.out"' "$T"
check "every token of it named" has "$T/sa.out" "every token of the service account stops authenticating"
check "gone at the API server" exists '!serviceaccounts payments/batch'
rm -f "$T/leaked.token"
check "the probe without a leaked token reads the account" sh -c '"$NHIR" --as rory execute INC-1 '$VSA' --confirm >"$0/vsa.out"' "$T"
check "404 is revoked" has "$T/vsa.out" "GET /api/v1/namespaces/payments/serviceaccounts/batch: HTTP 404 NotFound: the ServiceAccount payments/batch is gone"

# a Secret that holds no token is not deleted; one gone already is done
check "an Opaque Secret is not deleted" exits 1 "$NHIR" --as rory execute INC-1 $CFG --confirm
check "saying why" has "$T/last.out" "is of type 'Opaque', not a service account token"
check "it is still there" exists 'secrets payments/db-config'
check "a Secret already gone" sh -c '"$NHIR" --as rory execute INC-1 '$GONE' --confirm >"$0/gone.out"' "$T"
check "is done, said so" has "$T/gone.out" "HTTP 404 NotFound: the Secret is already gone; nothing to delete"

# bad kubeconfigs: the file and line named
bad_kc() {
	printf '%s\n' "$2" >"$T/kube/bad"
	sed "s#$T/kube/config#$T/kube/bad#" "$T/k8s-good.yaml" >"$T/k8s.yaml"
	"$NHIR" --as rory execute INC-1 $CFG --confirm >"$T/last.out" 2>&1
	grep -qF "$1" "$T/last.out" || { cat "$T/last.out"; return 1; }
}
check "a kubeconfig that is no YAML" bad_kc "$T/kube/bad:3:" 'clusters: [
  {name: x'
check "a client certificate" bad_kc "$T/kube/bad:10: user 'u' signs in with a client certificate (client-certificate-data)" "current-context: incident-response
contexts:
- name: incident-response
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: 'https://127.0.0.1:1'}
users:
- name: u
  user: {client-certificate-data: AAAA, client-key-data: AAAA}"
check "no TLS check" bad_kc "$T/kube/bad:7: cluster 'k': insecure-skip-tls-verify" "current-context: incident-response
contexts:
- name: incident-response
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: abc}"
check "a CA that is not base64" bad_kc "certificate-authority-data: byte 4: not base64" "current-context: incident-response
contexts:
- name: incident-response
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: 'https://127.0.0.1:1', certificate-authority-data: 'QUJD*'}
users:
- name: u
  user: {token: abc}"
check "plain http to another host" bad_kc "server: plain http only to a loopback address" "current-context: incident-response
contexts:
- name: incident-response
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: 'http://kube.example.com'}
users:
- name: u
  user: {token: abc}"
cp "$T/k8s-good.yaml" "$T/k8s.yaml"
check "no kubeconfig at all" exits 1 env -u KUBECONFIG HOME="$T/nohome" sh -c \
	'sed "/kubeconfig:/d" "$0" >"$0.x"; chmod 600 "$0.x"; NHIR_CONNECTORS="$0.x" "$1" --as rory execute INC-1 '$CFG' --confirm' "$T/k8s-good.yaml" "$NHIR"
check "names the file it looked for" has "$T/last.out" "$T/nohome/.kube/config"
check "a target of another cluster is refused" sh -c '
sed "s/cluster: cluster/cluster: staging/" "$0" >"$0.y"; chmod 600 "$0.y"
! NHIR_CONNECTORS="$0.y" "$1" --as rory execute INC-1 '$CFG' --confirm >"$0.out" 2>&1 &&
grep -q "is not in cluster .staging." "$0.out"' "$T/k8s-good.yaml" "$NHIR"

check "no request broke the API reference" sh -c 'curl -sf --cacert "$0/ca.crt" "$1/_peer/log" | python3 -c "
import json,sys
log = json.load(sys.stdin)
bad = [e for e in log if e.get(\"violations\")]
assert len(log) >= 12 and not bad, bad"' "$T" "$K"
check "an unknown DeleteOptions field is refused" sh -c 'curl -s --cacert "$0/ca.crt" -H "Authorization: Bearer $2" -H "Accept: application/json" -H "Content-Type: application/json" -X DELETE -d "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"cascade\":true}" "$1/api/v1/namespaces/payments/secrets/db-config" | grep -q "cascade.* in DeleteOptions"' "$T" "$K" "$RESPONDER"
check "a body that is not JSON's type is refused" sh -c 'test "$(curl -s -o /dev/null -w %{http_code} --cacert "$0/ca.crt" -H "Authorization: Bearer $2" -H "Accept: application/json" -H "Content-Type: text/plain" -X DELETE -d x "$1/api/v1/namespaces/payments/secrets/db-config")" = 415' "$T" "$K" "$RESPONDER"
check "no token, 401" sh -c 'test "$(curl -s -o /dev/null -w %{http_code} --cacert "$0/ca.crt" -H "Accept: application/json" "$1/api/v1/namespaces/payments/secrets/db-config")" = 401' "$T" "$K"
check "the stand-in counted the two malformed" test "$(peer log | python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin) if e.get("violations")))')" = 2

check "no token in the database" sh -c '! grep -qaF "$0" "$NHIR_DB"' "$RESPONDER"
check "no token in the record" sh -c '"$NHIR" audit log --format json >"$1/audit.json" 2>&1; ! grep -qF "$0" "$1/audit.json" && ! grep -qF "$2" "$1/audit.json"' "$RESPONDER" "$T" "$LEGACY"
check "no token in any output" sh -c '! grep -qF "$0" "$2"/*.out && ! grep -qF "$1" "$2"/*.out' "$RESPONDER" "$LEGACY" "$T"

done_testing
