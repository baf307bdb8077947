#!/bin/sh
# bench-store: the same work on SQLite and on PostgreSQL, side by side in
# one run: ingest of the bench-ingest corpus (about MB megabytes), usage
# of the busiest key and of a typical one (all time, and over a window
# that reads the events), blast end to end, and the graph loaded from
# each database.  PostgreSQL is a throwaway cluster (tests/lib-pg.sh)
# with synchronous_commit off and fsync on: what SQLite's WAL with
# synchronous=NORMAL promises.  Every time is the best of RUNS.
#   bench/bench_store.sh NHIR [MB [RUNS]]
set -eu
NHIR=$1
MB=${2:-1000}
RUNS=${3:-3}
case $NHIR in /*) ;; *) NHIR=$PWD/$NHIR ;; esac
dir=$(bench/corpus.sh "$MB")
. tests/lib-pg.sh
PG_SETTINGS="-c synchronous_commit=off"
pg_start
PSQL="$PG_BIN/psql -X -At -h $PG_SOCK -U nhir -d nhir_bench"
sq=$PWD/build/bench/store-$MB.db
pg=$(printf '%s' "$PG_DSN" | sed 's/%s/nhir_bench/')
files=$PWD/build/bench/store-files
out=build/bench/store.out
rm -rf "$sq" "$sq"-* "$files"
mkdir -p "$files"
export NHIR_FILES="$files"
bytes=$(cat "$dir"/*.json | wc -c)	# also brings the files into the cache
mb=$(echo "$bytes / 1000000" | bc -l)
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')

now() { date +%s.%N; }
# best CMD...: the shortest wall time of RUNS runs
best() {
	b=
	for _ in $(seq "$RUNS"); do
		t0=$(now)
		"$@" >"$out" 2>&1
		t=$(echo "$(now) - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then
			b=$t
		fi
	done
	echo "$b"
}
once() {
	t0=$(now)
	"$@" >"$out" 2>&1
	echo "$(now) - $t0" | bc -l
}

"$NHIR" --db "$sq" init >/dev/null
"$NHIR" --db "$pg" init >/dev/null
i_sq=$(once "$NHIR" --db "$sq" ingest cloudtrail "$dir")
i_pg=$(once "$NHIR" --db "$pg" ingest cloudtrail "$dir")
n_sq=$(sqlite3 "$sq" 'SELECT count(*) FROM event')
n_pg=$($PSQL -c 'SELECT count(*) FROM event')
$PSQL -c 'VACUUM ANALYZE' >/dev/null

# the busiest key, and a typical one: the median by events signed
keys=$(sqlite3 "$sq" "SELECT s.s, count(*) FROM event e JOIN str s
	ON s.id = e.actor_key WHERE s.s LIKE 'AKIA%' GROUP BY e.actor_key
	ORDER BY count(*), s.s")
busy=$(echo "$keys" | tail -1 | cut -d'|' -f1)
nb=$(echo "$keys" | tail -1 | cut -d'|' -f2)
typ=$(echo "$keys" | sed -n "$(( ($(echo "$keys" | wc -l) + 1) / 2 ))p" |
	cut -d'|' -f1)
nt=$(echo "$keys" | sed -n "$(( ($(echo "$keys" | wc -l) + 1) / 2 ))p" |
	cut -d'|' -f2)
since=1970-01-01T00:00:00Z

line() {	# WHAT SQLITE_S PG_S
	printf '  %-40s %8.3f s %8.3f s   pg/sqlite %5.2fx\n' "$1" "$2" "$3" \
		"$(echo "$3 / $2" | bc -l)"
}
printf 'bench-store: %.0f MB of CloudTrail, %s events, load %s on %s cores\n' \
	"$mb" "$n_sq" "$load" "$(nproc 2>/dev/null || echo '?')"
printf '  PostgreSQL %s, synchronous_commit off; SQLite WAL, synchronous NORMAL\n' \
	"$($PSQL -c 'SHOW server_version' | cut -d' ' -f1)"
printf '  %-40s %10s %10s\n' "" "SQLite" "PostgreSQL"
r_sq=$(echo "$n_sq / $i_sq" | bc -l)
r_pg=$(echo "$n_pg / $i_pg" | bc -l)
printf '  %-40s %8.2f s %8.2f s   pg/sqlite %5.2fx time\n' "ingest ($n_pg events on PostgreSQL)" \
	"$i_sq" "$i_pg" "$(echo "$i_pg / $i_sq" | bc -l)"
printf '  %-40s %8.0f/s %8.0f/s   pg/sqlite %5.2fx rate (target >= 0.50)\n' \
	"ingest rate, events" "$r_sq" "$r_pg" "$(echo "$r_pg / $r_sq" | bc -l)"
printf '  %-40s %6.1f MB/s %6.1f MB/s\n' "ingest rate, bytes" \
	"$(echo "$mb / $i_sq" | bc -l)" "$(echo "$mb / $i_pg" | bc -l)"
for k in busy typ; do
	eval key=\$$k
	[ $k = busy ] && n=$nb || n=$nt
	line "usage, $k key ($n events)" \
		"$(best "$NHIR" --db "$sq" usage --format json "$key")" \
		"$(best "$NHIR" --db "$pg" usage --format json "$key")"
	line "  over a window (reads its events)" \
		"$(best "$NHIR" --db "$sq" usage --format json --since "$since" "$key")" \
		"$(best "$NHIR" --db "$pg" usage --format json --since "$since" "$key")"
done
line "blast, busiest key, end to end" \
	"$(best "$NHIR" --db "$sq" blast --format json "$busy")" \
	"$(best "$NHIR" --db "$pg" blast --format json "$busy")"
nodes=$(sqlite3 "$sq" 'SELECT count(*) FROM node')
edges=$(sqlite3 "$sq" 'SELECT count(*) FROM edge')
# the graph from the database: SQLite's cache file removed before each
# run (so it is built from the tables); PostgreSQL always reads them
stale() { rm -f "$sq-graph"; "$NHIR" --db "$sq" blast --format json "$busy"; }
line "graph built from the database ($nodes nodes, $edges edges), blast" \
	"$(best stale)" "$(best "$NHIR" --db "$pg" blast --format json "$busy")"
echo "  the same, SQLite from its graph cache file (warm): see blast above"
