#!/bin/sh
# Users, authority, incidents, lifecycle guards, evidence, the audit log
# and its tamper detection.
. tests/cli/lib.sh

# NHIR_USER=tester creates the database and is its admin
"$NHIR" init >/dev/null
check "the creator is the first admin" sh -c \
	'"$NHIR" user list | grep -q "^tester  *admin"'
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
check "add a lead" "$NHIR" user add lena --role lead
check "add a responder" "$NHIR" user add rory --role responder
check "add an observer" "$NHIR" user add otto --role observer
check "add a second lead" "$NHIR" user add lars --role lead
check "an unknown role is a usage error" exits 2 "$NHIR" user add x --role boss
check "a bad user name is refused" exits 1 "$NHIR" user add "a b" --role observer
check "a user cannot be added twice" exits 1 "$NHIR" user add rory --role lead
check "only an admin adds users" exits 5 "$NHIR" --as rory user add eve --role admin
check "the refusal says why" has "$T/last.err" "rory (responder) may not manage users"
check "an unknown actor is refused" exits 5 "$NHIR" --as mallory incident list
check "and told to get an account" has "$T/last.err" "'mallory' is not a user"
check "an observer may not import" exits 5 "$NHIR" --as otto import nhir examples/inventory/estate.jsonl
check "a stranger may not read the graph" exits 5 "$NHIR" --as mallory blast AKIAEXAMPLEDEPLOY01
check "and the refusal is recorded" sh -c \
	'"$NHIR" audit log | grep -q "mallory .*denied .*\"operation\":\"blast\""'
check "an observer may" "$NHIR" --as otto blast AKIAEXAMPLEDEPLOY01
check "users list as json" sh -c \
	'"$NHIR" user list --format json | python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d[\"users\"])==5"'

# declare
check "an observer may not declare" exits 5 "$NHIR" --as otto incident declare \
	--title x --severity high --lead lena
check "the lead must be a lead" exits 1 "$NHIR" --as rory incident declare \
	--title x --severity high --lead otto
check "and says so" has "$T/last.err" "otto is observer, not a lead"
check "the lead must exist" exits 1 "$NHIR" --as rory incident declare \
	--title x --severity high --lead nobody
check "a bad severity is refused" exits 1 "$NHIR" --as rory incident declare \
	--title x --severity urgent --lead lena
check "an unknown seed is refused" exits 1 "$NHIR" --as rory incident declare \
	--title x --severity high --lead lena --seed AKIANOSUCHKEY
check "nothing was declared by the failures" test \
	"$(db_sql "SELECT count(*) FROM incident")" = 0
check "declare" sh -c '"$NHIR" --as rory incident declare --title "Leaked deploy key" \
	--severity high --lead lena --seed AKIAEXAMPLEDEPLOY01 \
	--exposed-at 2024-05-01T09:00:00Z >"$0/d.txt"' "$T"
check "it is INC-1" has "$T/d.txt" "INC-1 declared"
check "the seed is confirmed scope" sh -c \
	'"$NHIR" incident show INC-1 | grep -q "confirmed  credential  seed   AKIAEXAMPLEDEPLOY01"'
check "the blast radius is proposed" sh -c \
	'"$NHIR" incident show INC-1 | grep -q "proposed   resource    blast  arn:aws:s3:::payments-ledger"'
check "list" sh -c '"$NHIR" incident list | grep -q "^INC-1 .*high .*declared .*lena"'
check "show as json" sh -c \
	'"$NHIR" incident show --format json 1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"id\"]==\"INC-1\" and d[\"lead\"]==\"lena\" and not d[\"can_close\"]"'
check "an unknown incident is an error" exits 1 "$NHIR" incident show INC-99
check "and named" has "$T/last.err" "no incident INC-99"
check "a bad reference is a usage error" exits 2 "$NHIR" incident show FOO
check "an option the verb does not take is refused" exits 2 "$NHIR" \
	incident list --title x
