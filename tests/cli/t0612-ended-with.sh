#!/bin/sh
# What only lived through a deleted identity ends with it; IAM paths;
# the planner proposes nothing for what has ended.
#
# tests/data/cloudtrail-paths/trail.json holds CloudTrail records in
# the shape AWS documents: a leaked key (AKIAEXAMPLEPATHS001) creates
# user svc-backup with path /ops/, an access key and a login profile
# for it (both named by user name alone), assumes role app/etl-runner
# (the session's assumedRoleUser ARN has no path, its sessionIssuer
# has), then deletes the user (the logs at hand hold no DeleteAccessKey
# for its key), a user old-bot that only the inventory knows (with path
# /legacy/), and the role, each by name alone.
. tests/cli/lib.sh

F=$ROOT/tests/data/cloudtrail-paths/trail.json
E=$ROOT/tests/data/cloudtrail-paths-estate.jsonl
K=AKIAEXAMPLEPATHS001
A=arn:aws:iam::111122223333

"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir "$E" >/dev/null
check "ingest" "$NHIR" ingest cloudtrail "$F"

nodes() {
	db_sql "SELECT ext_id FROM node WHERE ext_id LIKE '%$1%'
		ORDER BY ext_id"
}
check "a user named without its path is the user with its path" \
	test "$(nodes svc-backup)" = "$A:user/ops/svc-backup
$A:user/svc-backup#login-profile"
check "a role named without its path is the role with its path" \
	test "$(nodes etl-runner)" = "$A:role/app/etl-runner"
check "a deletion by name ends the inventory's user with a path" \
	test "$(nodes old-bot)" = "$A:user/legacy/old-bot"

"$NHIR" blast "$K" --at 2024-06-01T10:20:00Z >"$T/before.txt"
check "before the deletion the new key is live persistence" sh -c \
	'sed -n "/^Persistence/,/^$/p" "$0/before.txt" | grep -q "AKIAEXAMPLEBACKUP001 .*survives"' "$T"
check "the session acts as the role with its path" has "$T/before.txt" \
	"$K -issued-> ASIAEXAMPLEETL00001 -authenticates-> $A:role/app/etl-runner"

"$NHIR" blast "$K" --at 2024-06-01T10:45:00Z >"$T/after.txt"
check "deleting the user ends its access key, by which event" has "$T/after.txt" \
	"AKIAEXAMPLEBACKUP001 (credential, aws-access-key) [ended 2024-06-01T10:30:00Z: its identity deleted by DeleteUser, $F@"
check "and its login profile" has "$T/after.txt" \
	"$A:user/svc-backup#login-profile (credential, aws-login-profile) [ended 2024-06-01T10:30:00Z: its identity deleted by DeleteUser"
check "the user itself" has "$T/after.txt" \
	"$A:user/ops/svc-backup (identity, aws-iam-user) [ended 2024-06-01T10:30:00Z: deleted by DeleteUser"
check "nothing of it is live persistence" sh -c \
	'! sed -n "/^Persistence/,/^$/p" "$0/after.txt" | grep -q svc-backup' "$T"
check "the deleted role is ended" has "$T/after.txt" \
	"$A:role/app/etl-runner (identity, aws-iam-role) [ended 2024-06-01T10:40:00Z: deleted by DeleteRole"
# whether a session of a deleted role still works is not known: it is
# not ended, it lives until it expires
check "its session is not claimed ended" sh -c \
	'sed -n "/^Live derived/,/^$/p" "$0/after.txt" | grep -q "^  ASIAEXAMPLEETL00001 .*until 2024-06-01T11:10:00Z"' "$T"
check "what is not known about it is said" sh -c \
	'grep "^  ASIAEXAMPLEETL00001 " "$0/after.txt" | grep -q "\[not evaluated: whether it still works: '"$A"':role/app/etl-runner, which it acts as, was deleted 2024-06-01T10:40:00Z\]"' "$T"
check "not before the deletion" sh -c \
	'! grep "^  ASIAEXAMPLEETL00001 " "$0/before.txt" | grep -q "not evaluated"' "$T"
check "json: in the session's not_evaluated" sh -c \
	'"$NHIR" blast --format json '"$K"' --at 2024-06-01T10:45:00Z | python3 -c "
