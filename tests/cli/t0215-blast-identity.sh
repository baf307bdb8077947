#!/bin/sh
# nhir blast of an IAM user or role ARN: its keys and sessions, and what
# they minted and created, are in the radius.
. tests/cli/lib.sh

"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
export NHIR_NOW=2024-05-01T12:00:00Z
U=arn:aws:iam::111122223333:user/ci-deployer

check "blast of the user" sh -c '"$NHIR" blast '"$U"' >"$0/u.txt"' "$T"
check "its key is exposed" has "$T/u.txt" \
	"path: $U <-authenticates- AKIAEXAMPLEDEPLOY01"
check "and the sessions its key minted" has "$T/u.txt" \
	"path: $U <-authenticates- AKIAEXAMPLEDEPLOY01 -issued-> ASIAEXAMPLESESSION1"
check "the expired one as history" sh -c \
	'sed -n "/^Expired or ended/,/^$/p" "$0/u.txt" | grep -q ASIAEXAMPLEOLD' "$T"
check "json: the key reached in reverse" sh -c \
	'"$NHIR" blast --format json '"$U"' | python3 -c "
import json, sys
d = json.load(sys.stdin)
k = [i for i in d[\"groups\"][\"credentials\"] if i[\"ref\"] == \"AKIAEXAMPLEDEPLOY01\"][0]
assert k[\"path\"][1][\"edge\"] == \"authenticates\" and k[\"path\"][1][\"reverse\"], k
"'
done_testing
