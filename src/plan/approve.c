/*
 * Four-eyes approval and plan edits.  Approvals expire; a step that
 * changes access needs one approver, an irreversible or privileged one
 * two distinct approvers, never the plan's proposer.  Edits that break
 * an ordering constraint are refused unless the lead accepts the risk,
 * which is recorded as a decision.
 */
#include "compat.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "record/record-internal.h"

#include "core/hash.h"
#include "plan/plan-internal.h"

#define DAY (24 * 3600)

struct step_row {
	int64_t id, seq;
	char status[16], proposer[128], action[128];
	char digest[65], entry[65];
	int needed;
	bool reversible;
};

static enum nhir_rc get_row(struct nhir_store *st, int64_t incident,
			    int64_t seq, struct step_row *r,
			    struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int x;

	rc = ir_query(st, err, &q, "SELECT id, seq, status, proposer, action,"
		      " approvals_needed, digest, entry, reversible FROM"
		      " plan_step WHERE incident = ? AND seq = ?", "ii",
		      incident, seq);
	if (rc)
		return rc;
	x = nhir_sql_step(q, err);
	if (x == 1) {
		r->id = nhir_sql_int(q, 0);
		r->seq = nhir_sql_int(q, 1);
		ir_copy(r->status, sizeof(r->status), nhir_sql_text(q, 2));
		ir_copy(r->proposer, sizeof(r->proposer), nhir_sql_text(q, 3));
		ir_copy(r->action, sizeof(r->action), nhir_sql_text(q, 4));
		r->needed = (int)nhir_sql_int(q, 5);
		ir_copy(r->digest, sizeof(r->digest), nhir_sql_text(q, 6));
		ir_copy(r->entry, sizeof(r->entry), nhir_sql_text(q, 7));
		r->reversible = nhir_sql_int(q, 8) != 0;
	}
	nhir_sql_finish(q);
	if (x < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!x)
		return nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64 " has no "
				    "step %" PRId64, incident, seq);
	return NHIR_OK;
}

/* ---- what an approval is bound to ---- */

static void dg_str(struct nhir_sha256 *h, const char *s)
{
	char len[24];

	snprintf(len, sizeof(len), "%zu:", s ? strlen(s) : (size_t)0);
	nhir_sha256_update(h, len, strlen(len));
	if (s)
		nhir_sha256_update(h, s, strlen(s));
}

/*
 * The digest of one step row: its action, target, what it does (phase,
 * cut, what survives, delay), reversibility, evidence and privilege,
 * the approvals it needs, its position in the plan and its catalog
 * entry's digest.  Columns as selected in plan_digests.
 */
static void step_digest(struct nhir_sql *q, char out[65])
{
	struct nhir_sha256 h;
	unsigned char md[32];

	out[0] = 0;
	if (!nhir_sha256_init(&h))
		return;
	dg_str(&h, "nhir-step-v1");
	for (int c = 1; c <= 13; c++)
		dg_str(&h, nhir_sql_text(q, c));
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	nhir_hex32(md, out);
}

enum nhir_rc plan_digests(struct nhir_store *st, int64_t incident,
			  struct nhir_err *err)
{
	struct { int64_t id; char d[65]; } *v = NULL;
	size_t nr = 0, alloc = 0;
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT id, action, coalesce(target, 0),"
		      " phase, coalesce(cuts, ''), survives, delay, reversible,"
		      " destroys_evidence, privileged, changes_access,"
		      " approvals_needed, seq, entry FROM plan_step WHERE"
		      " incident = ?", "i", incident);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		if (NHIR_ALLOC_GROW(v, nr + 1, alloc)) {
			nhir_sql_finish(q);
			nhir_free(v);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		v[nr].id = nhir_sql_int(q, 0);
		step_digest(q, v[nr].d);
		if (!v[nr].d[0]) {
			nhir_sql_finish(q);
			nhir_free(v);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		nr++;
	}
	nhir_sql_finish(q);
	rc = ir_step_rc(r, err);
	for (size_t i = 0; !rc && i < nr; i++)
		rc = ir_exec(st, err, "UPDATE plan_step SET digest = ? WHERE"
			     " id = ?", "ti", v[i].d, v[i].id);
	nhir_free(v);
	return rc;
}

