#!/bin/sh
# What has ended is not live; what was left behind is never lost.
#
# tests/data/cloudtrail-ended/ holds CloudTrail delivery files: a leaked
# key (AKIAEXAMPLELEAKED001) chains sessions into role admin, whose
# session creates a backdoor user and key; the key creates keys, a role,
# a login profile and a user, deactivates and re-activates one key,
# deletes the role, the login profile and the user; a responder revokes
# the admin role's older sessions and lifts it again.  0-cleanup.json
# sorts first: its DeleteUser is read before the CreateUser it ends, and
# its DeleteAccessKey failed (AccessDenied), so it ends nothing.
. tests/cli/lib.sh

D=${NHIR_DATA:-../shared/data}
F=$ROOT/tests/data/cloudtrail-ended
K=AKIAEXAMPLELEAKED001

skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $*"
}

"$NHIR" init --fixed-clock >/dev/null
check "ingest" "$NHIR" ingest cloudtrail "$F"

# after the sessions expired (11:00)
"$NHIR" blast "$K" --at 2024-05-01T11:30:00Z >"$T/late.txt"
check "the backdoor key made by an expired chained session stays in scope" \
	sh -c 'sed -n "/^Persistence/,/^$/p" "$0/late.txt" | grep -q AKIAEXAMPLEBACKDOOR1' "$T"
check "with its path, the sessions on it marked expired" has "$T/late.txt" \
	"path: $K -issued-> ASIAEXAMPLEOPS00001 (expired) -issued-> ASIAEXAMPLEADMIN001 (expired) -created-> AKIAEXAMPLEBACKDOOR1"
check "the expired session is listed as expired" sh -c \
	'grep -q "^  ASIAEXAMPLEADMIN001 .*\[expired 2024-05-01T11:00:00Z\]" "$0/late.txt"' "$T"
check "a deleted role is ended, by which event and where" has "$T/late.txt" \
	"arn:aws:iam::111122223333:role/persist-role (identity, aws-iam-role) [ended 2024-05-01T10:30:00Z: deleted by DeleteRole, $F/1-attack.json@"
check "not as live persistence" sh -c \
	'! sed -n "/^Persistence/,/^$/p" "$0/late.txt" | grep -q persist-role' "$T"
check "a deleted login profile is ended" has "$T/late.txt" \
	"[ended 2024-05-01T10:31:00Z: deleted by DeleteLoginProfile"
check "a deletion read before its creation is not missed" has "$T/late.txt" \
	"user/temp-user (identity, aws-iam-user) [ended 2024-05-01T10:40:00Z: deleted by DeleteUser, $F/0-cleanup.json@"
check "a failed deletion ends nothing" sh -c \
	'sed -n "/^Persistence/,/^$/p" "$0/late.txt" | grep -q "AKIAEXAMPLEFAILDEL01 .*survives"' "$T"
check "a key deactivated then activated again is live" sh -c \
	'sed -n "/^Persistence/,/^$/p" "$0/late.txt" | grep -q "AKIAEXAMPLEHELPER001 .*survives"' "$T"
check "nothing ended survives its parent" sh -c \
	'! grep -E "\[(ended|expired) .*survives" "$0/late.txt"' "$T"

"$NHIR" blast "$K" --at 2024-05-01T10:22:00Z >"$T/t1022.txt"
check "while deactivated, the key is ended by UpdateAccessKey" sh -c \
	'grep -q "^  AKIAEXAMPLEHELPER001 .*\[ended 2024-05-01T10:20:00Z: deactivated by UpdateAccessKey" "$0/t1022.txt"' "$T"
"$NHIR" blast "$K" --at 2024-05-01T10:50:00Z >"$T/t1050.txt"
check "revoking older sessions ends the admin session" sh -c \
	'grep -q "^  ASIAEXAMPLEADMIN001 .*\[ended 2024-05-01T10:45:00Z: revoked-sessions-before by PutRolePolicy" "$0/t1050.txt"' "$T"
check "but not the ops session, of another role" sh -c \
	'sed -n "/^Live derived/,/^$/p" "$0/t1050.txt" | grep -q "^  ASIAEXAMPLEOPS00001"' "$T"
"$NHIR" blast "$K" --at 2024-05-01T10:57:00Z >"$T/t1057.txt"
check "deleting that policy lifts the revocation" sh -c \
	'sed -n "/^Live derived/,/^$/p" "$0/t1057.txt" | grep -q "^  ASIAEXAMPLEADMIN001"' "$T"

check "json says ended, how, by which event, where" sh -c \
	'"$NHIR" blast --format json '"$K"' --at 2024-05-01T11:30:00Z |
	 python3 -c "
