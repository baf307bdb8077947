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
#include "store/plan.h"

#include "core/hash.h"
#include "plan/plan-internal.h"

#define DAY (24 * 3600)

struct step_row {
	int64_t id, seq;
	enum nhir_step_status status;
	char proposer[128], action[128];
	char digest[65], entry[65];
	int needed;
	bool reversible;
	bool found;
};

static int take_row(void *arg, const struct nhir_plan_step_row *s)
{
	struct step_row *r = arg;

	r->id = s->id;
	r->seq = s->def.seq;
	r->status = s->status;
	ir_copy(r->proposer, sizeof(r->proposer), s->def.proposer);
	ir_copy(r->action, sizeof(r->action), s->def.action);
	r->needed = s->def.approvals_needed;
	ir_copy(r->digest, sizeof(r->digest), s->digest);
	ir_copy(r->entry, sizeof(r->entry), s->def.entry);
	r->reversible = s->def.reversible;
	r->found = true;
	return 1;
}

static enum nhir_rc get_row(struct nhir_store *st, int64_t incident,
			    int64_t seq, struct step_row *r,
			    struct nhir_err *err)
{
	enum nhir_rc rc;

	memset(r, 0, sizeof(*r));
	rc = nhir_plan_store(st)->steps_read(st, incident, seq, take_row, r,
					     err);
	if (rc)
		return rc;
	if (!r->found)
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

static void dg_int(struct nhir_sha256 *h, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	dg_str(h, s);
}

/*
 * The digest of one step: its action, target, what it does (phase,
 * cut, what survives, delay), reversibility, evidence and privilege,
 * the approvals it needs, its position in the plan and its catalog
 * entry's digest, each as text.
 */
static void step_digest(const struct nhir_plan_step_def *s, char out[65])
{
	const char *cuts = nhir_cut_name(s->cuts);
	struct nhir_sha256 h;
	unsigned char md[32];

	out[0] = 0;
	if (!nhir_sha256_init(&h))
		return;
	dg_str(&h, "nhir-step-v1");
	dg_str(&h, s->action);
	dg_int(&h, s->target);
	dg_str(&h, nhir_phase_name(s->phase));
	dg_str(&h, cuts ? cuts : "");
	dg_str(&h, s->survives);
	dg_int(&h, s->delay);
	dg_int(&h, s->reversible);
	dg_int(&h, s->destroys_evidence);
	dg_int(&h, s->privileged);
	dg_int(&h, s->changes_access);
	dg_int(&h, s->approvals_needed);
	dg_int(&h, s->seq);
	dg_str(&h, s->entry);
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	nhir_hex32(md, out);
}

struct digests {
	struct { int64_t id; char d[65]; } *v;
	size_t nr, alloc;
	bool oom;
};

static int digest_cb(void *arg, const struct nhir_plan_step_row *s)
{
	struct digests *g = arg;

	if (NHIR_ALLOC_GROW(g->v, g->nr + 1, g->alloc)) {
		g->oom = true;
		return 1;
	}
	g->v[g->nr].id = s->id;
	step_digest(&s->def, g->v[g->nr].d);
	if (!g->v[g->nr].d[0]) {
		g->oom = true;
		return 1;
	}
	g->nr++;
	return 0;
}

enum nhir_rc plan_digests(struct nhir_store *st, int64_t incident,
			  struct nhir_err *err)
{
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct digests g;
	enum nhir_rc rc;

	memset(&g, 0, sizeof(g));
	rc = ops->steps_read(st, incident, 0, digest_cb, &g, err);
	if (!rc && g.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < g.nr; i++)
		rc = ops->step_set_digest(st, g.v[i].id, g.v[i].d, err);
	nhir_free(g.v);
	return rc;
}

/* Has actor a rejection of step r that stands?  Its reason in why. */
static enum nhir_rc standing_rejection(struct nhir_store *st,
				       const char *actor,
				       const struct step_row *r, bool *out,
				       char *why, size_t n,
				       struct nhir_err *err)
{
	return nhir_plan_store(st)->rejection_standing(st, r->id, actor,
						       r->digest, out, why, n,
						       err);
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

/* actor's verdict on step r, bound to what the step is now. */
static enum nhir_rc record_verdict(struct nhir_store *st, const char *actor,
				   const struct step_row *r, bool approve,
				   const char *why, int64_t at, int64_t expires,
				   struct nhir_err *err)
{
	struct nhir_plan_approval_def a;

