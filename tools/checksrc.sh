#!/bin/sh
# What the compiler does not enforce (see STYLE): banned functions, raw
# allocation outside src/core/alloc.c, C++ comments, typedef'd structs,
# trailing whitespace, front ends including internal headers, and SQL
# or store headers where the layers (doc/internals/layers.md) forbid them.
# Prints FILE:LINE: problem and exits 1 if there is any.
set -u
out=$(mktemp)
trap 'rm -f "$out"' EXIT
report() {
	# $1 = description; stdin = grep -n output "file:line:text"
	while IFS= read -r hit; do
		echo "${hit%%:*}:$(echo "$hit" | cut -d: -f2): $1"
	done >>"$out"
}

lib=$(find src include -name '*.[ch]' | sort)
all=$(find src include tests fuzz bench -name '*.[ch]' | sort)

# banned.h makes these compile errors in the library; catch the rest.
grep -nE '\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|atoi|atol|gets|gmtime|localtime|ctime|asctime)\(' \
	$(echo "$lib" | grep -v banned.h) /dev/null | report "banned function"
grep -nE '(^|[^_a-z])(malloc|calloc|realloc|free|strdup)\(' \
	$(echo "$lib" | grep -v -e src/core/alloc.c -e src/cli/ -e src/server/) /dev/null |
	grep -v -e 'cJSON_free' -e 'sqlite3_free' -e '^\S*:[0-9]*:\s*\*' -e '/\*' |
	report "raw allocation outside src/core/alloc.c"
grep -nE '^[^"]*//' $lib /dev/null | grep -v -e 'http://' -e 'https://' |
	report "C++ comment"
grep -nE '^\s*typedef\s+struct' $all /dev/null | report "typedef'd struct"
grep -nE '\s+$' $all /dev/null | report "trailing whitespace"
# Strings in output come from the incident: the front end writes only
# through src/cli/out.c, which shows their control characters escaped.
grep -nE '(^|[^_a-z])(printf|fprintf|vfprintf|puts|fputs|putchar|fputc|putc|fwrite|write|dprintf)\(' \
	$(ls src/cli/*.c | grep -v src/cli/out.c) /dev/null |
	grep -v -e '^\S*:[0-9]*:\s*\*' -e '^\S*:[0-9]*:\s*/\*' |
	report "output outside src/cli/out.c (use out_printf, out_raw)"
grep -nE '#include "(store|ingest|core|record|plan|findings|report|doc)/' \
	src/cli/*.c src/server/*.[ch] /dev/null |
	report "front end includes an internal header"
# Documents are the library's (include/nhir/doc.h, src/doc/): the front
# end prints them and builds no JSON of its own, neither with printf nor
# with cJSON.
# (A line of help text, a whole string ending in a newline, may quote
# JSON to show what a file holds.)
grep -nE '\\"[A-Za-z_]+\\"|\{\\"|cJSON_(Create|Add)[A-Za-z]*\(|cli_json_str\(' \
	src/cli/*.c /dev/null |
	grep -vE '^[^:]*:[0-9]+:\s*".*\\n"$' |
	report "JSON built in the front end (a document of nhir/doc.h)"
# The layers (doc/internals/layers.md): core/ is pure computation and
# never reaches the store, even through another header; nothing outside
# src/store/ sees the store's internals or SQLite itself.
cflags="-Iinclude -Isrc $(pkg-config --cflags libcjson 2>/dev/null)"
for f in src/core/*.c; do
	# shellcheck disable=SC2086
	${CC:-cc} -MM $cflags "$f" 2>/dev/null | tr ' \\' '\n\n' |
		grep -qE '(^|/)(nhir/store\.h|store/)' &&
		echo "$f:1: core/ includes a store header" >>"$out"
done
# The same, said plainly: no core file includes a store header itself.
grep -nE '#include "(nhir/store\.h|store/)' src/core/*.[ch] /dev/null |
	report "core/ includes a store header"
# SQL is the store's: no statement in a string literal of the library
# or a front end outside src/store/ (tests and benchmarks may build or
# tamper with a database file directly).
grep -nE '"(SELECT|INSERT|UPDATE|DELETE|CREATE|WITH|DROP|ALTER|PRAGMA|REPLACE) ' \
	$(echo "$lib" | grep -v '^src/store/') /dev/null |
	report "SQL outside src/store/"
grep -nE '#include ("store/(store-internal\.h|sqlite/)|<sqlite3\.h>)' \
	$(echo "$lib" | grep -v '^src/store/') /dev/null |
	report "the store's internals outside src/store/"
grep -nE '#include "store/sqlite/' \
	$(echo "$lib" | grep -v '^src/store/sqlite/') /dev/null |
	report "the SQLite backend's header outside src/store/sqlite/"
# A statement of sq_query() may be one the connection keeps: it goes
# back with sq_done(), which finalizes only what is not kept.  Only the
# files that prepare their own statements finalize them.
grep -nE 'sqlite3_finalize\(' \
	$(ls src/store/sqlite/*.c | grep -v -e /db.c -e /graph.c -e /events.c \
		-e /stmt.c -e /copy.c) /dev/null |
	report "sqlite3_finalize on what may be a kept statement (use sq_done)"
# The library takes its settings from its caller, never from the
# environment or the working directory: the front end reads those.  A
# connector's ${env:NAME} secret reference, the variables its 'env'
# names, the AWS credential variables of the built-in aws connector and
# the kubeconfig's of the kubernetes connector are read through the
# lookup the operation's context carries (nhir/ctx.h).  The server's
# main and configuration code is a front end too, but reads nothing
# itself today: only src/cli/ does.
grep -nE '(^|[^_a-z])(getenv|secure_getenv|getcwd)\(' \
	$(echo "$lib" | grep -v '^src/cli/') /dev/null |
	report "the library reads the environment (front ends pass it in)"
if [ -s "$out" ]; then
	cat "$out"
	exit 1
fi
exit 0
