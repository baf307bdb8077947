#!/bin/sh
# The command line against nhir serve: scenario 04 of examples/scenarios
# (CI secrets harvested) run by a team of five from their own tokens
# (NHIR_SERVER, NHIR_TOKEN), side by side with the same commands on a
# database file: the same output, byte for byte where no clock is in it,
# and the same exit codes; each change on the server's audit log under
# the token's user.  Four eyes with two tokens; --as refused; a bad
# token; nhir login's file (mode 0600) and logout.  The server is killed
# whatever happens.
. tests/cli/lib.sh

S=examples/scenarios/04-cicd-secrets-harvested
E=tests/data/cloudtrail-ended
KEY=AKIACICDSHARED000001
PAT=github:token:dGhpcyBpcyBhIGhhc2ggb2YgdGhlIHJlbGVhc2UgYm90
SRV_DB=$T/test.db
LOC_DB=$T/local.db
export NHIR_CATALOG="$ROOT/catalog/actions.yaml" NHIR_POLICY="$ROOT/policy/routing.yaml"
export NHIR_CONNECTORS="$ROOT/examples/connectors/simulated.yaml"
export XDG_CONFIG_HOME="$T/config"
unset NHIR_SERVER NHIR_TOKEN

# the same team in both databases: ada (admin), lena (lead), rory
# (responder), alex and ben (approvers); a token each on the server's
for db in "$SRV_DB" "$LOC_DB"; do
	NHIR_DB=$db NHIR_USER=ada "$NHIR" init >/dev/null
	for u in "lena lead" "rory responder" "alex approver" "ben approver"; do
		set -- $u
		NHIR_DB=$db NHIR_USER=ada "$NHIR" user add "$1" --role "$2" >/dev/null
	done
done
for u in ada lena rory alex ben; do
	NHIR_DB=$SRV_DB NHIR_USER=ada "$NHIR" token create --user $u \
		>"$T/tok.$u" 2>/dev/null
done
NHIR_DB=$SRV_DB NHIR_USER=ada "$NHIR" token create --user rory --scope read \
	>"$T/tok.rory-read" 2>/dev/null

. tests/cli/lib-serve.sh
# the server's connectors reach the simulated provider of its own state
export FAKE_STATE=$T/fake-srv.json
start_server --db "$SRV_DB" || { cat "$T/srv.err"; exit 1; }

# loc USER ARGS: nhir on the database file, as USER
loc() {
	u=$1
	shift
	NHIR_DB=$LOC_DB FAKE_STATE=$T/fake-loc.json "$NHIR" --as "$u" "$@"
}
# rem USER ARGS: nhir against the server, with USER's token
rem() {
	u=$1
	shift
	env -u NHIR_DB NHIR_SERVER="$URL" NHIR_TOKEN="$(cat "$T/tok.$u")" \
		"$NHIR" "$@"
}
# Times of today (the server keeps the real clock) as TIME: the
# scenario's own times stay as they are.  A file uploaded is recorded
# by its name (the server never sees the client's directories): the
# local record's paths are cut to their names.
Y=$(date -u +%Y)
norm() {
	sed -e "s/$Y-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z/TIME/g" \
	    -e "s#$S/##g" -e "s#$E/##g" "$1"
}
# same NAME USER ARGS: the command on both; the same exit code, the
# same standard output and the same first line of standard error.
# Outputs in $T/NAME.loc, $T/NAME.rem (and .err).
same() {
	name=$1
	u=$2
	shift 2
	loc "$u" "$@" >"$T/$name.loc" 2>"$T/$name.loc.err"
	lc=$?
	rem "$u" "$@" >"$T/$name.rem" 2>"$T/$name.rem.err"
	rc=$?
	[ "$lc" = "$rc" ] || {
		echo "exit $lc on the file, $rc against the server" >&2
		cat "$T/$name.loc.err" "$T/$name.rem.err" >&2
		return 1
	}
	norm "$T/$name.loc" >"$T/$name.loc.n"
	norm "$T/$name.rem" >"$T/$name.rem.n"
	cmp -s "$T/$name.loc.n" "$T/$name.rem.n" || {
		diff "$T/$name.loc.n" "$T/$name.rem.n" | head -20 >&2
		return 1
	}
	head -1 "$T/$name.loc.err" >"$T/$name.le"
	head -1 "$T/$name.rem.err" >"$T/$name.re"
	cmp -s "$T/$name.le" "$T/$name.re" || {
		diff "$T/$name.le" "$T/$name.re" >&2
		return 1
	}
}
# json FILE EXPRESSION: the expression over d holds.
json() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert $2, d" "$1"
}

