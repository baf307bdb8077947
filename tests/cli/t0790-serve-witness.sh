#!/bin/sh
# nhir serve with a witness: two servers on loopback, the team's and the
# witness (another database, as another team would run it).  The team's
# server sends signed checkpoints of its audit log as it grows; 'audit
# verify --witness' then catches the team's log cut short or rewritten
# (even with the chain recomputed and the local checkpoints gone), and
# the witness refuses a checkpoint that contradicts what it holds (another
# head, a rollback, another key) with 409 naming the field, a bad
# signature with 400, a bad token with 401.  Each acceptance is on the
# witness's audit log; the sender's attempts are counted in /metrics.
. tests/cli/lib.sh

command -v curl >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP curl is not installed"
	echo "1..1"
	exit 0
}
command -v sqlite3 >/dev/null 2>&1 || {
	echo "ok 1 - # SKIP sqlite3 is not installed"
	echo "1..1"
	exit 0
}

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

# the witness: its own database and server, stopped whatever happens
W="$T/witness.db"
W_PID=
stop_both() {
	[ -n "$W_PID" ] && kill -KILL "$W_PID" 2>/dev/null
	stop_server
}
trap stop_both EXIT

"$NHIR" --db "$W" init >/dev/null
"$NHIR" --db "$W" user add team-a --role responder >/dev/null
"$NHIR" --db "$W" user add auditor --role observer >/dev/null
"$NHIR" --db "$W" token create --user team-a >"$T/wtok" 2>/dev/null
"$NHIR" --db "$W" token create --user auditor --scope read >"$T/rtok" 2>/dev/null
chmod 600 "$T/wtok" "$T/rtok"
"$NHIR" --db "$W" serve --listen 127.0.0.1:0 >"$T/w.out" 2>"$T/w.err" &
W_PID=$!
WURL=
i=0
while [ $i -lt 100 ] && [ -z "$WURL" ]; do
	WURL=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$T/w.out")
	[ -n "$WURL" ] && break
	sleep 0.1
	i=$((i + 1))
done
check "the witness starts" test -n "$WURL"

# the team: a signing key, a token for its metrics, its server
"$NHIR" report keygen "$T/team.key" >/dev/null
"$NHIR" user add ada --role admin >/dev/null
ADA=$("$NHIR" token create --user ada 2>/dev/null)
LOG=$(db_sql "SELECT value FROM meta WHERE key = 'log_id'")
check "the team's log has an identity" sh -c 'echo "$0" | grep -q "^[0-9a-f]\{32\}$"' "$LOG"
check "another log has another" test "$LOG" != "$(sqlite3 "$W" "SELECT value FROM meta WHERE key = 'log_id'")"
write_config() {
	cat >"$T/team.yaml" <<EOF
witness:
  url: $1
  token_file: $2
  key: $T/team.key
  interval: 1
EOF
}
write_config "$WURL" "$T/wtok"

# refused configurations
chmod 644 "$T/wtok"
check "a token file others may read is refused" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/team.yaml"
check "saying so" has "$T/last.err" "chmod 600"
chmod 600 "$T/wtok"
write_config "http://192.0.2.1:8470" "$T/wtok"
check "plain http off loopback is refused" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/team.yaml"
check "naming the line" has "$T/last.err" "team.yaml:2"
printf 'witness:\n  url: %s\n  token_file: %s\n  key: %s\n  intervall: 1\n' \
	"$WURL" "$T/wtok" "$T/team.key" >"$T/typo.yaml"
check "an unknown key is refused" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/typo.yaml"
printf 'witnesses:\n  url: x\n' >"$T/top.yaml"
check "so is an unknown section" exits 1 "$NHIR" serve --listen 127.0.0.1:0 --config "$T/top.yaml"
write_config "$WURL" "$T/wtok"

check "the team's server starts, sending to the witness" start_server --config "$T/team.yaml"

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	left=$(($1 * 5))
	shift
	while [ "$left" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		left=$((left - 1))
	done
	"$@"
}
# held: the newest checkpoint the witness holds of the team's log.
held() {
	req held -H "Authorization: Bearer $(cat "$T/rtok")" \
		"$WURL/api/v1/witness/checkpoints/$LOG" && code held 200
}
held_seq() {
	held && python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["nhir_checkpoint"]["seq"])' "$T/held.body"
}
newest() {
	db_sql "SELECT max(seq) FROM audit"
}
at_newest() {
	test "$(held_seq)" = "$(newest)"
}

