#!/bin/sh
# Under load: writers wait for the lock (bounded by NHIR_BUSY_TIMEOUT,
# default 60 s) instead of failing with "database is locked".
. tests/cli/lib.sh

"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" --as rory incident declare --title "leak" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null

# hold SECONDS: another writer holds the write lock that long (on
# PostgreSQL the advisory lock every nhir writer takes first)
hold() {
	rm -f "$T/held"
	if on_pg; then
		pg_client psql -X -q -d "$NHIR_DB" -c BEGIN \
			-c "SELECT pg_advisory_xact_lock(7242093584139577600)" \
			-c "\\! touch '$T/held'" -c "SELECT pg_sleep($1)" \
			-c COMMIT >/dev/null &
		holder=$!
		while [ ! -e "$T/held" ]; do sleep 0.1; done
		return
	fi
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
time.sleep(float(sys.argv[3]))
c.execute("COMMIT")' "$NHIR_DB" "$T/held" "$1" &
	holder=$!
	while [ ! -e "$T/held" ]; do sleep 0.1; done
}

hold 12
check "a writer waits out a lock held 12 s" "$NHIR" --as rory note INC-1 "after the lock"
wait $holder
check "and its note is there" test "$(db_sql "SELECT count(*) FROM note WHERE body = 'after the lock'")" = 1
hold 4
check "the wait is bounded" exits 1 env NHIR_BUSY_TIMEOUT=1 "$NHIR" --as rory note INC-1 "too soon"
check "and says the database is busy" has "$T/last.err" "the database is busy: another writer held it for 1 s"
check "not 'database is locked'" hasnt "$T/last.err" "database is locked"
wait $holder
check "a bad timeout is a usage error" exits 2 env NHIR_BUSY_TIMEOUT=soon "$NHIR" --as rory note INC-1 x

before=$(db_sql "SELECT count(*) FROM note")
i=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	{ "$NHIR" --as rory note INC-1 "concurrent $i" >"$T/c$i.out" 2>&1 ||
		echo "$i" >>"$T/failed"; } &
done
wait
check "30 concurrent writers: none fails" test ! -e "$T/failed"
check "none says the database is locked" sh -c '! grep -l "locked" "$0"/c*.out' "$T"
check "every note is there" test "$(db_sql "SELECT count(*) FROM note")" = $((before + 30))
check "each on the audit log" test "$(db_sql "SELECT count(*) FROM audit WHERE action = 'note' AND detail LIKE '%concurrent%'")" = 30
check "and the chain is intact" "$NHIR" audit verify
done_testing