	memset(&a, 0, sizeof(a));
	a.step = r->id;
	a.actor = actor;
	a.verdict = approve ? NHIR_VERDICT_APPROVE : NHIR_VERDICT_REJECT;
	a.why = why;
	a.at = at;
	a.expires = expires;
	a.digest = r->digest;
	a.seq = r->seq;
	a.entry = r->entry;
	a.reversible = r->reversible;
	return nhir_plan_store(st)->approval_insert(st, &a, err);
}

/*
 * May u approve at all?  Approvers and leads do; otherwise reason says
 * why not (four eyes, the other half, is the step's own rule).
 */
static bool may_approve(const struct nhir_user *u, const char *actor,
			char *reason, size_t n)
{
	reason[0] = 0;
	if (u->role == NHIR_ROLE_APPROVER || u->role == NHIR_ROLE_LEAD)
		return true;
	snprintf(reason, n, "%s (%s) may not approve: approvers and leads do",
		 actor, nhir_role_name(u->role));
	return false;
}

enum nhir_rc nhir_approve(const struct nhir_ctx *ctx, int64_t incident,
			  int64_t seq, bool approve, const char *why,
			  int64_t ttl, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const char *op = approve ? "approve" : "reject";
	struct nhir_user u;
	struct step_row r;
	char reason[300], prior[200];
	bool rejected = false;
	int64_t now = nhir_ctx_now(ctx);
	cJSON *d;
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "an %s needs a reason "
				    "(--why)", approve ? "approval" : "rejection");
	rc = ir_begin(ctx, NHIR_PERM_READ, incident, op, err);
	if (rc)
		return rc;
	rc = bound_ttl(st, &ttl, err);
	if (!rc)
		rc = get_row(st, incident, seq, &r, err);
	if (!rc)
		rc = nhir_user_get(st, actor, &u, err);
	if (!rc) {
		if (may_approve(&u, actor, reason, sizeof(reason)) &&
		    !strcmp(actor, r.proposer))
			snprintf(reason, sizeof(reason), "%s proposed the plan "
				 "and may not approve its steps (four eyes)",
				 actor);
		if (reason[0]) {
			nhir_store_rollback(st);
			nhir_audit_denied(ctx, op, incident, reason);
			return nhir_err_set(err, NHIR_EDENIED, "%s", reason);
		}
	}
	if (!rc && r.status != NHIR_STEP_PLANNED && r.status != NHIR_STEP_FAILED)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " is %s",
				  seq, nhir_step_status_name(r.status));
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
		rc = record_verdict(st, actor, &r, approve, why, now, now + ttl,
				    err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", r.action);
		cJSON_AddStringToObject(d, "why", why);
		cJSON_AddNumberToObject(d, "ttl", (double)ttl);
		cJSON_AddStringToObject(d, "digest", r.digest);
	}
	return ir_end(ctx, rc, op, incident, d, err);
}

/* The steps that await one approver's approval, in plan order. */
struct awaiting {
	const char *actor;
	struct { int64_t id, seq; char action[128]; } *v;
	size_t nr, alloc;
	bool oom, mine;
};

static int mine_cb(const struct nhir_approval *a, void *data)
{
	struct awaiting *w = data;

	if (!strcmp(a->actor, w->actor) && !strcmp(a->verdict, "approve") &&
	    !strcmp(a->state, "valid"))
		w->mine = true;
	return 0;
}

static int awaiting_cb(const struct nhir_step *s, void *data)
{
	struct awaiting *w = data;

	if (strcmp(s->status, "planned") && strcmp(s->status, "failed"))
		return 0;
	if (s->approvals_needed <= 0 || s->approvals >= s->approvals_needed)
		return 0;
	if (NHIR_ALLOC_GROW(w->v, w->nr + 1, w->alloc)) {
		w->oom = true;
		return 1;
	}
	w->v[w->nr].id = s->id;
	w->v[w->nr].seq = s->seq;
	ir_copy(w->v[w->nr].action, sizeof(w->v[w->nr].action), s->action);
	w->nr++;
	return 0;
}

