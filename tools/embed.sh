#!/bin/sh
# embed.sh NAME FILE: prints C source defining FILE's bytes as the
# NUL-terminated string constant NAME (a text file without NUL).
set -eu
printf '/* %s, built in; generated from it by tools/embed.sh */\n' "$2"
printf 'extern const char %s[];\nconst char %s[] =\n' "$1" "$1"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/\t"/' -e 's/$/\\n"/' "$2"
printf ';\n'
