/*
 * Local passwords and browser sessions (include/nhir/session.h): a
 * password kept as its Argon2id string, a session by the keyed hash of
 * its cookie, a CSRF token derived from the cookie.
 */
#include "compat.h"
#include <ctype.h>
#include <sodium.h>
#include "nhir/model.h"
#include "nhir/session.h"
#include "record/record-internal.h"
#include "store/token.h"

#define RAW_LEN 32		/* random bytes in a session cookie */
#define B64_LEN 43		/* their URL-safe base64, unpadded */
#define PURGE_AFTER ((int64_t)30 * 86400)	/* old sessions kept */

static const char bad_login[] = "wrong user name or password";

static bool session_shaped(const char *v)
{
	size_t n = strlen(NHIR_SESSION_PREFIX);

	if (!v || strncmp(v, NHIR_SESSION_PREFIX, n) ||
	    strlen(v) != NHIR_SESSION_SIZE - 1)
		return false;
	for (v += n; *v; v++)
		if (!isalnum((unsigned char)*v) && *v != '-' && *v != '_')
			return false;
	return true;
}

static enum nhir_rc password_fit(const char *pw, struct nhir_err *err)
{
	size_t n = strlen(pw);

	if (n < NHIR_PASSWORD_MIN)
		return nhir_err_set(err, NHIR_EINVAL, "a password has at least "
				    "%d bytes", NHIR_PASSWORD_MIN);
	if (n > NHIR_PASSWORD_MAX)
		return nhir_err_set(err, NHIR_EINVAL, "a password has at most "
				    "%d bytes", NHIR_PASSWORD_MAX);
	for (; *pw; pw++)
		if ((unsigned char)*pw < 0x20 || *pw == 0x7f)
			return nhir_err_set(err, NHIR_EINVAL, "a password has "
					    "no control characters");
	return NHIR_OK;
}

static enum nhir_rc pwhash(const char *pw, char out[NHIR_PWHASH_MAX],
			   struct nhir_err *err)
{
	if (crypto_pwhash_str_alg(out, pw, strlen(pw),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory hashing "
				    "a password");
	return NHIR_OK;
}

static void time_member(cJSON *d, const char *name, int64_t t)
{
	char buf[40];

	nhir_time_format(t, buf, sizeof(buf));
	cJSON_AddStringToObject(d, name, buf);
}

enum nhir_rc nhir_password_set(const struct nhir_ctx *ctx, const char *user,
			       const char *password, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	char hash[NHIR_PWHASH_MAX];
	struct nhir_user a, u;
	cJSON *d;
	enum nhir_rc rc;

	if (password && (rc = password_fit(password, err)))
		return rc;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	/* hashed before the transaction: it takes a while */
	if (password && (rc = pwhash(password, hash, err)))
		return rc;
	rc = ir_begin(ctx, NHIR_PERM_READ, 0, "user.passwd", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, actor, &a, err);
	if (!rc)
		rc = nhir_user_get(st, user, &u, err);
	if (!rc && a.role != NHIR_ROLE_ADMIN && strcmp(a.name, u.name)) {
		nhir_err_set(err, NHIR_EDENIED, "%s (%s) may set only their "
			     "own password, not %s's", a.name,
			     nhir_role_name(a.role), u.name);
		nhir_store_rollback(st);
		nhir_audit_denied(ctx, "user.passwd", 0, err->msg);
		sodium_memzero(hash, sizeof(hash));
		return NHIR_EDENIED;
	}
	if (!rc)
		rc = nhir_token_store(st)->password_write(
			st, u.name, password ? hash : NULL, nhir_ctx_now(ctx),
			a.name, err);
	sodium_memzero(hash, sizeof(hash));
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "user", rc ? user : u.name);
		cJSON_AddBoolToObject(d, "removed", !password);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(ctx, rc, "user.passwd", 0, d, err);
}

enum nhir_rc nhir_passwords_enabled(struct nhir_store *st, bool *on,
				    struct nhir_err *err)
{
	char v[16];
	bool found = false;
	enum nhir_rc rc;

	*on = false;
	rc = nhir_setting_get(st, "passwords", v, sizeof(v), &found, err);
	if (rc)
		return rc;
	*on = !found || strcmp(v, "off");
	return NHIR_OK;
}

