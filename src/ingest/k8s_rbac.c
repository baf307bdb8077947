/*
 * Kubernetes RBAC: the List that "kubectl get serviceaccounts,secrets,
 * roles,rolebindings,clusterroles,clusterrolebindings -A -o json" prints.
 * Service accounts become identities and their legacy token secrets
 * credentials; bindings become grants that subjects hold (delegates) and
 * that reach resources (can) with the verbs of the bound role.  Secret
 * values are never read: only names, types and key names.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/common.h"
#include "ingest/json.h"

struct k8s_item {
	cJSON *o;
	size_t off;
	const char *kind, *name, *ns;
};

struct k8s {
	struct nhir_import *imp;
	const char *data;
	size_t len;
	const char *cluster;
	struct k8s_item *v;
	size_t nr, alloc;
	struct nhir_buf id, id2, attrs, tmp;
};

static const char *meta(const cJSON *o, const char *key)
{
	return nhir_json_str(nhir_json_obj(o, "metadata"), key);
}

static int collect(void *ctx, const struct nhir_json_span *sp)
{
	struct k8s *k = ctx;
	struct k8s_item *it;
	size_t bad = 0;
	cJSON *o = nhir_json_parse(k->data + sp->off, sp->len, &bad,
				   &k->imp->res->utf8_replaced);

	if (!o) {
		nhir_import_error(k->imp, sp->off + bad, "%s",
				  nhir_json_why(k->data + sp->off, sp->len,
						bad));
		return 0;
	}
	if (!cJSON_IsObject(o) || !nhir_json_str(o, "kind")) {
		nhir_import_error(k->imp, sp->off, "item without a 'kind'");
		cJSON_Delete(o);
		return 0;
	}
	if (!meta(o, "name")) {
		nhir_import_error(k->imp, sp->off, "%s without metadata.name",
				  nhir_json_str(o, "kind"));
		cJSON_Delete(o);
		return 0;
	}
	if (NHIR_ALLOC_GROW(k->v, k->nr + 1, k->alloc)) {
		cJSON_Delete(o);
		nhir_import_oom(k->imp);
		return 1;
	}
	it = &k->v[k->nr++];
	it->o = o;
	it->off = sp->off;
	it->kind = nhir_json_str(o, "kind");
	it->name = meta(o, "name");
	it->ns = meta(o, "namespace");
	return 0;
}

static const char *sa_id(struct k8s *k, struct nhir_buf *b, const char *ns,
			 const char *name)
{
	nhir_buf_reset(b);
	nhir_buf_addf(b, "k8s:%s:serviceaccount:%s/%s", k->cluster, ns, name);
	return b->err ? NULL : b->buf;
}

static bool print_attrs(struct k8s *k, cJSON *attrs)
{
	nhir_json_print(&k->attrs, attrs);
	cJSON_Delete(attrs);
	if (k->attrs.err) {
		nhir_import_oom(k->imp);
		return false;
	}
	return true;
}

/* Creates (or merges) the service account node ns/name. */
static const char *service_account(struct k8s *k, const char *ns,
				   const char *name, const cJSON *o,
				   size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	char user[512];
	const char *id = sa_id(k, &k->id2, ns, name);
	cJSON *attrs = cJSON_CreateObject();

	if (!id || !attrs) {
		cJSON_Delete(attrs);
		nhir_import_error(k->imp, off, "service account name too long");
		return NULL;
	}
	cJSON_AddStringToObject(attrs, "namespace", ns);
	cJSON_AddStringToObject(attrs, "cluster", k->cluster);
	if (o) {
		const cJSON *am = cJSON_GetObjectItemCaseSensitive(
			o, "automountServiceAccountToken");

		if (meta(o, "uid"))
			cJSON_AddStringToObject(attrs, "uid", meta(o, "uid"));
		if (cJSON_IsBool(am))
			cJSON_AddBoolToObject(attrs, "automount_token",
					      cJSON_IsTrue(am));
	}
	if (!print_attrs(k, attrs))
		return NULL;
	snprintf(user, sizeof(user), "system:serviceaccount:%s:%s", ns, name);
	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = id;
	r.name = user;
	r.subtype = "k8s-service-account";
	r.provider = "k8s";
	r.attrs = k->attrs.buf;
	if (o) {
		const char *ts = meta(o, "creationTimestamp");

		if (ts)
			nhir_time_parse(ts, (size_t)-1, &r.created, NULL);
	}
	return nhir_import_node(k->imp, &r, off) ? id : NULL;
}

