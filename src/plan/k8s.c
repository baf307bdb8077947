/*
 * The built-in Kubernetes connector (k8s.h).  Targets are named as nhir
 * ingest k8s-audit and k8s-rbac name them:
 *
 *   k8s:CLUSTER:secret:NS/NAME          a legacy token Secret;
 *   k8s:CLUSTER:serviceaccount:NS/NAME  a service account;
 *   a bound token (k8s-bound-token) with its bound_object, "Pod NS/NAME"
 *   or "Secret NS/NAME", as the TokenRequest that minted it said.
 *
 *   k8s.delete-bound-secret     a token Secret: GET it (it must be of
 *                               type kubernetes.io/service-account-token),
 *                               then DELETE it, its uid as precondition;
 *                               a bound token: DELETE its bound object;
 *   k8s.delete-service-account  DELETE the service account: every token
 *                               of it stops authenticating.
 *
 * Deletes carry DeleteOptions (propagationPolicy Background); a 404
 * NotFound is "already gone", said so, and done.  Probe: a leaked token
 * the probe is given (leaked_token) in a SelfSubjectReview, 401 is
 * revoked; else a GET of what was deleted, 404 is revoked.  Calls go
 * through rest.c with the kubeconfig context's bearer token and CA: a
 * 429 (API Priority and Fairness, Retry-After), a 5xx or no answer is
 * sent again within the timeout.
 */
#include "compat.h"
#include <ctype.h>
#include <sodium.h>
#include "core/alloc.h"
#include "plan/k8s.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"

#define DEFAULT_CLUSTER "cluster"
#define MAX_NAME 253
#define DELETE_OPTIONS "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\"," \
		       "\"propagationPolicy\":\"Background\""

struct nhir_k8s {
	char *kubeconfig, *context, *cluster, *leaked_token;
};

void nhir_k8s_free(struct nhir_k8s *k)
{
	if (!k)
		return;
	nhir_free(k->kubeconfig);
	nhir_free(k->context);
	nhir_free(k->cluster);
	nhir_free(k->leaked_token);
	nhir_free(k);
}