void nhir_login_failed(struct nhir_store *st, const char *user,
		       const char *method, const char *address,
		       const char *why)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char who[NHIR_USER_NAME_MAX + 40];
	cJSON *d;

	/* a name no user can have is kept short: its start and its size */
	if (!user || !*user) {
		user = "(none)";
	} else if (strlen(user) > NHIR_USER_NAME_MAX) {
		snprintf(who, sizeof(who), "%.32s...(%zu bytes)", user,
			 strlen(user));
		user = who;
	}
	d = cJSON_CreateObject();
	if (!d)
		return;
	cJSON_AddStringToObject(d, "method", method);
	cJSON_AddStringToObject(d, "address", address ? address : "");
	cJSON_AddStringToObject(d, "reason", why);
	if (!nhir_store_begin(st, &err))
		ir_end(IR_AS(st, user), NHIR_OK, "login.failed", 0, d, &err);
	else
		cJSON_Delete(d);
}

/* A new session of u, made and audited in one transaction. */
static enum nhir_rc open_session(struct nhir_store *st,
				 const struct nhir_user *u,
				 const char *method, const char *address,
				 int64_t ttl, char value[NHIR_SESSION_SIZE],
				 struct nhir_session *out,
				 struct nhir_err *err)
{
	unsigned char key[NHIR_TOKEN_KEY_LEN], raw[RAW_LEN];
	char hash[NHIR_TOKEN_HASH_HEX];
	const struct nhir_token_store_ops *ops = nhir_token_store(st);
	struct nhir_session s;
	bool found = false;
	cJSON *d;
	enum nhir_rc rc;

	memset(&s, 0, sizeof(s));
	ir_copy(s.user, sizeof(s.user), u->name);
	ir_copy(s.method, sizeof(s.method), method);
	ir_copy(s.address, sizeof(s.address), address);
	s.created = nhir_store_now(st);
	s.expires = s.created + ttl;
	s.ended = NHIR_TIME_UNSET;
	rc = nhir_store_begin(st, err);
	if (rc)
		return rc;
	rc = ir_token_key(st, key, true, &found, err);
	if (!rc) {
		randombytes_buf(raw, sizeof(raw));
		memcpy(value, NHIR_SESSION_PREFIX,
		       strlen(NHIR_SESSION_PREFIX));
		sodium_bin2base64(value + strlen(NHIR_SESSION_PREFIX),
				  NHIR_SESSION_SIZE -
					  strlen(NHIR_SESSION_PREFIX),
				  raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof(raw));
		ir_token_hash(key, value, hash);
		rc = ops->sessions_purge(st, s.created - PURGE_AFTER, err);
	}
	sodium_memzero(key, sizeof(key));
	if (!rc)
		rc = ops->session_insert(st, &s, hash, &s.id, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "session", (double)s.id);
		cJSON_AddStringToObject(d, "method", method);
		cJSON_AddStringToObject(d, "address", s.address);
		time_member(d, "expires", s.expires);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = ir_end(IR_AS(st, u->name), rc, "login", 0, d, err);
	if (rc) {
		sodium_memzero(value, NHIR_SESSION_SIZE);
		value[0] = '\0';
		return rc;
	}
	*out = s;
	return NHIR_OK;
}

static enum nhir_rc session_ttl(int64_t *ttl, struct nhir_err *err)
{
	if (!*ttl)
		*ttl = NHIR_SESSION_TTL_DEFAULT;
	if (*ttl < 0 || *ttl > NHIR_SESSION_TTL_MAX)
		return nhir_err_set(err, NHIR_EINVAL, "a session lives from 1 "
				    "second to %" PRId64 " hours",
				    NHIR_SESSION_TTL_MAX / 3600);
	return NHIR_OK;
}

enum nhir_rc nhir_session_open(struct nhir_store *st, const char *user,
			       const char *method, const char *address,
			       int64_t ttl, char value[NHIR_SESSION_SIZE],
			       struct nhir_session *out,
			       struct nhir_err *err)
{
	struct nhir_user u;
	enum nhir_rc rc;

	value[0] = '\0';
	memset(out, 0, sizeof(*out));
	if ((rc = session_ttl(&ttl, err)))
		return rc;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = nhir_user_get(st, user, &u, err);
	if (rc == NHIR_ENOTFOUND || (!rc && !u.active)) {
		char why[NHIR_USER_NAME_MAX + 64];

		snprintf(why, sizeof(why), "%s is %s", user,
			 rc ? "no nhir user" : "deactivated");
		nhir_login_failed(st, user, method, address, why);
		return nhir_err_set(err, NHIR_EDENIED, "%s", why);
	}
	if (rc)
		return rc;
	return open_session(st, &u, method, address, ttl, value, out, err);
}