static void secret(struct k8s *k, const struct k8s_item *it)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	const char *type = nhir_json_str(it->o, "type");
	const cJSON *ann = nhir_json_obj(nhir_json_obj(it->o, "metadata"),
					 "annotations");
	const char *sa = nhir_json_str(ann, "kubernetes.io/service-account.name");
	const cJSON *data = nhir_json_obj(it->o, "data"), *d;
	cJSON *attrs = cJSON_CreateObject(), *keys;
	const char *ns = it->ns ? it->ns : "default";
	bool token = type && !strcmp(type, "kubernetes.io/service-account-token");

	if (!attrs) {
		nhir_import_oom(k->imp);
		return;
	}
	cJSON_AddStringToObject(attrs, "namespace", ns);
	if (type)
		cJSON_AddStringToObject(attrs, "type", type);
	/* key names only: values are secrets and are never read */
	keys = cJSON_AddArrayToObject(attrs, "keys");
	cJSON_ArrayForEach(d, data)
		if (keys && d->string)
			cJSON_AddItemToArray(keys, cJSON_CreateString(d->string));
	if (token)
		cJSON_AddTrueToObject(attrs, "legacy_token_never_expires");
	if (!print_attrs(k, attrs))
		return;
	nhir_buf_reset(&k->id);
	nhir_buf_addf(&k->id, "k8s:%s:secret:%s/%s", k->cluster, ns, it->name);
	if (k->id.err) {
		nhir_import_error(k->imp, it->off, "secret name too long");
		return;
	}
	r.kind = token && sa ? NHIR_NODE_CREDENTIAL : NHIR_NODE_RESOURCE;
	r.ext_id = k->id.buf;
	r.name = it->name;
	r.subtype = token && sa ? "k8s-sa-token" : "k8s-secret";
	r.provider = "k8s";
	r.attrs = k->attrs.buf;
	if (meta(it->o, "creationTimestamp"))
		nhir_time_parse(meta(it->o, "creationTimestamp"), (size_t)-1,
				&r.created, NULL);
	if (!nhir_import_node(k->imp, &r, it->off) || !token || !sa)
		return;
	{
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		const char *said = service_account(k, ns, sa, NULL, it->off);

		if (!said)
			return;
		e.kind = NHIR_EDGE_AUTHENTICATES;
		e.src = k->id.buf;
		e.dst = said;
		nhir_import_edge(k->imp, &e, it->off);
	}
}

static const struct k8s_item *find_role(struct k8s *k, const char *kind,
					const char *name, const char *ns)
{
	for (size_t i = 0; i < k->nr; i++) {
		const struct k8s_item *it = &k->v[i];

		if (strcmp(it->kind, kind) || strcmp(it->name, name))
			continue;
		if (!strcmp(kind, "Role") && (!it->ns || !ns ||
					      strcmp(it->ns, ns)))
			continue;
		return it;
	}
	return NULL;
}

static bool has(const cJSON *arr, const char *s)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, arr)
		if (cJSON_IsString(c) && !strcmp(c->valuestring, s))
			return true;
	return false;
}

/*
 * Privilege of a rule: admin for every verb on every resource, for the
 * verbs that step around RBAC (escalate, bind, impersonate), and for
 * writing RBAC objects themselves; read for get/list/watch; else write.
 */
static enum nhir_priv rule_priv(const cJSON *verbs, const char *group,
				const char *resource)
{
	static const char *const writes[] = {
		"create", "update", "patch", "delete", "deletecollection",
	};
	bool any_write = has(verbs, "*");

	if (has(verbs, "escalate") || has(verbs, "bind") ||
	    has(verbs, "impersonate"))
		return NHIR_PRIV_ADMIN;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(writes); i++)
		any_write |= has(verbs, writes[i]);
	if (has(verbs, "*") && !strcmp(resource, "*"))
		return NHIR_PRIV_ADMIN;
	if (any_write && (!strcmp(group, "rbac.authorization.k8s.io") ||
			  !strcmp(group, "*")) &&
	    (!strcmp(resource, "*") || strstr(resource, "role")))
		return NHIR_PRIV_ADMIN;
	if (any_write)
		return NHIR_PRIV_WRITE;
	return verbs && verbs->child ? NHIR_PRIV_READ : NHIR_PRIV_NONE;
}

