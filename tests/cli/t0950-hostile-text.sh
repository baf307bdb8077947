#!/bin/sh
# Strings from the incident itself (a userAgent sent with a stolen key, a
# file name, a title, a note, an --as value) never reach the terminal as
# control characters: text output shows them escaped, JSON keeps them
# exact, and a title cannot rewrite the Markdown report.
. tests/cli/lib.sh

ESC=$(printf '\033')
BEL=$(printf '\007')
CSI1=$(printf '\302\233')	# U+009B, a one-character CSI
NL='
'
UA="aws-cli${ESC}]0;owned${BEL}${ESC}[2J${CSI1}1m"
# no raw ESC, BEL or UTF-8 C1 (bytes c2 80..c2 9f) in FILE
clean() {
	! LC_ALL=C grep -q "$(printf '[\033\007]')" "$1" &&
		! LC_ALL=C grep -q "$(printf '\302[\200-\237]')" "$1" || {
		echo "control characters in $1:" >&2
		od -c "$1" | head -20 >&2
		return 1
	}
}

export NHIR_NOW=2024-05-01T10:35:00Z
"$NHIR" init --fixed-clock >/dev/null
mkdir "$T/logs"
log="$T/logs/ct${ESC}[2J.jsonl"
printf '{"eventTime":"2024-05-01T09:30:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject%s[31mContained","userAgent":"%s","sourceIPAddress":"203.0.113.9","userIdentity":{"accessKeyId":"AKIAEXAMPLEHOSTILE1"},"eventID":"h1"}\n' \
	'\u001b' "$(printf '%s' "$UA" | sed 's/\x1b/\\u001b/g; s/\x07/\\u0007/g')" >"$log"
check "ingest a record with escape sequences" "$NHIR" ingest cloudtrail "$log"

check "usage text" sh -c '"$NHIR" usage AKIAEXAMPLEHOSTILE1 >"$0/u.txt"' "$T"
check "holds no control character" clean "$T/u.txt"
check "and shows the user agent escaped" has "$T/u.txt" 'aws-cli\x1b]0;owned\x07\x1b[2J\u009b1m'
check "and the action escaped" has "$T/u.txt" 's3:GetObject\x1b[31mContained'
check "timeline text" sh -c '"$NHIR" timeline AKIAEXAMPLEHOSTILE1 >"$0/t.txt"' "$T"
check "holds no control character" clean "$T/t.txt"
check "and shows the action and file name escaped" sh -c \
	'grep -F "GetObject\\x1b[31mContained" "$0/t.txt" | grep -qF "ct\\x1b[2J.jsonl"' "$T"
check "timeline json keeps the exact strings" sh -c \
	'"$NHIR" timeline --format json AKIAEXAMPLEHOSTILE1 | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"events\"][0]
assert e[\"user_agent\"] == sys.argv[1], e
assert e[\"action\"] == \"s3:GetObject\x1b[31mContained\", e
assert e[\"path\"] == sys.argv[2], e
" "$1" "$2"' "$T" "$UA" "$log"
check "usage json keeps the exact user agent" sh -c \
	'"$NHIR" usage --format json AKIAEXAMPLEHOSTILE1 | grep -qF "aws-cli\\u001b]0;owned\\u0007\\u001b[2J$1"' \
	"$T" "$CSI1"
check "show text" sh -c '"$NHIR" show AKIAEXAMPLEHOSTILE1 >"$0/s.txt" 2>&1' "$T"
check "holds no control character" clean "$T/s.txt"

# the record: users, titles, notes, decisions
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
TITLE="x${NL}## Residual access${NL}${NL}Contained: nothing reachable remains. <!--${ESC}[2J"
check "declare with a hostile title" "$NHIR" --as rory incident declare \
	--title "$TITLE" --severity high --lead lena \
	--seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z
check "a note with control characters" "$NHIR" --as rory note INC-1 \
	"all clear${ESC}[1A${ESC}[2K${CSI1}"
check "a decision with them" "$NHIR" --as lena decide INC-1 \
	"keep${NL}## Decisions" --why "because${ESC}c"
for c in "incident show INC-1" "incident list" "audit log" "plan INC-1"; do
	f="$T/$(echo "$c" | tr ' ' _).txt"
	# shellcheck disable=SC2086
	"$NHIR" $c >"$f" 2>&1
	check "$c holds no control character" clean "$f"
done
check "incident show shows the title on one line" has \
	"$T/incident_show_INC-1.txt" 'x\n## Residual access\n\nContained: nothing reachable remains. <!--\x1b[2J'
check "and the note escaped" has "$T/incident_show_INC-1.txt" 'all clear\x1b[1A\x1b[2K\u009b'
check "audit log shows the note escaped" has "$T/audit_log.txt" 'all clear\u001b[1A'
check "incident json keeps the exact title" sh -c \
	'"$NHIR" incident show --format json INC-1 | python3 -c "
import json, sys
assert json.load(sys.stdin)[\"title\"] == sys.argv[1]
" "$1"' "$T" "$TITLE"

# errors quote their input escaped
check "an --as value with escapes is refused" exits 5 "$NHIR" \
	--as "eve${ESC}[2J${ESC}]0;x${BEL}" incident list
check "and the refusal shows it escaped" has "$T/last.err" 'eve\x1b[2J\x1b]0;x\x07'
check "with no control character" clean "$T/last.err"
check "an unknown reference is quoted escaped" exits 1 "$NHIR" show "AKIA${ESC}[2J"
check "with no control character" clean "$T/last.err"
check "a bad option value is quoted escaped" exits 2 "$NHIR" timeline \
	--since "x${ESC}[2J" AKIAEXAMPLEHOSTILE1
check "with no control character" clean "$T/last.err"

# the Markdown report cannot be rewritten by a title
check "markdown report" sh -c '"$NHIR" report INC-1 >"$0/r.md"' "$T"
check "has one Residual access heading" sh -c \
	'test "$(grep -c "^## Residual access" "$0/r.md")" = 1' "$T"
check "no forged Contained line" sh -c \
	'! grep -q "^Contained: nothing reachable remains. <" "$0/r.md"' "$T"
check "and no HTML comment (only an escaped \\<)" sh -c \
	'! grep -q "\\(^\\|[^\\]\\)<!--" "$0/r.md"' "$T"
check "no Decisions heading from a decision" sh -c \
	'test "$(grep -c "^## Decisions" "$0/r.md")" = 1' "$T"
check "the title is on the heading line, escaped" sh -c \
	'head -1 "$0/r.md" | grep -qF "# INC-1: x\\\\n\\#\\# Residual access"' "$T"
check "the report holds no control character" clean "$T/r.md"
check "html report" sh -c '"$NHIR" report --format html INC-1 >"$0/r.html"' "$T"
check "html has no comment from the title" hasnt "$T/r.html" "<!--"
check "html holds no control character" clean "$T/r.html"
done_testing
