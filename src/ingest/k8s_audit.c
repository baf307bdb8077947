/*
 * Kubernetes audit events (audit.k8s.io/v1, one per line, as the API
 * server's log backend writes them).
 *
 * The actor key is what identifies the credential: the token's id from
 * user.extra "authentication.kubernetes.io/credential-id" when the API
 * server records it (1.29 and later), else the service account's node
 * id, so that usage of a service account works either way.  A created
 * TokenRequest (serviceaccounts/token) mints a token for the service
 * account, valid until status.expirationTimestamp; the token itself is
 * never read.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

#define CLUSTER "cluster"

static bool is_rbac(const char *res)
{
	return res && (!strcmp(res, "roles") || !strcmp(res, "rolebindings") ||
		       !strcmp(res, "clusterroles") ||
		       !strcmp(res, "clusterrolebindings"));
}

/* "system:serviceaccount:NS:NAME" -> "k8s:cluster:serviceaccount:NS/NAME" */
static const char *sa_node(const char *user, char *out, size_t n)
{
	const char *p = "system:serviceaccount:";
	const char *ns, *colon;

	if (!user || strncmp(user, p, strlen(p)))
		return NULL;
	ns = user + strlen(p);
	colon = strchr(ns, ':');
	if (!colon || !colon[1])
		return NULL;
	snprintf(out, n, "k8s:" CLUSTER ":serviceaccount:%.*s/%s",
		 (int)(colon - ns), ns, colon + 1);
	return out;
}

static const char *first_str(const cJSON *arr)
{
	return arr && cJSON_IsString(arr->child) ? arr->child->valuestring
						 : NULL;
}

struct krec {
	struct nhir_tele *t;
	const cJSON *r;
	int64_t time;
	const char *id;		/* auditID */
	const char *act;	/* action */
};

static bool k8s_end(const struct krec *k, const char *node,
		    enum nhir_node_kind kind, const char *subtype)
{
	struct nhir_end_rec e = NHIR_END_REC_INIT;

	e.node = node;
	e.kind = kind;
	e.subtype = subtype;
	e.provider = "k8s";
	e.time = k->time;
	e.how = NHIR_END_DELETED;
	e.event_id = k->id;
	e.event_name = k->act;
	return nhir_tele_end(k->t, &e);
}

static bool end_each(struct nhir_tele *t, const char *list,
		     const struct krec *k)
{
	char one[600];

	(void)t;
	while (list && *list) {
		size_t n = strcspn(list, "\n");

		snprintf(one, sizeof(one), "%.*s", (int)n, list);
		if (!k8s_end(k, one, NHIR_NODE_TOKEN, NULL))
			return false;
		list += n + (list[n] == '\n');
	}
	return true;
}

/* Remembers that token belongs to the service account NS/NAME. */
static bool note_sa_token(struct nhir_tele *t, const char *sa,
			  const char *token)
{
	char name[700];

	snprintf(name, sizeof(name), "k8s-sa:%s", sa);
	return nhir_tele_name_set(t, name, token, true);
}

/*
 * A token as a node of the graph: it authenticates the identity,
 * created at created (unset if not known).
 */
static bool token_node(struct nhir_tele *t, enum nhir_node_kind kind,
		       const char *key, const char *subtype,
		       const char *identity, const char *id_subtype,
		       const char *id_name)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	n.kind = NHIR_NODE_IDENTITY;
	n.ext_id = identity;
	n.name = id_name;
	n.subtype = id_subtype;
	n.provider = "k8s";
	if (!nhir_tele_node(t, &n))
		return false;
	n = (struct nhir_node_rec)NHIR_NODE_REC_INIT;
	n.kind = kind;
	n.ext_id = key;
	n.subtype = subtype;
	n.provider = "k8s";
	e.kind = NHIR_EDGE_AUTHENTICATES;
	e.src = key;
	e.dst = identity;
	return nhir_tele_node(t, &n) && nhir_tele_edge(t, &e);
}

/*
 * What a deletion ends: a token Secret (and tokens bound to it), the
 * tokens bound to a Pod, a service account with every token of it
 * seen in the run.
 */