static enum nhir_rc opt(struct nhir_yaml *y, const yaml_node_t *n,
			const char *name, const char *key, char **out)
{
	yaml_node_t *v = nhir_yaml_get(y, n, key);
	const char *s = nhir_yaml_str(v);

	if (!v)
		return NHIR_OK;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': %s is a text", name, key);
	if (!strcmp(key, "leaked_token") &&
	    (strncmp(s, "${", 2) || s[strlen(s) - 1] != '}'))
		return nhir_yaml_error(y, v, "'%s': leaked_token names where the "
				       "token is read, ${env:NAME} or "
				       "${file:PATH}, never the token itself",
				       name);
	if (!strcmp(key, "cluster") && strpbrk(s, "/ \t"))
		return nhir_yaml_error(y, v, "'%s': cluster is the name nhir's "
				       "ids give the cluster (k8s:CLUSTER:...), "
				       "not '%s'", name, s);
	*out = nhir_strdup(s);
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_k8s_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_k8s **out)
{
	struct nhir_k8s *k = nhir_calloc(1, sizeof(*k));
	enum nhir_rc rc;

	*out = k;
	if (!k)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt(y, n, name, "kubeconfig", &k->kubeconfig);
	if (!rc)
		rc = opt(y, n, name, "context", &k->context);
	if (!rc)
		rc = opt(y, n, name, "cluster", &k->cluster);
	if (!rc)
		rc = opt(y, n, name, "leaked_token", &k->leaked_token);
	if (!rc && !k->cluster && !(k->cluster = nhir_strdup(DEFAULT_CLUSTER)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	return rc;
}

/* ---- the kubeconfig ---- */

void nhir_kubeconfig_release(struct nhir_kubeconfig *k)
{
	nhir_free(k->context);
	nhir_free(k->cluster);
	nhir_free(k->user);
	nhir_free(k->server);
	nhir_free(k->ca_file);
	nhir_free(k->token_file);
	nhir_buf_release(&k->ca_pem);
	plan_rest_wipe(&k->token);
	memset(k, 0, sizeof(*k));
}

/* The entry of list key (clusters, contexts, users) named name. */
static enum nhir_rc entry(struct nhir_yaml *y, const yaml_node_t *root,
			  const char *key, const char *inner, const char *name,
			  const yaml_node_t *why, yaml_node_t **out)
{
	yaml_node_t *list = nhir_yaml_get(y, root, key);
	yaml_node_item_t *it;
	size_t nr;

	*out = NULL;
	if (!list)
		return nhir_yaml_error(y, why, "%s '%s': the file has no %s",
				       inner, name, key);
	if (!nhir_yaml_is_seq(list))
		return nhir_yaml_error(y, list, "%s is a list", key);
	it = nhir_yaml_items(list, &nr);
	for (size_t i = 0; i < nr; i++) {
		yaml_node_t *e = nhir_yaml_node(y, it[i]);
		const char *s = nhir_yaml_str(nhir_yaml_get(y, e, "name"));

		if (!nhir_yaml_is_map(e))
			return nhir_yaml_error(y, e, "%s: entries are mappings "
					       "with a name and a %s", key, inner);
		if (!s || strcmp(s, name))
			continue;
		*out = nhir_yaml_get(y, e, inner);
		if (!nhir_yaml_is_map(*out))
			return nhir_yaml_error(y, e, "%s '%s' has no %s mapping",
					       key, name, inner);
		return NHIR_OK;
	}
	return nhir_yaml_error(y, why, "%s '%s' is not among the file's %s",
			       inner, name, key);
}

/* A path of the kubeconfig, taken from its directory when relative. */
static char *rel_path(const char *kubeconfig, const char *p)
{
	const char *slash = strrchr(kubeconfig, '/');
	size_t n;
	char *out;

	if (p[0] == '/' || !slash)
		return nhir_strdup(p);
	n = (size_t)(slash - kubeconfig) + strlen(p) + 2;
	out = nhir_malloc(n);
	if (out)
		snprintf(out, n, "%.*s/%s", (int)(slash - kubeconfig),
			 kubeconfig, p);
	return out;
}

static enum nhir_rc read_cluster(struct nhir_yaml *y, const yaml_node_t *c,
				 const char *path, struct nhir_kubeconfig *k)
{
	static const char *const refused[] = { "proxy-url", "tls-server-name",
					       "disable-compression" };
	yaml_node_t *v = nhir_yaml_get(y, c, "server");
	const char *s = nhir_yaml_str(v), *ca, *cad;
	bool b;
	size_t l;

	if (!s || !*s)
		return nhir_yaml_error(y, c, "cluster '%s' has no server",
				       k->cluster);
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return nhir_yaml_error(y, v, "cluster '%s': server is an "
				       "http(s) URL", k->cluster);
	/* a bearer token read on the way is a token stolen */
	if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
		return nhir_yaml_error(y, v, "cluster '%s': server: plain http "
				       "only to a loopback address (it carries "
				       "a token)", k->cluster);
	if (strpbrk(s, "?#@ \t\r\n"))
		return nhir_yaml_error(y, v, "cluster '%s': server has no "
				       "query, fragment or user", k->cluster);
	v = nhir_yaml_get(y, c, "insecure-skip-tls-verify");
	if (v && (!nhir_yaml_bool(v, &b) || b))
		return nhir_yaml_error(y, v, "cluster '%s': "
				       "insecure-skip-tls-verify: nhir checks "
				       "the API server's certificate (name its "
				       "CA)", k->cluster);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(refused); i++)
		if ((v = nhir_yaml_get(y, c, refused[i])))
			return nhir_yaml_error(y, v, "cluster '%s': %s is not "
					       "supported by nhir's kubernetes "
					       "connector", k->cluster,
					       refused[i]);
	k->server = nhir_strdup(s);
	if (!k->server)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	l = strlen(k->server);
	while (l > 8 && k->server[l - 1] == '/')
		k->server[--l] = 0;
	v = nhir_yaml_get(y, c, "certificate-authority-data");
	cad = nhir_yaml_str(v);
	ca = nhir_yaml_str(nhir_yaml_get(y, c, "certificate-authority"));
	if (v) {
		size_t n = cad ? strlen(cad) : 0, got = 0;
		const char *end = NULL;
		unsigned char *pem;
		int bad;

		if (!n)
			return nhir_yaml_error(y, v, "cluster '%s': "
					       "certificate-authority-data is "
					       "empty", k->cluster);
		pem = nhir_malloc(n);
		if (!pem)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		bad = sodium_base642bin(pem, n, cad, n, " \r\n", &got, &end,
					sodium_base64_VARIANT_ORIGINAL);
		if (!bad && (!end || !*end))
			nhir_buf_add(&k->ca_pem, pem, got);
		nhir_free(pem);
		if (bad || (end && *end) || !got)
			return nhir_yaml_error(y, v, "cluster '%s': "
					       "certificate-authority-data: "
					       "byte %zu: not base64", k->cluster,
					       end && end >= cad ? (size_t)(end - cad)
								 : 0);
		if (k->ca_pem.err)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		nhir_buf_addch(&k->ca_pem, 0);
		k->ca_pem.len = got;
		if (k->ca_pem.err)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		/* a NUL after it, for strstr (libcurl takes the length) */
		if (got < 27 || !strstr(k->ca_pem.buf, "-----BEGIN "))
			return nhir_yaml_error(y, v, "cluster '%s': "
					       "certificate-authority-data is "
					       "not PEM certificates", k->cluster);
	} else if (ca) {
		if (!*ca)
			return nhir_yaml_error(y, c, "cluster '%s': "
					       "certificate-authority is empty",
					       k->cluster);
		k->ca_file = rel_path(path, ca);
		if (!k->ca_file)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	}
	return NHIR_OK;
}

static enum nhir_rc read_user(struct nhir_yaml *y, const yaml_node_t *u,
			      const char *path, struct nhir_kubeconfig *k)
{
	static const struct {
		const char *key, *what;
	} refused[] = {
		{ "client-certificate", "a client certificate" },
		{ "client-certificate-data", "a client certificate" },
		{ "exec", "an exec plugin" },
		{ "auth-provider", "an auth provider" },
		{ "username", "a user name and password" },
		{ "as", "impersonation" },
	};
	yaml_node_t *v = nhir_yaml_get(y, u, "token");
	const char *t = nhir_yaml_str(v);
	const char *f = nhir_yaml_str(nhir_yaml_get(y, u, "tokenFile"));

	if (v && (!t || !*t || strpbrk(t, "\r\n")))
		return nhir_yaml_error(y, v, "user '%s': token is one line of "
				       "text", k->user);
	if (t) {
		nhir_buf_adds(&k->token, t);
		nhir_buf_addch(&k->token, 0);
		return k->token.err ? nhir_err_set(y->err, NHIR_ENOMEM,
						   "out of memory")
				    : NHIR_OK;
	}
	if (f && *f) {
		k->token_file = rel_path(path, f);
		return k->token_file ? NHIR_OK
				     : nhir_err_set(y->err, NHIR_ENOMEM,
						    "out of memory");
	}
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(refused); i++)
		if ((v = nhir_yaml_get(y, u, refused[i].key)))
			return nhir_yaml_error(y, v, "user '%s' signs in with "
					       "%s (%s): nhir's kubernetes "
					       "connector takes a bearer token "
					       "(token or tokenFile)", k->user,
					       refused[i].what, refused[i].key);
	return nhir_yaml_error(y, u, "user '%s' has no token or tokenFile",
			       k->user);
}

