/*
 * The built-in GitHub connector (github.h).  Each catalog action becomes
 * one or more calls of GitHub's REST API, sent through plan_http_do.
 *
 *   a token a secret scanning alert found (github-alert:OWNER/REPO#N):
 *     GET the alert (its secret), POST /credentials/revoke with it
 *     (unauthenticated, as GitHub requires), PATCH the alert resolved
 *     as revoked;
 *   a fine-grained token by its id in an organisation
 *     (github:token-id:N, the connector's org): GET the organisation's
 *     grants of that token, POST their revocation.
 *
 * Probes: the alert's secret tried on GET /user (401: revoked); a
 * fine-grained token's grants listed again (none left: revoked).
 * A request refused for the rate limit (403 or 429 with Retry-After or
 * X-RateLimit-Remaining: 0), answered with a 5xx or unanswered is sent
 * again after the time GitHub names, else a growing pause, within the
 * connector's timeout.
 *
 * Credentials: the responder's token, or a GitHub App's installation
 * token: with app_id, app_key_file and installation_id configured, a
 * JWT (RS256, jwt.c; iat 60 s in the past, exp 9 minutes ahead, iss the
 * App's id) signed with the App's private key is exchanged at POST
 * /app/installations/{installation_id}/access_tokens for a token that
 * every call made as the responder then carries.
 *
 * Secrets: the responder's token, the App's key, its JWT, the
 * installation token and an alert's secret are held in memory only, in
 * buffers wiped when released;
 * the dry run shows them as [redacted], and no answer, detail or error
 * carries them.
 */
#include "compat.h"
#include <ctype.h>
#include <time.h>
#include <sodium.h>
#include "core/alloc.h"
#include "nhir/model.h"
#include "plan/github.h"
#include "plan/jwt.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"

#define API_VERSION "2022-11-28"
#define DEFAULT_URL "https://api.github.com"
#define DEFAULT_TOKEN "${env:GITHUB_TOKEN}"
#define MAX_NAME 100
#define MAX_APP_KEY (64 * 1024)
#define MAX_TOKEN 8192		/* stateless installation tokens are long */
#define JWT_SKEW 60		/* iat this far in the past, as GitHub asks */
#define JWT_LIFE 540		/* exp: GitHub takes at most 600 s */

struct nhir_github {
	char *api_url, *token, *org;
	char *app_id, *app_key, *installation;	/* a GitHub App's, or NULL */
};

void nhir_github_free(struct nhir_github *g)
{
	if (!g)
		return;
	nhir_free(g->api_url);
	nhir_free(g->token);
	nhir_free(g->org);
	nhir_free(g->app_id);
	nhir_free(g->app_key);
	nhir_free(g->installation);
	nhir_free(g);
}

