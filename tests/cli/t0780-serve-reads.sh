#!/bin/sh
# nhir serve: the command line's reads over HTTP (blast, usage,
# timeline, show, findings, route explain, audit verify, contain status,
# users, report).  Each answer is the very document 'nhir CMD --format
# json' prints on the same database; a reference nhir never saw is 404
# with the nearest known ids; query parameters are checked by name; a
# user who may not read is refused and the refusal audited.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

mkdir -p "$T/ans"
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null 2>&1
"$NHIR" findings import generic tests/data/findings/generic.jsonl >/dev/null 2>&1
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add olga --role observer >/dev/null
"$NHIR" user add dora --role observer >/dev/null
OLGA=$("$NHIR" token create --user olga --scope read 2>/dev/null)
DORA=$("$NHIR" token create --user dora --scope read 2>/dev/null)
"$NHIR" user set dora --deactivate >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena task INC-1 add "rotate the key" --owner rory >/dev/null
printf 'gist snapshot\n' >"$T/gist.txt"
"$NHIR" --as rory evidence add INC-1 "$T/gist.txt" --source "https://gist.example/1" >/dev/null
"$NHIR" serve --routes >"$T/routes"
KEY=AKIAEXAMPLEDEPLOY01
WHO=arn:aws:iam::111122223333:user/ci-deployer
AT=2024-05-01T12:00:00Z

# get NAME PATH [TOKEN]: a read, kept for the description check.
get() {
	req "$1" -H "Authorization: Bearer ${3:-$OLGA}" "$URL$2"
	cp "$T/$1.meta" "$T/$1.body" "$T/ans/" 2>/dev/null
}
# same NAME CLI-ARGS...: the answer NAME is 200, byte for byte what
# 'nhir CLI-ARGS' prints (its newline aside), as olga.
same() {
	name=$1
	shift
	code "$name" 200 || return 1
	"$NHIR" --as olga "$@" >"$T/$name.cli" || [ $? = 3 ] || return 1
	printf '\n' | cat "$T/$name.body" - | cmp - "$T/$name.cli"
}
# enc STRING: percent-encoded for a query
enc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"
}

check "the server starts" start_server --policy policy/routing.yaml

get blast "/api/v1/blast?ref=$KEY&at=$AT"
check "blast: the CLI's document" same blast blast --format json --at $AT $KEY
get blast2 "/api/v1/blast?ref=$KEY&ref=$(enc "$WHO")&at=$AT&exposed_at=2024-04-30T00:00:00Z&depth=2&limit=1"
check "blast of two seeds, with every option" same blast2 blast --format json \
	--at $AT --exposed-at 2024-04-30T00:00:00Z --depth 2 --limit 1 $KEY "$WHO"
get usage "/api/v1/usage?ref=$KEY"
check "usage: the CLI's document" same usage usage --format json $KEY
get usage_id "/api/v1/usage?ref=$(enc "$WHO")&since=2024-01-01T00:00:00Z&all=true"
check "usage of an identity in a window" same usage_id usage --format json \
	--since 2024-01-01T00:00:00Z --all "$WHO"
get timeline "/api/v1/timeline?ref=$KEY"
check "timeline: the CLI's document" same timeline timeline --format json $KEY
check "with events" has "$T/timeline.body" '"events":[{'
get node "/api/v1/node?ref=$(enc "$WHO")"
check "show: the CLI's document" same node show --format json "$WHO"
get findings "/api/v1/findings"
check "findings list: the CLI's document" same findings findings list --format json
get findings_all "/api/v1/findings?all=true"
check "with all" same findings_all findings list --format json --all
get triage "/api/v1/triage"
check "triage: the CLI's document" same triage triage --format json
get finding "/api/v1/findings/1"
check "one finding" same finding findings show --format json 1
get nofinding "/api/v1/findings/99"
check "no such finding: 404" code nofinding 404
get explain "/api/v1/findings/1/route"
check "route explain: the CLI's document" same explain route explain 1 --format json \
	--policy policy/routing.yaml
get verify "/api/v1/audit/verify"
check "audit verify: the CLI's document" same verify audit verify --format json
check "intact" has "$T/verify.body" '"intact":true'
get contain "/api/v1/incidents/INC-1/contain?at=$AT"
check "contain status: the CLI's document" same contain contain status INC-1 --format json --at $AT
get nocontain "/api/v1/incidents/INC-7/contain"
check "contain of no such incident: 404" code nocontain 404
get users "/api/v1/users"
check "users: the CLI's document" same users user list --format json
check "the deactivated one listed as such" has "$T/users.body" '"name":"dora","role":"observer","active":false'

get scope "/api/v1/incidents/INC-1/scope"
check "scope: the CLI's document" same scope incident scope INC-1 --format json
get tasks "/api/v1/incidents/INC-1/tasks"
check "tasks: the CLI's document" same tasks task INC-1 --format json
get evidence "/api/v1/incidents/INC-1/evidence"
check "evidence: the CLI's document" same evidence evidence list INC-1 --format json
check "with its hash" has "$T/evidence.body" '"sha256":"'
get noevidence "/api/v1/incidents/INC-8/evidence"
check "evidence of no such incident: 404" code noevidence 404
get notasks "/api/v1/incidents/INC-8/tasks"
check "tasks of no such incident: 404" code notasks 404

