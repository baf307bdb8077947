/*
 * Witnessing: another nhir server, run by another team on another
 * machine, keeps the signed checkpoints of this log append-only, so
 * that a log cut short or rewritten here no longer matches what the
 * witness holds.  Each log has a stable random identity (made once, in
 * the database).  The witness side accepts a checkpoint only when its
 * signature holds and it contradicts nothing it holds for that log; the
 * sender side (nhir serve's witness: section, nhir audit checkpoint
 * --witness) signs and posts them; nhir audit verify --witness checks
 * the log against the newest.  See doc/guide/server.md.
 */
#ifndef NHIR_WITNESS_H
#define NHIR_WITNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "ctx.h"
#include "error.h"
#include "store.h"

#define NHIR_LOG_ID_LEN 33	/* 32 lowercase hex digits, NUL */
#define NHIR_WITNESS_PATH "/api/v1/witness/checkpoints"
/* Seconds a request to a witness may take. */
#define NHIR_WITNESS_TIMEOUT 10L
/* The sender's interval, seconds: default, least and most. */
#define NHIR_WITNESS_INTERVAL_DEFAULT 60
#define NHIR_WITNESS_INTERVAL_MAX 86400

/* This database's log identity; NHIR_EUNSUPPORTED on a store without. */
enum nhir_rc nhir_log_id(struct nhir_store *st, char id[NHIR_LOG_ID_LEN],
			 struct nhir_err *err);

/*
 * A signed checkpoint as it travels to a witness: the log, the entry
 * (seq) and its hash (head) signed at at, the signer's Ed25519 public
 * key and the signature over the canonical JSON of {at, head, log, seq}
 * (as nhir audit checkpoint signs it), all in lowercase hex.
 */
struct nhir_witness_cp {
	char log[NHIR_LOG_ID_LEN];
	int64_t seq, at;
	char head[65];
	char public_key[65];
	char signature[129];
};

/*
 * The witness takes cp from actor (who may bring data in: responder,
 * lead, admin).  Its signature must hold (else NHIR_EINVAL, field
 * "signature"); it must not contradict what is held for its log:
 * signed by another key than the log's first checkpoint (field
 * "public_key"), another head at a seq held (field "head"), or a seq
 * below the newest held, a rollback (field "seq"), each NHIR_ECONFLICT
 * and on the audit log as a refusal.  A checkpoint already held is
 * taken again without a change (*fresh false); else it is stored and
 * its acceptance is on the audit log in the same transaction.  field
 * (16 bytes) names the refused field, else "".  A witness cannot tell
 * whether two checkpoints of different seqs are of one history: only
 * the log's owner, holding the entries, can (nhir audit verify).
 */
enum nhir_rc nhir_witness_accept(const struct nhir_ctx *ctx,
				 const struct nhir_witness_cp *cp, bool *fresh,
				 char field[16], struct nhir_err *err);

/*
 * The checkpoint of log held at seq (0: the newest) as a checkpoint
 * document (nhir audit checkpoint's, with a "witness" member saying
 * when it arrived and from whom): JSON text, the caller's to free with
 * free().  NHIR_ENOTFOUND when none is held.
 */
enum nhir_rc nhir_witness_get(struct nhir_store *st, const char *log,
			      int64_t seq, char **doc, struct nhir_err *err);

/* The fields of a checkpoint document; NHIR_EPARSE if it has no log. */
enum nhir_rc nhir_witness_from_doc(const char *doc,
				   struct nhir_witness_cp *cp,
				   struct nhir_err *err);

/* The sender's configuration (the "witness:" section). */
struct nhir_witness_config {
	char url[512];		/* the witness server, https:// */
	char token_file[1024];	/* its API token, in a 0600 file */
	char key[1024];		/* the Ed25519 secret key that signs */
	int64_t interval;	/* seconds between checkpoints, at least */
};

/*
 * Reads the "witness:" section of the server's configuration file
 * (YAML): url, token_file, key and interval (seconds, 1 to
 * NHIR_WITNESS_INTERVAL_MAX, default NHIR_WITNESS_INTERVAL_DEFAULT).
 * *found false when there is none.  Errors are NHIR_EPARSE
 * "FILE:LINE: ...".
 */
enum nhir_rc nhir_witness_config_load(const char *path,
				      struct nhir_witness_config *c,
				      bool *found, struct nhir_err *err);

/* https://, or http:// to a loopback address only. */
bool nhir_witness_url_ok(const char *url);

/*
 * The API token in path: its first line, from a file kept from group
 * and others (else refused).  Into out (n bytes); wipe it after use.
 */
enum nhir_rc nhir_witness_token_read(const char *path, char *out, size_t n,
				     struct nhir_err *err);

/*
 * Posts cp to the witness at url (its base, as the configuration
 * names it) with token (NULL: none).  The HTTP status into *status and
 * the answer into out; NHIR_EIO when no answer came.
 */
enum nhir_rc nhir_witness_send(const char *url, const char *token,
			       const struct nhir_witness_cp *cp,
			       long *status, struct nhir_buf *out,
			       struct nhir_err *err);
/* Asks the witness at url for its newest checkpoint of log. */
enum nhir_rc nhir_witness_fetch(const char *url, const char *token,
				const char *log, long *status,
				struct nhir_buf *out, struct nhir_err *err);

/* The request body of cp (JSON text; caller frees with free()). */
char *nhir_witness_request(const struct nhir_witness_cp *cp);

#endif
