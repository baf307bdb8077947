#!/bin/sh
# Signed checkpoints of the audit log: each attack that an intact chain
# cannot show (cut with the head fixed, every row deleted, the chain
# recomputed) fails verify against a checkpoint kept elsewhere.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
for i in 1 2 3; do "$NHIR" --as rory note INC-1 "note $i" >/dev/null; done
"$NHIR" report keygen "$T/team.key" >/dev/null
"$NHIR" report keygen "$T/other.key" >/dev/null

check "the forger's tool reproduces the chain" python3 tests/cli/rechain.py "$NHIR_DB" --check
check "a checkpoint on demand" "$NHIR" audit checkpoint --key "$T/team.key" -o "$T/cp.json"
cp_seq=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['nhir_checkpoint']['seq'])" "$T/cp.json")
check "it signs the newest entry" test "$cp_seq" = "$(db_sql "SELECT max(seq) FROM audit")"
check "never over an existing file" exits 1 "$NHIR" audit checkpoint --key "$T/team.key" -o "$T/cp.json"
check "a checkpoint needs a key" exits 2 "$NHIR" audit checkpoint
check "and a trust list to verify" exits 2 "$NHIR" audit verify --checkpoint "$T/cp.json"
for i in 4 5; do "$NHIR" --as rory note INC-1 "note $i" >/dev/null; done
check "an intact log matches it" exits 0 "$NHIR" audit verify --checkpoint "$T/cp.json" --trust "$T/team.key.pub"
check "and says who signed" has "$T/last.out" "checkpoint $T/cp.json holds: entry $cp_seq signed by sha256:"
check "a trust list of several keys" sh -c \
	'{ echo "# the team"; echo "$(cat "$0/other.key.pub") other"; echo "$(cat "$0/team.key.pub") team"; } >"$0/trust" &&
	 "$NHIR" audit verify --checkpoint "$0/cp.json" --trust "$0/trust" | grep -q "signed by sha256:.* (team)"' "$T"
check "the trust list from the environment" env NHIR_TRUST="$T/trust" "$NHIR" audit verify --checkpoint "$T/cp.json"
check "a key not trusted fails" exits 3 "$NHIR" audit verify --checkpoint "$T/cp.json" --trust "$T/other.key.pub"
check "naming the entry and the signer" has "$T/last.out" "checkpoint for entry $cp_seq signed by sha256:"
sed "s/\"seq\":[[:space:]]*$cp_seq/\"seq\": $((cp_seq - 1))/" "$T/cp.json" >"$T/cp-edit.json"
check "an edited checkpoint fails" exits 3 "$NHIR" audit verify --checkpoint "$T/cp-edit.json" --trust "$T/team.key.pub"
check "its signature does not match" has "$T/last.out" "does not match its signature"
echo '{"x":1}' >"$T/junk.json"
check "a file that is not a checkpoint is an error" exits 1 "$NHIR" audit verify --checkpoint "$T/junk.json" --trust "$T/team.key.pub"
printf 'zz\n' >"$T/bad-trust"
check "a bad trust list names its line" exits 1 "$NHIR" audit verify --checkpoint "$T/cp.json" --trust "$T/bad-trust"
check "by file and line" has "$T/last.err" "$T/bad-trust:1: not an Ed25519 public key"

db_save good
# attack: run SQL (and maybe recompute the chain), then verify
attack() {
	db_restore good || return 1
	db_sql "$1" >/dev/null || return 1
	if [ "$2" = rechain ]; then
		python3 tests/cli/rechain.py "$NHIR_DB" || return 1
	fi
	"$NHIR" audit verify --checkpoint "$T/cp.json" --trust "$T/team.key.pub" >"$T/v.out" 2>&1
	test $? = 3 || { cat "$T/v.out"; return 1; }
	grep -q "entry $3" "$T/v.out" || { cat "$T/v.out"; return 1; }
}
cut=$((cp_seq - 3))
alone() {
	db_restore good && db_sql "DELETE FROM audit WHERE seq > $cut" &&
		python3 tests/cli/rechain.py "$NHIR_DB" && "$NHIR" audit verify
}
check "the attacks leave a chain that verifies alone" alone
check "a cut with the head fixed is caught" attack \
	"DELETE FROM audit WHERE seq > $cut" rechain "$cp_seq is missing: the log ends at entry $cut"
check "every row deleted is caught" attack \
	"DELETE FROM audit; DELETE FROM meta WHERE key = 'audit_head'" none \
	"$cp_seq is missing: the log is empty"
check "a recomputed chain is caught" attack \
	"UPDATE audit SET actor = 'lena' WHERE seq = 3" rechain \
	"$cp_seq does not match the checkpoint"
check "a rewrite of the checkpointed entry itself" attack \
	"UPDATE audit SET detail = replace(detail, 'note 3', 'note x') WHERE action = 'note'" rechain \
	"$cp_seq does not match the checkpoint"
check "an entry dropped and the rest renumbered" attack \
	"DELETE FROM audit WHERE seq = 2; UPDATE audit SET seq = seq - 1 WHERE seq > 2" rechain \
	"$cp_seq"
later() {
	db_restore good && "$NHIR" --as rory note INC-1 later >/dev/null &&
		"$NHIR" audit verify --checkpoint "$T/cp.json" --trust "$T/team.key.pub"
}
check "entries after the checkpoint may follow it" later

# the checkpoints the database keeps
check "recorded checkpoints are checked with --trust" sh -c \
	'"$NHIR" audit verify --trust "$0/team.key.pub" | grep -q "checkpoint recorded holds: entry"' "$T"
check "a report writes one beside it" "$NHIR" report INC-1 --format json --sign "$T/team.key" -o "$T/r.json"
check "to FILE.checkpoint" "$NHIR" audit verify --checkpoint "$T/r.json.checkpoint" --trust "$T/team.key.pub"
check "an unsigned report with the checkpoint key too" env NHIR_CHECKPOINT_KEY="$T/team.key" \
	"$NHIR" report INC-1 -o "$T/r.md"
check "which holds" "$NHIR" audit verify --checkpoint "$T/r.md.checkpoint" --trust "$T/team.key.pub"
check "and is in the database" test "$(db_sql "SELECT count(*) FROM audit_checkpoint")" = 3
done_testing
