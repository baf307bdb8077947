/*
 * API tokens (include/nhir/token.h): made by an admin, shown once,
 * kept as a keyed hash, checked by nhir serve on every request.
 */
#include "compat.h"
#include <ctype.h>
#include <sodium.h>
#include "nhir/model.h"
#include "nhir/token.h"
#include "record/record-internal.h"
#include "store/token.h"

#define RAW_LEN 32		/* random bytes in a token */
#define B64_LEN 43		/* their URL-safe base64, unpadded */

const char *nhir_token_scope_name(enum nhir_token_scope s)
{
	return s == NHIR_TOKEN_WRITE ? "write" :
	       s == NHIR_TOKEN_READ ? "read" : "none";
}

enum nhir_token_scope nhir_token_scope_parse(const char *s)
{
	if (s && !strcmp(s, "read"))
		return NHIR_TOKEN_READ;
	if (s && !strcmp(s, "write"))
		return NHIR_TOKEN_WRITE;
	return 0;
}

bool nhir_duration_parse(const char *s, int64_t *seconds)
{
	static const struct { char unit; int64_t secs; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	int64_t n = 0;
	const char *p = s;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10)
			return false;
		n = n * 10 + (*p - '0');
	}
	if (!*p) {
		*seconds = n;
		return true;
	}
	if (p[1])
		return false;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(units); i++)
		if (units[i].unit == *p) {
			if (n > INT64_MAX / units[i].secs)
				return false;
			*seconds = n * units[i].secs;
			return true;
		}
	return false;
}

enum nhir_rc ir_token_key(struct nhir_store *st,
			      unsigned char key[NHIR_TOKEN_KEY_LEN], bool make,
			      bool *found, struct nhir_err *err)
{
	const struct nhir_token_store_ops *ops = nhir_token_store(st);
	enum nhir_rc rc = ops->key_read(st, key, found, err);

	if (rc || *found || !make)
		return rc;
	randombytes_buf(key, NHIR_TOKEN_KEY_LEN);
	rc = ops->key_insert(st, key, err);
	*found = !rc;
	return rc;
}

void ir_token_hash(const unsigned char key[NHIR_TOKEN_KEY_LEN],
		       const char *value, char hex[NHIR_TOKEN_HASH_HEX])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof(h), (const unsigned char *)value,
			   strlen(value), key, NHIR_TOKEN_KEY_LEN);
	sodium_bin2hex(hex, NHIR_TOKEN_HASH_HEX, h, sizeof(h));
	sodium_memzero(h, sizeof(h));
}

static bool token_shaped(const char *v)
{
	size_t n = strlen(NHIR_TOKEN_PREFIX);

	if (strncmp(v, NHIR_TOKEN_PREFIX, n) ||
	    strlen(v) != NHIR_TOKEN_SIZE - 1)
		return false;
	for (v += n; *v; v++)
		if (!isalnum((unsigned char)*v) && *v != '-' && *v != '_')
			return false;
	return true;
}

static void time_member(cJSON *d, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET) {
		cJSON_AddNullToObject(d, name);
		return;
	}
	nhir_time_format(t, buf, sizeof(buf));
	cJSON_AddStringToObject(d, name, buf);
}

enum nhir_rc nhir_token_create(const struct nhir_ctx *ctx, const char *user,
			       enum nhir_token_scope scope, int64_t ttl,
			       char value[NHIR_TOKEN_SIZE], int64_t *id,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	unsigned char key[NHIR_TOKEN_KEY_LEN], raw[RAW_LEN];
	char hash[NHIR_TOKEN_HASH_HEX];
	struct nhir_token t;
	struct nhir_user u;
	cJSON *d;
	enum nhir_rc rc;
	bool found = false;

	value[0] = '\0';
	*id = 0;
	if (scope != NHIR_TOKEN_READ && scope != NHIR_TOKEN_WRITE)
		return nhir_err_set(err, NHIR_EINVAL,
				    "a token's scope is read or write");
	if (!ttl)
		ttl = NHIR_TOKEN_TTL_DEFAULT;
	if (ttl < 0 || ttl > NHIR_TOKEN_TTL_MAX)
		return nhir_err_set(err, NHIR_EINVAL, "a token lives from 1 "
				    "second to %" PRId64 " days",
				    NHIR_TOKEN_TTL_MAX / 86400);
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = ir_begin(ctx, NHIR_PERM_ADMIN, 0, "token.create", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, user, &u, err);
	if (!rc && !u.active)
		rc = nhir_err_set(err, NHIR_EINVAL, "user '%s' is deactivated",
				  user);
	if (!rc)
		rc = ir_token_key(st, key, true, &found, err);
	memset(&t, 0, sizeof(t));
	if (!rc) {
		randombytes_buf(raw, sizeof(raw));
		memcpy(value, NHIR_TOKEN_PREFIX, strlen(NHIR_TOKEN_PREFIX));
		sodium_bin2base64(value + strlen(NHIR_TOKEN_PREFIX),
				  NHIR_TOKEN_SIZE - strlen(NHIR_TOKEN_PREFIX),
				  raw, sizeof(raw),
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof(raw));
		ir_token_hash(key, value, hash);
		ir_copy(t.user, sizeof(t.user), u.name);	/* as added */
		t.scope = scope;
		t.created = nhir_ctx_now(ctx);
		ir_copy(t.created_by, sizeof(t.created_by), actor);
		t.expires = t.created + ttl;
		rc = nhir_token_store(st)->token_insert(st, &t, hash, id, err);
	}
	sodium_memzero(key, sizeof(key));
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "token", (double)*id);
		cJSON_AddStringToObject(d, "user", rc ? user : t.user);
		cJSON_AddStringToObject(d, "scope",
					nhir_token_scope_name(scope));
		time_member(d, "expires", rc ? NHIR_TIME_UNSET : t.expires);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = ir_end(ctx, rc, "token.create", 0, d, err);
	if (rc) {
		sodium_memzero(value, NHIR_TOKEN_SIZE);
		*id = 0;
	}
	return rc;
}

