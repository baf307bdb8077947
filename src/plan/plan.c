/*
 * The planner: from an incident's confirmed scope, the steps of a safe
 * containment and their order, as a DAG.
 *
 *   preserve evidence            before anything that changes state
 *   notify owners                before access changes
 *   rotate stores, redeploy      before the credential they use dies
 *   contain (reversible)         before revoke (irreversible), verified
 *   children that survive        planned on their own; STS sessions by
 *                                cutting the identity they act as
 *   caches                       flushed before the revocation is verified
 *   verify                       after every revocation
 *
 * Each constraint is a dependency with its reason, so that an edit that
 * breaks one can say which.  See doc/internals/plan.md.
 */
#include "compat.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "record/record-internal.h"
#include "plan/plan-internal.h"

const char *plan_status_name(enum nhir_step_status s)
{
	static const char *const name[] = {
		[NHIR_STEP_PLANNED] = "planned",
		[NHIR_STEP_RUNNING] = "running",
		[NHIR_STEP_DONE] = "done",
		[NHIR_STEP_FAILED] = "failed",
		[NHIR_STEP_SKIPPED] = "skipped",
	};

	return (unsigned)s < NHIR_ARRAY_SIZE(name) ? name[s] : "?";
}

#define MAX_DEPS 64

struct pdep {
	int on;			/* index of the step waited for */
	const char *why;	/* static */
};

struct pstep {
	const struct nhir_action *a;
	int64_t target;
	char why[400];
	char breaks[600];
	struct pdep *deps;
	size_t dep_nr, dep_alloc;
	int64_t id;		/* once stored */
	int order;
};

struct planner {
	struct nhir_store *st;
	const struct nhir_catalog *cat;
	int64_t incident;
	struct pstep *v;
	size_t nr, alloc;
	int64_t *seen;		/* nodes planned */
	size_t seen_nr, seen_alloc;
	int64_t *dismissed;
	size_t dismissed_nr, dismissed_alloc;
	int64_t *made;		/* created with the compromised credentials */
	size_t made_nr, made_alloc;
	struct nhir_err *err;
	enum nhir_rc rc;
	int64_t now;
};

