#!/bin/sh
# GitHub lineage as GitHub behaves, from audit log records in the shape
# the audit log API and streaming export write them
# (tests/data/github-lineage/audit.json).
#
# A leaked classic personal access token of octo-ci (token_id 5001)
# clones, then adds a user SSH key, a deploy key to acme/api, a GPG key
# and an Actions secret.  At 11:00 the user deletes the token on the web:
# the record carries only token_id.  GitHub deletes a deploy key made
# with a personal access token together with the token; a user's SSH
# key lives on.  At 11:05 the user revokes an OAuth app's grant.
. tests/cli/lib.sh
export NHIR

F=$ROOT/tests/data/github-lineage
K=github:token:q0bGm3x5cY2vJt8H1pLs0Kd9Wn4Re7Zu6Ai2Of3Tg5E=
SSH=github:ssh-key:SHA256:uS3rK3yFpR1nT0000000000000000000000000000aa
DEP=github:deploy-key:SHA256:d3pL0yK3yFpR1nT00000000000000000000000000bb
GPG=github:gpg-key:3AA5C34371567BD2
SEC=github:actions-secret:acme/api:DEPLOY_TOKEN

"$NHIR" init >/dev/null
check "ingest" "$NHIR" ingest github-audit "$F"

in_section() {
	sed -n "/^$1/,/^\$/p" "$T/b.txt" | grep -q "^  $2 .*$3"
}

"$NHIR" blast "$K" --at 2024-07-01T10:30:00Z >"$T/b.txt"
check "a user SSH key added with the token is persistence" \
	in_section "Persistence" "$SSH" "survives"
check "so is a GPG key" in_section "Persistence" "$GPG" "survives"
check "a deploy key made with a PAT is persistence that dies with it" \
	in_section "Persistence" "$DEP" ""
check "but is not said to survive it" sh -c \
	'! grep -q "^  '"$DEP"' .*survives" "$0/b.txt"' "$T"
check "an Actions secret written with it is a planted value" \
	in_section "Persistence" "$SEC" ""
check "with its path" has "$T/b.txt" "path: $K -created-> $DEP"

"$NHIR" blast "$K" --at 2024-07-01T11:30:00Z >"$T/b.txt"
check "the token ended by a record naming only its token_id" has "$T/b.txt" \
	"$K (credential, github-token) [ended 2024-07-01T11:00:00Z: deleted by personal_access_token.destroy, $F/audit.json@"
check "the deploy key ends with the token" in_section "Expired or ended" \
	"$DEP" "ended 2024-07-01T11:00:00Z: its issuer deleted by personal_access_token.destroy"
check "the user SSH key does NOT end with the token" \
	in_section "Persistence" "$SSH" "survives"
check "nor the GPG key" in_section "Persistence" "$GPG" "survives"
check "the secret's value is still to report" in_section "Persistence" "$SEC" ""
check "no token-id alias was made" sh -c \
	'! "$NHIR" show github:token-id:5001 >/dev/null 2>&1'
check "the OAuth grant revocation ends the grant" sh -c \
	'"$NHIR" show "github:oauth-grant:Some CI App:octo-ci" | grep -q "deleted 2024-07-01T11:05:00Z by oauth_authorization.destroy"'
check "the deletion is on the user's timeline, not the token's" sh -c \
	'! "$NHIR" timeline '"$K"' | grep -q personal_access_token.destroy'

done_testing
