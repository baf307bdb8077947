#!/bin/sh
# User names are one person whatever their case: 'alex' cannot be added
# beside 'Alex', '--as alex' acts as Alex on the record, and Alex cannot
# approve a step twice as Alex and alex.  A refused non-user's name is
# kept short on the audit log.
. tests/cli/lib.sh

export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init >/dev/null
for u in "lena lead" "rory responder" "Alex approver" "ben approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
check "alex beside Alex is refused" exits 1 "$NHIR" user add alex --role admin
check "and said so" has "$T/last.err" \
	"user 'Alex' exists (a name is one person whatever its case)"
check "so is ALEX" exits 1 "$NHIR" user add ALEX --role lead
check "one Alex is listed" test \
	"$("$NHIR" user list | grep -ci '^alex ')" = 1
check "Alex keeps the approver role" sh -c \
	'"$NHIR" user list | grep -q "^Alex .*approver"'
check "user set takes any case" "$NHIR" user set ALEX --role approver
check "and changes Alex" sh -c \
	'"$NHIR" audit log | grep "user.set" | grep -q "\"name\":\"Alex\""'

"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null
DEL=$("$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == "aws.delete-access-key":
        print(s["step"]); break')
check "Alex approves the delete" "$NHIR" --as Alex approve INC-1 "$DEL" --why ok
check "alex is the same approver" "$NHIR" --as alex approve INC-1 "$DEL" --why again
check "one approver is on record, not two" test "$(db_sql \
	"SELECT DISTINCT actor FROM approval")" = Alex
check "the audit log names Alex as added" test "$(db_sql \
	"SELECT DISTINCT actor FROM audit WHERE action LIKE 'approv%'")" = Alex
check "and counted once" test "$("$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["step"] == int(sys.argv[1]):
        print(s["approvals"])' "$DEL")" = 1

# a user named in another case is stored as added: the lead, the
# responders, a task's owner, a token's user
"$NHIR" user add Mara --role lead >/dev/null
check "an incident declared with --lead mara" sh -c \
	'"$NHIR" --as rory incident declare --title "second" --severity low \
		--lead mara --seed AKIAEXAMPLEDEPLOY01 | grep -q "INC-2"'
check "has Mara as its lead" sh -c \
	'"$NHIR" incident show --format json INC-2 | grep -q "\"lead\":\"Mara\""'
check "who leads it" "$NHIR" --as Mara plan INC-2
check "as does --as mara" "$NHIR" --as mara plan --rebuild INC-2
reassigned() {
	"$NHIR" incident assign INC-2 --lead MARA --responder RORY >/dev/null &&
	test "$(db_sql "SELECT lead FROM incident WHERE id = 2")" = Mara &&
	test "$(db_sql "SELECT count(*) FROM incident_member WHERE incident = 2 AND name = 'rory'")" = 1 &&
	test "$(db_sql "SELECT count(*) FROM incident_member WHERE name = 'RORY' OR name = 'MARA'")" = 0
}
check "reassigned as MARA, still Mara" reassigned
check "a token for ALEX is Alex's" sh -c \
	'"$NHIR" token create --user ALEX >/dev/null &&
	"$NHIR" token list | grep -q " Alex "'

# a refusal by a non-user with a huge name
big=$(python3 -c 'print("x" * 100000)')
check "a non-user with a 100 KB name is refused" exits 5 "$NHIR" --as "$big" \
	note INC-1 hi
check "and the log keeps 64 bytes at most of the name" test \
	"$(db_sql "SELECT max(length(actor)) FROM audit")" -le 64
done_testing
