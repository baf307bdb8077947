# Helpers for tests of sign-in by OpenID Connect (source after lib.sh
# and lib-serve.sh): a real provider (npm oidc-provider, pinned in
# tests/peers, installed by scripts/deps.sh) on a free loopback port,
# nhir's port chosen before it so that the provider knows the redirect,
# and a browser's way through both.  Sets PEERS, PORT, NHIR_URL,
# REDIRECT, SECRET (in $T/client.secret, 0600), ISSUER, IDP_PID.
# OIDC_GROUPS (JSON, name -> groups claim) is handed to the provider.

PEERS=$ROOT/build/peers
oidc_absent() {
	! command -v node >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1 ||
	[ ! -d "$PEERS/node_modules/oidc-provider" ]
}

IDP_PID=
stop_all() {
	[ -n "$IDP_PID" ] && kill -KILL "$IDP_PID" 2>/dev/null
	stop_server
}
trap stop_all EXIT

# start_idp: the provider; fails when it does not say its issuer
start_idp() {
	PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	NHIR_URL=http://127.0.0.1:$PORT
	REDIRECT=$NHIR_URL/api/v1/oidc/callback
	SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
	printf '%s\n' "$SECRET" >"$T/client.secret"
	chmod 600 "$T/client.secret"
	# emptied here, not by the redirection below: that one happens in
	# the background child, after the loop may have read the issuer a
	# provider started before this one wrote there
	: >"$T/idp.out"
	OIDC_CLIENT_SECRET=$SECRET node tests/peers/oidc-peer.mjs "$PEERS" "$REDIRECT" \
		>"$T/idp.out" 2>"$T/idp.err" &
	IDP_PID=$!
	ISSUER=
	i=0
	while [ $i -lt 300 ] && [ -z "$ISSUER" ]; do
		ISSUER=$(sed -n 's/^issuer //p' "$T/idp.out")
		[ -n "$ISSUER" ] || sleep 0.1
		i=$((i + 1))
	done
	test -n "$ISSUER"
}

# oidc_config FILE [LINES]: nhir's configuration for the provider, with
# LINES (already indented under oidc:) added
oidc_config() {
	cat >"$1" <<EOF2
oidc:
  issuer: $ISSUER
  client_id: nhir
  client_secret_file: $T/client.secret
  redirect_uri: $REDIRECT
  user_claim: preferred_username
${2:-}
EOF2
}

# signin NAME USER [--nonce N]: the provider's forms as a browser, up
# to the redirect back; the login cookie and callback URL in $T/NAME.*
signin() {
	name=$1
	shift
	node tests/peers/oidc-login.mjs "$NHIR_URL" "$@" >"$T/$name.drive" 2>"$T/$name.err" || return 1
	sed -n 's/^cookie //p' "$T/$name.drive" >"$T/$name.cookie"
	sed -n 's/^callback //p' "$T/$name.drive" >"$T/$name.url"
	test -s "$T/$name.url"
}

# callback NAME [URL [COOKIE]]: nhir's answer to the redirect back
callback() {
	name=$1
	url=${2:-$(cat "$T/$name.url")}
	cookie=${3:-$(cat "$T/$name.cookie")}
	curl -s -m 20 -o "$T/$name.body" -D "$T/$name.head" -w '%{http_code}' \
		-b "$cookie" "$url" >"$T/$name.code"
}

# oidc_problem NAME TEXT: a 401 problem+json whose detail has TEXT
oidc_problem() {
	grep -qi '^content-type: application/problem+json' "$T/$1.head" &&
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"] == 401 and d["code"] == "NHIR_EDENIED", d
assert sys.argv[2] in d["detail"], d
' "$T/$1.body" "$2"
}