# the report: JSON, Markdown and HTML, by ?format= or Accept
get report "/api/v1/incidents/INC-1/report?at=$AT"
check "report: JSON by default" code report 200
check "as application/json" test "$(header report content-type)" = application/json
"$NHIR" --as olga report INC-1 --format json --at $AT >"$T/report.cli"
# each reading of a report is on the audit log, and so in the next one
check "the CLI's report but for the reading of the other" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d["timeline"] = [e for e in d["timeline"] if e["action"] != "report"]
    for f in d["framework"]["nist_csf_2"]:
        if f["id"] == "RS.AN-06":
            f["facts"] = "audit entries"
assert a == b, (a, b)
assert a["generated_by"] == "olga", a["generated_by"]
' "$T/report.body" "$T/report.cli"
req report_md -H "Authorization: Bearer $OLGA" -H 'Accept: text/markdown' "$URL/api/v1/incidents/INC-1/report?at=$AT"
cp "$T/report_md.meta" "$T/report_md.body" "$T/ans/"
check "Markdown by Accept" sh -c 'head -1 "$0/report_md.body" | grep -q "^# "' "$T"
check "as text/markdown" has "$T/report_md.head" 'text/markdown'
"$NHIR" --as olga report INC-1 --at $AT >"$T/report_md.cli"
check "the CLI's Markdown but for the timeline" sh -c \
	'grep -v -e ": report$" -e "RS.AN-06" "$0/report_md.body" >"$0/a"; grep -v -e ": report$" -e "RS.AN-06" "$0/report_md.cli" >"$0/b"; cmp "$0/a" "$0/b"' "$T"
get report_html "/api/v1/incidents/INC-1/report?format=html&at=$AT"
check "HTML by ?format=" has "$T/report_html.body" '<!DOCTYPE html>'
check "as text/html" has "$T/report_html.head" 'text/html'
get report_bad "/api/v1/incidents/INC-1/report?format=pdf"
check "an unknown format: 400" code report_bad 400
check "naming the parameter" has "$T/report_bad.body" "parameter 'format'"
get report_none "/api/v1/incidents/INC-9/report"
check "report of no such incident: 404" code report_none 404
check "the reports read are on the audit log, as olga" sh -c \
	'"$0" audit log --format json | grep -q "\"actor\":\"olga\",\"action\":\"report\""' "$NHIR"

# references nhir never saw: 404, the library's words, the nearest ids
get unknown "/api/v1/blast?ref=AKIAEXAMPLEDEPLOY02"
check "an unknown reference: 404" code unknown 404
check "as problem+json" problem unknown 404 NHIR_ENOTFOUND
"$NHIR" blast AKIAEXAMPLEDEPLOY02 >/dev/null 2>"$T/unknown.cli"
head -1 "$T/unknown.cli" >"$T/unknown.cli.1"
check "in the words the CLI uses" sh -c \
	'python3 -c "import json,sys; print(\"nhir: error: \" + json.load(open(sys.argv[1]))[\"detail\"])" "$0/unknown.body" | cmp - "$1"' \
	"$T" "$T/unknown.cli.1"
check "with the nearest known ids" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ref"] == "AKIAEXAMPLEDEPLOY02", d
assert "AKIAEXAMPLEDEPLOY01" in d["nearest"], d
' "$T/unknown.body"
for what in usage timeline node; do
	get "unknown_$what" "/api/v1/$what?ref=AKIAEXAMPLEDEPLOY02"
	check "$what of an unknown reference: 404 with the nearest" sh -c \
		'grep -q "\"nearest\":\[[^]]*AKIAEXAMPLEDEPLOY01" "$0/unknown_$1.body"' "$T" "$what"
done

# query parameters are checked by name
get noref "/api/v1/blast"
check "blast without ref: 400" code noref 400
check "naming it" has "$T/noref.body" "parameter 'ref'"
get badat "/api/v1/blast?ref=$KEY&at=yesterday"
check "a bad time: 400 naming it" has "$T/badat.body" "parameter 'at' is not a time"
get baddepth "/api/v1/blast?ref=$KEY&depth=0"
check "a depth of 0: 400 naming it" has "$T/baddepth.body" "parameter 'depth'"
get badlimit "/api/v1/blast?ref=$KEY&limit=x"
check "a bad limit: 400" code badlimit 400
get extra "/api/v1/usage?ref=$KEY&as=lena"
check "a parameter the route does not take: 400" code extra 400
check "naming it" has "$T/extra.body" "parameter 'as' is not one this route takes"
get twice "/api/v1/usage?ref=$KEY&ref=$KEY"
check "usage takes one ref: 400" code twice 400
get twice3 "/api/v1/incidents/INC-1/contain?at=$AT&at=$AT"
check "a parameter given twice: 400" has "$T/twice3.body" "parameter 'at' is given more than once"
get badall "/api/v1/findings?all=yes"
check "all is true or false" has "$T/badall.body" "parameter 'all' is not true or false"

# who may read: every active user; a deactivated user's token is
# refused before any read, and the refusal is on the audit log
get dora_blast "/api/v1/blast?ref=$KEY" "$DORA"
check "a deactivated user may not read: 401" code dora_blast 401
check "saying why" has "$T/dora_blast.body" "dora, is deactivated"
check "refused on the audit log, naming the route" sh -c \
	'"$0" audit log --format json | grep -q "\"actor\":\"dora\",\"action\":\"denied\",\"incident\":null,\"detail\":{\"operation\":\"api.blast\""' "$NHIR"
check "the chain is intact" "$NHIR" audit verify
check "no token in the server's log" sh -c '! grep -qF -e "$1" -e "$2" "$0/srv.err"' "$T" "$OLGA" "$DORA"

check_answers "$T/ans"

done_testing
