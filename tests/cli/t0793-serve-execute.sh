#!/bin/sh
# nhir serve: containment over HTTP.  Plan steps run through the
# server's connectors (a simulated provider started by the connector
# itself), dry runs, four eyes with two tokens, verification by probes,
# the lead's plan edits, and each change on the audit log by the
# token's user.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}

export FAKE_STATE="$T/provider.json"
unset NHIR_CONNECTORS
"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

for u in "lena lead" "rory responder" "alex approver" "ben approver" "olga observer"; do
	set -- $u
	"$NHIR" user add "$1" --role "$2" >/dev/null
	eval "$(echo "$1" | tr a-z A-Z)=\$(\"\$NHIR\" token create --user $1 2>/dev/null)"
done
ROREAD=$("$NHIR" token create --user rory --scope read 2>/dev/null)
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
"$NHIR" --as rory incident declare --title "deploy key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" --as lena incident scope INC-1 confirm ASIAEXAMPLECHAINED AKIAEXAMPLEBACKDOOR >/dev/null
I=/api/v1/incidents/INC-1

# post NAME TOKEN PATH JSON
post() {
	req "$1" -X POST -H "Authorization: Bearer $2" \
		-H 'Content-Type: application/json' --data-binary "$4" "$URL$3"
}
# field NAME KEY: a member of the JSON document NAME
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T/$1.body" "$2"
}
# stepof NAME ACTION TARGET: the step of ACTION on TARGET ("-": none)
stepof() {
	python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if s["action"] == sys.argv[2] and (s["target"] or "-") == sys.argv[3]:
        print(s["step"]); break' "$T/$1.body" "$2" "$3"
}
# status NAME STEP: a step's status in the plan document NAME
status() {
	python3 -c '
import json, sys
print([s["status"] for s in json.load(open(sys.argv[1]))["steps"] if s["step"] == int(sys.argv[2])][0])' "$T/$1.body" "$2"
}

# a server without connectors refuses to run anything
check "a server without connectors starts" start_server --catalog catalog/actions.yaml
post build "$LENA" $I/plan '{}'
check "the lead builds the plan" code build 201
post noconn "$RORY" $I/steps/1/execute '{"confirm":true}'
check "no connectors: 409" code noconn 409
check "saying the server has none" has "$T/noconn.body" "this server has no connectors"
check "as problem+json" problem noconn 409 NHIR_ECONFLICT
cp "$T/noconn.meta" "$T/noconn.meta.keep"

printf 'version: 1\nconnectors: [\n' >"$T/bad.yaml"
check "connectors that do not load keep the server from starting" exits 1 \
	"$NHIR" serve --listen 127.0.0.1:0 --connectors "$T/bad.yaml"
check "naming the file" has "$T/last.err" "bad.yaml"

check "the server starts with connectors" start_server --catalog catalog/actions.yaml \
	--connectors examples/connectors/simulated.yaml
req plan -H "Authorization: Bearer $OLGA" "$URL$I/plan"
PRES=$(stepof plan generic.preserve-evidence -)
ROT=$(stepof plan generic.rotate-secret github:acme/payments-api:secret:AWS_ACCESS_KEY_ID)
DEACT=$(stepof plan aws.deactivate-access-key AKIAEXAMPLEDEPLOY01)
DEL=$(stepof plan aws.delete-access-key AKIAEXAMPLEDEPLOY01)
check "the plan has the steps" test -n "$PRES" -a -n "$ROT" -a -n "$DEACT" -a -n "$DEL"

# the dry run: what would be sent, nothing run
post dry "$RORY" $I/steps/$PRES/execute '{}'
check "a dry run by default: 200" code dry 200
check "status dry-run" test "$(field dry status)" = dry-run
check "the request the connector would get" has "$T/dry.body" 'would send to simulated: {'
check "with dry_run in it" has "$T/dry.body" '\"dry_run\":true'
post dry2 "$RORY" $I/steps/$PRES/execute '{"confirm":false}'
check "confirm false is a dry run too" test "$(field dry2 status)" = dry-run
req plan -H "Authorization: Bearer $OLGA" "$URL$I/plan"
check "and nothing ran" test "$(status plan "$PRES")" = planned
check "the provider was not called" test ! -e "$FAKE_STATE"

