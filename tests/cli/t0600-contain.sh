#!/bin/sh
# Containment end to end against a fake provider: plan, four-eyes
# approval, execution with failures injected, probes, residual access.
. tests/cli/lib.sh

export NHIR_NOW=2024-05-01T10:35:00Z
export FAKE_STATE="$T/provider.json"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export NHIR_CATALOG="$ROOT/catalog/actions.yaml"
"$NHIR" init --fixed-clock >/dev/null
for u in "lena lead" "rory responder" "alex approver" "ben approver" "otto observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
done
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null

# step number of ACTION on TARGET ("-" for none)
step() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == sys.argv[1] and (s["target"] or "-") == sys.argv[2]:
        print(s["step"])' "$1" "$2"
}
status() {
	"$NHIR" plan --format json INC-1 | python3 -c '
import json, sys
print([s["status"] for s in json.load(sys.stdin)["steps"] if s["step"] == int(sys.argv[1])][0])' "$1"
}

check "residual access before: not contained" exits 3 "$NHIR" contain status INC-1
check "the key itself is residual" has "$T/last.out" "credential  AKIAEXAMPLEDEPLOY01"
check "an observer may not plan" exits 5 "$NHIR" --as otto plan INC-1
check "the plan, proposed by the lead" sh -c '"$NHIR" --as lena plan INC-1 >"$0/plan.txt"' "$T"
PRES=$(step generic.preserve-evidence -)
ROT=$(step generic.rotate-secret github:acme/payments-api:secret:AWS_ACCESS_KEY_ID)
RED=$(step generic.redeploy-workload github:acme/payments-api:deploy)
DEACT=$(step aws.deactivate-access-key AKIAEXAMPLEDEPLOY01)
VER=$(step generic.verify-revoked AKIAEXAMPLEDEPLOY01)
DEL=$(step aws.delete-access-key AKIAEXAMPLEDEPLOY01)
CUT=$(step aws.deny-sessions-issued-before arn:aws:iam::111122223333:role/deploy)
DETACH=$(step aws.detach-policies arn:aws:iam::111122223333:user/backup-admin)
check "evidence is preserved first" test "$PRES" = 1
check "owners are told" has "$T/plan.txt" "generic.notify-owner             team-payments"
check "rotate before redeploy before the key dies" test "$ROT" -lt "$RED" -a "$RED" -lt "$DEACT"
check "reversible, verified, then irreversible" test "$DEACT" -lt "$VER" -a "$VER" -lt "$DEL"
check "the delete destroys evidence and needs two approvals" sh -c \
	'"$NHIR" plan --format json INC-1 | python3 -c "import json,sys; s=[x for x in json.load(sys.stdin)[\"steps\"] if x[\"step\"]==$0][0]; assert s[\"destroys_evidence\"] and not s[\"reversible\"] and s[\"approvals_needed\"]==2, s"' "$DEL"
check "sessions that survive the key are cut where they act" test -n "$CUT"
check "the cut says what it breaks" has "$T/plan.txt" "every session of the identity issued before the cut, legitimate ones too"
check "the user the attacker created loses its policies" test -n "$DETACH"
check "the deactivation says who breaks" has "$T/plan.txt" "breaks: payments-api deploy job, unless redeployed first"

# approvals
check "the proposer may not approve (four eyes)" exits 5 "$NHIR" --as lena approve INC-1 $ROT --why ok
check "and is told why" has "$T/last.err" "lena proposed the plan and may not approve its steps"
check "a responder may not approve" exits 5 "$NHIR" --as rory approve INC-1 $PRES --why ok
check "an approval needs a reason" exits 2 "$NHIR" --as alex approve INC-1 $ROT
check "an unapproved step does not run" exits 1 "$NHIR" --as rory execute INC-1 $ROT --confirm
check "it waits for what comes first" has "$T/last.err" "waits for step 1"
check "alex approves" "$NHIR" --as alex approve INC-1 $ROT $DEACT $DEL $CUT $DETACH --why "reviewed with the platform team"

