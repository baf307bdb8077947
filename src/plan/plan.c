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
#include "nhir/graph.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "record/record-internal.h"
#include "plan/plan-internal.h"

static const char *const step_statuses[] = {
	[NHIR_STEP_PLANNED] = "planned",
	[NHIR_STEP_RUNNING] = "running",
	[NHIR_STEP_DONE] = "done",
	[NHIR_STEP_FAILED] = "failed",
	[NHIR_STEP_SKIPPED] = "skipped",
};

const char *nhir_step_status_name(enum nhir_step_status s)
{
	return (unsigned)s < NHIR_ARRAY_SIZE(step_statuses) ? step_statuses[s]
							     : "?";
}

enum nhir_step_status nhir_step_status_parse(const char *s)
{
	for (size_t i = 0; s && i < NHIR_ARRAY_SIZE(step_statuses); i++)
		if (!strcmp(s, step_statuses[i]))
			return (enum nhir_step_status)i;
	return NHIR_STEP_FAILED;
}

const char *nhir_verdict_name(enum nhir_verdict v)
{
	return v == NHIR_VERDICT_REJECT ? "reject" : "approve";
}

enum nhir_verdict nhir_verdict_parse(const char *s)
{
	return s && !strcmp(s, "reject") ? NHIR_VERDICT_REJECT
					 : NHIR_VERDICT_APPROVE;
}

static const char *const revocation_states[] = {
	[NHIR_REVOCATION_REQUESTED] = "requested",
	[NHIR_REVOCATION_CONFIRMED] = "confirmed",
	[NHIR_REVOCATION_VERIFIED] = "verified",
};

const char *nhir_revocation_state_name(enum nhir_revocation_state s)
{
	return (unsigned)s < NHIR_ARRAY_SIZE(revocation_states)
		       ? revocation_states[s] : "requested";
}

enum nhir_revocation_state nhir_revocation_state_parse(const char *s)
{
	for (size_t i = 0; s && i < NHIR_ARRAY_SIZE(revocation_states); i++)
		if (!strcmp(s, revocation_states[i]))
			return (enum nhir_revocation_state)i;
	return NHIR_REVOCATION_REQUESTED;
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
	struct nhir_graph *g;	/* for what logged events ended */
	cJSON *gone;		/* in scope, ended for good: no step */
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

/*
 * Has a logged event ended node for good by now (deleted, or ended with
 * what it lived through)?  Then no step can change it: it is listed in
 * p->gone, once, and only what it minted or created is planned.  A
 * deactivation is not for good: the key can be activated again.
 */
static bool gone(struct planner *p, int64_t node, const char *ext_id)
{
	uint32_t x = p->g ? nhir_graph_find(p->g, node) : UINT32_MAX;
	struct nhir_node_end e;
	int64_t fact;
	bool over, listed = false;
	const cJSON *it;
	cJSON *o;

	if (x == UINT32_MAX || !nhir_graph_ended(p->g, x, p->now, NULL, &fact) ||
	    nhir_store_get_end(p->st, fact, &e, NULL))
		return false;
	over = nhir_end_gone(e.how);
	cJSON_ArrayForEach(it, p->gone) {
		const char *n = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "node"));

		if (n && !strcmp(n, ext_id))
			listed = true;
	}
	if (over && !listed && p->gone && (o = cJSON_CreateObject())) {
		char t[32];

		nhir_time_format(e.time, t, sizeof(t));
		cJSON_AddStringToObject(o, "node", ext_id);
		cJSON_AddStringToObject(o, "how", nhir_end_how_name(e.how));
		cJSON_AddStringToObject(o, "at", t);
		cJSON_AddStringToObject(o, "event", e.event_name ? e.event_name
								 : "");
		cJSON_AddItemToArray(p->gone, o);
	}
	nhir_node_end_release(&e);
	return over;
}

/*
 * The action that ends identity node for good when nothing contains or
 * cuts it (a Kubernetes service account deleted: every token of it
 * stops), or NULL.
 */
static const struct nhir_action *remove_identity(const struct planner *p,
						 const struct nhir_node *node)
{
	const struct nhir_action *a = nhir_catalog_pick(p->cat, node->kind,
							node->subtype,
							NHIR_PHASE_REVOKE);

	return a && a->kills_self ? a : NULL;
}

/*
 * After a step s that acts on the identity itself (disabled, deleted),
 * its proof: the identity's probe says it can no longer act.  A cut of
 * what it may do (a deny policy) is proved by its tokens' probes.
 */
