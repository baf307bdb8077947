#!/bin/sh
# The demo: a fresh database, the example estate imported, the blast
# radius of a leaked CI deploy key, then its audit logs: where it was used
# after the leak, what it minted and created, and the blast radius with
# what the logs revealed.
set -eu
NHIR=${1:-build/nhir}
dir=build/demo
rm -rf "$dir"
mkdir -p "$dir"
export NHIR_DB="$dir/nhir.db"
export NHIR_USER="${NHIR_USER:-demo-responder}"
# The example estate's sessions were minted on 2024-05-01: look at it
# as of that afternoon so the live tokens are live.
export NHIR_NOW=2024-05-01T12:00:00Z

run() {
	printf '\n$ %s\n' "$*"
	"$@"
}

run "$NHIR" init
run "$NHIR" import nhir examples/inventory/estate.jsonl
run "$NHIR" blast AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z
run "$NHIR" show ASIAEXAMPLESESSION1

# The key leaked at 09:00.  What do the audit logs say it did since?
export NHIR_NOW=2024-05-01T10:35:00Z
run "$NHIR" ingest cloudtrail examples/telemetry/cloudtrail
run "$NHIR" usage AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z
run "$NHIR" timeline --since 2024-05-01T09:00:00Z AKIAEXAMPLEDEPLOY01
run "$NHIR" blast --limit 5 AKIAEXAMPLEDEPLOY01 --exposed-at 2024-05-01T09:00:00Z
printf '\nThe database is %s; try: NHIR_DB=%s %s blast --format json AKIAEXAMPLEDEPLOY01\n' \
	"$NHIR_DB" "$NHIR_DB" "$NHIR"
