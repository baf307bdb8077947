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

/* A request header as the device writes it: a list of values, or one. */
static const char *header(const cJSON *req, const char *name)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(
		nhir_json_obj(req, "headers"), name);

	if (cJSON_IsString(h))
		return h->valuestring;
	if (cJSON_IsArray(h) && cJSON_IsString(h->child))
		return h->child->valuestring;
	return NULL;
}

/* A flag in request data: true, "true" or "1"; -1 when hashed or absent. */
static int data_flag(const cJSON *data, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, name);

	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v);
	if (!cJSON_IsString(v) || starts(v->valuestring, "hmac-"))
		return -1;
	return !strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "1");
}

/* A value in request data the device left readable, else NULL. */
static const char *data_str(const cJSON *data, const char *name)
{
	const char *v = nhir_json_str(data, name);

	return v && *v && !starts(v, "hmac-") ? v : NULL;
}

/*
 * Whether a token made at path by a token survives its creator's
 * revocation: create-orphan, no_parent, or a role known to issue
 * orphans (roles written earlier in the run).  Vault's audit entry has
 * no "orphan" field: the path says it.
 */
static enum nhir_cascade cascade_of(struct nhir_tele *t, const char *path,
				    const cJSON *data, const cJSON *rauth)
{
	const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(rauth, "orphan");
	const char *role;
	char name[300];

	if (cJSON_IsTrue(orphan) || !strcmp(path, "auth/token/create-orphan"))
		return NHIR_CASCADE_NO;
	if (!strcmp(path, "auth/token/create"))
		return data_flag(data, "no_parent") == 1 ? NHIR_CASCADE_NO
							 : NHIR_CASCADE_YES;
	if (!starts(path, "auth/token/create/"))
		return NHIR_CASCADE_UNKNOWN;
	role = path + strlen("auth/token/create/");
	snprintf(name, sizeof(name), "vault-role-orphan:%s", role);
	role = nhir_tele_name_get(t, name);
	if (!role || *role == '?')
		return NHIR_CASCADE_UNKNOWN;
	return *role == '1' ? NHIR_CASCADE_NO : NHIR_CASCADE_YES;
}

/* A token role written: whether it issues orphans, when readable. */
static bool note_role(struct nhir_tele *t, const char *op, const char *path,
		      const cJSON *data)
{
	int orphan = data_flag(data, "orphan");
	char name[300];

	if (!starts(path, "auth/token/roles/") || !op ||
	    (strcmp(op, "create") && strcmp(op, "update")))
		return true;
	if (orphan < 0 && cJSON_GetObjectItemCaseSensitive(data, "orphan"))
		orphan = -2;		/* hashed: no longer known */
	else if (orphan < 0 && !strcmp(op, "create"))
		orphan = 0;		/* a new role: not an orphan maker */
	if (orphan == -1)
		return true;
	snprintf(name, sizeof(name), "vault-role-orphan:%s",
		 path + strlen("auth/token/roles/"));
	return nhir_tele_name_set(t, name, orphan == 1 ? "1" : orphan == 0
						   ? "0" : "?", false);
}

/* The token whose HMAC is hmac, by its accessor key; NULL if unknown. */
static const char *token_by_hmac(struct nhir_tele *t, const char *hmac)
{
	char name[600];

	if (!hmac || !*hmac)
		return NULL;
	snprintf(name, sizeof(name), "vault-token:%s", hmac);
	return nhir_tele_name_get(t, name);
}

static bool note_token(struct nhir_tele *t, const char *hmac, const char *key)
{
	char name[600];

	if (!hmac || !*hmac || !key || !*key)
		return true;
	snprintf(name, sizeof(name), "vault-token:%s", hmac);
	return nhir_tele_name_set(t, name, key, false);
}

struct vrec {
	struct nhir_tele *t;
	int64_t time;
	const char *id;		/* request id */
	const char *path;
};

static bool vault_end(struct vrec *v, const char *node, bool lease,
		      enum nhir_end_how how)
{
	struct nhir_end_rec e = NHIR_END_REC_INIT;

	e.node = node;
	e.kind = lease ? NHIR_NODE_CREDENTIAL : NHIR_NODE_TOKEN;
	e.subtype = lease ? "vault-lease" : "vault-token";
	e.provider = "vault";
	e.time = v->time;
	e.how = how;
	e.event_id = v->id;
	e.event_name = v->path;
	return nhir_tele_end(v->t, &e);
}

static bool lease_ends(struct nhir_tele *t, const char *name,
		       const char *value, void *data)
{
	(void)t;
	(void)name;
	return vault_end(data, value, true, NHIR_END_DELETED);
}

/* A lease id named by the request: readable data, else the path's tail. */
static const char *lease_named(const cJSON *data, const char *path,
			       const char *const *prefixes, size_t nr)
{
	const char *id = data_str(data, "lease_id");

	if (!id)
		id = data_str(data, "prefix");
	for (size_t i = 0; !id && i < nr; i++)
		if (starts(path, prefixes[i]) && path[strlen(prefixes[i])])
			id = path + strlen(prefixes[i]);
	return id;
}

