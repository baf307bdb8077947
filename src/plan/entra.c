/*
 * The built-in Microsoft Entra connector (entra.h).  Targets, named by
 * the Graph object ids of what they are:
 *
 *   entra:sp:ID                          a service principal;
 *   entra:sp:ID:password:KEYID           a client secret of one,
 *   entra:app:ID:password:KEYID          or of an application;
 *   entra:sp:ID:key:KEYID, entra:app:... a certificate of one;
 *   entra:grant:ID                       an oauth2PermissionGrant;
 *   entra:sp:RESOURCE:appRoleAssignedTo:ID  an app role assignment.
 *
 *   entra.disable-service-principal  PATCH /v1.0/servicePrincipals/ID
 *                                    {"accountEnabled": false};
 *   entra.remove-credential          GET the owner's passwordCredentials,
 *                                    then POST .../removePassword
 *                                    {"keyId"} when it is there; for a
 *                                    certificate its keyCredentials, then
 *                                    POST .../removeKey {"keyId", "proof"},
 *                                    the proof a JWT signed with the key
 *                                    of one of the owner's certificates
 *                                    (proof_keys; refused without one);
 *   entra.delete-permission-grant    DELETE /v1.0/oauth2PermissionGrants/ID;
 *   entra.delete-app-role-assignment DELETE /v1.0/servicePrincipals/
 *                                    RESOURCE/appRoleAssignedTo/ID.
 *
 * A 404 Request_ResourceNotFound is "already gone", said so.  Probes GET
 * the object again: accountEnabled false, the keyId no longer among the
 * passwordCredentials or keyCredentials, 404 for a grant or an
 * assignment deleted.
 *
 * The proof of possession removeKey takes (Graph v1.0 reference,
 * "application: removeKey", "servicePrincipal: removeKey"): a JWT
 * signed RS256 with the private key of one of the object's valid
 * certificates, aud 00000002-0000-0000-c000-000000000000, iss the
 * object's id (not its appId), nbf now, exp nbf + 10 minutes; its
 * header names the certificate by its SHA-1 thumbprint (x5t).
 * Access tokens already issued are not revoked by any of it: every
 * step says how long they live.  Each call first gets an access token
 * (POST LOGIN/TENANT/oauth2/v2.0/token, client credentials, scope
 * https://graph.microsoft.com/.default); a 429 (Retry-After), a 5xx or
 * no answer is sent again within the timeout.
 */
#include "compat.h"
#include <ctype.h>
#include <limits.h>
#include <strings.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>
#include "core/alloc.h"
#include "plan/entra.h"
#include "plan/jwt.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"

#define DEFAULT_LOGIN "https://login.microsoftonline.com"
#define DEFAULT_GRAPH "https://graph.microsoft.com"
#define DEFAULT_SECRET "${env:ENTRA_CLIENT_SECRET}"
#define SCOPE "https://graph.microsoft.com/.default"
#define SCOPE_FORM "https%3A%2F%2Fgraph.microsoft.com%2F.default"
#define MAX_ID 128
#define MAX_PAGES 20

/* What outlives every step here, from Microsoft's token lifetimes. */
#define TOKENS_LIVE "access tokens already issued are not revoked and " \
	"stay valid until they expire: 60 to 90 minutes after issue by " \
	"default; CAE tokens for workload identities up to 24 h, except " \
	"at Microsoft Graph, which ends them when the service principal " \
	"is disabled or deleted"

/* removeKey's proof: its audience, and how long it may be good for */
#define PROOF_AUD "00000002-0000-0000-c000-000000000000"
#define PROOF_LIFE 600
#define MAX_PROOF_KEYS 64
#define MAX_PEM (64 << 10)

/* A certificate of an object whose private key signs its proofs. */
struct proof_key {
	char object[37];	/* the application's or principal's id */
	char *key_file, *cert_file;
};

struct nhir_entra {
	char *tenant, *client_id, *client_secret, *login_url, *graph_url;
	struct proof_key *proofs;
	size_t proof_nr;
};

void nhir_entra_free(struct nhir_entra *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->proof_nr; i++) {
		nhir_free(e->proofs[i].key_file);
		nhir_free(e->proofs[i].cert_file);
	}
	nhir_free(e->proofs);
	nhir_free(e->tenant);
	nhir_free(e->client_id);
	nhir_free(e->client_secret);
	nhir_free(e->login_url);
	nhir_free(e->graph_url);
	nhir_free(e);
}

/* A GUID as Entra writes object ids, key ids and client ids. */
static bool guid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < 36; i++)
		if (!(i == 8 || i == 13 || i == 18 || i == 23
		      ? s[i] == '-' : isxdigit((unsigned char)s[i])))
			return false;
	return true;
}

