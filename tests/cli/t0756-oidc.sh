#!/bin/sh
# nhir serve signs people in by OpenID Connect against a real provider
# (npm oidc-provider, pinned in tests/peers and installed by
# scripts/deps.sh) on a free loopback port: a session results, and a
# wrong state, a replayed code, a bad nonce, a user nhir does not know
# and a provider that lies about its issuer are refused.  Both servers
# are killed whatever happens.
. tests/cli/lib.sh

. tests/cli/lib-serve.sh
. tests/cli/lib-oidc.sh
if oidc_absent; then
	echo "ok 1 - # SKIP node, curl or $PEERS/node_modules/oidc-provider is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

"$NHIR" init >/dev/null
"$NHIR" user add rory --role responder >/dev/null

check "the provider starts" start_idp
oidc_config "$T/nhir.yaml"
problem() { oidc_problem "$@"; }

check "a client secret on the command line is no option" exits 2 "$NHIR" serve --client-secret x
chmod 644 "$T/client.secret"
check "a secret file others may read is refused" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/nhir.yaml"
chmod 600 "$T/client.secret"
sed 's/client_secret_file:.*/client_secret: hunter2/' "$T/nhir.yaml" >"$T/bad.yaml"
check "nor in the configuration" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/bad.yaml"
check "naming the line" grep -q "bad.yaml:4:.*client_secret" "$T/last.err"
sed "s|issuer: .*|issuer: $ISSUER/elsewhere|" "$T/nhir.yaml" >"$T/iss.yaml"
check "a provider naming another issuer stops the start" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/iss.yaml"

check "nhir starts with the provider" start_server --listen "127.0.0.1:$PORT" --config "$T/nhir.yaml"

check "signing in at the provider" signin ok rory
check "nhir asked for a code with PKCE S256, a state and a nonce" python3 -c '
import sys, urllib.parse
line = [l for l in open(sys.argv[1]) if l.startswith("authorize ")][0]
q = urllib.parse.parse_qs(urllib.parse.urlsplit(line.split()[1]).query)
assert q["response_type"] == ["code"] and q["code_challenge_method"] == ["S256"], q
assert len(q["code_challenge"][0]) == 43 and len(q["state"][0]) == 43, q
assert len(q["nonce"][0]) == 43 and q["client_id"] == ["nhir"], q
assert "client_secret" not in q and "code_verifier" not in q, q
' "$T/ok.drive"
callback ok
check "the redirect back opens a session" code ok 200
check "for the user the claim names" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["user"] == "rory" and d["method"] == "oidc" and len(d["csrf"]) == 43, d
' "$T/ok.body"
check "with an HttpOnly SameSite=Strict cookie" grep -qi '^set-cookie: nhir_session=nhirs_[^;]*; Path=/; Max-Age=28800; HttpOnly; SameSite=Strict' "$T/ok.head"
SESSION=$(sed -n 's/^[Ss]et-[Cc]ookie: nhir_session=\([^;]*\);.*/\1/p' "$T/ok.head")
curl -s -m 20 -o "$T/list.body" -w '%{http_code}' -b "nhir_session=$SESSION" \
	"$NHIR_URL/api/v1/incidents" >"$T/list.code"
check "which reads the record" code list 200

callback replay "$(cat "$T/ok.url")" "$(cat "$T/ok.cookie")"
check "the same redirect again is refused" code replay 401
check "as problem+json" problem replay "no sign-in under way has this state"

check "another sign-in" signin fresh rory
OLDCODE=$(sed 's/.*[?&]code=\([^&]*\).*/\1/' "$T/ok.url")
FRESHSTATE=$(sed 's/.*[?&]state=\([^&]*\).*/\1/' "$T/fresh.url")
callback replayed "$REDIRECT?code=$OLDCODE&state=$FRESHSTATE" "$(cat "$T/fresh.cookie")"
check "a used code under a fresh state: the provider refuses it" code replayed 401
check "and nhir says so" problem replayed "the provider refused the code"

check "a third sign-in" signin wrongstate rory
callback wrongstate "$(sed 's/state=[^&]*/state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/' "$T/wrongstate.url")"
check "a wrong state is refused" code wrongstate 401
check "as problem+json" problem wrongstate "no sign-in under way has this state"

check "a sign-in from another browser" signin elsewhere rory
callback stolen "$(cat "$T/elsewhere.url")" "nhir_oidc=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
check "without its login cookie is refused" code stolen 401
check "as problem+json" problem stolen "another browser"

check "a sign-in whose nonce was changed on the way" signin nonce rory --nonce forged-nonce
callback nonce
check "is refused" code nonce 401
check "for its nonce" problem nonce "nonce is not this sign-in's"

check "a person the provider knows and nhir does not" signin nobody mallory
callback nobody
check "gets no session: nhir makes no users" code nobody 401
check "as problem+json" problem nobody "mallory is no nhir user"
check "and is no user afterwards" sh -c '! "$0" user list | grep -q mallory' "$NHIR"

check "the audit log has the sign-in and each failure" sh -c \
	'"$0" audit log --format json | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"entries\"]
ok = [x for x in e if x[\"action\"] == \"login\"]
assert len(ok) == 1 and ok[0][\"actor\"] == \"rory\" and ok[0][\"detail\"][\"method\"] == \"oidc\", ok
f = [x[\"detail\"][\"reason\"] for x in e if x[\"action\"] == \"login.failed\"]
assert len(f) == 6, f
assert \"mallory is no nhir user\" in f, f
assert any(\"nonce\" in r for r in f) and any(\"refused the code\" in r for r in f), f
"' "$NHIR"
check "no secret, code or cookie in the logs or the database" sh -c '
	for v in "$1" "$2" "$3"; do
		! grep -qF -e "$v" "$0/srv.err" || exit 1
		! "$4" audit log | grep -qF -e "$v" || exit 1
		! grep -aqF -e "$v" "$NHIR_DB"* || exit 1
	done' "$T" "$SECRET" "$OLDCODE" "$SESSION" "$NHIR"

check "nhir stops" kill -TERM "$SRV_PID"
wait "$SRV_PID"
SRV_PID=
done_testing
