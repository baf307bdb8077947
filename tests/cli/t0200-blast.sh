#!/bin/sh
# nhir blast and nhir show on the example estate.
. tests/cli/lib.sh

"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
export NHIR_NOW=2024-05-01T12:00:00Z

check "blast text" sh -c '"$NHIR" blast AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >"$0/b.txt"' "$T"
check "live sessions listed, expired one as history only" sh -c \
	'grep -q "ASIAEXAMPLESESSION1" "$0/b.txt" &&
	 grep -q "^  ASIAEXAMPLEOLD.*\[expired " "$0/b.txt" &&
	 ! sed -n "/^Live derived/,/^$/p" "$0/b.txt" | grep -q ASIAEXAMPLEOLD' "$T"
check "session survives its parent" has "$T/b.txt" "[survives revocation of its parent]"
check "minted after exposure flagged" has "$T/b.txt" "[minted after exposure]"
check "admin path printed" has "$T/b.txt" "-assumes-> arn:aws:iam::111122223333:role/payments-admin -can(admin)-> aws:111122223333:*"
check "who breaks" has "$T/b.txt" "github:acme/payments-api:deploy"
check "who to call" has "$T/b.txt" "team-payments"

check "blast json" sh -c '"$NHIR" blast --format json AKIAEXAMPLEDEPLOY01 >"$0/b.json"' "$T"
check "json parses and has groups" sh -c \
	'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"counts\"][\"tokens\"]==2, d[\"counts\"]; assert d[\"groups\"][\"resources\"][0][\"privilege\"]==\"admin\"; assert d[\"groups\"][\"resources\"][0][\"path\"][0][\"ref\"]==\"AKIAEXAMPLEDEPLOY01\"" "$0/b.json"' "$T"
check "--at before the sessions" sh -c \
	'"$NHIR" blast --at 2024-04-30T00:00:00Z AKIAEXAMPLEDEPLOY01 | grep -qv ASIAEXAMPLESESSION1'
check "--depth 1 stops at the user" sh -c \
	'! "$NHIR" blast --depth 1 AKIAEXAMPLEDEPLOY01 | grep -q "role/deploy\""'
check "dot output" sh -c '"$NHIR" blast --format dot AKIAEXAMPLEDEPLOY01 | grep -q "^digraph blast"'
check "by display name" sh -c '"$NHIR" blast "ci-deployer key 1" | grep -q "Live derived tokens (2)"'
check "unknown ref is an error" exits 1 "$NHIR" blast NOSUCHKEY
check "error names the ref" has "$T/last.err" "unknown credential 'NOSUCHKEY'"
check "bad time is a usage error" exits 2 "$NHIR" blast --at tomorrow AKIAEXAMPLEDEPLOY01
check "limit truncates" sh -c \
	'"$NHIR" blast --limit 1 AKIAEXAMPLEDEPLOY01 | grep -q "and 2 more"'

check "show" sh -c '"$NHIR" show AKIAEXAMPLEDEPLOY01 >"$0/s.txt"' "$T"
check "show lists edges both ways" sh -c \
	'grep -q -- "-> issued" "$0/s.txt" && grep -q -- "<- uses" "$0/s.txt"' "$T"
check "show json" sh -c \
	'"$NHIR" show --format json AKIAEXAMPLEDEPLOY01 | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"kind\"]==\"credential\"; assert len(d[\"edges\"])>=5"'
check "NO_COLOR output has no escapes" sh -c '! "$NHIR" blast AKIAEXAMPLEDEPLOY01 | grep -q "$(printf "\033")"'
done_testing
