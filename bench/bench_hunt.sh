#!/bin/sh
# bench-hunt: "where was this key used?" over raw CloudTrail, answered by
# nhir hunt (the key's records and lineage, stored) and by what a
# responder would otherwise run: grep, ripgrep, DuckDB over the files.
# Each is timed on the same corpus, files in the page cache, best of
# RUNS, and printed as seconds, MB/s and its time over nhir's.
#   bench/bench_hunt.sh NHIR [MB [KEY [RUNS]]]
set -eu
NHIR=$1
MB=${2:-1000}
# a busy long-term key of the generated corpus, with sessions it minted
KEY=${3:-AKIAQQQQQQQQQQQQQQQ7}
RUNS=${4:-3}
ABSENT=AKIAQQQQQQQNOWHERE01
PEERS=build/bench-peers
dir=$(bench/corpus.sh "$MB")
db=build/bench/hunt-$MB.db
out=build/bench/hunt.out
files=$(find "$dir" -type f | wc -l)
bytes=$(cat "$dir"/* | wc -c)	# also brings the files into the cache
mb=$(echo "$bytes / 1000000" | bc -l)

now() { date +%s.%N; }
fresh() {	# an empty database for each hunt
	rm -f "$db" "$db"-*
	"$NHIR" --db "$db" init >/dev/null
}
# best PREP CMD...: the shortest wall time of RUNS runs of CMD, each after
# PREP (not timed); the last run's output is in $out
best() {
	prep=$1
	shift
	b=
	for _ in $(seq "$RUNS"); do
		$prep
		t0=$(now)
		"$@" >"$out" 2>&1 || true
		t=$(echo "$(now) - $t0" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then
			b=$t
		fi
	done
	echo "$b"
}

# the machine may be shared: how busy it was before the runs
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
t_none=$(best fresh "$NHIR" --db "$db" hunt cloudtrail "$ABSENT" "$dir")
t_hunt=$(best fresh "$NHIR" --db "$db" hunt cloudtrail "$KEY" "$dir")
summary=$(grep '^hunt:' "$out")
n_hunt=$(sqlite3 "$db" "SELECT count(*) FROM event e JOIN str s ON s.id = e.actor_key
	WHERE s.s = '$KEY'")
t_grep=$(best : grep -c -F -r "$KEY" "$dir")
n_grep=$(awk -F: '{ n += $NF } END { print n }' "$out")
t_rg=$(best : rg -c -F "$KEY" "$dir")
n_rg=$(awk -F: '{ n += $NF } END { print n }' "$out")
t_duck=$(best : node bench/duckdb_hunt.js "$PEERS" "$dir/*" "$KEY" 2)
n_duck=$(cat "$out")

line() {	# NAME SECONDS WHAT
	printf '  %-34s %7.3f s %7.0f MB/s %7.2fx nhir   %s\n' "$1" "$2" \
		"$(echo "$mb / $2" | bc -l)" "$(echo "$2 / $t_hunt" | bc -l)" "$3"
}
printf 'bench-hunt: %.0f MB of CloudTrail in %s files (cached), best of %s, load %s on %s cores\n' \
	"$mb" "$files" "$RUNS" "$load" "$(nproc 2>/dev/null || echo '?')"
printf '  key %s\n' "$KEY"
line "nhir hunt (records + lineage)" "$t_hunt" "$n_hunt events signed by the key"
line "nhir hunt, a key in no file" "$t_none" "the literal scan alone"
line "grep -c -F -r" "$t_grep" "$n_grep matching lines"
line "rg -c -F" "$t_rg" "$n_rg matching lines"
line "DuckDB read_json query (2 threads)" "$t_duck" "$n_duck records signed by the key"
echo "  ${summary#hunt: }"
if [ "$n_duck" != "$n_hunt" ]; then
	echo "bench-hunt: nhir and DuckDB disagree on the key's records" >&2
	exit 1
fi