enum nhir_rc nhir_login_password(struct nhir_store *st, const char *user,
				 const char *password, const char *address,
				 int64_t ttl, char value[NHIR_SESSION_SIZE],
				 struct nhir_session *out,
				 struct nhir_err *err)
{
	char hash[NHIR_PWHASH_MAX], dummy[NHIR_PWHASH_MAX];
	const char *why = NULL;
	struct nhir_user u;
	bool on = false, found = false;
	enum nhir_rc rc;

	value[0] = '\0';
	memset(out, 0, sizeof(*out));
	if ((rc = session_ttl(&ttl, err)))
		return rc;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	if ((rc = nhir_passwords_enabled(st, &on, err)))
		return rc;
	if (!on) {
		nhir_login_failed(st, user, "password", address,
				  "local passwords are turned off");
		return nhir_err_set(err, NHIR_EDENIED, "local passwords are "
				    "turned off on this server");
	}
	rc = nhir_user_get(st, user, &u, err);
	if (rc == NHIR_ENOTFOUND)
		why = "no such user";
	else if (rc)
		return rc;
	else if (!u.active)
		why = "the user is deactivated";
	if (!why) {
		rc = nhir_token_store(st)->password_read(st, u.name, hash,
							 &found, err);
		if (rc)
			return rc;
		if (!found)
			why = "the user has no password";
	}
	if (strlen(password) > NHIR_PASSWORD_MAX) {
		why = "the password is too long";
	} else if (found) {
		if (crypto_pwhash_str_verify(hash, password, strlen(password)))
			why = "wrong password";
	} else {
		/* the same work as a check, so that time tells nothing */
		if (pwhash(password, dummy, err))
			return NHIR_ENOMEM;
	}
	sodium_memzero(hash, sizeof(hash));
	if (why) {
		nhir_login_failed(st, rc ? user : u.name, "password", address,
				  why);
		return nhir_err_set(err, NHIR_EDENIED, "%s", bad_login);
	}
	return open_session(st, &u, "password", address, ttl, value, out,
			    err);
}

/* The session of value, known or not, into *out; *found. */
static enum nhir_rc find_session(struct nhir_store *st, const char *value,
				 struct nhir_session *out, bool *found,
				 struct nhir_err *err)
{
	unsigned char key[NHIR_TOKEN_KEY_LEN];
	char hash[NHIR_TOKEN_HASH_HEX];
	enum nhir_rc rc;

	*found = false;
	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = ir_token_key(st, key, false, found, err);
	if (!rc && *found) {
		ir_token_hash(key, value, hash);
		rc = nhir_token_store(st)->session_by_hash(st, hash, out,
							   found, err);
	}
	sodium_memzero(key, sizeof(key));
	return rc;
}

enum nhir_rc nhir_session_check(struct nhir_store *st, const char *value,
				int64_t now, struct nhir_session *out,
				struct nhir_err *err)
{
	char when[40];
	struct nhir_user u;
	bool found = false;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	if (!session_shaped(value))
		return nhir_err_set(err, NHIR_EDENIED, "not an nhir session");
	rc = find_session(st, value, out, &found, err);
	if (rc)
		return rc;
	if (!found)
		return nhir_err_set(err, NHIR_EDENIED, "unknown session");
	if (out->ended != NHIR_TIME_UNSET) {
		nhir_time_format(out->ended, when, sizeof(when));
		return nhir_err_set(err, NHIR_EDENIED, "session %" PRId64
				    " ended at %s", out->id, when);
	}
	if (now >= out->expires) {
		nhir_time_format(out->expires, when, sizeof(when));
		return nhir_err_set(err, NHIR_EDENIED, "session %" PRId64
				    " expired at %s", out->id, when);
	}
	rc = nhir_user_get(st, out->user, &u, err);
	if (rc == NHIR_ENOTFOUND || (!rc && !u.active))
		return nhir_err_set(err, NHIR_EDENIED, "the user of session %"
				    PRId64 ", %s, %s", out->id, out->user,
				    rc ? "is no user" : "is deactivated");
	return rc;
}

enum nhir_rc nhir_session_csrf(struct nhir_store *st, const char *value,
			       char csrf[NHIR_CSRF_SIZE],
			       struct nhir_err *err)
{
	unsigned char key[NHIR_TOKEN_KEY_LEN], h[32];
	crypto_generichash_state g;
	bool found = false;
	enum nhir_rc rc;

