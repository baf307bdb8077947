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
	sq_done(st, q);
	return sq_step_rc(r, err);
}

/* ---- names of what is stored as text ---- */

static enum nhir_phase phase_of(const char *s)
{
	for (int p = 0; p < NHIR_PHASE_NR; p++)
		if (s && !strcmp(s, nhir_phase_name((enum nhir_phase)p)))
			return (enum nhir_phase)p;
	return NHIR_PHASE_NR;
}

/* ---- steps ---- */

static enum nhir_rc step_insert(struct nhir_store *st,
				const struct nhir_plan_step_def *d, int64_t *id,
				struct nhir_err *err)
{
	return sq_int(st, err, id, NULL,
		      "INSERT INTO plan_step(incident, seq, action, target, phase,"
		      " cuts, why, breaks, survives, reversible,"
		      " destroys_evidence, privileged, changes_access,"
		      " approvals_needed, delay, status, proposer, created,"
		      " entry) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		      " ?, 'planned', ?, ?, ?) RETURNING id",
		      "iitzt" "ttttiiiiiitit", d->incident, d->seq, d->action,
		      d->target, nhir_phase_name(d->phase),
		      nhir_cut_name(d->cuts), d->why, d->breaks,
		      d->survives ? d->survives : "", (int64_t)d->reversible,
		      (int64_t)d->destroys_evidence, (int64_t)d->privileged,
		      (int64_t)d->changes_access,
		      (int64_t)d->approvals_needed, d->delay, d->proposer,
		      d->created, d->entry);
}

static void step_row(sqlite3_stmt *q, struct nhir_plan_step_row *s)
{
	memset(s, 0, sizeof(*s));
	s->id = sq_col_int(q, 0);
	s->def.seq = sq_col_int(q, 1);
	s->def.incident = sq_col_int(q, 2);
	s->def.target = sq_col_int(q, 3);
	s->def.action = sq_text(q, 4);
	s->def.phase = phase_of(sq_text(q, 5));
	s->status = nhir_step_status_parse(sq_text(q, 6));
	s->def.why = sq_text(q, 7);
	s->def.breaks = sq_text(q, 8);
	s->def.survives = sq_text(q, 9);
	s->target_ext = sq_text(q, 10);
	s->target_name = sq_text(q, 11);
	s->def.proposer = sq_text(q, 12);
	s->result = sq_text(q, 13);
	s->def.reversible = sq_col_int(q, 14) != 0;
	s->def.destroys_evidence = sq_col_int(q, 15) != 0;
	s->def.privileged = sq_col_int(q, 16) != 0;
	s->def.changes_access = sq_col_int(q, 17) != 0;
	s->def.approvals_needed = (int)sq_col_int(q, 18);
	s->def.delay = sq_col_int(q, 19);
	s->started = sq_col_int(q, 20);
	s->finished = sq_col_int(q, 21);
	s->after = sq_text(q, 22);
	s->def.cuts = nhir_cut_parse(sq_text(q, 23));
	s->def.created = sq_col_int(q, 24);
	s->def.entry = sq_text(q, 25);
	s->digest = sq_text(q, 26);
}

/* group_concat is SQLite's; another backend uses string_agg. */
#define STEP_COLS \
	"s.id, s.seq, s.incident, coalesce(s.target, 0), s.action, s.phase," \
	" s.status, s.why, s.breaks, s.survives, n.ext_id, n.name," \
	" s.proposer, s.result, s.reversible, s.destroys_evidence," \
	" s.privileged, s.changes_access, s.approvals_needed," \
	" s.delay, coalesce(s.started, 0), coalesce(s.finished, 0)," \
	" (SELECT group_concat(p.seq) FROM plan_dep d JOIN plan_step p ON" \
	"  p.id = d.after WHERE d.step = s.id), s.cuts, s.created, s.entry," \
	" s.digest"

static enum nhir_rc steps_read(struct nhir_store *st, int64_t incident,
			       int64_t seq, nhir_plan_step_cb cb, void *arg,
			       struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT " STEP_COLS " FROM plan_step s"
		      " LEFT JOIN node n ON n.id = s.target WHERE s.incident = ?"
		      " AND (? = 0 OR s.seq = ?) ORDER BY s.seq", "iii",
		      incident, seq, seq);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_plan_step_row s;

		step_row(q, &s);
		if (cb(arg, &s)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc step_set_digest(struct nhir_store *st, int64_t id,
				    const char *digest, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE plan_step SET digest = ? WHERE id = ?",
		       "ti", digest, id);
}

static enum nhir_rc step_set_status(struct nhir_store *st, int64_t id,
				    enum nhir_step_status status,
				    const char *result, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE plan_step SET status = ?, result = ?"
		       " WHERE id = ?", "tti", nhir_step_status_name(status),
		       result, id);
}