# -- the scenario, stage by stage

check "import: the same answer" same import rory import nhir $S/inventory.jsonl
check "import: every identity added" has "$T/import.rem" "0 rejected"
check "the scanner's report, uploaded" \
	same findings rory findings import trufflehog $S/trufflehog.jsonl
check "findings: counted as on a file" has "$T/findings.rem" \
	"2 entries, 2 new findings, 2 new sightings, 1 matched known credentials"
check "triage: the same list, exit 3" same triage ada triage
check "triage: exit 3, findings to people" exits 3 rem ada triage
check "triage: the key is live" has "$T/triage.rem" "live"
check "triage: routed to dedicated response" has "$T/triage.rem" \
	"dedicated nhi-response (privileged-credential)"
loc ada triage --format json >"$T/triage-json.loc"
check "triage --format json: exit 3 too" exits 3 rem ada triage --format json
cp "$T/last.out" "$T/triage-json.rem"
# fingerprints are keyed by each database's own secret: all else alike
check "triage --format json: the same findings" python3 -c '
import json, sys
def strip(p):
    d = json.load(open(p))
    for f in d["findings"]:
        del f["fingerprint"], f["last_seen"]
        if f["credential"].startswith("secret:"):
            f["credential"] = "secret:"
    return d
assert strip(sys.argv[1]) == strip(sys.argv[2])
' "$T/triage-json.loc" "$T/triage-json.rem"

check "route explain: the same text" same route ada route explain 1
check "route explain: the decision" has "$T/route.rem" "decision: dedicated nhi-response"
check "route explain --format json" same route-json ada route explain 1 --format json
check "ingest cloudtrail, uploaded" same ingest-ct rory ingest cloudtrail $S/cloudtrail.jsonl
check "ingest github-audit, uploaded" same ingest-gh rory ingest github-audit $S/github-audit.jsonl
check "ingest: the events counted" has "$T/ingest-ct.rem" "files ingested"
check "ingest again: already ingested" same ingest-again rory ingest cloudtrail $S/cloudtrail.jsonl
check "ingest again: said so" has "$T/ingest-again.rem" "1 already ingested"

check "usage of the key: the same document" \
	same usage-key ada usage --format json $KEY --exposed-at 2024-09-12T03:00:00Z
check "usage: the foreign address" has "$T/usage-key.rem" "45.155.205.9"
check "usage of the token: the same document" \
	same usage-pat ada usage --format json $PAT --exposed-at 2024-09-12T03:00:00Z
check "usage: the push" has "$T/usage-pat.rem" "github:git.push"
check "usage of the key: the same text" \
	same usage-key-text ada usage $KEY --exposed-at 2024-09-12T03:00:00Z
check "usage text: new after exposure" has "$T/usage-key-text.rem" "[new after exposure]"
check "usage of the token: the same text" \
	same usage-pat-text ada usage $PAT --exposed-at 2024-09-12T03:00:00Z
check "usage of the identity: the same text" \
	same usage-id-text ada usage arn:aws:iam::777788889999:user/ci-deploy
check "blast: the same document" same blast ada blast --format json $KEY
for env in dev staging prod; do
	check "blast: deploy-$env depends on the key" has "$T/blast.rem" \
		"github:acme/platform:deploy-$env"