static void can_edge(struct k8s *k, const char *grant, const char *res_id,
		     const char *res_name, const cJSON *verbs,
		     enum nhir_priv priv, const char *via, size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	cJSON *attrs;

	r.kind = NHIR_NODE_RESOURCE;
	r.ext_id = res_id;
	r.name = res_name;
	/* a Secret's own node keeps the subtype it was given */
	r.subtype = strstr(res_id, ":secret:") ? NULL : "k8s-resource";
	r.provider = "k8s";
	if (!nhir_import_node(k->imp, &r, off))
		return;
	attrs = cJSON_CreateObject();
	if (!attrs) {
		nhir_import_oom(k->imp);
		return;
	}
	cJSON_AddItemToObject(attrs, "verbs", cJSON_Duplicate(verbs, 1));
	cJSON_AddStringToObject(attrs, "role", via);
	if (!print_attrs(k, attrs))
		return;
	e.kind = NHIR_EDGE_CAN;
	e.src = grant;
	e.dst = res_id;
	e.priv = priv ? priv : NHIR_PRIV_READ;
	e.attrs = k->attrs.buf;
	nhir_import_edge(k->imp, &e, off);
}

/*
 * True when a rule names a Secret of this file that is a plain resource
 * (not a service account token), so the rule's edge can point at the
 * Secret's own node.
 */
static bool opaque_secret(struct k8s *k, const char *grp, const char *res,
			  const char *ns, const char *name)
{
	if (*grp || strcmp(res, "secrets") || !strcmp(ns, "*"))
		return false;
	for (size_t i = 0; i < k->nr; i++) {
		const struct k8s_item *it = &k->v[i];
		const char *type = nhir_json_str(it->o, "type");

		if (!strcmp(it->kind, "Secret") && !strcmp(it->name, name) &&
		    it->ns && !strcmp(it->ns, ns))
			return !type || strcmp(type,
					       "kubernetes.io/service-account-token");
	}
	return false;
}

/* The can edges of one rule of the bound role, scoped to ns or "*". */
static void rule_edges(struct k8s *k, const char *grant, const cJSON *rule,
		       const char *scope, const char *via, size_t off)
{
	const cJSON *verbs = nhir_json_arr(rule, "verbs");
	const cJSON *groups = nhir_json_arr(rule, "apiGroups");
	const cJSON *res = nhir_json_arr(rule, "resources");
	const cJSON *names = nhir_json_arr(rule, "resourceNames");
	const cJSON *urls = nhir_json_arr(rule, "nonResourceURLs");
	const cJSON *g, *r, *n;

	if (!verbs) {
		nhir_import_warn(k->imp, off, "%s: a rule without verbs; "
				 "skipped", via);
		return;
	}
	cJSON_ArrayForEach(r, urls) {
		if (!cJSON_IsString(r))
			continue;
		nhir_buf_reset(&k->tmp);
		nhir_buf_addf(&k->tmp, "k8s:%s:url:%s", k->cluster,
			      r->valuestring);
		if (!k->tmp.err)
			can_edge(k, grant, k->tmp.buf, r->valuestring, verbs,
				 rule_priv(verbs, "", r->valuestring), via, off);
	}
	cJSON_ArrayForEach(g, groups) {
		const char *grp = cJSON_IsString(g) ? g->valuestring : NULL;

		if (!grp)
			continue;
		cJSON_ArrayForEach(r, res) {
			const char *rn = cJSON_IsString(r) ? r->valuestring
							   : NULL;
			enum nhir_priv priv;

			if (!rn)
				continue;
			priv = rule_priv(verbs, grp, rn);
			if (!names || !names->child) {
				nhir_buf_reset(&k->tmp);
				nhir_buf_addf(&k->tmp, "k8s:%s:%s:%s/%s",
					      k->cluster, scope,
					      *grp ? grp : "core", rn);
				if (!k->tmp.err)
					can_edge(k, grant, k->tmp.buf, NULL,
						 verbs, priv, via, off);
				continue;
			}
			cJSON_ArrayForEach(n, names) {
				if (!cJSON_IsString(n))
					continue;
				nhir_buf_reset(&k->tmp);
				if (opaque_secret(k, grp, rn, scope,
						  n->valuestring))
					nhir_buf_addf(&k->tmp,
						      "k8s:%s:secret:%s/%s",
						      k->cluster, scope,
						      n->valuestring);
				else
					nhir_buf_addf(&k->tmp,
						      "k8s:%s:%s:%s/%s/%s",
						      k->cluster, scope,
						      *grp ? grp : "core", rn,
						      n->valuestring);
				if (!k->tmp.err)
					can_edge(k, grant, k->tmp.buf, NULL,
						 verbs, priv, via, off);
			}
		}
	}
}