# execution, with failures injected
check "a dry run by default" sh -c '"$NHIR" --as rory execute INC-1 1 | grep -q "dry-run: would send to simulated"'
check "and nothing ran" test "$(status 1)" = planned
check "a connector exiting non-zero fails the step" exits 1 env FAKE_MODE=exit "$NHIR" --as rory execute INC-1 1 --confirm
check "and says so" has "$T/last.out" "failed: 'simulated' failed (exit status 3)"
check "the failure blocks what comes after" exits 1 "$NHIR" --as rory execute INC-1 $ROT --confirm
check "naming the failed step" has "$T/last.err" "waits for step 1 (failed)"
check "garbage from the connector fails the step" exits 1 env FAKE_MODE=garbage "$NHIR" --as rory execute INC-1 1 --confirm
check "and says what was wrong" has "$T/last.out" "not {\"status\": ...}"
sed 's/timeout: 15$/timeout: 2/' "$NHIR_CONNECTORS" >"$T/quick.yaml"
check "a connector that hangs is stopped at its timeout" exits 1 env FAKE_MODE=timeout NHIR_CONNECTORS="$T/quick.yaml" "$NHIR" --as rory execute INC-1 1 --confirm
check "and says so" has "$T/last.out" "timed out after 2 s"
check "a provider refusal fails the step" exits 1 env FAKE_MODE=fail "$NHIR" --as rory execute INC-1 1 --confirm
check "the step runs" "$NHIR" --as rory execute INC-1 1 --confirm
check "its output is evidence" has "$T/last.out" "connector output kept as evidence"
check "running it again does nothing" sh -c '"$NHIR" --as rory execute INC-1 1 --confirm | grep -q "already done: nothing to do"'
check "the connector was called once for real" sh -c \
	'test "$(python3 -c "import json,sys; print(sum(1 for c in json.load(open(sys.argv[1]))[\"calls\"] if c[\"action\"]==\"generic.preserve-evidence\"))" "$0")" = 1' "$FAKE_STATE"
for s in 2 3 $ROT $RED; do "$NHIR" --as rory execute INC-1 $s --confirm >/dev/null; done
check "rotated and redeployed" test "$(status $RED)" = done

# only the key: its session survives until it expires
check "deactivate the key" "$NHIR" --as rory execute INC-1 $DEACT --confirm
check "a probe that proves nothing is refused as proof" exits 3 env FAKE_PROBE=callerid "$NHIR" --as rory verify INC-1
check "and counted so" has "$T/last.out" "1 refused as proof"
check "a probe that still works is reported" exits 3 env FAKE_PROBE=still "$NHIR" --as rory verify INC-1
check "the revocation stays confirmed, not verified" has "$T/last.out" "confirmed  AKIAEXAMPLEDEPLOY01"
check "a session minted from it survives until it expires" sh -c \
	'"$NHIR" contain status INC-1 | grep -A1 "ASIAEXAMPLESESSION2" | grep -q "until 2024-05-01T22:30:00Z"'
check "the key itself is no longer residual" sh -c '! "$NHIR" contain status INC-1 | grep -q "credential  AKIAEXAMPLEDEPLOY01"'
check "a verification step refuses GetCallerIdentity" exits 1 env FAKE_PROBE=callerid "$NHIR" --as rory execute INC-1 $VER --confirm
check "as proof" has "$T/last.out" "sts:GetCallerIdentity succeeds whatever the permissions: refused as proof"
check "a probe still succeeding fails the verification" exits 1 env FAKE_PROBE=still "$NHIR" --as rory execute INC-1 $VER --confirm
check "and says so" has "$T/last.out" "still succeeds with AKIAEXAMPLEDEPLOY01"
check "verified" "$NHIR" --as rory execute INC-1 $VER --confirm
check "one approval is not enough for the delete" exits 1 "$NHIR" --as rory execute INC-1 $DEL --confirm
check "it needs two" has "$T/last.err" "needs 2 approvals (has 1)"
check "the same approver twice counts once" sh -c \
	'"$NHIR" --as alex approve INC-1 '$DEL' --why again >/dev/null; "$NHIR" --as rory execute INC-1 '$DEL' --confirm; test $? = 1'
