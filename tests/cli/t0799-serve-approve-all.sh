#!/bin/sh
# nhir serve: POST /api/v1/incidents/INC/approve approves every step
# that awaits the caller's approval, step by step, four eyes kept by
# the library: the proposer's are refused, a standing rejection holds,
# a step already approved by the caller or with all it needs is left
# alone; an observer and a responder are refused; each approval and
# each refusal is on the audit log, by the token's user; the answers
# match doc/openapi.json.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

for u in "lena lead" "rory responder" "alex approver" "ben approver" "olga observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
	eval "$(echo "$1" | tr a-z A-Z)=\$(\"\$NHIR\" token create --user $1 2>/dev/null)"
done
AREAD=$("$NHIR" token create --user alex --scope read 2>/dev/null)
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
I=/api/v1/incidents/INC-1

# post NAME TOKEN PATH JSON
post() {
	req "$1" -X POST -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}
# tried NAME: each step tried, as "STEP:yes" or "STEP:no", in order
tried() {
	python3 -c '
import json, sys
print(" ".join("%d:%s" % (s["step"], "yes" if s["approved"] else "no")
               for s in json.load(open(sys.argv[1]))["steps"]))' "$T/$1.body"
}
# approvals NAME STEP: "APPROVALS/NEEDED" of a step in the answer's plan
approvals() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d.get("plan", d)
s = [s for s in d["steps"] if s["step"] == int(sys.argv[2])][0]
print("%d/%d" % (s["approvals"], s["approvals_needed"]))' "$T/$1.body" "$2"
}

