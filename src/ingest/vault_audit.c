/*
 * HashiCorp Vault audit device log (file device, JSON Lines).  Vault
 * writes each request twice, as a "request" and a "response" entry; the
 * response holds both, so it alone becomes the event.  Values stay as
 * the device wrote them (usually "hmac-sha256:..."): nhir never sees
 * or needs a token itself.
 *
 * The calling token is named by its accessor ("vault:ACCESSOR"), which
 * is how Vault lets a responder look up and revoke a token.  A token
 * created through auth/token/create is a child of the caller: revoking
 * the parent revokes it, unless it was made an orphan.  A login through
 * any other auth method gives an orphan token (Vault's token concepts),
 * issued to the entity that logged in.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

static bool starts(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/* "auth/approle/login", "auth/kubernetes/login", ... */
static bool is_login(const char *path)
{
	const char *p;

	if (!starts(path, "auth/") || starts(path, "auth/token/"))
		return false;
	p = strrchr(path, '/');
	return p && (!strcmp(p, "/login") || strstr(path, "/login/"));
}

static int vault_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const char *type = nhir_json_str(r, "type");
	const char *when = nhir_json_str(r, "time");
	const cJSON *auth = nhir_json_obj(r, "auth");
	const cJSON *req = nhir_json_obj(r, "request");
	const cJSON *resp = nhir_json_obj(r, "response");
	const cJSON *rauth = nhir_json_obj(resp, "auth");
	const char *op = nhir_json_str(req, "operation");
	const char *path = nhir_json_str(req, "path");
	const char *err = nhir_json_str(r, "error");
	const char *acc = nhir_json_str(req, "client_token_accessor");
	const char *mount = nhir_json_str(req, "mount_type");
	char key[600], action[200], who[600], newkey[600];
	struct nhir_event ev;
	int64_t time;

	(void)first;
	if (!type || !when) {
		nhir_tele_malformed(t, "a Vault audit entry needs type and time");
		return 0;
	}
	if (nhir_time_parse(when, (size_t)-1, &time, NULL)) {
		nhir_tele_malformed(t, "bad time '%.40s'", when);
		return 0;
	}
	/* requests repeat in their responses */
	if (strcmp(type, "response") && strcmp(type, "kmip-response"))
		return 1;
	if (!acc || !*acc)
		acc = nhir_json_str(auth, "accessor");
	if (acc && *acc)
		snprintf(key, sizeof(key), "vault:%s", acc);
	else
		key[0] = 0;
	snprintf(action, sizeof(action), "vault:%s %s", op ? op : type,
		 mount ? mount : "?");
	if (nhir_json_str(auth, "entity_id") &&
	    *nhir_json_str(auth, "entity_id"))
		snprintf(who, sizeof(who), "vault:entity:%s",
			 nhir_json_str(auth, "entity_id"));
	else if (nhir_json_str(auth, "display_name"))
		snprintf(who, sizeof(who), "vault:%s",
			 nhir_json_str(auth, "display_name"));
	else
		who[0] = 0;

	memset(&ev, 0, sizeof(ev));
	ev.time = time;
	ev.source = "vault-audit";
	ev.uid = nhir_tele_uid(nhir_json_str(req, "id"), type);
	ev.actor_key = key[0] ? key : NULL;
	ev.identity = who[0] ? who : NULL;
	ev.action = action;
	ev.target = path;
	ev.src_ip = nhir_json_str(req, "remote_address");
	ev.user_agent = nhir_json_str(nhir_json_obj(req, "headers"),
				      "user-agent");
	ev.outcome = err && *err ? (strstr(err, "permission denied")
					    ? "permission-denied" : "error")
				 : "success";
	if (err && *err)
		ev.flags |= NHIR_EV_FAILED;
	if (op && (!strcmp(op, "read") || !strcmp(op, "list")))
		ev.flags |= NHIR_EV_READ_ONLY;
	if (starts(path, "sys/policy") || starts(path, "sys/policies/") ||
	    starts(path, "sys/auth/") || starts(path, "auth/token/roles/"))
		ev.flags |= NHIR_EV_ESCALATION;
	if (!(ev.flags & NHIR_EV_FAILED) && rauth &&
	    nhir_json_str(rauth, "accessor") &&
	    (starts(path, "auth/token/create") || is_login(path)))
		ev.flags |= NHIR_EV_MINT;
	if (!nhir_tele_event(t, &ev))
		return -1;

	if (key[0] && who[0] &&
	    !nhir_tele_authenticates(t, NHIR_NODE_TOKEN, key, "vault-token",
				     who, NULL, "vault-entity", "vault"))
		return -1;
	if (ev.flags & NHIR_EV_MINT) {
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(rauth,
								    "lease_duration");
		const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(rauth,
								       "orphan");
		bool login = is_login(path);
		const char *eid = nhir_json_str(rauth, "entity_id");
		char owner[600];

		if (!cJSON_IsNumber(ttl))
			ttl = cJSON_GetObjectItemCaseSensitive(rauth, "token_ttl");
		snprintf(newkey, sizeof(newkey), "vault:%s",
			 nhir_json_str(rauth, "accessor"));
		if (key[0] && !strcmp(newkey, key))
			return 1;
		n.kind = NHIR_NODE_TOKEN;
		n.ext_id = newkey;
		n.subtype = login ? "vault-login-token" : "vault-token";
		n.provider = "vault";
		n.created = time;
		if (cJSON_IsNumber(ttl) && ttl->valuedouble > 0 &&
		    ttl->valuedouble < 100.0 * 365 * 86400)
			n.expires = time + (int64_t)ttl->valuedouble;
		if (!nhir_tele_node(t, &n))
			return -1;
		if (eid && *eid)
			snprintf(owner, sizeof(owner), "vault:entity:%s", eid);
		else if (nhir_json_str(rauth, "display_name"))
			snprintf(owner, sizeof(owner), "vault:%s",
				 nhir_json_str(rauth, "display_name"));
		else
			owner[0] = 0;
		if (owner[0]) {
			struct nhir_node_rec id = NHIR_NODE_REC_INIT;

			id.kind = NHIR_NODE_IDENTITY;
			id.ext_id = owner;
			id.subtype = "vault-entity";
			id.provider = "vault";
			e.kind = NHIR_EDGE_AUTHENTICATES;
			e.src = newkey;
			e.dst = owner;
			if (!nhir_tele_node(t, &id) || !nhir_tele_edge(t, &e))
				return -1;
		}
		/* a login is made by no token: its token is an orphan */
		if (login || !key[0])
			return 1;
		e = (struct nhir_edge_rec)NHIR_EDGE_REC_INIT;
		e.kind = NHIR_EDGE_ISSUED;
		e.src = key;
		e.dst = newkey;
		e.cascade = cJSON_IsTrue(orphan) ? NHIR_CASCADE_NO
						 : NHIR_CASCADE_YES;
		e.created = time;
		e.expires = n.expires;
		if (!nhir_tele_edge(t, &e))
			return -1;
	}
	return 1;
}

const struct nhir_tele_format nhir_tele_vault_audit = {
	.name = "vault-audit",
	.summary = "HashiCorp Vault audit device log (JSON Lines)",
	.record = vault_record,
};
