/*
 * Sign-in by OpenID Connect: GET /api/v1/oidc/login sends the browser
 * to the provider (authorization code, PKCE S256, a state bound to the
 * browser by a cookie, a nonce); GET /api/v1/oidc/callback takes the
 * code back once, exchanges it with the verifier, checks the ID token
 * (include/nhir/oidc.h) and opens a session for the nhir user its
 * claim names, who must exist, unless the configuration maps the
 * provider's groups to roles ("roles:"): then the groups decide the
 * role, and a person may be made a user at first sign-in when
 * "provision" says so.  Every failure is a 401 problem, logged and
 * audited.
 */
#include "compat.h"
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "nhir/oidc.h"
#include "nhir/session.h"
#include "server/server-internal.h"
#include "server/ui.h"

#define PENDING 256		/* sign-ins under way at once */
#define PENDING_TTL 600		/* seconds one may take */
#define HTTP_TIMEOUT 10L	/* seconds, each request to the provider */
#define LOGIN_COOKIE "nhir_oidc"

struct pending {
	char state[NHIR_OIDC_RANDOM_SIZE];
	char nonce[NHIR_OIDC_RANDOM_SIZE];
	char verifier[NHIR_OIDC_RANDOM_SIZE];
	int64_t at;		/* 0: free */
};

struct srv_oidc {
	struct nhir_oidc_config c;
	char *secret;
	char auth_ep[1024], token_ep[1024], jwks_uri[1024];
	pthread_mutex_t lock;	/* guards pending and jwks */
	struct pending p[PENDING];
	char *jwks;
	size_t jwks_len;
	int64_t jwks_at;
	atomic_long refs;	/* the server's, and each request's */
};

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

static enum nhir_rc fetch(const char *url, const char *form,
			  const struct srv_oidc *o, struct nhir_buf *b,
			  long *status, struct nhir_err *err)
{
	return nhir_http_request(url, form, form ? o->c.client_id : NULL,
				 form ? o->secret : NULL, HTTP_TIMEOUT, b,
				 status, err);
}

static enum nhir_rc fetch_jwks(struct srv_oidc *o, struct nhir_err *err)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	long status = 0;
	enum nhir_rc rc = fetch(o->jwks_uri, NULL, o, &b, &status, err);
	char *copy;

	if (!rc && status != 200)
		rc = nhir_err_set(err, NHIR_EIO, "%s answered HTTP %ld",
				  o->jwks_uri, status);
	if (!rc && !(copy = malloc(b.len + 1)))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc) {
		memcpy(copy, b.buf, b.len);
		copy[b.len] = '\0';
		pthread_mutex_lock(&o->lock);
		free(o->jwks);
		o->jwks = copy;
		o->jwks_len = b.len;
		o->jwks_at = (int64_t)time(NULL);
		pthread_mutex_unlock(&o->lock);
	}
	nhir_buf_release(&b);
	return rc;
}

static bool endpoint(const cJSON *d, const char *key, char *dst, size_t n)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, key);

	if (!cJSON_IsString(v) || strlen(v->valuestring) >= n ||
	    (strncmp(v->valuestring, "https://", 8) &&
	     strncmp(v->valuestring, "http://", 7)))
		return false;
	snprintf(dst, n, "%s", v->valuestring);
	return true;
}

