/*
 * The store's typed interface for the after-action report and metrics (src/report/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_report_store_ops (the SQLite one in
 * src/store/sqlite/report.c).
 *
 * Times are Unix seconds; a time that is not known (no row, or the
 * stored value is NULL) is returned as 0.
 */
#ifndef NHIR_STORE_REPORT_H
#define NHIR_STORE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/plan.h"
#include "nhir/store.h"
#include "store/plan.h"

/* One incident as the metrics see it; strings live during the callback. */
struct nhir_report_incident {
	int64_t id;
	int64_t exposed;	/* 0: exposure time unknown */
	int64_t declared;
	const char *severity;
	/*
	 * The subtype of the lowest-id credential or session node seeded
	 * into the incident's scope; "unknown" when there is none.
	 */
	const char *seed_kind;
};

/* Nonzero stops the walk (not an error). */
typedef int (*nhir_report_incident_cb)(void *arg,
				       const struct nhir_report_incident *inc);

/* The revocations of one incident, summarised. */
struct nhir_report_revocations {
	int64_t requested_last;	/* latest request; 0: none */
	int64_t unsettled;	/* neither confirmed nor verified */
	int64_t settled_last;	/* latest confirmed, else verified time */
	int64_t unverified;	/* not verified */
	int64_t verified_last;	/* latest verification */
};

/* The plan steps of one incident in a set of phases. */
struct nhir_report_steps {
	int64_t open;		/* neither done nor skipped */
	int64_t finished_last;	/* latest finish of any of them; 0: none */
};

/* One approval or rejection of a plan step; strings live during the call. */
struct nhir_report_approval {
	const char *actor;
	enum nhir_verdict verdict;
	const char *why;	/* NULL: none given */
	int64_t at, expires;	/* expires 0: never */
};
typedef int (*nhir_report_approval_cb)(void *arg,
				       const struct nhir_report_approval *a);

/* A node or row id; nonzero stops the walk. */
typedef int (*nhir_report_id_cb)(void *arg, int64_t id);

/* Bit of phase p in a phase set. */
#define NHIR_PHASE_BIT(p) (1u << (unsigned)(p))

struct nhir_report_store_ops {
	unsigned version;	/* methods added later are NULL-checked */

	/*
	 * Every incident declared at or after since (INT64_MIN: all), by
	 * ascending id.
	 */
	enum nhir_rc (*incidents_since)(struct nhir_store *st, int64_t since,
					nhir_report_incident_cb cb, void *arg,
					struct nhir_err *err);
	/*
	 * The earliest sighting of any finding of incident (the sighting's
	 * time, else the finding's first_seen); 0 when there is none.
	 */
	enum nhir_rc (*first_sighting)(struct nhir_store *st, int64_t incident,
				       int64_t *at, struct nhir_err *err);
	/* The incident's revocations; all zero when there are none. */
	enum nhir_rc (*revocation_summary)(struct nhir_store *st,
					   int64_t incident,
					   struct nhir_report_revocations *out,
					   struct nhir_err *err);
	/*
	 * The incident's plan steps whose phase is in phases (a set of
	 * NHIR_PHASE_BIT); all zero when there are none.
	 */
	enum nhir_rc (*steps_in_phases)(struct nhir_store *st, int64_t incident,
					unsigned phases,
					struct nhir_report_steps *out,
					struct nhir_err *err);
	/*
	 * The earliest finish of a done step of incident running action;
	 * 0 when none is done.
	 */
	enum nhir_rc (*action_first_done)(struct nhir_store *st,
					  int64_t incident, const char *action,
					  int64_t *at, struct nhir_err *err);
	/*
	 * How many confirmed credential, session or token nodes of
	 * incident's scope were not verified revoked by at (no
	 * revocation, an unverified one, or one verified after at).
	 */
	enum nhir_rc (*still_valid_at)(struct nhir_store *st, int64_t incident,
				       int64_t at, int64_t *n,
				       struct nhir_err *err);

	/* ---- the after-action report ---- */

	/* The verdicts on plan step step, in the order they were given. */
	enum nhir_rc (*approvals_of_step)(struct nhir_store *st, int64_t step,
					  nhir_report_approval_cb cb, void *arg,
					  struct nhir_err *err);
	/*
	 * The confirmed credential and session nodes of incident's scope,
	 * in no promised order.
	 */
	enum nhir_rc (*confirmed_secrets)(struct nhir_store *st,
					  int64_t incident,
					  nhir_report_id_cb cb, void *arg,
					  struct nhir_err *err);
	/* The ids of the findings bound to incident, in no promised order. */
	enum nhir_rc (*findings_of)(struct nhir_store *st, int64_t incident,
				    nhir_report_id_cb cb, void *arg,
				    struct nhir_err *err);
	/* How many seeded credentials of incident have no expiry time. */
	enum nhir_rc (*seeds_never_expiring)(struct nhir_store *st,
					     int64_t incident, int64_t *n,
					     struct nhir_err *err);
};

/* The interface of st's backend. */
const struct nhir_report_store_ops *nhir_report_store(struct nhir_store *st);

#endif
