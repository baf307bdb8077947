#!/bin/sh
# Vault lineage as Vault behaves, from an audit device's file
# (tests/data/vault-lineage/audit.log, entries in the device's shape:
# HMAC'd tokens and accessors, no "orphan" field, headers as lists).
#
# P logs in (AppRole), makes a child C (which makes G), an orphan O
# (create-orphan) and R through role "nightly" written with orphan=true;
# P, O, C read dynamic secrets (leases).  At 09:30 a responder revokes
# P by its token: P, C, G and the leases of P and C end; O and R, being
# orphans, live on.  O's lease ends with its prefix (09:35), R by its
# accessor (09:50), O itself by revoke-self (09:55).  The admin token
# makes X, X makes Y; revoke-orphan on X (09:45) ends X and its lease,
# not Y.  A revoke-accessor that was denied ends nothing.
. tests/cli/lib.sh
export NHIR

F=$ROOT/tests/data/vault-lineage
P=vault:hmac-sha256:a9f317391e4ba1d57027ca9c65f3b5c0c7a045dc833928373326838e13e69a3d
C=vault:hmac-sha256:e669aa5d6a0665862c7896211bf683a6d81f91853adc198682cf4d4a43eab567
O=vault:hmac-sha256:9fd3b0d85d5fa310ec406d688f93f576e957fa375ea3e43ad855bb75114cf444
R=vault:hmac-sha256:438d60deb0e9dd18c5b01ab301d886d80851121715ce0c3310a31f0043fa547b
G=vault:hmac-sha256:4fdf2a6c6f2d2754c69bc8ea7645e5584c3a0e4bd0bd450d0031c1e0bead75c9
X=vault:hmac-sha256:3c3b17dafe7a18ffb82d1862c4fab8115e2223a10a3618ec636a5ff2fefb8399
Y=vault:hmac-sha256:6a80452ecdfe348366e67d63153a1cdea5f9d32efe15bc220a221afc9faacdeb
A=vault:hmac-sha256:dc282c4eb75f55eb40f1886b51130fbe5f766cdfa7089b2e4c6dbe30809dddeb

"$NHIR" init >/dev/null
check "ingest" "$NHIR" ingest vault-audit "$F"

# in a section of blast's text output: "section" "ref" "pattern"
in_section() {
	sed -n "/^$1/,/^\$/p" "$T/b.txt" | grep -q "^  $2 .*$3"
}

"$NHIR" blast "$P" --at 2024-06-03T09:25:00Z >"$T/b.txt"
check "before the revocation: the child is live" in_section "Live derived" "$C" ""
check "the orphan from create-orphan survives its parent" \
	in_section "Live derived" "$O" "survives revocation of its parent"
check "a role written with orphan=true issues orphans" \
	in_section "Live derived" "$R" "survives revocation of its parent"
check "leases are in the token's lineage" has "$T/b.txt" \
	"path: $P -issued-> vault:lease:database/creds/readonly/AbC123pQr"
check "and the child's leases below it" has "$T/b.txt" \
	"$P -issued-> $C -issued-> vault:lease:database/creds/readonly/DeF456vWx"

"$NHIR" blast "$P" --at 2024-06-03T09:40:00Z >"$T/b.txt"
check "the revoked token is ended, by which event and where" has "$T/b.txt" \
	"$P (token, vault-token) [ended 2024-06-03T09:30:00Z: deleted by auth/token/revoke, $F/audit.log@"
check "its child ends with it" in_section "Expired or ended" "$C" \
	"ended 2024-06-03T09:30:00Z: its issuer deleted by auth/token/revoke"
check "down the chain" in_section "Expired or ended" "$G" \
	"ended 2024-06-03T09:30:00Z: its issuer deleted"
check "its lease ends with it" in_section "Expired or ended" \
	"vault:lease:database/creds/readonly/AbC123pQr" "its issuer deleted"
check "the orphan does NOT end with its parent" \
	in_section "Live derived" "$O" "survives revocation of its parent"
check "nor the role's orphan" in_section "Live derived" "$R" ""
check "a prefix revocation ends the lease under it" \
	in_section "Expired or ended" "vault:lease:aws/creds/deploy/XyZ789sTu" \
	"ended 2024-06-03T09:35:00Z: deleted by sys/leases/revoke-prefix/aws/creds/"

"$NHIR" blast "$P" --at 2024-06-03T09:58:00Z >"$T/b.txt"
check "revoke-accessor ends the role's orphan" in_section "Expired or ended" \
	"$R" "ended 2024-06-03T09:50:00Z: deleted by auth/token/revoke-accessor"
check "revoke-self ends the orphan" in_section "Expired or ended" "$O" \
	"ended 2024-06-03T09:55:00Z: deleted by auth/token/revoke-self"
check "nothing is live" sh -c '! grep -q "^Live" "$0/b.txt"' "$T"

"$NHIR" blast "$A" --at 2024-06-03T09:50:00Z >"$T/b.txt"
check "revoke-orphan ends the token" in_section "Expired or ended" "$X" \
	"ended 2024-06-03T09:45:00Z: revoked-orphaning-children by auth/token/revoke-orphan"
check "and its lease" in_section "Expired or ended" \
	"vault:lease:database/creds/readonly/GhI012yZa" \
	"its issuer revoked-orphaning-children"
check "not its child, an orphan now" in_section "Live derived" "$Y" ""
check "a denied revocation ends nothing" sh -c \
	'! grep -q "^  '"$A"' .*ended" "$0/b.txt"' "$T"

check "show lists the end fact of a lease" sh -c \
	'"$NHIR" show vault:lease:aws/creds/deploy/XyZ789sTu | grep -q "deleted 2024-06-03T09:35:00Z by sys/leases/revoke-prefix/aws/creds/"'
check "the user agent from the header list" sh -c \
	'"$NHIR" usage '"$P"' | grep -q "vault/1.15.2 (+https://www.vaultproject.io/; go1.21.3)"'
check "usage keeps revoked tokens in the lineage" sh -c \
	'"$NHIR" usage --format json '"$P"' | python3 -c "
import json, sys
keys = [k[\"key\"] for k in json.load(sys.stdin)[\"keys\"]]
assert \"'"$G"'\" in keys and \"vault:lease:database/creds/readonly/AbC123pQr\" in keys, keys
"'

done_testing
