#!/bin/sh
# The identity provider's groups decide nhir roles when the server's
# configuration maps them ("roles:"), and SIGHUP reads the
# configuration again: a person the provider puts in a mapped group is
# made a user (provision) or given that role, on the audit log; a
# person in no mapped group, or whose groups are unknown, is refused;
# a user deactivated in nhir stays so.  A configuration that does not
# load on SIGHUP leaves the running one.
. tests/cli/lib.sh
. tests/cli/lib-serve.sh
. tests/cli/lib-oidc.sh
if oidc_absent; then
	echo "ok 1 - # SKIP node, curl or $PEERS/node_modules/oidc-provider is absent (scripts/deps.sh)"
	echo "1..1"
	exit 0
fi

"$NHIR" init >/dev/null
"$NHIR" user add rory --role responder >/dev/null
"$NHIR" user add gone --role observer >/dev/null
"$NHIR" user set gone --deactivate >/dev/null

export OIDC_GROUPS='{"rory": ["ir-leads", "other"], "nina": ["ir-responders"],
 "ann": "nhir-admins", "mallory": ["strangers"], "odd": 5,
 "mixed": ["ir-leads", 7], "gone": ["nhir-admins"]}'
check "the provider starts" start_idp
oidc_config "$T/nhir.yaml"

# through NAME USER: a sign-in as USER through to nhir's answer
through() {
	signin "$1" "$2" && callback "$1"
}
# hup TEXT: SIGHUP, then wait for TEXT in the server's log
hup() {
	seen=$(grep -c "SIGHUP" "$T/srv.err")
	kill -HUP "$SRV_PID"
	i=0
	while [ $i -lt 100 ]; do
		[ "$(grep -c "SIGHUP" "$T/srv.err")" -gt "$seen" ] && break
		sleep 0.1
		i=$((i + 1))
	done
	tail -1 "$T/srv.err" | grep -qF "$1" || { tail -3 "$T/srv.err"; return 1; }
}
role() {
	"$NHIR" user list --format json | python3 -c '
import json, sys
u = {x["name"]: x for x in json.load(sys.stdin)["users"]}
want = sys.argv[2]
got = "absent" if sys.argv[1] not in u else u[sys.argv[1]]["role"] + ("" if u[sys.argv[1]]["active"] else ",inactive")
assert got == want, (got, want)
' "$1" "$2"
}
idp_entries() {
	"$NHIR" audit log --format json | python3 -c '
import json, sys
e = [x for x in json.load(sys.stdin)["entries"] if x["action"] == "user.idp"]
print(len(e))
for x in e:
    print(x["actor"], x["detail"]["name"], x["detail"]["was"], x["detail"]["role"], x["detail"]["group"], x["detail"]["issuer"])
'
}

check "nhir starts with the provider, no roles mapped" start_server --listen "127.0.0.1:$PORT" --config "$T/nhir.yaml"
through before nina
check "a person nhir does not know gets no session" code before 401
check "saying so" oidc_problem before "nina is no nhir user"

oidc_config "$T/nhir.yaml" "  roles:
    claim: groups
    provision: true
    groups:
      nhir-admins: admin
      ir-leads: lead
      ir-responders: responder"
check "SIGHUP reads the configuration again" hup "read again; sign-in by OpenID Connect on"

through nina nina
check "a person in a mapped group signs in" code nina 200
check "and is made a user with the group's role" role nina responder
through rory rory
check "a user in a higher group signs in" code rory 200
check "and gets that group's role" role rory lead
through ann ann
check "a claim that is one name counts as one group" code ann 200
check "ann is an admin" role ann admin
through rory2 rory
check "a second sign-in with the same groups" code rory2 200
idp_entries >"$T/idp.txt"
check "three role changes are on the audit log, each by the person" sh -c '
	test "$(head -1 "$0")" = 3 &&
	grep -qx "nina nina (none) responder ir-responders $1" "$0" &&
	grep -qx "rory rory responder lead ir-leads $1" "$0" &&
	grep -qx "ann ann (none) admin nhir-admins $1" "$0"' "$T/idp.txt" "$ISSUER"
through mallory mallory
check "a person in no mapped group is refused" code mallory 401
check "saying that no group gives a role" oidc_problem mallory "no group in the ID token's 'groups' claim is given a role"
check "and is no user" role mallory absent
through odd odd
check "groups that are not a list of names are unknown: refused" code odd 401
check "saying so" oidc_problem odd "'groups' claim is not a list of names"
through mixed mixed
check "a list holding a number is not a list of names either" code mixed 401
through nobody nobody
check "no groups claim at all: the role is unknown, refused" code nobody 401
check "saying the claim is absent" oidc_problem nobody "'groups' claim is absent: its groups, and so the role, are unknown"
check "none of them became a user" sh -c '! "$0" user list | grep -qE "^(odd|mixed|nobody) "' "$NHIR"
through gone gone
check "a user deactivated in nhir stays out, whatever the groups" code gone 401
check "still an inactive observer" role gone observer,inactive
check "each refusal is audited with the person named" sh -c \
	'"$0" audit log --format json | python3 -c "
import json, sys
f = {x[\"actor\"] for x in json.load(sys.stdin)[\"entries\"] if x[\"action\"] == \"login.failed\"}
assert {\"mallory\", \"odd\", \"mixed\", \"nobody\", \"gone\"} <= f, f
"' "$NHIR"
check "the record verifies, role rows included" "$NHIR" audit verify

printf 'oidc: [broken\n' >"$T/nhir.yaml"
check "a configuration that does not load" hup "the running configuration stays"
check "names the file and line" grep -q "nhir.yaml:[0-9]" "$T/srv.err"
through after nina
check "sign-in goes on with the running configuration" code after 200
TOKEN=$("$NHIR" token create --user ann 2>/dev/null)
req metrics -H "Authorization: Bearer $TOKEN" "$URL/metrics"
check "/metrics counts the readings" sh -c '
	grep -qx "nhir_config_reloads_total{result=\"ok\"} 1" "$0" &&
	grep -qx "nhir_config_reloads_total{result=\"failed\"} 1" "$0"' "$T/metrics.body"

printf 'oidc:\n  issuer: %s\n' "$ISSUER" >"$T/nhir.yaml"
check "a configuration missing fields is refused too" hup "the running configuration stays"
echo '{}' >"$T/nhir.yaml"
check "a configuration without oidc: turns sign-in off" hup "sign-in by OpenID Connect off"
req off "$URL/api/v1/oidc/login"
check "then the sign-in route says it is not configured" code off 404

check "nhir stops" kill -TERM "$SRV_PID"
wait "$SRV_PID"
SRV_PID=
done_testing