enum nhir_rc nhir_approve_pending(const struct nhir_ctx *ctx, int64_t incident,
				  const char *why, int64_t ttl,
				  nhir_approve_cb cb, void *data,
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct awaiting w;
	struct nhir_incident inc;
	struct nhir_user u;
	char reason[300];
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "an approval needs a "
				    "reason (--why)");
	rc = nhir_authorize_audited(ctx, NHIR_PERM_READ, incident, "approve",
				    err);
	if (!rc)
		rc = nhir_incident_get(st, incident, &inc, err);
	if (!rc)
		rc = nhir_user_get(st, actor, &u, err);
	if (rc)
		return rc;
	if (!may_approve(&u, actor, reason, sizeof(reason))) {
		nhir_audit_denied(ctx, "approve", incident, reason);
		return nhir_err_set(err, NHIR_EDENIED, "%s", reason);
	}
	memset(&w, 0, sizeof(w));
	w.actor = actor;
	rc = nhir_plan_each(st, incident, awaiting_cb, &w, err);
	if (!rc && w.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < w.nr; i++) {
		struct nhir_approve_result res = { w.v[i].seq, w.v[i].action,
						   true, NHIR_OK, "" };
		struct nhir_err e = NHIR_ERR_INIT;

		w.mine = false;
		rc = nhir_approval_each(st, incident, w.v[i].id, mine_cb, &w,
					err);
		if (rc || w.mine)
			continue;
		rc = nhir_approve(ctx, incident, w.v[i].seq, true, why, ttl,
				  &e);
		/* refused for this step alone; anything else ends the run */
		if (rc == NHIR_EDENIED || rc == NHIR_ECONFLICT) {
			res.approved = false;
			res.rc = rc;
			res.reason = e.msg;
			rc = NHIR_OK;
		} else if (rc) {
			if (err)
				*err = e;
			break;
		}
		if (cb)
			rc = cb(&res, data);
		if (rc)
			nhir_err_set(err, rc, "%s", nhir_strerror(rc));
	}
	nhir_free(w.v);
	return rc;
}

enum nhir_rc nhir_reject_withdraw(const struct nhir_ctx *ctx, int64_t incident,
				  int64_t seq, const char *why,
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct step_row r;
	int64_t n = 0;
	cJSON *d;
	enum nhir_rc rc;

	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "withdrawing a rejection "
				    "needs a reason (--why)");
	rc = ir_begin(ctx, NHIR_PERM_READ, incident, "reject.withdraw", err);
	if (rc)
		return rc;
	rc = get_row(st, incident, seq, &r, err);
	if (!rc)
		rc = nhir_plan_store(st)->rejections_open(st, r.id, actor, &n,
							  err);
	if (!rc && !n)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "%s has no rejection of "
				  "step %" PRId64 " to withdraw (only its author "
				  "may withdraw one)", actor, seq);
	if (!rc)
		rc = nhir_plan_store(st)->rejections_withdraw(st, r.id, actor,
							      nhir_ctx_now(ctx),
							      why, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", r.action);
		cJSON_AddStringToObject(d, "why", why);
		cJSON_AddNumberToObject(d, "withdrawn", (double)n);
	}
	return ir_end(ctx, rc, "reject.withdraw", incident, d, err);
}

/* ---- reading approvals ---- */

/* Why approval a does not count ("" if it does), into buf; its state. */
static const char *approval_state(const struct nhir_plan_approval_row *a,
				  int64_t now, char *buf, size_t n)
{
	const char *actor = a->def.actor;

	buf[0] = 0;
	if (a->withdrawn) {
		snprintf(buf, n, "withdrawn: %s", a->withdrawn_why);
		return "withdrawn";
	}
	if (strcmp(a->def.digest, a->step_digest)) {
		if (a->def.seq && a->def.seq != a->step_seq)
			snprintf(buf, n, "the step moved from %" PRId64 " to %"
				 PRId64 " since", a->def.seq, a->step_seq);
		else if (a->def.entry && strcmp(a->def.entry, a->step_entry))
			snprintf(buf, n, "its catalog entry changed since");
		else if (a->reversible >= 0 &&
			 a->reversible != (int)a->step_reversible)
			snprintf(buf, n, "its reversibility changed since");
		else
			snprintf(buf, n, "the step changed since");
	} else if (!a->user) {
		snprintf(buf, n, "%s is no longer a user", actor);
	} else if (!a->active) {
		snprintf(buf, n, "%s is deactivated", actor);
	} else if (a->role != NHIR_ROLE_APPROVER && a->role != NHIR_ROLE_LEAD) {
		snprintf(buf, n, "%s is now %s and may not approve", actor,
			 nhir_role_name(a->role));
	} else if (!strcmp(actor, a->step_proposer)) {
		snprintf(buf, n, "%s proposed the step since", actor);
	} else if (a->def.verdict == NHIR_VERDICT_APPROVE &&
		   a->def.expires <= now) {
		snprintf(buf, n, "expired");
		return "expired";
	} else {
		return "valid";
	}
	return "void";
}