/* Every text of the file: wiped, it may hold a token. */
static void wipe_doc(struct nhir_yaml *y)
{
	if (!y->loaded)
		return;
	for (yaml_node_t *n = y->doc.nodes.start; n < y->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE && n->data.scalar.value)
			sodium_memzero(n->data.scalar.value,
				       n->data.scalar.length);
}

static enum nhir_rc dup_to(struct nhir_yaml *y, char **out, const char *s)
{
	*out = nhir_strdup(s);
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_kubeconfig_parse(const char *data, size_t len,
				   const char *path, const char *context,
				   struct nhir_kubeconfig *k,
				   struct nhir_err *err)
{
	struct nhir_yaml y;
	yaml_node_t *root, *ctx, *cv, *node;
	const char *s;
	enum nhir_rc rc;

	memset(k, 0, sizeof(*k));
	nhir_buf_init(&k->ca_pem, 1 << 20);
	nhir_buf_init(&k->token, 1 << 16);
	rc = nhir_yaml_load(&y, data, len, path, err);
	if (rc)
		return rc;
	root = nhir_yaml_root(&y);
	if (!nhir_yaml_is_map(root)) {
		rc = nhir_yaml_error(&y, root, "a kubeconfig is a mapping");
		goto out;
	}
	cv = nhir_yaml_get(&y, root, "current-context");
	if (!context) {
		context = nhir_yaml_str(cv);
		if (!context || !*context) {
			rc = nhir_yaml_error(&y, cv ? cv : root, "no "
					     "current-context: name the "
					     "context (context: in the "
					     "connectors file)");
			goto out;
		}
	} else {
		cv = root;
	}
	rc = dup_to(&y, &k->context, context);
	if (!rc)
		rc = entry(&y, root, "contexts", "context", context, cv, &ctx);
	if (rc)
		goto out;
	s = nhir_yaml_str(nhir_yaml_get(&y, ctx, "cluster"));
	if (!s || !*s) {
		rc = nhir_yaml_error(&y, ctx, "context '%s' names no cluster",
				     context);
		goto out;
	}
	rc = dup_to(&y, &k->cluster, s);
	if (!rc)
		rc = entry(&y, root, "clusters", "cluster", s,
			   nhir_yaml_get(&y, ctx, "cluster"), &node);
	if (!rc)
		rc = read_cluster(&y, node, path, k);
	if (rc)
		goto out;
	s = nhir_yaml_str(nhir_yaml_get(&y, ctx, "user"));
	if (!s || !*s) {
		rc = nhir_yaml_error(&y, ctx, "context '%s' names no user",
				     context);
		goto out;
	}
	rc = dup_to(&y, &k->user, s);
	if (!rc)
		rc = entry(&y, root, "users", "user", s,
			   nhir_yaml_get(&y, ctx, "user"), &node);
	if (!rc)
		rc = read_user(&y, node, path, k);
out:
	wipe_doc(&y);
	nhir_yaml_free(&y);
	if (rc)
		nhir_kubeconfig_release(k);
	return rc;
}

/* ---- calls ---- */

struct kctx {
	const struct nhir_k8s *k;
	struct nhir_kubeconfig kc;
	bool have_kc;
	char kc_why[600];
	char base[700];
	struct plan_rest r;
	struct nhir_buf token;		/* the responder's; wiped */
	bool have_token;
	char token_shown[700];		/* the dry run's, without one */
};

/*
 * $KUBECONFIG and $HOME, read when a step runs, as kubectl reads them,
 * through the operation's environment lookup
 */
static const char *k8s_env(const struct nhir_ctx *op, const char *name)
{
	return nhir_ctx_env(op, name);
}

/* The kubeconfig file the connector reads, now. */
static const char *kubeconfig_path(const struct nhir_ctx *op,
				   const struct nhir_k8s *k, char *buf,
				   size_t n, char *why, size_t wn)
{
	const char *e = k8s_env(op, "KUBECONFIG"), *home = k8s_env(op, "HOME");

	if (k->kubeconfig)
		return k->kubeconfig;
	if (e && *e) {
		if (strchr(e, ':')) {
			snprintf(why, wn, "$KUBECONFIG lists several files; "
				 "name the one to read (kubeconfig: in the "
				 "connectors file)");
			return NULL;
		}
		return e;
	}
	if (!home || !*home) {
		snprintf(why, wn, "no kubeconfig: neither kubeconfig: in the "
			 "connectors file, $KUBECONFIG nor $HOME is set");
		return NULL;
	}
	snprintf(buf, n, "%s/.kube/config", home);
	return buf;
}

/* The kubeconfig's context and the responder's token, read now. */
static enum nhir_rc load(struct kctx *c)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct nhir_err e = NHIR_ERR_INIT;
	char pbuf[PATH_MAX + 20];
	const char *path = kubeconfig_path(c->r.op, c->k, pbuf, sizeof(pbuf),
					   c->kc_why, sizeof(c->kc_why));
	enum nhir_rc rc;