/* Has actor a rejection of step r that stands?  Its reason in why. */
static enum nhir_rc standing_rejection(struct nhir_store *st,
				       const char *actor,
				       const struct step_row *r, bool *out,
				       char *why, size_t n,
				       struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int x;

	*out = false;
	rc = ir_query(st, err, &q, "SELECT why FROM approval WHERE step = ?"
		      " AND actor = ? AND verdict = 'reject' AND withdrawn IS"
		      " NULL AND digest = ? ORDER BY id DESC", "itt", r->id,
		      actor, r->digest);
	if (rc)
		return rc;
	x = nhir_sql_step(q, err);
	if (x == 1) {
		*out = true;
		ir_copy(why, n, nhir_sql_text(q, 0));
	}
	nhir_sql_finish(q);
	return ir_step_rc(x, err);
}

/* The TTL an approval gets: ttl (0: a day), at most the maximum. */
static enum nhir_rc bound_ttl(struct nhir_store *st, int64_t *ttl,
			      struct nhir_err *err)
{
	int64_t max = 0;
	enum nhir_rc rc;

	if (*ttl < 0)
		return nhir_err_set(err, NHIR_EINVAL, "a TTL is a positive "
				    "number of seconds");
	rc = nhir_approval_ttl_max(st, &max, err);
	if (rc)
		return rc;
	if (!*ttl)
		*ttl = DAY < max ? DAY : max;
	if (*ttl > max)
		return nhir_err_set(err, NHIR_EINVAL, "an approval lasts at most "
				    "%" PRId64 " s (setting approval-ttl-max);"
				    " a TTL of %" PRId64 " s is refused", max,
				    *ttl);
	return NHIR_OK;
}

enum nhir_rc nhir_approve(struct nhir_store *st, const char *actor,
			  int64_t incident, int64_t seq, bool approve,
			  const char *why, int64_t ttl, struct nhir_err *err)
{
	const char *op = approve ? "approve" : "reject";
	struct nhir_user u;
	struct step_row r;
	char reason[300], prior[200];
	bool rejected = false;
	int64_t now = nhir_time_now();
	cJSON *d;
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "an %s needs a reason "
				    "(--why)", approve ? "approval" : "rejection");
	rc = ir_begin(st, actor, NHIR_PERM_READ, incident, op, err);
	if (rc)
		return rc;
	rc = bound_ttl(st, &ttl, err);
	if (!rc)
		rc = get_row(st, incident, seq, &r, err);
	if (!rc)
		rc = nhir_user_get(st, actor, &u, err);
	if (!rc) {
		reason[0] = 0;
		if (u.role != NHIR_ROLE_APPROVER && u.role != NHIR_ROLE_LEAD)
			snprintf(reason, sizeof(reason), "%s (%s) may not "
				 "approve: approvers and leads do", actor,
				 nhir_role_name(u.role));
		else if (!strcmp(actor, r.proposer))
			snprintf(reason, sizeof(reason), "%s proposed the plan "
				 "and may not approve its steps (four eyes)",
				 actor);
		if (reason[0]) {
			nhir_store_rollback(st);
			nhir_audit_denied(st, actor, op, incident, reason);
			return nhir_err_set(err, NHIR_EDENIED, "%s", reason);
		}
	}
	if (!rc && strcmp(r.status, "planned") && strcmp(r.status, "failed"))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " is %s",
				  seq, r.status);
	/* steps planned before digests were kept get theirs now */
	if (!rc && !r.digest[0]) {
		rc = plan_digests(st, incident, err);
		if (!rc)
			rc = get_row(st, incident, seq, &r, err);
	}
	if (!rc && approve)
		rc = standing_rejection(st, actor, &r, &rejected, prior,
					sizeof(prior), err);
	if (!rc && rejected)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "%s rejected step %" PRId64
				  " (%s); withdraw the rejection first ('nhir "
				  "reject --withdraw')", actor, seq, prior);
	if (!rc)
		rc = ir_exec(st, err, "INSERT INTO approval(step, actor, verdict,"
			     " why, at, expires, digest, seq, entry, reversible)"
			     " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			     "itttiititi", r.id, actor, op, why, now, now + ttl,
			     r.digest, r.seq, r.entry, (int64_t)r.reversible);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", r.action);
		cJSON_AddStringToObject(d, "why", why);
		cJSON_AddNumberToObject(d, "ttl", (double)ttl);
		cJSON_AddStringToObject(d, "digest", r.digest);
	}
	return ir_end(st, rc, actor, op, incident, d, err);
}

