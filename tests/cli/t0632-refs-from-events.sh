#!/bin/sh
# A reference that only events name (a Kubernetes user has no node) is
# neither "unknown" nor an empty answer, and a mistyped or miscased one
# is answered with the nearest ids events know, not only nodes.
. tests/cli/lib.sh

D=${NHIR_DATA:-../shared/data}/falco-k8s-audit-traces
if [ ! -d "$D" ]; then
	echo "ok 1 # SKIP $D absent"
	echo "1..1"
	exit 0
fi
"$NHIR" init >/dev/null
"$NHIR" ingest k8s-audit "$D" >/dev/null 2>&1
check "minikube-user signed events but is no node" test \
	"$(db_sql "SELECT count(*) FROM node WHERE ext_id = 'minikube-user'")" = 0
check "usage lists it as an identity" sh -c \
	'"$NHIR" usage minikube-user | grep -q "^minikube-user: an identity"'
for c in show blast; do
	check "$c of it fails, saying what is known" exits 1 "$NHIR" $c minikube-user
	check "$c: not called unknown" hasnt "$T/last.err" "unknown credential"
	check "$c: known only from events, pointing at usage" has "$T/last.err" \
		"'minikube-user' is known only from events: nhir has no node for it"
done
for c in usage timeline show blast; do
	check "$c of a mistyped name fails" exits 1 "$NHIR" $c minikube-usr
	check "$c names the nearest id only events know" sh -c \
		'grep -q "unknown credential .minikube-usr." "$0/last.err" &&
		 grep -q "^  minikube-user$" "$0/last.err"' "$T"
	check "$c of a miscased name fails" exits 1 "$NHIR" $c MINIKUBE-USER
	check "$c names it in its case" sh -c \
		'grep -q "^  minikube-user$" "$0/last.err"' "$T"
done
check "a node's name by prefix" exits 1 "$NHIR" usage system:node:minikub
check "names it" has "$T/last.err" "  system:node:minikube"
check "nothing near: said so" exits 1 "$NHIR" blast zzzz-nothing-like-it
check "and how to name one" has "$T/last.err" "no known id is near it"
done_testing