# who may run a step
post ro "$ROREAD" $I/steps/$PRES/execute '{"confirm":true}'
check "a read token may not run a step: 403" code ro 403
post obs "$OLGA" $I/steps/$PRES/execute '{"confirm":true}'
check "an observer may not: 403" code obs 403
check "as problem+json" problem obs 403 NHIR_EDENIED
post early "$RORY" $I/steps/$ROT/execute '{"confirm":true}'
check "a step whose predecessors are not done: 409" code early 409
check "naming what it waits for" has "$T/early.body" "waits for step"

# bad bodies
post b1 "$RORY" $I/steps/$PRES/execute '{"confirm":"yes"}'
check "confirm that is not a boolean: 400" code b1 400
check "naming the field" has "$T/b1.body" "field 'confirm'"
post b2 "$RORY" $I/steps/$PRES/execute '{"confirm":true,"as":"lena"}'
check "an unknown field (no claimed identity): 400" code b2 400
post b3 "$LENA" $I/steps/$PRES/execute '{"resolve":"done"}'
check "resolve without why: 400" code b3 400
check "naming why" has "$T/b3.body" "field 'why' is missing"
post b4 "$LENA" $I/steps/$PRES/execute '{"resolve":"maybe","why":"x"}'
check "resolve that is not done or retry: 400" code b4 400
post b5 "$LENA" $I/steps/$PRES/execute '{"resolve":"done","why":"x","confirm":true}'
check "resolve with confirm: 400" code b5 400
post b6 "$RORY" $I/steps/$PRES/execute '{"why":"x"}'
check "why without resolve: 400" code b6 400
post b7 "$RORY" $I/steps/$PRES/execute '{"confirm":true'
check "JSON cut short: 400" code b7 400
check "naming the byte" has "$T/b7.body" "byte"
req b8 -X POST -H "Authorization: Bearer $RORY" -H 'Content-Type: text/plain' \
	--data-binary 'confirm' "$URL$I/steps/$PRES/execute"
check "a body that is not JSON: 415" code b8 415
post b9 "$RORY" /api/v1/incidents/INC-9/steps/1/execute '{}'
check "no such incident: 404" code b9 404
post b10 "$RORY" $I/steps/999/execute '{}'
check "no such step: 404" code b10 404
post notint "$LENA" $I/steps/$PRES/execute '{"resolve":"done","why":"it ran"}'
check "resolving a step that was not interrupted: 409" code notint 409