/*
 * What a successful request revoked: a token (itself, by token, by
 * accessor; revoke-orphan keeps its children), a lease, or every lease
 * known under a prefix.  A token named only by an HMAC this run has
 * not seen with its accessor cannot be matched and ends nothing.
 */
static bool revocations(struct vrec *v, const char *key, const cJSON *data)
{
	static const char *const one[] = { "sys/leases/revoke/",
					   "sys/revoke/" };
	static const char *const many[] = {
		"sys/leases/revoke-prefix/", "sys/leases/revoke-force/",
		"sys/revoke-prefix/", "sys/revoke-force/",
	};
	const char *path = v->path, *id;
	char node[600];

	if (!strcmp(path, "auth/token/revoke-self"))
		return !key[0] || vault_end(v, key, false, NHIR_END_DELETED);
	if (!strcmp(path, "auth/token/revoke") ||
	    !strcmp(path, "auth/token/revoke-orphan")) {
		id = token_by_hmac(v->t, nhir_json_str(data, "token"));
		return !id || vault_end(v, id, false,
					strcmp(path, "auth/token/revoke")
						? NHIR_END_REVOKED_ORPHANING
						: NHIR_END_DELETED);
	}
	if (!strcmp(path, "auth/token/revoke-accessor")) {
		id = nhir_json_str(data, "accessor");
		if (!id || !*id)
			return true;
		snprintf(node, sizeof(node), "vault:%s", id);
		return vault_end(v, node, false, NHIR_END_DELETED);
	}
	if (!strcmp(path, "sys/leases/revoke") || !strcmp(path, "sys/revoke") ||
	    starts(path, "sys/leases/revoke/") || starts(path, "sys/revoke/")) {
		id = lease_named(data, path, one, NHIR_ARRAY_SIZE(one));
		if (!id)
			return true;
		snprintf(node, sizeof(node), "vault:lease:%s", id);
		return vault_end(v, node, true, NHIR_END_DELETED);
	}
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(many); i++) {
		if (!starts(path, many[i]) &&
		    strncmp(path, many[i], strlen(many[i]) - 1))
			continue;
		id = lease_named(data, path, many, NHIR_ARRAY_SIZE(many));
		if (!id)
			return true;
		snprintf(node, sizeof(node), "vault-lease:%s", id);
		return nhir_tele_name_each(v->t, node, lease_ends, v);
	}
	return true;
}

/* A lease a secrets engine returned: the token's, and revoked with it. */
static bool lease(struct vrec *v, const char *key, const char *id)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	char node[600], name[600];

	snprintf(node, sizeof(node), "vault:lease:%s", id);
	snprintf(name, sizeof(name), "vault-lease:%s", id);
	if (!nhir_tele_name_set(v->t, name, node, false))
		return false;
	n.kind = NHIR_NODE_CREDENTIAL;
	n.ext_id = node;
	n.subtype = "vault-lease";
	n.provider = "vault";
	n.created = v->time;
	if (!nhir_tele_node(v->t, &n))
		return false;
	if (!key[0])
		return true;
	e.kind = NHIR_EDGE_ISSUED;
	e.src = key;
	e.dst = node;
	e.cascade = NHIR_CASCADE_YES;
	e.created = v->time;
	return nhir_tele_edge(v->t, &e);
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
	struct vrec v;
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
	ev.user_agent = header(req, "user-agent");
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

	v.t = t;
	v.time = time;
	v.id = nhir_json_str(req, "id");
	v.path = path ? path : "";
	if (!note_token(t, nhir_json_str(req, "client_token"), key))
		return -1;
	if (!(ev.flags & NHIR_EV_FAILED)) {
		const cJSON *data = nhir_json_obj(req, "data");
		const char *lid = nhir_json_str(nhir_json_obj(resp, "secret"),
						"lease_id");

		if (!note_role(t, op, v.path, data) ||
		    !revocations(&v, key, data) ||
		    (lid && *lid && !lease(&v, key, lid)))
			return -1;
	}
	if (key[0] && who[0] &&
	    !nhir_tele_authenticates(t, NHIR_NODE_TOKEN, key, "vault-token",
				     who, NULL, "vault-entity", "vault"))
		return -1;
	if (ev.flags & NHIR_EV_MINT) {
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(rauth,
								    "lease_duration");
		bool login = is_login(path);
		const char *eid = nhir_json_str(rauth, "entity_id");
		char owner[600];

		if (!cJSON_IsNumber(ttl))
			ttl = cJSON_GetObjectItemCaseSensitive(rauth, "token_ttl");
		snprintf(newkey, sizeof(newkey), "vault:%s",
			 nhir_json_str(rauth, "accessor"));
		if (key[0] && !strcmp(newkey, key))
			return 1;
		if (!note_token(t, nhir_json_str(rauth, "client_token"),
				newkey))
			return -1;
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
		e.cascade = cascade_of(t, path, nhir_json_obj(req, "data"),
				       rauth);
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