check "a checkpoint arrives at the witness" wait_for 15 held
"$NHIR" user add bob --role responder >/dev/null
"$NHIR" user add cy --role lead >/dev/null
# the newest entries chain no state row (a declaration, notes): cut
# off later, nothing but a checkpoint misses them
NHIR_USER=cy "$NHIR" incident declare --title "Leaked deploy key" --severity high --lead cy >/dev/null
NHIR_USER=cy "$NHIR" note INC-1 "the key was in a public gist" >/dev/null
NHIR_USER=cy "$NHIR" note INC-1 "rotated at 10:02" >/dev/null
check "as the log grows, newer ones follow" wait_for 15 at_newest
check "signed by the team's key" has "$T/held.body" "$(cat "$T/team.key.pub")"
check "each acceptance is on the witness's audit log" sh -c \
	'"$0" --db "$1" audit log --format json | grep -q "\"actor\":\"team-a\",\"action\":\"witness.checkpoint\""' "$NHIR" "$W"
check "the witness's chain is intact" "$NHIR" --db "$W" audit verify
HS=$(held_seq)
req byseq -H "Authorization: Bearer $(cat "$T/rtok")" "$WURL/api/v1/witness/checkpoints/$LOG?seq=$HS"
check "a checkpoint by seq" sh -c 'python3 -c "import json, sys; assert json.load(open(sys.argv[1]))[\"nhir_checkpoint\"][\"seq\"] == int(sys.argv[2])" "$0/byseq.body" "$1"' "$T" "$HS"
req noseq -H "Authorization: Bearer $(cat "$T/rtok")" "$WURL/api/v1/witness/checkpoints/$LOG?seq=x"
check "a bad seq: 400" code noseq 400
req otherlog -H "Authorization: Bearer $(cat "$T/rtok")" "$WURL/api/v1/witness/checkpoints/0123456789abcdef0123456789abcdef"
check "a log not held: 404" code otherlog 404
check "said so" has "$T/otherlog.body" "urn:nhir:problem:no-checkpoint"

# the sender is counted, and stops cleanly
req metrics -H "Authorization: Bearer $ADA" "$URL/metrics"
check "sends are counted in /metrics" grep -q '^nhir_witness_sends_total{result="ok"} [1-9]' "$T/metrics.body"
check "none failed" grep -q '^nhir_witness_sends_total{result="failed"} 0$' "$T/metrics.body"
check "no token in either server's log" sh -c '! grep -qF -e "$(cat "$0/wtok")" -e "$1" "$0/srv.err" "$0/w.err"' "$T" "$ADA"
kill -TERM "$SRV_PID"
wait "$SRV_PID"
check "SIGTERM stops the sender and the server cleanly" test $? = 0
SRV_PID=
check "its log says so" has "$T/srv.err" "stopped"

