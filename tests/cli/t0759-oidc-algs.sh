#!/bin/sh
# Sign-in by OpenID Connect with ID tokens signed PS256, ES256 and EdDSA
# by a real provider (npm oidc-provider, tests/peers/oidc-peer.mjs with
# OIDC_ALG), not only RS256: each signs in and gets a session; the
# provider's keys are fetched and the token's key picked by its kid and
# algorithm.
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

for alg in PS256 ES256 EdDSA; do
	[ -n "$IDP_PID" ] && kill -KILL "$IDP_PID" 2>/dev/null
	OIDC_ALG=$alg
	export OIDC_ALG
	check "$alg: the provider starts" start_idp
	oidc_config "$T/nhir.yaml"
	check "$alg: nhir starts with the provider" \
		start_server --listen "127.0.0.1:$PORT" --config "$T/nhir.yaml"
	check "$alg: the provider publishes its $alg key" sh -c '
		jwks=$(curl -s -m 10 "$0/.well-known/openid-configuration" |
		       python3 -c "import json, sys; print(json.load(sys.stdin)[\"jwks_uri\"])")
		curl -s -m 10 "$jwks" | grep -q "\"alg\":\"$1\""' "$ISSUER" "$alg"
	signin "$alg" rory && callback "$alg"
	check "$alg: rory signs in" code "$alg" 200
	check "$alg: with a session cookie" sh -c \
		'grep -qi "^set-cookie: nhir_session=" "$0"' "$T/$alg.head"
	check "$alg: the session is rory's" sh -c '
		c=$(sed -n "s/^[Ss]et-[Cc]ookie: \(nhir_session=[^;]*\).*/\1/p" "$0" | tr -d "\r")
		curl -s -m 10 -b "$c" "$1/api/v1/session" | grep -q "\"rory\""' \
		"$T/$alg.head" "$URL"
done

done_testing
