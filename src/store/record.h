/*
 * The store's typed interface for users, authority, incidents, the audit log, evidence and settings (src/record/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_record_store_ops (the SQLite one in
 * src/store/sqlite/record.c).
 *
 * Methods that list call a callback once per row; a nonzero return
 * from the callback stops the listing and the method returns NHIR_OK.
 * Strings handed to a callback live until it returns.  A method that
 * reads one row says so with *found and returns NHIR_OK when there is
 * none.
 */
#ifndef NHIR_STORE_RECORD_H
#define NHIR_STORE_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/record.h"
#include "nhir/store.h"

/*
 * The precondition of the next change made through st
 * (nhir_incident_expect): incident id must still have ETag tag.  Set
 * with tag NULL to clear; taken (and cleared) by the change, which
 * checks it inside its transaction.
 */
void nhir_store_cond_set(struct nhir_store *st, int64_t id, const char *tag);
bool nhir_store_cond_take(struct nhir_store *st, int64_t *id,
			  char tag[NHIR_ETAG_LEN]);

/* A piece of evidence as it is recorded (evidence_insert). */
struct nhir_evidence_def {
	int64_t incident;
	const char *name, *sha256;	/* sha256: 64 hex digits */
	int64_t size;
	const char *source, *collected_by;
	int64_t collected;
};

/* A new incident (exposed_at NHIR_TIME_UNSET: unknown). */
struct nhir_incident_def {
	const char *title, *severity;
	enum nhir_inc_state state;
	const char *lead;
	int64_t exposed_at, declared;
	const char *declared_by;
	int64_t updated;
};

/* A scope row; ext_id, name and kind are the node's, filled on reading. */
struct nhir_scope_row {
	int64_t incident, node;
	enum nhir_scope_status status;
	enum nhir_scope_origin origin;
	int64_t updated;
	const char *actor;
	const char *ext_id, *name;
	int kind;
};
typedef int (*nhir_scope_row_cb)(const struct nhir_scope_row *s,
				 void *data);

/* A new task (due NHIR_TIME_UNSET or 0: none). */
struct nhir_task_def {
	int64_t incident;
	const char *title, *owner;
	int64_t due, created;
	const char *actor;
};

/*
 * The kinds of row an incident's record lists (records_read), with the
 * columns of struct nhir_record_item each fills:
 *   decision  id, at, actor, a kind, b what, c why
 *   note      id, at, actor, a body
 *   task      id, at (created), actor, a title, b owner, c status,
 *             n1 due (0: none), n2 done (0: not done)
 *   member    at (added), actor (the member)
 *   evidence  id, at (collected), actor (collector), a name, b sha256,
 *             c source, n1 size
 *   custody   id, at, actor, a action, b detail, c the evidence's name,
 *             n1 the evidence's id
 * Columns not named are 0 or NULL.
 */
enum nhir_record_kind {
	NHIR_RECORD_DECISION = 0,
	NHIR_RECORD_NOTE,
	NHIR_RECORD_TASK,
	NHIR_RECORD_MEMBER,
	NHIR_RECORD_EVIDENCE,
	NHIR_RECORD_CUSTODY,
	NHIR_RECORD_KIND_NR
};

/*
 * A row on the audit chain: a row of a state table an audit entry
 * vouches for (table "approval", "decision", "nhir_user" or "scope"),
 * named by its key (k1, k2; k2 "" when the key is one column) and read
 * as its content, a JSON array of its columns.  before: the row was
 * there before entries carried row digests (chain_rows only).
 */
struct nhir_chain_row {
	const char *table, *k1, *k2;
	const char *content;	/* NULL: the row is not there */
	bool before;
};
typedef int (*nhir_chain_row_cb)(const struct nhir_chain_row *r,
				 void *data);
typedef int (*nhir_checkpoint_doc_cb)(const char *doc, void *data);

/*
 * A signed checkpoint of another log that this database, as a witness,
 * holds (witness_insert, witness_read): the log's identity, the entry
 * and hash signed, when, the signer's public key and signature (hex),
 * when it arrived and from whom.
 */
