#!/bin/sh
# The demo: the first scenario (examples/scenarios/01-ci-key-public-repo)
# told at length.  A fresh database, the example estate imported, the blast
# radius of a leaked CI deploy key, then its audit logs: where it was used
# after the leak, what it minted and created, and the blast radius with
# what the logs revealed.  Then the response: the scanner's alert routed
# to the dedicated team, an incident with one accountable lead, its
# decisions, tasks and evidence, and the audit log verified.
#
# scripts/demo.sh [NHIR]: on a new SQLite file, build/demo/nhir.db.
# With DB=postgresql://... (make demo DB=...) the same on PostgreSQL:
# DB names a database that is new or missing (nhir init makes it when
# the server lets it); the evidence and the keys go in build/demo/files
# (NHIR_FILES).  NHIR_DEMO_DIR sets the folder (default build/demo).
set -eu
NHIR=${1:-build/nhir}
dir=${NHIR_DEMO_DIR:-build/demo}
rm -rf "$dir"
mkdir -p "$dir"
if [ -n "${DB:-}" ]; then
	case $DB in
	postgresql://* | postgres://*) ;;
	*)
		echo "demo: DB is '$DB', not a postgresql:// DSN" >&2
		exit 2
		;;
	esac
	export NHIR_DB="$DB"
	case $dir in /*) NHIR_FILES=$dir/files ;; *) NHIR_FILES=$PWD/$dir/files ;; esac
	export NHIR_FILES
else
	export NHIR_DB="$dir/nhir.db"
fi
# nhir refuses a connectors file that group or others may write or replace
umask 022
chmod go-w examples/connectors examples/connectors/*.yaml
export NHIR_USER=ada	# creates the database: its first admin
# The example estate's sessions were minted on 2024-05-01: look at it
# as of that afternoon so the live tokens are live.  The demo replays a
# past incident, so its database keeps a fixed clock (init --fixed-clock;
# a real one refuses NHIR_NOW) and its audit log marks that.
export NHIR_NOW=2024-05-01T12:00:00Z

run() {
	printf '\n$ %s\n' "$*"
	"$@"
}

# for commands whose exit status 3 means "findings present"
run3() {
	printf '\n$ %s\n' "$*"
	"$@" || test $? = 3
}

run "$NHIR" init --fixed-clock
run "$NHIR" user add lena --role lead
run "$NHIR" user add rory --role responder
run "$NHIR" user add otto --role observer
run "$NHIR" user add alex --role approver
run "$NHIR" user add ben --role approver
export NHIR_USER=rory
run "$NHIR" import nhir examples/scenarios/01-ci-key-public-repo/inventory.jsonl
run "$NHIR" blast AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z
run "$NHIR" show ASIAEXAMPLESESSION1

# The key leaked at 09:00.  What do the audit logs say it did since?
# Hunt it in the raw logs first (the first answer at the speed of a
# scan), then ingest them all for the questions that follow.
export NHIR_NOW=2024-05-01T10:35:00Z
run "$NHIR" hunt --exposed-at 2024-05-01T09:00:00Z cloudtrail \
	AKIAEXAMPLEDEPLOY01 examples/scenarios/01-ci-key-public-repo/telemetry/
run "$NHIR" ingest cloudtrail examples/scenarios/01-ci-key-public-repo/telemetry/
run "$NHIR" timeline --since 2024-05-01T09:00:00Z AKIAEXAMPLEDEPLOY01
run "$NHIR" blast --limit 5 AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z

# The scanners report the key; the policy routes it to the response team.
run "$NHIR" findings import generic examples/scenarios/01-ci-key-public-repo/alerts.jsonl
run3 "$NHIR" triage
run "$NHIR" route explain 1

# One incident, one accountable lead.
run "$NHIR" incident declare --title "CI deploy key leaked in build logs" \
	--severity critical --lead lena --finding 1 \
	--exposed-at 2024-05-01T09:00:00Z
run "$NHIR" --as lena incident state INC-1 investigating --why "alert confirmed"
run "$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR \
	--why "minted and created after the leak"
run "$NHIR" --as lena decide INC-1 "Deactivate AKIAEXAMPLEDEPLOY01; do not delete it" \
	--why "deleting destroys the key's link to its CloudTrail; sessions it minted must be revoked separately"
run "$NHIR" --as lena task INC-1 add "Revoke the sessions minted since 09:00" --owner rory \
	--due 2024-05-01T11:00:00Z
run "$NHIR" evidence add INC-1 examples/scenarios/01-ci-key-public-repo/telemetry/after-exposure.jsonl \
	--source "CloudTrail, account 111122223333"
run "$NHIR" --as otto note INC-1 "observers cannot write" || true
run "$NHIR" incident show INC-1

# Containment: a plan, two approvers, a simulated provider, proof.
export NHIR_CONNECTORS=examples/connectors/simulated.yaml
export FAKE_STATE="$dir/simulated-provider.json"
run3 "$NHIR" contain status INC-1
run "$NHIR" --as lena plan INC-1
# the lead's decision stands: the leaked key is deactivated, not deleted
del=$("$NHIR" plan --format json INC-1 | python3 -c 'import json,sys
print([s["step"] for s in json.load(sys.stdin)["steps"]
       if s["action"] == "aws.delete-access-key" and s["target"] == "AKIAEXAMPLEDEPLOY01"][0])')
run "$NHIR" --as lena plan edit INC-1 skip "$del" \
	--why "decided: keep the key, deactivated, tied to its CloudTrail"
run "$NHIR" --as lena approve INC-1 --all --why "my own plan" || true
run "$NHIR" --as alex approve INC-1 --all --why "reviewed with the platform team"
run "$NHIR" --as ben approve INC-1 --all --why "second pair of eyes on the irreversible steps"
run "$NHIR" --as rory execute INC-1 --next
printf '\n$ %s\n' "$NHIR --as rory execute INC-1 --next --confirm   # until no step is left"
i=0
while [ $i -lt 40 ] && "$NHIR" --as rory execute INC-1 --next --confirm >"$dir/step.out" 2>&1; do
	head -1 "$dir/step.out"
	i=$((i + 1))
done
run "$NHIR" --as rory verify INC-1
run "$NHIR" contain status INC-1
run3 "$NHIR" contain status INC-1 --at 2024-05-01T10:00:00Z
run "$NHIR" audit log --incident INC-1
run "$NHIR" audit verify

# Written up, measured, signed.
run "$NHIR" --as lena task INC-1 add "follow-up: no long-lived keys in CI; use OIDC" \
	--owner rory --due 2024-06-01T00:00:00Z
run "$NHIR" report INC-1 --format html -o "$dir/INC-1.html"
run "$NHIR" report keygen "$dir/report-key"
run "$NHIR" report INC-1 --format json --sign "$dir/report-key" -o "$dir/INC-1.signed.json"
run "$NHIR" report verify "$dir/INC-1.signed.json" --key "$dir/report-key.pub"
run "$NHIR" metrics
printf '\nThe after-action report: %s\n' "$dir/INC-1.html"
where="NHIR_DB='$NHIR_DB'"
if [ -n "${NHIR_FILES:-}" ]; then
	where="$where NHIR_FILES='$NHIR_FILES'"
fi
printf '\nThe database is %s; try: %s %s blast --format json AKIAEXAMPLEDEPLOY01\n' \
	"$NHIR_DB" "$where" "$NHIR"
printf '\nTo share it with the team over HTTP (doc/guide/server.md):\n'
printf '  TOKEN=$(%s %s --as ada token create --user lena)\n' "$where" "$NHIR"
printf '  %s %s serve --listen 127.0.0.1:8470 &\n' "$where" "$NHIR"
printf '  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8470/api/v1/incidents/INC-1\n'

# Last: the same record in the browser.  No password is set here (none
# is printed): the reader chooses lena's, and alex's and ben's for the
# two approvers.
printf '\nThe web workbench on this database (doc/guide/server.md, "The web workbench"):\n'
printf '  %s %s --as ada user passwd lena     # and alex, ben: two approvers\n' "$where" "$NHIR"
printf '  %s FAKE_STATE=%s %s serve --listen 127.0.0.1:8470 \\\n' \
	"$where" "$FAKE_STATE" "$NHIR"
printf '    --catalog catalog/actions.yaml --connectors examples/connectors/simulated.yaml \\\n'
printf '    --report-key %s/report-key\n' "$dir"
printf '  then open http://127.0.0.1:8470/#/incidents/INC-1 and sign in as lena\n'