static bool has(const int64_t *v, size_t nr, int64_t x)
{
	for (size_t i = 0; i < nr; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void release(struct planner *p)
{
	for (size_t i = 0; i < p->nr; i++)
		nhir_free(p->v[i].deps);
	nhir_free(p->v);
	nhir_free(p->seen);
	nhir_free(p->dismissed);
	nhir_free(p->made);
}

static int find_step(struct planner *p, const char *action, int64_t target)
{
	for (size_t i = 0; i < p->nr; i++)
		if (p->v[i].target == target && !strcmp(p->v[i].a->id, action))
			return (int)i;
	return -1;
}

/* The step doing action on target, added if new. -1 on failure. */
static int step(struct planner *p, const struct nhir_action *a, int64_t target,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int step(struct planner *p, const struct nhir_action *a, int64_t target,
		const char *fmt, ...)
{
	struct pstep *s;
	va_list ap;
	int i;

	if (!a) {
		p->rc = nhir_err_set(p->err, NHIR_ENOTFOUND, "the catalog has no "
				     "action for a step the plan needs");
		return -1;
	}
	i = find_step(p, a->id, target);
	if (i >= 0)
		return i;
	if (NHIR_ALLOC_GROW(p->v, p->nr + 1, p->alloc)) {
		p->rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
		return -1;
	}
	s = &p->v[p->nr];
	memset(s, 0, sizeof(*s));
	s->a = a;
	s->target = target;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	return (int)p->nr++;
}

static void dep(struct planner *p, int s, int on, const char *why)
{
	struct pstep *x;

	if (s < 0 || on < 0 || s == on || p->rc)
		return;
	x = &p->v[s];
	for (size_t i = 0; i < x->dep_nr; i++)
		if (x->deps[i].on == on)
			return;
	if (NHIR_ALLOC_GROW(x->deps, x->dep_nr + 1, x->dep_alloc)) {
		p->rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
		return;
	}
	x->deps[x->dep_nr].on = on;
	x->deps[x->dep_nr++].why = why;
}

static void add_breaks(struct planner *p, int s, const char *what)
{
	size_t n;

	if (s < 0 || strstr(p->v[s].breaks, what))
		return;
	n = strlen(p->v[s].breaks);
	snprintf(p->v[s].breaks + n, sizeof(p->v[s].breaks) - n, "%s%s",
		 n ? "; " : "", what);
}

static bool changes_access(const struct nhir_action *a)
{
	return a->phase == NHIR_PHASE_ROTATE || a->phase == NHIR_PHASE_CONTAIN ||
	       a->phase == NHIR_PHASE_REVOKE || a->phase == NHIR_PHASE_CUT;
}

/* Edges of a node, collected (the callback cannot query the store). */
struct edges {
	struct nhir_edge *v;
	size_t nr, alloc;
	bool oom;
};

static int edge_cb(const struct nhir_edge *e, void *data)
{
	struct edges *x = data;

	if (NHIR_ALLOC_GROW(x->v, x->nr + 1, x->alloc)) {
		x->oom = true;
		return 1;
	}
	x->v[x->nr++] = *e;
	return 0;
}

static bool edges_of(struct planner *p, int64_t node, unsigned dirs,
		     struct edges *out)
{
	memset(out, 0, sizeof(*out));
	p->rc = nhir_store_node_edges(p->st, node, dirs, edge_cb, out, p->err);
	if (!p->rc && out->oom)
		p->rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	return !p->rc;
}

static const char *label(struct planner *p, int64_t node, char *buf,
			 size_t n)
{
	struct nhir_node x;

	if (nhir_store_get_node(p->st, node, &x, NULL)) {
		snprintf(buf, n, "#%" PRId64, node);
		return buf;
	}
	snprintf(buf, n, "%s", x.name && strcmp(x.name, x.ext_id) ? x.name
								  : x.ext_id);
	nhir_node_release(&x);
	return buf;
}

/*
 * The catalog's cut for node that cuts what: one naming the node's
 * subtype, else one for any subtype of its kind, else whatever cut the
 * catalog has for it (the step then says what it really cuts).
 */
static const struct nhir_action *pick_cut(const struct nhir_catalog *cat,
					  const struct nhir_node *node,
					  enum nhir_cut what)
{
	const struct nhir_action *any = NULL;

	for (size_t i = 0; i < cat->nr; i++) {
		const struct nhir_action *a = &cat->v[i];

		if (a->phase != NHIR_PHASE_CUT || a->cuts != what ||
		    (a->kinds && !(a->kinds & (1u << node->kind))))
			continue;
		if (!a->subtype_nr && !any)
			any = a;
		for (size_t k = 0; node->subtype && k < a->subtype_nr; k++)
			if (!strcmp(a->subtypes[k], node->subtype))
				return a;
	}
	return any ? any : nhir_catalog_pick(cat, node->kind, node->subtype,
					     NHIR_PHASE_CUT);
}

/* Has the child at the end of e expired by now? */
static bool ended(struct planner *p, const struct nhir_edge *e)
{
	struct nhir_node n;
	int64_t x = e->expires;

	if (!nhir_store_get_node(p->st, e->dst, &n, NULL)) {
		x = nhir_min_expiry(x, n.expires);
		nhir_node_release(&n);
	}
	return !nhir_valid_at(NHIR_TIME_UNSET, x, p->now);
}

/* Plans one credential, token or grant (and, through it, what follows). */
static void plan_credential(struct planner *p, int preserve, int64_t n,
			    const struct nhir_node *node, int64_t **queue,
			    size_t *qnr, size_t *qalloc)
{
	const struct nhir_action *ca, *xa;
	struct edges out, in;
	int c = -1, x = -1, v, first, cut = -1;
	char lbl[300], lbl2[400];

	ca = nhir_catalog_pick(p->cat, node->kind, node->subtype,
			       NHIR_PHASE_CONTAIN);
	xa = nhir_catalog_pick(p->cat, node->kind, node->subtype,
			       NHIR_PHASE_REVOKE);
	if (!edges_of(p, n, NHIR_DIR_OUT, &out))
		return;
	if (!edges_of(p, n, NHIR_DIR_IN, &in)) {
		nhir_free(out.v);
		return;
	}
	if (ca)
		c = step(p, ca, n, "contain %s (reversible) before anything "
			 "irreversible", node->ext_id);
	v = step(p, nhir_catalog_pick(p->cat, node->kind, node->subtype,
				      NHIR_PHASE_VERIFY), n,
		 "prove %s no longer works", node->ext_id);
	if (xa && !xa->kills_self) {
		/* cannot be revoked (STS): cut what it acts as */
		for (size_t i = 0; i < out.nr; i++) {
			struct nhir_node id;
			const struct nhir_action *ka;
			int k;

			if (out.v[i].kind != NHIR_EDGE_AUTHENTICATES ||
			    nhir_store_get_node(p->st, out.v[i].dst, &id, NULL))
				continue;
			ka = pick_cut(p->cat, &id, NHIR_CUT_ISSUED_BEFORE);
			if (ka) {
				k = step(p, ka, id.id, "sessions of %s cannot be "
					 "revoked; cut them where they act",
					 id.ext_id);
				dep(p, k, preserve, "evidence is preserved first");
				dep(p, v, k, "verify after the cut");
				add_breaks(p, k, "every session of the identity "
					   "issued before the cut, legitimate "
					   "ones too");
				cut = k;
			}
			nhir_node_release(&id);
		}
		xa = NULL;
	} else if (xa && ca && xa == ca) {
		xa = NULL;
	}
	if (xa)
		x = step(p, xa, n, "revoke %s for good, once containment is "
			 "verified", node->ext_id);
	if (c < 0 && x < 0 && v >= 0 && p->v[v].dep_nr == 0) {
		/* nothing specific: the generic revocation */
		x = step(p, nhir_catalog_find(p->cat, "generic.revoke"), n,
			 "revoke %s", node->ext_id);
	}
	first = c >= 0 ? c : x >= 0 ? x : cut;
	dep(p, first, preserve, "evidence is preserved first");
	dep(p, x, preserve, "evidence is preserved first");
	if (first >= 0)
		dep(p, v, first, "verify what was done");
	if (c >= 0 && x >= 0)
		dep(p, x, v, "irreversible only after the reversible step is "
		    "verified");

	/* dependents: rotate where it is stored, redeploy who uses it */
	for (size_t i = 0; i < in.nr && !p->rc; i++) {
		int d;

		if (in.v[i].kind != NHIR_EDGE_USES)
			continue;
		label(p, in.v[i].src, lbl, sizeof(lbl));
		d = step(p, nhir_catalog_pick(p->cat, NHIR_NODE_WORKLOAD, NULL,
					      NHIR_PHASE_RECOVER), in.v[i].src,
			 "%s uses %s: give it a new credential first", lbl,
			 node->ext_id);
		dep(p, d, preserve, "evidence is preserved first");
		for (size_t j = 0; j < out.nr; j++) {
			int r;

			if (out.v[j].kind != NHIR_EDGE_STORED_IN)
				continue;
			label(p, out.v[j].dst, lbl2, sizeof(lbl2));
			r = step(p, nhir_catalog_pick(p->cat, NHIR_NODE_STORE,
						      NULL, NHIR_PHASE_ROTATE),
				 out.v[j].dst, "replace %s in %s", node->ext_id,
				 lbl2);
			dep(p, r, preserve, "evidence is preserved first");
			dep(p, d, r, "redeploy with the rotated secret");
		}
		dep(p, first, d, "dependents are redeployed before what they "
		    "use is revoked");
		/*
		 * Recovery: the redeployed workload checked, then its
		 * environment (when the catalog has these actions).
		 */
		if (nhir_catalog_find(p->cat, "generic.check-deployment-integrity") &&
		    nhir_catalog_find(p->cat, "generic.validate-environment")) {
			int ic = step(p, nhir_catalog_find(p->cat,
					"generic.check-deployment-integrity"),
				      in.v[i].src, "check that %s runs what was "
				      "built, with the new credential", lbl);
			int ve = step(p, nhir_catalog_find(p->cat,
					"generic.validate-environment"),
				      in.v[i].src, "validate the environment of "
				      "%s: no other copy of the old secret, no "
				      "foreign change", lbl);

			dep(p, ic, d, "check what was redeployed");
			dep(p, ve, ic, "validate the environment once its "
			    "deployment is trusted");
		}
		snprintf(lbl2, sizeof(lbl2), "%s, unless redeployed first", lbl);
		add_breaks(p, first, lbl2);
	}
	/* caches: flushed before the revocation can be verified */
	for (size_t i = 0; i < in.nr && !p->rc; i++) {
		int f;

		if (in.v[i].kind != NHIR_EDGE_CACHES)
			continue;
		label(p, in.v[i].src, lbl, sizeof(lbl));
		f = step(p, nhir_catalog_find(p->cat, "generic.flush-cache"),
			 in.v[i].src, "%s holds %s (or its permissions) until "
			 "its TTL", lbl, node->ext_id);
		dep(p, f, first, "flush after the revocation");
		dep(p, v, f, "a cached copy still works until flushed");
	}
	/* children that do not die with it are planned on their own */
	for (size_t i = 0; i < out.nr && !p->rc; i++) {
		const struct nhir_edge *e = &out.v[i];

		if (e->kind != NHIR_EDGE_ISSUED && e->kind != NHIR_EDGE_CREATED)
			continue;
		if (has(p->seen, p->seen_nr, e->dst) ||
		    has(p->dismissed, p->dismissed_nr, e->dst))
			continue;
		if (ended(p, e))
			continue;	/* ended on its own */
		if (e->kind == NHIR_EDGE_ISSUED && e->cascade == NHIR_CASCADE_YES) {
			add_breaks(p, first, "tokens it issued die with it");
			continue;
		}
		if (NHIR_ALLOC_GROW(*queue, *qnr + 1, *qalloc) ||
		    NHIR_ALLOC_GROW(p->seen, p->seen_nr + 1, p->seen_alloc)) {
			p->rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
			break;
		}
		(*queue)[(*qnr)++] = e->dst;
		p->seen[p->seen_nr++] = e->dst;
		if (e->kind == NHIR_EDGE_CREATED) {
			if (NHIR_ALLOC_GROW(p->made, p->made_nr + 1,
					    p->made_alloc)) {
				p->rc = nhir_err_set(p->err, NHIR_ENOMEM,
						     "out of memory");
				break;
			}
			p->made[p->made_nr++] = e->dst;
		}
	}
	if (first >= 0 && !p->v[first].breaks[0])
		add_breaks(p, first, "nothing known depends on it");
	nhir_free(out.v);
	nhir_free(in.v);
}

static void plan_identity(struct planner *p, int preserve, int64_t n,
			  const struct nhir_node *node)
{
	const struct nhir_action *a;
	int s;

	/* made with a credential in scope: take all its access away */
	if (!has(p->made, p->made_nr, n)) {
		struct edges in;

		if (edges_of(p, n, NHIR_DIR_IN, &in)) {
			for (size_t i = 0; i < in.nr; i++)
				if (in.v[i].kind == NHIR_EDGE_CREATED &&
				    has(p->seen, p->seen_nr, in.v[i].src) &&
				    !NHIR_ALLOC_GROW(p->made, p->made_nr + 1,
						     p->made_alloc)) {
					p->made[p->made_nr++] = n;
					break;
				}
			nhir_free(in.v);
		}
	}
	if (has(p->made, p->made_nr, n)) {
		a = pick_cut(p->cat, node, NHIR_CUT_EVERYTHING);
		s = step(p, a, n, "%s was created with the compromised "
			 "credentials: remove what it can do", node->ext_id);
		dep(p, s, preserve, "evidence is preserved first");
		add_breaks(p, s, "anything acting as this identity");
		return;
	}
	a = nhir_catalog_pick(p->cat, node->kind, node->subtype,
			      NHIR_PHASE_CONTAIN);
	if (!a)
		a = nhir_catalog_pick(p->cat, node->kind, node->subtype,
				      NHIR_PHASE_CUT);
	if (!a)
		return;
	s = step(p, a, n, "%s is in scope: cut what it can do", node->ext_id);
	dep(p, s, preserve, "evidence is preserved first");
	add_breaks(p, s, "every workload acting as this identity");
}

/* Owners of what the plan touches are told before access changes. */
static void notify_owners(struct planner *p)
{
	size_t nr = p->nr;

	for (size_t i = 0; i < nr && !p->rc; i++) {
		struct edges in;

		if (!p->v[i].target || !edges_of(p, p->v[i].target,
						  NHIR_DIR_IN, &in))
			continue;
		for (size_t j = 0; j < in.nr && !p->rc; j++) {
			char lbl[300];

			if (in.v[j].kind != NHIR_EDGE_OWNS)
				continue;
			label(p, in.v[j].src, lbl, sizeof(lbl));
			step(p, nhir_catalog_pick(p->cat, NHIR_NODE_OWNER, NULL,
						  NHIR_PHASE_NOTIFY),
			     in.v[j].src, "%s owns what the plan changes", lbl);
		}
		nhir_free(in.v);
	}
	for (size_t i = 0; i < p->nr && !p->rc; i++) {
		if (!changes_access(p->v[i].a) &&
		    p->v[i].a->phase != NHIR_PHASE_RECOVER)
			continue;
		for (size_t j = 0; j < p->nr; j++)
			if (p->v[j].a->phase == NHIR_PHASE_NOTIFY)
				dep(p, (int)i, (int)j, "owners are told before "
				    "their access changes");
	}
}

/* Kahn's algorithm, phase then creation order breaking ties. */
static bool order(struct planner *p)
{
	size_t done = 0;

	for (size_t i = 0; i < p->nr; i++)
		p->v[i].order = -1;
	while (done < p->nr) {
		int best = -1;

		for (size_t i = 0; i < p->nr; i++) {
			bool ready = p->v[i].order < 0;

			for (size_t k = 0; ready && k < p->v[i].dep_nr; k++)
				ready = p->v[p->v[i].deps[k].on].order >= 0;
			if (ready && (best < 0 || p->v[i].a->phase <
						  p->v[best].a->phase))
				best = (int)i;
		}
		if (best < 0)
			return false;	/* a cycle */
		p->v[best].order = (int)++done;
	}
	return true;
}

static int approvals_for(const struct nhir_action *a)
{
	if (!changes_access(a))
		return 0;
	return !a->reversible || a->privileged ? 2 : 1;
}

/* Stores step s of the plan (its id into s->id). */
static enum nhir_rc store_step(struct planner *p, const char *actor,
			       struct pstep *s)
{
	char entry[65];

	if (!nhir_action_digest(s->a, entry))
		return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	return ir_int(p->st, p->err, &s->id, NULL,
		      "INSERT INTO plan_step(incident, seq, action, target, phase,"
		      " cuts, why, breaks, survives, reversible,"
		      " destroys_evidence, privileged, changes_access,"
		      " approvals_needed, delay, status, proposer, created,"
		      " entry) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
		      " ?, 'planned', ?, ?, ?) RETURNING id",
		      "iitzt" "ttttiiiiiitit", p->incident, (int64_t)s->order,
		      s->a->id, s->target, nhir_phase_name(s->a->phase),
		      nhir_cut_name(s->a->cuts), s->why,
		      s->breaks, s->a->survives ? s->a->survives : "",
		      (int64_t)s->a->reversible,
		      (int64_t)s->a->destroys_evidence,
		      (int64_t)s->a->privileged, (int64_t)changes_access(s->a),
		      (int64_t)approvals_for(s->a), s->a->delay, actor,
		      nhir_time_now(), entry);
}

/*
 * The approvals of the plan being replaced (its steps' ids up to old)
 * follow the new step with the same action and target, keeping what
 * they were given for: unless the step is the same in every respect
 * they no longer count.  Those of a step the new plan has not are
 * dropped (*dropped).
 */
static enum nhir_rc carry_approvals(struct planner *p, int64_t old,
				    int64_t *dropped)
{
	enum nhir_rc rc;

	rc = ir_exec(p->st, p->err, "UPDATE approval SET step = coalesce(("
		     "SELECT n.id FROM plan_step o JOIN plan_step n ON"
		     " n.incident = o.incident AND n.action = o.action AND"
		     " n.target IS o.target AND n.id > ? WHERE o.id ="
		     " approval.step), step) WHERE step IN (SELECT id FROM"
		     " plan_step WHERE incident = ? AND id <= ?)", "iii", old,
		     p->incident, old);
	if (!rc)
		rc = ir_int(p->st, p->err, dropped, NULL, "SELECT count(*) FROM"
			    " approval WHERE step IN (SELECT id FROM plan_step"
			    " WHERE incident = ? AND id <= ?)", "ii",
			    p->incident, old);
	if (!rc)
		rc = ir_exec(p->st, p->err, "DELETE FROM approval WHERE step IN"
			     " (SELECT id FROM plan_step WHERE incident = ? AND"
			     " id <= ?)", "ii", p->incident, old);
	return rc;
}

static enum nhir_rc load_scope(struct planner *p, int64_t **conf,
			       size_t *conf_nr)
{
	struct nhir_sql *q;
	size_t alloc = 0;
	enum nhir_rc rc;
	int r;

	*conf = NULL;
	*conf_nr = 0;
	rc = ir_query(p->st, p->err, &q, "SELECT node, status FROM scope"
		      " WHERE incident = ? AND status != 'proposed'"
		      " ORDER BY node", "i", p->incident);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, p->err)) == 1) {
		int64_t n = nhir_sql_int(q, 0);
		bool confirmed = !strcmp(nhir_sql_text(q, 1), "confirmed");

		if (confirmed ? NHIR_ALLOC_GROW(*conf, *conf_nr + 1, alloc)
			      : NHIR_ALLOC_GROW(p->dismissed,
						p->dismissed_nr + 1,
						p->dismissed_alloc)) {
			nhir_sql_finish(q);
			return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
		}
		if (confirmed)
			(*conf)[(*conf_nr)++] = n;
		else
			p->dismissed[p->dismissed_nr++] = n;
	}
	nhir_sql_finish(q);
	return r < 0 ? NHIR_ESTORE : NHIR_OK;
}