static const char *subject(struct k8s *k, const cJSON *s, const char *bns,
			   size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	const char *kind = nhir_json_str(s, "kind");
	const char *name = nhir_json_str(s, "name");
	const char *ns = nhir_json_str(s, "namespace");

	if (!kind || !name) {
		nhir_import_warn(k->imp, off, "binding subject without kind "
				 "or name; skipped");
		return NULL;
	}
	if (!strcmp(kind, "ServiceAccount"))
		return service_account(k, ns ? ns : bns ? bns : "default", name,
				       NULL, off);
	nhir_buf_reset(&k->id2);
	nhir_buf_addf(&k->id2, "k8s:%s:%s:%s", k->cluster,
		      !strcmp(kind, "Group") ? "group" : "user", name);
	if (k->id2.err)
		return NULL;
	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = k->id2.buf;
	r.name = name;
	r.subtype = !strcmp(kind, "Group") ? "k8s-group" : "k8s-user";
	r.provider = "k8s";
	return nhir_import_node(k->imp, &r, off) ? k->id2.buf : NULL;
}

static void binding(struct k8s *k, const struct k8s_item *it, bool cluster)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	const cJSON *ref = nhir_json_obj(it->o, "roleRef");
	const char *rkind = nhir_json_str(ref, "kind");
	const char *rname = nhir_json_str(ref, "name");
	const struct k8s_item *role;
	const cJSON *s, *rule;
	char grant[1024], via[600];
	cJSON *attrs;

	if (!rkind || !rname) {
		nhir_import_error(k->imp, it->off, "%s %s: roleRef needs kind "
				  "and name", it->kind, it->name);
		return;
	}
	if (cluster)
		snprintf(grant, sizeof(grant), "k8s:%s:clusterrolebinding:%s",
			 k->cluster, it->name);
	else
		snprintf(grant, sizeof(grant), "k8s:%s:rolebinding:%s/%s",
			 k->cluster, it->ns ? it->ns : "default", it->name);
	snprintf(via, sizeof(via), "%s/%s", rkind, rname);
	attrs = cJSON_CreateObject();
	if (!attrs) {
		nhir_import_oom(k->imp);
		return;
	}
	cJSON_AddStringToObject(attrs, "role_ref", via);
	if (!cluster)
		cJSON_AddStringToObject(attrs, "namespace",
					it->ns ? it->ns : "default");
	if (!print_attrs(k, attrs))
		return;
	r.kind = NHIR_NODE_GRANT;
	r.ext_id = grant;
	r.name = it->name;
	r.subtype = cluster ? "k8s-clusterrolebinding" : "k8s-rolebinding";
	r.provider = "k8s";
	r.attrs = k->attrs.buf;
	if (!nhir_import_node(k->imp, &r, it->off))
		return;
	cJSON_ArrayForEach(s, nhir_json_arr(it->o, "subjects")) {
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		const char *sid = subject(k, s, it->ns, it->off);

		if (!sid)
			continue;
		e.kind = NHIR_EDGE_DELEGATES;
		e.src = sid;
		e.dst = grant;
		nhir_import_edge(k->imp, &e, it->off);
	}
	role = find_role(k, rkind, rname, it->ns);
	if (!role) {
		nhir_import_warn(k->imp, it->off, "%s %s: %s is not in this "
				 "file; what it grants is not known", it->kind,
				 it->name, via);
		return;
	}
	if (nhir_json_obj(role->o, "aggregationRule") &&
	    !nhir_json_arr(role->o, "rules"))
		nhir_import_warn(k->imp, role->off, "%s: aggregated role "
				 "without resolved rules", via);
	cJSON_ArrayForEach(rule, nhir_json_arr(role->o, "rules"))
		rule_edges(k, grant, rule,
			   cluster ? "*" : (it->ns ? it->ns : "default"), via,
			   it->off);
}

