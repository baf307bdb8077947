/*
 * The built-in Vault connector (vault.h).  Targets are tokens named by
 * their accessor (vault:ACCESSOR, as nhir ingest vault-audit names them
 * when the audit device does not HMAC accessors):
 *
 *   vault.revoke-token        POST /v1/auth/token/revoke-accessor: the
 *                             token, its child tokens and their leases;
 *   vault.revoke-lease-prefix POST /v1/auth/token/lookup-accessor (the
 *                             path the token was made at), then PUT
 *                             /v1/sys/leases/revoke-prefix/PATH (sudo):
 *                             every token and lease made under it.
 *
 * Probe: lookup-accessor again; "invalid accessor" is revoked.  Calls go
 * through rest.c: the responder's token in X-Vault-Token, retried on a
 * 5xx, no answer, or 429 (Vault's rate limit quotas, Retry-After).
 */
#include "compat.h"
#include <ctype.h>
#include "core/alloc.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"
#include "plan/vault.h"

#define DEFAULT_TOKEN "${env:VAULT_TOKEN}"
#define MAX_ACCESSOR 128
#define MAX_PATH 256

struct nhir_vault {
	char *address, *token, *namespace_hdr;
};

void nhir_vault_free(struct nhir_vault *v)
{
	if (!v)
		return;
	nhir_free(v->address);
	nhir_free(v->token);
	nhir_free(v->namespace_hdr);
	nhir_free(v);
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
	if (!strcmp(key, "address")) {
		if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
			return nhir_yaml_error(y, v, "'%s': address is an "
					       "http(s) URL", name);
		/* a token read on the way is a token stolen */
		if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
			return nhir_yaml_error(y, v, "'%s': address: plain "
					       "http only to a loopback address "
					       "(it carries a token); use "
					       "https", name);
		if (strpbrk(s + 7, "?#@"))
			return nhir_yaml_error(y, v, "'%s': address has no "
					       "query, fragment or user", name);
	}
	if (!strcmp(key, "token") && (strncmp(s, "${", 2) || s[len - 1] != '}'))
		return nhir_yaml_error(y, v, "'%s': token names where the "
				       "token is read, ${env:NAME} or "
				       "${file:PATH}, never the token itself",
				       name);
	if (!strcmp(key, "namespace")) {
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("-_./", *p))
				return nhir_yaml_error(y, v, "'%s': namespace "
						       "'%s' is not a Vault "
						       "namespace path", name,
						       s);
		*out = nhir_malloc(len + 22);
		if (*out)
			snprintf(*out, len + 22, "X-Vault-Namespace: %s", s);
	} else {
		*out = nhir_strdup(s);
	}
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_vault_config(struct nhir_yaml *y, const yaml_node_t *n,
			       const char *name, struct nhir_vault **out)
{
	struct nhir_vault *v = nhir_calloc(1, sizeof(*v));
	enum nhir_rc rc;

	*out = v;
	if (!v)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt(y, n, name, "address", &v->address);
	if (!rc)
		rc = opt(y, n, name, "token", &v->token);
	if (!rc)
		rc = opt(y, n, name, "namespace", &v->namespace_hdr);
	if (!rc && !v->address)
		rc = nhir_yaml_error(y, n, "'%s': a connector of type vault "
				     "needs the address of Vault "
				     "(https://vault.example.com:8200)", name);
	if (!rc && !v->token && !(v->token = nhir_strdup(DEFAULT_TOKEN)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!rc) {
		size_t l = strlen(v->address);

		while (l > 8 && v->address[l - 1] == '/')
			v->address[--l] = 0;
	}
	return rc;
}

struct vctx {
	const struct nhir_vault *v;
	struct plan_rest r;
	struct nhir_buf token;		/* the responder's; wiped */
	bool have_token;
	char token_why[300];
	char token_shown[340];
};

/* vault:ACCESSOR, an accessor as Vault writes them (not an HMAC) */
static bool parse_accessor(const char *id, char *out, size_t n, bool *hmac)
{
	const char *a;
	size_t len;

	*hmac = false;
	if (!id || strncmp(id, "vault:", 6))
		return false;
	a = id + 6;
	if (!strncmp(a, "hmac-sha256:", 12)) {
		*hmac = true;
		return false;
	}
	len = strlen(a);
	if (!len || len > MAX_ACCESSOR || len >= n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)a[i]) && a[i] != '.' && a[i] != '-' &&
		    a[i] != '_')
			return false;
	snprintf(out, n, "%s", a);
	return true;
}

