#!/bin/sh
# examples/deploy/nginx-nhir.conf, as shipped, in front of a real nhir
# serve: TLS at the proxy, HSTS, tokens and problems passed through, the
# change made as the token's user.  nginx runs in the foreground as one
# process (no workers that could outlive it) from a scratch directory,
# and is killed whatever happens.
. tests/cli/lib.sh

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for c in curl openssl "$NGINX"; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "ok 1 - # SKIP $c is not installed"
		echo "1..1"
		exit 0
	}
done

"$NHIR" init >/dev/null
cd "$ROOT" || exit 1
. tests/cli/lib-serve.sh
NGX_PID=
stop_all() {
	[ -n "$NGX_PID" ] && kill -KILL "$NGX_PID" 2>/dev/null
	stop_server
}
trap stop_all EXIT

(umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	-nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1) >/dev/null 2>&1
"$NHIR" import nhir examples/inventory/estate.jsonl >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add lena --role lead >/dev/null
"$NHIR" --as rory incident declare --title leak --severity high \
	--lead lena --seed AKIAEXAMPLEDEPLOY01 >/dev/null
RORY=$("$NHIR" token create --user rory 2>/dev/null)

check "nhir serve starts" start_server
UP=${URL#http://}

# start_proxy: the shipped server block, pointed at this server, with a
# test certificate, on a free port; sets PURL
start_proxy() {
	mkdir -p "$T/ngx"
	for try in 1 2 3 4 5 6 7 8; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
		sed -e "s|listen 443 ssl;|listen 127.0.0.1:$port ssl;|" \
		    -e "s|server 127.0.0.1:8470;|server $UP;|" \
		    -e "s|/etc/nginx/tls/nhir.crt|$T/cert.pem|" \
		    -e "s|/etc/nginx/tls/nhir.key|$T/key.pem|" \
		    -e "s|/var/log/nginx/nhir.access.log|$T/ngx/access.log|" \
		    examples/deploy/nginx-nhir.conf >"$T/ngx/site.conf"
		cat >"$T/ngx/nginx.conf" <<CONF
daemon off;
master_process off;
pid $T/ngx/nginx.pid;
error_log $T/ngx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 64; }
http {
	client_body_temp_path $T/ngx/body;
	proxy_temp_path $T/ngx/proxy;
	fastcgi_temp_path $T/ngx/fastcgi;
	uwsgi_temp_path $T/ngx/uwsgi;
	scgi_temp_path $T/ngx/scgi;
	include $T/ngx/site.conf;
}
CONF
		"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/error.log" \
			>/dev/null 2>&1 &
		NGX_PID=$!
		PURL=https://127.0.0.1:$port
		i=0
		while [ $i -lt 50 ]; do
			curl -s -m 2 -o /dev/null --cacert "$T/cert.pem" "$PURL/healthz" &&
				return 0
			kill -0 "$NGX_PID" 2>/dev/null || break
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$NGX_PID" 2>/dev/null
		NGX_PID=
	done
	cat "$T/ngx/error.log" >&2
	return 1
}

check "nginx starts with the shipped server block" start_proxy
check "which nginx -t finds valid" "$NGINX" -t -q -p "$T/ngx" -c "$T/ngx/nginx.conf" -e "$T/ngx/error.log"
req health --cacert "$T/cert.pem" "$PURL/healthz"
check "healthz through the proxy" code health 200
check "with HSTS from the proxy" sh -c 'grep -qi "^strict-transport-security: max-age=31536000" "$0/health.head"' "$T"
req anon --cacert "$T/cert.pem" "$PURL/api/v1/incidents"
check "no token: 401 passed through" code anon 401
check "as problem+json" problem anon 401 NHIR_EDENIED
req list --cacert "$T/cert.pem" -H "Authorization: Bearer $RORY" "$PURL/api/v1/incidents"
check "the token passed through" code list 200
req direct -H "Authorization: Bearer $RORY" "$URL/api/v1/incidents"
check "the same document as directly" cmp "$T/list.body" "$T/direct.body"
req note --cacert "$T/cert.pem" -H "Authorization: Bearer $RORY" \
	-H 'Content-Type: application/json' --data-binary '{"text":"via the proxy"}' \
	"$PURL/api/v1/incidents/INC-1/notes"
check "a change through the proxy" code note 201
check "made as the token's user" sh -c '"$0" audit log --incident INC-1 | grep -q "rory.*note"' "$NHIR"
head -c 70000 /dev/zero | tr '\0' a >"$T/big"
req big --cacert "$T/cert.pem" -H "Authorization: Bearer $RORY" \
	-H 'Content-Type: application/json' --data-binary @"$T/big" \
	"$PURL/api/v1/incidents/INC-1/notes"
check "nhir's own body limit holds behind the proxy" code big 413
check "the proxy logged what it passed" sh -c 'grep -c "" "$0/ngx/access.log" | grep -qv "^0$"' "$T"

done_testing