done
check "blast: the same text" same blast-text ada blast $KEY
check "blast of the token: the same text" same blast-pat ada blast $PAT --exposed-at 2024-09-12T03:00:00Z
check "blast --limit 1: the same text" same blast-limit ada blast --limit 1 $KEY $PAT
check "blast of the identity: the same text" \
	same blast-id ada blast arn:aws:iam::777788889999:user/ci-deploy
check "blast --limit 1 --format json: the same document" \
	same blast-limit-json ada blast --limit 1 --format json $KEY
check "show: the same document" same show ada show --format json $KEY
check "show: the same text" same show-text ada show $KEY
check "show of the identity: the same text" \
	same show-id ada show arn:aws:iam::777788889999:user/ci-deploy
check "timeline: the same document" same timeline ada timeline --format json $KEY
check "timeline: the same text" same timeline-text ada timeline $KEY $PAT
check "an unknown reference: the same words, exit 1" \
	same unknown ada usage --format json AKIANOSUCHKEY0000000
check "an unknown reference: the nearest named" has "$T/unknown.rem.err" "nearest"

check "declare, with the finding and the token" \
	same declare rory incident declare --title "CI secrets harvested by a pull-request workflow" \
	--severity high --lead lena --finding 1 --seed $PAT --exposed-at 2024-09-12T03:00:00Z
check "declare: INC-1" has "$T/declare.rem" "INC-1 declared"
check "incident list" same list ada incident list
check "incident show --format json" same show-inc ada incident show INC-1 --format json
check "incident show: the same text" same show-inc-text ada incident show INC-1
check "scope" same scope ada incident scope INC-1
check "a responder may not move the incident: exit 5" \
	same refused rory incident state INC-1 investigating
check "refused: exit 5" exits 5 rem rory incident state INC-1 investigating
check "a read token may not write: exit 5" exits 5 rem rory-read note INC-1 "read only"
check "the lead moves it" same state lena incident state INC-1 investigating
check "a note" same note rory note INC-1 "the workflow ran on a fork's pull request"
check "a task" same task lena task INC-1 add "disable pull_request_target" --owner rory
check "the tasks" same tasks ada task INC-1
check "evidence, uploaded" same evidence rory evidence add INC-1 $S/trufflehog.jsonl --source "the scanner"
# evidence from a pipe: sent chunked, as it comes
loc rory evidence add INC-1 - --source "a pipe" <$S/inventory.jsonl >"$T/evp.loc"
check "evidence from a pipe, sent chunked" \
	exits 0 env NHIR_SERVER="$URL" NHIR_TOKEN="$(cat "$T/tok.rory")" sh -c \
	'cat "$0" | "$1" evidence add INC-1 - --source "a pipe"' \
	$S/inventory.jsonl "$NHIR"
check "evidence from a pipe: the same answer" cmp "$T/evp.loc" "$T/last.out"
check "evidence list" same evidence-list ada evidence list INC-1
check "incident show, with its record" same show-inc-record ada incident show INC-1
check "incident show: what keeps it open" has "$T/show-inc-record.rem" "to close: "
check "the task done" same task-done rory task INC-1 done 1

check "the plan, built by the lead" same plan lena plan INC-1
check "the plan: the same document" same plan-json ada plan --format json INC-1
cp "$T/plan-json.rem" "$T/plan.json"
check "plan: every store rotated before any redeploy" json "$T/plan.json" \
	"max(s['step'] for s in d['steps'] if s['action'] == 'generic.rotate-secret') < min(s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload')"
check "plan: every redeploy before the key dies" json "$T/plan.json" \
	"max(s['step'] for s in d['steps'] if s['action'] == 'generic.redeploy-workload' and s['target'].startswith('github:acme/platform:deploy-')) < [s['step'] for s in d['steps'] if s['action'] == 'aws.deactivate-access-key'][0]"
check "plan: each deployment checked" json "$T/plan.json" \
	"sorted(s['target'] for s in d['steps'] if s['action'] == 'generic.check-deployment-integrity') == ['github:acme/platform:deploy-dev', 'github:acme/platform:deploy-prod', 'github:acme/platform:deploy-staging', 'github:acme/platform:release']"