	if (!path)
		return NHIR_OK;
	rc = nhir_read_small_file(path, &b, &e);
	if (!rc)
		rc = nhir_kubeconfig_parse(b.buf ? b.buf : "", b.len, path,
					   c->k->context, &c->kc, &e);
	plan_rest_wipe(&b);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (rc) {
		snprintf(c->kc_why, sizeof(c->kc_why), "%s", e.msg);
		return NHIR_OK;
	}
	c->have_kc = true;
	if (c->kc.token.len) {
		nhir_buf_add(&c->token, c->kc.token.buf, c->kc.token.len);
		c->have_token = !c->token.err;
	} else {
		char ref[PATH_MAX + 20], why[300];

		snprintf(ref, sizeof(ref), "${file:%s}", c->kc.token_file);
		c->have_token = plan_rest_token(c->r.op, ref, &c->token, why,
						sizeof(why));
		if (!c->have_token)
			snprintf(c->token_shown, sizeof(c->token_shown),
				 "(not read now: tokenFile of user '%s': %s)",
				 c->kc.user, why);
	}
	return NHIR_OK;
}

static enum nhir_rc k_send(struct kctx *c, const char *method,
			   const char *path, const char *body,
			   const char *shown_body, const char *label,
			   struct plan_rest_answer *an, struct nhir_err *err)
{
	return plan_rest_send(&c->r, method, path, body, shown_body,
			      c->have_token ? c->token.buf : NULL,
			      c->have_token ? "[redacted]" : c->token_shown,
			      label, an, err);
}

/* ---- targets ---- */

struct kobj {
	const char *kind;	/* Secret, Pod, ServiceAccount */
	const char *plural;	/* secrets, pods, serviceaccounts */
	char ns[64], name[MAX_NAME + 1];
};

