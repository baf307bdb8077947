#!/bin/sh
# Two nhir serve processes on one PostgreSQL database: the graph a
# server answers from is the database's, whoever changed it.  A blast
# asked of server B (asked before, so anything B keeps is warm) shows
# an edge imported through server A at once, and one imported by the
# command line beside both; so does a read-only server on the same
# database.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/cli/lib-servers.sh
servers_db nhir_graph
"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
TOK=$("$NHIR" token create --user lena 2>/dev/null)

# three servers: A and B, and C read-only
serve_as A
serve_as B
serve_as C --read-only
check "three servers start on one database" serving A B C

KEY=AKIAEXAMPLEDEPLOY01
# blast SERVER NAME: the blast of KEY as server SERVER answers it
blast() {
	curl -s -m 30 -o "$T/$2.json" -w '%{http_code}' \
		-H "Authorization: Bearer $TOK" \
		"$(cat "$T/url.$1")/api/v1/blast?ref=$KEY&depth=4&limit=1000" \
		>"$T/$2.code" && test "$(cat "$T/$2.code")" = 200
}
for s in A B C; do
	check "server $s answers a blast" blast $s before.$s
	check "without the bucket not yet imported" \
		hasnt "$T/before.$s.json" 'arn:aws:s3:::moved-ledger'
done
blast B warm.B

cat >"$T/more.jsonl" <<'EOF'
{"type":"node","kind":"resource","id":"arn:aws:s3:::moved-ledger","name":"moved-ledger","subtype":"s3-bucket","provider":"aws","owner":"team-payments"}
{"type":"edge","kind":"can","from":"arn:aws:iam::111122223333:user/ci-deployer","to":"arn:aws:s3:::moved-ledger","privilege":"write","actions":["s3:PutObject"]}
EOF
check "an import through server A" sh -c '
c=$(curl -s -m 30 -o "$2/imp.json" -w "%{http_code}" -X POST \
	-H "Authorization: Bearer $1" -H "Content-Type: application/octet-stream" \
	--data-binary @"$2/more.jsonl" "$(cat "$2/url.A")/api/v1/import?format=nhir&name=more.jsonl")
test "$c" = 200 || { cat "$2/imp.json"; false; }' sh "$TOK" "$T"
for s in B C A; do
	check "server $s answers after the import" blast $s after.$s
	check "server $s shows the edge imported through A" \
		has "$T/after.$s.json" 'arn:aws:s3:::moved-ledger'
done

cat >"$T/cli.jsonl" <<'EOF'
{"type":"node","kind":"resource","id":"arn:aws:s3:::cli-archive","name":"cli-archive","subtype":"s3-bucket","provider":"aws","owner":"team-payments"}
{"type":"edge","kind":"can","from":"arn:aws:iam::111122223333:user/ci-deployer","to":"arn:aws:s3:::cli-archive","privilege":"read","actions":["s3:GetObject"]}
EOF
check "an import by the command line" sh -c \
	'"$0" import nhir "$1/cli.jsonl" >/dev/null' "$NHIR" "$T"
for s in B C; do
	blast $s cli.$s
	check "server $s shows the edge the command line imported" \
		has "$T/cli.$s.json" 'arn:aws:s3:::cli-archive'
done

done_testing