enum nhir_rc srv_oidc_start(struct srv_oidc **out,
			    const struct nhir_oidc_config *c,
			    const char *secret, struct nhir_err *err)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct srv_oidc *o;
	char url[1100];
	const cJSON *iss;
	cJSON *d = NULL;
	long status = 0;
	enum nhir_rc rc;

	*out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o || !(o->secret = strdup(secret))) {
		free(o);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	o->c = *c;
	atomic_init(&o->refs, 1);
	pthread_mutex_init(&o->lock, NULL);
	snprintf(url, sizeof(url), "%s%s.well-known/openid-configuration",
		 c->issuer, c->issuer[strlen(c->issuer) - 1] == '/' ? "" : "/");
	rc = fetch(url, NULL, o, &b, &status, err);
	if (!rc && status != 200)
		rc = nhir_err_set(err, NHIR_EIO, "%s answered HTTP %ld", url,
				  status);
	if (!rc && !(d = cJSON_ParseWithLength(b.buf, b.len)))
		rc = nhir_err_set(err, NHIR_EPARSE, "%s: not JSON", url);
	iss = d ? cJSON_GetObjectItemCaseSensitive(d, "issuer") : NULL;
	if (!rc && (!cJSON_IsString(iss) || strcmp(iss->valuestring,
						   c->issuer)))
		rc = nhir_err_set(err, NHIR_EINVAL, "%s names another issuer "
				  "than %s", url, c->issuer);
	if (!rc && (!endpoint(d, "authorization_endpoint", o->auth_ep,
			      sizeof(o->auth_ep)) ||
		    !endpoint(d, "token_endpoint", o->token_ep,
			      sizeof(o->token_ep)) ||
		    !endpoint(d, "jwks_uri", o->jwks_uri,
			      sizeof(o->jwks_uri))))
		rc = nhir_err_set(err, NHIR_EPARSE, "%s: no usable "
				  "authorization_endpoint, token_endpoint or "
				  "jwks_uri", url);
	cJSON_Delete(d);
	nhir_buf_release(&b);
	if (!rc)
		rc = fetch_jwks(o, err);
	if (rc) {
		srv_oidc_put(o);
		return rc;
	}
	*out = o;
	return NHIR_OK;
}

void srv_oidc_hold(struct srv_oidc *o)
{
	if (o)
		atomic_fetch_add(&o->refs, 1);
}

void srv_oidc_carry(struct srv_oidc *to, struct srv_oidc *from)
{
	if (!to || !from || strcmp(to->c.issuer, from->c.issuer) ||
	    strcmp(to->c.client_id, from->c.client_id))
		return;
	pthread_mutex_lock(&from->lock);
	pthread_mutex_lock(&to->lock);
	memcpy(to->p, from->p, sizeof(to->p));
	pthread_mutex_unlock(&to->lock);
	pthread_mutex_unlock(&from->lock);
}

void srv_oidc_put(struct srv_oidc *o)
{
	if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
		return;
	wipe(o->secret, strlen(o->secret));
	free(o->secret);
	wipe(o->p, sizeof(o->p));
	free(o->jwks);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

/* Appends s percent-encoded (RFC 3986 unreserved kept). */
static void urlenc(struct nhir_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			nhir_buf_addch(b, (char)c);
		else
			nhir_buf_addf(b, "%%%02X", c);
	}
}

static enum MHD_Result not_configured(struct srv_req *r)
{
	return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found", "Not found",
			   "sign-in by OpenID Connect is not configured "
			   "(nhir serve --config)");
}

static enum MHD_Result login(struct srv_req *r, struct srv_oidc *o)
{
	struct nhir_buf u = NHIR_BUF_INIT(0);
	struct pending *p = NULL, *oldest = NULL;
	char challenge[NHIR_OIDC_RANDOM_SIZE], state[NHIR_OIDC_RANDOM_SIZE];
	int64_t now = (int64_t)time(NULL);
	enum MHD_Result ok;

	if (!o)
		return not_configured(r);
	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < PENDING && !p; i++) {
		if (o->p[i].at && now - o->p[i].at >= PENDING_TTL)
			o->p[i].at = 0;
		if (!o->p[i].at)
			p = &o->p[i];
		else if (!oldest || o->p[i].at < oldest->at)
			oldest = &o->p[i];
	}
	if (!p)
		p = oldest;	/* the oldest sign-in under way gives way */
	nhir_oidc_random(p->state);
	nhir_oidc_random(p->nonce);
	nhir_oidc_random(p->verifier);
	p->at = now;
	nhir_oidc_challenge(p->verifier, challenge);
	memcpy(state, p->state, sizeof(state));
	nhir_buf_addf(&u, "%s%sresponse_type=code&client_id=", o->auth_ep,
		      strchr(o->auth_ep, '?') ? "&" : "?");
	urlenc(&u, o->c.client_id);
	nhir_buf_addf(&u, "&redirect_uri=");
	urlenc(&u, o->c.redirect_uri);
	nhir_buf_addf(&u, "&scope=");
	urlenc(&u, o->c.scopes);
	nhir_buf_addf(&u, "&state=%s&nonce=%s&code_challenge=%s"
		      "&code_challenge_method=S256", p->state, p->nonce,
		      challenge);
	pthread_mutex_unlock(&o->lock);
	nhir_buf_addch(&u, '\0');
	if (u.err) {
		nhir_buf_release(&u);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	/* the state is this browser's: a login started elsewhere fails */
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 LOGIN_COOKIE "=%s; Path=/api/v1/oidc; Max-Age=%d; HttpOnly; "
		 "SameSite=Lax%s", state, PENDING_TTL,
		 srv_cookie_secure(r->srv) ? "; Secure" : "");
	r->redirect = u.buf;
	ok = srv_respond(r, 302, "text/plain; charset=utf-8",
			 "sign in at the identity provider\n", 33);
	r->redirect = NULL;
	nhir_buf_release(&u);
	return ok;
}

