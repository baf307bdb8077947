#!/bin/sh
# Two nhir serve processes with the same Shared Signals configuration on
# one PostgreSQL database queue each SET once: a server's scan reads a
# stream's cursor under the write lock, so the scan of the other server,
# which read the stream list before the entry was written, does not
# queue it again under a new jti.  The write lock is held by hand while
# a credential is confirmed in scope, so that both servers' scans wait
# behind the change with the old cursor in hand.
# pg-leg: own cluster (each database is on the cluster it starts)
. tests/cli/lib.sh
. tests/cli/lib-servers.sh
servers_db nhir_ssf2
"$NHIR" init >/dev/null
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" user add ada --role admin >/dev/null
ADA=$("$NHIR" token create --user ada 2>/dev/null)
"$NHIR" --as lena incident declare --title "twice" --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
"$NHIR" report keygen "$T/ssf.key" >/dev/null 2>&1
chmod 600 "$T/ssf.key"
printf 'ssf:\n  issuer: http://127.0.0.1/\n  key: %s\n' "$T/ssf.key" >"$T/srv.yaml"

serve_as A --config "$T/srv.yaml"
serve_as B --config "$T/srv.yaml"
check "two servers with Shared Signals start on one database" serving A B

CC="https://schemas.openid.net/secevent/risc/event-type/credential-compromise"
check "a poll stream is made through server A" sh -c '
c=$(curl -s -m 10 -o "$2/mk.json" -w "%{http_code}" -H "Authorization: Bearer $1" \
	-H "Content-Type: application/json" -d "{\"delivery\": {\"method\":
	\"urn:ietf:rfc:8936\"}, \"events_requested\": [\"$3\"],
	\"aud\": \"https://rp.example/poll\"}" "$(cat "$2/url.A")/api/v1/ssf/streams")
test "$c" = 201 || { cat "$2/mk.json"; false; }' sh "$ADA" "$T" "$CC"

psql() { pg_as "$PG_BIN/psql" -X -A -t -q -h "$PG_SOCK" -U nhir -d nhir_ssf2 "$@"; }
sets() { psql -c "SELECT count(*) FROM ssf_set"; }
# confirm KEY: KEY confirmed in scope while the write lock is held for
# 2 s (both servers' scans, every 200 ms, wait behind the change)
confirm() {
	psql -c "BEGIN; SELECT pg_advisory_xact_lock(7242093584139577600);
		SELECT pg_sleep(2); COMMIT" >/dev/null &
	_h=$!
	sleep 0.05
	"$NHIR" --as lena incident scope INC-1 confirm "$1" >/dev/null
	wait $_h
}
# sets_are N: the stream holds N SETs, one for each entry
sets_are() {
	[ "$(sets)" = "$1" ] && [ "$(psql -c "SELECT count(*) FROM (SELECT seq
		FROM ssf_set GROUP BY seq HAVING count(*) > 1) d")" = 0 ] || {
		echo "$(sets) SETs, want $1:" >&2
		psql -c "SELECT stream, seq, jti, event FROM ssf_set ORDER BY id" >&2
		return 1
	}
}
want=0
for key in AKIAEXAMPLEDEPLOY01 ASIAEXAMPLESESSION1 ASIAEXAMPLESESSION2; do
	confirm $key
	want=$((want + 1))
	# both servers scan after the change: their next looks
	sleep 1
	check "after confirming $key: $want SET(s), one an entry" sets_are $want
done

done_testing
