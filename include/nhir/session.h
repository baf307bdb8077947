/*
 * Local passwords and browser sessions: how a person signs in to
 * nhir serve without an API token.
 *
 * A password is kept only as its Argon2id string (libsodium's
 * crypto_pwhash, salt and cost inside); an admin may turn local
 * passwords off ("nhir config set passwords off").  Signing in makes a
 * session: a cookie value "nhirs_" and 43 characters of URL-safe base64
 * (32 random bytes), shown once to the browser; the database keeps only
 * its keyed hash (BLAKE2b, the key of include/nhir/token.h).  A session
 * expires, or ends at logout.  Its CSRF token is derived from the
 * cookie with the same key (a different input), so nothing more is
 * stored and it cannot be guessed without the cookie.  Signing in,
 * failing to and signing out are on the audit log, by session id.
 */
#ifndef NHIR_SESSION_H
#define NHIR_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "store.h"

#define NHIR_SESSION_PREFIX "nhirs_"
/* "nhirs_" + 43 characters + NUL */
#define NHIR_SESSION_SIZE 50
/* The CSRF token: 43 characters + NUL. */
#define NHIR_CSRF_SIZE 44
/* How long a session lives, by default and at most. */
#define NHIR_SESSION_TTL_DEFAULT ((int64_t)8 * 3600)
#define NHIR_SESSION_TTL_MAX ((int64_t)7 * 24 * 3600)
/* Bytes of a password, at least and at most. */
#define NHIR_PASSWORD_MIN 12
#define NHIR_PASSWORD_MAX 1024
/* The Argon2id string of a password, NUL included, at most. */
#define NHIR_PWHASH_MAX 128

struct nhir_session {
	int64_t id;
	char user[128];
	char method[16];	/* "password" or "oidc" */
	char address[64];	/* the client's, as the server saw it */
	int64_t created;
	int64_t expires;
	int64_t ended;		/* NHIR_TIME_UNSET: not ended */
};

/*
 * Sets (password non-NULL) or removes (NULL) user's local password: an
 * admin for anyone, anyone else for themselves only.  password is
 * NHIR_PASSWORD_MIN to NHIR_PASSWORD_MAX bytes without control
 * characters.  On the audit log as "user.passwd" naming the user, never
 * the password or its hash.
 */
enum nhir_rc nhir_password_set(const struct nhir_ctx *ctx, const char *user,
			       const char *password, struct nhir_err *err);

/* Are local passwords on (the setting "passwords", on by default)? */
enum nhir_rc nhir_passwords_enabled(struct nhir_store *st, bool *on,
				    struct nhir_err *err);

/*
 * Signs user in with password from address (for the audit log): a new
 * session living ttl seconds (0: NHIR_SESSION_TTL_DEFAULT) with its
 * cookie in value.  NHIR_EDENIED when passwords are off, the user is
 * unknown or deactivated, has no password or gives a wrong one: the
 * message is the same for all but the first, and the audit log
 * ("login.failed") says which.  A success is "login" with the session
 * id, in the session's own transaction.
 */
enum nhir_rc nhir_login_password(struct nhir_store *st, const char *user,
				 const char *password, const char *address,
				 int64_t ttl, char value[NHIR_SESSION_SIZE],
				 struct nhir_session *out,
				 struct nhir_err *err);

/*
 * A session for user, who proved who they are by method (an identity
 * provider): as the success half of nhir_login_password.  The user
 * must exist and be active (NHIR_EDENIED otherwise, on the audit log
 * as "login.failed").
 */
enum nhir_rc nhir_session_open(struct nhir_store *st, const char *user,
			       const char *method, const char *address,
			       int64_t ttl, char value[NHIR_SESSION_SIZE],
			       struct nhir_session *out,
			       struct nhir_err *err);

/*
 * Records a failed sign-in (what, for whom, from where) on the audit
 * log as "login.failed": for failures found before the library, such
 * as an identity provider's answer that does not hold.
 */
void nhir_login_failed(struct nhir_store *st, const char *user,
		       const char *method, const char *address,
		       const char *why);

/*
 * Whose session is value?  NHIR_OK with it in *out when it is known,
 * not ended, unexpired at now and its user active; else NHIR_EDENIED
 * with the reason (never quoting the value); out->id is set when the
 * session is known.
 */
enum nhir_rc nhir_session_check(struct nhir_store *st, const char *value,
				int64_t now, struct nhir_session *out,
				struct nhir_err *err);

/* The CSRF token of session value. */
enum nhir_rc nhir_session_csrf(struct nhir_store *st, const char *value,
			       char csrf[NHIR_CSRF_SIZE],
			       struct nhir_err *err);
/* Is given the CSRF token of value?  Compared in constant time. */
bool nhir_session_csrf_ok(struct nhir_store *st, const char *value,
			  const char *given);

/*
 * Ends session value (a known, live one; NHIR_EDENIED otherwise).  On
 * the audit log as "logout" by the session's user.
 */
enum nhir_rc nhir_logout(struct nhir_store *st, const char *value,
			 struct nhir_err *err);

/*
 * The live sessions (not ended, unexpired at now, of an active user:
 * a deactivated user's sessions do not work) in id order: an
 * admin's of user (NULL: everyone's), anyone else's own only (user
 * NULL or themselves; another's is NHIR_EDENIED, on the audit log).
 * Never a cookie or its hash.
 */
typedef int (*nhir_session_cb)(const struct nhir_session *s, void *data);
enum nhir_rc nhir_session_list(const struct nhir_ctx *ctx, const char *user,
			       int64_t now, nhir_session_cb cb, void *data,
			       struct nhir_err *err);

/*
 * Ends session id: an admin, or its own user.  A session not live
 * (unknown, ended, expired) is NHIR_ENOTFOUND.  On the audit log as
 * "session.end" by actor, naming the session and its user, in the
 * same transaction; *out is the session as it was.
 */
enum nhir_rc nhir_session_end(const struct nhir_ctx *ctx, int64_t id,
			      struct nhir_session *out, struct nhir_err *err);

#endif
