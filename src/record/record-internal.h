/*
 * Helpers shared by the response record (src/record/): the transaction
 * pattern every change follows.  The record's storage is the record
 * store (src/store/record.h).
 */
#ifndef NHIR_RECORD_INTERNAL_H
#define NHIR_RECORD_INTERNAL_H

#include <stdarg.h>
#include "nhir/record.h"
#include "store/token.h"
#include "nhir/witness.h"

/*
 * A change: begins a transaction and checks authority.  On refusal the
 * transaction is rolled back, the refusal is appended to the audit log
 * and NHIR_EDENIED returned.  op names the operation in that entry.
 */
enum nhir_rc ir_begin(const struct nhir_ctx *ctx, enum nhir_perm perm,
		      int64_t incident, const char *op, struct nhir_err *err);
/*
 * The context of a change a principal makes as itself, on the system
 * clock, where no caller's context reaches yet (login, logout, a user
 * an identity provider vouches for): an expression living until the
 * end of the enclosing block.
 */
#define IR_AS(store, who)                                                 \
	(&(struct nhir_ctx){ .st = (store), .actor = (who),               \
			     .now = NHIR_TIME_UNSET })
/*
 * Ends a change: appends the audit entry (action, detail, which it
 * frees) and commits when rc is NHIR_OK, else rolls back.
 */
enum nhir_rc ir_end(const struct nhir_ctx *ctx, enum nhir_rc rc,
		    const char *action, int64_t incident, cJSON *detail,
		    struct nhir_err *err);

/*
 * The database's hashing key of tokens and sessions; made (in the
 * caller's transaction) when make is true and there is none yet.
 */
enum nhir_rc ir_token_key(struct nhir_store *st,
			  unsigned char key[NHIR_TOKEN_KEY_LEN], bool make,
			  bool *found, struct nhir_err *err);
/* The keyed BLAKE2b hash of value, in hex. */
void ir_token_hash(const unsigned char key[NHIR_TOKEN_KEY_LEN],
		   const char *value, char hex[NHIR_TOKEN_HASH_HEX]);

/*
 * This database's log identity into id (NHIR_LOG_ID_LEN bytes); "" for
 * a store that keeps none (NHIR_EUNSUPPORTED is not an error here).
 */
enum nhir_rc ir_log_id(struct nhir_store *st, char *id, struct nhir_err *err);
/*
 * NHIR_OK when an entry may be stamped at a time other than the system
 * clock's (set: the context names one; or st's clock is fixed): only on
 * a database whose 'clock' setting is 'fixed'.  NHIR_EDENIED otherwise.
 */
enum nhir_rc ir_clock_allowed(struct nhir_store *st, bool set,
			      struct nhir_err *err);
/* Is s a log identity: 32 lowercase hex digits? */
bool ir_log_id_valid(const char *s);

/* The top-level sections of the server's configuration file. */
extern const char *const ir_config_sections[];

/* Copies s into a fixed buffer (truncating), "" for NULL. */
static inline void ir_copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

#endif