enum nhir_rc nhir_plan_build(struct nhir_store *st, const char *actor,
			     int64_t incident, const struct nhir_catalog *cat,
			     size_t *steps, struct nhir_err *err)
{
	return nhir_plan_build_from(st, actor, incident, cat, NULL, steps,
				    err);
}

/* Another catalog than the configured one: the lead's decision. */
static enum nhir_rc other_catalog(struct nhir_store *st, const char *actor,
				  int64_t incident,
				  const struct nhir_plan_origin *o,
				  const char *digest, struct nhir_err *err)
{
	char what[600];
	enum nhir_rc rc;

	rc = nhir_authorize(st, actor, NHIR_PERM_LEAD, incident, err);
	if (rc)
		return rc;
	if (!o->why || !*o->why)
		return nhir_err_set(err, NHIR_EINVAL, "planning with a catalog "
				    "other than the configured one needs the "
				    "lead's reason (--why)");
	snprintf(what, sizeof(what), "plan with the catalog %s (sha256 %.16s)"
		 " instead of the configured one", o->catalog ? o->catalog
							      : "?", digest);
	return ir_exec(st, err, "INSERT INTO decision(incident, at, actor, kind,"
		       " what, why) VALUES(?, ?, ?, 'decision', ?, ?)", "iittt",
		       incident, nhir_time_now(), actor, what, o->why);
}