check "and named" has "$T/last.err" "incident list does not take --title"
check "so is a missing operand" exits 2 "$NHIR" incident state INC-1
check "said so" has "$T/last.err" "incident state: too few operands"
check "with the verb's usage" has "$T/last.err" "usage: nhir incident state INC STATE"
check "and an extra one" exits 2 "$NHIR" incident show INC-1 INC-2
check "an unknown verb is named" exits 2 "$NHIR" incident close INC-1
check "as unknown" has "$T/last.err" "unknown verb 'close'"
check "VERB --help describes that verb" sh -c \
	'"$NHIR" incident list --help >"$0/h.txt"' "$T"
check "its usage" has "$T/h.txt" "usage: nhir incident list [--state STATE]"
check "only its" hasnt "$T/h.txt" "incident declare"
check "--help before the verb too" sh -c \
	'"$NHIR" incident --help state | grep -q "^usage: nhir incident state INC STATE"'
check "--help alone gives every verb" sh -c \
	'"$NHIR" incident --help | grep -q "nhir incident VERB --help"'
check "scope as json" sh -c \
	'"$NHIR" incident scope --format json INC-1 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"version\"]==1 and any(x[\"node\"]==\"AKIAEXAMPLEDEPLOY01\" and x[\"status\"]==\"confirmed\" for x in d[\"scope\"]), d"'

# lifecycle and its guards
check "only the lead moves the state" exits 5 "$NHIR" --as rory incident state INC-1 investigating
check "states move one step" exits 1 "$NHIR" --as lena incident state INC-1 containing
check "and say where they can go" has "$T/last.err" "can move to investigating"
check "investigating" "$NHIR" --as lena incident state INC-1 investigating --why "triaged"
check "the lead reviews scope: dismiss" "$NHIR" --as lena incident scope INC-1 dismiss \
	arn:aws:s3:::build-artifacts --why "read-only artifacts"
check "a responder may not confirm scope" exits 5 "$NHIR" --as rory incident scope INC-1 confirm arn:aws:s3:::payments-ledger
check "a responder proposes scope" "$NHIR" --as rory incident scope INC-1 add team-payments
check "containing" "$NHIR" --as lena incident state INC-1 containing
check "a decision needs a rationale" exits 2 "$NHIR" --as lena decide INC-1 "deactivate the key"
check "decide" "$NHIR" --as lena decide INC-1 "deactivate the key, keep it for evidence" \
	--why "deleting it destroys the link to its CloudTrail"
check "a responder may not decide" exits 5 "$NHIR" --as rory decide INC-1 x --why y
check "a task" "$NHIR" --as lena task INC-1 add "deactivate AKIAEXAMPLEDEPLOY01" --owner rory --due 2024-05-02T00:00:00Z
check "its owner must exist" exits 1 "$NHIR" --as lena task INC-1 add x --owner nobody
check "notes" "$NHIR" --as rory note INC-1 "key found in the payments-api CI logs"
check "an observer may not add notes" exits 5 "$NHIR" --as otto note INC-1 "x"
check "recovering" "$NHIR" --as lena incident state INC-1 recovering
check "closing needs the criteria" exits 1 "$NHIR" --as lena incident state INC-1 closed
check "and names what is missing" has "$T/last.err" "1 task(s) open"
check "someone else may not finish the task" exits 5 "$NHIR" --as lars task INC-1 done 1
check "its owner finishes it" "$NHIR" --as rory task INC-1 done 1
check "a task is done once" exits 1 "$NHIR" --as rory task INC-1 done 1
check "proposed scope still blocks closing" exits 1 "$NHIR" --as lena incident state INC-1 closed
check "only the lead's risk acceptance counts" exits 5 "$NHIR" --as lars decide INC-1 x --why y --risk-acceptance
check "the lead accepts the risk" "$NHIR" --as lena decide INC-1 \
	"close with the remaining proposals unreviewed" --why "they are reached only through the disabled key" --risk-acceptance
