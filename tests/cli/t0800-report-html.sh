#!/bin/sh
# The HTML report in a real browser: headless Chromium renders it with no
# console error, and the screenshot is kept under the build folder.
. tests/cli/lib.sh

if ! command -v chromium >/dev/null 2>&1; then
	echo "# skip: chromium is not installed (scripts/deps.sh installs it)"
	echo "1..0"
	exit 0
fi
export NHIR_NOW=2024-05-01T10:35:00Z
"$NHIR" init --fixed-clock >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" --as rory incident declare --title "CI key leaked" --severity critical \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z >/dev/null
"$NHIR" report INC-1 --format html -o "$T/r.html" 2>/dev/null
shot="$ROOT/${BUILD:-build}/report-screenshot.png"
mkdir -p "$(dirname "$shot")"
rm -f "$shot"
check "chromium renders the report" sh -c \
	'timeout 120 chromium --headless=new --no-sandbox --disable-gpu \
		--user-data-dir="$0/profile" --enable-logging=stderr --v=0 \
		--window-size=1280,2400 --screenshot="$1" "file://$0/r.html" \
		>"$0/chrome.out" 2>"$0/chrome.err"' "$T" "$shot"
check "a screenshot is kept" test -s "$shot"
check "it is a PNG of the page" sh -c \
	'head -c 8 "$0" | od -An -c | grep -q "P   N   G"' "$shot"
check "no console message from the page" sh -c '! grep -q "CONSOLE" "$0/chrome.err"' "$T"
check "nothing failed to load" sh -c '! grep -Eiq "net::ERR|Failed to load resource" "$0/chrome.err"' "$T"
echo "# screenshot: $shot"
done_testing
