#!/bin/sh
# Install the Debian packages nhir needs to build, test and demo.
# Idempotent and quiet when everything is already present.
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh bench      also what the benchmarks compare against
set -eu

pkgs="build-essential pkg-config clang libclang-rt-14-dev sqlite3
libsqlite3-dev libcjson-dev libsodium-dev libcmocka-dev zlib1g-dev libssl-dev
libyaml-dev libcurl4-openssl-dev libmicrohttpd-dev curl python3 chromium"
# tests/cli/t0765 runs the shipped reverse-proxy example
pkgs="$pkgs nginx"
# tests/cli/t0345 stops nhir between a change and its audit entry
pkgs="$pkgs gdb"
# the PostgreSQL store (libpq) and the server its tests run (tests/lib-pg.sh)
pkgs="$pkgs libpq-dev postgresql"
if [ "${1:-}" = bench ]; then
	pkgs="$pkgs python3 python3-networkx jq ripgrep bc wrk"
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
# npm installs the test peers; Debian's when none is on the PATH
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages:$missing" >&2
		echo "deps: run 'sudo scripts/deps.sh' or install them yourself" >&2
		exit 1
	fi
	echo "deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The test peers (tests/peers/package.json, pinned by its lock file)
# go to build/peers, once per change of the lock file.
if ! cmp -s tests/peers/package-lock.json build/peers/package-lock.json ||
   [ ! -d build/peers/node_modules ]; then
	echo "deps: installing the test peers into build/peers" >&2
	rm -rf build/peers
	mkdir -p build/peers
	cp tests/peers/package.json tests/peers/package-lock.json build/peers/
	(cd build/peers && npm ci --ignore-scripts --no-audit --no-fund \
		--loglevel=error >/dev/null) || {
		rm -rf build/peers
		echo "deps: npm could not install the test peers" >&2
		exit 1
	}
fi

# The benchmark peers (bench/peers: DuckDB), pinned by its lock file, go
# to build/bench-peers; only the benchmarks use them.
if [ "${1:-}" = bench ] &&
   { ! cmp -s bench/peers/package-lock.json build/bench-peers/package-lock.json ||
     [ ! -d build/bench-peers/node_modules ]; }; then
	echo "deps: installing the benchmark peers into build/bench-peers" >&2
	rm -rf build/bench-peers
	mkdir -p build/bench-peers
	cp bench/peers/package.json bench/peers/package-lock.json build/bench-peers/
	(cd build/bench-peers && npm ci --ignore-scripts --no-audit --no-fund \
		--loglevel=error >/dev/null) || {
		rm -rf build/bench-peers
		echo "deps: npm could not install the benchmark peers" >&2
		exit 1
	}
fi
