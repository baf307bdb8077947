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

static int k8s_record(struct nhir_tele *t, const cJSON *r, bool first)
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
	char action[160], target[512], sa[512], outcome[32], tok[600];
	struct nhir_event ev;
	int64_t time = 0;
	int status_code = cJSON_IsNumber(code) ? code->valueint : 0;

	(void)first;
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
	ev.actor_key = cred ? cred : sa_node(username, sa, sizeof(sa));
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
	 * run.
	 */
	if (sa_node(username, sa, sizeof(sa)) &&
	    !nhir_tele_seen(t, ev.actor_key)) {
		struct nhir_node_rec n = NHIR_NODE_REC_INIT;
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

		n.kind = NHIR_NODE_IDENTITY;
		n.ext_id = sa;
		n.name = username;
		n.subtype = "k8s-service-account";
		n.provider = "k8s";
		if (!nhir_tele_node(t, &n))
			return -1;
		if (!cred)
			goto minted;
		n = (struct nhir_node_rec)NHIR_NODE_REC_INIT;
		n.kind = NHIR_NODE_TOKEN;
		n.ext_id = cred;
		n.subtype = "k8s-sa-token";
		n.provider = "k8s";
		e.kind = NHIR_EDGE_AUTHENTICATES;
		e.src = cred;
		e.dst = sa;
		if (!nhir_tele_node(t, &n) || !nhir_tele_edge(t, &e))
			return -1;
	}

minted:
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
		snprintf(tok, sizeof(tok), "k8s:" CLUSTER ":tokenrequest:%s",
			 audit ? audit : "?");
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
		if (!nhir_tele_node(t, &n))
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
	return 1;
}

const struct nhir_tele_format nhir_tele_k8s_audit = {
	.name = "k8s-audit",
	.summary = "Kubernetes audit events (audit.k8s.io/v1), JSON Lines",
	.record = k8s_record,
};