struct each_approval {
	nhir_approval_cb cb;
	void *data;
	int64_t now;
};

static int approval_cb(void *arg, const struct nhir_plan_approval_row *row)
{
	struct each_approval *e = arg;
	struct nhir_approval a;
	char reason[200];

	memset(&a, 0, sizeof(a));
	a.id = row->id;
	a.seq = row->step_seq;
	a.actor = row->def.actor;
	a.verdict = nhir_verdict_name(row->def.verdict);
	a.why = row->def.why;
	a.at = row->def.at;
	a.expires = row->def.expires;
	a.step = row->def.step;
	a.state = approval_state(row, e->now, reason, sizeof(reason));
	a.reason = reason;
	return e->cb(&a, e->data);
}

enum nhir_rc nhir_approval_each(struct nhir_store *st, int64_t incident,
				int64_t step, nhir_approval_cb cb, void *data,
				struct nhir_err *err)
{
	struct each_approval e = { cb, data, nhir_store_now(st) };

	return nhir_plan_store(st)->approvals_of(st, incident, step,
						 approval_cb, &e, err);
}

/* ---- edits ---- */

struct plan_mem {
	int64_t *id, *seq;
	size_t nr, alloc, seq_alloc;
	bool oom;
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

static int mem_step(void *arg, const struct nhir_plan_step_row *s)
{
	struct plan_mem *m = arg;

	if (NHIR_ALLOC_GROW(m->id, m->nr + 1, m->alloc) ||
	    NHIR_ALLOC_GROW(m->seq, m->nr + 1, m->seq_alloc)) {
		m->oom = true;
		return 1;
	}
	m->id[m->nr] = s->id;
	m->seq[m->nr] = s->def.seq;
	m->nr++;
	return 0;
}

static int mem_dep(void *arg, int64_t step, int64_t after, const char *why)
{
	struct plan_mem *m = arg;

	if (NHIR_ALLOC_GROW(m->dep, m->dep_nr + 1, m->dep_alloc)) {
		m->oom = true;
		return 1;
	}
	m->dep[m->dep_nr].step = step;
	m->dep[m->dep_nr].after = after;
	ir_copy(m->dep[m->dep_nr].why, sizeof(m->dep[0].why), why);
	m->dep_nr++;
	return 0;
}

/* The steps of incident by seq, and what waits for what, into m. */
static enum nhir_rc mem_load(struct nhir_store *st, int64_t incident,
			     struct plan_mem *m, struct nhir_err *err)
{
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	enum nhir_rc rc;

	memset(m, 0, sizeof(*m));
	rc = ops->steps_read(st, incident, 0, mem_step, m, err);
	if (!rc && !m->oom)
		rc = ops->deps_of(st, incident, mem_dep, m, err);
	if (!rc && m->oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return rc;
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
	return nhir_plan_store(st)->decision_insert(st, incident,
						    nhir_store_now(st), actor,
						    what, why, err);
}

enum nhir_rc nhir_plan_skip(const struct nhir_ctx *ctx, int64_t incident,
			    int64_t seq, const char *why, const char *accept,
			    struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct step_row r;
	struct plan_mem m;
	char what[300];
	cJSON *d;
	enum nhir_rc rc;
	size_t broken = 0;

	memset(&m, 0, sizeof(m));
	if (!why || !*why)
		return nhir_err_set(err, NHIR_EINVAL, "skipping needs --why");
	rc = ir_begin(ctx, NHIR_PERM_LEAD, incident, "plan.skip", err);
	if (rc)
		return rc;
	rc = get_row(st, incident, seq, &r, err);
	if (!rc && r.status != NHIR_STEP_PLANNED)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "step %" PRId64 " is %s",
				  seq, nhir_step_status_name(r.status));
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
			rc = ops->deps_drop_after(st, r.id, err);
	}
	if (!rc)
		rc = ops->step_set_status(st, r.id, NHIR_STEP_SKIPPED, why,
					  err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "why", why);
		if (accept)
			cJSON_AddStringToObject(d, "accepted", accept);
	}
	mem_free(&m);
	return ir_end(ctx, rc, "plan.skip", incident, d, err);
}

