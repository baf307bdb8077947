#!/bin/sh
# A NUL inside a JSON string is an error at its offset, never a string
# silently cut short; YAML nested beyond 64 levels is refused at once,
# naming file and line.
. tests/cli/lib.sh

"$NHIR" init >/dev/null

# import: the file is rejected, the error located
printf '%s\n' '{"type":"node","kind":"owner","id":"team-a","name":"A"}' \
	'{"type":"node","kind":"owner","id":"team-b","name":"B\u0000 (trusted)"}' \
	>"$T/n.jsonl"
check "import rejects a NUL in a string" exits 1 "$NHIR" import nhir "$T/n.jsonl"
check "naming file, line and column" has "$T/last.err" \
	"$T/n.jsonl:2:54: error: a NUL character (\\u0000) in a string"
check "nothing is stored" test \
	"$(db_sql "SELECT count(*) FROM node WHERE ext_id LIKE 'team-%'")" = 0
# an escaped backslash before u0000 is no NUL
printf '%s\n' '{"type":"node","kind":"owner","id":"team-c","name":"C\\u0000"}' >"$T/ok.jsonl"
check "a backslash followed by u0000 is text" "$NHIR" import nhir "$T/ok.jsonl"
check "kept exact" test \
	"$(db_sql "SELECT name FROM node WHERE ext_id = 'team-c'")" = 'C\u0000'

# ingest: the record is skipped and located, the others stored
ev() {
	printf '{"eventTime":"2024-05-01T09:%s:00Z","eventSource":"s3.amazonaws.com","eventName":"%s","sourceIPAddress":"203.0.113.9","userIdentity":{"accessKeyId":"AKIAEXAMPLENUL0001"},"eventID":"n%s"}' "$1" "$2" "$1"
}
printf '{"Records":[%s,%s]}\n' "$(ev 10 GetObject)" "$(ev 11 'PutObject\u0000')" >"$T/ct.json"
check "ingest skips the record holding a NUL (4)" exits 4 "$NHIR" ingest cloudtrail "$T/ct.json"
off=$(grep -bo 'PutObject\\u0000' "$T/ct.json" | cut -d: -f1)
check "and says where" has "$T/last.err" \
	"record skipped: a NUL character (\\u0000) in a string, at byte $((off + 9))"
check "the other event is stored, no cut-short action" test \
	"$(db_sql "SELECT s FROM event JOIN str ON str.id = event.action")" = s3:GetObject

# findings: the entry is skipped and located
printf '[{"RuleID":"k","Secret":"abcdefgh\\u0000ijklmnopqrs","File":"a.txt","StartLine":1}]\n' >"$T/gl.json"
check "findings import skips it (4)" exits 4 "$NHIR" findings import gitleaks "$T/gl.json"
check "and says where" has "$T/last.err" "$T/gl.json:1:34: a NUL character (\\u0000) in a string"
check "no finding was made of half a secret" test \
	"$(db_sql 'SELECT count(*) FROM finding')" = 0

# YAML nesting
python3 -c "print('[' * 100000 + ']' * 100000)" >"$T/deep.yaml"
check "100,000 levels of YAML are refused" exits 1 timeout 10 \
	"$NHIR" route check --policy "$T/deep.yaml"
check "naming file, line and column" has "$T/last.err" \
	"$T/deep.yaml:1:65: nested deeper than 64 levels"
python3 -c "
print('version: 1\nrules:\n  - name: x\n    when:')
for i in range(70):
    print(' ' * (6 + 2 * i) + 'k%d:' % i)
print(' ' * 146 + 'v')" >"$T/block.yaml"
check "so are 70 levels of indentation" exits 1 "$NHIR" route check \
	--policy "$T/block.yaml"
check "naming the line" has "$T/last.err" "$T/block.yaml:66:129: nested deeper"
check "the shipped policy still loads" "$NHIR" route check \
	--policy "$ROOT/policy/routing.yaml"
done_testing
