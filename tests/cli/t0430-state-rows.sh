#!/bin/sh
# The state tables in the chain: an approval, a decision, a role or a
# scope row written outside nhir fails audit verify.
. tests/cli/lib.sh

export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init >/dev/null
for u in "lena lead" "rory responder" "alex approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena decide INC-1 "deactivate" --why "stop the use" >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null
"$NHIR" --as alex approve INC-1 2 --why "reviewed" >/dev/null
"$NHIR" user set rory --role responder >/dev/null

check "the record verifies" "$NHIR" audit verify
check "entries carry the digests of the rows they wrote" sh -c \
	'"$NHIR" audit log --format json | grep -q "\"rows\":\[\[\"approval\",\"1\",\"\",\"[0-9a-f]\{64\}\"\]\]"'
db_save good
attack() {
	db_restore good || return 1
	db_sql "$1" >/dev/null || return 1
	"$NHIR" audit verify >"$T/v.out" 2>&1
	test $? = 3 || { cat "$T/v.out"; return 1; }
	grep -qF "$2" "$T/v.out" || { cat "$T/v.out"; return 1; }
}
check "a forged approval is caught" attack \
	"INSERT INTO approval(step, actor, verdict, why, at, expires) SELECT step, 'lena', 'approve', 'x', at, expires FROM approval" \
	"approval 2 is not on the audit log"
check "an edited decision is caught" attack \
	"UPDATE decision SET why = 'because'" \
	"decision 1 was changed outside nhir"
check "a role made admin is caught" attack \
	"UPDATE nhir_user SET role = 'admin' WHERE name = 'rory'" \
	"user rory was changed outside nhir"
check "a user added by hand is caught" attack \
	"INSERT INTO nhir_user VALUES('eve', 'admin', 1, 0, 'tester')" \
	"user eve is not on the audit log"
check "a scope row dismissed by hand is caught" attack \
	"UPDATE scope SET status = 'dismissed'" \
	"scope row 1:"
check "a deleted approval is caught" attack \
	"DELETE FROM approval" \
	"approval 1, written by entry"
check "a rejection turned into an approval is caught" attack \
	"UPDATE approval SET verdict = 'reject'" \
	"approval 1 was changed outside nhir"
db_restore good
check "changes made through nhir still verify" sh -c \
	'"$NHIR" user set rory --deactivate >/dev/null && "$NHIR" --as lena decide INC-1 more --why more >/dev/null && "$NHIR" audit verify'
done_testing