static bool deletions(const struct krec *k, const char *res,
		      const char *ns, const char *name)
{
	char node[600], key[600];

	if (!res || !ns || !name)
		return true;
	if (!strcmp(res, "secrets")) {
		snprintf(key, sizeof(key), "k8s-token-secret:%s/%s", ns, name);
		snprintf(node, sizeof(node), "k8s:" CLUSTER ":secret:%s/%s", ns,
			 name);
		if (nhir_tele_name_get(k->t, key) &&
		    !k8s_end(k, node, NHIR_NODE_TOKEN, "k8s-legacy-sa-token"))
			return false;
		snprintf(key, sizeof(key), "k8s-bound:Secret:%s/%s", ns, name);
		return end_each(k->t, nhir_tele_name_get(k->t, key), k);
	}
	if (!strcmp(res, "pods")) {
		snprintf(key, sizeof(key), "k8s-bound:Pod:%s/%s", ns, name);
		return end_each(k->t, nhir_tele_name_get(k->t, key), k);
	}
	if (!strcmp(res, "serviceaccounts")) {
		snprintf(node, sizeof(node),
			 "k8s:" CLUSTER ":serviceaccount:%s/%s", ns, name);
		if (!k8s_end(k, node, NHIR_NODE_IDENTITY, "k8s-service-account"))
			return false;
		snprintf(key, sizeof(key), "k8s-sa:%s/%s", ns, name);
		return end_each(k->t, nhir_tele_name_get(k->t, key), k);
	}
	return true;
}

/*
 * A Secret of type kubernetes.io/service-account-token created with a
 * credential: a long-lived token for its service account, made by that
 * credential (persistence), keyed on the Secret.
 */
static bool token_secret(const struct krec *k, const char *actor,
			 const char *ns, const char *name)
{
	const cJSON *obj = nhir_json_obj(k->r, "requestObject");
	const char *type = nhir_json_str(obj, "type");
	const char *sa = nhir_json_str(nhir_json_obj(nhir_json_obj(obj,
		"metadata"), "annotations"), "kubernetes.io/service-account.name");
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	char node[600], acct[600], key[600];

	if (!name)
		name = nhir_json_str(nhir_json_obj(nhir_json_obj(k->r,
			"responseObject"), "metadata"), "name");
	if (!type || strcmp(type, "kubernetes.io/service-account-token") ||
	    !sa || !*sa || !ns || !name)
		return true;
	snprintf(node, sizeof(node), "k8s:" CLUSTER ":secret:%s/%s", ns, name);
	snprintf(acct, sizeof(acct), "k8s:" CLUSTER ":serviceaccount:%s/%s",
		 ns, sa);
	snprintf(key, sizeof(key), "k8s-token-secret:%s/%s", ns, name);
	if (!nhir_tele_name_set(k->t, key, node, false))
		return false;
	snprintf(key, sizeof(key), "%s/%s", ns, sa);
	if (!note_sa_token(k->t, key, node) ||
	    !token_node(k->t, NHIR_NODE_TOKEN, node, "k8s-legacy-sa-token",
			acct, "k8s-service-account", NULL))
		return false;
	n.kind = NHIR_NODE_TOKEN;
	n.ext_id = node;
	n.created = k->time;
	if (!nhir_tele_node(k->t, &n))
		return false;
	if (!actor || !strcmp(actor, node))
		return true;
	e.kind = NHIR_EDGE_CREATED;
	e.src = actor;
	e.dst = node;
	e.cascade = NHIR_CASCADE_NO;
	e.created = k->time;
	return nhir_tele_edge(k->t, &e);
}