/* An organisation, user or repository name as GitHub allows them. */
static bool gh_name(const char *s, size_t n)
{
	if (!n || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return !(n == 1 && s[0] == '.') && !(n == 2 && !strncmp(s, "..", 2));
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
	if (!strcmp(key, "api_url")) {
		if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
			return nhir_yaml_error(y, v, "'%s': api_url is an "
					       "http(s) URL", name);
		/* a bearer token read on the way is a token stolen */
		if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
			return nhir_yaml_error(y, v, "'%s': api_url: plain http "
					       "only to a loopback address (it "
					       "carries a token); use https",
					       name);
		if (strpbrk(s + 8, "?#@"))
			return nhir_yaml_error(y, v, "'%s': api_url has no "
					       "query, fragment or user", name);
	}
	if (!strcmp(key, "token") && (strncmp(s, "${", 2) ||
				      s[strlen(s) - 1] != '}'))
		return nhir_yaml_error(y, v, "'%s': token names where the "
				       "token is read, ${env:NAME} or "
				       "${file:PATH}, never the token itself",
				       name);
	if (!strcmp(key, "org") && !gh_name(s, strlen(s)))
		return nhir_yaml_error(y, v, "'%s': org '%s' is not an "
				       "organisation's name", name, s);
	if (!strcmp(key, "app_id") || !strcmp(key, "installation_id")) {
		size_t l = strlen(s);

		for (size_t i = 0; i < l; i++)
			if (!isdigit((unsigned char)s[i]) || l > 18)
				return nhir_yaml_error(y, v, "'%s': %s is a "
						       "number", name, key);
	}
	if (!strcmp(key, "app_key_file")) {
		char dir[PATH_MAX], *slash;
		size_t l;

		if (!strncmp(s, "${", 2) || strstr(s, "-----BEGIN"))
			return nhir_yaml_error(y, v, "'%s': app_key_file is the "
					       "path of the App's private key "
					       "(PEM), not the key itself", name);
		if (s[0] == '/') {
			*out = nhir_strdup(s);
		} else if (realpath(y->name, dir) && (slash = strrchr(dir, '/'))) {
			/* relative to the connectors file, as commands are */
			*slash = 0;
			l = strlen(dir) + strlen(s) + 2;
			*out = nhir_malloc(l);
			if (*out)
				snprintf(*out, l, "%s/%s", dir, s);
		} else {
			return nhir_yaml_error(y, v, "'%s': app_key_file '%s' is "
					       "relative and the connectors "
					       "file's directory is not known",
					       name, s);
		}
		return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
						      "out of memory");
	}
	*out = nhir_strdup(s);
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_github_config(struct nhir_yaml *y, const yaml_node_t *n,
				const char *name, struct nhir_github **out)
{
	struct nhir_github *g = nhir_calloc(1, sizeof(*g));
	enum nhir_rc rc;

	*out = g;
	if (!g)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt(y, n, name, "api_url", &g->api_url);
	if (!rc)
		rc = opt(y, n, name, "token", &g->token);
	if (!rc)
		rc = opt(y, n, name, "org", &g->org);
	if (!rc)
		rc = opt(y, n, name, "app_id", &g->app_id);
	if (!rc)
		rc = opt(y, n, name, "app_key_file", &g->app_key);
	if (!rc)
		rc = opt(y, n, name, "installation_id", &g->installation);
	if (!rc && (g->app_id || g->app_key || g->installation) &&
	    (!g->app_id || !g->app_key || !g->installation))
		rc = nhir_yaml_error(y, n, "'%s': a GitHub App needs app_id, "
				     "app_key_file and installation_id together",
				     name);
	if (!rc && g->app_id && g->token)
		rc = nhir_yaml_error(y, nhir_yaml_get(y, n, "token"), "'%s': "
				     "token or a GitHub App (app_id), not both",
				     name);
	if (!rc && !g->api_url && !(g->api_url = nhir_strdup(DEFAULT_URL)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!rc && !g->app_id && !g->token &&
	    !(g->token = nhir_strdup(DEFAULT_TOKEN)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	/* no slash at the end: paths begin with one */
	if (!rc) {
		size_t l = strlen(g->api_url);

		while (l > 8 && g->api_url[l - 1] == '/')
			g->api_url[--l] = 0;
	}
	return rc;
}

/* ---- calls ---- */

struct gctx {
	const struct nhir_github *g;
	const char *conn;
	struct plan_rest r;
	struct nhir_buf token;		/* the responder's; wiped */
	bool have_token;
	char token_why[400];
	char token_shown[440];		/* the dry run's, without one */
};

/* Who a request is sent as. */
enum as { AS_NOBODY, AS_RESPONDER, AS_SECRET };

static enum nhir_rc gh_send(struct gctx *c, const char *method,
			    const char *path, const char *body,
			    const char *shown_body, enum as as,
			    const char *secret, const char *label,
			    struct plan_rest_answer *an, struct nhir_err *err)
{
	const char *cred = as == AS_RESPONDER ? c->token.buf
			 : as == AS_SECRET ? secret : NULL;
	const char *shown = as == AS_RESPONDER
			    ? (c->have_token ? "[redacted]" : c->token_shown)
			    : as == AS_SECRET ? "[redacted: the alert's secret, "
						"read when it runs]"
					      : NULL;

	return plan_rest_send(&c->r, method, path, body, shown_body, cred,
			      shown, label, an, err);
}

/* ---- targets ---- */

struct alert {
	char owner[MAX_NAME + 1], repo[MAX_NAME + 1];
	long long number;
};

/* github-alert:OWNER/REPO#N, as GitHub's secret scanning findings are named */
static bool parse_alert(const char *id, struct alert *a)
{
	const char *p, *slash, *hash;

	if (!id || strncmp(id, "github-alert:", 13))
		return false;
	p = id + 13;
	slash = strchr(p, '/');
	hash = slash ? strchr(slash, '#') : NULL;
	if (!slash || !hash || !gh_name(p, (size_t)(slash - p)) ||
	    !gh_name(slash + 1, (size_t)(hash - slash - 1)) || !hash[1] ||
	    strlen(hash + 1) > 12)
		return false;
	for (const char *d = hash + 1; *d; d++)
		if (!isdigit((unsigned char)*d))
			return false;
	snprintf(a->owner, sizeof(a->owner), "%.*s", (int)(slash - p), p);
	snprintf(a->repo, sizeof(a->repo), "%.*s", (int)(hash - slash - 1),
		 slash + 1);
	a->number = strtoll(hash + 1, NULL, 10);
	return a->number > 0;
}

/* github:token-id:N, a token named by the id audit logs give it */
static bool parse_token_id(const char *id, long long *out)
{
	const char *p;

	if (!id || strncmp(id, "github:token-id:", 16) || !id[16] ||
	    strlen(id + 16) > 15)
		return false;
	for (p = id + 16; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	*out = strtoll(id + 16, NULL, 10);
	return *out > 0;
}

/* ---- steps ---- */

/*
 * A GitHub App's installation token into c->token: a JWT signed with the
 * App's key exchanged for it; in the dry run, the exchange shown.  false
 * (and why) when none was got.
 */
static bool app_token(struct gctx *c)
{
	const struct nhir_github *g = c->g;
	struct nhir_buf pem = NHIR_BUF_INIT(MAX_APP_KEY);
	struct nhir_buf jwt = NHIR_BUF_INIT(1 << 14);
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[100], label[140], what[PATH_MAX + 40], claims[200], shown[200];
	const cJSON *t;
	int64_t now = (int64_t)time(NULL);
	bool ok = false;
	size_t n;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/app/installations/%s/access_tokens",
		 g->installation);
	snprintf(label, sizeof(label), "POST %s", path);
	snprintf(shown, sizeof(shown), "[redacted: a JWT (RS256) signed with "
		 "the private key of App %s]", g->app_id);
	if (c->r.dry) {
		plan_rest_send(&c->r, "POST", path, NULL, NULL, NULL, shown,
			       label, &an, &e);
		snprintf(c->token_why, sizeof(c->token_why), "a dry run");
		snprintf(c->token_shown, sizeof(c->token_shown), "[redacted: "
			 "the installation token %s answers]", label);
		goto out;
	}
	if (!plan_rest_read_secret(g->app_key, &pem, c->token_why,
				   sizeof(c->token_why)))
		goto out;
	snprintf(what, sizeof(what), "'%s' (app_key_file)", g->app_key);
	/* iss a text: GitHub takes the App's id or its client id there */
	snprintf(claims, sizeof(claims), "{\"iat\":%" PRId64 ",\"exp\":%"
		 PRId64 ",\"iss\":\"%s\"}", now - JWT_SKEW, now + JWT_LIFE,
		 g->app_id);
	if (nhir_jwt_rs256(pem.buf, pem.len, what,
			   "{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims,
			   &jwt, &e)) {
		snprintf(c->token_why, sizeof(c->token_why), "%s", e.msg);
		goto out;
	}
	if (plan_rest_send(&c->r, "POST", path, NULL, NULL, jwt.buf, shown,
			   label, &an, &e) || an.status != 201) {
		plan_rest_why(c->token_why, sizeof(c->token_why), label, &an, &e,
			      "");
		goto out;
	}
	t = cJSON_GetObjectItemCaseSensitive(an.doc, "token");
	n = cJSON_IsString(t) ? strlen(t->valuestring) : 0;
	if (!n || n > MAX_TOKEN) {
		snprintf(c->token_why, sizeof(c->token_why), "%s answered no "
			 "token", label);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t->valuestring[i] <= ' ' ||
		    (unsigned char)t->valuestring[i] >= 0x7f) {
			snprintf(c->token_why, sizeof(c->token_why), "%s "
				 "answered a token that is not one printable "
				 "word", label);
			goto out;
		}
	nhir_buf_reset(&c->token);
	nhir_buf_add(&c->token, t->valuestring, n);
	nhir_buf_addch(&c->token, 0);
	ok = !c->token.err;
	if (!ok)
		snprintf(c->token_why, sizeof(c->token_why), "out of memory");
out:
	t = cJSON_GetObjectItemCaseSensitive(an.doc, "token");
	if (cJSON_IsString(t))
		sodium_memzero(t->valuestring, strlen(t->valuestring));
	plan_rest_answer_free(&an);
	plan_rest_wipe(&pem);
	plan_rest_wipe(&jwt);
	return ok;
}

/* The responder's token, read now; false (and why) when it cannot be. */
static bool read_token(struct gctx *c)
{
	if (c->have_token)
		return true;
	if (c->g->app_id) {
		if (!app_token(c)) {
			if (!c->r.dry)
				snprintf(c->token_shown, sizeof(c->token_shown),
					 "(not got: %s)", c->token_why);
			return false;
		}
	} else if (!plan_rest_token(c->r.op, c->g->token, &c->token,
				    c->token_why, sizeof(c->token_why))) {
		snprintf(c->token_shown, sizeof(c->token_shown), "(not read "
			 "now: %s)", c->token_why);
		return false;
	}
	c->have_token = true;
	return true;
}

/*
 * The secret an alert shows, into *secret (wiped by the caller).
 * false with detail when the alert cannot be read or hides it.
 */
static enum nhir_rc alert_secret(struct gctx *c, const struct alert *al,
				 const char *path, struct nhir_buf *secret,
				 char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char label[300];
	const cJSON *s;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	snprintf(label, sizeof(label), "GET %s", path);
	rc = gh_send(c, "GET", path, NULL, NULL, AS_RESPONDER, NULL, label,
		     &an, &e);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (c->r.dry) {
		*ok = true;
		return NHIR_OK;
	}
	if (rc || an.status != 200) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		plan_rest_answer_free(&an);
		return NHIR_OK;
	}
	s = cJSON_GetObjectItemCaseSensitive(an.doc, "secret");
	if (!cJSON_IsString(s) || !*s->valuestring ||
	    strpbrk(s->valuestring, "\r\n")) {
		snprintf(detail, dn, "%s: alert %s/%s#%lld does not show its "
			 "secret (the token needs read access to secret "
			 "scanning alerts)", label, al->owner, al->repo,
			 al->number);
	} else {
		nhir_buf_adds(secret, s->valuestring);
		nhir_buf_addch(secret, 0);
		*ok = !secret->err;
		sodium_memzero(s->valuestring, strlen(s->valuestring));
	}
	plan_rest_answer_free(&an);
	return NHIR_OK;
}

static enum nhir_rc revoke_alert(struct gctx *c, const struct alert *al,
				 const char *incident, int step, char *detail,
				 size_t dn, bool *ok)
{
	struct nhir_buf secret = NHIR_BUF_INIT(1 << 16);
	struct nhir_buf body = NHIR_BUF_INIT(1 << 16);
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[400], done[400];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/repos/%s/%s/secret-scanning/alerts/%lld",
		 al->owner, al->repo, al->number);
	rc = alert_secret(c, al, path, &secret, detail, dn, ok);
	if (rc || !*ok)
		goto out;
	*ok = false;
	/* {"credentials":["..."]}: built plainly, the string escaped */
	if (!c->r.dry) {
		nhir_buf_adds(&body, "{\"credentials\":[");
		nhir_buf_add_json_str(&body, secret.buf, strlen(secret.buf));
		nhir_buf_adds(&body, "]}");
		nhir_buf_addch(&body, 0);
		if (body.err) {
			rc = NHIR_ENOMEM;
			goto out;
		}
	}
	rc = gh_send(c, "POST", "/credentials/revoke", c->r.dry ? NULL : body.buf,
		     "{\"credentials\":[\"[redacted: the alert's secret, read "
		     "when it runs]\"]}", AS_NOBODY, NULL,
		     "POST /credentials/revoke", &an, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (!c->r.dry && (rc || an.status != 202)) {
		plan_rest_why(detail, dn, "POST /credentials/revoke", &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(done, sizeof(done), "the secret of alert %s/%s#%lld revoked "
		 "by POST /credentials/revoke", al->owner, al->repo,
		 al->number);
	plan_rest_answer_free(&an);
	plan_rest_wipe(&body);
	nhir_buf_init(&body, 1 << 16);
	{
		char note[120], label[450];

		snprintf(note, sizeof(note), "revoked by nhir, %s step %d",
			 incident, step);
		nhir_buf_adds(&body, "{\"state\":\"resolved\",\"resolution\":"
			      "\"revoked\",\"resolution_comment\":");
		nhir_buf_add_json_str(&body, note, strlen(note));
		nhir_buf_adds(&body, "}");
		nhir_buf_addch(&body, 0);
		if (body.err) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		snprintf(label, sizeof(label), "PATCH %s", path);
		rc = gh_send(c, "PATCH", path, body.buf, NULL, AS_RESPONDER,
			     NULL, label, &an, &e);
		if (rc == NHIR_ENOMEM || c->r.dry)
			goto out;
		if (rc || an.status != 200) {
			plan_rest_why(detail, dn, label, &an, &e, done);
			rc = NHIR_OK;
			goto out;
		}
	}
	snprintf(detail, dn, "%s; the alert resolved as revoked (GitHub "
		 "cannot reactivate a revoked credential)", done);
	*ok = true;
out:
	plan_rest_answer_free(&an);
	plan_rest_wipe(&secret);
	plan_rest_wipe(&body);
	return rc;
}

/*
 * The grant of fine-grained token tid in the connector's organisation:
 * *grant its id, 0 when the listing has none.  false with detail when
 * the listing cannot be read.
 */
static enum nhir_rc find_grant(struct gctx *c, long long tid,
			       long long *grant, bool *expired, char *label,
			       size_t ln, char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[300];
	const cJSON *it;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	*grant = 0;
	*expired = false;
	snprintf(path, sizeof(path), "/orgs/%s/personal-access-tokens?"
		 "token_id=%lld&per_page=100", c->g->org, tid);
	snprintf(label, ln, "GET /orgs/%s/personal-access-tokens", c->g->org);
	rc = gh_send(c, "GET", path, NULL, NULL, AS_RESPONDER, NULL, label,
		     &an, &e);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (c->r.dry) {
		*ok = true;
		return NHIR_OK;
	}
	if (rc || an.status != 200) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		plan_rest_answer_free(&an);
		return NHIR_OK;
	}
	if (!cJSON_IsArray(an.doc)) {
		snprintf(detail, dn, "%s answered something that is not a "
			 "list of grants", label);
		plan_rest_answer_free(&an);
		return NHIR_OK;
	}
	cJSON_ArrayForEach(it, an.doc) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "token_id");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(it,
								  "token_expired");

		if (!cJSON_IsNumber(t) || (long long)t->valuedouble != tid)
			continue;
		if (!cJSON_IsNumber(id) || id->valuedouble < 1) {
			snprintf(detail, dn, "%s: a grant of token %lld has "
				 "no id", label, tid);
			plan_rest_answer_free(&an);
			return NHIR_OK;
		}
		*grant = (long long)id->valuedouble;
		*expired = cJSON_IsTrue(x);
	}
	plan_rest_answer_free(&an);
	*ok = true;
	return NHIR_OK;
}

static enum nhir_rc revoke_grant(struct gctx *c, long long tid, char *detail,
				 size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char label[320], path[300], body[200];
	long long grant;
	bool expired;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	rc = find_grant(c, tid, &grant, &expired, label, sizeof(label), detail,
			dn, ok);
	if (rc || !*ok)
		return rc;
	*ok = false;
	if (!c->r.dry && !grant) {
		/* gone already, or never granted here: unknown, not done */
		snprintf(detail, dn, "%s: organisation %s lists no grant of "
			 "token %lld: it was revoked already or is not "
			 "granted there; nothing was revoked", label,
			 c->g->org, tid);
		return NHIR_OK;
	}
	snprintf(path, sizeof(path), "/orgs/%s/personal-access-tokens",
		 c->g->org);
	snprintf(body, sizeof(body), "{\"action\":\"revoke\",\"pat_ids\":"
		 "[%lld]}", grant);
	snprintf(label, sizeof(label), "POST %s", path);
	rc = gh_send(c, "POST", path, body, "{\"action\":\"revoke\","
		     "\"pat_ids\":[GRANT]}\n\n(GRANT: the id of the grant of "
		     "the token the listing above answers)", AS_RESPONDER,
		     NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	if (rc || an.status != 202) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(detail, dn, "%s: the grant %lld of fine-grained token %lld "
		 "in %s revoked%s", label, grant, tid, c->g->org,
		 expired ? " (the token had expired)" : "");
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* ---- probes ---- */

static enum nhir_rc probe_alert(struct gctx *c, const struct alert *al,
				cJSON *o, char *detail, size_t dn, bool *ok)
{
	struct nhir_buf secret = NHIR_BUF_INIT(1 << 16);
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[400];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/repos/%s/%s/secret-scanning/alerts/%lld",
		 al->owner, al->repo, al->number);
	rc = alert_secret(c, al, path, &secret, detail, dn, ok);
	if (rc || !*ok)
		goto out;
	*ok = false;
	rc = gh_send(c, "GET", "/user", NULL, NULL, AS_SECRET,
		     secret.buf, "GET /user", &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	rc = NHIR_OK;
	cJSON_AddStringToObject(o, "call", "GET /user");
	if (an.status == 401) {
		cJSON_AddBoolToObject(o, "works", false);
		snprintf(detail, dn, "GET /user with the secret of alert "
			 "%s/%s#%lld: HTTP 401%s%s (revoked)", al->owner,
			 al->repo, al->number, an.message[0] ? " " : "",
			 an.message);
		*ok = true;
	} else if (an.status == 200) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(an.doc,
								  "login");

		cJSON_AddBoolToObject(o, "works", true);
		snprintf(detail, dn, "GET /user with the secret of alert "
			 "%s/%s#%lld: HTTP 200, signed in as %s", al->owner,
			 al->repo, al->number,
			 cJSON_IsString(l) ? l->valuestring : "someone");
		*ok = true;
	} else {
		/* refused otherwise (rate limit, an outage): unknown */
		plan_rest_why(detail, dn, "GET /user", &an, &e, "");
	}
out:
	plan_rest_answer_free(&an);
	plan_rest_wipe(&secret);
	return rc;
}

static enum nhir_rc probe_grant(struct gctx *c, long long tid, cJSON *o,
				char *detail, size_t dn, bool *ok)
{
	char label[300];
	long long grant;
	bool expired;
	enum nhir_rc rc = find_grant(c, tid, &grant, &expired, label,
				     sizeof(label), detail, dn, ok);

	if (rc || !*ok || c->r.dry)
		return rc;
	cJSON_AddStringToObject(o, "call", label);
	cJSON_AddBoolToObject(o, "works", grant && !expired);
	if (!grant)
		snprintf(detail, dn, "%s: no grant of fine-grained token %lld "
			 "left in %s", label, tid, c->g->org);
	else
		snprintf(detail, dn, "%s: token %lld still holds grant %lld in "
			 "%s%s", label, tid, grant, c->g->org,
			 expired ? ", expired" : "");
	return NHIR_OK;
}

/* ---- the request ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum nhir_rc nhir_github_call(const struct nhir_ctx *op,
			      const struct nhir_github *g, const char *name,
			      long timeout, const char *request, bool probe,
			      struct nhir_buf *reply, struct nhir_err *err)
{
	struct gctx c;
	struct alert al;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id, *incident;
	char detail[2000] = "";
	long long tid = 0;
	bool ok = false, is_alert, is_tid;
	int step;
	enum nhir_rc rc = NHIR_OK;

	static const char *const fixed[] = {
		"Accept: application/vnd.github+json",
		("X-GitHub-Api-Version: " API_VERSION),
		"User-Agent: nhir",
	};

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.token, MAX_TOKEN + 1);
	c.g = g;
	c.conn = name;
	plan_rest_init(&c.r, op, timeout, false);
	c.r.base = g->api_url;
	c.r.fixed = fixed;
	c.r.fixed_nr = NHIR_ARRAY_SIZE(fixed);
	c.r.auth = "Authorization: Bearer ";
	c.r.what = "GitHub's answer";
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	incident = jstr(req, "incident");
	step = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(req, "step"))
	       ? cJSON_GetObjectItemCaseSensitive(req, "step")->valueint : 0;
	c.r.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	is_alert = parse_alert(id, &al);
	is_tid = parse_token_id(id, &tid);
	if (!read_token(&c) && !c.r.dry) {
		snprintf(detail, sizeof(detail), "no GitHub %s for '%s': %s",
			 g->app_id ? "installation token" : "token", name,
			 c.token_why);
		goto answer;
	}
	if (is_tid && !g->org) {
		snprintf(detail, sizeof(detail), "%s is a fine-grained token "
			 "by its id: '%s' needs the organisation it is "
			 "granted in (org)", id, name);
		goto answer;
	}
	if (probe) {
		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		if (is_alert)
			rc = probe_alert(&c, &al, o, detail, sizeof(detail), &ok);
		else if (is_tid)
			rc = probe_grant(&c, tid, o, detail, sizeof(detail), &ok);
		else
			snprintf(detail, sizeof(detail), "the github connector "
				 "cannot probe %s: it probes a token a secret "
				 "scanning alert found (github-alert:OWNER/"
				 "REPO#N) or a fine-grained token by its id "
				 "(github:token-id:N)", id ? id : "the target");
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
	if (!strcmp(action, "github.revoke-credential") && is_alert) {
		rc = revoke_alert(&c, &al, incident ? incident : "INC", step,
				  detail, sizeof(detail), &ok);
	} else if (!strcmp(action, "github.revoke-credential") && is_tid) {
		rc = revoke_grant(&c, tid, detail, sizeof(detail), &ok);
	} else if (!strcmp(action, "github.revoke-credential")) {
		snprintf(detail, sizeof(detail), "%s: the github connector "
			 "revokes a token a secret scanning alert found "
			 "(github-alert:OWNER/REPO#N) or a fine-grained token "
			 "by its id (github:token-id:N); %s is neither, and "
			 "GitHub revokes a token only given the token or its "
			 "id", action, id ? id : "the target");
	} else {
		snprintf(detail, sizeof(detail), "the github connector has no "
			 "call for %s%s", action,
			 !strcmp(action, "github.delete-oauth-grant")
			 ? " (DELETE /applications/{client_id}/grant takes the "
			   "app's client secret and the user's token, which "
			   "nhir does not hold)"
			 : !strcmp(action, "github.revoke-installation-token")
			 ? " (DELETE /installation/token is sent with the "
			   "installation token itself, which nhir does not "
			   "hold; it expires within an hour of its creation)"
			 : "");
	}
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
