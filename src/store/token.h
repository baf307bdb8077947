/*
 * The store's typed interface for API tokens (src/record/token.c): the
 * tokens by their keyed hash, and the database's hashing key.  The
 * rules (who may, expiry, scope) are in src/record/token.c; this only
 * stores and fetches.  The SQLite one is src/store/sqlite/token.c.
 * Conventions as in store/record.h.
 */
#ifndef NHIR_STORE_TOKEN_H
#define NHIR_STORE_TOKEN_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/store.h"
#include "nhir/session.h"
#include "nhir/token.h"

#define NHIR_TOKEN_KEY_LEN 32	/* bytes of the hashing key */
#define NHIR_TOKEN_HASH_HEX 65	/* 32 bytes in hex, NUL */

struct nhir_token_store_ops {
	unsigned version;

	/*
	 * The database's token hashing key into key; *found false when
	 * none was made yet.
	 */
	enum nhir_rc (*key_read)(struct nhir_store *st,
				 unsigned char key[NHIR_TOKEN_KEY_LEN],
				 bool *found, struct nhir_err *err);
	/* Stores the key; NHIR_ECONFLICT when there is one already. */
	enum nhir_rc (*key_insert)(struct nhir_store *st,
				   const unsigned char key[NHIR_TOKEN_KEY_LEN],
				   struct nhir_err *err);
	/*
	 * Adds t (all but id, last_used, revoked, revoked_by) with the
	 * keyed hash of its value (hex); *id is the new token's id.
	 */
	enum nhir_rc (*token_insert)(struct nhir_store *st,
				     const struct nhir_token *t,
				     const char *hash, int64_t *id,
				     struct nhir_err *err);
	/* The token whose hash is hash (hex); *found false when none. */
	enum nhir_rc (*token_by_hash)(struct nhir_store *st, const char *hash,
				      struct nhir_token *out, bool *found,
				      struct nhir_err *err);
	/* Token id; *found false when none. */
	enum nhir_rc (*token_read)(struct nhir_store *st, int64_t id,
				   struct nhir_token *out, bool *found,
				   struct nhir_err *err);
	/* Each token (of user, or all when NULL) in id order. */
	enum nhir_rc (*tokens_read)(struct nhir_store *st, const char *user,
				    nhir_token_cb cb, void *data,
				    struct nhir_err *err);
	/* Marks token id revoked at at by by. */
	enum nhir_rc (*token_revoke)(struct nhir_store *st, int64_t id,
				     int64_t at, const char *by,
				     struct nhir_err *err);
	/*
	 * Sets the last use of token id to at, unless it is within grain
	 * seconds of the one stored.
	 */
	enum nhir_rc (*token_used)(struct nhir_store *st, int64_t id,
				   int64_t at, int64_t grain,
				   struct nhir_err *err);

	/* ---- local passwords and sessions (src/record/session.c) ---- */

	/* user's Argon2id string into hash; *found false when none. */
	enum nhir_rc (*password_read)(struct nhir_store *st, const char *user,
				      char hash[NHIR_PWHASH_MAX], bool *found,
				      struct nhir_err *err);
	/* Sets user's (hash non-NULL) or removes it (NULL). */
	enum nhir_rc (*password_write)(struct nhir_store *st, const char *user,
				       const char *hash, int64_t at,
				       const char *by, struct nhir_err *err);
	/*
	 * Adds s (all but id and ended) with the keyed hash of its cookie
	 * (hex); *id is the new session's id.
	 */
	enum nhir_rc (*session_insert)(struct nhir_store *st,
				       const struct nhir_session *s,
				       const char *hash, int64_t *id,
				       struct nhir_err *err);
	/* The session whose hash is hash; *found false when none. */
	enum nhir_rc (*session_by_hash)(struct nhir_store *st,
					const char *hash,
					struct nhir_session *out, bool *found,
					struct nhir_err *err);
	/* Ends session id at at (once: a second time changes nothing). */
	enum nhir_rc (*session_end)(struct nhir_store *st, int64_t id,
				    int64_t at, struct nhir_err *err);
	/* Forgets the sessions that expired or ended before before. */
	enum nhir_rc (*sessions_purge)(struct nhir_store *st, int64_t before,
				       struct nhir_err *err);
	/*
	 * Each session not ended and expiring after now (of user, or all
	 * when NULL; user as stored) in id order.
	 */
	enum nhir_rc (*sessions_read)(struct nhir_store *st, const char *user,
				      int64_t now, nhir_session_cb cb,
				      void *data, struct nhir_err *err);
	/* Session id; *found false when none. */
	enum nhir_rc (*session_read)(struct nhir_store *st, int64_t id,
				     struct nhir_session *out, bool *found,
				     struct nhir_err *err);
};

/* The interface of st's backend. */
const struct nhir_token_store_ops *nhir_token_store(struct nhir_store *st);

#endif