static int k8s_event(struct nhir_tele *t, const cJSON *r)
{
	const char *kind = nhir_json_str(r, "kind");
	const char *when = nhir_json_str(r, "stageTimestamp");
	const char *verb = nhir_json_str(r, "verb");
	const cJSON *user = nhir_json_obj(r, "user");
	const cJSON *ref = nhir_json_obj(r, "objectRef");
	const cJSON *status = nhir_json_obj(r, "responseStatus");
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");
	const cJSON *extra = nhir_json_obj(user, "extra");
	const char *username = nhir_json_str(user, "username");
	const char *res = nhir_json_str(ref, "resource");
	const char *sub = nhir_json_str(ref, "subresource");
	const char *ns = nhir_json_str(ref, "namespace");
	const char *name = nhir_json_str(ref, "name");
	const char *cred = first_str(nhir_json_arr(extra,
		"authentication.kubernetes.io/credential-id"));
	const cJSON *notes = nhir_json_obj(r, "annotations");
	const char *legacy = nhir_json_str(notes,
		"authentication.k8s.io/legacy-token-manual-secret");
	char action[160], target[512], sa[512], outcome[32], tok[600];
	char secret[600];
	struct krec k;
	struct nhir_event ev;
	int64_t time = 0;
	int status_code = cJSON_IsNumber(code) ? code->valueint : 0;

	if (!kind || strcmp(kind, "Event") || !verb || !user) {
		nhir_tele_malformed(t, "a Kubernetes audit event needs kind "
				    "\"Event\", verb and user");
		return 0;
	}
	if (!when)
		when = nhir_json_str(r, "requestReceivedTimestamp");
	if (!when || nhir_time_parse(when, (size_t)-1, &time, NULL)) {
		nhir_tele_malformed(t, "no valid stageTimestamp");
		return 0;
	}
	snprintf(action, sizeof(action), "k8s:%s %s%s%s", verb,
		 res ? res : (nhir_json_str(r, "requestURI") ? "url" : "?"),
		 sub ? "/" : "", sub ? sub : "");
	snprintf(target, sizeof(target), "%s%s%s", ns ? ns : "",
		 ns && name ? "/" : "", name ? name : "");
	memset(&ev, 0, sizeof(ev));
	ev.time = time;
	ev.source = "k8s-audit";
	ev.uid = nhir_tele_uid(nhir_json_str(r, "auditID"),
			       nhir_json_str(r, "stage"));
	ev.identity = username;
	/*
	 * A legacy token (a Secret's) is named by the audit annotations:
	 * the key is its Secret, in the service account's namespace.
	 */
	if (!legacy)
		legacy = nhir_json_str(notes,
			"authentication.k8s.io/legacy-token-autogenerated-secret");
	secret[0] = 0;
	if (legacy && *legacy && sa_node(username, sa, sizeof(sa)))
		snprintf(secret, sizeof(secret), "k8s:" CLUSTER ":secret:%.*s/%s",
			 (int)strcspn(username + 22, ":"), username + 22, legacy);
	ev.actor_key = secret[0] ? secret : cred ? cred
				 : sa_node(username, sa, sizeof(sa));
	ev.action = action;
	ev.target = target[0] ? target : nhir_json_str(r, "requestURI");
	ev.src_ip = first_str(nhir_json_arr(r, "sourceIPs"));
	ev.user_agent = nhir_json_str(r, "userAgent");
	if (status_code && status_code < 400) {
		ev.outcome = "success";
	} else if (status_code) {
		snprintf(outcome, sizeof(outcome), "http-%d", status_code);
		ev.outcome = outcome;
		ev.flags |= NHIR_EV_FAILED;
	}
	if (!strcmp(verb, "get") || !strcmp(verb, "list") ||
	    !strcmp(verb, "watch"))
		ev.flags |= NHIR_EV_READ_ONLY;
	else if (is_rbac(res))
		ev.flags |= NHIR_EV_ESCALATION;
	else if (!strcmp(verb, "create") && res &&
		 (!strcmp(res, "serviceaccounts") || !strcmp(res, "secrets")) &&
		 !sub)
		ev.flags |= NHIR_EV_PERSISTENCE;
	if (!strcmp(verb, "create") && res && sub &&
	    !strcmp(res, "serviceaccounts") && !strcmp(sub, "token") &&
	    !(ev.flags & NHIR_EV_FAILED))
		ev.flags |= NHIR_EV_MINT;
	if (!nhir_tele_event(t, &ev))
		return -1;

	/*
	 * The account, and the credential that authenticates it, once per
	 * run: a service account's token (legacy, keyed on its Secret, or
	 * bound, by its id); another user's credential (a kubelet's client
	 * certificate, X509SHA256=...) authenticating that user.
	 */
	if (sa_node(username, sa, sizeof(sa)) &&
	    !nhir_tele_seen(t, ev.actor_key)) {
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;

		n.kind = NHIR_NODE_IDENTITY;
		n.ext_id = sa;
		n.name = username;
		n.subtype = "k8s-service-account";
		n.provider = "k8s";
		if (!nhir_tele_node(t, &n))
			return -1;
		if (strcmp(ev.actor_key, sa) &&
		    (!token_node(t, NHIR_NODE_TOKEN, ev.actor_key,
				 secret[0] ? "k8s-legacy-sa-token"
					   : "k8s-sa-token",
				 sa, "k8s-service-account", username) ||
		     !note_sa_token(t, sa + strlen("k8s:" CLUSTER
						   ":serviceaccount:"),
				    ev.actor_key)))
			return -1;
		if (secret[0]) {
			char nm[700];

			snprintf(nm, sizeof(nm), "k8s-token-secret:%s",
				 secret + strlen("k8s:" CLUSTER ":secret:"));
			if (!nhir_tele_name_set(t, nm, secret, false))
				return -1;
		}
	} else if (cred && username && !sa_node(username, sa, sizeof(sa)) &&
		   !nhir_tele_seen(t, cred)) {
		bool node = !strncmp(username, "system:node:", 12);
		char who[600];

		snprintf(who, sizeof(who), "k8s:" CLUSTER ":%s:%s",
			 node ? "node" : "user", node ? username + 12 : username);
		if (!token_node(t, NHIR_NODE_CREDENTIAL, cred,
				strncmp(cred, "X509", 4) ? "k8s-credential"
							 : "k8s-x509-cert",
				who, node ? "k8s-node" : "k8s-user", username))
			return -1;
	}

	/* A TokenRequest mints a token for the service account named. */
	if ((ev.flags & NHIR_EV_MINT) && ns && name) {
		const cJSON *ro = nhir_json_obj(r, "responseObject");
		const char *exp = nhir_json_str(nhir_json_obj(ro, "status"),
						"expirationTimestamp");
		const char *audit = nhir_json_str(r, "auditID");
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		char acct[512];

		snprintf(acct, sizeof(acct), "k8s:" CLUSTER ":serviceaccount:%s/%s",
			 ns, name);
		const char *issued = nhir_json_str(notes,
			"authentication.kubernetes.io/issued-credential-id");
		const cJSON *spec = nhir_json_obj(nhir_json_obj(r,
			"requestObject"), "spec");
		const cJSON *bound = nhir_json_obj(spec, "boundObjectRef");
		const cJSON *secs = cJSON_GetObjectItemCaseSensitive(spec,
			"expirationSeconds");
		const char *bkind = nhir_json_str(bound, "kind");
		const char *bname = nhir_json_str(bound, "name");
		char attrs[700], bkey[600];

		/* the minted token's id joins it to its later uses */
		if (issued && *issued)
			snprintf(tok, sizeof(tok), "%s", issued);
		else
			snprintf(tok, sizeof(tok), "k8s:" CLUSTER
				 ":tokenrequest:%s", audit ? audit : "?");
		n.kind = NHIR_NODE_IDENTITY;
		n.ext_id = acct;
		n.subtype = "k8s-service-account";
		n.provider = "k8s";
		if (!nhir_tele_node(t, &n))
			return -1;
		n = (struct nhir_node_rec)NHIR_NODE_REC_INIT;
		n.kind = NHIR_NODE_TOKEN;
		n.ext_id = tok;
		n.subtype = "k8s-bound-token";
		n.provider = "k8s";
		n.created = time;
		if (exp)
			nhir_time_parse(exp, (size_t)-1, &n.expires, NULL);
		if (n.expires == NHIR_TIME_UNSET && cJSON_IsNumber(secs) &&
		    secs->valuedouble > 0 && secs->valuedouble < 1e9)
			n.expires = time + (int64_t)secs->valuedouble;
		attrs[0] = 0;
		if (bkind && bname && strlen(bkind) < 40 && strlen(bname) < 300 &&
		    !strpbrk(bkind, "\"\\") && !strpbrk(bname, "\"\\")) {
			snprintf(attrs, sizeof(attrs),
				 "{\"bound_object\":\"%s %s/%s\"}", bkind, ns,
				 bname);
			n.attrs = attrs;
			snprintf(bkey, sizeof(bkey), "k8s-bound:%s:%s/%s", bkind,
				 ns, bname);
			if (!nhir_tele_name_set(t, bkey, tok, true))
				return -1;
		}
		if (!nhir_tele_node(t, &n))
			return -1;
		snprintf(bkey, sizeof(bkey), "%s/%s", ns, name);
		if (!note_sa_token(t, bkey, tok))
			return -1;
		e.kind = NHIR_EDGE_AUTHENTICATES;
		e.src = tok;
		e.dst = acct;
		if (!nhir_tele_edge(t, &e))
			return -1;
		/* who asked for it: the requesting credential issued it */
		if (ev.actor_key && strcmp(ev.actor_key, acct)) {
			e = (struct nhir_edge_rec)NHIR_EDGE_REC_INIT;
			e.kind = NHIR_EDGE_ISSUED;
			e.src = ev.actor_key;
			e.dst = tok;
			e.cascade = NHIR_CASCADE_NO;
			e.created = time;
			e.expires = n.expires;
			if (!nhir_tele_edge(t, &e))
				return -1;
		}
	}
	if (ev.flags & NHIR_EV_FAILED)
		return 1;
	k = (struct krec){ t, r, time, nhir_json_str(r, "auditID"), action };
	if (!strcmp(verb, "delete") && !sub && !deletions(&k, res, ns, name))
		return -1;
	if (!strcmp(verb, "create") && !sub && res && !strcmp(res, "secrets") &&
	    !token_secret(&k, ev.actor_key, ns, name))
		return -1;
	return 1;
}