enum nhir_rc nhir_plan_build_from(struct nhir_store *st, const char *actor,
				  int64_t incident,
				  const struct nhir_catalog *cat,
				  const struct nhir_plan_origin *o,
				  size_t *steps, struct nhir_err *err)
{
	char digest[65] = "", conf[NHIR_SETTING_MAX];
	bool configured = false;
	struct planner p;
	int64_t *queue = NULL, started = 0, old = 0, dropped = 0;
	size_t qnr = 0, qalloc = 0;
	cJSON *d;
	enum nhir_rc rc;
	int preserve;

	*steps = 0;
	memset(&p, 0, sizeof(p));
	p.st = st;
	p.cat = cat;
	p.incident = incident;
	p.err = err;
	p.now = nhir_time_now();
	rc = ir_begin(st, actor, NHIR_PERM_WORK, incident, "plan", err);
	if (rc)
		return rc;
	if (!nhir_catalog_digest(cat, digest))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc)
		rc = nhir_setting_get(st, "catalog", conf, sizeof(conf),
				      &configured, err);
	if (!rc && o && configured && !o->configured)
		rc = other_catalog(st, actor, incident, o, digest, err);
	if (rc == NHIR_EDENIED) {
		nhir_store_rollback(st);
		nhir_audit_denied(st, actor, "plan", incident, err ? err->msg
								 : "denied");
		return rc;
	}
	if (!rc)
		rc = ir_int(st, err, &started, NULL, "SELECT count(*) FROM plan_step"
		    " WHERE incident = ? AND status != 'planned' AND status !="
		    " 'skipped'", "i", incident);
	if (!rc && started)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "the plan of INC-%" PRId64
				  " has started; change it with 'nhir plan "
				  "edit'", incident);
	if (!rc)
		rc = load_scope(&p, &queue, &qnr);
	if (!rc && !qnr)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "INC-%" PRId64 " has no "
				  "confirmed scope to plan for", incident);
	p.rc = rc;
	preserve = rc ? -1
		      : step(&p, nhir_catalog_pick(cat, NHIR_NODE_NONE, NULL,
						   NHIR_PHASE_PRESERVE),
			     0, "keep logs, policies and key metadata before "
			     "anything changes");
	for (size_t i = 0; !p.rc && i < qnr; i++)
		if (NHIR_ALLOC_GROW(p.seen, p.seen_nr + 1, p.seen_alloc))
			p.rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		else
			p.seen[p.seen_nr++] = queue[i];
	for (size_t i = 0; !p.rc && i < qnr; i++) {
		struct nhir_node n;

		if (nhir_store_get_node(st, queue[i], &n, err)) {
			p.rc = NHIR_ESTORE;
			break;
		}
		if (n.kind == NHIR_NODE_CREDENTIAL || n.kind == NHIR_NODE_TOKEN ||
		    n.kind == NHIR_NODE_GRANT)
			plan_credential(&p, preserve, queue[i], &n, &queue,
					&qnr, &qalloc);
		else if (n.kind == NHIR_NODE_IDENTITY)
			plan_identity(&p, preserve, queue[i], &n);
		nhir_node_release(&n);
	}
	if (!p.rc)
		notify_owners(&p);
	if (!p.rc && !order(&p))
		p.rc = nhir_err_set(err, NHIR_ECONFLICT, "the plan has a cycle");
	rc = p.rc;
	/* replace a plan that has not started: the new steps first */
	if (!rc)
		rc = ir_int(st, err, &old, NULL, "SELECT coalesce(max(id), 0)"
			    " FROM plan_step WHERE incident = ?", "i", incident);
	for (size_t i = 0; !rc && i < p.nr; i++)
		rc = store_step(&p, actor, &p.v[i]);
	for (size_t i = 0; !rc && i < p.nr; i++)
		for (size_t k = 0; !rc && k < p.v[i].dep_nr; k++)
			rc = ir_exec(st, err, "INSERT INTO plan_dep(step, after,"
				     " why) VALUES(?, ?, ?)", "iit", p.v[i].id,
				     p.v[p.v[i].deps[k].on].id,
				     p.v[i].deps[k].why);
	if (!rc)
		rc = plan_digests(st, incident, err);
	if (!rc)
		rc = carry_approvals(&p, old, &dropped);
	if (!rc)
		rc = ir_exec(st, err, "DELETE FROM plan_dep WHERE step IN (SELECT"
			     " id FROM plan_step WHERE incident = ? AND id <= ?)",
			     "ii", incident, old);
	if (!rc)
		rc = ir_exec(st, err, "DELETE FROM plan_step WHERE incident = ?"
			     " AND id <= ?", "ii", incident, old);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "steps", (double)p.nr);
		if (dropped)
			cJSON_AddNumberToObject(d, "approvals_dropped",
						(double)dropped);
		if (o && o->catalog)
			cJSON_AddStringToObject(d, "catalog", o->catalog);
		cJSON_AddStringToObject(d, "catalog_sha256", digest);
		cJSON_AddBoolToObject(d, "configured", o ? o->configured
							 : false);
		if (o && o->why && !o->configured)
			cJSON_AddStringToObject(d, "why", o->why);
	}
	rc = ir_end(st, rc, actor, "plan", incident, d, err);
	if (!rc)
		*steps = p.nr;
	nhir_free(queue);
	release(&p);
	return rc;
}

