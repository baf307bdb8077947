#!/bin/sh
# The short leg of 'make check-torture': kill -9 during ingest, import
# and execute, and concurrent writers; nothing lost, nothing run twice,
# no change without its audit entry.
. tests/cli/lib.sh

check "the campaign, 2 rounds" exits 0 sh tests/torture/campaign.sh 2
check "prints its tallies" has "$T/last.out" "writes lost: 0 of 20; duplicate executions: 0; audit gaps: 0"
done_testing
