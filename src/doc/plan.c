/*
 * The containment documents (doc/formats/documents.md#plan): an
 * incident's plan, what running a step did, the verification of its
 * revocations, and its residual access.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/model.h"
#include "nhir/plan.h"
#include "nhir/record.h"

/*
 * A time of the plan tables as these documents have always given it:
 * "-" when it has not happened (0 or unset), else ISO 8601.
 */
static void ptime(struct doc *d, cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == 0) {
		doc_str(d, o, name, "-");
		return;
	}
	nhir_time_format(t, buf, sizeof(buf));
	doc_str(d, o, name, buf);
}

static void inc_ref(struct doc *d, int64_t inc)
{
	char ref[32];

	snprintf(ref, sizeof(ref), "INC-%" PRId64, inc);
	doc_str(d, d->root, "incident", ref);
}

struct plan_doc {
	struct doc *d;
	struct nhir_store *st;
	int64_t inc;
	cJSON *arr;
};

static int void_cb(const struct nhir_approval *a, void *data)
{
	struct plan_doc *p = data;
	struct doc *d = p->d;
	cJSON *o;

	if (!strcmp(a->state, "valid"))
		return 0;
	o = doc_obj(d, p->arr, NULL);
	doc_str(d, o, "actor", a->actor);
	doc_str(d, o, "verdict", a->verdict);
	doc_str(d, o, "state", a->state);
	ptime(d, o, "at", a->at);
	doc_str(d, o, "reason", a->reason);
	return d->oom;
}

/* "3,4" as [3,4]. */
static void after(struct doc *d, cJSON *o, const char *s)
{
	cJSON *arr = doc_arr(d, o, "after");
	char *end;

	while (s && *s) {
		long long v = strtoll(s, &end, 10);

		if (end == s)
			break;
		doc_num(d, arr, NULL, v);
		s = *end == ',' ? end + 1 : end;
	}
}

static int step_cb(const struct nhir_step *s, void *data)
{
	struct plan_doc *p = data;
	struct doc *d = p->d;
	struct plan_doc v = { d, p->st, p->inc, NULL };
	cJSON *o = doc_obj(d, p->arr, NULL);

	doc_num(d, o, "step", s->seq);
	doc_str(d, o, "action", s->action);
	doc_str(d, o, "phase", s->phase);
	doc_str(d, o, "target", s->target_ext);
	doc_str(d, o, "status", s->status);
	doc_str(d, o, "why", s->why);
	doc_str(d, o, "breaks", s->breaks);
	doc_str(d, o, "survives", s->survives);
	doc_bool(d, o, "reversible", s->reversible);
	doc_bool(d, o, "destroys_evidence", s->destroys_evidence);
	doc_bool(d, o, "privileged", s->privileged);
	doc_num(d, o, "delay", s->delay);
	doc_num(d, o, "approvals_needed", s->approvals_needed);
	doc_num(d, o, "approvals", s->approvals);
	doc_num(d, o, "void_approvals", s->void_approvals);
	doc_bool(d, o, "rejected", s->rejected);
	after(d, o, s->after);
	doc_str(d, o, "result", s->result);
	v.arr = doc_arr(d, o, "not_counted");
	if (!d->oom)
		nhir_approval_each(p->st, p->inc, s->id, void_cb, &v, NULL);
	return d->oom;
}

/* The detail of the incident's last plan build, from its audit entry. */
static int last_build(const struct nhir_audit_entry *e, void *data)
{
	char **detail = data;

	if (strcmp(e->action, "plan") || !e->detail)
		return 0;
	nhir_free(*detail);
	*detail = nhir_strdup(e->detail);
	return *detail ? 0 : 1;
}

enum nhir_rc nhir_plan_not_planned(struct nhir_store *st, int64_t inc,
				   cJSON **out, struct nhir_err *err)
{
	char *detail = NULL;
	cJSON *d, *g;
	enum nhir_rc rc = nhir_audit_each(st, inc, last_build, &detail, err);

	*out = NULL;
	d = detail ? cJSON_Parse(detail) : NULL;
	nhir_free(detail);
	g = cJSON_DetachItemFromObjectCaseSensitive(d, "not_planned_ended");
	cJSON_Delete(d);
	if (cJSON_IsArray(g))
		*out = g;
	else
		cJSON_Delete(g);
	return rc;
}

enum nhir_rc nhir_doc_plan(struct nhir_store *st, int64_t inc, cJSON **out,
			   struct nhir_err *err)
{
	struct doc d;
	struct plan_doc p = { &d, st, inc, NULL };
	cJSON *gone = NULL;
	enum nhir_rc rc;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	inc_ref(&d, inc);
	p.arr = doc_arr(&d, d.root, "steps");
	rc = nhir_plan_each(st, inc, step_cb, &p, err);
	if (rc)
		return doc_fail(&d, rc);
	/* what was left out is said, or an empty list: never an error */
	nhir_plan_not_planned(st, inc, &gone, NULL);
	doc_add(&d, d.root, "not_planned_ended",
		gone ? gone : cJSON_CreateArray());
	return doc_finish(&d, out, err);
}

struct nhir_doc_approvals {
	struct doc d;
	cJSON *steps;
	int64_t inc;
	size_t nr;
};

enum nhir_rc nhir_doc_approvals_new(int64_t inc, const char *approver,
				    struct nhir_doc_approvals **out,
				    struct nhir_err *err)
{
	struct nhir_doc_approvals *a = nhir_calloc(1, sizeof(*a));