check "plan: the token revoked" json "$T/plan.json" \
	"any(s['action'] == 'github.revoke-credential' and s['target'] == '$PAT' for s in d['steps'])"

# the lead's edits of the plan, on the server's catalog
check "plan edit add: the same" same plan-add lena plan edit INC-1 add \
	generic.notify-owner arn:aws:iam::777788889999:user/ci-deploy
check "plan edit add: the step named" has "$T/plan-add.rem" " added"
added=$(sed -n 's/^INC-1: step \([0-9]*\) added$/\1/p' "$T/plan-add.rem")
check "plan edit skip: the same" \
	same plan-skip lena plan edit INC-1 skip "$added" --why "told by phone"
check "plan edit skip: said so" has "$T/plan-skip.rem" "step $added skipped"
check "plan edit move without --before: usage alike" \
	same plan-move-usage lena plan edit INC-1 move 2
check "plan edit move of an unknown step: refused alike" \
	same plan-move-unknown lena plan edit INC-1 move 999 --before 1
check "plan edit by a responder: refused alike" \
	same plan-edit-rory rory plan edit INC-1 skip 1 --why no
check "plan edit by a responder: exit 5" \
	exits 5 rem rory plan edit INC-1 skip 1 --why no
check "the plan after the edits: the same document" \
	same plan-json2 ada plan --format json INC-1
cp "$T/plan-json2.rem" "$T/plan.json"
check "the plan after the edits: the step skipped" json "$T/plan.json" \
	"[s for s in d['steps'] if s['step'] == $added][0]['status'] == 'skipped'"

# four eyes: two approvers, two tokens
check "the proposer may not approve her plan" \
	same proposer lena approve INC-1 1 --why "mine"
check "approve --all by alex" same approve-alex alex approve INC-1 --all --why reviewed
check "approved by alex, named by the token" has "$T/approve-alex.rem" \
	"approved by alex"
check "alex again: nothing waits for him" exits 0 rem alex approve INC-1 --all --why again
steps=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['steps']))" "$T/plan.json")
rem ada plan --format json INC-1 >"$T/one.json"
check "one approval: every step short of the second" json "$T/one.json" \
	"all(s['approvals'] == 1 for s in d['steps'] if s['approvals_needed'] == 2)"
check "a rejection by ben" same reject-ben ben reject INC-1 1 --why "wait"
check "ben withdraws it: the same" \
	same withdraw-ben ben reject --withdraw INC-1 1 --why "answered"
check "withdrawn, named by the token" has "$T/withdraw-ben.rem" \
	"INC-1: ben withdrew the rejection of step 1"
check "a withdrawal by another: refused alike" \
	same withdraw-alex alex reject --withdraw INC-1 1 --why "not mine"
check "approve --all by ben" same approve-ben ben approve INC-1 --all --why "second pair of eyes"
rem ada plan --format json INC-1 >"$T/two.json"
check "two approvals from two tokens" json "$T/two.json" \
	"all(s['approvals'] >= s['approvals_needed'] for s in d['steps'])"
check "execute --connectors: refused, the server's are used" \
	exits 1 rem rory execute INC-1 1 --connectors /dev/null
check "execute: the dry run, the same" same dry-run rory execute INC-1 1
check "execute: the dry run said so" has "$T/dry-run.rem" "(dry run: add --confirm"
check "execute --format json: the dry run, the same" \
	same dry-run-json rory execute INC-1 1 --format json
check "an approver cannot execute: refused alike" same exec-alex alex execute INC-1 1 --confirm
# the plan carried out step by step by rory, on the server through its
# connectors and on the file through the same: the same text each time;
# the first as the next step ready, chosen by each side's library
check "execute --next: the dry run, the same" same next-dry rory execute INC-1 --next
check "execute --next: step 1 is next" has "$T/next-dry.rem" "INC-1 step 1: dry-run"
check "execute --next --confirm: the same" same exec-1 rory execute INC-1 --next --confirm
check "execute --next --resolve: usage alike" \
	same next-resolve lena execute INC-1 --next --resolve done --why x