struct nhir_witness_row {
	const char *log, *head, *public_key, *signature, *by;
	int64_t seq, at, received;
};
typedef int (*nhir_witness_row_cb)(const struct nhir_witness_row *w,
				   void *data);

struct nhir_record_store_ops {
	unsigned version;	/* methods added later are NULL-checked */

	/* ---- settings (table setting) ---- */
	/*
	 * Calls cb once per setting, in key order (bytewise); key non-NULL:
	 * only that one, if it is set.  Strings live until cb returns.
	 */
	enum nhir_rc (*settings_read)(struct nhir_store *st, const char *key,
				      nhir_setting_cb cb, void *data,
				      struct nhir_err *err);
	/* Sets key to value (inserting or replacing), by set_by at set_at. */
	enum nhir_rc (*setting_put)(struct nhir_store *st,
				    const struct nhir_setting *s,
				    struct nhir_err *err);
	/* Removes key; NHIR_OK when it was not set. */
	enum nhir_rc (*setting_delete)(struct nhir_store *st, const char *key,
				       struct nhir_err *err);

	/* ---- users (table nhir_user) ---- */
	/*
	 * The user called name into *out; *found false (and *out zeroed)
	 * when there is none.  Names longer than out->name are truncated.
	 * Names compare whatever their ASCII case (one person), the exact
	 * name first.
	 */
	enum nhir_rc (*user_read)(struct nhir_store *st, const char *name,
				  struct nhir_user *out, bool *found,
				  struct nhir_err *err);
	/* Calls cb once per user, in name order (bytewise). */
	enum nhir_rc (*users_read)(struct nhir_store *st, nhir_user_cb cb,
				   void *data, struct nhir_err *err);
	/* How many users there are, active or not. */
	enum nhir_rc (*user_count)(struct nhir_store *st, int64_t *n,
				   struct nhir_err *err);
	/* Adds u (name, role, active, created, created_by); NHIR_ECONFLICT when the name is taken. */
	enum nhir_rc (*user_insert)(struct nhir_store *st,
				    const struct nhir_user *u,
				    struct nhir_err *err);
	/* Sets the role and active flag of user name; NHIR_OK if there is none. */
	enum nhir_rc (*user_update)(struct nhir_store *st, const char *name,
				    enum nhir_role role, bool active,
				    struct nhir_err *err);

	/* ---- incidents (table incident) ---- */
	/*
	 * Incident id into *out (exposed_at and closed NHIR_TIME_UNSET when
	 * not stored); *found false (and *out zeroed) when there is none.
	 * Authorization reads the lead and state through this, too.
	 */
	enum nhir_rc (*incident_read)(struct nhir_store *st, int64_t id,
				      struct nhir_incident *out, bool *found,
				      struct nhir_err *err);
	/*
	 * Calls cb once per incident in state (-1: every incident, a state
	 * not stored: none), by ascending id.
	 */
	enum nhir_rc (*incidents_read)(struct nhir_store *st, int state,
				       nhir_incident_cb cb, void *data,
				       struct nhir_err *err);
	/* Stores a new incident, not closed; *id is its id. */
	enum nhir_rc (*incident_insert)(struct nhir_store *st,
					const struct nhir_incident_def *i,
					int64_t *id, struct nhir_err *err);
	/* Sets incident id's lead and updated time; NHIR_OK if none. */
	enum nhir_rc (*incident_set_lead)(struct nhir_store *st, int64_t id,
					  const char *lead, int64_t updated,
					  struct nhir_err *err);
	/*
	 * Sets incident id's state, updated time and closed time
	 * (NHIR_TIME_UNSET or 0: not closed); NHIR_OK if none.
	 */
	enum nhir_rc (*incident_set_state)(struct nhir_store *st, int64_t id,
					   enum nhir_inc_state state,
					   int64_t updated, int64_t closed,
					   struct nhir_err *err);