static int find_items(void *ctx, const struct nhir_json_span *sp)
{
	struct nhir_json_span *items = ctx;

	if (sp->key && sp->key_len == 5 && !memcmp(sp->key, "items", 5)) {
		*items = *sp;
		return 1;
	}
	return 0;
}

static void k8s_run(struct nhir_import *imp, const char *data, size_t len)
{
	struct k8s k;
	struct nhir_err e = NHIR_ERR_INIT;
	struct nhir_json_span items = { NULL, 0, 0, 0 }, whole;
	size_t bad = 0, i = 0;

	memset(&k, 0, sizeof(k));
	k.imp = imp;
	k.data = data;
	k.len = len;
	k.cluster = imp->opts->cluster && *imp->opts->cluster
			    ? imp->opts->cluster
			    : "cluster";
	nhir_buf_init(&k.id, NHIR_MAX_ID_LEN);
	nhir_buf_init(&k.id2, NHIR_MAX_ID_LEN);
	nhir_buf_init(&k.tmp, NHIR_MAX_ID_LEN);
	nhir_buf_init(&k.attrs, NHIR_MAX_ATTRS_LEN);
	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
			   data[i] == '\r' || data[i] == '\n'))
		i++;
	if (i >= len || data[i] != '{') {
		nhir_import_error(imp, i, "not a Kubernetes object or List "
				  "(expected a JSON object)");
		goto out;
	}
	/* A List's "items", or else the document is one object. */
	if (nhir_json_children(data, len, i, find_items, &items, &bad, &e)) {
		nhir_import_error(imp, bad, "%s", e.msg);
		goto out;
	}
	if (items.key) {
		if (data[items.off] != '[') {
			nhir_import_error(imp, items.off, "'items' must be an "
					  "array");
			goto out;
		}
		if (nhir_json_children(data, len, items.off, collect, &k, &bad,
				       &e)) {
			nhir_import_error(imp, bad, "%s", e.msg);
			goto out;
		}
	} else {
		whole.key = NULL;
		whole.key_len = 0;
		whole.off = i;
		whole.len = len - i;
		collect(&k, &whole);
	}
	if (imp->res->rejected)
		goto out;
	/* Accounts and secrets first, then bindings, which name them. */
	for (int pass = 0; pass < 3 && !nhir_import_stopped(imp); pass++) {
		for (size_t n = 0; n < k.nr && !nhir_import_stopped(imp); n++) {
			const struct k8s_item *it = &k.v[n];
			bool sa = !strcmp(it->kind, "ServiceAccount");
			bool sec = !strcmp(it->kind, "Secret");
			bool rb = !strcmp(it->kind, "RoleBinding");
			bool crb = !strcmp(it->kind, "ClusterRoleBinding");
			bool role = !strcmp(it->kind, "Role") ||
				    !strcmp(it->kind, "ClusterRole");

			if (pass == 0 && sa)
				service_account(&k, it->ns ? it->ns : "default",
						it->name, it->o, it->off);
			else if (pass == 1 && sec)
				secret(&k, it);
			else if (pass == 2 && (rb || crb))
				binding(&k, it, crb);
			else if (pass == 2 && !sa && !sec && !role)
				nhir_import_warn(imp, it->off, "%s %s: kind "
						 "not used for RBAC; skipped",
						 it->kind, it->name);
		}
	}
out:
	for (size_t n = 0; n < k.nr; n++)
		cJSON_Delete(k.v[n].o);
	nhir_free(k.v);
	nhir_buf_release(&k.id);
	nhir_buf_release(&k.id2);
	nhir_buf_release(&k.tmp);
	nhir_buf_release(&k.attrs);
}

const struct nhir_importer nhir_importer_k8s_rbac = {
	.name = "k8s-rbac",
	.summary = "kubectl get serviceaccounts,secrets,roles,... -A -o json",
	.run = k8s_run,
};