check "the server starts" start_server --catalog catalog/actions.yaml
post build "$LENA" $I/plan '{}'
check "the lead builds the plan" code build 201
# the steps that need approvals, and the irreversible one that needs two
NEED=$(python3 -c '
import json, sys
print(" ".join(str(s["step"]) for s in json.load(open(sys.argv[1]))["steps"] if s["approvals_needed"]))' "$T/build.body")
TWO=$(python3 -c '
import json, sys
print([s["step"] for s in json.load(open(sys.argv[1]))["steps"] if s["approvals_needed"] == 2][0])' "$T/build.body")
check "some steps need approval, one of them two" test -n "$NEED" -a -n "$TWO"
WANT_ALL=$(for s in $NEED; do printf '%s:yes ' "$s"; done | sed 's/ $//')
WANT_NO=$(for s in $NEED; do printf '%s:no ' "$s"; done | sed 's/ $//')

# who may not
post obs "$OLGA" $I/approve '{"why":"looks fine"}'
check "an observer may not: 403" code obs 403
check "as problem+json" problem obs 403 NHIR_EDENIED
post resp "$RORY" $I/approve '{"why":"looks fine"}'
check "a responder may not: 403" code resp 403
check "the library's reason" has "$T/resp.body" "rory (responder) may not approve: approvers and leads do"
post ro "$AREAD" $I/approve '{"why":"looks fine"}'
check "a read token may not: 403" code ro 403

# the proposer: every step refused, and why
post lena "$LENA" $I/approve '{"why":"I need this done"}'
check "the proposer's request is answered: 200" code lena 200
check "every step awaiting approval was tried, none approved" test "$(tried lena)" = "$WANT_NO"
check "each refusal says why: four eyes" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["incident"] == "INC-1" and d["approver"] == "lena", d
for s in d["steps"]:
    assert "lena proposed the plan and may not approve its steps (four eyes)" in s["reason"], s
    assert s["action"], s
' "$T/lena.body"
check "nothing counts" test "$(approvals lena "$TWO")" = 0/2
check "a document of version 1, each refusal with the library's code" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 1, d
assert all(s["code"] == "NHIR_EDENIED" for s in d["steps"]), d["steps"]
' "$T/lena.body"
# the command line says the same from the database and from the server
check "nhir approve --all by the proposer, on the database: denied (5)" \
	exits 5 sh -c '"$0" --as lena approve INC-1 --all --why mine >"$1/lena.db.txt"' \
	"$NHIR" "$T"
check "each step left, saying why" has "$T/lena.db.txt" \
	"left: lena proposed the plan and may not approve its steps (four eyes)"
check "through the server: denied (5)" exits 5 sh -c \
	'NHIR_SERVER=$2 NHIR_TOKEN=$3 "$0" approve INC-1 --all --why mine \
	>"$1/lena.srv.txt"' "$NHIR" "$T" "$URL" "$LENA"
check "the same text" cmp "$T/lena.db.txt" "$T/lena.srv.txt"

# bad bodies
post b1 "$ALEX" $I/approve '{}'
check "no why: 400" code b1 400
check "naming the field" has "$T/b1.body" "field 'why' is missing"
post b2 "$ALEX" $I/approve '{"why":"x","steps":[1]}'
check "an unknown field: 400" code b2 400
post b3 "$ALEX" $I/approve '{"why":"x","ttl":0}'
check "a ttl below 1: 400" code b3 400
post b4 "$ALEX" $I/approve '{"why":"x"'
check "JSON cut short: 400" code b4 400
check "naming the byte" has "$T/b4.body" "byte"
req b5 -X POST -H "Authorization: Bearer $ALEX" -H 'Content-Type: text/plain' \
	--data-binary 'why' "$URL$I/approve"
check "a body that is not JSON: 415" code b5 415
post b6 "$ALEX" /api/v1/incidents/INC-9/approve '{"why":"x"}'
check "no such incident: 404" code b6 404
post b7 "$ALEX" $I/approve '{"why":"x","ttl":99999999}'
check "a ttl over a year: 400" code b7 400
req plan0 -H "Authorization: Bearer $OLGA" "$URL$I/plan"
check "none of them approved anything" test "$(approvals plan0 "$TWO")" = 0/2

# ben rejects the irreversible step first: his rejection stands
post rej "$BEN" $I/steps/$TWO/reject '{"why":"not before the owner answers"}'
check "ben rejects the irreversible step" code rej 200

# alex: every step that awaits him
post alex "$ALEX" $I/approve '{"why":"reviewed the plan"}'
check "alex approves all: 200" code alex 200
check "every step awaiting approval approved" test "$(tried alex)" = "$WANT_ALL"
check "the irreversible step has one of two" test "$(approvals alex "$TWO")" = 1/2
check "the answer carries the plan after" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert all(s["reason"] == "" for s in d["steps"]), d["steps"]
assert d["plan"]["steps"], d
' "$T/alex.body"
post alex2 "$ALEX" $I/approve '{"why":"again"}'
check "again: nothing awaits alex" test "$(tried alex2)" = ""
check "still one of two: one approver is one" test "$(approvals alex2 "$TWO")" = 1/2

# ben: only the irreversible step awaits him, and his rejection holds it
post ben "$BEN" $I/approve '{"why":"agreed"}'
check "ben approves all: 200" code ben 200
check "only the irreversible step was tried, and refused" test "$(tried ben)" = "$TWO:no"
check "saying his rejection stands" has "$T/ben.body" "ben rejected step $TWO (not before the owner answers); withdraw the rejection first"
check "a conflict, not a denial" python3 -c '
import json, sys
assert json.load(open(sys.argv[1]))["steps"][0]["code"] == "NHIR_ECONFLICT"
' "$T/ben.body"
post wd "$BEN" $I/steps/$TWO/reject '{"why":"the owner answered","withdraw":true}'
check "ben withdraws his rejection" code wd 200
post ben2 "$BEN" $I/approve '{"why":"agreed","ttl":3600}'
check "now it is approved" test "$(tried ben2)" = "$TWO:yes"
check "two of two: the second pair of eyes" test "$(approvals ben2 "$TWO")" = 2/2

check "each approval and refusal is on the record, by its token's user" sh -c '"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
es = json.load(sys.stdin)[\"entries\"]
by = [(e[\"action\"], e[\"actor\"]) for e in es]
n = int(sys.argv[1])
assert by.count((\"approve\", \"alex\")) == n, by
assert by.count((\"approve\", \"ben\")) == 1, by
assert by.count((\"denied\", \"lena\")) >= n, by
assert (\"denied\", \"rory\") in by and (\"denied\", \"olga\") in by, by
assert not [a for a in by if a[1] == \"tester\"], by
" "$1"' "$NHIR" "$(echo $NEED | wc -w)"
check "no token in the server's log" sh -c '! grep -q "nhir_" "$0/srv.err"' "$T"
check "the audit chain is intact" "$NHIR" audit verify

check_answers "$T"

done_testing
