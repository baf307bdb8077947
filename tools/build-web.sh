#!/bin/sh
# build-web.sh OUT: builds the web workbench (web/) into OUT: its
# dependencies (web/package.json, pinned by its lock file) installed
# with npm into build/web-deps once per change of the lock file, then
# bundled by esbuild (web/build.mjs) into OUT/index.html and hashed
# OUT/assets/*.  Without npm, OUT is left empty and the server is built
# without the workbench (scripts/deps.sh installs npm).
set -eu
out=$1
deps=build/web-deps
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "web: npm is absent: nhir serve is built without the web workbench (scripts/deps.sh)" >&2
else
	if ! cmp -s web/package-lock.json "$deps/package-lock.json" ||
	   [ ! -d "$deps/node_modules" ]; then
		echo "web: installing the workbench's dependencies into $deps" >&2
		rm -rf "$deps"
		mkdir -p "$deps"
		cp web/package.json web/package-lock.json "$deps/"
		(cd "$deps" && npm ci --ignore-scripts --no-audit --no-fund \
			--loglevel=error >/dev/null) || {
			rm -rf "$deps" "$out.tmp"
			echo "web: npm could not install web/package-lock.json" >&2
			exit 1
		}
	fi
	node web/build.mjs "$deps/node_modules" "$out.tmp"
fi
rm -rf "$out"
mv "$out.tmp" "$out"
: >"$out/.built"