/* ---- reading the plan ---- */

/* An approval (a) of a step (s) that counts, expiry aside. */
#define COUNTS \
	" a.step = s.id AND a.digest = s.digest AND a.withdrawn IS NULL AND" \
	" a.actor != s.proposer AND EXISTS(SELECT 1 FROM nhir_user u WHERE" \
	" u.name = a.actor AND u.active AND u.role IN ('approver', 'lead'))"

#define STEP_COLS \
	"s.id, s.seq, s.incident, coalesce(s.target, 0), s.action, s.phase," \
	" s.status, s.why, s.breaks, s.survives, n.ext_id, n.name," \
	" s.proposer, s.result, s.reversible, s.destroys_evidence," \
	" s.privileged, s.changes_access, s.approvals_needed," \
	" (SELECT count(DISTINCT a.actor) FROM approval a WHERE" COUNTS \
	"  AND a.verdict = 'approve' AND a.expires > ?)," \
	" (SELECT count(*) FROM approval a WHERE" COUNTS \
	"  AND a.verdict = 'reject')," \
	" s.delay, coalesce(s.started, 0), coalesce(s.finished, 0)," \
	" (SELECT group_concat(p.seq) FROM plan_dep d JOIN plan_step p ON" \
	"  p.id = d.after WHERE d.step = s.id), s.cuts," \
	" (SELECT count(*) FROM approval a WHERE a.step = s.id AND" \
	"  a.withdrawn IS NULL AND NOT (" COUNTS ") AND (a.verdict =" \
	"  'reject' OR a.expires > ?))"

