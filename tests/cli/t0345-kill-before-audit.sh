#!/bin/sh
# A change and its audit entry are one transaction: nhir killed (-9)
# after the change is made but before its entry is appended leaves
# neither.  gdb stops nhir at nhir_audit_append and kills it there.
. tests/cli/lib.sh

command -v gdb >/dev/null 2>&1 || {
	echo "not ok 1 - gdb is missing (scripts/deps.sh installs it)"
	exit 1
}
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add alex --role approver >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null

# every row (on PostgreSQL less where its id sequences stand: a
# transaction rolled back keeps the ids it took)
dump() { db_dump | grep -v "SELECT pg_catalog.setval("; }

# killed CMD...: nhir stopped at its audit entry and killed; the
# database is then as it was before.
killed() {
	dump >"$T/before"
	gdb -q -batch -nx -ex 'set breakpoint pending on' \
		-ex 'break nhir_audit_append' -ex run -ex kill \
		--args "$NHIR" "$@" >"$T/gdb" 2>&1 </dev/null
	grep -q "Breakpoint 1, nhir_audit_append" "$T/gdb" || {
		echo "never reached nhir_audit_append:" >&2
		tail -20 "$T/gdb" >&2
		return 1
	}
	grep -q "killed" "$T/gdb" || { tail -5 "$T/gdb" >&2; return 1; }
	dump >"$T/after"
	cmp -s "$T/before" "$T/after" || {
		diff "$T/before" "$T/after" | head -20 >&2
		return 1
	}
	"$NHIR" audit verify >/dev/null
}

# made CMD...: run to its end, the same command changes the database.
made() {
	dump >"$T/before"
	"$NHIR" "$@" >/dev/null 2>&1
	dump >"$T/after"
	! cmp -s "$T/before" "$T/after"
}

check "a note killed before its entry leaves neither" \
	killed --as rory note INC-1 "seen from 203.0.113.9"
check "the same note, not killed, is stored" \
	made --as rory note INC-1 "seen from 203.0.113.9"
check "an incident killed before its entry leaves neither" \
	killed --as rory incident declare --title two --severity low --lead lena
check "an approval killed before its entry leaves neither" \
	killed --as alex approve INC-1 1 --why ok
check "the same approval, not killed, is stored" \
	made --as alex approve INC-1 1 --why ok
check "an import killed before its entry leaves neither" \
	killed import nhir examples/scenarios/02-oauth-app-consent/inventory.jsonl
check "the same import, not killed, is stored" \
	made import nhir examples/scenarios/02-oauth-app-consent/inventory.jsonl
check "a hunt killed before its entry leaves neither" \
	killed --as rory hunt cloudtrail AKIAEXAMPLEDEPLOY01 \
	examples/scenarios/01-ci-key-public-repo/telemetry/
check "the same hunt, not killed, is stored" \
	made --as rory hunt cloudtrail AKIAEXAMPLEDEPLOY01 \
	examples/scenarios/01-ci-key-public-repo/telemetry/
check "the hunt is on the record, by its actor, with its keys" sh -c \
	'"$NHIR" audit log --format json | python3 -c "
import json, sys
e = [x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"hunt\"]
assert len(e) == 1 and e[0][\"actor\"] == \"rory\", e
d = e[0][\"detail\"]
assert d[\"keys\"] == [\"AKIAEXAMPLEDEPLOY01\"] and d[\"events\"] > 0, d
"'
check "an ingest killed before its entry leaves neither" \
	killed --as rory ingest cloudtrail \
	examples/scenarios/01-ci-key-public-repo/telemetry/
check "the same ingest, not killed, is stored" \
	made --as rory ingest cloudtrail \
	examples/scenarios/01-ci-key-public-repo/telemetry/
done_testing