s=2
while [ $s -le "$steps" ]; do
	check "execute step $s: the same" same "exec-$s" rory execute INC-1 $s --confirm
	s=$((s + 1))
done
check "a step run: its answer kept as evidence" has "$T/exec-1.rem" \
	"connector output kept as evidence"
check "execute --resolve on a step not interrupted: refused alike" \
	same resolve lena execute INC-1 1 --resolve done --why "ran twice?"
check "execute --next with nothing left: the same" \
	same next-none rory execute INC-1 --next --confirm
check "verify: the same" same verify rory verify INC-1
check "verify: every revocation verified" has "$T/verify.rem" " verified, 0 still work"
check "verify --format json: the same" same verify-json rory verify INC-1 --format json
check "contain status: the same" same contain ada contain status INC-1
check "contained" has "$T/contain.rem" "contained: no residual access"
check "contain status --format json" same contain-json ada contain status INC-1 --format json

rem ada report INC-1 --format json >"$T/report.json"
check "report: NHI8 named" json "$T/report.json" \
	"any(t['id'] == 'NHI8:2025' for t in d['framework']['owasp_nhi_2025'])"
check "report: recovery met" json "$T/report.json" \
	"[c for c in d['framework']['nist_csf_2'] if c['id'] == 'RC.RP-01'][0]['status'] == 'met'"
# signed by the caller's key from the server's report; written with -o
loc ada report keygen "$T/sign.key" >/dev/null
check "report --sign against the server" \
	exits 0 rem lena report INC-1 --format json --sign "$T/sign.key"
cp "$T/last.out" "$T/signed.json"
check "report --sign: the server's audit head is not checkpointed here" \
	has "$T/last.err" "not checkpointed"
check "report --sign: the signature verifies with the key" \
	exits 0 env NHIR_DB="$SRV_DB" "$NHIR" report verify "$T/signed.json" \
	--key "$T/sign.key.pub"
check "report --sign: the server's report, signed" json "$T/signed.json" \
	"d['report']['incident']['id'] == 'INC-1' and d['signature']['algorithm'] == 'Ed25519'"
check "report --sign without json: usage alike" \
	same sign-md lena report INC-1 --sign "$T/sign.key"
check "report -o against the server" \
	exits 0 rem ada report INC-1 --format html -o "$T/report.html"
check "report -o: the HTML written" has "$T/report.html" "INC-1"
check "report -o: said where" has "$T/last.err" "report written to $T/report.html"
check "report -o over an existing file: refused" \
	exits 1 rem ada report INC-1 --format html -o "$T/report.html"
check "report -o --force replaces it" \
	exits 0 rem ada report INC-1 --format md -o "$T/report.html" --force
check "report -o --force: markdown now" hasnt "$T/report.html" "<html"

# -- blast text with what ended and expired: the logs of t0610
check "ingest a directory of logs" same ingest-dir rory ingest cloudtrail $E
for at in 2024-05-01T10:22:00Z 2024-05-01T10:57:00Z 2024-05-01T11:30:00Z; do
	check "blast at $at: the same text, ended and expired marked" \
		same "blast-ended-$at" ada blast AKIAEXAMPLELEAKED001 --at $at
	check "blast at $at: the same document" \
		same "blast-ended-json-$at" ada blast --format json AKIAEXAMPLELEAKED001 --at $at
done
check "blast: the ended key named" has "$T/blast-ended-2024-05-01T11:30:00Z.rem" "[ended "
check "contain status at a time: the same" \
	same contain-at ada contain status INC-1 --at 2024-05-01T10:57:00Z

# -- who did what: the server's audit log names the token's user
rem ada audit log --format json >"$T/audit.json"
check "audit: declared by rory" json "$T/audit.json" \
	"any(e['action'] == 'incident.declare' and e['actor'] == 'rory' for e in d['entries'])"
