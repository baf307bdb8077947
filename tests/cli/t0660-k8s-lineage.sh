#!/bin/sh
# Kubernetes lineage as the API server records it
# (tests/data/k8s-lineage/audit.log, audit.k8s.io/v1 events).
#
# A legacy token of ci/deployer (its Secret deployer-token-x7k2p, named
# by the audit annotations) creates a service-account-token Secret for
# payments/api and a TokenRequest bound to Pod api-...-x2x4q, whose id
# (issued-credential-id) is later used.  A kubelet, by its client
# certificate, requests a token bound to Pod api-...-k9p7m.  Then the
# first Pod is deleted (10:30), a deletion of the second is refused
# (10:32), the Secret is deleted (10:40), the service account (10:50).
. tests/cli/lib.sh
export NHIR

F=$ROOT/tests/data/k8s-lineage
L=k8s:cluster:secret:ci/deployer-token-x7k2p
B=k8s:cluster:secret:payments/api-backdoor-token
J1=JTI=9d0b7c3e-5a61-4f2e-8c1d-aaaaaaaaaaaa
J2=JTI=2e6f1a9b-7c3d-4e8f-9a0b-bbbbbbbbbbbb
X=X509SHA256=4b3e2f0c9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f

"$NHIR" init >/dev/null
check "ingest" "$NHIR" ingest k8s-audit "$F"

in_section() {
	sed -n "/^$1/,/^\$/p" "$T/b.txt" | grep -q "^  $2 .*$3"
}

"$NHIR" blast "$L" --at 2024-08-05T10:20:00Z >"$T/b.txt"
check "a legacy token is keyed on its Secret" has "$T/b.txt" \
	"$L (token, k8s-legacy-sa-token)"
check "a token Secret it created is persistence" \
	in_section "Persistence" "$B" "survives"
check "reaching what its service account is bound to" has "$T/b.txt" \
	"path: $L -created-> $B -authenticates-> k8s:cluster:serviceaccount:payments/api"
check "the minted token is joined by its issued credential id" \
	in_section "Live derived" "$J1" "until 2024-08-05T11:02:00Z"
check "its later use is the same token" sh -c \
	'"$NHIR" usage '"$J1"' | grep -q "k8s:list secrets"'

"$NHIR" blast "$L" --at 2024-08-05T10:35:00Z >"$T/b.txt"
check "a bound token ends when its Pod is deleted" \
	in_section "Expired or ended" "$J1" \
	"ended 2024-08-05T10:30:00Z: deleted by k8s:delete pods"
check "the token Secret is still live" in_section "Persistence" "$B" ""

"$NHIR" blast "$L" --at 2024-08-05T10:45:00Z >"$T/b.txt"
check "deleting the Secret ends its token" in_section "Expired or ended" "$B" \
	"ended 2024-08-05T10:40:00Z: deleted by k8s:delete secrets"
check "the legacy token itself is not ended" sh -c \
	'! grep -q "^  '"$L"' .*ended" "$0/b.txt"' "$T"

"$NHIR" blast "$X" --at 2024-08-05T10:35:00Z >"$T/b.txt"
check "a kubelet's certificate is a node of the graph" has "$T/b.txt" \
	"$X (credential, k8s-x509-cert)"
check "authenticating the node" has "$T/b.txt" \
	"-authenticates-> k8s:cluster:node:ip-10-0-1-23.ec2.internal"
check "its token keeps its expiry; a refused Pod deletion ends nothing" \
	in_section "Live derived" "$J2" "until 2024-08-05T11:04:07Z"
check "and its bound object" sh -c \
	'"$NHIR" show '"$J2"' | grep -q "\"bound_object\":\"Pod payments/api-7d9f8b6c5-k9p7m\""'
"$NHIR" blast "$X" --at 2024-08-05T10:55:00Z >"$T/b.txt"
check "deleting the service account ends its tokens" \
	in_section "Expired or ended" "$J2" \
	"ended 2024-08-05T10:50:00Z: deleted by k8s:delete serviceaccounts"
check "and the account" sh -c \
	'"$NHIR" show k8s:cluster:serviceaccount:payments/api | grep -q "deleted 2024-08-05T10:50:00Z"'

done_testing