static enum nhir_rc send(struct vctx *c, const char *method, const char *path,
			 const char *body, const char *shown_body,
			 const char *label, struct plan_rest_answer *an,
			 struct nhir_err *err)
{
	return plan_rest_send(&c->r, method, path, body, shown_body,
			      c->have_token ? c->token.buf : NULL,
			      c->have_token ? "[redacted]" : c->token_shown,
			      label, an, err);
}

/*
 * lookup-accessor: *alive and the token's path when Vault knows it,
 * !*alive when it answers "invalid accessor"; *ok false (detail says
 * why) when it answers otherwise.
 */
static enum nhir_rc lookup(struct vctx *c, const char *acc, bool *alive,
			   char *path, size_t pn, char *detail, size_t dn,
			   bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char body[MAX_ACCESSOR + 20];
	const cJSON *d, *p;
	enum nhir_rc rc;
	static const char label[] = "POST /v1/auth/token/lookup-accessor";

	memset(&an, 0, sizeof(an));
	*ok = *alive = false;
	path[0] = 0;
	snprintf(body, sizeof(body), "{\"accessor\":\"%s\"}", acc);
	rc = send(c, "POST", "/v1/auth/token/lookup-accessor", body, NULL,
		  label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry) {
		*ok = !rc;
		return rc == NHIR_ENOMEM ? rc : NHIR_OK;
	}
	rc = NHIR_OK;
	if (!e.rc && an.status == 400 && !strcmp(an.message, "invalid accessor")) {
		*ok = true;
		snprintf(detail, dn, "%s: Vault knows no token with accessor %s "
			 "(invalid accessor)", label, acc);
		goto out;
	}
	d = cJSON_GetObjectItemCaseSensitive(an.doc, "data");
	p = cJSON_GetObjectItemCaseSensitive(d, "path");
	if (e.rc || an.status != 200 || !cJSON_IsObject(d)) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		goto out;
	}
	*ok = *alive = true;
	if (cJSON_IsString(p))
		snprintf(path, pn, "%s", p->valuestring);
	{
		const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(d, "ttl");
		const cJSON *orphan = cJSON_GetObjectItemCaseSensitive(d, "orphan");

		snprintf(detail, dn, "%s: the token of accessor %s is alive "
			 "(made at %s, ttl %.0f s%s)", label, acc,
			 path[0] ? path : "an unknown path",
			 cJSON_IsNumber(ttl) ? ttl->valuedouble : -1,
			 cJSON_IsTrue(orphan) ? ", an orphan" : "");
	}
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc revoke_token(struct vctx *c, const char *acc, char *detail,
				 size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char body[MAX_ACCESSOR + 20];
	enum nhir_rc rc;
	static const char label[] = "POST /v1/auth/token/revoke-accessor";

	memset(&an, 0, sizeof(an));
	*ok = false;
	snprintf(body, sizeof(body), "{\"accessor\":\"%s\"}", acc);
	rc = send(c, "POST", "/v1/auth/token/revoke-accessor", body, NULL,
		  label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (e.rc || an.status != 204) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		goto out;
	}
	snprintf(detail, dn, "%s: the token of accessor %s revoked, with its "
		 "child tokens and every lease they made; orphan tokens "
		 "(logins through other auth methods) and STS credentials of "
		 "the AWS secrets engine survive", label, acc);
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* A path Vault made a token at, safe to put in a URL as it is. */
static bool prefix_ok(const char *p)
{
	if (strncmp(p, "auth/", 5) || strlen(p) > MAX_PATH || strstr(p, "..") ||
	    strstr(p, "//"))
		return false;
	for (; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./@", *p))
			return false;
	return true;
}

static enum nhir_rc revoke_prefix(struct vctx *c, const char *acc,
				  char *detail, size_t dn, bool *ok)
{
	struct plan_rest_answer an;
	struct nhir_err e = NHIR_ERR_INIT;
	char path[MAX_PATH + 1], url[MAX_PATH + 40], label[MAX_PATH + 48];
	bool alive;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	rc = lookup(c, acc, &alive, path, sizeof(path), detail, dn, ok);
	if (rc || !*ok)
		return rc;
	*ok = false;
	if (c->r.dry) {
		snprintf(path, sizeof(path), "PATH");
	} else if (!alive) {
		/* without the token, its path is not known: nothing to revoke */
		snprintf(detail + strlen(detail), dn - strlen(detail), "; the "
			 "path to revoke under is not known");
		return NHIR_OK;
	} else if (!prefix_ok(path)) {
		snprintf(detail, dn, "the token of accessor %s was made at "
			 "'%.*s', not a path under auth/ the lease prefix "
			 "can be", acc, MAX_PATH, path);
		return NHIR_OK;
	}
	snprintf(url, sizeof(url), "/v1/sys/leases/revoke-prefix/%s", path);
	snprintf(label, sizeof(label), "PUT %s", url);
	rc = send(c, "PUT", url, "{\"sync\":true}",
		  c->r.dry ? "{\"sync\":true}\n\n(PATH: the path "
			     "lookup-accessor answers the token was made at)"
			   : NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	if (e.rc || an.status != 204) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		goto out;
	}
	snprintf(detail, dn, "%s: every token and lease made under %s "
		 "revoked, the token of accessor %s with them; STS "
		 "credentials of the AWS secrets engine survive", label, path,
		 acc);
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum nhir_rc nhir_vault_call(const struct nhir_ctx *op,
			     const struct nhir_vault *v, const char *name,
			     long timeout, const char *request, bool probe,
			     struct nhir_buf *reply, struct nhir_err *err)
{
	const char *fixed[2] = { "X-Vault-Request: true", v->namespace_hdr };
	struct vctx c;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id;
	char detail[2000] = "", acc[MAX_ACCESSOR + 1], path[MAX_PATH + 1];
	bool ok = false, hmac = false, alive = false;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.token, 1 << 14);
	c.v = v;
	plan_rest_init(&c.r, op, timeout, false);
	c.r.base = v->address;
	c.r.fixed = fixed;
	c.r.fixed_nr = v->namespace_hdr ? 2 : 1;
	c.r.auth = "X-Vault-Token: ";
	c.r.what = "Vault's answer";
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	c.r.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	c.have_token = plan_rest_token(op, v->token, &c.token, c.token_why,
				       sizeof(c.token_why));
	if (!c.have_token)
		snprintf(c.token_shown, sizeof(c.token_shown), "(not read now: "
			 "%s)", c.token_why);
	if (!parse_accessor(id, acc, sizeof(acc), &hmac)) {
		snprintf(detail, sizeof(detail), "%s: %s", id ? id : "the target",
			 hmac ? "the audit device HMACs accessors, so nhir knows "
				"only the HMAC; with hmac_accessor=false on the "
				"audit device, the accessor itself is logged and "
				"can be revoked"
			      : "not a Vault token by its accessor "
				"(vault:ACCESSOR)");
		goto answer;
	}
	if (!c.have_token && !c.r.dry) {
		snprintf(detail, sizeof(detail), "no Vault token for '%s': %s",
			 name, c.token_why);
		goto answer;
	}
	if (probe) {
		rc = lookup(&c, acc, &alive, path, sizeof(path), detail,
			    sizeof(detail), &ok);
		if (rc)
			goto out;
		if (c.r.dry || !ok)
			goto answer;	/* unknown is not revoked */
		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		cJSON_AddBoolToObject(o, "works", alive);
		cJSON_AddStringToObject(o, "call", "auth/token/lookup-accessor");
		cJSON_AddStringToObject(o, "detail", detail);
		cJSON_AddStringToObject(o, "calls", plan_rest_sent(&c.r));
		rc = plan_rest_reply(reply, o, err);
		o = NULL;
		goto out;
	}
	if (!strcmp(action, "vault.revoke-token"))
		rc = revoke_token(&c, acc, detail, sizeof(detail), &ok);
	else if (!strcmp(action, "vault.revoke-lease-prefix"))
		rc = revoke_prefix(&c, acc, detail, sizeof(detail), &ok);
	else
		snprintf(detail, sizeof(detail), "the vault connector has no "
			 "call for %s", action);
answer:
	if (!rc)
		rc = plan_rest_step_reply(&c.r, ok, detail, reply, err);
out:
	if (rc == NHIR_ENOMEM && err && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	plan_rest_wipe(&c.token);
	plan_rest_release(&c.r);
	return rc;
}