static enum nhir_rc step_start(struct nhir_store *st, int64_t id,
			       enum nhir_step_status from, int64_t at,
			       bool *claimed, struct nhir_err *err)
{
	int64_t got;

	return sq_int(st, err, &got, claimed, "UPDATE plan_step SET status ="
		      " 'running', started = ? WHERE id = ? AND status = ? AND"
		      " status != 'running' RETURNING id", "iit", at, id,
		      nhir_step_status_name(from));
}

static enum nhir_rc step_finish(struct nhir_store *st, int64_t id,
				enum nhir_step_status status, int64_t started,
				int64_t finished, const char *result,
				int64_t evidence, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE plan_step SET status = ?, started ="
		       " coalesce(?, started), finished = ?, result = ?,"
		       " evidence = ? WHERE id = ?", "tzitzi",
		       nhir_step_status_name(status), started, finished, result,
		       evidence, id);
}

static enum nhir_rc verify_steps_done(struct nhir_store *st, int64_t incident,
				      int64_t target, int64_t at,
				      const char *result, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE plan_step SET status = 'done', finished"
		       " = ?, result = ? WHERE incident = ? AND target = ? AND"
		       " phase = 'verify' AND status != 'done'", "itii", at,
		       result, incident, target);
}

static enum nhir_rc steps_begun(struct nhir_store *st, int64_t incident,
				int64_t *n, struct nhir_err *err)
{
	return sq_int(st, err, n, NULL, "SELECT count(*) FROM plan_step WHERE"
		      " incident = ? AND status != 'planned' AND status !="
		      " 'skipped'", "i", incident);
}

static enum nhir_rc step_last_id(struct nhir_store *st, int64_t incident,
				 int64_t *id, struct nhir_err *err)
{
	return sq_int(st, err, id, NULL, "SELECT coalesce(max(id), 0) FROM"
		      " plan_step WHERE incident = ?", "i", incident);
}

static enum nhir_rc step_last_seq(struct nhir_store *st, int64_t incident,
				  int64_t *seq, struct nhir_err *err)
{
	return sq_int(st, err, seq, NULL, "SELECT coalesce(max(seq), 0) FROM"
		      " plan_step WHERE incident = ?", "i", incident);
}

static enum nhir_rc step_first_in_phase(struct nhir_store *st,
					int64_t incident, enum nhir_phase phase,
					int64_t before, int64_t *id,
					struct nhir_err *err)
{
	return sq_int(st, err, id, NULL, "SELECT coalesce(min(id), 0) FROM"
		      " plan_step WHERE incident = ? AND phase = ? AND seq < ?",
		      "iti", incident, nhir_phase_name(phase), before);
}

/* Through negative seqs: (incident, seq) is unique at every statement. */
static enum nhir_rc steps_make_room(struct nhir_store *st, int64_t incident,
				    int64_t seq, struct nhir_err *err)
{
	enum nhir_rc rc;

	rc = sq_exec(st, err, "UPDATE plan_step SET seq = -(seq + 1) WHERE"
		     " incident = ? AND seq >= ?", "ii", incident, seq);
	if (!rc)
		rc = sq_exec(st, err, "UPDATE plan_step SET seq = -seq WHERE"
			     " incident = ? AND seq < 0", "i", incident);
	return rc;
}

static enum nhir_rc steps_renumber(struct nhir_store *st, int64_t incident,
				   const int64_t *ids, size_t n,
				   struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	for (size_t i = 0; !rc && i < n; i++)
		rc = sq_exec(st, err, "UPDATE plan_step SET seq = ? WHERE id = ?",
			     "ii", -(int64_t)(i + 1), ids[i]);
	if (!rc)
		rc = sq_exec(st, err, "UPDATE plan_step SET seq = -seq WHERE"
			     " incident = ?", "i", incident);
	return rc;
}

static enum nhir_rc approvals_carry(struct nhir_store *st, int64_t incident,
				    int64_t old, int64_t *dropped,
				    struct nhir_err *err)
{
	enum nhir_rc rc;

	*dropped = 0;
	rc = sq_exec(st, err, "UPDATE approval SET step = coalesce(("
		     "SELECT n.id FROM plan_step o JOIN plan_step n ON"
		     " n.incident = o.incident AND n.action = o.action AND"
		     " n.target IS o.target AND n.id > ? WHERE o.id ="
		     " approval.step), step) WHERE step IN (SELECT id FROM"
		     " plan_step WHERE incident = ? AND id <= ?)", "iii", old,
		     incident, old);
	if (!rc)
		rc = sq_int(st, err, dropped, NULL, "SELECT count(*) FROM"
			    " approval WHERE step IN (SELECT id FROM plan_step"
			    " WHERE incident = ? AND id <= ?)", "ii", incident,
			    old);
	if (!rc)
		rc = sq_exec(st, err, "DELETE FROM approval WHERE step IN"
			     " (SELECT id FROM plan_step WHERE incident = ? AND"
			     " id <= ?)", "ii", incident, old);
	return rc;
}

