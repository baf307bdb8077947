#!/bin/sh
# Every --format json output is a library document (include/nhir/doc.h):
# an object whose first member is "version": 1 (doc/formats/documents.md).
. tests/cli/lib.sh

"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
export NHIR_NOW=2024-05-01T12:00:00Z

# versioned NAME COMMAND...: COMMAND's stdout is one JSON object that
# begins with "version": 1 and ends with a newline.
versioned() {
	name=$1
	shift
	"$@" >"$T/$name.json" || return 1
	python3 - "$T/$name.json" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b'{"version":1,'), raw[:60]
assert raw.endswith(b"}\n"), raw[-20:]
d = json.loads(raw)
assert list(d)[0] == "version" and d["version"] == 1, d
PY
}

check "a database copied" versioned dbcopy "$NHIR" db copy --from "$NHIR_DB" \
	--to "$T/copy.db" --format json
check "usage of a key" versioned usage "$NHIR" usage --format json AKIAEXAMPLEDEPLOY01
check "usage of an identity" versioned usage-id \
	"$NHIR" usage --format json arn:aws:iam::111122223333:user/ci-deployer
check "the identity's credentials carry no version of their own" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"credentials\"] and all(\"version\" not in c for c in d[\"credentials\"]), d" "$0/usage-id.json"' "$T"

check "blast" versioned blast "$NHIR" blast --format json AKIAEXAMPLEDEPLOY01
check "blast with a limit" versioned blast1 \
	"$NHIR" blast --format json --limit 1 AKIAEXAMPLEDEPLOY01
check "which says what it left out" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"truncated\"] and all(len(v)<=1 for v in d[\"groups\"].values()), d" "$0/blast1.json"' "$T"
check "show" versioned show "$NHIR" show --format json AKIAEXAMPLEDEPLOY01
check "attributes are printed as stored" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert isinstance(d[\"attrs\"], dict) and all(isinstance(e[\"attrs\"], dict) for e in d[\"edges\"]), d" "$0/show.json"' "$T"
check "show of an unknown node writes nothing" exits 1 "$NHIR" show --format json NOSUCHNODE
check "stdout is empty" test ! -s "$T/last.out"
check "timeline" versioned timeline "$NHIR" timeline --format json AKIAEXAMPLEDEPLOY01
check "with the file of each event" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"keys\"] >= 1 and d[\"events\"] and all(e[\"path\"].startswith(\"examples/telemetry/cloudtrail/\") for e in d[\"events\"]), d" "$0/timeline.json"' "$T"

# findings: import, list, show, triage, route explain
export NHIR_POLICY="$ROOT/policy/routing.yaml"
check "findings import" versioned fimport \
	"$NHIR" findings import --format json generic tests/data/findings/generic.jsonl
check "which lists each report" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); r=d[\"reports\"]; assert d[\"format\"]==\"generic\" and len(r)==1 and r[0][\"status\"]==\"ok\" and r[0][\"new_findings\"]==2, d" "$0/fimport.json"' "$T"
check "findings list" versioned flist "$NHIR" findings list --format json
check "findings show" versioned fshow "$NHIR" findings show --format json 1
check "an unknown finding is an error and no document" \
	exits 1 "$NHIR" findings show --format json 99
check "stdout is empty" test ! -s "$T/last.out"
check "triage still exits 3 with dedicated findings open" \
	exits 3 "$NHIR" triage --format json
check "and prints the findings document" sh -c \
	'head -c 30 "$0/last.out" | grep -q "^{\"version\":1,\"findings\""' "$T"
check "route explain" versioned explain "$NHIR" route explain --format json 1

# the record: users, tasks, evidence, the audit chain
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" --as rory incident declare --title t --severity high --lead lena \
	--seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena task INC-1 add rotate --owner lena >/dev/null
echo kept >"$T/ev.txt"
"$NHIR" --as lena evidence add INC-1 "$T/ev.txt" --source test >/dev/null
check "users" versioned users "$NHIR" user list --format json
check "tasks" versioned tasks "$NHIR" task INC-1 --format json
check "a task not yet due says null" sh -c \
	'python3 -c "import json,sys; t=json.load(open(sys.argv[1]))[\"tasks\"][0]; assert t[\"due\"] is None and t[\"done\"] is None, t" "$0/tasks.json"' "$T"
check "evidence" versioned evidence "$NHIR" evidence list INC-1 --format json
check "audit verify" versioned averify "$NHIR" audit verify --format json
check "intact, no checkpoints" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"intact\"] and d[\"checkpoints\"]==[], d" "$0/averify.json"' "$T"
check "incident scope" versioned scope "$NHIR" incident scope --format json INC-1

# loading data: import, ingest, hunt; the settings
check "import" versioned import "$NHIR" import --format json nhir examples/inventory/estate.jsonl
check "ingest" versioned ingest "$NHIR" ingest --format json cloudtrail examples/telemetry/cloudtrail
check "ingest, every problem" versioned ingest-all \
	"$NHIR" ingest --all-problems --format json cloudtrail examples/telemetry/cloudtrail
check "hunt" versioned hunt "$NHIR" hunt --format json cloudtrail \
	AKIAEXAMPLEDEPLOY01 AKIANOTINTHELOGS examples/telemetry/cloudtrail
check "hunt: one document, a key not found said so" sh -c \
	'python3 -c "import json,sys; raw=open(sys.argv[1]).read(); d=json.loads(raw); k=d[\"keys\"]; assert raw.count(chr(10))==1 and \"version\" not in k[0] and k[0][\"keys\"][0][\"key\"]==\"AKIAEXAMPLEDEPLOY01\" and k[1]=={\"key\":\"AKIANOTINTHELOGS\",\"found\":False}, raw[:200]" "$0/hunt.json"' "$T"
check "config" versioned config "$NHIR" config show --format json

done_testing
