# Sourced by bench_hunt.sh and bench_ingest.sh: the first answer about a
# key from the raw files, by each way a responder has, side by side in
# the one run.  first_answer times what the caller has not (a variable
# left empty) once each, then prints the block.  The caller sets NHIR,
# PEERS, dir (the corpus), KEY and mb, and any of:
#   t_grep t_rg    grep -c -F -r / rg -c -F over the files
#   t_hunt         nhir hunt into a new database
#   t_duck         DuckDB's read_json query straight over the files
#   duck_s duck_q  DuckDB's load into a table, then its query
#   nhir_s u_key   nhir ingest into a new database, then nhir usage KEY

fa_now() { date +%s.%N; }
# fa_time CMD...: wall seconds of one run of CMD, its output discarded
fa_time() {
	fa_t0=$(fa_now)
	"$@" >/dev/null 2>&1 || true
	echo "$(fa_now) - $fa_t0" | bc -l
}

first_answer() {
	fa_db=build/bench/first-$$.db
	fa_duck=build/bench/first-$$.duckdb
	[ -n "${t_grep:-}" ] || t_grep=$(fa_time grep -c -F -r "$KEY" "$dir")
	[ -n "${t_rg:-}" ] || t_rg=$(fa_time rg -c -F "$KEY" "$dir")
	if [ -z "${t_hunt:-}" ]; then
		rm -f "$fa_db" "$fa_db"-*
		"$NHIR" --db "$fa_db" init >/dev/null
		t_hunt=$(fa_time "$NHIR" --db "$fa_db" hunt cloudtrail "$KEY" "$dir")
	fi
	[ -n "${t_duck:-}" ] ||
		t_duck=$(fa_time node bench/duckdb_hunt.js "$PEERS" "$dir/*" "$KEY" 2)
	if [ -z "${duck_s:-}" ]; then
		rm -f "$fa_duck" "$fa_duck".wal
		set -- $(node bench/duckdb_load.js "$PEERS" "$dir/*" "$fa_duck" "$KEY" 2)
		duck_s=$1 duck_q=$3
	fi
	if [ -z "${nhir_s:-}" ]; then
		rm -f "$fa_db" "$fa_db"-*
		"$NHIR" --db "$fa_db" init >/dev/null
		nhir_s=$(fa_time "$NHIR" --db "$fa_db" ingest cloudtrail "$dir")
		u_key=$(fa_time "$NHIR" --db "$fa_db" usage --format json "$KEY")
	fi
	rm -f "$fa_db" "$fa_db"-* "$fa_duck" "$fa_duck".wal
	echo "  the first answer about $KEY from the raw files (time over nhir hunt's):"
	fa_line "grep -c -F -r" "$t_grep" "a count of lines"
	fa_line "rg -c -F" "$t_rg" "a count of lines"
	fa_line "nhir hunt" "$t_hunt" "records, lineage, stored"
	fa_line "DuckDB read_json query" "$t_duck" "a count of records"
	fa_line "DuckDB load + query" "$(echo "$duck_s + $duck_q" | bc -l)" \
		"$(printf 'load %.2f s, query %.3f s' "$duck_s" "$duck_q")"
	fa_line "nhir ingest + usage" "$(echo "$nhir_s + $u_key" | bc -l)" \
		"$(printf 'ingest %.2f s, usage %.3f s' "$nhir_s" "$u_key")"
}

fa_line() {	# NAME SECONDS WHAT
	printf '    %-24s %8.3f s %7.0f MB/s %7.2fx  %s\n' "$1" "$2" \
		"$(echo "$mb / $2" | bc -l)" "$(echo "$2 / $t_hunt" | bc -l)" "$3"
}