enum MHD_Result oidc_login(struct srv_req *r)
{
	struct srv_oidc *o = srv_oidc(r->srv);
	enum MHD_Result ok = login(r, o);

	srv_oidc_put(o);
	return ok;
}

/* Takes the sign-in of state, once: false when there is none. */
static bool take_pending(struct srv_oidc *o, const char *state,
			 struct pending *out)
{
	int64_t now = (int64_t)time(NULL);
	bool found = false;

	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < PENDING && !found; i++) {
		struct pending *p = &o->p[i];

		if (!p->at || strlen(state) != strlen(p->state) ||
		    strcmp(state, p->state))
			continue;
		found = now - p->at < PENDING_TTL;
		*out = *p;
		wipe(p, sizeof(*p));
	}
	pthread_mutex_unlock(&o->lock);
	return found;
}

static enum MHD_Result refused(struct srv_req *r, const char *user,
			       const char *addr, const char *why)
{
	srv_log("401 %s %s: %s (from %s)", r->method, "/api/v1/oidc/callback",
		why, addr);
	if (r->st)
		nhir_login_failed(r->st, user, "oidc", addr, why);
	return srv_problem(r, 401, NHIR_EDENIED, "unauthenticated",
			   "Authentication failed", why);
}

/* The code exchanged for an ID token into b (its JSON answer). */
static enum nhir_rc exchange(struct srv_oidc *o, const char *code,
			     const struct pending *p, char **id_token,
			     struct nhir_err *err)
{
	struct nhir_buf f = NHIR_BUF_INIT(0), b = NHIR_BUF_INIT(1 << 20);
	const cJSON *t, *e;
	cJSON *d = NULL;
	long status = 0;
	enum nhir_rc rc;

	*id_token = NULL;
	nhir_buf_addf(&f, "grant_type=authorization_code&code=");
	urlenc(&f, code);
	nhir_buf_addf(&f, "&redirect_uri=");
	urlenc(&f, o->c.redirect_uri);
	nhir_buf_addf(&f, "&code_verifier=%s", p->verifier);
	nhir_buf_addch(&f, '\0');
	rc = f.err ? nhir_err_set(err, NHIR_ENOMEM, "out of memory")
		   : fetch(o->token_ep, f.buf, o, &b, &status, err);
	if (f.buf)
		wipe(f.buf, f.len);
	nhir_buf_release(&f);
	if (!rc && !(d = cJSON_ParseWithLength(b.buf, b.len)))
		rc = nhir_err_set(err, NHIR_EDENIED, "the provider's token "
				  "answer (HTTP %ld) is not JSON", status);
	e = d ? cJSON_GetObjectItemCaseSensitive(d, "error") : NULL;
	t = d ? cJSON_GetObjectItemCaseSensitive(d, "id_token") : NULL;
	if (!rc && status != 200)
		rc = nhir_err_set(err, NHIR_EDENIED, "the provider refused the "
				  "code (HTTP %ld, %.64s)", status,
				  cJSON_IsString(e) ? e->valuestring : "?");
	else if (!rc && !cJSON_IsString(t))
		rc = nhir_err_set(err, NHIR_EDENIED, "the provider answered no "
				  "ID token");
	if (!rc && !(*id_token = strdup(t->valuestring)))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(d);
	if (b.buf)
		wipe(b.buf, b.len);
	nhir_buf_release(&b);
	return rc;
}

static enum nhir_rc verify(struct srv_oidc *o, const char *jwt,
			   const struct pending *p, char *user, size_t n,
			   struct nhir_err *err)
{
	struct nhir_oidc_expect x = { o->c.issuer, o->c.client_id, p->nonce,
				      o->c.user_claim, (int64_t)time(NULL) };
	enum nhir_rc rc = NHIR_ENOTFOUND;