static void verify_identity(struct planner *p, int s, int64_t n,
			    const struct nhir_node *node)
{
	const struct nhir_action *vr = nhir_catalog_find(p->cat,
							 "generic.verify-revoked");
	int v;

	if (s < 0 || !vr || (p->v[s].a->phase != NHIR_PHASE_CONTAIN &&
			     p->v[s].a->phase != NHIR_PHASE_REVOKE))
		return;
	v = step(p, vr, n, "prove %s can no longer act", node->ext_id);
	dep(p, v, s, "verify what was done");
}

/*
 * A Kubernetes service account token that no object's deletion ends: a
 * bound token (TokenRequest) without its bound object, or a token seen
 * only in use, not in a Secret, whose binding is not known.
 */
static bool unbound(const struct nhir_node *node)
{
	cJSON *a;
	bool bound;

	if (!node->subtype || (strcmp(node->subtype, "k8s-bound-token") &&
			       strcmp(node->subtype, "k8s-sa-token")))
		return false;
	if (!strcmp(node->subtype, "k8s-sa-token"))
		return !strstr(node->ext_id, ":secret:");
	a = cJSON_Parse(node->attrs ? node->attrs : "{}");
	bound = cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a,
							      "bound_object"));
	cJSON_Delete(a);
	return !bound;
}