check "approvals expire" sh -c \
	'"$NHIR" --as ben approve INC-1 '$DEL' --why second --ttl 60 >/dev/null &&
	 NHIR_NOW=2024-05-01T10:40:00Z "$NHIR" --as rory execute INC-1 '$DEL' --confirm; test $? = 1'
check "the expiry can be set for everyone" sh -c \
	'NHIR_APPROVAL_TTL=30 "$NHIR" --as ben approve INC-1 '$DEL' --why short >/dev/null &&
	 NHIR_NOW=2024-05-01T10:36:00Z "$NHIR" --as rory execute INC-1 '$DEL' --confirm; test $? = 1'
check "a rejection blocks the step" sh -c \
	'"$NHIR" --as ben reject INC-1 '$DEL' --why "keep it for forensics" >/dev/null; "$NHIR" --as rory execute INC-1 '$DEL' --confirm 2>&1 | grep -q "was rejected"'
check "its author withdrawing it lifts it" sh -c \
	'"$NHIR" --as ben reject --withdraw INC-1 '$DEL' --why "forensics copied" >/dev/null &&
	 "$NHIR" --as ben approve INC-1 '$DEL' --why "forensics copied" >/dev/null && "$NHIR" --as rory execute INC-1 '$DEL' --confirm'

# the rest: every step approved twice and run in order
for s in $("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys; print(" ".join(str(s["step"]) for s in json.load(sys.stdin)["steps"] if s["approvals_needed"] > s["approvals"]))'); do
	"$NHIR" --as alex approve INC-1 $s --why ok >/dev/null
	"$NHIR" --as ben approve INC-1 $s --why ok >/dev/null
done
i=0
while [ $i -lt 30 ] && "$NHIR" --as rory execute INC-1 --next --confirm >/dev/null 2>&1; do i=$((i + 1)); done
check "every step is done" sh -c \
	'"$NHIR" plan --format json INC-1 | python3 -c "import json,sys; s=[x for x in json.load(sys.stdin)[\"steps\"] if x[\"status\"] != \"done\"]; assert not s, s"'
check "contained now" "$NHIR" contain status INC-1
check "but not an hour ago" exits 3 "$NHIR" contain status INC-1 --at 2024-05-01T09:35:00Z
check "every revocation verified" sh -c '"$NHIR" --as rory verify INC-1 | grep -q "verified   AKIAEXAMPLEBACKDOOR"'
check "verify as json" sh -c '"$NHIR" --as rory verify --format json INC-1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert all(r[\"state\"]==\"verified\" for r in d[\"revocations\"]) and d[\"revocations\"], d"'
check "execute as json" sh -c '"$NHIR" --as rory execute --format json INC-1 1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"status\"]==\"done\" and d[\"step\"]==1, d"'
# the containment documents (doc/formats/documents.md): "version" first,
# one JSON object on one line
for cmd in "plan INC-1" "verify INC-1" "execute INC-1 1" "contain status INC-1"; do
	check "$cmd: a versioned document" sh -c \
		'"$NHIR" --as rory $0 --format json >"$1/doc.json"; [ $? -le 3 ] && python3 -c "import json,sys; raw=open(sys.argv[1]).read(); d=json.loads(raw); assert list(d)[0]==\"version\" and d[\"version\"]==1 and raw.count(chr(10))==1, raw[:80]" "$1/doc.json"' \
		"$cmd" "$T"
done
check "the record is intact" sh -c '"$NHIR" audit verify | grep -q intact'
check "executions are on it" sh -c '"$NHIR" audit log --incident INC-1 | grep -c "execute " | grep -qv "^0$"'

# the http connector: a webhook with a secret header
HOOK_TOKEN=s3cret-hook-token python3 examples/connectors/simulated-webhook.py "$T/port" \
	>/dev/null 2>&1 &
hook=$!
trap 'kill $hook 2>/dev/null; rm -rf "$T"' EXIT
i=0
while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
cat >"$T/http.yaml" <<EOC
version: 1
connectors:
  - name: hook
    type: http
    url: http://127.0.0.1:$(cat "$T/port")/act
    headers: {Authorization: "Bearer \${env:HOOK_TOKEN}"}
    timeout: 5
    actions: ["*"]
EOC

# edits on a second incident
"$NHIR" --as rory incident declare --title "backdoor key" --severity high --lead lena \
	--seed AKIAEXAMPLEBACKDOOR >/dev/null
"$NHIR" --as rory plan INC-2 >/dev/null
sd() {
	"$NHIR" plan --format json INC-2 | python3 -c '
import json, sys
for s in json.load(sys.stdin)["steps"]:
    if s["action"] == sys.argv[1]:
        print(s["step"]); break' "$1"
}
D2=$(sd aws.delete-access-key)
V2=$(sd generic.verify-revoked)
check "only the lead edits" exits 5 "$NHIR" --as rory plan edit INC-2 move $D2 --before $V2
check "a move that breaks a constraint is refused" exits 1 "$NHIR" --as lena plan edit INC-2 move $D2 --before $V2
check "with the constraint" has "$T/last.err" "irreversible only after the reversible step is verified"
check "skipping a verification is refused" exits 1 "$NHIR" --as lena plan edit INC-2 skip $V2 --why "no probe"
check "unless the lead accepts the risk" "$NHIR" --as lena plan edit INC-2 skip $V2 --why "no probe for this key" --accept-risk "the key is also deleted"
check "which is a decision on record" sh -c '"$NHIR" incident show INC-2 | grep -q "skip step '$V2'"'
check "add a step" sh -c '"$NHIR" --as lena plan edit INC-2 add generic.notify-owner team-platform | grep -q "added"'
check "an unknown action" exits 1 "$NHIR" --as lena plan edit INC-2 add aws.nuke-account
check "an unknown incident" exits 1 "$NHIR" --as lena plan INC-9
check "no connectors configured" exits 1 env NHIR_CONNECTORS= "$NHIR" --as rory execute INC-2 1
check "the webhook refuses a missing secret" exits 1 "$NHIR" --as rory execute INC-2 1 --confirm --connectors "$T/http.yaml"
check "and the step says so" has "$T/last.out" 'connector secret $HOOK_TOKEN is not set'
check "a wrong secret fails the step" exits 1 env HOOK_TOKEN=wrong "$NHIR" --as rory execute INC-2 1 --confirm --connectors "$T/http.yaml"
check "as an HTTP error" has "$T/last.out" "answered HTTP 401"
check "the right one works, through http" sh -c \
	'HOOK_TOKEN=s3cret-hook-token "$NHIR" --as rory execute INC-2 1 --confirm --connectors "$0/http.yaml" | grep -q "done: generic.preserve-evidence"' "$T"
db_dump >"$T/dump.sql"
check "the secret is stored nowhere" sh -c \
	'! grep -rq s3cret-hook-token "$0" "$1" "$2"' "$NHIR_DB" "$T/dump.sql" \
	"$(db_evidence)"
# a site catalog names its cuts as it likes: what each cuts decides
sed -e 's/aws.deny-sessions-issued-before/site.fence-old-sessions/' \
	-e 's/aws.detach-policies/site.strip-identity/' \
	"$ROOT/catalog/actions.yaml" >"$T/site.yaml"
"$NHIR" --as rory incident declare --title "same key, site catalog" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena incident scope INC-3 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null
check "a site catalog plans" env NHIR_CATALOG="$T/site.yaml" "$NHIR" --as lena plan INC-3
check "its cuts chosen by what they cut, not by their names" sh -c \
	'"$NHIR" plan --format json INC-3 | python3 -c "
import json, sys
got = {(s[\"action\"], s[\"target\"]) for s in json.load(sys.stdin)[\"steps\"]}
assert (\"site.fence-old-sessions\", \"arn:aws:iam::111122223333:role/deploy\") in got, got
assert (\"site.strip-identity\", \"arn:aws:iam::111122223333:user/backup-admin\") in got, got
"'
db_sql "SELECT DISTINCT action || '=' || cuts FROM plan_step
	WHERE incident = 3 AND phase = 'cut' ORDER BY 1" >"$T/cuts.txt"
check "and the plan keeps what each cuts, for execution" test \
	"$(cat "$T/cuts.txt")" = "site.fence-old-sessions=issued-before
site.strip-identity=everything"
kill $hook 2>/dev/null
done_testing