# verify --witness: the log as it is holds
V="--witness $WURL --witness-token-file $T/rtok --trust $T/team.key.pub"
# shellcheck disable=SC2086
check "verify --witness passes" exits 0 "$NHIR" audit verify $V
check "naming the witness" has "$T/last.out" "checkpoint $WURL holds: entry $(held_seq)"
# shellcheck disable=SC2086
check "as JSON" sh -c '"$0" audit verify $1 --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
w = [c for c in d[\"checkpoints\"] if c[\"source\"] == sys.argv[1]]
assert len(w) == 1 and w[0][\"holds\"] and w[0][\"trusted\"], d
" "$2"' "$NHIR" "$V" "$WURL"
check "--witness needs --trust" exits 2 "$NHIR" audit verify --witness "$WURL"
check "a witness off loopback needs https" exits 2 "$NHIR" audit verify --witness http://192.0.2.1 --trust "$T/team.key.pub"
check "the token file is kept from others" sh -c 'chmod 644 "$0/rtok"; "$1" audit verify --witness "$2" --witness-token-file "$0/rtok" --trust "$0/team.key.pub"; r=$?; chmod 600 "$0/rtok"; test $r = 1' "$T" "$NHIR" "$WURL"
"$NHIR" report keygen "$T/other.key" >/dev/null
# shellcheck disable=SC2086
check "a signer not trusted does not count" exits 3 "$NHIR" audit verify --witness "$WURL" --witness-token-file "$T/rtok" --trust "$T/other.key.pub"

# the team's log cut short, the chain recomputed, its own checkpoints
# dropped: only the witness can tell
N=$(held_seq)
db_copy "$T/cut.db"
sqlite3 "$T/cut.db" "DELETE FROM audit WHERE seq > $((N - 2)); DELETE FROM audit_checkpoint"
python3 tests/cli/rechain.py "$T/cut.db"
check "the cut log's chain looks intact" "$NHIR" --db "$T/cut.db" audit verify
# shellcheck disable=SC2086
check "verify --witness catches the truncation" exits 3 "$NHIR" --db "$T/cut.db" audit verify $V
check "naming the entries removed" has "$T/last.out" "entry $N is missing"

# rewritten before the checkpoint, the chain recomputed
db_copy "$T/edit.db"
sqlite3 "$T/edit.db" "UPDATE audit SET actor = 'nobody' WHERE seq = 2; DELETE FROM audit_checkpoint"
python3 tests/cli/rechain.py "$T/edit.db"
check "the rewritten log's chain looks intact" "$NHIR" --db "$T/edit.db" audit verify
# shellcheck disable=SC2086
check "verify --witness catches the rewrite" exits 3 "$NHIR" --db "$T/edit.db" audit verify $V
check "saying where" has "$T/last.out" "does not match the checkpoint"
# shellcheck disable=SC2086
check "as JSON, with a non-zero exit" exits 3 "$NHIR" --db "$T/edit.db" audit verify $V --format json
check "holds: false" has "$T/last.out" '"holds":false'

# a log the witness never heard of (its identity changed)
db_copy "$T/renamed.db"
sqlite3 "$T/renamed.db" "UPDATE meta SET value = 'fedcba9876543210fedcba9876543210' WHERE key = 'log_id'"
# shellcheck disable=SC2086
check "a log the witness holds nothing of fails" exits 3 "$NHIR" --db "$T/renamed.db" audit verify $V
check "saying so" has "$T/last.out" "holds no checkpoint of log"

# the witness refuses contradictions: post (NAME DB KEY [EDIT]) signs a
# checkpoint of DB with KEY, edits it (python over d) and posts it.
post() {
	name=$1 db=$2 key=$3 edit=${4:-}
	"$NHIR" --db "$db" audit checkpoint --key "$key" -o "$T/$name.cp" 2>/dev/null || return 1
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
c, s = doc["nhir_checkpoint"], doc["signature"]
d = {"log": c["log"], "seq": c["seq"], "head": c["head"], "at": c["at"],
     "public_key": s["public_key"], "signature": s["signature"]}
exec(sys.argv[2])
print(json.dumps(d))' "$T/$name.cp" "$edit" >"$T/$name.json" || return 1
	req "$name" -X POST -H "Authorization: Bearer ${TOKEN:-$(cat "$T/wtok")}" \
		-H 'Content-Type: application/json' --data-binary "@$T/$name.json" \
		"$WURL/api/v1/witness/checkpoints"
}
# field NAME: the problem's "field".
field() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("field"))' "$T/$1.body"
}

post again "$NHIR_DB" "$T/team.key"
check "the same log, unchanged: taken (or already held)" sh -c 'grep -qx "20[01]" "$0/again.code"' "$T"
post rewrite "$T/edit.db" "$T/team.key"
check "another head at an entry held: 409" code rewrite 409
check "as problem+json" problem rewrite 409 NHIR_ECONFLICT
check "naming the field head" test "$(field rewrite)" = head
check "the CLI's push is refused too" exits 1 "$NHIR" --db "$T/edit.db" audit checkpoint --key "$T/team.key" --witness "$WURL" --witness-token-file "$T/wtok"
check "saying why" has "$T/last.err" "HTTP 409"
post rollback "$T/cut.db" "$T/team.key"
check "a rollback to an earlier entry: 409" code rollback 409
check "naming the field seq" test "$(field rollback)" = seq
# (a copy: the team's own database keeps only its own key's checkpoints)
db_copy "$T/copy.db"
post forged "$T/copy.db" "$T/other.key"
check "signed by another key: 409" code forged 409
check "naming the field public_key" test "$(field forged)" = public_key
post badsig "$T/copy.db" "$T/team.key" 'd["at"] += 1'
check "a signature that does not hold: 400" code badsig 400
check "naming the field signature" test "$(field badsig)" = signature
post shape "$T/copy.db" "$T/team.key" 'd["head"] = d["head"][:10]'
check "a head of the wrong length: 400" code shape 400
check "naming the field head" test "$(field shape)" = head
post extra "$T/copy.db" "$T/team.key" 'd["as"] = "admin"'
check "an unknown field: 400" code extra 400
check "naming it" test "$(field extra)" = as
TOKEN=nhir_not-a-token
post badtoken "$T/copy.db" "$T/team.key"
check "a bad token: 401" code badtoken 401
TOKEN=$(cat "$T/rtok")
post readonly "$T/copy.db" "$T/team.key"
check "a read token: 403" code readonly 403
TOKEN=
check "the contradictions are on the witness's audit log" sh -c \
	'"$0" --db "$1" audit log --format json | python3 -c "
import json, sys
d = json.load(sys.stdin)
n = [e for e in d[\"entries\"] if e[\"action\"] == \"denied\" and \"witness.checkpoint\" in json.dumps(e)]
assert len(n) >= 3, n
"' "$NHIR" "$W"
check "nothing contradicting was stored" test "$(sqlite3 "$W" "SELECT count(DISTINCT public_key) FROM witness_checkpoint WHERE log_id = '$LOG'")" = 1
check "what the witness holds cannot be edited" sh -c '! sqlite3 "$0" "UPDATE witness_checkpoint SET head = 0" 2>/dev/null' "$W"
# shellcheck disable=SC2086
check "and the team's log still verifies against it" "$NHIR" audit verify $V

# the CLI pushes one on demand
"$NHIR" user add dee --role observer >/dev/null
check "audit checkpoint --witness sends one" exits 0 "$NHIR" audit checkpoint --key "$T/team.key" --witness "$WURL" --witness-token-file "$T/wtok" -o "$T/pushed.cp"
check "taken" has "$T/last.err" "taken by the witness"
check "the witness holds the newest entry" at_newest

# a sender whose witness does not answer, or refuses it: counted
write_config "http://127.0.0.1:1" "$T/wtok"
check "a server with an unreachable witness starts" start_server --config "$T/team.yaml"
failed_twice() {
	req m2 -H "Authorization: Bearer $ADA" "$URL/metrics" &&
	grep -q '^nhir_witness_sends_total{result="failed"} [2-9]' "$T/m2.body"
}
check "its failures are counted, retried with backoff" wait_for 15 failed_twice
check "and logged" has "$T/srv.err" "witness: http://127.0.0.1:1"
echo nhir_not-a-token >"$T/badtok"
chmod 600 "$T/badtok"
write_config "$WURL" "$T/badtok"
"$NHIR" user add eve --role observer >/dev/null
check "a server with a bad witness token starts" start_server --config "$T/team.yaml"
refused_once() {
	req m3 -H "Authorization: Bearer $ADA" "$URL/metrics" &&
	grep -q '^nhir_witness_sends_total{result="refused"} [1-9]' "$T/m3.body"
}
check "the witness's 401 is counted as refused" wait_for 15 refused_once
check "and logged" has "$T/srv.err" "REFUSED"

# every witness answer above is one the API description allows
mkdir -p "$T/ans"
for a in held byseq noseq otherlog again rewrite rollback forged badsig \
	shape extra badtoken readonly; do
	cp "$T/$a.meta" "$T/$a.body" "$T/ans/" 2>/dev/null
done
check_answers "$T/ans"

done_testing