import json, sys
d = json.load(sys.stdin)
e = {i[\"ref\"]: i for i in d[\"groups\"][\"ended\"]}
r = e[\"arn:aws:iam::111122223333:role/persist-role\"]
assert r[\"state\"] == \"ended\", r
assert r[\"ended\"][\"how\"] == \"deleted\" and r[\"ended\"][\"event\"] == \"DeleteRole\", r
assert r[\"ended\"][\"file\"].endswith(\"1-attack.json\") and r[\"ended\"][\"offset\"] > 0, r
assert e[\"ASIAEXAMPLEADMIN001\"][\"state\"] == \"expired\"
p = [i[\"ref\"] for i in d[\"groups\"][\"persistence\"]]
assert \"AKIAEXAMPLEBACKDOOR1\" in p, p
"'

# show lists a node's end facts; usage and timeline keep ended things
check "show: deactivated then reactivated" sh -c '"$NHIR" show AKIAEXAMPLEHELPER001 >"$0/show.txt" &&
	grep -q "ended:    deactivated 2024-05-01T10:20:00Z by UpdateAccessKey" "$0/show.txt" &&
	grep -q "reactivated 2024-05-01T10:25:00Z by UpdateAccessKey" "$0/show.txt"' "$T"
check "show json: the revocation and its cause" sh -c '"$NHIR" show --format json arn:aws:iam::111122223333:role/admin |
	python3 -c "
import json, sys
e = json.load(sys.stdin)[\"ended\"]
assert [x[\"how\"] for x in e] == [\"revoked-sessions-before\", \"sessions-restored\"], e
assert e[0][\"cause\"] == \"AWSRevokeOlderSessions\" and e[0][\"event\"] == \"PutRolePolicy\", e
"'
check "usage keeps what was deleted in the lineage" sh -c \
	'"$NHIR" usage --format json '"$K"' | python3 -c "
import json, sys
keys = [k[\"key\"] for k in json.load(sys.stdin)[\"keys\"]]
assert \"AKIAEXAMPLEBACKDOOR1\" in keys and \"ASIAEXAMPLEADMIN001\" in keys, keys
"'
check "timeline keeps the deletions as events" sh -c \
	'"$NHIR" timeline '"$K"' | grep -q "iam:DeleteRole"'

# the same facts from a second copy of the records are stored once
cp "$F/1-attack.json" "$T/copy.json"
echo >>"$T/copy.json"
"$NHIR" ingest cloudtrail "$T/copy.json" >/dev/null
check "an end fact is stored once" test \
	"$(db_sql "SELECT count(*) FROM node_end WHERE how = 1")" = 3

# routing: the whole lineage, and never automated on an unknown fact
cat >"$T/alerts.jsonl" <<'END'
{"detector": "cloudtrail-anomaly", "secret": "AKIAEXAMPLEMINTER01", "kind": "aws-access-key", "verified": true, "time": "2024-05-01T11:20:00Z", "location": {"file": "cloudtrail://111122223333/us-east-1"}}
{"detector": "cloudtrail-anomaly", "secret": "AKIAEXAMPLEFAILDEL01", "kind": "aws-access-key", "verified": true, "time": "2024-05-01T11:20:00Z", "location": {"file": "cloudtrail://111122223333/us-east-1"}}
END
"$NHIR" findings import generic "$T/alerts.jsonl" >/dev/null
export NHIR_NOW=2024-05-01T11:30:00Z
check "route explain" sh -c '"$NHIR" route explain 1 >"$0/r1.txt"' "$T"
check "sessions minted, expired since, still send it to people" has "$T/r1.txt" \
	"decision: dedicated nhi-response (rule lineage-minted-sessions)"
check "no live token left" has "$T/r1.txt" '"live_tokens":0'
check "route explain 2" sh -c '"$NHIR" route explain 2 >"$0/r2.txt"' "$T"
check "no policy imported: privilege is unknown, never none" has \
	"$T/r2.txt" '"privilege":"unknown"'
check "explain lists the unknown facts" has "$T/r2.txt" \
	"unknown facts: privilege, environment (privilege: an identity it reaches has no policy imported)"
check "read-only needs a known privilege" sh -c \
	'grep -q "no  read-only-aws-key .*privilege is unknown, at least none (needs at most read)" "$0/r2.txt"' "$T"
check "so a person looks at it" has "$T/r2.txt" "decision: dedicated nhi-triage"
printf 'version: 1\nrules:\n  - name: any-aws-key\n    when:\n      kind: aws-access-key\n    route: automated\n    action: deactivate-access-key\n  - name: rest\n    route: dedicated\n    queue: people\n' >"$T/auto.yaml"
check "explain with a policy that automates every AWS key" sh -c \
	'"$NHIR" route explain --policy "$0/auto.yaml" 2 >"$0/r3.txt"' "$T"
check "an automated rule never matches while a fact is unknown" has \
	"$T/r3.txt" "no  any-aws-key              line 3    privilege is unknown: automated remediation is never chosen on an unknown fact"
check "a person decides" has "$T/r3.txt" "decision: dedicated people (rule rest)"
check "json lists them too" sh -c '"$NHIR" route explain --format json 2 |
	python3 -c "
import json, sys
d = json.load(sys.stdin)
assert \"privilege\" in d[\"unknown\"], d[\"unknown\"]
assert d[\"decision\"][\"outcome\"] == \"dedicated\""'
unset NHIR_NOW

# residual access
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" --as lena incident declare --title "leaked key" --severity high \
	--lead lena --seed "$K" --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" incident show INC-1 >"$T/inc.txt"
check "the backdoor key is proposed for scope" sh -c \
	'grep -q "proposed .*AKIAEXAMPLEBACKDOOR1" "$0/inc.txt"' "$T"
check "what logged events ended is not proposed" hasnt "$T/inc.txt" "persist-role"
check "residual access after expiry: not contained" exits 3 \
	"$NHIR" contain status INC-1 --at 2024-05-01T11:30:00Z
check "the backdoor key is residual, through the expired sessions" has \
	"$T/last.out" "$K -issued-> ASIAEXAMPLEOPS00001 -issued-> ASIAEXAMPLEADMIN001 -created-> AKIAEXAMPLEBACKDOOR1"
check "the deleted role is not residual" sh -c \
	'! grep -q "^  identity .*persist-role" "$0/last.out"' "$T"
check "contain status says what a logged event ended" has "$T/last.out" \
	"arn:aws:iam::111122223333:role/persist-role ended by logged event DeleteRole (deleted) at 2024-05-01T10:30:00Z"
check "contain status json lists it" sh -c '"$NHIR" contain status --format json INC-1 --at 2024-05-01T11:30:00Z |
	python3 -c "
import json, sys
d = json.load(sys.stdin)
e = [x for x in d[\"ended\"] if x[\"node\"].endswith(\"role/persist-role\")][0]
assert e[\"event\"] == \"DeleteRole\" and e[\"how\"] == \"deleted\" and e[\"offset\"] > 0, e
"'

# the report says what ended, and how
"$NHIR" --as lena incident scope INC-1 confirm \
	arn:aws:iam::111122223333:role/persist-role AKIAEXAMPLEBACKDOOR1 >/dev/null
NHIR_NOW=2024-05-01T11:30:00Z "$NHIR" report INC-1 --format md >"$T/r.md"
check "report: the deleted role in scope is ended, by which event" has "$T/r.md" \
	"| deleted 2024-05-01T10:30:00Z by logged event DeleteRole ($F/1-attack.json@"
check "report: the backdoor key is live" sh -c \
	'grep "AKIAEXAMPLEBACKDOOR1" "$0/r.md" | grep -q "| live |"' "$T"
check "report: residual access names what logged events ended" has "$T/r.md" \
	"- \`arn:aws:iam::111122223333:role/persist-role\` deleted 2024-05-01T10:30:00Z by DeleteRole"

# the real Invictus data: the attacker deletes every key, user and role
# it created
if [ -d "$D/invictus-aws-stratus-cloudtrail/CloudTrail" ]; then
	"$NHIR" --db "$T/i.db" init --fixed-clock >/dev/null
	"$NHIR" --db "$T/i.db" ingest cloudtrail \
		"$D/invictus-aws-stratus-cloudtrail/CloudTrail" >/dev/null
	"$NHIR" --db "$T/i.db" blast AKIATFQR7NSC8Q4X20BJ --limit 0 \
		--at 2023-07-10T12:40:00Z >"$T/inv.txt"
	check "Invictus: all 21 things it made are ended by logged events" \
		sh -c 'test "$(grep -c "^  .*\[ended " "$0/inv.txt")" = 21' "$T"
	check "Invictus: none is live persistence" hasnt "$T/inv.txt" \
		"[survives revocation of its parent]"
	check "Invictus: the deleted backdoor key, by which event" has "$T/inv.txt" \
		"AKIATFQR7NSC3ZO6PKAZ (credential, aws-access-key) [ended 2023-07-10T12:28:24Z: deleted by DeleteAccessKey"
	"$NHIR" --db "$T/i.db" blast AKIATFQR7NSC8Q4X20BJ --limit 0 \
		--at 2023-07-10T12:26:00Z >"$T/inv2.txt"
	check "Invictus: before the clean-up they are live persistence" sh -c \
		'sed -n "/^Persistence/,/^$/p" "$0/inv2.txt" | grep -q AKIATFQR7NSC3ZO6PKAZ' "$T"
	echo '{"detector": "cloudtrail-anomaly", "secret": "AKIATFQR7NSC8Q4X20BJ", "kind": "aws-access-key", "verified": true, "time": "2023-07-10T12:45:00Z", "location": {"file": "cloudtrail://123837392027/us-east-1"}}' >"$T/inv.jsonl"
	"$NHIR" --db "$T/i.db" findings import generic "$T/inv.jsonl" >/dev/null
	NHIR_NOW=2023-07-10T12:50:00Z "$NHIR" --db "$T/i.db" route explain \
		--format json 1 >"$T/inv-route.json"
	check "Invictus: after the clean-up, its lineage still sends it to people" \
		python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
f = d['facts']
assert f['live_tokens'] == 0 and f['persistence'] == 0, f
assert f['lineage_tokens'] >= 10 and f['lineage_created'] >= 21, f
assert d['decision']['outcome'] == 'dedicated', d['decision']
assert d['decision']['rule'] == 'lineage-minted-sessions', d['decision']
" "$T/inv-route.json"
else
	skip "$D/invictus-aws-stratus-cloudtrail absent"
fi
done_testing
