#!/bin/sh
# nhir serve --tls-cert/--tls-key: HTTPS only, TLS 1.2 or newer, HSTS,
# and a private key kept from other users.  The certificate is made
# here, for 127.0.0.1, valid a day.
. tests/cli/lib.sh

for c in curl openssl; do
	command -v $c >/dev/null 2>&1 || {
		echo "ok 1 - # SKIP $c is not installed"
		echo "1..1"
		exit 0
	}
done

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh

(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1) >/dev/null 2>&1
"$NHIR" user add rory --role responder >/dev/null
RORY=$("$NHIR" token create --user rory 2>/dev/null)

check "a certificate without its key is a usage error" \
	exits 2 "$NHIR" serve --listen 127.0.0.1:0 --tls-cert "$T/cert.pem"
check "a key without a certificate too" \
	exits 2 "$NHIR" serve --listen 127.0.0.1:0 --tls-key "$T/key.pem"
check "a missing certificate: it does not start" \
	exits 1 "$NHIR" serve --listen 127.0.0.1:0 --tls-cert "$T/none.pem" --tls-key "$T/key.pem"
check "naming the file" has "$T/last.err" "$T/none.pem"
printf 'not a certificate\n' >"$T/junk.pem"
check "a file that is not PEM: it does not start" \
	exits 1 "$NHIR" serve --listen 127.0.0.1:0 --tls-cert "$T/junk.pem" --tls-key "$T/key.pem"
check "saying so" has "$T/last.err" "not PEM"
cp "$T/key.pem" "$T/open.pem" && chmod 644 "$T/open.pem"
check "a key others can read: it does not start" \
	exits 1 "$NHIR" serve --listen 127.0.0.1:0 --tls-cert "$T/cert.pem" --tls-key "$T/open.pem"
check "saying why" has "$T/last.err" "readable by group or others"

check "with its certificate and key it starts" \
	start_server --tls-cert "$T/cert.pem" --tls-key "$T/key.pem"
check "on https" has "$T/srv.out" "listening on https://127.0.0.1:"
req health --cacert "$T/cert.pem" "$URL/healthz"
check "healthz over TLS" code health 200
check "with HSTS" sh -c 'grep -qi "^strict-transport-security: max-age=31536000" "$0/health.head"' "$T"
req list --cacert "$T/cert.pem" -H "Authorization: Bearer $RORY" "$URL/api/v1/incidents"
check "the API over TLS" code list 200
check "an untrusted certificate is refused by the client" sh -c \
	'! curl -s -m 10 -o /dev/null "$0/healthz"' "$URL"
PLAIN=$(printf '%s' "$URL" | sed 's/^https:/http:/')
check "plain HTTP gets no answer" sh -c \
	'! curl -s -m 10 -o /dev/null -w "%{http_code}" "$0/healthz" | grep -q 200' "$PLAIN"
check "TLS 1.1 is refused" sh -c \
	'! curl -s -m 10 -o /dev/null --cacert "$1" --tlsv1.1 --tls-max 1.1 "$0/healthz"' "$URL" "$T/cert.pem"
req tls13 --cacert "$T/cert.pem" --tlsv1.3 "$URL/healthz"
check "TLS 1.3 is taken" code tls13 200
check "no key material in the log" sh -c '! grep -q "PRIVATE KEY" "$0/srv.err"' "$T"

done_testing