enum nhir_rc nhir_token_revoke(const struct nhir_ctx *ctx, int64_t id,
			       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_token t;
	struct nhir_user u;
	cJSON *d;
	enum nhir_rc rc;
	bool found = false;

	rc = ir_begin(ctx, NHIR_PERM_READ, 0, "token.revoke", err);
	if (rc)
		return rc;
	rc = nhir_user_get(st, actor, &u, err);
	if (!rc)
		rc = nhir_token_store(st)->token_read(st, id, &t, &found, err);
	if (!rc && !found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "no token %" PRId64, id);
	if (!rc && u.role != NHIR_ROLE_ADMIN && strcmp(t.user, u.name)) {
		nhir_err_set(err, NHIR_EDENIED, "%s (%s) may revoke only their "
			     "own tokens; token %" PRId64 " is %s's", u.name,
			     nhir_role_name(u.role), id, t.user);
		nhir_store_rollback(st);
		nhir_audit_denied(ctx, "token.revoke", 0, err->msg);
		return NHIR_EDENIED;
	}
	if (!rc && t.revoked != NHIR_TIME_UNSET)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "token %" PRId64
				  " is revoked already", id);
	if (!rc)
		rc = nhir_token_store(st)->token_revoke(st, id, nhir_ctx_now(ctx),
							actor, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "token", (double)id);
		if (found)
			cJSON_AddStringToObject(d, "user", t.user);
	} else if (!rc) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	return ir_end(ctx, rc, "token.revoke", 0, d, err);
}

enum nhir_rc nhir_token_list(const struct nhir_ctx *ctx, nhir_token_cb cb,
			     void *data, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_user u;
	enum nhir_rc rc;

	rc = nhir_authorize(ctx, NHIR_PERM_READ, 0, err);
	if (!rc)
		rc = nhir_user_get(st, actor, &u, err);
	if (rc)
		return rc;
	return nhir_token_store(st)->tokens_read(
		st, u.role == NHIR_ROLE_ADMIN ? NULL : u.name, cb, data, err);
}

enum nhir_rc nhir_token_check(struct nhir_store *st, const char *value,
			      int64_t now, struct nhir_token *out,
			      struct nhir_err *err)
{
	unsigned char key[NHIR_TOKEN_KEY_LEN];
	char hash[NHIR_TOKEN_HASH_HEX], when[40];
	struct nhir_user u;
	enum nhir_rc rc;
	bool found = false;

	memset(out, 0, sizeof(*out));
	if (!value || !token_shaped(value))
		return nhir_err_set(err, NHIR_EDENIED, "not an nhir API token");
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = ir_token_key(st, key, false, &found, err);
	if (!rc && found) {
		ir_token_hash(key, value, hash);
		rc = nhir_token_store(st)->token_by_hash(st, hash, out, &found,
							 err);
	}
	sodium_memzero(key, sizeof(key));
	if (rc)
		return rc;
	if (!found)
		return nhir_err_set(err, NHIR_EDENIED, "unknown API token");
	if (out->revoked != NHIR_TIME_UNSET) {
		nhir_time_format(out->revoked, when, sizeof(when));
		return nhir_err_set(err, NHIR_EDENIED, "token %" PRId64
				    " was revoked at %s", out->id, when);
	}
	if (out->expires != NHIR_TIME_UNSET && now >= out->expires) {
		nhir_time_format(out->expires, when, sizeof(when));
		return nhir_err_set(err, NHIR_EDENIED, "token %" PRId64
				    " expired at %s", out->id, when);
	}
	rc = nhir_user_get(st, out->user, &u, err);
	if (rc == NHIR_ENOTFOUND || (!rc && !u.active))
		return nhir_err_set(err, NHIR_EDENIED, "the user of token %"
				    PRId64 ", %s, %s", out->id, out->user,
				    rc ? "is no user" : "is deactivated");
	if (rc)
		return rc;
	/* the token acts as its user as added (older tokens kept the
	 * name as typed): the library acts only as names spelled so */
	ir_copy(out->user, sizeof(out->user), u.name);
	if (out->last_used != NHIR_TIME_UNSET &&
	    now - out->last_used < NHIR_TOKEN_USE_GRAIN &&
	    now >= out->last_used)
		return NHIR_OK;
	/* a read-only store (a standby) keeps the primary's last use */
	if (nhir_store_readonly(st))
		return NHIR_OK;
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_token_store(st)->token_used(st, out->id, now,
						      NHIR_TOKEN_USE_GRAIN, err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc)
		nhir_store_rollback(st);
	else
		out->last_used = now;
	return rc;
}