	/* ---- members, scope, decisions, notes, tasks of an incident ---- */
	/* Adds name to incident's members at added; NHIR_OK if it is one. */
	enum nhir_rc (*member_add)(struct nhir_store *st, int64_t incident,
				   const char *name, int64_t added,
				   struct nhir_err *err);
	/*
	 * Puts node s->node in s->incident's scope (status, origin,
	 * updated, actor).  Already there: overwrite sets its status,
	 * updated and actor (its origin stays); else it stays as it was.
	 */
	enum nhir_rc (*scope_put)(struct nhir_store *st,
				  const struct nhir_scope_row *s,
				  bool overwrite, struct nhir_err *err);
	/*
	 * Calls cb once per scope row of incident, with its node: the
	 * confirmed first, then the proposed, then the rest, each by the
	 * node's kind and then external id (bytewise).
	 */
	enum nhir_rc (*scope_read)(struct nhir_store *st, int64_t incident,
				   nhir_scope_row_cb cb, void *data,
				   struct nhir_err *err);
	/* How many of incident's scope rows have status. */
	enum nhir_rc (*scope_count)(struct nhir_store *st, int64_t incident,
				    enum nhir_scope_status status, int64_t *n,
				    struct nhir_err *err);
	/* Records a decision of kind on incident; *id is its id. */
	enum nhir_rc (*decision_insert)(struct nhir_store *st,
					int64_t incident, int64_t at,
					const char *actor, const char *kind,
					const char *what, const char *why,
					int64_t *id, struct nhir_err *err);
	/* How many decisions of kind actor recorded on incident. */
	enum nhir_rc (*decision_count)(struct nhir_store *st, int64_t incident,
				       const char *kind, const char *actor,
				       int64_t *n, struct nhir_err *err);
	/* Records a note on incident. */
	enum nhir_rc (*note_insert)(struct nhir_store *st, int64_t incident,
				    int64_t at, const char *actor,
				    const char *body, struct nhir_err *err);
	/* Records an open task; *id is its id. */
	enum nhir_rc (*task_insert)(struct nhir_store *st,
				    const struct nhir_task_def *t, int64_t *id,
				    struct nhir_err *err);
	/*
	 * The owner (truncated to n bytes) and status of task id of
	 * incident; *found false (owner "") when incident has no such task.
	 */
	enum nhir_rc (*task_read)(struct nhir_store *st, int64_t incident,
				  int64_t id, char *owner, size_t n,
				  enum nhir_task_status *status, bool *found,
				  struct nhir_err *err);
	/* Marks task id done, at by; NHIR_OK if there is none. */
	enum nhir_rc (*task_done)(struct nhir_store *st, int64_t id,
				  int64_t at, const char *by,
				  struct nhir_err *err);
	/*
	 * Calls cb once per row of kind in incident's record (see enum
	 * nhir_record_kind; type is NULL), by ascending id (members: by
	 * the time added, then name).
	 */
	enum nhir_rc (*records_read)(struct nhir_store *st, int64_t incident,
				     enum nhir_record_kind kind,
				     nhir_record_cb cb, void *data,
				     struct nhir_err *err);