	*out = NULL;
	if (!a || !doc_init(&a->d)) {
		nhir_free(a);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	a->inc = inc;
	inc_ref(&a->d, inc);
	doc_str(&a->d, a->d.root, "approver", approver);
	a->steps = doc_arr(&a->d, a->d.root, "steps");
	*out = a;
	return NHIR_OK;
}

enum nhir_rc nhir_doc_approved(const struct nhir_approve_result *r,
			       void *approvals)
{
	struct nhir_doc_approvals *a = approvals;
	cJSON *o = doc_obj(&a->d, a->steps, NULL);

	doc_num(&a->d, o, "step", r->step);
	doc_str(&a->d, o, "action", r->action);
	doc_bool(&a->d, o, "approved", r->approved);
	if (!r->approved)
		doc_str(&a->d, o, "code", nhir_rc_name(r->rc));
	doc_str(&a->d, o, "reason", r->reason);
	a->nr++;
	return a->d.oom ? NHIR_ENOMEM : NHIR_OK;
}

size_t nhir_doc_approvals_count(const struct nhir_doc_approvals *a)
{
	return a->nr;
}

enum nhir_rc nhir_doc_approvals_end(struct nhir_doc_approvals *a,
				    struct nhir_store *st, cJSON **out,
				    struct nhir_err *err)
{
	cJSON *plan = NULL;
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (st)
		rc = nhir_doc_plan(st, a->inc, &plan, err);
	if (plan)
		doc_add(&a->d, a->d.root, "plan", plan);
	rc = rc ? doc_fail(&a->d, rc) : doc_finish(&a->d, out, err);
	nhir_free(a);
	return rc;
}

enum nhir_rc nhir_doc_execute(int64_t inc, const struct nhir_exec_result *r,
			      cJSON **out, struct nhir_err *err)
{
	struct doc d;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	inc_ref(&d, inc);
	doc_num(&d, d.root, "step", r->step);
	doc_str(&d, d.root, "status", r->status);
	doc_str(&d, d.root, "detail", r->detail);
	if (r->request_sha256[0])
		doc_str(&d, d.root, "request_sha256", r->request_sha256);
	if (r->evidence)
		doc_num(&d, d.root, "evidence", r->evidence);
	return doc_finish(&d, out, err);
}

static int rev_cb(const struct nhir_revocation *v, void *data)
{
	struct plan_doc *p = data;
	struct doc *d = p->d;
	cJSON *o = doc_obj(d, p->arr, NULL);

	doc_str(d, o, "node", v->ext_id);
	doc_str(d, o, "state", v->state);
	ptime(d, o, "requested", v->requested);
	ptime(d, o, "confirmed", v->confirmed);
	ptime(d, o, "verified", v->verified);
	doc_str(d, o, "detail", v->detail);
	return d->oom;
}

enum nhir_rc nhir_doc_verify(struct nhir_store *st, int64_t inc,
			     const struct nhir_verify_result *r, cJSON **out,
			     struct nhir_err *err)
{
	struct doc d;
	struct plan_doc p = { &d, st, inc, NULL };
	enum nhir_rc rc;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	inc_ref(&d, inc);
	doc_u64(&d, d.root, "probed", r->probed);
	doc_u64(&d, d.root, "verified", r->verified);
	doc_u64(&d, d.root, "still_working", r->still_working);
	doc_u64(&d, d.root, "refused", r->refused);
	doc_u64(&d, d.root, "no_probe", r->no_probe);
	p.arr = doc_arr(&d, d.root, "revocations");
	rc = d.oom ? NHIR_OK : nhir_revocation_each(st, inc, rev_cb, &p, err);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}

enum nhir_rc nhir_doc_residual(int64_t inc, int64_t at,
			       const struct nhir_residual *r, cJSON **out,
			       struct nhir_err *err)
{
	struct doc d;
	cJSON *arr;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	inc_ref(&d, inc);
	ptime(&d, d.root, "at", at);
	doc_bool(&d, d.root, "contained", !r->nr);
	if (r->contained_at == NHIR_TIME_UNSET)
		doc_null(&d, d.root, "contained_at");
	else
		ptime(&d, d.root, "contained_at", r->contained_at);
	arr = doc_arr(&d, d.root, "residual");
	for (size_t i = 0; i < r->nr; i++) {
		const struct nhir_residual_item *it = &r->items[i];
		cJSON *o = doc_obj(&d, arr, NULL);

		doc_str(&d, o, "node", it->ext_id);
		doc_str(&d, o, "kind", nhir_node_kind_name(it->kind));
		doc_str(&d, o, "path", it->path);
		if (it->expires == NHIR_TIME_NEVER)
			doc_null(&d, o, "expires");
		else
			ptime(&d, o, "expires", it->expires);
	}
	arr = doc_arr(&d, d.root, "ended");
	for (size_t i = 0; i < r->ended_nr; i++) {
		const struct nhir_residual_end *x = &r->ended[i];
		cJSON *o = doc_obj(&d, arr, NULL);

		doc_str(&d, o, "node", x->ext_id);
		doc_str(&d, o, "path", x->path);
		ptime(&d, o, "at", x->at);
		doc_str(&d, o, "how", nhir_end_how_name(x->how));
		doc_str(&d, o, "event", x->event);
		doc_str(&d, o, "file", x->file);
		doc_u64(&d, o, "offset", x->offset);
	}
	return doc_finish(&d, out, err);
}
