#!/bin/sh
# Install the Debian packages nhir needs to build, test and demo.
# Idempotent and quiet when everything is already present.
#   scripts/deps.sh            build + test packages
#   scripts/deps.sh bench      also what the benchmarks compare against
set -eu

pkgs="build-essential pkg-config clang libclang-rt-14-dev sqlite3
libsqlite3-dev libcjson-dev libsodium-dev libcmocka-dev zlib1g-dev libssl-dev
libyaml-dev libcurl4-openssl-dev python3 chromium"
if [ "${1:-}" = bench ]; then
	pkgs="$pkgs python3 python3-networkx jq ripgrep bc"
fi

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

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