	csrf[0] = '\0';
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = ir_token_key(st, key, false, &found, err);
	if (!rc && !found)
		rc = nhir_err_set(err, NHIR_EDENIED, "unknown session");
	if (rc)
		return rc;
	/* the cookie's hash is BLAKE2b(key, cookie): this input differs */
	crypto_generichash_init(&g, key, sizeof(key), sizeof(h));
	crypto_generichash_update(&g, (const unsigned char *)"csrf\n", 5);
	crypto_generichash_update(&g, (const unsigned char *)value,
				  strlen(value));
	crypto_generichash_final(&g, h, sizeof(h));
	sodium_bin2base64(csrf, NHIR_CSRF_SIZE, h, sizeof(h),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(h, sizeof(h));
	return NHIR_OK;
}

bool nhir_session_csrf_ok(struct nhir_store *st, const char *value,
			  const char *given)
{
	char want[NHIR_CSRF_SIZE];
	bool ok;

	if (!given || strlen(given) != NHIR_CSRF_SIZE - 1 ||
	    nhir_session_csrf(st, value, want, NULL))
		return false;
	ok = !sodium_memcmp(want, given, NHIR_CSRF_SIZE - 1);
	sodium_memzero(want, sizeof(want));
	return ok;
}

enum nhir_rc nhir_logout(struct nhir_store *st, const char *value,
			 struct nhir_err *err)
{
	struct nhir_session s;
	cJSON *d;
	enum nhir_rc rc;

	rc = nhir_session_check(st, value, nhir_store_now(st), &s, err);
	if (rc)
		return rc;
	rc = nhir_store_begin(st, err);
	if (rc)
		return rc;
	rc = nhir_token_store(st)->session_end(st, s.id, nhir_store_now(st),
					       err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "session", (double)s.id);
		cJSON_AddStringToObject(d, "method", s.method);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(IR_AS(st, s.user), rc, "logout", 0, d, err);
}

/* Passes on the sessions of active users only: the others are dormant. */
struct live_filter {
	struct nhir_store *st;
	nhir_session_cb cb;
	void *data;
};

static int live_only(const struct nhir_session *s, void *data)
{
	struct live_filter *lf = data;
	struct nhir_user u;

	if (nhir_user_get(lf->st, s->user, &u, NULL) || !u.active)
		return 0;
	return lf->cb(s, lf->data);
}

enum nhir_rc nhir_session_list(const struct nhir_ctx *ctx, const char *user,
			       int64_t now, nhir_session_cb cb, void *data,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct live_filter lf = { st, cb, data };
	struct nhir_user a, u;
	enum nhir_rc rc;

	rc = nhir_authorize(ctx, NHIR_PERM_READ, 0, err);
	if (!rc)
		rc = nhir_user_get(st, actor, &a, err);
	if (!rc && user)
		rc = nhir_user_get(st, user, &u, err);
	if (rc)
		return rc;
	if (a.role != NHIR_ROLE_ADMIN && (!user || strcmp(u.name, a.name))) {
		if (user) {
			nhir_err_set(err, NHIR_EDENIED, "%s (%s) may list only "
				     "their own sessions, not %s's", a.name,
				     nhir_role_name(a.role), u.name);
			nhir_audit_denied(ctx, "session.list", 0, err->msg);
			return NHIR_EDENIED;
		}
		return nhir_token_store(st)->sessions_read(st, a.name, now,
							   live_only, &lf,
							   err);
	}
	return nhir_token_store(st)->sessions_read(st, user ? u.name : NULL,
						   now, live_only, &lf, err);
}

enum nhir_rc nhir_session_end(const struct nhir_ctx *ctx, int64_t id,
			      struct nhir_session *out, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	int64_t now = nhir_ctx_now(ctx);
	struct nhir_user a;
	bool found = false;
	cJSON *d;
	enum nhir_rc rc;

	rc = ir_begin(ctx, NHIR_PERM_READ, 0, "session.end", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, actor, &a, err);
	if (!rc)
		rc = nhir_token_store(st)->session_read(st, id, out, &found,
							err);
	if (!rc && (!found || out->ended != NHIR_TIME_UNSET ||
		    out->expires <= now))
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no live session %"
				  PRId64, id);
	if (!rc && a.role != NHIR_ROLE_ADMIN && strcmp(a.name, out->user)) {
		nhir_err_set(err, NHIR_EDENIED, "%s (%s) may end only their "
			     "own sessions", a.name, nhir_role_name(a.role));
		nhir_store_rollback(st);
		nhir_audit_denied(ctx, "session.end", 0, err->msg);
		return NHIR_EDENIED;
	}
	if (!rc)
		rc = nhir_token_store(st)->session_end(st, id, now, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "session", (double)id);
		if (found)
			cJSON_AddStringToObject(d, "user", out->user);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(ctx, rc, "session.end", 0, d, err);
}
