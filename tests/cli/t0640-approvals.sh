#!/bin/sh
# Approvals that mean what they say: a rejection stands, an approval is
# bound to the exact step, approvers who may no longer approve do not
# count, and an approval's lifetime is bounded.
. tests/cli/lib.sh

export NHIR_NOW=2024-05-01T10:35:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver" "cleo approver"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null
"$NHIR" --as lena plan INC-1 >/dev/null

# field FIELD ACTION TARGET: a field of the step doing ACTION on TARGET
field() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == sys.argv[2] and (s["target"] or "-") == sys.argv[3]:
        print(s[sys.argv[1]])' "$1" "$2" "$3"
}
KEY=AKIAEXAMPLEDEPLOY01
DEL=$(field step aws.delete-access-key $KEY)
DEACT=$(field step aws.deactivate-access-key $KEY)
ROT=$(field step generic.rotate-secret github:acme/payments-api:secret:AWS_ACCESS_KEY_ID)

# 1. a rejection stands
check "ben rejects the delete" "$NHIR" --as ben reject INC-1 $DEL --why "keep it for forensics"
check "alex and cleo approve it" sh -c '"$NHIR" --as alex approve INC-1 '$DEL' --why ok && "$NHIR" --as cleo approve INC-1 '$DEL' --why ok'
check "another approver's approval does not lift the rejection" test "$(field rejected aws.delete-access-key $KEY)" = True
check "the step does not run" exits 1 "$NHIR" --as rory execute INC-1 $DEL --confirm
check "ben may not approve over his own rejection" exits 1 "$NHIR" --as ben approve INC-1 $DEL --why "changed my mind"
check "he is told to withdraw it" has "$T/last.err" "withdraw the rejection first"
check "nobody else may withdraw it" exits 1 "$NHIR" --as alex reject --withdraw INC-1 $DEL --why "overruled"
check "withdrawing needs a reason" exits 2 "$NHIR" --as ben reject --withdraw INC-1 $DEL
check "ben withdraws it" "$NHIR" --as ben reject --withdraw INC-1 $DEL --why "forensic copy taken"
check "the rejection no longer stands" test "$(field rejected aws.delete-access-key $KEY)" = False
check "the withdrawal is on the record" sh -c '"$NHIR" audit log --incident INC-1 | grep -q "reject.withdraw"'
check "a rejection does not expire" sh -c '"$NHIR" --as ben reject INC-1 '$ROT' --why "wrong store" >/dev/null &&
	test "$(NHIR_NOW=2024-05-09T10:35:00Z "$NHIR" plan --format json INC-1 | python3 -c "import json,sys; print([s[\"rejected\"] for s in json.load(sys.stdin)[\"steps\"] if s[\"step\"] == '$ROT'][0])")" = True'

# 2. an approval is bound to the exact step
check "the delete has two approvals" test "$(field approvals aws.delete-access-key $KEY)" = 2
check "a rebuild with the same catalog keeps them" sh -c '"$NHIR" --as lena plan --rebuild INC-1 >/dev/null &&
	test "$(NHIR_NOW=2024-05-01T10:35:00Z "$NHIR" plan --format json INC-1 | python3 -c "import json,sys; print([s[\"approvals\"] for s in json.load(sys.stdin)[\"steps\"] if s[\"action\"] == \"aws.delete-access-key\"][0])")" = 2'
sed '/id: aws.delete-access-key/,/delay/s/reversible: false/reversible: true/' \
	catalog/actions.yaml >"$T/lenient.yaml"
check "a catalog that calls the delete reversible" has "$T/lenient.yaml" "reversible: true"
check "a rebuild with it" "$NHIR" --as lena plan --rebuild --catalog "$T/lenient.yaml" INC-1
check "the delete now needs one approval" test "$(field approvals_needed aws.delete-access-key $KEY)" = 1
check "but the old approvals are void" test "$(field approvals aws.delete-access-key $KEY)" = 0
check "counted as void" test "$(field void_approvals aws.delete-access-key $KEY)" = 2
check "the plan says why" sh -c '"$NHIR" plan INC-1 >"$0/plan.txt"' "$T"
check "with the reason" has "$T/plan.txt" "void: approval by alex"
check "the catalog entry changed" has "$T/plan.txt" "its catalog entry changed since"
check "the delete does not run" exits 1 "$NHIR" --as rory execute INC-1 $DEL --confirm
check "contain status mentions void approvals" sh -c '"$NHIR" contain status INC-1 | grep -q "void (changed since)"'
"$NHIR" --as lena plan --rebuild INC-1 >/dev/null
DEL=$(field step aws.delete-access-key $KEY)
DEACT=$(field step aws.deactivate-access-key $KEY)
check "approved again on the real catalog" sh -c '"$NHIR" --as alex approve INC-1 '$DEL' '$DEACT' --why ok >/dev/null && "$NHIR" --as cleo approve INC-1 '$DEL' --why ok >/dev/null'
check "two approvals again" test "$(field approvals aws.delete-access-key $KEY)" = 2
check "the lead moves the delete first" "$NHIR" --as lena plan edit INC-1 move $DEL --before $DEACT --accept-risk "testing"
check "reordered approvals are void" test "$(field approvals aws.delete-access-key $KEY)" = 0
check "so are those of the steps it passed" test "$(field approvals aws.deactivate-access-key $KEY)" = 0
check "the plan says it moved" sh -c '"$NHIR" plan INC-1 | grep -q "the step moved from '$DEL' to '$DEACT' since"'
check "approvals as json say why" sh -c '"$NHIR" plan --format json INC-1 | python3 -c "
import json,sys
s=[x for x in json.load(sys.stdin)[\"steps\"] if x[\"action\"]==\"aws.delete-access-key\"][0]
assert any(a[\"state\"]==\"void\" and \"moved\" in a[\"reason\"] for a in s[\"not_counted\"]), s"'

# 4. approvers who may no longer approve
NEW=$(field step aws.delete-access-key $KEY)
check "alex and cleo approve the moved delete" sh -c '"$NHIR" --as alex approve INC-1 '$NEW' --why ok >/dev/null && "$NHIR" --as cleo approve INC-1 '$NEW' --why ok >/dev/null'
check "two approvals" test "$(field approvals aws.delete-access-key $KEY)" = 2
check "cleo is deactivated" "$NHIR" user set cleo --deactivate
check "her approval no longer counts" test "$(field approvals aws.delete-access-key $KEY)" = 1
check "the plan says so" sh -c '"$NHIR" plan INC-1 | grep -q "cleo is deactivated"'
check "alex becomes an observer" "$NHIR" user set alex --role observer
check "his approval no longer counts" test "$(field approvals aws.delete-access-key $KEY)" = 0
check "the plan says so" sh -c '"$NHIR" plan INC-1 | grep -q "alex is now observer and may not approve"'
check "alex is an approver again" "$NHIR" user set alex --role approver
check "his approval counts again" test "$(field approvals aws.delete-access-key $KEY)" = 1

# 5. the TTL is bounded
check "a huge TTL is refused" exits 1 "$NHIR" --as ben approve INC-1 $NEW --why ok --ttl 9223372036854775807
check "with the maximum" has "$T/last.err" "an approval lasts at most 604800 s"
check "an overflowing TTL is not a number of seconds" exits 2 "$NHIR" --as ben approve INC-1 $NEW --why ok --ttl 99999999999999999999
check "nor from the environment" exits 1 env NHIR_APPROVAL_TTL=9223372036854775807 "$NHIR" --as ben approve INC-1 $NEW --why ok
check "a responder may not change the maximum" exits 5 "$NHIR" --as rory config set approval-ttl-max 99999999
check "the admin sets it" "$NHIR" config set approval-ttl-max 3600
check "a longer TTL is refused" exits 1 "$NHIR" --as ben approve INC-1 $NEW --why ok --ttl 7200
check "and said so" has "$T/last.err" "at most 3600 s"
check "the setting is shown" sh -c '"$NHIR" config show | grep -q "approval-ttl-max   3600"'
check "and on the record" sh -c '"$NHIR" audit log | grep -q "config"'
check "a nonsense maximum is refused" exits 1 "$NHIR" config set approval-ttl-max 0
check "an unknown setting is refused" exits 1 "$NHIR" config set color red
check "the default TTL is capped by the maximum" sh -c '"$NHIR" --as ben approve INC-1 '$NEW' --why ok >/dev/null &&
	"$NHIR" audit log --format json | python3 -c "import json,sys; e=[x for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"]==\"approve\"][-1]; d=e[\"detail\"]; d=json.loads(d) if isinstance(d,str) else d; assert d[\"ttl\"]==3600, d"'
# 3. the catalog is the admin's setting; another one is the lead's decision
check "a responder may not configure the catalog" exits 5 "$NHIR" --as rory config set catalog catalog/actions.yaml
check "the admin configures it" "$NHIR" config set catalog catalog/actions.yaml
check "kept by its absolute path" sh -c '"$NHIR" config show | grep -q "catalog  *'"$ROOT"'/catalog/actions.yaml"'
check "a responder may not plan with a catalog of their own" exits 5 "$NHIR" --as rory plan --rebuild --catalog "$T/lenient.yaml" INC-1
check "the refusal is on the record" sh -c '"$NHIR" audit log --incident INC-1 | grep -q "denied.*only the lead"'
check "nor does the environment choose it" sh -c 'NHIR_CATALOG="$0/lenient.yaml" "$NHIR" --as rory plan --rebuild INC-1 >/dev/null &&
	"$NHIR" plan --format json INC-1 | python3 -c "import json,sys; s=[x for x in json.load(sys.stdin)[\"steps\"] if x[\"action\"]==\"aws.delete-access-key\"][0]; assert not s[\"reversible\"], s"' "$T"
check "the lead needs a reason" exits 1 "$NHIR" --as lena plan --rebuild --catalog "$T/lenient.yaml" INC-1
check "the lead may, with one" "$NHIR" --as lena plan --rebuild --catalog "$T/lenient.yaml" --why "vendor catalog for this tenant" INC-1
check "a decision on the record" sh -c '"$NHIR" incident show INC-1 | grep -q "instead of the configured one"'
check "the plan entry names the catalog and its digest" sh -c '"$NHIR" audit log --incident INC-1 --format json | grep -q "catalog_sha256"'

# 7. refusals of names no user can have are bounded
BIG=$(python3 -c 'print("x" * 100000)')
check "a 100 KB name is refused" exits 5 "$NHIR" --as "$BIG" plan INC-1
check "saying how long it is" has "$T/last.err" "a user name of 100000 bytes"
check "the log does not keep it" sh -c 'test "$("$NHIR" audit log --format json | wc -c)" -lt 100000'
check "but records the refusal" sh -c '"$NHIR" audit log | grep -q "xxxxxxxx...(100000 bytes)"'
check "nor may such a user be added" exits 1 "$NHIR" user add "$(python3 -c 'print("y" * 65)')" --role observer

# 8. nothing an exec connector starts outlives it
cat >"$T/spawn.sh" <<EOS
cat >/dev/null
sleep 300 >/dev/null 2>&1 </dev/null &
echo \$! >"$T/spawn.pid"
echo '{"status":"done"}'
EOS
cat >"$T/spawn.yaml" <<EOC
version: 1
connectors:
  - name: spawner
    type: exec
    command: [sh, $T/spawn.sh]
    timeout: 5
    actions: ["*"]
EOC
check "a connector that leaves a process behind runs" "$NHIR" --as rory execute INC-1 1 --confirm --connectors "$T/spawn.yaml"
# gone, or a zombie nobody reaped yet
gone() {
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	case $st in ''|Z*) return 0 ;; esac
	return 1
}
sleep 0.2
check "what it left behind is gone" gone "$(cat "$T/spawn.pid")"
[ -s "$T/spawn.pid" ] && kill "$(cat "$T/spawn.pid")" 2>/dev/null

check "the record is intact" sh -c '"$NHIR" audit verify | grep -q intact'
done_testing