/* google.rpc.Code of a Cloud Audit Log entry as an HTTP status. */
static int gke_http(const cJSON *status)
{
	static const int http[] = { 200, 499, 500, 400, 504, 404, 409, 403,
				    429, 400, 409, 400, 501, 500, 503, 500,
				    401 };
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(status, "code");

	if (!cJSON_IsObject(status))
		return 0;	/* not said: unknown, not success */
	if (!c)
		return 200;	/* proto3 leaves code 0 (OK) out */
	if (!cJSON_IsNumber(c) || c->valuedouble < 0 ||
	    c->valuedouble >= (double)NHIR_ARRAY_SIZE(http))
		return 500;
	return http[(int)c->valuedouble];
}

/*
 * A GKE Cloud Audit Logs entry (protoPayload, serviceName "k8s.io") as
 * the audit event it records: methodName io.k8s.GROUP.VERSION.RESOURCE
 * [.SUBRESOURCE].VERB, resourceName GROUP/VERSION/namespaces/NS/
 * RESOURCE/NAME[/SUBRESOURCE], principalEmail the user, callerIp and
 * callerSuppliedUserAgent, the entry's timestamp, operation.id the
 * audit id.  NULL (with why) when it is not one.
 */
static cJSON *gke_event(const cJSON *e, const char **why)
{
	const cJSON *pp = nhir_json_obj(e, "protoPayload");
	const cJSON *md = nhir_json_obj(pp, "requestMetadata");
	const char *svc = nhir_json_str(pp, "serviceName");
	const char *method = nhir_json_str(pp, "methodName");
	const char *rname = nhir_json_str(pp, "resourceName");
	const char *who = nhir_json_str(nhir_json_obj(pp, "authenticationInfo"),
					"principalEmail");
	const char *when = nhir_json_str(e, "timestamp");
	const char *id = nhir_json_str(nhir_json_obj(e, "operation"), "id");
	const char *ip = nhir_json_str(md, "callerIp");
	const char *seg[12], *p;
	size_t len[12], nseg = 0;
	cJSON *o, *ref, *user;
	char buf[256];
	int code;

	*why = "a GKE audit entry needs protoPayload serviceName \"k8s.io\", "
	       "methodName, authenticationInfo.principalEmail and timestamp";
	if (!svc || strcmp(svc, "k8s.io") || !method || !who || !when ||
	    strncmp(method, "io.k8s.", 7))
		return NULL;
	o = cJSON_CreateObject();
	ref = cJSON_AddObjectToObject(o, "objectRef");
	user = cJSON_AddObjectToObject(o, "user");
	if (!o || !ref || !user)
		goto oom;
	/* the verb is the last part of the method name */
	p = strrchr(method, '.');
	if (!cJSON_AddStringToObject(o, "kind", "Event") ||
	    !cJSON_AddStringToObject(o, "verb", p + 1) ||
	    !cJSON_AddStringToObject(user, "username", who) ||
	    !cJSON_AddStringToObject(o, "stageTimestamp", when) ||
	    !cJSON_AddStringToObject(o, "auditID", id ? id
				     : nhir_json_str(e, "insertId")
				     ? nhir_json_str(e, "insertId") : "") ||
	    !cJSON_AddStringToObject(o, "stage", "ResponseComplete"))
		goto oom;
	if (ip && !cJSON_AddItemToObject(o, "sourceIPs",
			cJSON_CreateStringArray(&ip, 1)))
		goto oom;
	if (nhir_json_str(md, "callerSuppliedUserAgent") &&
	    !cJSON_AddStringToObject(o, "userAgent", nhir_json_str(md,
				     "callerSuppliedUserAgent")))
		goto oom;
	code = gke_http(cJSON_GetObjectItemCaseSensitive(pp, "status"));
	if (code && !cJSON_AddNumberToObject(cJSON_AddObjectToObject(o,
			"responseStatus"), "code", code))
		goto oom;
	/* resourceName: [GROUP/]VERSION/[namespaces/NS/]RES[/NAME[/SUB]] */
	for (p = rname; p && *p && nseg < NHIR_ARRAY_SIZE(seg); ) {
		size_t l = strcspn(p, "/");

		seg[nseg] = p;
		len[nseg++] = l;
		p += l;
		if (*p == '/')
			p++;
	}
	{
		/* after the version, and the namespace: RES[/NAME[/SUB]] */
		const char *k[] = { "resource", "name", "subresource" };
		size_t i = 0;

		while (i < nseg && !(seg[i][0] == 'v' && len[i] > 1 &&
				     seg[i][1] >= '0' && seg[i][1] <= '9'))
			i++;
		i++;
		if (i + 2 < nseg && len[i] == 10 &&
		    !strncmp(seg[i], "namespaces", 10)) {
			snprintf(buf, sizeof(buf), "%.*s", (int)len[i + 1],
				 seg[i + 1]);
			if (!cJSON_AddStringToObject(ref, "namespace", buf))
				goto oom;
			i += 2;
		}
		for (size_t j = 0; j < 3 && i + j < nseg; j++) {
			snprintf(buf, sizeof(buf), "%.*s", (int)len[i + j],
				 seg[i + j]);
			if (!cJSON_AddStringToObject(ref, k[j], buf))
				goto oom;
		}
	}
	return o;
oom:
	cJSON_Delete(o);
	*why = NULL;
	return NULL;
}

