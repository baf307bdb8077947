#!/bin/sh
# Answers that cannot be misread: a reference nhir has never seen is an
# error naming the nearest known ids, never "no events"; an identity
# stands for the credentials acting as it; timeline names its records.
. tests/cli/lib.sh

ct=examples/telemetry/cloudtrail
"$NHIR" init >/dev/null
"$NHIR" ingest cloudtrail $ct >/dev/null

for cmd in usage timeline show blast; do
	check "$cmd: a mistyped key is an unknown credential (exit 1)" \
		exits 1 "$NHIR" $cmd AKIAEXAMPLEDEPLOY0l
	check "$cmd: says so" has "$T/last.err" "unknown credential 'AKIAEXAMPLEDEPLOY0l'"
	check "$cmd: and names the nearest known id" has "$T/last.err" "  AKIAEXAMPLEDEPLOY01"
	check "$cmd: never 'no events'" hasnt "$T/last.out" "no events"
	check "$cmd: a lowercase key is unknown too" \
		exits 1 "$NHIR" $cmd akiaexampledeploy01
	check "$cmd: with the key it differs from by case" has "$T/last.err" "  AKIAEXAMPLEDEPLOY01"
done
check "nothing near: said so" exits 1 "$NHIR" usage zzzz-nothing-like-it
check "with what usage takes" has "$T/last.err" "no known id is near it"
check "json usage of an unknown key writes no JSON that reads as unused" \
	exits 1 "$NHIR" usage --format json AKIAEXAMPLEDEPLOY0l
check "stdout is empty" test ! -s "$T/last.out"
check "a known key still answers" exits 0 "$NHIR" usage AKIAEXAMPLEDEPLOY01

# an identity: the credentials that act as it, and their use
check "usage of an IAM user ARN" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:user/ci-deployer
check "lists the credentials acting as it" has "$T/last.out" \
	"arn:aws:iam::111122223333:user/ci-deployer: an identity; 2 credentials act as it"
check "with their use" has "$T/last.out" "8 events, 1 failed"
check "and what they minted" has "$T/last.out" "ASIAEXAMPLESESSION1  (issued by AKIAEXAMPLEDEPLOY01"
check "usage of a role ARN: its sessions" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:role/deploy
check "the session acting as the role" has "$T/last.out" "ASIAEXAMPLESESSION1"
check "json of an identity" sh -c \
	'"$NHIR" usage --format json arn:aws:iam::111122223333:user/ci-deployer | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"identity\"].endswith(\"user/ci-deployer\") and d[\"credentials\"][0][\"keys\"][0][\"key\"]==\"AKIAEXAMPLEDEPLOY01\" and d[\"credentials\"][0][\"keys\"][0][\"events\"]==8, d"'
check "timeline of an identity is its credentials' timeline" sh -c \
	'test "$("$NHIR" timeline arn:aws:iam::111122223333:user/ci-deployer | wc -l)" = "$("$NHIR" timeline AKIAEXAMPLEDEPLOY01 ASIAEXAMPLESESSION2 | wc -l)"'
printf '%s\n' '{"type":"node","kind":"identity","id":"arn:aws:iam::111122223333:user/auditor","name":"auditor"}' >"$T/inv.jsonl"
"$NHIR" import nhir "$T/inv.jsonl" >/dev/null
check "an identity no credential acts as says so" exits 0 \
	"$NHIR" usage arn:aws:iam::111122223333:user/auditor
check "plainly" has "$T/last.out" "no credential is known to act as it"

# Kubernetes users and Vault entities, as events name them
"$NHIR" ingest k8s-audit tests/data/k8s-audit/tokenrequest.jsonl >/dev/null
"$NHIR" ingest vault-audit tests/data/vault-audit/tokens.jsonl >/dev/null
check "a Kubernetes user as the audit log names it" exits 0 \
	"$NHIR" usage system:serviceaccount:ci:deployer
check "the credential acting as it" has "$T/last.out" "1 credential acts as it"
check "with its use" has "$T/last.out" "4 events, 1 failed"
check "a Vault entity: the tokens acting as it" exits 0 \
	"$NHIR" usage vault:entity:ent-ci
check "with their use" has "$T/last.out" "vault:hmac-sha256:"
check "a Vault name only events know, with no token" exits 0 \
	"$NHIR" usage vault:ci
check "is an identity no credential is known to act as" has "$T/last.out" "no credential is known to act as it"

# timeline names the file and byte offset; JSON gives the path
check "timeline text names file and offset" sh -c \
	'"$NHIR" timeline AKIAEXAMPLEDEPLOY01 >"$0/t.txt"' "$T"
check "each line has its file" sh -c \
	'test "$(grep -c "(examples/telemetry/cloudtrail/[a-z.-]*json[l]*, byte [0-9]*)$" "$0/t.txt")" = "$(wc -l <"$0/t.txt")"' "$T"
check "the offset is the record's" sh -c \
	'l=$(grep "iam:CreateUser" "$0/t.txt"); f=$(echo "$l" | sed "s/.*(\(.*\), byte \([0-9]*\))$/\1/"); o=$(echo "$l" | sed "s/.*, byte \([0-9]*\))$/\1/"); tail -c +$((o + 1)) "$f" | head -c 400 | grep -q "\"eventName\": *\"CreateUser\""' "$T"
check "timeline json gives the path" sh -c \
	'"$NHIR" timeline --format json AKIAEXAMPLEDEPLOY01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert all(e[\"path\"].startswith(\"examples/telemetry/cloudtrail/\") for e in d[\"events\"]), d"'

done_testing