enum nhir_rc nhir_plan_move(const struct nhir_ctx *ctx, int64_t incident,
			    int64_t seq, int64_t before, const char *accept,
			    struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct step_row r, b;
	struct plan_mem m;
	int64_t *order = NULL;
	char what[300];
	cJSON *d;
	enum nhir_rc rc;
	size_t k = 0, broken = 0;

	memset(&m, 0, sizeof(m));
	rc = ir_begin(ctx, NHIR_PERM_LEAD, incident, "plan.move", err);
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
			rc = ops->dep_drop(st, m.dep[i].step, m.dep[i].after,
					   err);
		broken++;
	}
	if (!rc && accept && broken) {
		snprintf(what, sizeof(what), "move step %" PRId64 " (%s) before "
			 "step %" PRId64 ", breaking %zu ordering constraint(s)",
			 seq, r.action, before, broken);
		rc = accept_risk(st, actor, incident, what, accept, err);
	}
	if (!rc)
		rc = ops->steps_renumber(st, incident, order, k, err);
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
	return ir_end(ctx, rc, "plan.move", incident, d, err);
}

static bool changes_access(const struct nhir_action *a)
{
	return a->phase == NHIR_PHASE_ROTATE || a->phase == NHIR_PHASE_CONTAIN ||
	       a->phase == NHIR_PHASE_REVOKE || a->phase == NHIR_PHASE_CUT;
}

/* Stores the lead's step doing a on node (0: none) at seq; its id in *id. */
static enum nhir_rc add_step(struct nhir_store *st, const char *actor,
			     int64_t incident, int64_t seq,
			     const struct nhir_action *a, int64_t node,
			     const char *entry, int64_t *id,
			     struct nhir_err *err)
{
	struct nhir_plan_step_def d;
	bool access = changes_access(a);

	memset(&d, 0, sizeof(d));
	d.incident = incident;
	d.seq = seq;
	d.action = a->id;
	d.target = node;
	d.phase = a->phase;
	d.cuts = a->cuts;
	d.why = "added by the lead";
	d.breaks = "";
	d.survives = a->survives ? a->survives : "";
	d.reversible = a->reversible;
	d.destroys_evidence = a->destroys_evidence;
	d.privileged = a->privileged;
	d.changes_access = access;
	d.approvals_needed = access ? (!a->reversible || a->privileged ? 2 : 1)
				    : 0;
	d.delay = a->delay;
	d.proposer = actor;
	d.created = nhir_store_now(st);
	d.entry = entry;
	return nhir_plan_store(st)->step_insert(st, &d, id, err);
}

enum nhir_rc nhir_plan_add(const struct nhir_ctx *ctx, int64_t incident,
			   const struct nhir_catalog *cat, const char *action,
			   const char *target, int64_t after, int64_t *seq_out,
			   struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	const struct nhir_action *a = nhir_catalog_find(cat, action);
	struct step_row aft;
	char entry[65];
	int64_t node = 0, seq = 0, id = 0, pres = 0;
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
	rc = ir_begin(ctx, NHIR_PERM_LEAD, incident, "plan.add", err);
	if (rc)
		return rc;
	if (after) {
		rc = get_row(st, incident, after, &aft, err);
		seq = aft.seq + 1;
	} else {
		rc = ops->step_last_seq(st, incident, &seq, err);
		seq++;
	}
	if (!rc)
		rc = ops->steps_make_room(st, incident, seq, err);
	if (!rc)
		rc = add_step(st, actor, incident, seq, a, node, entry, &id, err);
	if (!rc && after)
		rc = ops->dep_insert(st, id, aft.id, "placed after it by the lead",
				     err);
	if (!rc && changes_access(a))
		rc = ops->step_first_in_phase(st, incident, NHIR_PHASE_PRESERVE,
					      seq, &pres, err);
	/* placed after the preserving step already: nothing to add */
	if (!rc && pres && !(after && pres == aft.id))
		rc = ops->dep_insert(st, id, pres, "evidence is preserved first",
				     err);
	if (!rc)
		rc = plan_digests(st, incident, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)seq);
		cJSON_AddStringToObject(d, "action", action);
		cJSON_AddNumberToObject(d, "approvals_needed",
					!changes_access(a) ? 0
					: !a->reversible || a->privileged ? 2
									  : 1);
		if (target)
			cJSON_AddStringToObject(d, "target", target);
	}
	rc = ir_end(ctx, rc, "plan.add", incident, d, err);
	if (!rc)
		*seq_out = seq;
	return rc;
}