import json, sys
d = json.load(sys.stdin)
s = [i for g in d[\"groups\"].values() for i in g if i[\"ref\"] == \"ASIAEXAMPLEETL00001\"][0]
assert any(\"was deleted\" in x for x in s[\"not_evaluated\"]), s
"'
check "the inventory's key of old-bot ended with its user" sh -c \
	'"$NHIR" blast AKIAEXAMPLEOLDBOT001 --at 2024-06-01T10:45:00Z |
	 grep -q "AKIAEXAMPLEOLDBOT001 (credential, aws-access-key) \[ended 2024-06-01T10:31:00Z: its identity deleted by DeleteUser"'
check "before the deletion it is live" sh -c \
	'"$NHIR" blast AKIAEXAMPLEOLDBOT001 --at 2024-06-01T10:20:00Z >"$0/ob.txt" &&
	 grep -q "^  AKIAEXAMPLEOLDBOT001 (credential, aws-access-key)$" "$0/ob.txt"' "$T"
check "a key made after the deletion is not ended by it" sh -c \
	'"$NHIR" blast AKIAEXAMPLEOLDBOT002 --at 2024-06-01T11:30:00Z >"$0/ob2.txt" &&
	 grep -q "^  AKIAEXAMPLEOLDBOT002 (credential, aws-access-key)$" "$0/ob2.txt"' "$T"

# logs first, inventory after: the node named by the name alone takes
# the full ARN
"$NHIR" --db "$T/b.db" init >/dev/null
"$NHIR" --db "$T/b.db" ingest cloudtrail "$F" >/dev/null
check "read first from a name alone" test \
	"$(sqlite3 "$T/b.db" "SELECT ext_id FROM node WHERE ext_id LIKE '%old-bot%'")" = "$A:user/old-bot"
"$NHIR" --db "$T/b.db" import nhir "$E" >/dev/null
check "the inventory's ARN with its path replaces it, one node" test \
	"$(sqlite3 "$T/b.db" "SELECT ext_id FROM node WHERE ext_id LIKE '%old-bot%'")" = "$A:user/legacy/old-bot"
check "and the deletion still ends it and its key" sh -c \
	'"$NHIR" --db "$0/b.db" blast AKIAEXAMPLEOLDBOT001 --at 2024-06-01T10:45:00Z |
	 grep -q "its identity deleted by DeleteUser"' "$T"
check "either spelling finds it" sh -c \
	'"$NHIR" --db "$0/b.db" show '"$A"':user/old-bot | grep -q "legacy/old-bot"' "$T"

# the planner: nothing is proposed for what has ended for good
export NHIR_NOW=2024-06-01T10:50:00Z
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" --as lena incident declare --title "leaked key" --severity high \
	--lead lena --seed "$K" --exposed-at 2024-06-01T09:00:00Z >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm "$K" AKIAEXAMPLEBACKUP001 \
	"$A:user/ops/svc-backup" "$A:role/app/etl-runner" >/dev/null
check "plan" sh -c '"$NHIR" --as lena plan --format json INC-1 >"$0/plan.json"' "$T"
check "no step for the deleted key, user or role" python3 -c "
import json, sys
steps = json.load(open(sys.argv[1]))['steps']
t = [s['target'] for s in steps]
for gone in ('AKIAEXAMPLEBACKUP001', '$A:user/ops/svc-backup',
	     '$A:role/app/etl-runner'):
	assert gone not in t, (gone, t)
assert 'aws.delete-access-key' in [s['action'] for s in steps if s['target'] == '$K'], steps
# the session of the deleted role: nothing to cut, it is verified
s = [s['action'] for s in steps if s['target'] == 'ASIAEXAMPLEETL00001']
assert s == ['generic.verify-revoked'], s
" "$T/plan.json"
check "the plan says what it left out, when and by which event" sh -c \
	'"$NHIR" plan INC-1 >"$0/plan.txt" &&
	 sed -n "/^not planned, ended by logged events:/,\$p" "$0/plan.txt" |
	 grep -q "^  AKIAEXAMPLEBACKUP001 *deleted 2024-06-01T10:30:00Z by DeleteUser"' "$T"
check "plan json lists them" python3 -c "
import json, sys
g = json.load(open(sys.argv[1]))['not_planned_ended']
assert {'node': '$A:role/app/etl-runner', 'how': 'deleted',
	'at': '2024-06-01T10:40:00Z', 'event': 'DeleteRole'} in g, g
" "$T/plan.json"
check "the plan's audit entry lists what was not planned, and why" sh -c \
	'"$NHIR" audit log | grep " plan " | grep -q "\"not_planned_ended\":\[{\"at\":\"2024-06-01T10:30:00Z\",\"event\":\"DeleteUser\",\"how\":\"deleted\",\"node\":\"'"$A"':user/ops/svc-backup\"}"'
check "contain status shows them ended, when and by which event" sh -c \
	'"$NHIR" contain status INC-1 --at 2024-06-01T10:50:00Z >"$0/cs.txt"; test $? = 3 &&
	 grep -q "^  AKIAEXAMPLEBACKUP001 *ended by logged event DeleteUser (deleted) at 2024-06-01T10:30:00Z" "$0/cs.txt" &&
	 grep -q "role/app/etl-runner ended by logged event DeleteRole (deleted) at 2024-06-01T10:40:00Z" "$0/cs.txt"' "$T"
"$NHIR" report INC-1 --format md >"$T/r.md"
check "the report shows the deleted key ended, by which event" sh -c \
	'grep "AKIAEXAMPLEBACKUP001" "$0/r.md" | grep -q "its identity deleted 2024-06-01T10:30:00Z by logged event DeleteUser"' "$T"
unset NHIR_NOW
done_testing
