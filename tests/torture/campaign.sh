#!/bin/sh
# The kill -9 and concurrency campaign: ingest, import and execute
# killed at random points, and writers run at once.  Prints kills
# survived, writes lost, duplicate executions and audit gaps; exits 1
# unless the last three are zero and every kill was survived.
# usage: campaign.sh ROUNDS   (NHIR: the binary; run from the top)
set -u
ROUNDS=${1:-3}
: "${NHIR:=build/nhir}"
case $NHIR in /*) ;; *) NHIR=$PWD/$NHIR ;; esac
T=$(mktemp -d "${TMPDIR:-/tmp}/nhir-torture-XXXXXX")
trap 'rm -rf "$T"' EXIT
export NO_COLOR=1 NHIR_USER=tester
unset NHIR_NOW
kills=0 survived=0 lost=0 dups=0 gaps=0

q() { sqlite3 "$1" "$2"; }

# wait_for DB SQL: until SQL answers non-zero, at most 20 s
wait_for() {
	i=0
	while [ "$(q "$1" "$2" 2>/dev/null || echo 0)" = 0 ] && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# survived DB: the database opens and its chain verifies
check_db() {
	if "$NHIR" --db "$1" audit verify >/dev/null 2>&1; then
		survived=$((survived + 1))
	else
		echo "kill $kills: the audit log of $1 does not verify" >&2
	fi
}

# ---- ingest: one small path committed, then killed in a large one
mkdir -p "$T/a" "$T/b"
python3 tests/cli/gen_trail.py "$T/a/small.jsonl" 50 0
python3 tests/cli/gen_trail.py "$T/b/large.jsonl" 30000 100000
"$NHIR" --db "$T/ingest0.db" init >/dev/null
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	db=$T/ingest.db
	rm -f "$db" "$db-wal" "$db-shm"
	cp "$T/ingest0.db" "$db"
	"$NHIR" --db "$db" ingest cloudtrail "$T/a" "$T/b" >/dev/null 2>&1 &
	pid=$!
	wait_for "$db" "SELECT count(*) FROM source_file"
	sleep "0.0$((r % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	kills=$((kills + 1))
	check_db "$db"
	ev=$(q "$db" "SELECT count(*) FROM event")
	au=$(q "$db" "SELECT coalesce(sum(json_extract(detail, '\$.events')), 0) FROM audit WHERE action = 'ingest'")
	fi=$(q "$db" "SELECT count(*) FROM source_file")
	af=$(q "$db" "SELECT coalesce(sum(json_extract(detail, '\$.files')), 0) FROM audit WHERE action = 'ingest'")
	if [ "$ev" != "$au" ] || [ "$fi" != "$af" ]; then
		gaps=$((gaps + 1))
		echo "ingest kill $r: $ev events and $fi files stored, $au and $af on the audit log" >&2
	fi
done

# ---- import: several files, killed at a random point
python3 -c '
import json, sys
for i in range(12):
    with open("%s/inv%02d.jsonl" % (sys.argv[1], i), "w") as f:
        for n in range(3000):
            f.write(json.dumps({"type": "node", "kind": "identity",
                                "id": "arn:aws:iam::111122223333:user/u%d-%d" % (i, n),
                                "name": "u%d-%d" % (i, n), "subtype": "aws-iam-user",
                                "provider": "aws"}) + "\n")' "$T"
"$NHIR" --db "$T/import0.db" init >/dev/null
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	db=$T/import.db
	rm -f "$db" "$db-wal" "$db-shm"
	cp "$T/import0.db" "$db"
	"$NHIR" --db "$db" import nhir "$T"/inv*.jsonl >/dev/null 2>&1 &
	pid=$!
	wait_for "$db" "SELECT count(*) FROM node"
	sleep "0.$((r % 4))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	kills=$((kills + 1))
	check_db "$db"
	nodes=$(q "$db" "SELECT count(*) FROM node")
	au=$(q "$db" "SELECT coalesce(sum(json_extract(detail, '\$.added')), 0) FROM audit WHERE action = 'import'")
	if [ "$nodes" != "$au" ]; then
		gaps=$((gaps + 1))
		echo "import kill $r: $nodes nodes stored, $au on the audit log" >&2
	fi
done

# ---- execute: two runs of --next at once, one killed
export NHIR_CATALOG="$PWD/catalog/actions.yaml"
cat >"$T/conn.yaml" <<YAML
version: 1
connectors:
  - name: slow
    type: exec
    command: [/bin/sh, -c, "cat >/dev/null; echo call >>$T/calls; sleep 0.3; echo '{\"status\":\"done\"}'"]
    timeout: 10
    actions: ["*"]
YAML
export NHIR_CONNECTORS="$T/conn.yaml"
db=$T/exec.db
"$NHIR" --db "$db" init >/dev/null
"$NHIR" --db "$db" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --db "$db" user add lena --role lead >/dev/null
"$NHIR" --db "$db" user add rory --role responder >/dev/null
"$NHIR" --db "$db" --as rory incident declare --title leak --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --db "$db" --as lena plan INC-1 >/dev/null
: >"$T/calls"
r=0
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	"$NHIR" --db "$db" --as rory execute INC-1 --next --confirm >/dev/null 2>&1 &
	a=$!
	"$NHIR" --db "$db" --as rory execute INC-1 --next --confirm >/dev/null 2>&1 &
	b=$!
	if [ $((r % 2)) = 0 ]; then
		sleep 0.1
		kill -9 $b 2>/dev/null
		kills=$((kills + 1))
		wait $a $b 2>/dev/null
		check_db "$db"
	else
		wait $a $b 2>/dev/null
	fi
done
starts=$(q "$db" "SELECT count(*) FROM audit WHERE action = 'execute.start'")
distinct=$(q "$db" "SELECT count(DISTINCT json_extract(detail, '\$.step')) FROM audit WHERE action = 'execute.start'")
calls=$(wc -l <"$T/calls")
dups=$((starts - distinct))
if [ "$calls" -gt "$distinct" ]; then
	dups=$((dups + calls - distinct))
fi

# ---- concurrent writers: every note stored once, on the log
db=$T/load.db
cp "$T/exec.db" "$db"
rm -f "$T/failed"
n=0
while [ $n -lt $((ROUNDS * 10)) ]; do
	n=$((n + 1))
	{ "$NHIR" --db "$db" --as rory note INC-1 "load $n" >/dev/null 2>&1 ||
		echo "$n" >>"$T/failed"; } &
done
wait
stored=$(q "$db" "SELECT count(*) FROM note WHERE body LIKE 'load %'")
logged=$(q "$db" "SELECT count(*) FROM audit WHERE action = 'note' AND detail LIKE '%load %'")
lost=$((n - stored))
[ "$stored" = "$logged" ] || gaps=$((gaps + 1))
"$NHIR" --db "$db" audit verify >/dev/null 2>&1 || gaps=$((gaps + 1))

echo "kills: $kills, survived: $survived; writes lost: $lost of $n;" \
	"duplicate executions: $dups; audit gaps: $gaps"
[ "$survived" = "$kills" ] && [ "$lost" = 0 ] && [ "$dups" = 0 ] && [ "$gaps" = 0 ]
