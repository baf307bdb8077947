#!/bin/sh
# Inputs that never end are refused at once: /dev/zero, a FIFO and a
# directory given to import, ingest, findings import or route check;
# "-" reads standard input up to a limit.  In a log directory, a FIFO
# and a symbolic link loop are reported and skipped and the rest read.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
mkfifo "$T/fifo"
mkdir "$T/dir"
# every command must end within 20 s (a hang would be the failure)
to() { timeout 20 "$@"; }
for p in /dev/zero "$T/fifo" "$T/dir"; do
	check "import refuses $p" exits 1 to "$NHIR" import nhir "$p"
	check "naming what it is" sh -c \
		'grep -qE "is (a character device|a FIFO|a directory), not a regular file" "$0"' \
		"$T/last.err"
	check "findings import refuses $p" exits 1 to "$NHIR" findings import \
		gitleaks "$p"
	check "route check refuses $p" exits 1 to "$NHIR" route check --policy "$p"
done
for p in /dev/zero "$T/fifo"; do
	check "ingest refuses $p" exits 1 to "$NHIR" ingest cloudtrail "$p"
	check "naming what it is" sh -c \
		'grep -qE "is (a character device|a FIFO), not a regular file" "$0"' \
		"$T/last.err"
done

# "-": standard input, bounded
check "import reads standard input" sh -c \
	'"$NHIR" import nhir - <"$0/examples/inventory/estate.jsonl" |
	grep -q "^-: "' "$ROOT"
check "a policy from standard input over 1 MiB is refused" sh -c \
	'head -c 1100000 /dev/zero | timeout 20 "$NHIR" route check --policy - 2>"$0/e";
	test $? = 1 && grep -q "over 1 MiB" "$0/e"' "$T"
check "a report from standard input is read" sh -c \
	'"$NHIR" findings import generic - <"$0/tests/data/findings/generic.jsonl" |
	grep -q "3 entries"' "$ROOT"

# a log directory with a FIFO and link loops
rec() {
	printf '{"Records":[{"eventTime":"2024-05-01T09:%s:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.9","userIdentity":{"accessKeyId":"AKIAEXAMPLELOOPS01"},"eventID":"e%s"}]}\n' "$1" "$1"
}
mkdir -p "$T/logs/b"
rec 10 >"$T/logs/a.json"
rec 20 >"$T/logs/b/x.json"
rec 30 >"$T/logs/z.json"
ln -s .. "$T/logs/b/up"
ln -s loop2 "$T/logs/loop1"
ln -s loop1 "$T/logs/loop2"
mkfifo "$T/logs/m.fifo"
check "a directory with loops and a FIFO is partial (4)" exits 4 to \
	"$NHIR" ingest cloudtrail "$T/logs"
check "every log in it was read, the last one too" has "$T/last.out" \
	"3 files ingested, 0 already ingested, 0 rejected, 4 skipped (not read)"
check "the link back into the tree is reported" has "$T/last.err" \
	"$T/logs/b/up: byte 0: skipped: a directory already read in this run"
check "the link loop is reported" has "$T/last.err" \
	"$T/logs/loop1: byte 0: skipped: a symbolic link loop"
check "the FIFO is reported" has "$T/last.err" \
	"$T/logs/m.fifo: byte 0: skipped: a FIFO, not a regular file"
check "the three events are stored" test \
	"$(db_sql 'SELECT count(*) FROM event')" = 3
check "a hunt walks it the same way (4)" exits 4 to "$NHIR" hunt cloudtrail \
	AKIAEXAMPLELOOPS01 "$T/logs"
check "the hunt reports the loop" has "$T/last.err" \
	"$T/logs/b/up: byte 0: skipped: a directory already read in this run"
check "and the FIFO" has "$T/last.err" \
	"$T/logs/m.fifo: byte 0: skipped: a FIFO, not a regular file"
check "and finds the key's three events" has "$T/last.out" "3 events"
ln -s "$T/nowhere" "$T/logs/gone"
check "a dangling link is a file not read: rejected (1)" exits 1 to \
	"$NHIR" ingest cloudtrail "$T/logs"
check "and reported" has "$T/last.err" \
	"$T/logs/gone: byte 0: file rejected: cannot open it"
check "the rest is still read" has "$T/last.out" \
	"0 files ingested, 3 already ingested, 1 rejected"
done_testing