static int fill_steps(struct nhir_sql *q, nhir_step_cb cb, void *data,
		      struct nhir_err *err)
{
	int r;

	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_step s;

		s.id = nhir_sql_int(q, 0);
		s.seq = nhir_sql_int(q, 1);
		s.incident = nhir_sql_int(q, 2);
		s.target = nhir_sql_int(q, 3);
		s.action = nhir_sql_text(q, 4);
		s.phase = nhir_sql_text(q, 5);
		s.status = nhir_sql_text(q, 6);
		s.why = nhir_sql_text(q, 7);
		s.breaks = nhir_sql_text(q, 8);
		s.survives = nhir_sql_text(q, 9);
		s.target_ext = nhir_sql_text(q, 10);
		s.target_name = nhir_sql_text(q, 11);
		s.proposer = nhir_sql_text(q, 12);
		s.result = nhir_sql_text(q, 13);
		s.reversible = nhir_sql_int(q, 14);
		s.destroys_evidence = nhir_sql_int(q, 15);
		s.privileged = nhir_sql_int(q, 16);
		s.changes_access = nhir_sql_int(q, 17);
		s.approvals_needed = (int)nhir_sql_int(q, 18);
		s.approvals = (int)nhir_sql_int(q, 19);
		s.rejected = nhir_sql_int(q, 20) > 0;
		s.delay = nhir_sql_int(q, 21);
		s.started = nhir_sql_int(q, 22);
		s.finished = nhir_sql_int(q, 23);
		s.after = nhir_sql_text(q, 24);
		s.cuts = nhir_cut_parse(nhir_sql_text(q, 25));
		s.void_approvals = (int)nhir_sql_int(q, 26);
		if (cb(&s, data))
			return 0;
	}
	return r;
}