/*
 * A record as the API server writes it, or wrapped: AKS diagnostic
 * logs hold the event as a JSON string in properties.log (a record of
 * {"records": [...]}, or one per line); GKE writes Cloud Audit Logs
 * entries (protoPayload).  doc/formats/k8s-audit.md.
 */
static int k8s_record(struct nhir_tele *t, const cJSON *r, bool first)
{
	const cJSON *props = nhir_json_obj(r, "properties");
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(props, "log");
	cJSON *o;
	const char *why;
	int rc;

	(void)first;
	if (cJSON_IsString(log)) {
		size_t bad = 0;

		o = nhir_json_parse(log->valuestring, strlen(log->valuestring),
				    &bad, NULL);
		if (!cJSON_IsObject(o)) {
			cJSON_Delete(o);
			nhir_tele_malformed(t, "properties.log is not a JSON "
					    "object (at byte %zu of it)", bad);
			return 0;
		}
		rc = k8s_event(t, o);
		cJSON_Delete(o);
		return rc;
	}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(r,
							     "protoPayload")))
		return k8s_event(t, r);
	o = gke_event(r, &why);
	if (!o) {
		if (!why)
			return -1;
		nhir_tele_malformed(t, "%s", why);
		return 0;
	}
	rc = k8s_event(t, o);
	cJSON_Delete(o);
	return rc;
}

const struct nhir_tele_format nhir_tele_k8s_audit = {
	.name = "k8s-audit",
	.summary = "Kubernetes audit events (audit.k8s.io/v1), JSON Lines",
	.record = k8s_record,
};