static enum nhir_rc opt(struct nhir_yaml *y, const yaml_node_t *n,
			const char *name, const char *key, char **out)
{
	yaml_node_t *v = nhir_yaml_get(y, n, key);
	const char *s = nhir_yaml_str(v);
	size_t len;

	if (!v)
		return NHIR_OK;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': %s is a text", name, key);
	len = strlen(s);
	if (!strcmp(key, "login_url") || !strcmp(key, "graph_url")) {
		if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
			return nhir_yaml_error(y, v, "'%s': %s is an http(s) "
					       "URL", name, key);
		/* a secret or a token read on the way is one stolen */
		if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
			return nhir_yaml_error(y, v, "'%s': %s: plain http only "
					       "to a loopback address (it carries "
					       "a secret); use https", name, key);
		if (strpbrk(s + 7, "?#@ "))
			return nhir_yaml_error(y, v, "'%s': %s has no query, "
					       "fragment or user", name, key);
	}
	if (!strcmp(key, "client_secret") &&
	    (strncmp(s, "${", 2) || s[len - 1] != '}'))
		return nhir_yaml_error(y, v, "'%s': client_secret names where "
				       "the secret is read, ${env:NAME} or "
				       "${file:PATH}, never the secret itself",
				       name);
	if (!strcmp(key, "client_id") && !guid(s, len))
		return nhir_yaml_error(y, v, "'%s': client_id '%s' is not an "
				       "application (client) id, a GUID", name,
				       s);
	if (!strcmp(key, "tenant")) {
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-.", *p))
				return nhir_yaml_error(y, v, "'%s': tenant '%s' "
						       "is not a tenant id or "
						       "domain name", name, s);
		if (len > 253)
			return nhir_yaml_error(y, v, "'%s': tenant is too "
					       "long", name);
	}
	*out = nhir_strdup(s);
	if (*out && (!strcmp(key, "login_url") || !strcmp(key, "graph_url"))) {
		/* no slash at the end: paths begin with one */
		while (len > 8 && (*out)[len - 1] == '/')
			(*out)[--len] = 0;
	}
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

/* A file path from the connectors file: relative to its directory. */
static enum nhir_rc file_path(struct nhir_yaml *y, const yaml_node_t *v,
			      const char *name, const char *key, char **out)
{
	const char *s = nhir_yaml_str(v);
	char dir[PATH_MAX], *slash;
	size_t l;

	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': proof_keys: %s is a path",
				       name, key);
	if (!strncmp(s, "${", 2) || strstr(s, "-----BEGIN"))
		return nhir_yaml_error(y, v, "'%s': proof_keys: %s is the path "
				       "of a PEM file, not its content", name,
				       key);
	if (s[0] == '/') {
		*out = nhir_strdup(s);
	} else if (realpath(y->name, dir) && (slash = strrchr(dir, '/'))) {
		*slash = 0;
		l = strlen(dir) + strlen(s) + 2;
		*out = nhir_malloc(l);
		if (*out)
			snprintf(*out, l, "%s/%s", dir, s);
	} else {
		return nhir_yaml_error(y, v, "'%s': proof_keys: %s '%s' is "
				       "relative and the connectors file's "
				       "directory is not known", name, key, s);
	}
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

/*
 * proof_keys: [{object: ID, key_file: PEM, cert_file: PEM}]: for each
 * object, one of its certificates and that certificate's private key.
 */
static enum nhir_rc proof_keys(struct nhir_yaml *y, const yaml_node_t *n,
			       const char *name, struct nhir_entra *e)
{
	static const char *const keys[] = { "object", "key_file", "cert_file",
					    NULL };
	yaml_node_t *v = nhir_yaml_get(y, n, "proof_keys");
	yaml_node_item_t *it;
	size_t nr;
	enum nhir_rc rc;

	if (!v)
		return NHIR_OK;
	if (!nhir_yaml_is_seq(v))
		return nhir_yaml_error(y, v, "'%s': proof_keys is a list of "
				       "{object, key_file, cert_file}", name);
	it = nhir_yaml_items(v, &nr);
	if (nr > MAX_PROOF_KEYS)
		return nhir_yaml_error(y, v, "'%s': proof_keys: more than %d",
				       name, MAX_PROOF_KEYS);
	e->proofs = nhir_calloc(nr ? nr : 1, sizeof(*e->proofs));
	if (!e->proofs)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < nr; i++) {
		yaml_node_t *m = nhir_yaml_node(y, it[i]);
		struct proof_key *p = &e->proofs[e->proof_nr];
		const char *obj;

		if (!m || !nhir_yaml_is_map(m))
			return nhir_yaml_error(y, m ? m : v, "'%s': proof_keys: "
					       "each is {object, key_file, "
					       "cert_file}", name);
		rc = nhir_yaml_keys(y, m, "a proof key", keys);
		if (rc)
			return rc;
		obj = nhir_yaml_str(nhir_yaml_get(y, m, "object"));
		if (!obj || !guid(obj, strlen(obj)))
			return nhir_yaml_error(y, m, "'%s': proof_keys: object "
					       "is the object id (a GUID) of "
					       "the application or service "
					       "principal the certificate is "
					       "of", name);
		for (size_t k = 0; k < e->proof_nr; k++)
			if (!strcasecmp(e->proofs[k].object, obj))
				return nhir_yaml_error(y, m, "'%s': proof_keys: "
						       "object %s twice", name,
						       obj);
		snprintf(p->object, sizeof(p->object), "%s", obj);
		e->proof_nr++;
		if (!nhir_yaml_get(y, m, "key_file") ||
		    !nhir_yaml_get(y, m, "cert_file"))
			return nhir_yaml_error(y, m, "'%s': proof_keys: %s needs "
					       "key_file (the certificate's "
					       "private key) and cert_file (the "
					       "certificate), both PEM", name,
					       obj);
		rc = file_path(y, nhir_yaml_get(y, m, "key_file"), name,
			       "key_file", &p->key_file);
		if (!rc)
			rc = file_path(y, nhir_yaml_get(y, m, "cert_file"), name,
				       "cert_file", &p->cert_file);
		if (rc)
			return rc;
	}
	return NHIR_OK;
}

