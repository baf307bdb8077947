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

/* A piece of evidence as it is recorded (evidence_insert). */
struct nhir_evidence_def {
	int64_t incident;
	const char *name, *sha256;	/* sha256: 64 hex digits */
	int64_t size;
	const char *source, *collected_by;
	int64_t collected;
};

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