check "audit: approvals by alex and by ben" json "$T/audit.json" \
	"{e['actor'] for e in d['entries'] if e['action'] == 'approve'} >= {'alex', 'ben'}"
check "audit: the refusal under rory" json "$T/audit.json" \
	"any(e['action'] == 'denied' and e['actor'] == 'rory' for e in d['entries'])"
check "audit log text: the same lines as its document" exits 0 rem ada audit log
check "audit verify: intact" exits 0 rem ada audit verify
check "audit verify: said so" has "$T/last.out" "audit log intact: "
check "audit verify --format json" exits 0 rem ada audit verify --format json
check "audit verify --format json: intact" json "$T/last.out" "d['intact']"
check "token list: no token's value" exits 0 rem ada token list
check "token list: not a value in it" hasnt "$T/last.out" "$(cat "$T/tok.rory")"

# -- refusals
check "--as is refused against a server: exit 2" exits 2 rem ada --as lena incident list
check "--as: said why" has "$T/last.err" "--as is refused against a server"
check "a bad token: exit 5" \
	exits 5 env -u NHIR_DB NHIR_SERVER="$URL" NHIR_TOKEN=nhir_bogus "$NHIR" incident list
check "a bad token: the server and request named" has "$T/last.err" "$URL"
check "plain http off loopback is refused" \
	exits 2 env -u NHIR_DB NHIR_SERVER=http://192.0.2.1:8470 NHIR_TOKEN=x "$NHIR" incident list
check "a server that does not answer: exit 1, named" \
	exits 1 env -u NHIR_DB NHIR_SERVER=http://127.0.0.1:9 NHIR_TOKEN=x "$NHIR" incident list
check "user add: the same" same user-add ada user add zoe --role observer
check "user set --role: the same" same user-set ada user set zoe --role responder
check "user set --deactivate: the same" same user-off ada user set zoe --deactivate
check "user add by a lead: refused alike" same user-add-lena lena user add zed --role admin
check "user add by a lead: exit 5" exits 5 rem lena user add zed --role admin
check "user list --format json: the same" same user-list ada user list --format json
check "user list: zoe a responder, inactive" json "$T/user-list.rem" \
	"[(u['role'], u['active']) for u in d['users'] if u['name'] == 'zoe'] == [('responder', False)]"
check "user passwd is not offered: named" exits 1 rem ada user passwd zoe
check "user passwd: the refusal says so" has "$T/last.err" "not offered by the server"

# -- nhir login, nhir logout
check "login with a bad token: exit 5, nothing kept" \
	exits 5 sh -c 'echo nhir_bogus | "$0" login --token-stdin "$1"' "$NHIR" "$URL"
check "no file after a refused login" test ! -e "$T/config/nhir/login"
check "login" exits 0 sh -c '"$0" login "$1" <"$2"' "$NHIR" "$URL" "$T/tok.lena"
check "login: as lena" has "$T/last.out" "as lena"
check "login: the file is 0600" test "$(stat -c %a "$T/config/nhir/login")" = 600
check "login: the directory is 0700" test "$(stat -c %a "$T/config/nhir")" = 700
check "after login, commands go to the server" \
	exits 0 env -u NHIR_DB "$NHIR" incident list
check "after login: the incident listed" has "$T/last.out" "INC-1"
check "after login, --db works on a file" exits 0 env -u NHIR_DB "$NHIR" --db "$LOC_DB" --as ada incident list
chmod 644 "$T/config/nhir/login"
check "a login file others may read is refused" exits 1 env -u NHIR_DB "$NHIR" incident list
chmod 600 "$T/config/nhir/login"
check "logout" exits 0 "$NHIR" logout
check "logout: the file is gone" test ! -e "$T/config/nhir/login"
check "no token on the server's log" hasnt "$T/srv.err" "$(cat "$T/tok.lena")"

done_testing
