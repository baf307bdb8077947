/* SQLite storage for plans, steps, approvals, revocations and cuts (src/plan/). */
#include "compat.h"
#include "store/plan.h"
#include "store/sqlite/sqlite-internal.h"

/* Runs a prepared query of node ids through cb. */
static enum nhir_rc each_node(struct nhir_store *st, sqlite3_stmt *q,
			      nhir_plan_node_cb cb, void *arg,
			      struct nhir_err *err)
{
	int r;

	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0))) {
			r = 0;
			break;
		}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

/* ---- revocations and cuts ---- */

static enum nhir_rc revocation_request(struct nhir_store *st, int64_t incident,
				       int64_t node, int64_t step, int64_t at,
				       struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO revocation(incident, node, state,"
		       " step, requested) VALUES(?, ?, 'requested', ?, ?) ON"
		       " CONFLICT(incident, node) DO UPDATE SET state = CASE"
		       " WHEN state = 'verified' THEN state ELSE 'requested'"
		       " END, step = excluded.step, requested ="
		       " excluded.requested", "iizi", incident, node, step, at);
}

static enum nhir_rc revocation_confirm(struct nhir_store *st, int64_t incident,
				       int64_t node, int64_t at,
				       const char *detail, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE revocation SET state = CASE WHEN state"
		       " = 'verified' THEN state ELSE 'confirmed' END,"
		       " confirmed = ?, detail = ? WHERE incident = ? AND node"
		       " = ?", "itii", at, detail, incident, node);
}

static enum nhir_rc revocation_verify(struct nhir_store *st, int64_t incident,
				      int64_t node, int64_t step, int64_t at,
				      const char *detail, struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO revocation(incident, node, state,"
		       " step, verified, detail) VALUES(?, ?, 'verified', ?, ?,"
		       " ?) ON CONFLICT(incident, node) DO UPDATE SET state ="
		       " 'verified', verified = excluded.verified, detail ="
		       " excluded.detail", "iizit", incident, node, step, at,
		       detail);
}

static const char *const revocation_states[] = {
	[NHIR_REVOCATION_REQUESTED] = "requested",
	[NHIR_REVOCATION_CONFIRMED] = "confirmed",
	[NHIR_REVOCATION_VERIFIED] = "verified",
};

static enum nhir_revocation_state revocation_state(const char *s)
{
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(revocation_states); i++)
		if (s && !strcmp(s, revocation_states[i]))
			return (enum nhir_revocation_state)i;
	return NHIR_REVOCATION_REQUESTED;
}

static enum nhir_rc revocations_of(struct nhir_store *st, int64_t incident,
				   nhir_plan_revocation_cb cb, void *arg,
				   struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT r.node, n.ext_id, r.state, r.detail,"
		      " coalesce(r.requested, 0), coalesce(r.confirmed, 0),"
		      " coalesce(r.verified, 0) FROM revocation r JOIN node n ON"
		      " n.id = r.node WHERE r.incident = ? ORDER BY n.ext_id",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_plan_revocation v;

		v.node = sq_col_int(q, 0);
		v.ext_id = sq_text(q, 1);
		v.state = revocation_state(sq_text(q, 2));
		v.detail = sq_text(q, 3);
		v.requested = sq_col_int(q, 4);
		v.confirmed = sq_col_int(q, 5);
		v.verified = sq_col_int(q, 6);
		if (cb(arg, &v)) {
			r = 0;
			break;
		}
	}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc revocation_note(struct nhir_store *st, int64_t incident,
				    int64_t node, const char *detail,
				    struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE revocation SET detail = ? WHERE"
		       " incident = ? AND node = ?", "tii", detail, incident,
		       node);
}

/* Two-argument max is SQLite's; another backend uses greatest(). */
static enum nhir_rc cut_put(struct nhir_store *st, int64_t incident,
			    int64_t node, int64_t issued_before, int64_t step,
			    struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO cut(incident, node, issued_before,"
		       " step) VALUES(?, ?, ?, ?) ON CONFLICT(incident, node)"
		       " DO UPDATE SET issued_before = max(issued_before,"
		       " excluded.issued_before)", "iiiz", incident, node,
		       issued_before, step);
}

/* ---- residual access ---- */

static enum nhir_rc revoked_nodes(struct nhir_store *st, int64_t incident,
				  int64_t at, nhir_plan_node_cb cb, void *arg,
				  struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT node FROM revocation WHERE incident"
		      " = ? AND state IN ('confirmed', 'verified') AND"
		      " coalesce(confirmed, verified) <= ?", "ii", incident, at);
	return rc ? rc : each_node(st, q, cb, arg, err);
}

static enum nhir_rc cuts_at(struct nhir_store *st, int64_t incident,
			    int64_t at, nhir_plan_cut_cb cb, void *arg,
			    struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT c.node, c.issued_before FROM cut c"
		      " LEFT JOIN plan_step s ON s.id = c.step WHERE"
		      " c.incident = ? AND coalesce(s.finished, 0) <= ?", "ii",
		      incident, at);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0), sq_col_int(q, 1))) {
			r = 0;
			break;
		}
	sqlite3_finalize(q);
	return sq_step_rc(r, err);
}

static enum nhir_rc seed_nodes(struct nhir_store *st, int64_t incident,
			       nhir_plan_node_cb cb, void *arg,
			       struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;

	rc = sq_query(st, err, &q, "SELECT node FROM scope WHERE incident = ?"
		      " AND origin = 'seed' AND status = 'confirmed'", "i",
		      incident);
	return rc ? rc : each_node(st, q, cb, arg, err);
}

const struct nhir_plan_store_ops nhir_sqlite_plan_ops = {
	.version = 1,
	.revocation_request = revocation_request,
	.revocation_confirm = revocation_confirm,
	.revocation_verify = revocation_verify,
	.revocations_of = revocations_of,
	.revocation_note = revocation_note,
	.cut_put = cut_put,
	.revoked_nodes = revoked_nodes,
	.cuts_at = cuts_at,
	.seed_nodes = seed_nodes,
};
