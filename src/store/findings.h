/*
 * The store's typed interface for findings and routing (src/findings/).
 * Statuses and phases cross it as enums; the domain module holds the
 * rules and this interface only stores and fetches.  Every backend
 * defines one const struct nhir_findings_store_ops (the SQLite one in
 * src/store/sqlite/findings.c).
 *
 * Strings handed to a callback live only during the call.
 */
#ifndef NHIR_STORE_FINDINGS_H
#define NHIR_STORE_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include "nhir/finding.h"
#include "nhir/store.h"

/* A new finding: one per secret, named by its fingerprint. */
struct nhir_findings_new {
	const char *fingerprint, *preview, *kind, *detector;
	int64_t credential;	/* its credential node; 0: none */
	int verified;		/* -1 unknown, 0 not live, 1 live */
	int64_t seen;		/* first and last seen */
};

/* One sighting of a finding's secret. */
struct nhir_findings_sighting {
	const char *format, *repo, *commit, *file;	/* "" when absent */
	int64_t line;
	int64_t at;		/* 0 or NHIR_TIME_UNSET: unknown */
	const char *author, *link, *report;		/* NULL when absent */
};

/* What routing needs of a finding. */
struct nhir_findings_route_in {
	char kind[64], detector[128];
	int verified;		/* -1 unknown, 0 not live, 1 live */
	int64_t credential;	/* 0: none */
};

/* A finding's stored route; "" for each part not set. */
struct nhir_findings_route {
	char rule[256], outcome[256], to[256];
};

/*
 * A finding as listed: every field of struct nhir_finding but status,
 * which is NULL there and passed as status.  Nonzero stops the walk.
 */
typedef int (*nhir_findings_row_cb)(void *arg, const struct nhir_finding *f,
				    enum nhir_finding_status status);

struct nhir_findings_store_ops {
	unsigned version;	/* methods added later are NULL-checked */

	/* ---- import ---- */

	/* The id of the finding with fingerprint; 0 when there is none. */
	enum nhir_rc (*finding_by_fingerprint)(struct nhir_store *st,
					       const char *fingerprint,
					       int64_t *id,
					       struct nhir_err *err);
	/*
	 * Stores an open finding and sets *id; NHIR_ECONFLICT when its
	 * fingerprint is stored already.
	 */
	enum nhir_rc (*finding_insert)(struct nhir_store *st,
				       const struct nhir_findings_new *f,
				       int64_t *id, struct nhir_err *err);
	/*
	 * Finding id was seen again at seen: its first and last seen
	 * widen to take seen in; verified -1 leaves its liveness as it
	 * is, 0 or 1 keeps the larger of the stored (unknown: 0) and it.
	 * NHIR_OK, changing nothing, when there is no finding id.
	 */
	enum nhir_rc (*finding_seen)(struct nhir_store *st, int64_t id,
				     int64_t seen, int verified,
				     struct nhir_err *err);
	/*
	 * Stores a sighting of finding; *added false (and NHIR_OK) when
	 * one with the same repository, commit, file and line is stored.
	 */
	enum nhir_rc (*sighting_insert)(struct nhir_store *st, int64_t finding,
					const struct nhir_findings_sighting *s,
					bool *added, struct nhir_err *err);

	/* ---- listing ---- */

	/*
	 * Finding id (0: every finding), open ones only unless all, by
	 * ascending id, with the external id of its credential (NULL:
	 * none) and how many sightings it has.
	 */
	enum nhir_rc (*findings_each)(struct nhir_store *st, int64_t id,
				      bool all, nhir_findings_row_cb cb,
				      void *arg, struct nhir_err *err);
	/*
	 * The sightings of finding, earliest first (unknown times as 0,
	 * first), then in the order they were stored; at 0 when unknown.
	 */
	enum nhir_rc (*sightings_of)(struct nhir_store *st, int64_t finding,
				     nhir_sighting_row_cb cb, void *arg,
				     struct nhir_err *err);

	/* ---- routing ---- */

	/* What routing reads of finding id; *found false when none. */
	enum nhir_rc (*route_input)(struct nhir_store *st, int64_t id,
				    struct nhir_findings_route_in *out,
				    bool *found, struct nhir_err *err);
	/* Finding id's route; all "" when not routed or no such finding. */
	enum nhir_rc (*route_of)(struct nhir_store *st, int64_t id,
				 struct nhir_findings_route *out,
				 struct nhir_err *err);
	/* Sets finding id's route (rule NULL: no rule matched). */
	enum nhir_rc (*route_set)(struct nhir_store *st, int64_t id,
				  const char *rule, const char *outcome,
				  const char *to, struct nhir_err *err);

	/* ---- incidents ---- */

	/*
	 * Finding id is now part of incident: its status becomes
	 * NHIR_FINDING_INCIDENT.  NHIR_OK, changing nothing, when there is
	 * no finding id.
	 */
	enum nhir_rc (*finding_bind)(struct nhir_store *st, int64_t id,
				     int64_t incident, struct nhir_err *err);
};

/* The interface of st's backend. */
const struct nhir_findings_store_ops *nhir_findings_store(struct nhir_store *st);


#endif
