/*
 * API tokens: how a user proves who they are to nhir serve.
 *
 * A token is "nhir_" and 43 characters of URL-safe base64 (32 random
 * bytes from libsodium).  It is shown once, when it is made; the
 * database keeps only its keyed hash (BLAKE2b keyed with a secret of
 * this database, made on first use), so a copy of the token table
 * alone lets nobody sign in.  Each token belongs to one user, has a
 * scope (read: GET only; write: also changes) and may expire; it can
 * be revoked.  Making and revoking tokens are changes on the audit log,
 * naming the token by id, never by value.
 */
#ifndef NHIR_TOKEN_H
#define NHIR_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include "ctx.h"
#include "error.h"
#include "store.h"

#define NHIR_TOKEN_PREFIX "nhir_"
/* "nhir_" + 43 characters + NUL */
#define NHIR_TOKEN_SIZE 49
/* The longest a token lives, and its default: 90 days. */
#define NHIR_TOKEN_TTL_MAX ((int64_t)365 * 24 * 3600)
#define NHIR_TOKEN_TTL_DEFAULT ((int64_t)90 * 24 * 3600)
/* last_used is written at most once in this many seconds per token. */
#define NHIR_TOKEN_USE_GRAIN 60

enum nhir_token_scope {
	NHIR_TOKEN_READ = 1,	/* reads only */
	NHIR_TOKEN_WRITE = 2,	/* reads and changes */
};

const char *nhir_token_scope_name(enum nhir_token_scope s);
/* The scope named s, or 0. */
enum nhir_token_scope nhir_token_scope_parse(const char *s);

struct nhir_token {
	int64_t id;
	char user[128];
	enum nhir_token_scope scope;
	int64_t created;
	char created_by[128];
	int64_t expires;	/* NHIR_TIME_UNSET: never */
	int64_t last_used;	/* NHIR_TIME_UNSET: not yet */
	int64_t revoked;	/* NHIR_TIME_UNSET: not revoked */
	char revoked_by[128];
};

/*
 * Parses a duration: a number and a unit, s m h d or w ("90d", "12h");
 * false when s is none.
 */
bool nhir_duration_parse(const char *s, int64_t *seconds);

/*
 * Makes a token for user (an active user) with scope, living ttl
 * seconds (0: NHIR_TOKEN_TTL_DEFAULT; at most NHIR_TOKEN_TTL_MAX).
 * Only an admin may (for anyone, themselves included).  The token is
 * written to value, once; *id is its id.  On the audit log as
 * "token.create" with the id, user, scope and expiry.
 */
enum nhir_rc nhir_token_create(const struct nhir_ctx *ctx, const char *user,
			       enum nhir_token_scope scope, int64_t ttl,
			       char value[NHIR_TOKEN_SIZE], int64_t *id,
			       struct nhir_err *err);

/*
 * Revokes token id: an admin, or the token's own user.  Revoking a
 * revoked token is NHIR_ECONFLICT.  On the audit log as "token.revoke".
 */
enum nhir_rc nhir_token_revoke(const struct nhir_ctx *ctx, int64_t id,
			       struct nhir_err *err);

typedef int (*nhir_token_cb)(const struct nhir_token *t, void *data);
/*
 * The tokens actor may see, in id order: an admin sees all, anyone
 * else their own.  Needs an active user.
 */
enum nhir_rc nhir_token_list(const struct nhir_ctx *ctx, nhir_token_cb cb,
			     void *data, struct nhir_err *err);

/*
 * Who holds value?  NHIR_OK with the token in *out when it is known,
 * unrevoked, unexpired at now, and its user is active; its last use is
 * then recorded (to NHIR_TOKEN_USE_GRAIN seconds).  Else NHIR_EDENIED
 * with the reason in err, never quoting the value; *out is filled when
 * the token is known (out->id nonzero), so that the refusal can name it.
 */
enum nhir_rc nhir_token_check(struct nhir_store *st, const char *value,
			      int64_t now, struct nhir_token *out,
			      struct nhir_err *err);

#endif
