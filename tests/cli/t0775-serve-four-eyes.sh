#!/bin/sh
# nhir serve: the plan and its approvals over HTTP.  Four eyes means two
# tokens of two approvers; the same person twice, or the plan's
# proposer, never counts twice.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

for u in "lena lead" "rory responder" "alex approver" "ben approver" "olga observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
	eval "$(echo "$1" | tr a-z A-Z)=\$(\"\$NHIR\" token create --user $1 2>/dev/null)"
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
I=/api/v1/incidents/INC-1

# post NAME TOKEN PATH JSON
post() {
	req "$1" -X POST -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}
# step FIELD STEP NAME: a field of a step in the plan document NAME
step() {
	python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if str(s["step"]) == sys.argv[2]:
        print(s[sys.argv[3]])' "$T/$3.body" "$2" "$1"
}

check "the server starts" start_server --catalog catalog/actions.yaml
req none -H "Authorization: Bearer $OLGA" "$URL$I/plan"
check "no plan yet: an empty one" code none 200
check "with no steps" has "$T/none.body" '"steps":[]'
req nosuch -H "Authorization: Bearer $OLGA" "$URL/api/v1/incidents/INC-9/plan"
check "no such incident: 404" code nosuch 404
post build_ro "$OLGA" $I/plan '{}'
check "a read token may not build it" code build_ro 403
post build "$RORY" $I/plan '{}'
check "a responder builds the plan: 201" code build 201
check "from the server's catalog" has "$T/build.body" '"action":"aws.deactivate-access-key"'
# the step that deletes the key needs two approvers
S=$(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if s["action"] == "aws.delete-access-key":
        print(s["step"]); break' "$T/build.body")
check "a step that needs two approvals" test "$(step approvals_needed "$S" build)" -ge 2

post a1 "$ALEX" $I/steps/$S/approve '{"why":"key is burned"}'
check "alex approves it" code a1 200
check "one approval" test "$(step approvals "$S" a1)" = 1
post a2 "$ALEX" $I/steps/$S/approve '{"why":"again"}'
check "alex may approve again" code a2 200
check "but it stays one approval" test "$(step approvals "$S" a2)" = 1
post self "$RORY" $I/steps/$S/approve '{"why":"mine"}'
check "the proposer may not approve: 403" code self 403
check "as problem+json" problem self 403 NHIR_EDENIED
post b1 "$BEN" $I/steps/$S/approve '{"why":"agreed","ttl":3600}'
check "ben's approval: 200" code b1 200
check "two distinct approvers: enough" test "$(step approvals "$S" b1)" -ge "$(step approvals_needed "$S" b1)"

post nowhy "$BEN" $I/steps/$S/approve '{}'
check "an approval needs a why: 400" code nowhy 400
check "naming the field" has "$T/nowhy.body" "field 'why' is missing"
post badttl "$BEN" $I/steps/$S/approve '{"why":"x","ttl":0}'
check "a ttl below a second is 400" code badttl 400
post rejttl "$BEN" $I/steps/$S/reject '{"why":"x","ttl":60}'
check "a rejection with a ttl is 400" code rejttl 400
post nostep "$BEN" $I/steps/999/approve '{"why":"x"}'
check "no such step: 404" code nostep 404
D=$(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if s["action"] == "aws.deactivate-access-key":
        print(s["step"]); break' "$T/build.body")
post rej "$BEN" $I/steps/$D/reject '{"why":"deactivate after the forensic copy"}'
check "ben rejects another step" code rej 200
check "it stands rejected" test "$(step rejected "$D" rej)" = True
post rebuild "$RORY" $I/plan '{}'
check "rebuilding the plan (nothing ran) is allowed" code rebuild 201

check "each verdict is on the record, by its author" sh -c '"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
by = [(e[\"action\"], e[\"actor\"]) for e in json.load(sys.stdin)[\"entries\"]]
assert (\"approve\", \"alex\") in by and (\"approve\", \"ben\") in by, by
assert (\"reject\", \"ben\") in by, by
assert (\"plan\", \"rory\") in by, by
assert (\"denied\", \"rory\") in by, by
"' "$NHIR"
check "the audit chain is intact" "$NHIR" audit verify

check_answers "$T"

done_testing