static enum nhir_rc steps_drop_upto(struct nhir_store *st, int64_t incident,
				    int64_t old, struct nhir_err *err)
{
	enum nhir_rc rc;

	rc = sq_exec(st, err, "DELETE FROM plan_dep WHERE step IN (SELECT id"
		     " FROM plan_step WHERE incident = ? AND id <= ?)", "ii",
		     incident, old);
	if (!rc)
		rc = sq_exec(st, err, "DELETE FROM plan_step WHERE incident = ?"
			     " AND id <= ?", "ii", incident, old);
	return rc;
}

/* ---- dependencies ---- */

static enum nhir_rc dep_insert(struct nhir_store *st, int64_t step,
			       int64_t after, const char *why,
			       struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO plan_dep(step, after, why)"
		       " VALUES(?, ?, ?)", "iit", step, after, why);
}

static enum nhir_rc deps_of(struct nhir_store *st, int64_t incident,
			    nhir_plan_dep_cb cb, void *arg,
			    struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT d.step, d.after, d.why FROM plan_dep"
		      " d JOIN plan_step s ON s.id = d.step WHERE s.incident = ?",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0), sq_col_int(q, 1),
		       sq_text(q, 2))) {
			r = 0;
			break;
		}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc waits_of(struct nhir_store *st, int64_t step,
			     nhir_plan_wait_cb cb, void *arg,
			     struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT p.seq, p.status, d.why FROM plan_dep"
		      " d JOIN plan_step p ON p.id = d.after WHERE d.step = ?"
		      " ORDER BY p.seq", "i", step);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0), nhir_step_status_parse(sq_text(q, 1)),
		       sq_text(q, 2))) {
			r = 0;
			break;
		}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc dep_drop(struct nhir_store *st, int64_t step,
			     int64_t after, struct nhir_err *err)
{
	return sq_exec(st, err, "DELETE FROM plan_dep WHERE step = ? AND after"
		       " = ?", "ii", step, after);
}

static enum nhir_rc deps_drop_after(struct nhir_store *st, int64_t after,
				    struct nhir_err *err)
{
	return sq_exec(st, err, "DELETE FROM plan_dep WHERE after = ?", "i",
		       after);
}

/* ---- approvals ---- */

static enum nhir_rc approval_insert(struct nhir_store *st,
				    const struct nhir_plan_approval_def *a,
				    struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO approval(step, actor, verdict, why,"
		       " at, expires, digest, seq, entry, reversible) VALUES(?,"
		       " ?, ?, ?, ?, ?, ?, ?, ?, ?)", "itttiititi", a->step,
		       a->actor, nhir_verdict_name(a->verdict), a->why, a->at,
		       a->expires, a->digest, a->seq, a->entry,
		       (int64_t)a->reversible);
}

static void approval_row(sqlite3_stmt *q, struct nhir_plan_approval_row *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sq_col_int(q, 0);
	a->step_seq = sq_col_int(q, 1);
	a->def.actor = sq_text(q, 2);
	a->def.verdict = nhir_verdict_parse(sq_text(q, 3));
	a->def.why = sq_text(q, 4);
	a->def.at = sq_col_int(q, 5);
	a->def.expires = sq_col_int(q, 6);
	a->def.step = sq_col_int(q, 7);
	a->def.digest = sq_text(q, 8);
	a->step_digest = sq_text(q, 9);
	a->def.seq = sq_col_int(q, 10);
	a->def.entry = sq_text(q, 11);
	a->step_entry = sq_text(q, 12);
	a->user = !sq_is_null(q, 13);
	a->role = a->user ? nhir_role_parse(sq_text(q, 13)) : NHIR_ROLE_NONE;
	a->active = sq_col_int(q, 14) != 0;
	a->withdrawn = !sq_is_null(q, 15);
	a->withdrawn_why = sq_text(q, 16);
	a->reversible = sq_is_null(q, 17) ? -1 : sq_col_int(q, 17) != 0;
	a->def.reversible = a->reversible > 0;
	a->step_reversible = sq_col_int(q, 18) != 0;
	a->step_proposer = sq_text(q, 19);
}