enum nhir_rc nhir_entra_config(struct nhir_yaml *y, const yaml_node_t *n,
			       const char *name, struct nhir_entra **out)
{
	struct nhir_entra *e = nhir_calloc(1, sizeof(*e));
	enum nhir_rc rc;

	*out = e;
	if (!e)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt(y, n, name, "tenant", &e->tenant);
	if (!rc)
		rc = opt(y, n, name, "client_id", &e->client_id);
	if (!rc)
		rc = opt(y, n, name, "client_secret", &e->client_secret);
	if (!rc)
		rc = opt(y, n, name, "login_url", &e->login_url);
	if (!rc)
		rc = opt(y, n, name, "graph_url", &e->graph_url);
	if (!rc)
		rc = proof_keys(y, n, name, e);
	if (!rc && (!e->tenant || !e->client_id))
		rc = nhir_yaml_error(y, n, "'%s': a connector of type entra "
				     "needs the tenant and the client_id of "
				     "the application it signs in as", name);
	if (!rc && !e->client_secret &&
	    !(e->client_secret = nhir_strdup(DEFAULT_SECRET)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!rc && !e->login_url && !(e->login_url = nhir_strdup(DEFAULT_LOGIN)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!rc && !e->graph_url && !(e->graph_url = nhir_strdup(DEFAULT_GRAPH)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	return rc;
}

/* ---- the access token ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum nhir_rc nhir_entra_token_answer(const char *body, size_t len,
				     long status, struct nhir_buf *tok,
				     int64_t *expires_in, struct nhir_err *err)
{
	const char *end = NULL, *t, *type, *e, *ed;
	const cJSON *x;
	cJSON *doc;
	enum nhir_rc rc = NHIR_OK;

	nhir_buf_reset(tok);
	*expires_in = 0;
	doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!doc) {
		size_t off = end && end >= body && end <= body + len
			     ? (size_t)(end - body) : 0;

		return nhir_err_set(err, NHIR_EPARSE, "the token endpoint's "
				    "answer (HTTP %ld): byte %zu: not JSON",
				    status, off);
	}
	t = jstr(doc, "access_token");
	type = jstr(doc, "token_type");
	e = jstr(doc, "error");
	ed = jstr(doc, "error_description");
	x = cJSON_GetObjectItemCaseSensitive(doc, "expires_in");
	if (status != 200 || e) {
		rc = nhir_err_set(err, NHIR_EDENIED, "the token endpoint refused: "
				  "HTTP %ld: %.80s%s%.300s", status,
				  e ? e : "no error named", ed ? ": " : "",
				  ed ? ed : "");
	} else if (!cJSON_IsObject(doc)) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the token endpoint's answer "
				  "is not an object");
	} else if (!t || !*t || strpbrk(t, " \t\r\n")) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the token endpoint's answer: "
				  "field access_token: %s", t ? "not one word"
				  : "missing");
	} else if (!type || strcasecmp(type, "Bearer")) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the token endpoint's answer: "
				  "field token_type: not Bearer");
	} else if (!cJSON_IsNumber(x) || x->valuedouble < 1 ||
		   x->valuedouble > 86400 * 2) {
		rc = nhir_err_set(err, NHIR_EPARSE, "the token endpoint's answer: "
				  "field expires_in: not a number of seconds "
				  "up to two days");
	} else {
		nhir_buf_adds(tok, t);
		nhir_buf_addch(tok, 0);
		*expires_in = (int64_t)x->valuedouble;
		if (tok->err)
			rc = nhir_err_set(err, NHIR_ENOMEM, "the access token "
					  "is too long");
	}
	if (t)
		sodium_memzero((char *)t, strlen(t));
	cJSON_Delete(doc);
	return rc;
}

struct ectx {
	const struct nhir_entra *e;
	struct plan_rest r;
	struct nhir_buf secret;		/* the client secret; wiped */
	struct nhir_buf token;		/* Graph's access token; wiped */
	bool have_token;
	char why[800];			/* why there is no token */
};

/* form-urlencoded s into b */
static void form_add(struct nhir_buf *b, const char *s)
{
	for (; *s; s++)
		if (isalnum((unsigned char)*s) || strchr("-._~", *s))
			nhir_buf_addch(b, *s);
		else
			nhir_buf_addf(b, "%%%02X", (unsigned char)*s);
}

/*
 * The client credentials grant: c->token, or c->why.  The dry run shows
 * the request, the secret redacted, and sends nothing.
 */
static enum nhir_rc get_token(struct ectx *c)
{
	static const char *const hdrs[] = {
		"Accept: application/json",
		"Content-Type: application/x-www-form-urlencoded",
		"User-Agent: nhir",
	};
	struct nhir_buf url = NHIR_BUF_INIT(4096);
	struct nhir_buf form = NHIR_BUF_INIT(1 << 16);
	enum nhir_rc rc = NHIR_OK;
	int64_t pause = 300;
	char label[400];

	nhir_buf_addf(&url, "%s/%s/oauth2/v2.0/token", c->e->login_url,
		      c->e->tenant);
	nhir_buf_addch(&url, 0);
	if (url.err)
		return NHIR_ENOMEM;
	snprintf(label, sizeof(label), "POST /%s/oauth2/v2.0/token",
		 c->e->tenant);
	if (c->r.dry) {
		nhir_buf_addf(&c->r.dry_text, "POST %s\n%s\n%s\n%s\n\n"
			      "client_id=%s&scope=%s&client_secret="
			      "[redacted]&grant_type=client_credentials",
			      url.buf, hdrs[0], hdrs[1], hdrs[2],
			      c->e->client_id, SCOPE_FORM);
		nhir_buf_release(&url);
		return c->r.dry_text.err ? NHIR_ENOMEM : NHIR_OK;
	}
	if (!plan_rest_token(c->r.op, c->e->client_secret, &c->secret,
			     c->why, sizeof(c->why))) {
		char w[sizeof(c->why)];

		memcpy(w, c->why, sizeof(w));
		snprintf(c->why, sizeof(c->why), "no client secret: %.700s", w);
		nhir_buf_release(&url);
		return NHIR_OK;
	}
	nhir_buf_addf(&form, "client_id=%s&scope=%s&client_secret=",
		      c->e->client_id, SCOPE_FORM);
	form_add(&form, c->secret.buf);
	nhir_buf_adds(&form, "&grant_type=client_credentials");
	nhir_buf_addch(&form, 0);
	if (form.err) {
		plan_rest_wipe(&form);
		nhir_buf_release(&url);
		return NHIR_ENOMEM;
	}
	for (int attempt = 1; attempt <= 4; attempt++) {
		struct nhir_buf out = NHIR_BUF_INIT(1 << 20);
		struct nhir_err e = NHIR_ERR_INIT;
		struct plan_http_answer a;
		int64_t expires, wait = -1, left;
		long timeout = (long)((c->r.deadline_ms - nhir_mono_ms() +
				       999) / 1000);
		struct plan_http q = { .method = "POST", .url = url.buf,
				       .headers = hdrs,
				       .header_nr = NHIR_ARRAY_SIZE(hdrs),
				       .body = form.buf,
				       .body_len = strlen(form.buf),
				       .timeout = timeout < 1 ? 1 : timeout };

		a.body = &out;
		rc = plan_http_do(&q, &a, &e);
		nhir_buf_addf(&c->r.sent, "%s%s: ", c->r.sent.len ? "; " : "",
			      label);
		if (rc) {
			nhir_buf_addf(&c->r.sent, "no answer (%s)", e.msg);
			snprintf(c->why, sizeof(c->why), "%s: %s", label, e.msg);
		} else {
			nhir_buf_addf(&c->r.sent, "HTTP %ld", a.status);
			rc = nhir_entra_token_answer(out.buf ? out.buf : "",
						     out.len, a.status,
						     &c->token, &expires, &e);
			if (!rc)
				c->have_token = true;
			else
				snprintf(c->why, sizeof(c->why), "%s", e.msg);
			wait = nhir_rest_wait(a.status, a.retry_after, "", "",
					      (int64_t)time(NULL));
		}
		plan_rest_wipe(&out);
		if (rc == NHIR_ENOMEM || c->have_token ||
		    !(rc == NHIR_EIO || a.status >= 500 || wait >= 0))
			break;
		if (wait > 0)
			pause = wait * 1000;
		left = c->r.deadline_ms - nhir_mono_ms();
		if (attempt == 4 || pause >= left)
			break;
		plan_rest_sleep(pause);
		pause = wait > 0 ? 300 : pause * 2;
	}
	plan_rest_wipe(&form);
	nhir_buf_release(&url);
	return rc == NHIR_ENOMEM ? rc : NHIR_OK;
}

static enum nhir_rc g_send(struct ectx *c, const char *method,
			   const char *path, const char *body,
			   const char *label, struct plan_rest_answer *an,
			   struct nhir_err *err)
{
	enum nhir_rc rc = plan_rest_send(&c->r, method, path, body, NULL,
					 c->have_token ? c->token.buf : NULL,
					 "[redacted: the access token the token "
					 "endpoint answers]", label, an, err);
	const cJSON *ge = cJSON_GetObjectItemCaseSensitive(an->doc, "error");

	/* Graph's error: {"error": {"code", "message"}}, both said */
	if (!rc && cJSON_IsObject(ge))
		snprintf(an->message, sizeof(an->message), "%s%s%s",
			 jstr(ge, "code") ? jstr(ge, "code") : "",
			 jstr(ge, "code") && jstr(ge, "message") ? ": " : "",
			 jstr(ge, "message") ? jstr(ge, "message") : "");
	return rc;
}

static bool not_found(const struct plan_rest_answer *an)
{
	const cJSON *ge = cJSON_GetObjectItemCaseSensitive(an->doc, "error");
	const char *code = jstr(ge, "code");

	return an->status == 404 &&
	       (!code || !strcmp(code, "Request_ResourceNotFound") ||
		!strcmp(code, "ResourceNotFound") || !strcmp(code, "NotFound"));
}

/* ---- targets ---- */

enum tkind { T_NONE, T_SP, T_PASSWORD, T_KEY, T_GRANT, T_ASSIGNMENT };

struct target {
	enum tkind kind;
	bool app;		/* the credential is an application's */
	char owner[MAX_ID + 1];	/* the sp, the application or the resource */
	char id[MAX_ID + 1];	/* keyId, grant or assignment id */
};

/* an id Graph gives a grant or an assignment (base64url) */
static bool b64id(const char *s, size_t n)
{
	if (!n || n > MAX_ID)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

static bool parse_target(const char *id, struct target *t)
{
	const char *p, *c;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (!id)
		return false;
	if (!strncmp(id, "entra:grant:", 12)) {
		if (!b64id(id + 12, strlen(id + 12)))
			return false;
		t->kind = T_GRANT;
		snprintf(t->id, sizeof(t->id), "%s", id + 12);
		return true;
	}
	if (!strncmp(id, "entra:sp:", 9))
		p = id + 9;
	else if (!strncmp(id, "entra:app:", 10))
		p = id + 10, t->app = true;
	else
		return false;
	c = strchr(p, ':');
	n = c ? (size_t)(c - p) : strlen(p);
	if (!guid(p, n))
		return false;
	snprintf(t->owner, sizeof(t->owner), "%.*s", (int)n, p);
	if (!c) {
		t->kind = t->app ? T_NONE : T_SP;
		return !t->app;
	}
	c++;
	if (!strncmp(c, "password:", 9) && guid(c + 9, strlen(c + 9)))
		t->kind = T_PASSWORD;
	else if (!strncmp(c, "key:", 4) && guid(c + 4, strlen(c + 4)))
		t->kind = T_KEY;
	else if (!t->app && !strncmp(c, "appRoleAssignedTo:", 18) &&
		 b64id(c + 18, strlen(c + 18)))
		t->kind = T_ASSIGNMENT;
	else
		return false;
	snprintf(t->id, sizeof(t->id), "%s", strchr(c, ':') + 1);
	return true;
}

static const char *coll(const struct target *t)
{
	return t->app ? "applications" : "servicePrincipals";
}

/* ---- steps ---- */

static enum nhir_rc disable_sp(struct ectx *c, const struct target *t,
			       char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[200], label[220];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/v1.0/servicePrincipals/%s", t->owner);
	snprintf(label, sizeof(label), "PATCH %s", path);
	rc = g_send(c, "PATCH", path, "{\"accountEnabled\":false}", label, &an,
		    &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (!e.rc && an.status == 204) {
		snprintf(detail, dn, "%s: HTTP 204: service principal %s "
			 "disabled: it gets no new token; " TOKENS_LIVE, label,
			 t->owner);
		*ok = true;
	} else if (!e.rc && not_found(&an)) {
		snprintf(detail, dn, "%s: HTTP 404: service principal %s is "
			 "already gone (deleted); nothing to disable; "
			 TOKENS_LIVE, label, t->owner);
		*ok = true;
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* Where the credential t names is listed: secrets or certificates. */
static const char *creds(const struct target *t)
{
	return t->kind == T_KEY ? "keyCredentials" : "passwordCredentials";
}

/*
 * The owner's passwordCredentials (keyCredentials for a certificate):
 * *has when keyId t->id is among them, *gone when the owner is; *ok
 * false with detail when the answer says neither.
 */
static enum nhir_rc read_passwords(struct ectx *c, const struct target *t,
				   bool *has, bool *gone, char *detail,
				   size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[200], label[260];
	const cJSON *pc, *it;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = *has = *gone = false;
	snprintf(path, sizeof(path), "/v1.0/%s/%s?$select=id,%s", coll(t),
		 t->owner, creds(t));
	snprintf(label, sizeof(label), "GET %s", path);
	rc = g_send(c, "GET", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry) {
		*ok = !rc;
		goto out;
	}
	rc = NHIR_OK;
	pc = cJSON_GetObjectItemCaseSensitive(an.doc, creds(t));
	if (!e.rc && not_found(&an)) {
		*ok = *gone = true;
	} else if (!e.rc && an.status == 200 && cJSON_IsArray(pc) &&
		   jstr(an.doc, "id") && !strcasecmp(jstr(an.doc, "id"),
						     t->owner)) {
		cJSON_ArrayForEach(it, pc) {
			const char *k = jstr(it, "keyId");

			if (k && !strcasecmp(k, t->id))
				*has = true;
		}
		*ok = true;
	} else if (!e.rc && an.status == 200) {
		snprintf(detail, dn, "%s answered no %s of %s", label,
			 creds(t), t->owner);
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc remove_password(struct ectx *c, const struct target *t,
				    char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[200], label[220], body[160];
	bool has, gone;
	enum nhir_rc rc = read_passwords(c, t, &has, &gone, detail, dn, ok);

	if (rc || !*ok)
		return rc;
	*ok = false;
	if (!c->r.dry && (gone || !has)) {
		snprintf(detail, dn, "GET /v1.0/%s/%s: %s: nothing to remove; "
			 TOKENS_LIVE, coll(t), t->owner, gone
			 ? "HTTP 404: it is already gone (deleted), its "
			   "secrets with it"
			 : "no password credential with that keyId is left: "
			   "it was removed already");
		*ok = true;
		return NHIR_OK;
	}
	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/v1.0/%s/%s/removePassword", coll(t),
		 t->owner);
	snprintf(label, sizeof(label), "POST %s", path);
	snprintf(body, sizeof(body), "{\"keyId\":\"%s\"}", t->id);
	rc = g_send(c, "POST", path, body, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (!e.rc && an.status == 204) {
		snprintf(detail, dn, "%s: HTTP 204: client secret %s of %s "
			 "removed: it signs nothing in any more; " TOKENS_LIVE,
			 label, t->id, t->owner);
		*ok = true;
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* The proof key configured for t's owner, or NULL. */
static const struct proof_key *proof_for(const struct nhir_entra *en,
					 const struct target *t)
{
	for (size_t i = 0; i < en->proof_nr; i++)
		if (!strcasecmp(en->proofs[i].object, t->owner))
			return &en->proofs[i];
	return NULL;
}

/*
 * The proof of possession for removeKey on p's object into jwt: a JWT
 * signed with p's key, its certificate named by thumbprint (x5t); false
 * and why when it cannot be made (a file unread, a key that is not the
 * certificate's).
 */
static bool make_proof(const struct proof_key *p, struct nhir_buf *jwt,
		       char *why, size_t wn)
{
	struct nhir_buf pem = NHIR_BUF_INIT(MAX_PEM);
	struct nhir_buf cert = NHIR_BUF_INIT(MAX_PEM);
	struct nhir_buf x5t = NHIR_BUF_INIT(64);
	struct nhir_err e = NHIR_ERR_INIT;
	unsigned char sha1[EVP_MAX_MD_SIZE];
	unsigned int sn = 0;
	char header[160], claims[300], what[PATH_MAX + 40];
	int64_t now = (int64_t)time(NULL);
	EVP_PKEY *pub = NULL;
	X509 *x = NULL;
	BIO *bio = NULL;
	bool ok = false;

	if (!plan_rest_read_secret(p->key_file, &pem, why, wn))
		goto out;
	if (nhir_read_small_file(p->cert_file, &cert, &e)) {
		snprintf(why, wn, "proof_keys: cert_file: %s", e.msg);
		goto out;
	}
	bio = BIO_new_mem_buf(cert.buf, (int)cert.len);
	x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	if (!x || !X509_digest(x, EVP_sha1(), sha1, &sn) || sn != 20) {
		snprintf(why, wn, "proof_keys: '%s' is no PEM certificate",
			 p->cert_file);
		goto out;
	}
	nhir_jwt_b64url(&x5t, sha1, sn);
	nhir_buf_addch(&x5t, 0);
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"typ\":"
		 "\"JWT\",\"x5t\":\"%s\"}", x5t.buf ? x5t.buf : "");
	snprintf(claims, sizeof(claims), "{\"aud\":\"" PROOF_AUD "\","
		 "\"iss\":\"%s\",\"nbf\":%" PRId64 ",\"exp\":%" PRId64 "}",
		 p->object, now, now + PROOF_LIFE);
	snprintf(what, sizeof(what), "'%s' (proof_keys: key_file)",
		 p->key_file);
	if (x5t.err || nhir_jwt_rs256(pem.buf, pem.len, what, header, claims,
				      jwt, &e)) {
		snprintf(why, wn, "%s", e.rc ? e.msg : "out of memory");
		goto out;
	}
	/* a key that is not the certificate's makes a proof Graph refuses */
	pub = X509_get_pubkey(x);
	BIO_free(bio);
	bio = BIO_new_mem_buf(pem.buf, (int)pem.len);
	{
		EVP_PKEY *priv = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL,
							       NULL) : NULL;

		ok = pub && priv && EVP_PKEY_eq(pub, priv) == 1;
		EVP_PKEY_free(priv);
		ERR_clear_error();	/* as jwt.c: no key error left queued */
	}
	if (!ok)
		snprintf(why, wn, "proof_keys: the key in '%s' is not the one "
			 "of the certificate in '%s'", p->key_file,
			 p->cert_file);
out:
	EVP_PKEY_free(pub);
	X509_free(x);
	BIO_free(bio);
	plan_rest_wipe(&pem);
	nhir_buf_release(&cert);
	nhir_buf_release(&x5t);
	return ok;
}

static enum nhir_rc remove_key(struct ectx *c, const struct target *t,
			       const struct proof_key *p, char *detail,
			       size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	struct nhir_buf jwt = NHIR_BUF_INIT(1 << 14);
	struct nhir_buf body = NHIR_BUF_INIT(1 << 15);
	char path[200], label[220], shown[400], why[800] = "";
	bool has, gone;
	enum nhir_rc rc = read_passwords(c, t, &has, &gone, detail, dn, ok);

	if (rc || !*ok)
		return rc;
	*ok = false;
	if (!c->r.dry && (gone || !has)) {
		snprintf(detail, dn, "GET /v1.0/%s/%s: %s: nothing to remove; "
			 TOKENS_LIVE, coll(t), t->owner, gone
			 ? "HTTP 404: it is already gone (deleted), its "
			   "certificates with it"
			 : "no key credential with that keyId is left: it was "
			   "removed already");
		*ok = true;
		return NHIR_OK;
	}
	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/v1.0/%s/%s/removeKey", coll(t),
		 t->owner);
	snprintf(label, sizeof(label), "POST %s", path);
	snprintf(shown, sizeof(shown), "{\"keyId\":\"%s\",\"proof\":"
		 "\"[redacted: a JWT (RS256) signed with the key of a "
		 "certificate of %s]\"}", t->id, t->owner);
	if (!c->r.dry && !make_proof(p, &jwt, why, sizeof(why))) {
		snprintf(detail, dn, "%s: no proof of possession: %s", label,
			 why);
		goto out;
	}
	if (!c->r.dry)
		nhir_buf_addf(&body, "{\"keyId\":\"%s\",\"proof\":\"%s\"}",
			      t->id, jwt.buf);
	nhir_buf_addch(&body, 0);
	if (body.err) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	rc = plan_rest_send(&c->r, "POST", path, c->r.dry ? shown : body.buf,
			    shown, c->have_token ? c->token.buf : NULL,
			    "[redacted: the access token the token endpoint "
			    "answers]", label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (!e.rc && an.status == 204) {
		snprintf(detail, dn, "%s: HTTP 204: certificate %s of %s "
			 "removed: it signs nothing in any more; " TOKENS_LIVE,
			 label, t->id, t->owner);
		*ok = true;
	} else {
		const cJSON *ge = cJSON_GetObjectItemCaseSensitive(an.doc,
								   "error");

		if (!e.rc && cJSON_IsObject(ge))
			snprintf(an.message, sizeof(an.message), "%s%s%s",
				 jstr(ge, "code") ? jstr(ge, "code") : "",
				 jstr(ge, "code") && jstr(ge, "message")
				 ? ": " : "", jstr(ge, "message")
				 ? jstr(ge, "message") : "");
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	plan_rest_wipe(&jwt);
	plan_rest_wipe(&body);
	return rc;
}

static void obj_path(const struct target *t, char *path, size_t n)
{
	if (t->kind == T_GRANT)
		snprintf(path, n, "/v1.0/oauth2PermissionGrants/%s", t->id);
	else
		snprintf(path, n, "/v1.0/servicePrincipals/%s/"
			 "appRoleAssignedTo/%s", t->owner, t->id);
}

static enum nhir_rc delete_obj(struct ectx *c, const struct target *t,
			       char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[400], label[420];
	const char *what = t->kind == T_GRANT ? "delegated permission grant"
					      : "app role assignment";
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	obj_path(t, path, sizeof(path));
	snprintf(label, sizeof(label), "%s %s", "DELETE", path);
	rc = g_send(c, "DELETE", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (!e.rc && an.status == 204) {
		snprintf(detail, dn, "%s: HTTP 204: the %s %s deleted: no new "
			 "token carries it; " TOKENS_LIVE, label, what, t->id);
		*ok = true;
	} else if (!e.rc && not_found(&an)) {
		snprintf(detail, dn, "%s: HTTP 404: the %s %s is already gone; "
			 "nothing to delete", label, what, t->id);
		*ok = true;
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* ---- probes ---- */

static enum nhir_rc probe_sp(struct ectx *c, const struct target *t,
			     cJSON *o, char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[200], label[260];
	const cJSON *en;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/v1.0/servicePrincipals/%s?$select=id,"
		 "accountEnabled", t->owner);
	snprintf(label, sizeof(label), "GET %s", path);
	rc = g_send(c, "GET", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	en = cJSON_GetObjectItemCaseSensitive(an.doc, "accountEnabled");
	if (!e.rc && not_found(&an)) {
		cJSON_AddBoolToObject(o, "works", false);
		snprintf(detail, dn, "%s: HTTP 404: service principal %s is "
			 "gone; " TOKENS_LIVE, label, t->owner);
		*ok = true;
	} else if (!e.rc && an.status == 200 && cJSON_IsBool(en)) {
		cJSON_AddBoolToObject(o, "works", cJSON_IsTrue(en));
		snprintf(detail, dn, "%s: accountEnabled %s%s", label,
			 cJSON_IsTrue(en) ? "true: it still gets tokens"
					  : "false: it gets no new token; ",
			 cJSON_IsTrue(en) ? "" : TOKENS_LIVE);
		*ok = true;
	} else if (!e.rc && an.status == 200) {
		snprintf(detail, dn, "%s answered no accountEnabled", label);
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
	if (*ok)
		cJSON_AddStringToObject(o, "call", label);
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc probe_password(struct ectx *c, const struct target *t,
				   cJSON *o, char *detail, size_t dn, bool *ok)
{
	char label[260];
	bool has, gone;
	enum nhir_rc rc = read_passwords(c, t, &has, &gone, detail, dn, ok);

	if (rc || !*ok || c->r.dry)
		return rc;
	snprintf(label, sizeof(label), "GET /v1.0/%s/%s?$select=id,%s",
		 coll(t), t->owner, creds(t));
	cJSON_AddStringToObject(o, "call", label);
	cJSON_AddBoolToObject(o, "works", has);
	if (t->kind == T_KEY)
		snprintf(detail, dn, "%s: %s%s", label,
			 gone ? "HTTP 404: the owner is gone, its "
				"certificates with it; "
			 : has ? "certificate still listed: it still signs in"
			 : "no key credential with that keyId: removed; ",
			 has ? "" : TOKENS_LIVE);
	else
		snprintf(detail, dn, "%s: %s%s", label,
			 gone ? "HTTP 404: the owner is gone, its secrets "
				"with it; "
			 : has ? "client secret still listed: it still signs in"
			 : "no password credential with that keyId: removed; ",
			 has ? "" : TOKENS_LIVE);
	return NHIR_OK;
}

static enum nhir_rc probe_grant(struct ectx *c, const struct target *t,
				cJSON *o, char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[400], label[420];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	obj_path(t, path, sizeof(path));
	snprintf(label, sizeof(label), "GET %s", path);
	rc = g_send(c, "GET", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (!e.rc && (not_found(&an) || an.status == 200)) {
		bool there = an.status == 200 && jstr(an.doc, "id") &&
			     !strcmp(jstr(an.doc, "id"), t->id);

		if (an.status == 200 && !there) {
			snprintf(detail, dn, "%s answered another object",
				 label);
			goto out;
		}
		cJSON_AddStringToObject(o, "call", label);
		cJSON_AddBoolToObject(o, "works", there);
		snprintf(detail, dn, "%s: %s", label, there
			 ? "the delegated permission grant is still there"
			 : "HTTP 404: the delegated permission grant is gone; "
			   TOKENS_LIVE);
		*ok = true;
	} else {
		plan_rest_why(detail, dn, label, &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* the assignments of the resource, page by page, looking for t->id */
static enum nhir_rc probe_assignment(struct ectx *c, const struct target *t,
				     cJSON *o, char *detail, size_t dn,
				     bool *ok)
{
	char path[2048], label[300];
	bool there = false, more = true;
	size_t gl = strlen(c->e->graph_url);
	enum nhir_rc rc = NHIR_OK;

	snprintf(path, sizeof(path), "/v1.0/servicePrincipals/%s/"
		 "appRoleAssignedTo", t->owner);
	snprintf(label, sizeof(label), "GET %.290s", path);
	for (int page = 0; more && !there && page < MAX_PAGES; page++) {
		struct plan_rest_answer an;
		struct nhir_err e = NHIR_ERR_INIT;
		const cJSON *v, *it;
		const char *next;

		memset(&an, 0, sizeof(an));
		rc = g_send(c, "GET", path, NULL, label, &an, &e);
		if (rc == NHIR_ENOMEM || c->r.dry) {
			plan_rest_answer_free(&an);
			return rc;
		}
		rc = NHIR_OK;
		v = cJSON_GetObjectItemCaseSensitive(an.doc, "value");
		if (e.rc || an.status != 200 || !cJSON_IsArray(v)) {
			if (!e.rc && an.status == 200)
				snprintf(detail, dn, "%s answered no value list",
					 label);
			else
				plan_rest_why(detail, dn, label, &an, &e, "");
			plan_rest_answer_free(&an);
			return NHIR_OK;
		}
		cJSON_ArrayForEach(it, v)
			if (jstr(it, "id") && !strcmp(jstr(it, "id"), t->id))
				there = true;
		next = jstr(an.doc, "@odata.nextLink");
		more = next != NULL;
		/* the next page only from Graph itself, within its size */
		if (next && (strncmp(next, c->e->graph_url, gl) ||
			     next[gl] != '/' || strlen(next + gl) >= sizeof(path) ||
			     strpbrk(next, " \r\n"))) {
			snprintf(detail, dn, "%s: the next page is not at %s",
				 label, c->e->graph_url);
			plan_rest_answer_free(&an);
			return NHIR_OK;
		}
		if (next)
			snprintf(path, sizeof(path), "%s", next + gl);
		plan_rest_answer_free(&an);
	}
	if (more && !there) {
		snprintf(detail, dn, "%s: more than %d pages of assignments: "
			 "not read to the end", label, MAX_PAGES);
		return NHIR_OK;
	}
	cJSON_AddStringToObject(o, "call", label);
	cJSON_AddBoolToObject(o, "works", there);
	snprintf(detail, dn, "%s: %s", label, there
		 ? "the app role assignment is still listed"
		 : "the app role assignment is no longer listed; " TOKENS_LIVE);
	*ok = true;
	return rc;
}

/* ---- the request ---- */

enum nhir_rc nhir_entra_call(const struct nhir_ctx *op,
			     const struct nhir_entra *en, const char *name,
			     long timeout, const char *request, bool probe,
			     struct nhir_buf *reply, struct nhir_err *err)
{
	static const char *const fixed[] = { "Accept: application/json",
					     "User-Agent: nhir" };
	struct ectx c;
	struct target t;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id;
	char detail[2000] = "";
	bool ok = false;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.secret, 1 << 14);
	nhir_buf_init(&c.token, 1 << 16);
	c.e = en;
	plan_rest_init(&c.r, op, timeout, false);
	c.r.base = en->graph_url;
	c.r.fixed = fixed;
	c.r.fixed_nr = NHIR_ARRAY_SIZE(fixed);
	c.r.auth = "Authorization: Bearer ";
	c.r.what = "Microsoft Graph's answer";
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	c.r.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	if (!parse_target(id, &t)) {
		snprintf(detail, sizeof(detail), "%s: the entra connector acts "
			 "on a service principal (entra:sp:ID), a client secret "
			 "(entra:sp:ID:password:KEYID, entra:app:ID:password:"
			 "KEYID), a certificate (entra:sp:ID:key:KEYID, "
			 "entra:app:ID:key:KEYID), a delegated permission grant "
			 "(entra:grant:ID) "
			 "or an app role assignment (entra:sp:RESOURCE:"
			 "appRoleAssignedTo:ID), by their Graph ids",
			 id ? id : "the target");
		goto answer;
	}
	if (t.kind == T_KEY && !probe && !proof_for(en, &t)) {
		snprintf(detail, sizeof(detail), "no proof key for %s in "
			 "'%s': Graph removes a certificate (removeKey) only "
			 "with a proof signed by one of the %s's own "
			 "certificates: name one under proof_keys ({object, "
			 "key_file, cert_file}) in the connectors file, or "
			 "remove it in the Entra admin center, or disable the "
			 "service principal", t.owner, name,
			 t.app ? "application" : "service principal");
		goto answer;
	}
	rc = get_token(&c);
	if (rc)
		goto out;
	if (!c.r.dry && !c.have_token) {
		snprintf(detail, sizeof(detail), "no Graph token for '%s': %s",
			 name, c.why);
		goto answer;
	}
	if (probe) {
		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		rc = t.kind == T_SP
		     ? probe_sp(&c, &t, o, detail, sizeof(detail), &ok)
		     : t.kind == T_PASSWORD || t.kind == T_KEY
		     ? probe_password(&c, &t, o, detail, sizeof(detail), &ok)
		     : t.kind == T_GRANT
		     ? probe_grant(&c, &t, o, detail, sizeof(detail), &ok)
		     : probe_assignment(&c, &t, o, detail, sizeof(detail), &ok);
		if (rc)
			goto out;
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
	if (!strcmp(action, "entra.disable-service-principal") && t.kind == T_SP)
		rc = disable_sp(&c, &t, detail, sizeof(detail), &ok);
	else if (!strcmp(action, "entra.remove-credential") &&
		 t.kind == T_PASSWORD)
		rc = remove_password(&c, &t, detail, sizeof(detail), &ok);
	else if (!strcmp(action, "entra.remove-credential") && t.kind == T_KEY)
		rc = remove_key(&c, &t, proof_for(en, &t), detail,
				sizeof(detail), &ok);
	else if (!strcmp(action, "entra.delete-permission-grant") &&
		 t.kind == T_GRANT)
		rc = delete_obj(&c, &t, detail, sizeof(detail), &ok);
	else if (!strcmp(action, "entra.delete-app-role-assignment") &&
		 t.kind == T_ASSIGNMENT)
		rc = delete_obj(&c, &t, detail, sizeof(detail), &ok);
	else
		snprintf(detail, sizeof(detail), "the entra connector has no "
			 "call for %s on %s", action, id);
answer:
	if (!rc)
		rc = plan_rest_step_reply(&c.r, ok, detail, reply, err);
out:
	if (rc == NHIR_ENOMEM && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	plan_rest_wipe(&c.secret);
	plan_rest_wipe(&c.token);
	plan_rest_release(&c.r);
	return rc;
}