enum nhir_rc nhir_reject_withdraw(struct nhir_store *st, const char *actor,
				  int64_t incident, int64_t seq,
				  const char *why, struct nhir_err *err)
{
	struct step_row r;
	int64_t n = 0;
	cJSON *d;
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "withdrawing a rejection "
				    "needs a reason (--why)");
	rc = ir_begin(st, actor, NHIR_PERM_READ, incident, "reject.withdraw",
		      err);
	if (rc)
		return rc;
	rc = get_row(st, incident, seq, &r, err);
	if (!rc)
		rc = ir_int(st, err, &n, NULL, "SELECT count(*) FROM approval"
			    " WHERE step = ? AND actor = ? AND verdict ="
			    " 'reject' AND withdrawn IS NULL", "it", r.id,
			    actor);
	if (!rc && !n)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "%s has no rejection of "
				  "step %" PRId64 " to withdraw (only its author "
				  "may withdraw one)", actor, seq);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE approval SET withdrawn = ?,"
			     " withdrawn_why = ? WHERE step = ? AND actor = ?"
			     " AND verdict = 'reject' AND withdrawn IS NULL",
			     "itit", nhir_time_now(), why, r.id, actor);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", r.action);
		cJSON_AddStringToObject(d, "why", why);
		cJSON_AddNumberToObject(d, "withdrawn", (double)n);
	}
	return ir_end(st, rc, actor, "reject.withdraw", incident, d, err);
}

/* ---- reading approvals ---- */

/* Why a row of approval_each does not count ("" if it does), into buf. */
static void approval_state(struct nhir_sql *q, int64_t now,
			   struct nhir_approval *a, char *buf, size_t n)
{
	const char *role = nhir_sql_text(q, 13);
	bool active = nhir_sql_int(q, 14) != 0, user = !nhir_sql_is_null(q, 13);

	buf[0] = 0;
	a->state = "valid";
	if (!nhir_sql_is_null(q, 15)) {
		a->state = "withdrawn";
		snprintf(buf, n, "withdrawn: %s", nhir_sql_text(q, 16));
		return;
	}
	a->state = "void";
	if (strcmp(nhir_sql_text(q, 8), nhir_sql_text(q, 9))) {
		if (!nhir_sql_is_null(q, 10) &&
		    nhir_sql_int(q, 10) != a->seq)
			snprintf(buf, n, "the step moved from %" PRId64 " to %"
				 PRId64 " since", nhir_sql_int(q, 10), a->seq);
		else if (!nhir_sql_is_null(q, 11) &&
			 strcmp(nhir_sql_text(q, 11), nhir_sql_text(q, 12)))
			snprintf(buf, n, "its catalog entry changed since");
		else if (!nhir_sql_is_null(q, 17) &&
			 nhir_sql_int(q, 17) != nhir_sql_int(q, 18))
			snprintf(buf, n, "its reversibility changed since");
		else
			snprintf(buf, n, "the step changed since");
	} else if (!user) {
		snprintf(buf, n, "%s is no longer a user", a->actor);
	} else if (!active) {
		snprintf(buf, n, "%s is deactivated", a->actor);
	} else if (strcmp(role, "approver") && strcmp(role, "lead")) {
		snprintf(buf, n, "%s is now %s and may not approve", a->actor,
			 role);
	} else if (!strcmp(a->actor, nhir_sql_text(q, 19))) {
		snprintf(buf, n, "%s proposed the step since", a->actor);
	} else if (!strcmp(a->verdict, "approve") && a->expires <= now) {
		a->state = "expired";
		snprintf(buf, n, "expired");
	} else {
		a->state = "valid";
	}
}

