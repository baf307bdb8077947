/*
 * Signing in to nhir serve with a local password: POST /api/v1/login
 * sets a session cookie (HttpOnly, SameSite=Strict, Secure unless the
 * server listens on loopback only) and answers the session's CSRF
 * token; POST /api/v1/logout ends it; GET /api/v1/session says who the
 * request is.  Failed logins are limited per user and per client
 * address (429 with Retry-After); the library checks the password,
 * keeps the session and writes the audit log.
 */
#include "compat.h"
#include <ctype.h>
#include <pthread.h>
#include <time.h>
#include "nhir/session.h"
#include "server/server-internal.h"

/* ---- failed logins, per user and per address ---- */

#define LIM_SLOTS 1024
#define LIM_KEY 80

struct lim_entry {
	char key[LIM_KEY];	/* "u:" + user, folded, or "a:" + address */
	int64_t start;		/* of its window (the first failure) */
	unsigned fails;
};

struct srv_limits {
	pthread_mutex_t lock;
	unsigned user, addr;	/* failures allowed in a window */
	struct lim_entry e[LIM_SLOTS];
};

struct srv_limits *srv_limits_new(unsigned user, unsigned addr)
{
	struct srv_limits *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	l->user = user;
	l->addr = addr;
	return l;
}

void srv_limits_free(struct srv_limits *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* key's entry in its window (lock held); made when make, else NULL. */
static struct lim_entry *lim_find(struct srv_limits *l, const char *key,
				  int64_t now, bool make)
{
	struct lim_entry *free_e = NULL, *oldest = NULL;

	for (size_t i = 0; i < LIM_SLOTS; i++) {
		struct lim_entry *e = &l->e[i];

		if (e->key[0] && now - e->start >= SRV_LOGIN_WINDOW)
			e->key[0] = '\0';	/* its window is over */
		if (!e->key[0]) {
			if (!free_e)
				free_e = e;
			continue;
		}
		if (!strcmp(e->key, key))
			return e;
		if (!oldest || e->start < oldest->start)
			oldest = e;
	}
	if (!make)
		return NULL;
	if (!free_e)
		free_e = oldest;
	snprintf(free_e->key, sizeof(free_e->key), "%s", key);
	free_e->start = now;
	free_e->fails = 0;
	return free_e;
}

static void lim_keys(const char *user, const char *addr,
		     char ukey[LIM_KEY], char akey[LIM_KEY])
{
	size_t i;

	/* a user is one person whatever the case of their name */
	snprintf(ukey, LIM_KEY, "u:%s", user);
	for (i = 2; ukey[i]; i++)
		ukey[i] = (char)tolower((unsigned char)ukey[i]);
	snprintf(akey, LIM_KEY, "a:%s", addr);
}

/* Seconds to wait before trying again, 0 when a try is allowed. */
static unsigned lim_wait(struct srv_limits *l, const char *ukey,
			 const char *akey, int64_t now, bool *by_user)
{
	struct lim_entry *u, *a;
	int64_t until = 0;

	pthread_mutex_lock(&l->lock);
	u = lim_find(l, ukey, now, false);
	a = lim_find(l, akey, now, false);
	*by_user = false;
	if (a && a->fails >= l->addr)
		until = a->start + SRV_LOGIN_WINDOW;
	if (u && u->fails >= l->user &&
	    u->start + SRV_LOGIN_WINDOW > until) {
		until = u->start + SRV_LOGIN_WINDOW;
		*by_user = true;
	}
	pthread_mutex_unlock(&l->lock);
	return until > now ? (unsigned)(until - now) : 0;
}

static void lim_fail(struct srv_limits *l, const char *ukey, const char *akey,
		     int64_t now)
{
	struct lim_entry *e;

	pthread_mutex_lock(&l->lock);
	if ((e = lim_find(l, ukey, now, true)))
		e->fails++;
	if ((e = lim_find(l, akey, now, true)))
		e->fails++;
	pthread_mutex_unlock(&l->lock);
}

static void lim_clear(struct srv_limits *l, const char *ukey, int64_t now)
{
	struct lim_entry *e;

	pthread_mutex_lock(&l->lock);
	if ((e = lim_find(l, ukey, now, false)))
		e->key[0] = '\0';
	pthread_mutex_unlock(&l->lock);
}

/* ---- the routes ---- */

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void auth_set_cookie(struct srv_req *r, const char *value, int64_t max_age)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 SRV_SESSION_COOKIE "=%s; Path=/; Max-Age=%" PRId64
		 "; HttpOnly; SameSite=Strict%s", value, max_age,
		 srv_cookie_secure(r->srv) ? "; Secure" : "");
}

