/* SQLite storage for the after-action report and metrics (src/report/). */
#include "compat.h"
#include "store/report.h"
#include "store/sqlite/sqlite-internal.h"

/* ---- metrics ---- */

static enum nhir_rc incidents_since(struct nhir_store *st, int64_t since,
				    nhir_report_incident_cb cb, void *arg,
				    struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT i.id, coalesce(i.exposed_at, 0),"
		      " i.declared, i.severity, coalesce((SELECT n.subtype FROM"
		      " scope s JOIN node n ON n.id = s.node WHERE s.incident ="
		      " i.id AND s.origin = 'seed' AND n.kind IN (2, 3) ORDER BY"
		      " n.id LIMIT 1), 'unknown') FROM incident i WHERE"
		      " i.declared >= ? ORDER BY i.id", "i", since);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_report_incident inc = {
			.id = sq_col_int(q, 0),
			.exposed = sq_col_int(q, 1),
			.declared = sq_col_int(q, 2),
			.severity = sq_text(q, 3) ? sq_text(q, 3) : "",
			.seed_kind = sq_text(q, 4) ? sq_text(q, 4) : "unknown",
		};

		if (cb(arg, &inc)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc first_sighting(struct nhir_store *st, int64_t incident,
				   int64_t *at, struct nhir_err *err)
{
	*at = 0;
	return sq_int(st, err, at, NULL, "SELECT min(coalesce(s.at,"
		      " f.first_seen)) FROM finding f JOIN sighting s ON"
		      " s.finding = f.id WHERE f.incident = ?", "i", incident);
}

static enum nhir_rc revocation_summary(struct nhir_store *st,
				       int64_t incident,
				       struct nhir_report_revocations *out,
				       struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	rc = sq_query(st, err, &q, "SELECT coalesce(max(requested), 0),"
		      " coalesce(sum(confirmed IS NULL AND verified IS NULL), 0),"
		      " coalesce(max(coalesce(confirmed, verified)), 0),"
		      " coalesce(sum(verified IS NULL), 0),"
		      " coalesce(max(verified), 0) FROM revocation"
		      " WHERE incident = ?", "i", incident);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		out->requested_last = sq_col_int(q, 0);
		out->unsettled = sq_col_int(q, 1);
		out->settled_last = sq_col_int(q, 2);
		out->unverified = sq_col_int(q, 3);
		out->verified_last = sq_col_int(q, 4);
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc steps_in_phases(struct nhir_store *st, int64_t incident,
				    unsigned phases,
				    struct nhir_report_steps *out,
				    struct nhir_err *err)
{
	memset(out, 0, sizeof(*out));
	for (int p = 0; p < NHIR_PHASE_NR; p++) {
		int64_t open = 0, last = 0;
		const char *name = nhir_phase_name((enum nhir_phase)p);
		enum nhir_rc rc;

		if (!(phases & NHIR_PHASE_BIT(p)))
			continue;
		rc = sq_int(st, err, &open, NULL, "SELECT count(*) FROM"
			    " plan_step WHERE incident = ? AND phase = ? AND"
			    " status NOT IN ('done', 'skipped')", "it",
			    incident, name);
		if (!rc)
			rc = sq_int(st, err, &last, NULL, "SELECT"
				    " coalesce(max(finished), 0) FROM plan_step"
				    " WHERE incident = ? AND phase = ?", "it",
				    incident, name);
		if (rc)
			return rc;
		out->open += open;
		if (last > out->finished_last)
			out->finished_last = last;
	}
	return NHIR_OK;
}

static enum nhir_rc action_first_done(struct nhir_store *st,
				      int64_t incident, const char *action,
				      int64_t *at, struct nhir_err *err)
{
	*at = 0;
	return sq_int(st, err, at, NULL, "SELECT coalesce(min(finished), 0)"
		      " FROM plan_step WHERE incident = ? AND action = ? AND"
		      " status = 'done'", "it", incident, action);
}

static enum nhir_rc still_valid_at(struct nhir_store *st, int64_t incident,
				   int64_t at, int64_t *n, struct nhir_err *err)
{
	*n = 0;
	return sq_int(st, err, n, NULL, "SELECT count(*) FROM scope s"
		      " JOIN node n ON n.id = s.node LEFT JOIN revocation"
		      " v ON v.incident = s.incident AND v.node = s.node"
		      " WHERE s.incident = ? AND s.status = 'confirmed'"
		      " AND n.kind IN (2, 3, 4) AND (v.verified IS NULL"
		      " OR v.verified > ?)", "ii", incident, at);
}

/* ---- the after-action report ---- */

static enum nhir_rc each_id(struct nhir_store *st, sqlite3_stmt *q,
			    nhir_report_id_cb cb, void *arg,
			    struct nhir_err *err)
{
	int r;

	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0))) {
			r = 0;
			break;
		}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc approvals_of_step(struct nhir_store *st, int64_t step,
				      nhir_report_approval_cb cb, void *arg,
				      struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT actor, verdict, why, at, expires"
		      " FROM approval WHERE step = ? ORDER BY id", "i", step);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_report_approval a = {
			.actor = sq_text(q, 0),
			.verdict = nhir_verdict_parse(sq_text(q, 1)),
			.why = sq_text(q, 2),
			.at = sq_col_int(q, 3),
			.expires = sq_col_int(q, 4),
		};

		if (cb(arg, &a)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc confirmed_secrets(struct nhir_store *st, int64_t incident,
				      nhir_report_id_cb cb, void *arg,
				      struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT s.node FROM scope s JOIN node n ON"
		      " n.id = s.node WHERE s.incident = ? AND s.status ="
		      " 'confirmed' AND n.kind IN (2, 3)", "i", incident);
	return rc ? rc : each_id(st, q, cb, arg, err);
}

static enum nhir_rc findings_of(struct nhir_store *st, int64_t incident,
				nhir_report_id_cb cb, void *arg,
				struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT id FROM finding WHERE incident = ?",
		      "i", incident);
	return rc ? rc : each_id(st, q, cb, arg, err);
}

static enum nhir_rc seeds_never_expiring(struct nhir_store *st,
					 int64_t incident, int64_t *n,
					 struct nhir_err *err)
{
	*n = 0;
	return sq_int(st, err, n, NULL, "SELECT count(*) FROM scope s JOIN node"
		      " n ON n.id = s.node WHERE s.incident = ? AND s.origin ="
		      " 'seed' AND n.kind = 2 AND n.expires IS NULL", "i",
		      incident);
}

const struct nhir_report_store_ops nhir_sqlite_report_ops = {
	.version = 1,
	.incidents_since = incidents_since,
	.first_sighting = first_sighting,
	.revocation_summary = revocation_summary,
	.steps_in_phases = steps_in_phases,
	.action_first_done = action_first_done,
	.still_valid_at = still_valid_at,
	.approvals_of_step = approvals_of_step,
	.confirmed_secrets = confirmed_secrets,
	.findings_of = findings_of,
	.seeds_never_expiring = seeds_never_expiring,
};