enum nhir_rc nhir_approval_each(struct nhir_store *st, int64_t incident,
				int64_t step, nhir_approval_cb cb, void *data,
				struct nhir_err *err)
{
	int64_t now = nhir_time_now();
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT a.id, s.seq, a.actor, a.verdict,"
		      " a.why, a.at, a.expires, s.id, a.digest, s.digest, a.seq,"
		      " a.entry, s.entry, u.role, u.active, a.withdrawn,"
		      " a.withdrawn_why, a.reversible, s.reversible, s.proposer"
		      " FROM approval a JOIN plan_step s ON s.id = a.step"
		      " LEFT JOIN nhir_user u ON u.name = a.actor"
		      " WHERE s.incident = ? AND (? = 0 OR s.id = ?)"
		      " ORDER BY s.seq, a.id", "iii", incident, step, step);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_approval a;
		char reason[200];

		memset(&a, 0, sizeof(a));
		a.id = nhir_sql_int(q, 0);
		a.seq = nhir_sql_int(q, 1);
		a.actor = nhir_sql_text(q, 2);
		a.verdict = nhir_sql_text(q, 3);
		a.why = nhir_sql_text(q, 4);
		a.at = nhir_sql_int(q, 5);
		a.expires = nhir_sql_int(q, 6);
		a.step = nhir_sql_int(q, 7);
		approval_state(q, now, &a, reason, sizeof(reason));
		a.reason = reason;
		if (cb(&a, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

/* ---- edits ---- */

struct plan_mem {
	int64_t *id, *seq;
	size_t nr;
	struct {
		int64_t step, after;
		char why[200];
	} *dep;
	size_t dep_nr, dep_alloc;
};

static void mem_free(struct plan_mem *m)
{
	nhir_free(m->id);
	nhir_free(m->seq);
	nhir_free(m->dep);
}

static enum nhir_rc mem_load(struct nhir_store *st, int64_t incident,
			     struct plan_mem *m, struct nhir_err *err)
{
	struct nhir_sql *q;
	int64_t n = 0;
	enum nhir_rc rc;
	int r;

	memset(m, 0, sizeof(*m));
	rc = ir_int(st, err, &n, NULL, "SELECT count(*) FROM plan_step WHERE"
		    " incident = ?", "i", incident);
	if (rc)
		return rc;
	m->id = nhir_calloc((size_t)n + 1, sizeof(*m->id));
	m->seq = nhir_calloc((size_t)n + 1, sizeof(*m->seq));
	if (!m->id || !m->seq)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = ir_query(st, err, &q, "SELECT id, seq FROM plan_step WHERE"
		      " incident = ? ORDER BY seq", "i", incident);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1 && m->nr < (size_t)n) {
		m->id[m->nr] = nhir_sql_int(q, 0);
		m->seq[m->nr] = nhir_sql_int(q, 1);
		m->nr++;
	}
	nhir_sql_finish(q);
	if (r < 0)
		return ir_step_rc(r, err);
	rc = ir_query(st, err, &q, "SELECT d.step, d.after, d.why FROM plan_dep"
		      " d JOIN plan_step s ON s.id = d.step WHERE s.incident = ?",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		if (NHIR_ALLOC_GROW(m->dep, m->dep_nr + 1, m->dep_alloc)) {
			nhir_sql_finish(q);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		m->dep[m->dep_nr].step = nhir_sql_int(q, 0);
		m->dep[m->dep_nr].after = nhir_sql_int(q, 1);
		ir_copy(m->dep[m->dep_nr].why, sizeof(m->dep[0].why),
			nhir_sql_text(q, 2));
		m->dep_nr++;
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

static int64_t seq_of(const struct plan_mem *m, int64_t id)
{
	for (size_t i = 0; i < m->nr; i++)
		if (m->id[i] == id)
			return m->seq[i];
	return 0;
}

/* The lead's acceptance of a broken constraint, as a decision. */
static enum nhir_rc accept_risk(struct nhir_store *st, const char *actor,
				int64_t incident, const char *what,
				const char *why, struct nhir_err *err)
{
	return ir_exec(st, err, "INSERT INTO decision(incident, at, actor, kind,"
		       " what, why) VALUES(?, ?, ?, 'decision', ?, ?)", "iittt",
		       incident, nhir_time_now(), actor, what, why);
}

enum nhir_rc nhir_plan_skip(struct nhir_store *st, const char *actor,
			    int64_t incident, int64_t seq, const char *why,
			    const char *accept, struct nhir_err *err)
{
	struct step_row r;
	struct plan_mem m;
	char what[300];
	cJSON *d;
	enum nhir_rc rc;
	size_t broken = 0;

	memset(&m, 0, sizeof(m));
	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "skipping needs --why");
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, incident, "plan.skip", err);
	if (rc)
		return rc;
	rc = get_row(st, incident, seq, &r, err);
	if (!rc && strcmp(r.status, "planned"))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " is %s",
				  seq, r.status);
	if (!rc)
		rc = mem_load(st, incident, &m, err);
	for (size_t i = 0; !rc && i < m.dep_nr; i++) {
		if (m.dep[i].after != r.id)
			continue;
		if (!broken && !accept)
			rc = nhir_err_set(err, NHIR_ECONFLICT,
					  "step %" PRId64 " waits for step %"
					  PRId64 ": %s; record a decision to "
					  "accept it (--accept-risk WHY)",
					  seq_of(&m, m.dep[i].step), seq,
					  m.dep[i].why);
		broken++;
	}
	if (!rc && !broken && !strncmp(r.action, "generic.verify", 14) &&
	    !accept)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "every revocation is "
				  "verified: skipping step %" PRId64 " needs "
				  "--accept-risk WHY", seq);
	if (!rc && accept) {
		snprintf(what, sizeof(what), "skip step %" PRId64 " (%s) of "
			 "the plan, breaking its ordering constraints", seq,
			 r.action);
		rc = accept_risk(st, actor, incident, what, accept, err);
		if (!rc)
			rc = ir_exec(st, err, "DELETE FROM plan_dep WHERE after"
				     " = ?", "i", r.id);
	}
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET status = 'skipped',"
			     " result = ? WHERE id = ?", "ti", why, r.id);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "why", why);
		if (accept)
			cJSON_AddStringToObject(d, "accepted", accept);
	}
	mem_free(&m);
	return ir_end(st, rc, actor, "plan.skip", incident, d, err);
}