/* A namespace or object name as Kubernetes allows them (DNS-1123). */
static bool k8s_name(const char *s, size_t n, size_t max)
{
	if (!n || n > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

/* "NS/NAME" into o. */
static bool ns_name(const char *s, struct kobj *o)
{
	const char *slash = strchr(s, '/');

	if (!slash || !k8s_name(s, (size_t)(slash - s), 63) ||
	    !k8s_name(slash + 1, strlen(slash + 1), MAX_NAME))
		return false;
	snprintf(o->ns, sizeof(o->ns), "%.*s", (int)(slash - s), s);
	snprintf(o->name, sizeof(o->name), "%s", slash + 1);
	return true;
}

static void set_kind(struct kobj *o, const char *kind)
{
	o->kind = kind;
	o->plural = !strcmp(kind, "Secret") ? "secrets"
		    : !strcmp(kind, "Pod") ? "pods" : "serviceaccounts";
}

/*
 * The object the target is, or is bound to; false with why.  A target
 * of another cluster than the connector's is not this one's to touch.
 */
static bool parse_target(const struct nhir_k8s *k, const char *id,
			 const char *bound, struct kobj *o, char *why,
			 size_t wn)
{
	size_t cl = strlen(k->cluster);

	memset(o, 0, sizeof(*o));
	if (id && strlen(id) > 4 + cl && !strncmp(id, "k8s:", 4) &&
	    (!strncmp(id + 4 + cl, ":secret:", 8) ||
	     !strncmp(id + 4 + cl, ":serviceaccount:", 16))) {
		const char *rest = id + 4 + cl + 1;
		bool secret = !strncmp(rest, "secret:", 7);

		if (strncmp(id + 4, k->cluster, cl)) {
			snprintf(why, wn, "%s is not in cluster '%s', the one "
				 "this connector acts on (cluster:)", id,
				 k->cluster);
			return false;
		}
		set_kind(o, secret ? "Secret" : "ServiceAccount");
		if (ns_name(rest + (secret ? 7 : 15), o))
			return true;
		snprintf(why, wn, "%s: not NAMESPACE/NAME as Kubernetes names "
			 "objects", id);
		return false;
	}
	if (id && !strncmp(id, "k8s:", 4) && (strstr(id, ":secret:") ||
					      strstr(id, ":serviceaccount:"))) {
		snprintf(why, wn, "%s is not in cluster '%s', the one this "
			 "connector acts on (cluster:)", id, k->cluster);
		return false;
	}
	if (bound && (!strncmp(bound, "Pod ", 4) ||
		      !strncmp(bound, "Secret ", 7))) {
		bool pod = bound[0] == 'P';

		set_kind(o, pod ? "Pod" : "Secret");
		if (ns_name(bound + (pod ? 4 : 7), o))
			return true;
	}
	snprintf(why, wn, "%s: the kubernetes connector acts on a token "
		 "Secret (k8s:%s:secret:NS/NAME), a service account "
		 "(k8s:%s:serviceaccount:NS/NAME) or a token bound to a Pod "
		 "or Secret nhir knows%s%s%s", id ? id : "the target",
		 k->cluster, k->cluster, bound ? " (it is bound to " : "",
		 bound ? bound : "", bound ? ")" : "");
	return false;
}

/* ---- steps ---- */

static void obj_path(char *out, size_t n, const struct kobj *o)
{
	snprintf(out, n, "/api/v1/namespaces/%s/%s/%s", o->ns, o->plural,
		 o->name);
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A uid as the API server makes them (a UUID). */
static bool uid_ok(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (!(i == 8 || i == 13 || i == 18 || i == 23
		      ? s[i] == '-' : isxdigit((unsigned char)s[i])))
			return false;
	return true;
}

/*
 * GET the object: *status 200 (its uid, deletionTimestamp and, for a
 * Secret, its type and service account kept), 404, or *ok false with
 * detail when the answer says neither.
 */
struct got {
	long status;
	char uid[40], type[80], account[MAX_NAME + 1], deleting[40];
};

static enum nhir_rc get_obj(struct kctx *c, const struct kobj *o,
			    struct got *g, char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[400], label[420];
	const cJSON *md;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	memset(g, 0, sizeof(*g));
	*ok = false;
	obj_path(path, sizeof(path), o);
	snprintf(label, sizeof(label), "GET %s", path);
	rc = k_send(c, "GET", path, NULL, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry) {
		*ok = !rc;
		goto out;
	}
	rc = NHIR_OK;
	g->status = an.status;
	md = cJSON_GetObjectItemCaseSensitive(an.doc, "metadata");
	if (!e.rc && an.status == 404 &&
	    !strcmp(jstr(an.doc, "reason") ? jstr(an.doc, "reason") : "",
		    "NotFound")) {
		*ok = true;
	} else if (!e.rc && an.status == 200 && cJSON_IsObject(md) &&
		   jstr(an.doc, "kind") && !strcmp(jstr(an.doc, "kind"), o->kind) &&
		   jstr(md, "name") && !strcmp(jstr(md, "name"), o->name)) {
		const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md,
								    "annotations");
		const char *acct = jstr(ann, "kubernetes.io/service-account.name");

		if (uid_ok(jstr(md, "uid")))
			snprintf(g->uid, sizeof(g->uid), "%s", jstr(md, "uid"));
		if (jstr(an.doc, "type"))
			snprintf(g->type, sizeof(g->type), "%s",
				 jstr(an.doc, "type"));
		if (acct)
			snprintf(g->account, sizeof(g->account), "%s", acct);
		if (jstr(md, "deletionTimestamp"))
			snprintf(g->deleting, sizeof(g->deleting), "%s",
				 jstr(md, "deletionTimestamp"));
		*ok = true;
	} else if (!e.rc && an.status == 200) {
		snprintf(detail, dn, "%s answered something that is not the "
			 "%s %s/%s", label, o->kind, o->ns, o->name);
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc delete_obj(struct kctx *c, const struct kobj *o,
			       const char *uid, char *detail, size_t dn,
			       bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[400], label[420], body[300];
	const cJSON *md;
	const char *reason;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	obj_path(path, sizeof(path), o);
	snprintf(label, sizeof(label), "%s %s", "DELETE", path);
	if (uid)
		snprintf(body, sizeof(body), DELETE_OPTIONS ",\"preconditions\":"
			 "{\"uid\":\"%s\"}}", uid);
	else
		snprintf(body, sizeof(body), DELETE_OPTIONS "}");
	rc = k_send(c, "DELETE", path, body,
		    c->r.dry && !strcmp(o->kind, "Secret")
		    ? DELETE_OPTIONS ",\"preconditions\":{\"uid\":\"UID\"}}\n\n"
		      "(UID: the Secret's uid the GET above answers)" : NULL,
		    label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	reason = jstr(an.doc, "reason");
	md = cJSON_GetObjectItemCaseSensitive(an.doc, "metadata");
	if (!e.rc && an.status == 404 && reason && !strcmp(reason, "NotFound")) {
		snprintf(detail, dn, "%s: HTTP 404 NotFound: the %s %s/%s is "
			 "already gone; nothing to delete", label, o->kind,
			 o->ns, o->name);
		*ok = true;
	} else if (!e.rc && (an.status == 200 || an.status == 202)) {
		const char *dt = jstr(md, "deletionTimestamp");

		snprintf(detail, dn, "%s: HTTP %ld: the %s %s/%s %s", label,
			 an.status, o->kind, o->ns, o->name,
			 an.status == 202 || dt ? "is being deleted" : "deleted");
		if (dt)
			snprintf(detail + strlen(detail), dn - strlen(detail),
				 " (deletionTimestamp %.40s)", dt);
		*ok = true;
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* The kind of end each deletion brings, said after it. */
static void effect(char *detail, size_t dn, const struct kobj *o, bool bound)
{
	size_t l = strlen(detail);

	if (!strcmp(o->kind, "ServiceAccount"))
		snprintf(detail + l, dn - l, "; every token of the service "
			 "account stops authenticating (bound ones at some "
			 "point at least 60 s after its deletionTimestamp); "
			 "cloud credentials exchanged for its tokens survive "
			 "until they expire");
	else if (bound)
		snprintf(detail + l, dn - l, "; tokens bound to it stop "
			 "authenticating at some point at least 60 s after "
			 "its deletionTimestamp; unbound tokens of the same "
			 "service account (kubectl create token) survive");
	else
		snprintf(detail + l, dn - l, "; the token it held no longer "
			 "authenticates");
}

static enum nhir_rc delete_secret(struct kctx *c, const struct kobj *o,
				  bool bound, char *detail, size_t dn, bool *ok)
{
	struct got g;
	enum nhir_rc rc = get_obj(c, o, &g, detail, dn, ok);

	if (rc || !*ok)
		return rc;
	if (c->r.dry)
		return delete_obj(c, o, NULL, detail, dn, ok);
	*ok = false;
	if (g.status == 404) {
		snprintf(detail, dn, "GET /api/v1/namespaces/%s/secrets/%s: "
			 "HTTP 404 NotFound: the Secret is already gone; "
			 "nothing to delete", o->ns, o->name);
		*ok = true;
		return NHIR_OK;
	}
	if (!bound && strcmp(g.type, "kubernetes.io/service-account-token")) {
		snprintf(detail, dn, "the Secret %s/%s is of type '%s', not a "
			 "service account token (kubernetes.io/service-account-"
			 "token): nothing was deleted", o->ns, o->name,
			 g.type[0] ? g.type : "none");
		return NHIR_OK;
	}
	if (!g.uid[0]) {
		snprintf(detail, dn, "the Secret %s/%s has no uid in its "
			 "answer: nothing was deleted", o->ns, o->name);
		return NHIR_OK;
	}
	return delete_obj(c, o, g.uid, detail, dn, ok);
}

/* ---- probes ---- */

/*
 * SelfSubjectReview with the leaked token: *works, or *ok false when
 * the answer tells neither.  want: the service account's user name the
 * target is, or NULL; a token of someone else proves nothing here.
 */
static enum nhir_rc review(struct kctx *c, const struct nhir_buf *leaked,
			   const char *want, cJSON *o, char *detail, size_t dn,
			   bool *ok)
{
	static const char body[] = "{\"apiVersion\":\"authentication.k8s.io/v1\","
				   "\"kind\":\"SelfSubjectReview\"}";
	static const char label[] = "POST /apis/authentication.k8s.io/v1/"
				    "selfsubjectreviews";
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	const cJSON *ui;
	const char *user;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	rc = plan_rest_send(&c->r, "POST", "/apis/authentication.k8s.io/v1/"
			    "selfsubjectreviews", body, NULL, leaked->buf,
			    "[redacted: the leaked token]", label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry) {
		*ok = !rc;
		goto out;
	}
	rc = NHIR_OK;
	ui = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
		an.doc, "status"), "userInfo");
	user = jstr(ui, "username");
	if (!e.rc && an.status == 401) {
		cJSON_AddStringToObject(o, "call", label);
		cJSON_AddBoolToObject(o, "works", false);
		snprintf(detail, dn, "%s with the leaked token: HTTP 401%s%s "
			 "(revoked)", label, an.message[0] ? " " : "",
			 an.message);
		*ok = true;
	} else if (!e.rc && an.status == 201 && user) {
		if (want && strcmp(user, want)) {
			snprintf(detail, dn, "%s: the leaked token is %s's, not "
				 "%s's: it proves nothing of this target",
				 label, user, want);
			goto out;
		}
		cJSON_AddStringToObject(o, "call", label);
		cJSON_AddBoolToObject(o, "works", true);
		snprintf(detail, dn, "%s: the leaked token still "
			 "authenticates, as %s", label, user);
		*ok = true;
	} else if (!e.rc && an.status == 201) {
		snprintf(detail, dn, "%s answered no status.userInfo.username",
			 label);
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc probe_get(struct kctx *c, const struct kobj *o, cJSON *jo,
			      char *detail, size_t dn, bool *ok)
{
	char path[400], label[420];
	struct got g;
	enum nhir_rc rc = get_obj(c, o, &g, detail, dn, ok);

	if (rc || !*ok || c->r.dry)
		return rc;
	obj_path(path, sizeof(path), o);
	snprintf(label, sizeof(label), "GET %s", path);
	if (g.status == 200 && g.deleting[0]) {
		/* tokens die some time after: not yet proof */
		snprintf(detail, dn, "%s: the %s %s/%s is being deleted "
			 "(deletionTimestamp %s); its tokens stop "
			 "authenticating at some point at least 60 s after: "
			 "probe again", label, o->kind, o->ns, o->name,
			 g.deleting);
		*ok = false;
		return NHIR_OK;
	}
	cJSON_AddStringToObject(jo, "call", label);
	cJSON_AddBoolToObject(jo, "works", g.status == 200);
	if (g.status == 404)
		snprintf(detail, dn, "%s: HTTP 404 NotFound: the %s %s/%s is "
			 "gone, and the tokens it held or was bound to with it",
			 label, o->kind, o->ns, o->name);
	else
		snprintf(detail, dn, "%s: the %s %s/%s still exists (uid %s)",
			 label, o->kind, o->ns, o->name,
			 g.uid[0] ? g.uid : "unknown");
	return NHIR_OK;
}

/* ---- the request ---- */

enum nhir_rc nhir_k8s_call(const struct nhir_ctx *op, const struct nhir_k8s *k,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err)
{
	static const char *const fixed[] = { "Accept: application/json",
					     "User-Agent: nhir" };
	struct kctx c;
	struct kobj ob;
	struct nhir_buf leaked = NHIR_BUF_INIT(1 << 16);
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id, *bound, *subtype;
	char detail[2000] = "", why[600] = "", leaked_why[300] = "";
	bool ok = false, have_obj, have_leaked = false;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.token, 1 << 16);
	c.k = k;
	plan_rest_init(&c.r, op, timeout, false);
	c.r.fixed = fixed;
	c.r.fixed_nr = NHIR_ARRAY_SIZE(fixed);
	c.r.auth = "Authorization: Bearer ";
	c.r.what = "the API server's answer";
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	c.r.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	bound = jstr(tg, "bound_object");
	subtype = jstr(tg, "subtype");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	rc = load(&c);
	if (rc)
		goto out;
	if (c.have_kc) {
		c.r.base = c.kc.server;
		c.r.ca_file = c.kc.ca_file;
		c.r.ca_pem = c.kc.ca_pem.len ? c.kc.ca_pem.buf : NULL;
		c.r.ca_pem_len = c.kc.ca_pem.len;
	} else {
		snprintf(c.base, sizeof(c.base), "(the API server: not read "
			 "now: %s)", c.kc_why);
		c.r.base = c.base;
		snprintf(c.token_shown, sizeof(c.token_shown), "[redacted]");
	}
	have_obj = parse_target(k, id, bound, &ob, why, sizeof(why));
	if (!have_obj) {
		snprintf(detail, sizeof(detail), "%s", why);
		goto answer;
	}
	if (!c.r.dry && !c.have_kc) {
		snprintf(detail, sizeof(detail), "'%s': %s", name, c.kc_why);
		goto answer;
	}
	if (!c.r.dry && !c.have_token) {
		snprintf(detail, sizeof(detail), "no Kubernetes token for "
			 "'%s': %s", name, c.token_shown);
		goto answer;
	}
	if (probe) {
		char want[400] = "";

		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		if (k->leaked_token)
			have_leaked = plan_rest_token(op, k->leaked_token,
						      &leaked, leaked_why,
						      sizeof(leaked_why));
		if (!strcmp(ob.kind, "ServiceAccount"))
			snprintf(want, sizeof(want),
				 "system:serviceaccount:%s:%s", ob.ns, ob.name);
		ok = false;
		if (have_leaked) {
			rc = review(&c, &leaked, want[0] ? want : NULL, o,
				    detail, sizeof(detail), &ok);
			if (rc)
				goto out;
		}
		if (!ok && !c.r.dry) {
			char first[sizeof(detail)];

			memcpy(first, detail, sizeof(first));
			rc = probe_get(&c, &ob, o, detail, sizeof(detail), &ok);
			if (rc)
				goto out;
			if (first[0] && ok) {
				size_t l = strlen(detail);

				snprintf(detail + l, sizeof(detail) - l, " (%.*s)",
					 (int)(sizeof(detail) / 2), first);
			}
		} else if (c.r.dry) {
			rc = probe_get(&c, &ob, o, detail, sizeof(detail), &ok);
			if (rc)
				goto out;
		}
		if (c.r.dry || !ok) {
			/* unknown is not "revoked": the probe fails */
			cJSON_Delete(o);
			o = NULL;
			goto answer;
		}
		cJSON_AddStringToObject(o, "detail", detail);
		if (c.r.sent.len)
			cJSON_AddStringToObject(o, "calls", plan_rest_sent(&c.r));
		rc = plan_rest_reply(reply, o, err);
		o = NULL;
		goto out;
	}
	if (!strcmp(action, "k8s.delete-bound-secret") &&
	    strcmp(ob.kind, "ServiceAccount")) {
		bool is_bound = !id || strncmp(id, "k8s:", 4) ||
				!strstr(id, ":secret:");

		if (!strcmp(ob.kind, "Secret"))
			rc = delete_secret(&c, &ob, is_bound, detail,
					   sizeof(detail), &ok);
		else
			rc = delete_obj(&c, &ob, NULL, detail, sizeof(detail),
					&ok);
		if (!rc && ok)
			effect(detail, sizeof(detail), &ob, is_bound);
	} else if (!strcmp(action, "k8s.delete-service-account") &&
		   !strcmp(ob.kind, "ServiceAccount")) {
		rc = delete_obj(&c, &ob, NULL, detail, sizeof(detail), &ok);
		if (!rc && ok)
			effect(detail, sizeof(detail), &ob, false);
	} else {
		snprintf(detail, sizeof(detail), "the kubernetes connector has "
			 "no call for %s on %s %s/%s%s%s%s", action, ob.kind,
			 ob.ns, ob.name, subtype ? " (" : "",
			 subtype ? subtype : "", subtype ? ")" : "");
		if (!strcmp(action, "k8s.rotate-signing-key"))
			snprintf(detail + strlen(detail),
				 sizeof(detail) - strlen(detail), ": the "
				 "service account signing key is the API "
				 "server's --service-account-key-file, changed "
				 "on its hosts, not through its API");
	}
answer:
	if (!rc)
		rc = plan_rest_step_reply(&c.r, ok, detail, reply, err);
out:
	if (rc == NHIR_ENOMEM && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	plan_rest_wipe(&leaked);
	plan_rest_wipe(&c.token);
	if (c.have_kc)
		nhir_kubeconfig_release(&c.kc);
	plan_rest_release(&c.r);
	return rc;
}
