#!/bin/sh
# NHIR_NOW moves the clock only for a database kept on a fixed clock,
# an admin's decision on the record; every entry written on it is marked.
. tests/cli/lib.sh

"$NHIR" init >/dev/null
"$NHIR" user add otto --role observer >/dev/null
"$NHIR" user add lena --role lead >/dev/null
check "a real-clock database refuses NHIR_NOW" sh -c \
	'NHIR_NOW=2020-01-01T00:00:00Z "$0" --as lena incident declare --title x \
	   --severity low --lead lena >"$1/o" 2>"$1/e"; test $? = 2 &&
	 grep -q "keeps the real clock" "$1/e"' "$NHIR" "$T"
check "and nothing was written" sh -c \
	'"$0" --as lena incident declare --title y --severity low --lead lena &&
	 "$0" incident show INC-1 | grep -q "INC-1" &&
	 ! "$0" audit log | grep -q 2020-01-01' "$NHIR"
check "a read is refused too" exits 2 env NHIR_NOW=2020-01-01T00:00:00Z \
	"$NHIR" audit log
check "a bad NHIR_NOW is a usage error naming it" sh -c \
	'NHIR_NOW=yesterday "$0" audit log 2>"$1/e"; test $? = 2 &&
	 grep -q "NHIR_NOW is .yesterday." "$1/e"' "$NHIR" "$T"
check "a new database without --fixed-clock refuses it, and is not made" \
	sh -c 'NHIR_NOW=2020-01-01T00:00:00Z "$0" --db "$1/n.db" init
	       test $? = 2 && test ! -e "$1/n.db"' "$NHIR" "$T"
check "an observer cannot fix the clock" exits 5 \
	"$NHIR" --as otto config set clock fixed
check "clock takes real or fixed only" exits 1 \
	"$NHIR" config set clock sometimes

# a database made for a replay
export NHIR_DB="$T/replay.db"
check "init --fixed-clock" sh -c \
	'NHIR_NOW=2020-01-01T00:00:00Z "$0" init --fixed-clock >"$1/o" &&
	 grep -q "the clock is fixed" "$1/o"' "$NHIR" "$T"
"$NHIR" user add lena --role lead >/dev/null
NHIR_NOW=2020-01-01T00:00:00Z "$NHIR" --as lena incident declare --title replay \
	--severity low --lead lena >/dev/null
"$NHIR" audit log >"$T/log"
check "the setting is on the audit log" grep -q 'config .*"clock".*"fixed"' "$T/log"
check "what came before it is on the real clock, unmarked" sh -c \
	'grep " user.add " "$0" | grep -v -q "fixed clock" &&
	 ! grep " user.add " "$0" | grep -q "2020-01-01"' "$T/log"
check "an entry written on it takes NHIR_NOW and is marked" sh -c \
	'grep "incident.declare" "$0" | grep -q "2020-01-01T00:00:00Z \[fixed clock\]"' \
	"$T/log"
check "the listing of one incident marks it too" sh -c \
	'"$0" audit log --incident INC-1 | grep -q "\[fixed clock\]"' "$NHIR"
check "JSON marks it" sh -c \
	'"$0" audit log --format json | python3 -c "
import json, sys
e = json.load(sys.stdin)[\"entries\"]
d = [x for x in e if x[\"action\"] == \"incident.declare\"][0]
u = [x for x in e if x[\"action\"] == \"user.add\"][0]
assert d[\"fixed_clock\"] is True and \"fixed_clock\" not in u"' "$NHIR"
"$NHIR" config set clock real >/dev/null
"$NHIR" --as lena incident declare --title later --severity low --lead lena \
	>/dev/null
check "back on the real clock, NHIR_NOW is refused again" exits 2 \
	env NHIR_NOW=2020-01-01T00:00:00Z "$NHIR" incident list
check "and later entries are not marked" sh -c \
	'"$0" audit log | tail -1 | grep -v -q "fixed clock"' "$NHIR"
check "the audit chain holds" "$NHIR" audit verify
done_testing