	/* ---- the audit log (tables audit, audit_checkpoint; meta) ---- */
	/*
	 * The newest entry's seq and hash (truncated to 64 characters);
	 * *found false (seq 0, hash "") when the log is empty.
	 */
	enum nhir_rc (*audit_last)(struct nhir_store *st, int64_t *seq,
				   char hash[65], bool *found,
				   struct nhir_err *err);
	/* Appends entry e as it is (incident 0: none). */
	enum nhir_rc (*audit_insert)(struct nhir_store *st,
				     const struct nhir_audit_entry *e,
				     struct nhir_err *err);
	/*
	 * Calls cb once per entry of incident (0: every entry), by seq;
	 * a field missing from the row is NULL (incident 0, at 0).
	 */
	enum nhir_rc (*audit_read)(struct nhir_store *st, int64_t incident,
				   nhir_audit_cb cb, void *data,
				   struct nhir_err *err);
	/*
	 * As audit_read, only entries after seq after and at most limit of
	 * them (0: no limit): what a live feed reads on each change.  NULL:
	 * the library filters audit_read.
	 */
	enum nhir_rc (*audit_read_after)(struct nhir_store *st,
					 int64_t incident, int64_t after,
					 size_t limit, nhir_audit_cb cb,
					 void *data, struct nhir_err *err);
	/*
	 * The hash of entry seq into *hash (nhir_malloc'd; NULL when the
	 * entry has none); *found false (and *hash NULL) when there is no
	 * entry seq.
	 */
	enum nhir_rc (*audit_hash_at)(struct nhir_store *st, int64_t seq,
				      char **hash, bool *found,
				      struct nhir_err *err);
	/* Records head as the log's head (kept apart from the entries). */
	enum nhir_rc (*audit_head_put)(struct nhir_store *st, const char *head,
				       struct nhir_err *err);
	/* The recorded head into *head (nhir_malloc'd); NULL when none. */
	enum nhir_rc (*audit_head_read)(struct nhir_store *st, char **head,
					struct nhir_err *err);
	/*
	 * Calls cb once per chained row this transaction wrote, by table,
	 * k1 and k2 (bytewise), with its content now, then forgets them.
	 * A connection that does not track them (read-only) calls nothing
	 * and returns NHIR_OK.
	 */
	enum nhir_rc (*chain_touched)(struct nhir_store *st,
				      nhir_chain_row_cb cb, void *data,
				      struct nhir_err *err);
	/* Calls cb once per row of chained table now, by k1, k2 (bytewise). */
	enum nhir_rc (*chain_rows)(struct nhir_store *st, const char *table,
				   nhir_chain_row_cb cb, void *data,
				   struct nhir_err *err);
	/* Records a signed checkpoint of the log (doc: the signed document). */
	enum nhir_rc (*checkpoint_insert)(struct nhir_store *st, int64_t seq,
					  const char *head, int64_t at,
					  const char *public_key,
					  const char *doc,
					  struct nhir_err *err);
	/* Calls cb once per recorded checkpoint's document, oldest first. */
	enum nhir_rc (*checkpoints_read)(struct nhir_store *st,
					 nhir_checkpoint_doc_cb cb, void *data,
					 struct nhir_err *err);

	/* ---- witnessing (meta log_id; table witness_checkpoint) ---- */
	/*
	 * This log's identity (32 hex digits) into id; *found false (id
	 * "") when the database has none.
	 */
	enum nhir_rc (*log_id_read)(struct nhir_store *st, char id[33],
				    bool *found, struct nhir_err *err);
	/* Appends w; NHIR_ECONFLICT when its log and seq are held. */
	enum nhir_rc (*witness_insert)(struct nhir_store *st,
				       const struct nhir_witness_row *w,
				       struct nhir_err *err);
	/*
	 * Calls cb once with log's checkpoint at seq (seq > 0), its newest
	 * (seq 0) or its oldest (seq -1); not at all when there is none.
	 */
	enum nhir_rc (*witness_read)(struct nhir_store *st, const char *log,
				     int64_t seq, nhir_witness_row_cb cb,
				     void *data, struct nhir_err *err);

	/* ---- evidence and its custody (tables evidence, custody) ---- */
	/* Records a collected file; *id is the new evidence's id. */
	enum nhir_rc (*evidence_insert)(struct nhir_store *st,
					const struct nhir_evidence_def *e,
					int64_t *id, struct nhir_err *err);
	/*
	 * The incident and SHA-256 (64 hex digits) of evidence id; *found
	 * false (incident 0, sha "") when there is none.
	 */
	enum nhir_rc (*evidence_locate)(struct nhir_store *st, int64_t id,
					int64_t *incident, char sha[65],
					bool *found, struct nhir_err *err);
	/* Appends a custody entry of evidence ev (detail may be NULL). */
	enum nhir_rc (*custody_insert)(struct nhir_store *st, int64_t ev,
				       int64_t at, const char *actor,
				       const char *action, const char *detail,
				       struct nhir_err *err);
};

/* The interface of st's backend. */
const struct nhir_record_store_ops *nhir_record_store(struct nhir_store *st);

#endif