# running the plan, in order, with four eyes where needed
post run1 "$RORY" $I/steps/$PRES/execute '{"confirm":true}'
check "the responder runs the first step: 200" code run1 200
check "done" test "$(field run1 status)" = done
check "the connector's answer kept as evidence" test -n "$(field run1 evidence)"
post again "$RORY" $I/steps/$PRES/execute '{"confirm":true}'
check "a step done already does nothing" test "$(field again status)" = done
check "and says so" has "$T/again.body" "already done"
req plan -H "Authorization: Bearer $OLGA" "$URL$I/plan"
# every step but the rotation and the delete approved: by alex, and by
# ben too where two are needed
for s in $(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if s["approvals_needed"] and s["step"] not in (int(sys.argv[2]), int(sys.argv[3])):
        print(s["step"], s["approvals_needed"])' "$T/plan.body" "$ROT" "$DEL" | tr ' ' :); do
	post "ap$s" "$ALEX" $I/steps/${s%:*}/approve '{"why":"reviewed"}'
	[ "${s#*:}" -ge 2 ] && post "bp$s" "$BEN" $I/steps/${s%:*}/approve '{"why":"agreed"}'
done
post self "$LENA" $I/steps/$DEL/approve '{"why":"mine"}'
check "the proposer may not approve: 403" code self 403
post del1 "$ALEX" $I/steps/$DEL/approve '{"why":"burned"}'
post del1b "$ALEX" $I/steps/$DEL/approve '{"why":"burned, really"}'
# runall BELOW: runs the planned steps before step BELOW, in order
runall() {
	for s in $(python3 -c '
import json, sys
for s in json.load(open(sys.argv[1]))["steps"]:
    if s["step"] < int(sys.argv[2]) and s["status"] == "planned":
        print(s["step"])' "$T/plan.body" "$1"); do
		post "run$s" "$RORY" $I/steps/$s/execute '{"confirm":true}'
		[ "$(cat "$T/run$s.code")" = 200 ] || echo "# step $s: $(cat "$T/run$s.body")"
	done
	req plan -H "Authorization: Bearer $OLGA" "$URL$I/plan"
}
runall "$ROT"
post unappr "$RORY" $I/steps/$ROT/execute '{"confirm":true}'
check "a step without its approval: 409" code unappr 409
check "saying it needs approval" has "$T/unappr.body" "needs 1 approval"
post aprot "$ALEX" $I/steps/$ROT/approve '{"why":"reviewed"}'
check "alex approves it" code aprot 200
runall "$DEL"
check "the steps before the delete ran" test "$(cat "$T/run$DEACT.code")" = 200
post onekey "$RORY" $I/steps/$DEL/execute '{"confirm":true}'
check "one approver twice is not two: 409" code onekey 409
check "it counts the approvals" has "$T/onekey.body" "approv"
post del2 "$BEN" $I/steps/$DEL/approve '{"why":"agreed"}'
check "a second approver, with their own token" code del2 200
post rundel "$RORY" $I/steps/$DEL/execute '{"confirm":true}'
check "two approvers: the delete runs" code rundel 200
check "done" test "$(field rundel status)" = done

# verification by probes
post ver "$RORY" $I/verify ''
check "verify: 200" code ver 200
check "probes ran" test "$(field ver probed)" -ge 1
check "the key's revocation is verified" has "$T/ver.body" '"node":"AKIAEXAMPLEDEPLOY01","state":"verified"'
post verx "$RORY" $I/verify '{"all":true}'
check "verify takes no field: 400" code verx 400
post vero "$OLGA" $I/verify '{}'
check "an observer may not verify: 403" code vero 403

check "each run is on the record, by its token's user" sh -c '"$0" audit log --incident INC-1 --format json | python3 -c "
import json, sys
by = [(e[\"action\"], e[\"actor\"]) for e in json.load(sys.stdin)[\"entries\"]]
assert (\"execute\", \"rory\") in by, by
assert (\"approve\", \"ben\") in by and (\"approve\", \"alex\") in by, by
assert (\"denied\", \"olga\") in by, by
assert not [a for a in by if a[1] == \"tester\"], by
"' "$NHIR"
check "no token in the server's log" sh -c '! grep -q "nhir_" "$0/srv.err"' "$T"
check "the audit chain is intact" "$NHIR" audit verify

# the lead's plan edits (a second incident, nothing run)
"$NHIR" --as rory incident declare --title "second" --severity high \
	--lead lena --seed AKIAEXAMPLEBACKDOOR >/dev/null
J=/api/v1/incidents/INC-2
post build2 "$LENA" $J/plan '{}'
check "a second plan" code build2 201
N=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$T/build2.body")
post add "$LENA" $J/plan/edit '{"op":"add","action":"generic.notify-owner","target":"team-payments","after":1}'
check "the lead adds a step: 200" code add 200
check "the answer names the step added" test "$(field add step)" = 2
check "the plan has one more" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$T/add.body")" = $((N + 1))
post addr "$RORY" $J/plan/edit '{"op":"add","action":"generic.notify-owner","target":"team-payments"}'
check "a responder may not edit the plan: 403" code addr 403
post adds "$LENA" $J/plan/edit '{"op":"add","action":"no.such-action"}'
check "an action not in the catalog: 404" code adds 404
post skip "$LENA" $J/plan/edit '{"op":"skip","step":2,"why":"owner already told"}'
check "the lead skips a step" code skip 200
check "skipped" test "$(status skip 2)" = skipped
post skipw "$LENA" $J/plan/edit '{"op":"skip","step":3}'
check "a skip without why: 400" code skipw 400
check "naming why" has "$T/skipw.body" "field 'why' is missing"
post skipb "$LENA" $J/plan/edit '{"op":"skip","step":3,"why":"x","before":1}'
check "a field the op does not take: 400" code skipb 400
check "naming it" has "$T/skipb.body" "field 'before' does not go with op 'skip'"
post opx "$LENA" $J/plan/edit '{"op":"delete","step":3}'
check "an op that is not add, skip or move: 400" code opx 400
post stepx "$LENA" $J/plan/edit '{"op":"move","step":0,"before":1}'
check "a step below 1: 400" code stepx 400
post mv "$LENA" $J/plan/edit "{\"op\":\"move\",\"step\":$N,\"before\":1}"
check "a move that breaks an ordering constraint: 409" code mv 409
check "as problem+json" problem mv 409 NHIR_ECONFLICT

# the next step ready, as nhir execute INC --next
post nx "$RORY" $J/execute '{}'
check "the next step: its dry run, 200" code nx 200
check "the next step: chosen by the library (step 1)" test "$(field nx step)" = 1
check "the next step: a dry run" test "$(field nx status)" = dry-run
post nxr "$LENA" $J/execute '{"resolve":"done","why":"x"}'
check "a decision without a step: 400" code nxr 400
check "naming the field" has "$T/nxr.body" "field 'resolve' names a step"
post nxo "$OLGA" $J/execute '{}'
check "an observer may not run the next step: 403" code nxo 403

# a confirmation bound to what its dry run showed: the step and the
# digest of its request; anything else is refused and nothing runs
SHA=$(field nx request_sha256)
check "the dry run names its request's digest" sh -c 'echo "$0" | grep -Eqx "[0-9a-f]{64}"' "$SHA"
post nx2 "$RORY" $J/execute '{}'
check "the same digest for the same request" test "$(field nx2 request_sha256)" = "$SHA"
OTHER=$(printf 'another request' | sha256sum | cut -c1-64)
post be1 "$RORY" $J/execute '{"confirm":true,"step":1,"request_sha256":"abc"}'
check "a digest that is not 64 hex digits: 400" code be1 400
check "naming the field" has "$T/be1.body" "field 'request_sha256'"
post be2 "$RORY" $J/execute "{\"confirm\":true,\"request_sha256\":\"$(echo "$SHA" | tr a-f A-F)\"}"
check "in capitals: 400" code be2 400
post be3 "$RORY" $J/execute '{"confirm":true,"step":0}'
check "step 0: 400" code be3 400
post be4 "$LENA" $J/steps/1/execute '{"resolve":"done","why":"x","step":1}'
check "step with resolve: 400" code be4 400
check "naming it" has "$T/be4.body" "field 'step' does not go with 'resolve'"
post be5 "$RORY" $J/execute '{"confirm":true,"step":"1"}'
check "a step that is not a number: 400" code be5 400
post st2 "$RORY" $J/execute "{\"confirm\":true,\"step\":3,\"request_sha256\":\"$OTHER\"}"
check "the next step is not the one confirmed: 409" code st2 409
check "as problem+json" problem st2 409 NHIR_ECONFLICT
check "naming the field step" test "$(field st2 field)" = step
check "and the step next now" test "$(field st2 step)" = 1
check "saying nothing was run" has "$T/st2.body" "nothing was run"
post rq2 "$RORY" $J/execute "{\"confirm\":true,\"step\":1,\"request_sha256\":\"$OTHER\"}"
check "the same step with another request: 409" code rq2 409
check "naming the field request_sha256" test "$(field rq2 field)" = request_sha256
check "and the request's digest now" test "$(field rq2 request_sha256)" = "$SHA"
post rq3 "$RORY" $J/steps/1/execute "{\"confirm\":true,\"request_sha256\":\"$OTHER\"}"
check "by its number too: 409" code rq3 409
check "naming request_sha256" test "$(field rq3 field)" = request_sha256
req plan2 -H "Authorization: Bearer $OLGA" "$URL$J/plan"
check "nothing ran" test "$(status plan2 1)" = planned
check "the server's log says why" has "$T/srv.err" "not run, request_sha256 changed since the preview"
post bound "$RORY" $J/execute "{\"confirm\":true,\"step\":1,\"request_sha256\":\"$SHA\"}"
check "what was previewed runs: 200" code bound 200
check "step 1" test "$(field bound step)" = 1
check "done" test "$(field bound status)" = done
check "the request sent is the one previewed" test "$(field bound request_sha256)" = "$SHA"

# a rejection withdrawn by its author
post rej "$BEN" $J/steps/3/reject '{"why":"not yet"}'
check "ben rejects a step" code rej 200
post wd "$ALEX" $J/steps/3/reject '{"why":"not mine","withdraw":true}'
check "another may not withdraw it" test "$(cat "$T/wd.code")" != 200
post wd2 "$BEN" $J/steps/3/reject '{"why":"talked to the owner","withdraw":true}'
check "its author withdraws it" code wd2 200
post wd3 "$BEN" $J/steps/3/approve '{"why":"x","withdraw":true}'
check "withdraw with an approval: 400" code wd3 400
check "the edits are on the record, by the lead" sh -c '"$0" audit log --incident INC-2 --format json | python3 -c "
import json, sys
by = [(e[\"action\"], e[\"actor\"]) for e in json.load(sys.stdin)[\"entries\"]]
assert (\"plan.add\", \"lena\") in by, by
assert (\"plan.skip\", \"lena\") in by, by
"' "$NHIR"

check_answers "$T"

done_testing