enum nhir_rc nhir_plan_move(struct nhir_store *st, const char *actor,
			    int64_t incident, int64_t seq, int64_t before,
			    const char *accept, struct nhir_err *err)
{
	struct step_row r, b;
	struct plan_mem m;
	int64_t *order = NULL;
	char what[300];
	cJSON *d;
	enum nhir_rc rc;
	size_t k = 0, broken = 0;

	memset(&m, 0, sizeof(m));
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, incident, "plan.move", err);
	if (rc)
		return rc;
	rc = get_row(st, incident, seq, &r, err);
	if (!rc)
		rc = get_row(st, incident, before, &b, err);
	if (!rc && seq == before)
		rc = nhir_err_set(err, NHIR_EINVAL, "a step cannot move before "
				  "itself");
	if (!rc)
		rc = mem_load(st, incident, &m, err);
	if (!rc && !(order = nhir_calloc(m.nr + 1, sizeof(*order))))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	/* the new order: r just before b */
	for (size_t i = 0; !rc && i < m.nr; i++) {
		if (m.id[i] == r.id)
			continue;
		if (m.id[i] == b.id)
			order[k++] = r.id;
		order[k++] = m.id[i];
	}
	for (size_t i = 0; !rc && i < m.dep_nr; i++) {
		size_t ps = 0, pa = 0;

		for (size_t j = 0; j < k; j++) {
			if (order[j] == m.dep[i].step)
				ps = j + 1;
			if (order[j] == m.dep[i].after)
				pa = j + 1;
		}
		if (pa < ps)
			continue;
		if (!broken && !accept)
			rc = nhir_err_set(err, NHIR_ECONFLICT,
					  "step %" PRId64 " must come after step %"
					  PRId64 ": %s; record a decision to "
					  "accept it (--accept-risk WHY)",
					  seq_of(&m, m.dep[i].step),
					  seq_of(&m, m.dep[i].after), m.dep[i].why);
		if (!rc && accept)
			rc = ir_exec(st, err, "DELETE FROM plan_dep WHERE step = ?"
				     " AND after = ?", "ii", m.dep[i].step,
				     m.dep[i].after);
		broken++;
	}
	if (!rc && accept && broken) {
		snprintf(what, sizeof(what), "move step %" PRId64 " (%s) before "
			 "step %" PRId64 ", breaking %zu ordering constraint(s)",
			 seq, r.action, before, broken);
		rc = accept_risk(st, actor, incident, what, accept, err);
	}
	/* renumber: negative first, so that no two steps share a seq */
	for (size_t i = 0; !rc && i < k; i++)
		rc = ir_exec(st, err, "UPDATE plan_step SET seq = ? WHERE id = ?",
			     "ii", -(int64_t)(i + 1), order[i]);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET seq = -seq WHERE"
			     " incident = ?", "i", incident);
	if (!rc)
		rc = plan_digests(st, incident, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddNumberToObject(d, "before", (double)before);
		if (accept)
			cJSON_AddStringToObject(d, "accepted", accept);
	}
	nhir_free(order);
	mem_free(&m);
	return ir_end(st, rc, actor, "plan.move", incident, d, err);
}