	for (int round = 0; round < 2 && rc == NHIR_ENOTFOUND; round++) {
		/* a key the provider rotated in: its keys fetched again */
		if (round && fetch_jwks(o, err))
			return NHIR_EDENIED;
		pthread_mutex_lock(&o->lock);
		rc = nhir_oidc_verify(jwt, strlen(jwt), o->jwks, o->jwks_len,
				      &x, user, n, err);
		pthread_mutex_unlock(&o->lock);
	}
	return rc;
}

static enum MHD_Result callback(struct srv_req *r, struct srv_oidc *o)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s;
	struct pending p;
	const char *code, *state, *bound, *perr;
	char addr[64], user[NHIR_USER_NAME_MAX + 1], value[NHIR_SESSION_SIZE];
	char why[NHIR_ERR_MSG_MAX + 64], group[128];
	enum nhir_role role = NHIR_ROLE_NONE;
	char *jwt = NULL;
	enum MHD_Result ok;
	enum nhir_rc rc;

	if (!o)
		return not_configured(r);
	srv_client_address(r, addr, sizeof(addr));
	r->st = srv_store(r->srv, &err);
	if (!r->st)
		return srv_fail(r, &err);
	code = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					   "code");
	state = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					    "state");
	perr = MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					   "error");
	bound = MHD_lookup_connection_value(r->con, MHD_COOKIE_KIND,
					    LOGIN_COOKIE);
	if (!state || !take_pending(o, state, &p))
		return refused(r, NULL, addr, "no sign-in under way has this "
			       "state (unknown, used or expired)");
	if (!bound || strcmp(bound, p.state)) {
		wipe(&p, sizeof(p));
		return refused(r, NULL, addr, "the sign-in was started by "
			       "another browser (login cookie)");
	}
	if (perr || !code) {
		wipe(&p, sizeof(p));
		snprintf(why, sizeof(why), "the provider sent no code (%.64s)",
			 perr ? perr : "no error given");
		return refused(r, NULL, addr, why);
	}
	user[0] = '\0';
	rc = exchange(o, code, &p, &jwt, &err);
	if (!rc)
		rc = verify(o, jwt, &p, user, sizeof(user), &err);
	if (!rc && o->c.roles_claim[0])
		rc = nhir_oidc_role(jwt, strlen(jwt), &o->c, &role, group,
				    sizeof(group), &err);
	wipe(&p, sizeof(p));
	if (jwt)
		wipe(jwt, strlen(jwt));
	free(jwt);
	if (rc)
		return refused(r, user[0] ? user : NULL, addr, err.msg);
	/* the provider's groups decide the role, and may make a user */
	if (o->c.roles_claim[0]) {
		rc = nhir_user_idp(r->st, o->c.issuer, user, role, group,
				   o->c.provision, &err);
		if (rc == NHIR_EDENIED || rc == NHIR_EINVAL)
			return refused(r, user, addr, err.msg);
		if (rc)
			return srv_fail(r, &err);
	}
	/* the user must exist and be active */
	rc = nhir_session_open(r->st, user, "oidc", addr, 0, value, &s, &err);
	if (rc == NHIR_EDENIED) {
		srv_log("401 %s /api/v1/oidc/callback: %s (from %s)", r->method,
			err.msg, addr);
		return srv_problem(r, 401, NHIR_EDENIED, "unauthenticated",
				   "Authentication failed", err.msg);
	}
	if (rc)
		return srv_fail(r, &err);
	srv_log("200 %s /api/v1/oidc/callback: session %" PRId64 " of %s, "
		"from %s", r->method, s.id, s.user, addr);
	auth_set_cookie(r, value, s.expires - s.created);
	snprintf(r->set_cookie2, sizeof(r->set_cookie2),
		 LOGIN_COOKIE "=; Path=/api/v1/oidc; Max-Age=0; HttpOnly; "
		 "SameSite=Lax%s", srv_cookie_secure(r->srv) ? "; Secure" : "");
	/* a browser goes on to the workbench; a client reads the session */
	ok = srv_ui_wanted(r) ? srv_ui_signed_in(r) :
	     auth_session_doc(r, 200, &s, value);
	wipe(value, sizeof(value));
	wipe(r->set_cookie, sizeof(r->set_cookie));
	return ok;
}

enum MHD_Result oidc_callback(struct srv_req *r)
{
	struct srv_oidc *o = srv_oidc(r->srv);
	enum MHD_Result ok = callback(r, o);

	srv_oidc_put(o);
	return ok;
}
