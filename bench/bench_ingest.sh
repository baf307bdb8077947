#!/bin/sh
# bench-ingest: nhir ingest against DuckDB's load of the same records
# (2 threads) and jq over the same CloudTrail corpus, their sizes on
# disk, and nhir usage against ripgrep over the raw files.  The corpus
# (about MB megabytes, default 1000) is generated once into build/bench/.
#   bench/bench_ingest.sh NHIR [MB]
set -eu
NHIR=$1
MB=${2:-1000}
dir=$(bench/corpus.sh "$MB")
db=build/bench/ingest-$MB.db
duck=build/bench/duck-$MB.duckdb
PEERS=build/bench-peers
KEY=AKIAQQQQQQQQQQQQQQQ7
. bench/first.sh
# the machine may be shared: how busy it was before the runs
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
bytes=$(cat "$dir"/*.json | wc -c)
mb=$(echo "$bytes / 1000000" | bc -l)

# the same files, parsed only, by jq
t0=$(date +%s.%N)
cat "$dir"/*.json | jq -c . >/dev/null
jq_s=$(echo "$(date +%s.%N) - $t0" | bc -l)

# DuckDB: the records loaded into a table of a database file
rm -f "$duck" "$duck".wal
set -- $(node bench/duckdb_load.js "$PEERS" "$dir/*" "$duck" "$KEY" 2)
duck_s=$1 duck_n=$2 duck_q=$3
duck_size=$(stat -c %s "$duck")

rm -f "$db" "$db"-*
"$NHIR" --db "$db" init >/dev/null
/usr/bin/time -f '%e %M' -o build/bench/ingest.time \
	"$NHIR" --db "$db" ingest cloudtrail "$dir" >build/bench/ingest.out
read -r nhir_s rss <build/bench/ingest.time
events=$(sqlite3 "$db" 'SELECT count(*) FROM event')
nhir_size=$(stat -c %s "$db")
# the events' rows and their indexes alone
ev_size=$(sqlite3 "$db" "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'event%'")
n_nhir=$(sqlite3 "$db" "SELECT count(*) FROM event e JOIN str s ON s.id = e.actor_key
	WHERE s.s = '$KEY'")

# a busy key: the one signing most events
key=$(sqlite3 "$db" 'SELECT s.s FROM event e JOIN str s ON s.id = e.actor_key
	GROUP BY e.actor_key ORDER BY count(*) DESC LIMIT 1')
quiet=$(sqlite3 "$db" "SELECT s.s FROM event e JOIN str s ON s.id = e.actor_key
	WHERE s.s LIKE 'AKIA%' GROUP BY e.actor_key ORDER BY count(*) LIMIT 1")
usage_time() {
	best=999
	for i in 1 2 3; do
		t0=$(date +%s.%N)
		"$NHIR" --db "$db" usage --format json "$@" >/dev/null
		t=$(echo "$(date +%s.%N) - $t0" | bc -l)
		best=$(echo "if ($t < $best) $t else $best" | bc -l)
	done
	echo "$best"
}
rg_time() {
	t0=$(date +%s.%N)
	rg -c -F "$1" "$dir" >/dev/null || true
	echo "$(date +%s.%N) - $t0" | bc -l
}
u_busy=$(usage_time "$key")
u_quiet=$(usage_time "$quiet")
rg_busy=$(rg_time "$key")
n_busy=$(sqlite3 "$db" "SELECT count(*) FROM event WHERE actor_key = (SELECT id FROM str WHERE s = '$key')")
lin_busy=$("$NHIR" --db "$db" usage --format json "$key" |
	python3 -c 'import json, sys; print(len(json.load(sys.stdin)["keys"]) - 1)')
w_busy=$(usage_time "$key" --since 1970-01-01T00:00:00Z)
n_quiet=$(sqlite3 "$db" "SELECT count(*) FROM event WHERE actor_key = (SELECT id FROM str WHERE s = '$quiet')")

printf 'bench-ingest: %.0f MB, %s events in %s files, load %s on %s cores\n' \
	"$mb" "$events" "$(ls "$dir" | wc -l)" "$load" "$(nproc 2>/dev/null || echo '?')"
printf '  DuckDB read_json load  %7.2f s  %6.1f MB/s  (2 threads), %.1f MB on disk\n' \
	"$duck_s" "$(echo "$mb / $duck_s" | bc -l)" "$(echo "$duck_size / 1000000" | bc -l)"
printf '    DuckDB query after the load, %s records of %s  %.3f s\n' \
	"$duck_n" "$KEY" "$duck_q"
printf '  jq -c . (parse only)   %7.2f s  %6.1f MB/s\n' "$jq_s" \
	"$(echo "$mb / $jq_s" | bc -l)"
printf '  nhir ingest            %7.2f s  %6.1f MB/s  %.2fx jq, peak RSS %d MB\n' \
	"$nhir_s" "$(echo "$mb / $nhir_s" | bc -l)" \
	"$(echo "$jq_s / $nhir_s" | bc -l)" "$((rss / 1024))"
printf '    %.2fx DuckDB'"'"'s rate; %.1f MB on disk (events and their indexes %.1f MB), %.2fx DuckDB'"'"'s\n' \
	"$(echo "$duck_s / $nhir_s" | bc -l)" "$(echo "$nhir_size / 1000000" | bc -l)" \
	"$(echo "$ev_size / 1000000" | bc -l)" "$(echo "$nhir_size / $duck_size" | bc -l)"
printf '  nhir usage, key with %s events and %s minted  %.3f s\n' \
	"$n_busy" "$lin_busy" "$u_busy"
printf '    the same from its events (--since before them all)  %.3f s\n' \
	"$w_busy"
printf '  nhir usage, key with %s events  %.3f s\n' "$n_quiet" "$u_quiet"
printf '  rg -c over the raw files        %.3f s\n' "$rg_busy"
# 10 GB on paper: both loads are linear in the bytes (doc: bench/README.md)
printf '  at 10 GB, this run scaled (not measured): DuckDB load %.0f s, nhir ingest %.0f s, %.2fx\n' \
	"$(echo "$duck_s * 10000 / $mb" | bc -l)" \
	"$(echo "$nhir_s * 10000 / $mb" | bc -l)" "$(echo "$duck_s / $nhir_s" | bc -l)"
u_key=$(usage_time "$KEY")
first_answer
if [ "$duck_n" != "$n_nhir" ]; then
	echo "bench-ingest: nhir and DuckDB disagree on $KEY's records ($n_nhir, $duck_n)" >&2
	exit 1
fi