enum nhir_rc nhir_plan_add(struct nhir_store *st, const char *actor,
			   int64_t incident, const struct nhir_catalog *cat,
			   const char *action, const char *target,
			   int64_t after, int64_t *seq_out, struct nhir_err *err)
{
	const struct nhir_action *a = nhir_catalog_find(cat, action);
	struct step_row aft;
	char entry[65];
	int64_t node = 0, seq = 0, id = 0, pres = 0;
	bool access;
	cJSON *d;
	enum nhir_rc rc;

	*seq_out = 0;
	if (!a)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no action '%s' in the "
				    "catalog", action);
	if (!nhir_action_digest(a, entry))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (target) {
		rc = nhir_store_resolve(st, target, &node, err);
		if (rc)
			return rc;
	}
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, incident, "plan.add", err);
	if (rc)
		return rc;
	if (after) {
		rc = get_row(st, incident, after, &aft, err);
		seq = aft.seq + 1;
	} else {
		rc = ir_int(st, err, &seq, NULL, "SELECT coalesce(max(seq), 0) + 1"
			    " FROM plan_step WHERE incident = ?", "i", incident);
	}
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET seq = -(seq + 1) WHERE"
			     " incident = ? AND seq >= ?", "ii", incident, seq);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET seq = -seq WHERE"
			     " incident = ? AND seq < 0", "i", incident);
	access = a->phase == NHIR_PHASE_ROTATE || a->phase == NHIR_PHASE_CONTAIN ||
		 a->phase == NHIR_PHASE_REVOKE || a->phase == NHIR_PHASE_CUT;
	if (!rc)
		rc = ir_int(st, err, &id, NULL,
			      "INSERT INTO plan_step(incident, seq, action, target,"
			      " phase, cuts, why, breaks, survives, reversible,"
			      " destroys_evidence, privileged, changes_access,"
			      " approvals_needed, delay, status, proposer, created,"
			      " entry) VALUES(?, ?, ?, ?, ?, ?, 'added by the lead',"
			      " '', ?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?, ?)"
			      " RETURNING id",
			      "iitzttt" "iiiiii" "tit", incident, seq, a->id, node,
			      nhir_phase_name(a->phase), nhir_cut_name(a->cuts),
			      a->survives ? a->survives : "",
			      (int64_t)a->reversible,
			      (int64_t)a->destroys_evidence,
			      (int64_t)a->privileged, (int64_t)access,
			      (int64_t)(access ? (!a->reversible || a->privileged
						  ? 2 : 1) : 0),
			      a->delay, actor, nhir_time_now(), entry);
	if (!rc && after)
		rc = ir_exec(st, err, "INSERT INTO plan_dep(step, after, why)"
			     " VALUES(?, ?, 'placed after it by the lead')",
			     "ii", id, aft.id);
	if (!rc && access)
		rc = ir_int(st, err, &pres, NULL, "SELECT coalesce(min(id), 0)"
			    " FROM plan_step WHERE incident = ? AND phase ="
			    " 'preserve' AND seq < ?", "ii", incident, seq);
	if (!rc && pres)
		rc = ir_exec(st, err, "INSERT INTO plan_dep(step, after, why)"
			     " VALUES(?, ?, 'evidence is preserved first') ON"
			     " CONFLICT DO NOTHING", "ii", id, pres);
	if (!rc)
		rc = plan_digests(st, incident, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", action);
		if (target)
			cJSON_AddStringToObject(d, "target", target);
	}
	rc = ir_end(st, rc, actor, "plan.add", incident, d, err);
	if (!rc)
		*seq_out = seq;
	return rc;
}