enum nhir_rc nhir_plan_each(struct nhir_store *st, int64_t incident,
			    nhir_step_cb cb, void *data, struct nhir_err *err)
{
	struct nhir_sql *q;
	int64_t now = nhir_time_now();
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT " STEP_COLS " FROM plan_step s"
		      " LEFT JOIN node n ON n.id = s.target WHERE s.incident = ?"
		      " ORDER BY s.seq", "iii", now, now, incident);
	if (rc)
		return rc;
	r = fill_steps(q, cb, data, err);
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

struct one {
	nhir_step_cb cb;
	void *data;
	int n;
};

static int one_cb(const struct nhir_step *s, void *data)
{
	struct one *o = data;

	o->n++;
	return o->cb(s, o->data);
}

enum nhir_rc nhir_step_get(struct nhir_store *st, int64_t incident,
			   int64_t seq, nhir_step_cb cb, void *data,
			   struct nhir_err *err)
{
	struct one o = { cb, data, 0 };
	struct nhir_sql *q;
	int64_t now = nhir_time_now();
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT " STEP_COLS " FROM plan_step s"
		      " LEFT JOIN node n ON n.id = s.target WHERE s.incident = ?"
		      " AND s.seq = ?", "iiii", now, now, incident, seq);
	if (rc)
		return rc;
	r = fill_steps(q, one_cb, &o, err);
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!o.n)
		return nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64 " has no "
				    "step %" PRId64, incident, seq);
	return NHIR_OK;
}
