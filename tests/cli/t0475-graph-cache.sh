#!/bin/sh
# The graph cache (DB-graph) carries a checksum: a cache changed after
# it was written, by a flipped bit or an edit, is never used; the graph
# is rebuilt from the database and the answer stays the database's.
# pg-leg: not run (PostgreSQL keeps no graph cache file: t0189, t0191)
. tests/cli/lib.sh

"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
export NHIR_NOW=2024-05-01T12:00:00Z
cache=$NHIR_DB-graph

check "the import leaves a cache" test -s "$cache"
"$NHIR" blast --format json AKIAEXAMPLEDEPLOY01 >"$T/want.json"
cp "$cache" "$T/good"

# flip FILE BIT: inverts one bit of FILE in place
flip() {
	python3 -c '
import sys
p, bit = sys.argv[1], int(sys.argv[2])
with open(p, "r+b") as f:
    f.seek(bit // 8)
    b = f.read(1)[0] ^ (1 << (bit % 8))
    f.seek(bit // 8)
    f.write(bytes([b]))' "$1" "$2"
}

# 60 bit flips spread over the whole file (header and arrays), one at a
# time: each blast must answer as the database does, and leave the
# cache rebuilt as it was
bits=$(($(stat -c %s "$T/good") * 8))
changed=0 kept=0 i=0
while [ $i -lt 60 ]; do
	bit=$(((i * 7919 + 13) * 104729 % bits))
	cp "$T/good" "$cache"
	flip "$cache" "$bit"
	"$NHIR" blast --format json AKIAEXAMPLEDEPLOY01 >"$T/got.json" 2>&1
	cmp -s "$T/want.json" "$T/got.json" || changed=$((changed + 1))
	cmp -s "$T/good" "$cache" || kept=$((kept + 1))
	i=$((i + 1))
done
check "no flipped bit changes the blast radius" test "$changed" = 0
check "every damaged cache was rebuilt" test "$kept" = 0

# an edit that keeps every bound: each edge's target moved to another
# node (a valid index), as a forger would
python3 - "$cache" <<'P'
import struct, sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
# header: magic 8, version 4, node_nr 4, edge_nr, timed_nr, rev_nr,
# end_nr 8 each, tag 32, then the section offsets (S_OUT_DST is 6th)
node_nr, edge_nr = struct.unpack_from("<IQ", d, 12)
off = struct.unpack_from("<18Q", d, 8 + 4 + 4 + 32 + 32)
for e in range(edge_nr):
    v = struct.unpack_from("<I", d, off[6] + 4 * e)[0]
    struct.pack_into("<I", d, off[6] + 4 * e, (v + 1) % node_nr)
open(p, "wb").write(d)
P
check "an edited edge in the cache is not believed" sh -c \
	'"$NHIR" blast --format json AKIAEXAMPLEDEPLOY01 >"$0/got.json" &&
	cmp "$0/want.json" "$0/got.json"' "$T"
check "and the cache is rebuilt" cmp "$T/good" "$cache"

# the operations that change the graph make the cache again themselves,
# so the next read finds it fresh: an ingest that adds lineage ...
rm -f "$cache"
"$NHIR" ingest cloudtrail examples/telemetry/cloudtrail >/dev/null
check "an ingest that adds lineage leaves a cache" test -s "$cache"
cp "$cache" "$T/ingested"
"$NHIR" blast --format json ASIAEXAMPLESESSION2 >/dev/null
check "which the next blast finds fresh" cmp "$T/ingested" "$cache"

# ... and a hunt
export NHIR_DB="$T/hunt.db"
cache=$NHIR_DB-graph
"$NHIR" init --fixed-clock >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
rm -f "$cache"
check "a hunt that finds lineage" sh -c '"$NHIR" hunt cloudtrail \
	AKIAEXAMPLEDEPLOY01 examples/telemetry/cloudtrail >/dev/null 2>&1'
check "leaves a cache" test -s "$cache"
cp "$cache" "$T/hunted"
"$NHIR" blast --format json ASIAEXAMPLESESSION2 >/dev/null
check "which the next blast finds fresh" cmp "$T/hunted" "$cache"

done_testing