/* {"user", "session", "method", "expires", "csrf"} of session s. */
enum MHD_Result auth_session_doc(struct srv_req *r, unsigned status,
				 const struct nhir_session *s,
				 const char *cookie)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char csrf[NHIR_CSRF_SIZE], when[40];
	cJSON *d;

	if (nhir_session_csrf(r->st, cookie, csrf, &err))
		return srv_fail(r, &err);
	nhir_time_format(s->expires, when, sizeof(when));
	d = cJSON_CreateObject();
	if (d && (!cJSON_AddStringToObject(d, "user", s->user) ||
		  !cJSON_AddNumberToObject(d, "session", (double)s->id) ||
		  !cJSON_AddStringToObject(d, "method", s->method) ||
		  !cJSON_AddStringToObject(d, "expires", when) ||
		  !cJSON_AddStringToObject(d, "csrf", csrf))) {
		cJSON_Delete(d);
		d = NULL;
	}
	wipe(csrf, sizeof(csrf));
	return srv_respond_doc(r, status, d);
}

enum MHD_Result auth_login(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s;
	char *user = NULL, *password = NULL;
	char addr[64], ukey[LIM_KEY], akey[LIM_KEY];
	char value[NHIR_SESSION_SIZE];
	int64_t now = (int64_t)time(NULL);
	unsigned wait;
	bool form, by_user = false;
	enum MHD_Result ok;
	enum nhir_rc rc;

	form = srv_content_type(r, "application/x-www-form-urlencoded");
	if (!form && !srv_content_type(r, "application/json"))
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type", "the body must be "
				   "application/json or application/"
				   "x-www-form-urlencoded");
	if (srv_decode_login(r->body, r->len, form, &user, &password, &err))
		return srv_fail(r, &err);
	srv_client_address(r, addr, sizeof(addr));
	lim_keys(user, addr, ukey, akey);
	wait = lim_wait(srv_limits(r->srv), ukey, akey, now, &by_user);
	if (wait) {
		char why[160];

		srv_free_secret(password);
		snprintf(why, sizeof(why), "too many failed logins %s; try "
			 "again in %u s", by_user ? "for this user"
			 : "from this address", wait);
		srv_log("429 %s %s: %s (user %.64s, from %s)", r->method,
			r->url, why, user, addr);
		srv_free_secret(user);
		r->retry_after = wait;
		return srv_problem(r, 429, NHIR_EDENIED, "too-many-logins",
				   "Too many failed logins", why);
	}
	r->st = srv_store(r->srv, &err);
	rc = r->st ? nhir_login_password(r->st, user, password, addr, 0,
					 value, &s, &err) : err.rc;
	srv_free_secret(password);
	if (rc == NHIR_EDENIED) {
		lim_fail(srv_limits(r->srv), ukey, akey, now);
		srv_log("401 %s %s: %s (user %.64s, from %s)", r->method,
			r->url, err.msg, user, addr);
		srv_free_secret(user);
		return srv_problem(r, 401, NHIR_EDENIED, "unauthenticated",
				   "Authentication failed", err.msg);
	}
	srv_free_secret(user);
	if (rc)
		return srv_fail(r, &err);
	lim_clear(srv_limits(r->srv), ukey, now);
	srv_log("200 %s %s: session %" PRId64 " of %s, from %s", r->method,
		r->url, s.id, s.user, addr);
	auth_set_cookie(r, value, s.expires - s.created);
	ok = auth_session_doc(r, 200, &s, value);
	wipe(value, sizeof(value));
	wipe(r->set_cookie, sizeof(r->set_cookie));
	return ok;
}

enum MHD_Result auth_logout(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *d;

	if (!r->cookie)
		return srv_problem(r, 400, NHIR_EINVAL, "no-session",
				   "Bad request", "logout ends a browser "
				   "session; this request carries an API "
				   "token instead");
	if (nhir_logout(r->st, r->cookie, &err))
		return srv_fail(r, &err);
	srv_log("200 %s %s: session %" PRId64 " of %s ended", r->method,
		r->url, r->session, r->user);
	auth_set_cookie(r, "", 0);
	d = cJSON_CreateObject();
	if (d && (!cJSON_AddStringToObject(d, "user", r->user) ||
		  !cJSON_AddNumberToObject(d, "session", (double)r->session) ||
		  !cJSON_AddBoolToObject(d, "ended", true))) {
		cJSON_Delete(d);
		d = NULL;
	}
	return srv_respond_doc(r, 200, d);
}

enum MHD_Result auth_session(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s;
	cJSON *d;

	if (r->cookie) {
		if (nhir_session_check(r->st, r->cookie, nhir_time_now(), &s,
				       &err))
			return srv_fail(r, &err);
		return auth_session_doc(r, 200, &s, r->cookie);
	}
	d = cJSON_CreateObject();
	if (d && (!cJSON_AddStringToObject(d, "user", r->user) ||
		  !cJSON_AddNumberToObject(d, "token", (double)r->token))) {
		cJSON_Delete(d);
		d = NULL;
	}
	return srv_respond_doc(r, 200, d);
}