static enum nhir_rc approvals_of(struct nhir_store *st, int64_t incident,
				 int64_t step, nhir_plan_approval_cb cb,
				 void *arg, struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT a.id, s.seq, a.actor, a.verdict,"
		      " a.why, a.at, a.expires, s.id, a.digest, s.digest,"
		      " coalesce(a.seq, 0), a.entry, s.entry, u.role, u.active,"
		      " a.withdrawn, a.withdrawn_why, a.reversible, s.reversible,"
		      " s.proposer FROM approval a JOIN plan_step s ON s.id ="
		      " a.step LEFT JOIN nhir_user u ON u.name = a.actor"
		      " WHERE s.incident = ? AND (? = 0 OR s.id = ?)"
		      " ORDER BY s.seq, a.id", "iii", incident, step, step);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1) {
		struct nhir_plan_approval_row a;

		approval_row(q, &a);
		if (cb(arg, &a)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc rejection_standing(struct nhir_store *st, int64_t step,
				       const char *actor, const char *digest,
				       bool *found, char *why, size_t n,
				       struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	*found = false;
	rc = sq_query(st, err, &q, "SELECT why FROM approval WHERE step = ?"
		      " AND actor = ? AND verdict = 'reject' AND withdrawn IS"
		      " NULL AND digest = ? ORDER BY id DESC", "itt", step,
		      actor, digest);
	if (rc)
		return rc;
	r = sq_step(st, q, err);
	if (r == 1) {
		*found = true;
		if (n)
			snprintf(why, n, "%s", sq_text(q, 0) ? sq_text(q, 0)
							     : "");
	}
	sq_done(st, q);
	return sq_step_rc(r, err);
}

static enum nhir_rc rejections_open(struct nhir_store *st, int64_t step,
				    const char *actor, int64_t *n,
				    struct nhir_err *err)
{
	return sq_int(st, err, n, NULL, "SELECT count(*) FROM approval WHERE"
		      " step = ? AND actor = ? AND verdict = 'reject' AND"
		      " withdrawn IS NULL", "it", step, actor);
}

static enum nhir_rc rejections_withdraw(struct nhir_store *st, int64_t step,
					const char *actor, int64_t at,
					const char *why, struct nhir_err *err)
{
	return sq_exec(st, err, "UPDATE approval SET withdrawn = ?,"
		       " withdrawn_why = ? WHERE step = ? AND actor = ? AND"
		       " verdict = 'reject' AND withdrawn IS NULL", "itit", at,
		       why, step, actor);
}

/* ---- the incident around the plan ---- */

static enum nhir_rc decision_insert(struct nhir_store *st, int64_t incident,
				    int64_t at, const char *actor,
				    const char *what, const char *why,
				    struct nhir_err *err)
{
	return sq_exec(st, err, "INSERT INTO decision(incident, at, actor, kind,"
		       " what, why) VALUES(?, ?, ?, 'decision', ?, ?)", "iittt",
		       incident, at, actor, what, why);
}

static enum nhir_rc scope_settled(struct nhir_store *st, int64_t incident,
				  nhir_plan_scope_cb cb, void *arg,
				  struct nhir_err *err)
{
	sqlite3_stmt *q;
	enum nhir_rc rc;
	int r;

	rc = sq_query(st, err, &q, "SELECT node, status FROM scope WHERE"
		      " incident = ? AND status != 'proposed' ORDER BY node",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = sq_step(st, q, err)) == 1)
		if (cb(arg, sq_col_int(q, 0),
		       !strcmp(sq_text(q, 1), "confirmed"))) {
			r = 0;
			break;
		}
	sq_done(st, q);
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
		       " confirmed = coalesce(confirmed, ?), detail = ? WHERE"
		       " incident = ? AND node = ?", "itii", at, detail,
		       incident, node);
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
		v.state = nhir_revocation_state_parse(sq_text(q, 2));
		v.detail = sq_text(q, 3);
		v.requested = sq_col_int(q, 4);
		v.confirmed = sq_col_int(q, 5);
		v.verified = sq_col_int(q, 6);
		if (cb(arg, &v)) {
			r = 0;
			break;
		}
	}
	sq_done(st, q);
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
	sq_done(st, q);
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
	.step_insert = step_insert,
	.steps_read = steps_read,
	.step_set_digest = step_set_digest,
	.step_set_status = step_set_status,
	.step_start = step_start,
	.step_finish = step_finish,
	.verify_steps_done = verify_steps_done,
	.steps_begun = steps_begun,
	.step_last_id = step_last_id,
	.step_last_seq = step_last_seq,
	.step_first_in_phase = step_first_in_phase,
	.steps_make_room = steps_make_room,
	.steps_renumber = steps_renumber,
	.approvals_carry = approvals_carry,
	.steps_drop_upto = steps_drop_upto,
	.dep_insert = dep_insert,
	.deps_of = deps_of,
	.waits_of = waits_of,
	.dep_drop = dep_drop,
	.deps_drop_after = deps_drop_after,
	.approval_insert = approval_insert,
	.approvals_of = approvals_of,
	.rejection_standing = rejection_standing,
	.rejections_open = rejections_open,
	.rejections_withdraw = rejections_withdraw,
	.decision_insert = decision_insert,
	.scope_settled = scope_settled,
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
