#!/bin/sh
# Prints the directory of the generated CloudTrail corpus of about MB
# megabytes, generating it first if it is not there yet.
#   bench/corpus.sh MB
set -eu
dir=build/bench/ct-$1
mkdir -p build/bench
if [ ! -d "$dir" ]; then
	echo "bench: generating $1 MB of CloudTrail into $dir" >&2
	rm -rf "$dir.tmp"
	/usr/bin/python3 bench/gen_cloudtrail.py "$dir.tmp" "$1" >&2
	mv "$dir.tmp" "$dir"
fi
echo "$dir"