check "assign a responder" "$NHIR" --as lena incident assign INC-1 --responder rory
check "admins may hand over the lead" "$NHIR" incident assign INC-1 --lead lars
check "the old lead is no longer the lead" exits 5 "$NHIR" --as lena incident state INC-1 closed
check "the previous lead's acceptance does not bind the new lead" exits 1 \
	"$NHIR" --as lars incident state INC-1 closed
check "the new lead accepts the risk" "$NHIR" --as lars decide INC-1 \
	"close as is" --why "reviewed the remaining proposals" --risk-acceptance
check "the new lead closes" "$NHIR" --as lars incident state INC-1 closed
check "closed is closed" exits 5 "$NHIR" --as rory note INC-1 "late"

# evidence and custody
printf 'CloudTrail export of 2024-05-01\n' >"$T/ct.txt"
"$NHIR" --as lars incident declare --title "second" --severity low --lead lars >/dev/null
check "evidence needs a source" exits 2 "$NHIR" --as rory evidence add INC-2 "$T/ct.txt"
check "add evidence" sh -c '"$NHIR" --as rory evidence add INC-2 "$0/ct.txt" --source "s3://trail/2024/05/01" >"$0/e.txt"' "$T"
check "its hash is printed" has "$T/e.txt" "$(sha256sum "$T/ct.txt" | cut -c1-64)"
check "missing evidence file" exits 1 "$NHIR" --as rory evidence add INC-2 "$T/nope" --source x
check "export verifies and copies" "$NHIR" --as otto evidence export 1 --to "$T/out.txt"
check "the copy is the same" cmp "$T/ct.txt" "$T/out.txt"
check "custody names the observer's access" sh -c \
	'"$NHIR" incident show INC-2 | grep -q "exported  evidence 1 (ct.txt) by otto"'
chmod u+w "$(db_evidence)"/*
printf 'changed\n' >>"$(db_evidence)/$(sha256sum "$T/ct.txt" | cut -c1-64)"
check "altered evidence is caught" exits 1 "$NHIR" --as otto evidence verify 1
check "and said so" has "$T/last.err" "evidence 1 was altered"

# the audit log
check "every change is in the log" sh -c \
	'test "$("$NHIR" audit log --format json | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"entries\"]))")" -ge 30'
check "refusals are in the log" sh -c \
	'"$NHIR" audit log | grep -q "denied .*may not manage users"'
check "per incident" sh -c \
	'"$NHIR" audit log --incident INC-1 | grep -q "incident.declare"'
check "the chain verifies" sh -c '"$NHIR" audit verify | grep -q "audit log intact"'
db_save good
last=$(db_sql "SELECT max(seq) FROM audit")
tamper() {
	db_restore good || return 1
	db_sql "$1" >/dev/null || return 1
	"$NHIR" audit verify --format json >"$T/v.json"
	test $? = 3 || return 1
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert not d['intact'] and d['first_broken']==int(sys.argv[2]), d" \
		"$T/v.json" "$2"
}
check "an edited actor is caught at its entry" tamper \
	"UPDATE audit SET actor = 'otto' WHERE seq = 7" 7
check "an edited detail is caught" tamper \
	"UPDATE audit SET detail = replace(detail, 'lena', 'lars') WHERE seq = 12" 12
check "a deleted entry is caught" tamper "DELETE FROM audit WHERE seq = 9" 9
check "reordered entries are caught" tamper \
	"UPDATE audit SET seq = -1 WHERE seq = 5; UPDATE audit SET seq = 5 WHERE seq = 6; UPDATE audit SET seq = 6 WHERE seq = -1" 5
check "entries cut from the end are caught" tamper \
	"DELETE FROM audit WHERE seq >= $((last - 1))" $((last - 1))
check "a recomputed hash alone does not pass" tamper \
	"UPDATE audit SET actor = 'otto', hash = $(on_pg &&
		echo "encode(sha256(random()::text::bytea), 'hex')" ||
		echo "lower(hex(randomblob(32)))") WHERE seq = 8" 8
done_testing
