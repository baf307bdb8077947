#!/bin/sh
# embed-ui.sh DIR: prints C source defining srv_assets (src/server/ui.h)
# from the web workbench built into DIR (tools/build-web.sh): DIR/index.html
# served as "/", DIR/assets/* under /assets/.  An empty DIR: no files.
set -eu
dir=$1
printf '/* the web workbench (%s), built in by tools/embed-ui.sh */\n' "$dir"
printf '#include "server/ui.h"\n\n'
i=0
list=
for f in "$dir/index.html" "$dir"/assets/*; do
	[ -f "$f" ] || continue
	case $f in
	*.html) type='text/html; charset=utf-8' ;;
	*.js) type='text/javascript; charset=utf-8' ;;
	*.css) type='text/css; charset=utf-8' ;;
	*.svg) type='image/svg+xml' ;;
	*.png) type='image/png' ;;
	*) continue ;;
	esac
	case $f in
	*/index.html) path=/ ;;
	*) path=/assets/${f##*/} ;;
	esac
	printf 'static const unsigned char f%d[] = {\n' "$i"
	od -An -v -tx1 "$f" | sed -e 's/ *$//' -e 's/^ */\t0x/' -e 's/ \{1,\}/, 0x/g' -e 's/$/,/'
	printf '\t0\n};\n'
	list="$list	{ \"$path\", \"$type\", f$i, sizeof(f$i) - 1 },
"
	i=$((i + 1))
done
printf 'const struct srv_asset srv_assets[] = {\n%s\t{ NULL, NULL, NULL, 0 }\n};\n' "$list"