/* Plans one credential, token or grant (and, through it, what follows). */
static void plan_credential(struct planner *p, int preserve, int64_t n,
			    const struct nhir_node *node, int64_t **queue,
			    size_t *qnr, size_t *qalloc)
{
	const struct nhir_action *ca, *xa;
	struct edges out, in;
	int c = -1, x = -1, v, first = -1, cut = -1;
	bool nothing = false;	/* it acts as a deleted identity only */
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
	if (gone(p, n, node->ext_id))
		goto children;	/* nothing to do to it: only what it made */
	if (ca)
		c = step(p, ca, n, "contain %s (reversible) before anything "
			 "irreversible", node->ext_id);
	v = step(p, nhir_catalog_pick(p->cat, node->kind, node->subtype,
				      NHIR_PHASE_VERIFY), n,
		 "prove %s no longer works", node->ext_id);
	if (xa && unbound(node)) {
		/*
		 * A service account token bound to no object (kubectl create
		 * token), or whose binding is not known: no deletion ends it
		 * but its account's (DOMAIN-FACTS 4g)
		 */
		for (size_t i = 0; i < out.nr; i++) {
			struct nhir_node id;
			const struct nhir_action *ka;
			int k;

			if (out.v[i].kind != NHIR_EDGE_AUTHENTICATES ||
			    nhir_store_get_node(p->st, out.v[i].dst, &id, NULL))
				continue;
			ka = gone(p, id.id, id.ext_id) ? NULL
						       : remove_identity(p, &id);
			if (ka) {
				k = step(p, ka, id.id, "%s is bound to no "
					 "object whose deletion ends it: delete "
					 "%s, which ends every token of it",
					 node->ext_id, id.ext_id);
				dep(p, k, preserve, "evidence is preserved first");
				dep(p, v, k, "verify after the account is "
				    "deleted");
				add_breaks(p, k, "every workload acting as "
					   "this service account");
				verify_identity(p, k, id.id, &id);
				cut = k;
			}
			nhir_node_release(&id);
		}
		if (cut < 0) {
			/* no account known: no step of the plan ends it */
			nothing = true;
			if (v >= 0)
				snprintf(p->v[v].why, sizeof(p->v[v].why),
					 "prove %s no longer works; no step "
					 "ends it: it is bound to no object, and "
					 "no deletion of the account it acts as "
					 "can be planned (none known, or gone "
					 "already)", node->ext_id);
		}
		xa = NULL;
	}
	if (xa && !xa->kills_self) {
		/* cannot be revoked (STS): cut what it acts as */
		for (size_t i = 0; i < out.nr; i++) {
			struct nhir_node id;
			const struct nhir_action *ka;
			int k;

			if (out.v[i].kind != NHIR_EDGE_AUTHENTICATES ||
			    nhir_store_get_node(p->st, out.v[i].dst, &id, NULL))
				continue;
			/*
			 * A deleted role takes no policy: nothing to cut,
			 * nothing to revoke; whether its sessions still work
			 * is not known, so the verification stays.
			 */
			if (gone(p, id.id, id.ext_id)) {
				nothing = true;
				nhir_node_release(&id);
				continue;
			}
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
	if (c < 0 && x < 0 && v >= 0 && p->v[v].dep_nr == 0 && !nothing) {
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
children:
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

	if (gone(p, n, node->ext_id))
		return;		/* deleted: nothing left to cut */
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
		if (!a)
			a = remove_identity(p, node);
		s = step(p, a, n, "%s was created with the compromised "
			 "credentials: remove what it can do", node->ext_id);
		dep(p, s, preserve, "evidence is preserved first");
		add_breaks(p, s, "anything acting as this identity");
		verify_identity(p, s, n, node);
		return;
	}
	a = nhir_catalog_pick(p->cat, node->kind, node->subtype,
			      NHIR_PHASE_CONTAIN);
	if (!a)
		a = nhir_catalog_pick(p->cat, node->kind, node->subtype,
				      NHIR_PHASE_CUT);
	if (a) {
		s = step(p, a, n, "%s is in scope: cut what it can do",
			 node->ext_id);
	} else if ((a = remove_identity(p, node))) {
		/* nothing contains it: its tokens end only with it */
		s = step(p, a, n, "%s is in scope and nothing contains it: "
			 "delete it, and every token of it with it",
			 node->ext_id);
	} else {
		return;
	}
	dep(p, s, preserve, "evidence is preserved first");
	add_breaks(p, s, "every workload acting as this identity");
	verify_identity(p, s, n, node);
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
	struct nhir_plan_step_def d;
	char entry[65];

	if (!nhir_action_digest(s->a, entry))
		return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	memset(&d, 0, sizeof(d));
	d.incident = p->incident;
	d.seq = s->order;
	d.action = s->a->id;
	d.target = s->target;
	d.phase = s->a->phase;
	d.cuts = s->a->cuts;
	d.why = s->why;
	d.breaks = s->breaks;
	d.survives = s->a->survives ? s->a->survives : "";
	d.reversible = s->a->reversible;
	d.destroys_evidence = s->a->destroys_evidence;
	d.privileged = s->a->privileged;
	d.changes_access = changes_access(s->a);
	d.approvals_needed = approvals_for(s->a);
	d.delay = s->a->delay;
	d.proposer = actor;
	d.created = nhir_store_now(p->st);
	d.entry = entry;
	return nhir_plan_store(p->st)->step_insert(p->st, &d, &s->id, p->err);
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
	return nhir_plan_store(p->st)->approvals_carry(p->st, p->incident, old,
						       dropped, p->err);
}

struct scope_load {
	struct planner *p;
	int64_t **conf;
	size_t *conf_nr, alloc;
	bool oom;
};

static int scope_cb(void *arg, int64_t n, bool confirmed)
{
	struct scope_load *l = arg;
	struct planner *p = l->p;

	if (confirmed ? NHIR_ALLOC_GROW(*l->conf, *l->conf_nr + 1, l->alloc)
		      : NHIR_ALLOC_GROW(p->dismissed, p->dismissed_nr + 1,
					p->dismissed_alloc)) {
		l->oom = true;
		return 1;
	}
	if (confirmed)
		(*l->conf)[(*l->conf_nr)++] = n;
	else
		p->dismissed[p->dismissed_nr++] = n;
	return 0;
}

static enum nhir_rc load_scope(struct planner *p, int64_t **conf,
			       size_t *conf_nr)
{
	struct scope_load l = { p, conf, conf_nr, 0, false };
	enum nhir_rc rc;

	*conf = NULL;
	*conf_nr = 0;
	rc = nhir_plan_store(p->st)->scope_settled(p->st, p->incident,
						   scope_cb, &l, p->err);
	if (!rc && l.oom)
		rc = nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	return rc;
}

enum nhir_rc nhir_plan_build(const struct nhir_ctx *ctx, int64_t incident,
			     const struct nhir_catalog *cat, size_t *steps,
			     struct nhir_err *err)
{
	return nhir_plan_build_from(ctx, incident, cat, NULL, steps, err);
}

/* Another catalog than the configured one: the lead's decision. */
static enum nhir_rc other_catalog(const struct nhir_ctx *ctx, int64_t incident,
				  const struct nhir_plan_origin *o,
				  const char *digest, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	char what[600];
	enum nhir_rc rc;

	rc = nhir_authorize(ctx, NHIR_PERM_LEAD, incident, err);
	if (rc)
		return rc;
	if (!o->why || !*o->why)
		return nhir_err_set(err, NHIR_EINVAL, "planning with a catalog "
				    "other than the configured one needs the "
				    "lead's reason (--why)");
	snprintf(what, sizeof(what), "plan with the catalog %s (sha256 %.16s)"
		 " instead of the configured one", o->catalog ? o->catalog
							      : "?", digest);
	return nhir_plan_store(st)->decision_insert(st, incident,
						    nhir_ctx_now(ctx), actor,
						    what, o->why, err);
}

enum nhir_rc nhir_plan_build_from(const struct nhir_ctx *ctx, int64_t incident,
				  const struct nhir_catalog *cat,
				  const struct nhir_plan_origin *o,
				  size_t *steps, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
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
	p.now = nhir_ctx_now(ctx);
	p.gone = cJSON_CreateArray();
	if (!p.gone)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = nhir_store_load_graph(st, &p.g, err);
	if (rc) {
		cJSON_Delete(p.gone);
		return rc;
	}
	rc = ir_begin(ctx, NHIR_PERM_WORK, incident, "plan", err);
	if (rc) {
		cJSON_Delete(p.gone);
		nhir_graph_free(p.g);
		return rc;
	}
	if (!nhir_catalog_digest(cat, digest))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc)
		rc = nhir_setting_get(st, "catalog", conf, sizeof(conf),
				      &configured, err);
	if (!rc && o && configured && !o->configured)
		rc = other_catalog(ctx, incident, o, digest, err);
	if (rc == NHIR_EDENIED) {
		nhir_store_rollback(st);
		nhir_audit_denied(ctx, "plan", incident,
				  err ? err->msg : "denied");
		cJSON_Delete(p.gone);
		nhir_graph_free(p.g);
		return rc;
	}
	if (!rc)
		rc = ops->steps_begun(st, incident, &started, err);
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
		rc = ops->step_last_id(st, incident, &old, err);
	for (size_t i = 0; !rc && i < p.nr; i++)
		rc = store_step(&p, actor, &p.v[i]);
	for (size_t i = 0; !rc && i < p.nr; i++)
		for (size_t k = 0; !rc && k < p.v[i].dep_nr; k++)
			rc = ops->dep_insert(st, p.v[i].id,
					     p.v[p.v[i].deps[k].on].id,
					     p.v[i].deps[k].why, err);
	if (!rc)
		rc = plan_digests(st, incident, err);
	if (!rc)
		rc = carry_approvals(&p, old, &dropped);
	if (!rc)
		rc = ops->steps_drop_upto(st, incident, old, err);
	d = cJSON_CreateObject();
	if (d) {
		size_t awaiting = 0;

		for (size_t i = 0; i < p.nr; i++)
			awaiting += approvals_for(p.v[i].a) > 0;
		cJSON_AddNumberToObject(d, "steps", (double)p.nr);
		/* what a webhook tells approvers (src/record/webhook.c) */
		cJSON_AddNumberToObject(d, "awaiting_approval",
					(double)awaiting);
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
		if (cJSON_GetArraySize(p.gone)) {
			cJSON_AddItemToObject(d, "not_planned_ended", p.gone);
			p.gone = NULL;
		}
	}
	rc = ir_end(ctx, rc, "plan", incident, d, err);
	if (!rc)
		*steps = p.nr;
	nhir_free(queue);
	cJSON_Delete(p.gone);
	nhir_graph_free(p.g);
	release(&p);
	return rc;
}

/* ---- reading the plan ---- */

/* What the approvals of one step amount to now. */
struct tally {
	int64_t step;
	int approvals, rejects, voids;
};

struct tallies {
	struct tally *v;
	size_t nr, alloc;
	char **actors;		/* of the counted approvals of the last step */
	size_t actor_nr, actor_alloc;
	int64_t now;
	bool oom;
};

/*
 * Does approval a count, expiry aside?  Given for the step as it is,
 * not withdrawn, not by the step's proposer, by an active approver or
 * lead.
 */
static bool counts(const struct nhir_plan_approval_row *a)
{
	return !strcmp(a->def.digest, a->step_digest) && !a->withdrawn &&
	       strcmp(a->def.actor, a->step_proposer) && a->user &&
	       a->active && (a->role == NHIR_ROLE_APPROVER ||
			     a->role == NHIR_ROLE_LEAD);
}

static void forget_actors(struct tallies *t)
{
	for (size_t i = 0; i < t->actor_nr; i++)
		nhir_free(t->actors[i]);
	t->actor_nr = 0;
}

/* Counts actor's approval once; false when out of memory. */
static bool approver_once(struct tallies *t, struct tally *y,
			  const char *actor)
{
	for (size_t i = 0; i < t->actor_nr; i++)
		if (!strcmp(t->actors[i], actor))
			return true;
	if (NHIR_ALLOC_GROW(t->actors, t->actor_nr + 1, t->actor_alloc) ||
	    !(t->actors[t->actor_nr] = nhir_strdup(actor)))
		return false;
	t->actor_nr++;
	y->approvals++;
	return true;
}

static int tally_cb(void *arg, const struct nhir_plan_approval_row *a)
{
	struct tallies *t = arg;
	bool approve = a->def.verdict == NHIR_VERDICT_APPROVE;
	bool live = !approve || a->def.expires > t->now;
	struct tally *y;

	if (!t->nr || t->v[t->nr - 1].step != a->def.step) {
		if (NHIR_ALLOC_GROW(t->v, t->nr + 1, t->alloc))
			goto oom;
		memset(&t->v[t->nr], 0, sizeof(t->v[0]));
		t->v[t->nr++].step = a->def.step;
		forget_actors(t);
	}
	y = &t->v[t->nr - 1];
	if (!counts(a)) {
		if (!a->withdrawn && live)
			y->voids++;
	} else if (!approve) {
		y->rejects++;
	} else if (live && !approver_once(t, y, a->def.actor)) {
		goto oom;
	}
	return 0;
oom:
	t->oom = true;
	return 1;
}

static const struct tally *tally_of(const struct tallies *t, int64_t step)
{
	static const struct tally none;

	for (size_t i = 0; i < t->nr; i++)
		if (t->v[i].step == step)
			return &t->v[i];
	return &none;
}

struct step_read {
	struct nhir_store *st;
	struct tallies t;
	nhir_step_cb cb;
	void *data;
	int n;
};

static int step_cb(void *arg, const struct nhir_plan_step_row *r)
{
	struct step_read *sr = arg;
	const struct tally *y = tally_of(&sr->t, r->id);
	struct nhir_step s;

	memset(&s, 0, sizeof(s));
	s.id = r->id;
	s.seq = r->def.seq;
	s.incident = r->def.incident;
	s.target = r->def.target;
	s.action = r->def.action;
	s.phase = nhir_phase_name(r->def.phase);
	s.status = nhir_step_status_name(r->status);
	/* running, and its run is gone: shown for what it is */
	if (r->status == NHIR_STEP_RUNNING && plan_step_interrupted(sr->st,
								    r->id))
		s.status = "interrupted";
	s.why = r->def.why;
	s.breaks = r->def.breaks;
	s.survives = r->def.survives;
	s.target_ext = r->target_ext;
	s.target_name = r->target_name;
	s.proposer = r->def.proposer;
	s.result = r->result;
	s.reversible = r->def.reversible;
	s.destroys_evidence = r->def.destroys_evidence;
	s.privileged = r->def.privileged;
	s.changes_access = r->def.changes_access;
	s.approvals_needed = r->def.approvals_needed;
	s.approvals = y->approvals;
	s.rejected = y->rejects > 0;
	s.delay = r->def.delay;
	s.started = r->started;
	s.finished = r->finished;
	s.after = r->after;
	s.cuts = r->def.cuts;
	s.void_approvals = y->voids;
	sr->n++;
	return sr->cb(&s, sr->data);
}

/* The steps of incident (seq 0: all) with their approvals now, to cb. */
static enum nhir_rc read_steps(struct nhir_store *st, int64_t incident,
			       int64_t seq, struct step_read *sr,
			       struct nhir_err *err)
{
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	enum nhir_rc rc;

	sr->t.now = nhir_store_now(st);
	rc = ops->approvals_of(st, incident, 0, tally_cb, &sr->t, err);
	if (!rc && sr->t.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	forget_actors(&sr->t);
	nhir_free(sr->t.actors);
	if (!rc)
		rc = ops->steps_read(st, incident, seq, step_cb, sr, err);
	nhir_free(sr->t.v);
	return rc;
}

enum nhir_rc nhir_plan_each(struct nhir_store *st, int64_t incident,
			    nhir_step_cb cb, void *data, struct nhir_err *err)
{
	struct step_read sr;

	memset(&sr, 0, sizeof(sr));
	sr.st = st;
	sr.cb = cb;
	sr.data = data;
	return read_steps(st, incident, 0, &sr, err);
}

enum nhir_rc nhir_step_get(struct nhir_store *st, int64_t incident,
			   int64_t seq, nhir_step_cb cb, void *data,
			   struct nhir_err *err)
{
	struct step_read sr;
	enum nhir_rc rc;

	memset(&sr, 0, sizeof(sr));
	sr.st = st;
	sr.cb = cb;
	sr.data = data;
	rc = seq ? read_steps(st, incident, seq, &sr, err) : NHIR_OK;
	if (!rc && !sr.n)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64 " has no "
				  "step %" PRId64, incident, seq);
	return rc;
}
