#!/bin/sh
# Kubernetes audit as AKS and GKE deliver it: AKS diagnostic logs hold
# each event as a string in records[].properties.log; GKE writes Cloud
# Audit Logs entries (protoPayload).  A service account's node id finds
# the events it signed.
. tests/cli/lib.sh

G=$ROOT/tests/data/k8s-gke/audit.jsonl
SA=k8s:cluster:serviceaccount:default/builder
"$NHIR" init >/dev/null
check "GKE: the Kubernetes entries are read, another service's is skipped" \
	exits 4 "$NHIR" ingest k8s-audit "$G"
check "four events" has "$T/last.out" "4 events (0 stored before), 1 records skipped"
check "the skipped entry is named" has "$T/last.err" \
	"record skipped: a GKE audit entry needs protoPayload serviceName \"k8s.io\""
"$NHIR" timeline system:serviceaccount:default:builder >"$T/g.txt"
check "verb and resource from methodName and resourceName" has "$T/g.txt" \
	"2024-06-03T08:00:00Z  $SA k8s:get secrets"
check "namespace/name as the target, callerIp as the address" sh -c \
	'grep "k8s:get secrets" "$0/g.txt" | grep -q "success    203.0.113.7     default/db-creds"' "$T"
check "a denied call (PERMISSION_DENIED) fails with 403" sh -c \
	'grep "k8s:list secrets" "$0/g.txt" | grep -q "http-403 .* kube-system "' "$T"
check "a cluster-scoped resource of another group" has "$T/g.txt" \
	"k8s:create clusterrolebindings"
check "a namespace is the resource, not a namespace prefix" sh -c \
	'grep "k8s:delete namespaces" "$0/g.txt" | grep -q " staging "' "$T"
check "usage by the service account's node id finds its events" sh -c \
	'"$NHIR" usage '"$SA"' >"$0/u.txt" && grep -q "4 events, 1 failed" "$0/u.txt" &&
	 grep -q "1 credential acts as it" "$0/u.txt"' "$T"
check "the user agent is the caller's" sh -c \
	'"$NHIR" usage '"$SA"' | grep -q "kubectl/v1.29.2"'

# AKS: the real falco traces, wrapped as AKS diagnostic logs deliver
# them, read as the same events as the raw ones
D=${NHIR_DATA:-../shared/data}/falco-k8s-audit-traces
if [ -d "$D" ]; then
	python3 - "$D" "$T" <<'PY'
import json, os, sys
d, t = sys.argv[1], sys.argv[2]
os.makedirs(t + "/raw")
recs = []
for f in sorted(os.listdir(d)):
    if not f.endswith(".json") or f.startswith("fal_"):
        continue
    for line in open(os.path.join(d, f)):
        line = line.strip()
        if not line:
            continue
        open(t + "/raw/" + f, "a").write(line + "\n")
        recs.append({"operationName": "Microsoft.ContainerService/managedClusters/diagnosticLogs/Read",
                     "category": "kube-audit", "ccpNamespace": "6508d7ee1e4d2a0001f5e6c1",
                     "resourceId": "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/AKS1",
                     "properties": {"log": line, "stream": "stdout", "pod": "kube-apiserver-7f9c8d6b5-x2x4q"},
                     "time": "2024-06-03T08:00:00.0000000Z"})
json.dump({"records": recs}, open(t + "/aks.json", "w"))
with open(t + "/aks.jsonl", "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
PY
	for shape in raw aks.json aks.jsonl; do
		"$NHIR" --db "$T/$shape.db" init >/dev/null
		"$NHIR" --db "$T/$shape.db" ingest k8s-audit "$T/$shape" \
			>"$T/$shape.out" 2>&1
		sqlite3 "$T/$shape.db" "SELECT count(*) FROM event" >"$T/$shape.n"
		"$NHIR" --db "$T/$shape.db" usage \
			system:serviceaccount:kube-system:replicaset-controller \
			| grep -v "^  *first" >"$T/$shape.u"
	done
	check "AKS {\"records\": [...]}: as many events as the raw log" \
		cmp "$T/raw.n" "$T/aks.json.n"
	check "AKS one record per line: the same" cmp "$T/raw.n" "$T/aks.jsonl.n"
	check "events were read" test "$(cat "$T/raw.n")" -gt 40
	check "the same usage" cmp "$T/raw.u" "$T/aks.json.u"
	head -n 1 "$T/aks.jsonl" >"$T/bad.jsonl"
	echo '{"category": "kube-audit", "properties": {"log": "I0603 08:00:00 handler.go:153] GET /healthz"}}' >>"$T/bad.jsonl"
	"$NHIR" --db "$T/bad.db" init >/dev/null
	check "a record whose log is not JSON is skipped" exits 4 \
		"$NHIR" --db "$T/bad.db" ingest k8s-audit "$T/bad.jsonl"
	check "saying what was wrong" has "$T/last.err" \
		"record skipped: properties.log is not a JSON object"
else
	n=$((n + 1))
	echo "ok $n # SKIP $D absent"
fi
done_testing
