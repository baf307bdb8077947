/*
 * The after-action report: one JSON document gathered from the record
 * (summary, timeline, scope with the path that put each item there,
 * decisions, plan with approvals and results, residual access, evidence
 * with custody, revocations, follow-ups), and the framework section
 * that maps this incident's facts to NIST CSF 2.0 and OWASP NHI.
 */
#include "compat.h"
#include "nhir/blast.h"
#include "nhir/finding.h"
#include "nhir/plan.h"
#include "nhir/record.h"
#include "nhir/report.h"
#include "nhir/route.h"
#include "record/record-internal.h"
#include "store/report.h"

static void add_time(cJSON *o, const char *k, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER || !t) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	nhir_time_format(t, buf, sizeof(buf));
	cJSON_AddStringToObject(o, k, buf);
}

static void add_str(cJSON *o, const char *k, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, k, s);
	else
		cJSON_AddNullToObject(o, k);
}

/* ---- gathering ---- */

static int audit_cb(const struct nhir_audit_entry *e, void *data)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return 1;
	cJSON_AddNumberToObject(o, "seq", (double)e->seq);
	add_time(o, "at", e->at);
	cJSON_AddStringToObject(o, "actor", e->actor);
	cJSON_AddStringToObject(o, "action", e->action);
	cJSON_AddItemToObject(o, "detail", cJSON_Parse(e->detail));
	cJSON_AddItemToArray(data, o);
	return 0;
}

static int record_cb(const struct nhir_record_item *it, void *data)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return 1;
	add_time(o, "at", it->at);
	add_str(o, "by", it->actor);
	if (!strcmp(it->type, "decision")) {
		cJSON_AddNumberToObject(o, "id", (double)it->id);
		add_str(o, "kind", it->a);
		add_str(o, "what", it->b);
		add_str(o, "why", it->c);
	} else if (!strcmp(it->type, "task")) {
		cJSON_AddNumberToObject(o, "id", (double)it->id);
		add_str(o, "title", it->a);
		add_str(o, "owner", it->b);
		add_str(o, "status", it->c);
		add_time(o, "due", it->n1);
		add_time(o, "done", it->n2);
	} else if (!strcmp(it->type, "evidence")) {
		cJSON_AddNumberToObject(o, "id", (double)it->id);
		add_str(o, "name", it->a);
		add_str(o, "sha256", it->b);
		add_str(o, "source", it->c);
		cJSON_AddNumberToObject(o, "size", (double)it->n1);
		cJSON_AddItemToObject(o, "custody", cJSON_CreateArray());
	} else if (!strcmp(it->type, "custody")) {
		cJSON_AddNumberToObject(o, "evidence", (double)it->n1);
		add_str(o, "action", it->a);
		add_str(o, "detail", it->b);
	} else if (!strcmp(it->type, "note")) {
		add_str(o, "text", it->a);
	} else if (!strcmp(it->type, "member")) {
		/* by and at say it all */
	}
	cJSON_AddItemToArray(data, o);
	return 0;
}

struct scope_ctx {
	cJSON *arr;
	struct nhir_store *st;
	const struct nhir_graph *g;
	const struct nhir_blast *b;
	int64_t *seeds;
	size_t seed_nr, seed_alloc;
};

static int scope_cb(const struct nhir_scope_item *s, void *data)
{
	struct scope_ctx *x = data;
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return 1;
	add_str(o, "node", s->ext_id);
	add_str(o, "name", s->name);
	add_str(o, "kind", nhir_node_kind_name(s->kind));
	add_str(o, "status", s->status);
	add_str(o, "origin", s->origin);
	add_str(o, "by", s->actor);
	cJSON_AddNumberToObject(o, "_id", (double)s->node);
	cJSON_AddItemToArray(x->arr, o);
	if (!strcmp(s->origin, "seed") &&
	    !NHIR_ALLOC_GROW(x->seeds, x->seed_nr + 1, x->seed_alloc))
		x->seeds[x->seed_nr++] = s->node;
	return 0;
}

/* The path from a seed to the item of the blast radius at index i. */
static char *blast_path(struct nhir_store *st, const struct nhir_graph *g,
			const struct nhir_blast *b, size_t i)
{
	struct nhir_buf out = NHIR_BUF_INIT(1 << 16);
	uint32_t chain[64];
	size_t n = 0;

	for (uint32_t k = (uint32_t)i; k != NHIR_BLAST_NO_PARENT && n < 64;
	     k = b->items[k].parent)
		chain[n++] = k;
	while (n--) {
		const struct nhir_blast_item *it = &b->items[chain[n]];
		struct nhir_node x;

		if (out.len)
			nhir_buf_addf(&out, " -%s-> ",
				      nhir_edge_kind_name((enum nhir_edge_kind)it->via));
		if (!nhir_store_get_node(st, g->node_id[it->node], &x, NULL)) {
			nhir_buf_adds(&out, x.ext_id);
			nhir_node_release(&x);
		}
	}
	nhir_buf_addch(&out, 0);
	if (out.err) {
		nhir_buf_release(&out);
		return NULL;
	}
	return out.buf;
}

/*
 * How an item no longer live at at came to end, into out: "expired T"
 * or "deleted T by DeleteRole (file@offset)".  Returns "expired" or
 * "ended" for when out stays empty.
 */
static const char *end_text(struct nhir_store *st, const struct nhir_graph *g,
			    const struct nhir_blast_item *it, int64_t at,
			    char *out, size_t n)
{
	struct nhir_node_end e;
	int64_t since, fact;
	char t[32];

	if (!nhir_graph_ended(g, it->node, at, &since, &fact)) {
		nhir_time_format(it->expires, t, sizeof(t));
		snprintf(out, n, "expired %s", t);
		return "expired";
	}
	if (nhir_store_get_end(st, fact, &e, NULL))
		return "ended";
	nhir_time_format(e.time, t, sizeof(t));
	snprintf(out, n, "%s%s %s by logged event %s (%s@%" PRIu64 ")",
		 nhir_end_gone(e.how) && e.node != g->node_id[it->node]
			 ? nhir_end_whose(g, e.node) : "",
		 nhir_end_how_name(e.how), t,
		 e.event_name ? e.event_name : "?", e.path ? e.path : "?",
		 e.offset);
	nhir_node_end_release(&e);
	return "ended";
}

/* Each scope item gets the path that put it in scope; _id removed. */
static enum nhir_rc scope_paths(struct nhir_store *st, struct scope_ctx *x,
				int64_t at, struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { at, NHIR_TIME_UNSET, 0 };
	uint32_t *ix = NULL;
	size_t n = 0;
	cJSON *it;
	enum nhir_rc rc = nhir_store_load_graph(st, &g, err);

	if (rc)
		return rc;
	ix = nhir_calloc(x->seed_nr + 1, sizeof(*ix));
	if (!ix) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < x->seed_nr; i++) {
		uint32_t k = nhir_graph_find(g, x->seeds[i]);

		if (k != UINT32_MAX)
			ix[n++] = k;
	}
	rc = nhir_blast_run(g, ix, n, &o, &b, err);
	if (rc)
		goto out;
	cJSON_ArrayForEach(it, x->arr) {
		int64_t id = (int64_t)cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(it, "_id"));
		char *path = NULL;

		const char *state = "live";
		char ended[512] = "";

		for (size_t i = 0; i < b.nr && !path; i++) {
			if (g->node_id[b.items[i].node] != id)
				continue;
			path = blast_path(st, g, &b, i);
			if (b.items[i].flags & NHIR_BI_ENDED)
				state = end_text(st, g, &b.items[i], at, ended,
						 sizeof(ended));
		}
		if (path)
			cJSON_AddStringToObject(it, "path", path);
		else
			cJSON_AddStringToObject(it, "path", "added by hand");
		cJSON_AddStringToObject(it, "state", ended[0] ? ended : state);
		nhir_free(path);
		cJSON_DeleteItemFromObject(it, "_id");
	}
out:
	nhir_free(ix);
	nhir_blast_release(&b);
	nhir_graph_free(g);
	return rc;
}

struct approvals_ctx {
	struct nhir_store *st;
	cJSON *arr;
	enum nhir_rc rc;
	struct nhir_err *err;
};

static int step_cb(const struct nhir_step *s, void *data)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return 1;
	cJSON_AddNumberToObject(o, "step", (double)s->seq);
	cJSON_AddNumberToObject(o, "_id", (double)s->id);
	add_str(o, "action", s->action);
	add_str(o, "target", s->target_ext);
	add_str(o, "phase", s->phase);
	add_str(o, "status", s->status);
	add_str(o, "why", s->why);
	add_str(o, "breaks", s->breaks);
	cJSON_AddBoolToObject(o, "reversible", s->reversible);
	cJSON_AddBoolToObject(o, "destroys_evidence", s->destroys_evidence);
	cJSON_AddNumberToObject(o, "approvals_needed", s->approvals_needed);
	add_time(o, "started", s->started);
	add_time(o, "finished", s->finished);
	add_str(o, "result", s->result);
	cJSON_AddItemToArray(data, o);
	return 0;
}

static int add_approval(void *arg, const struct nhir_report_approval *v)
{
	cJSON *a = cJSON_CreateObject();

	add_str(a, "by", v->actor);
	add_str(a, "verdict", nhir_verdict_name(v->verdict));
	add_str(a, "why", v->why);
	add_time(a, "at", v->at);
	add_time(a, "expires", v->expires);
	cJSON_AddItemToArray(arg, a);
	return 0;
}

static enum nhir_rc step_approvals(struct nhir_store *st, cJSON *plan,
				   struct nhir_err *err)
{
	cJSON *s;

	cJSON_ArrayForEach(s, plan) {
		cJSON *arr = cJSON_AddArrayToObject(s, "approvals");
		int64_t id = (int64_t)cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(s, "_id"));
		enum nhir_rc rc;

		cJSON_DeleteItemFromObject(s, "_id");
		rc = nhir_report_store(st)->approvals_of_step(st, id,
							      add_approval, arr,
							      err);
		if (rc)
			return rc;
	}
	return NHIR_OK;
}

static int rev_cb(const struct nhir_revocation *v, void *data)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return 1;
	add_str(o, "node", v->ext_id);
	add_str(o, "state", v->state);
	add_time(o, "requested", v->requested);
	add_time(o, "confirmed", v->confirmed);
	add_time(o, "verified", v->verified);
	add_str(o, "detail", v->detail);
	cJSON_AddItemToArray(data, o);
	return 0;
}

/* ---- the framework section ---- */

static size_t count_where(const cJSON *arr, const char *k, const char *v)
{
	const cJSON *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr) {
		const char *s = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, k));

		n += s && !strcmp(s, v);
	}
	return n;
}

static void control(cJSON *arr, const char *id, const char *text, bool met,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void control(cJSON *arr, const char *id, const char *text, bool met,
		    const char *fmt, ...)
{
	cJSON *o = cJSON_CreateObject();
	char facts[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(facts, sizeof(facts), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "text", text);
	cJSON_AddStringToObject(o, "status", met ? "met" : "gap");
	cJSON_AddStringToObject(o, "facts", facts);
	cJSON_AddItemToArray(arr, o);
}

static void owasp(cJSON *arr, const char *id, const char *name,
		  const char *why)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "why", why);
	cJSON_AddItemToArray(arr, o);
}

/* Workload environments seen using a credential, collected. */
struct envs {
	int64_t users[64];
	size_t nr;
};

static int uses_cb(const struct nhir_edge *e, void *data)
{
	struct envs *x = data;

	if (e->kind == NHIR_EDGE_USES && x->nr < 64)
		x->users[x->nr++] = e->src;
	return 0;
}

/* Up to 64 ids, and how many there were. */
struct ids {
	int64_t v[64];
	size_t n;
	int64_t total;
};

static int add_id(void *arg, int64_t id)
{
	struct ids *x = arg;

	if (x->n < NHIR_ARRAY_SIZE(x->v))
		x->v[x->n++] = id;
	x->total++;
	return 0;
}

/* Is a confirmed credential of the incident used in several environments? */
static bool shared_across_envs(struct nhir_store *st, int64_t incident)
{
	struct ids c = { .n = 0 };
	const int64_t *creds = c.v;
	bool shared = false;

	if (nhir_report_store(st)->confirmed_secrets(st, incident, add_id, &c,
						     NULL))
		return false;
	for (size_t i = 0; i < c.n && !shared; i++) {
		struct envs x = { { 0 }, 0 };
		char first[64] = "";

		nhir_store_node_edges(st, creds[i], NHIR_DIR_IN, uses_cb, &x, NULL);
		for (size_t k = 0; k < x.nr && !shared; k++) {
			struct nhir_node w;
			cJSON *a;
			const char *env;

			if (nhir_store_get_node(st, x.users[k], &w, NULL))
				continue;
			a = cJSON_Parse(w.attrs);
			env = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(a,
								      "environment"));
			if (env && !first[0])
				snprintf(first, sizeof(first), "%s", env);
			else if (env && strcmp(env, first))
				shared = true;
			cJSON_Delete(a);
			nhir_node_release(&w);
		}
	}
	return shared;
}

static void map_frameworks(struct nhir_store *st, cJSON *r, int64_t incident)
{
	cJSON *fw = cJSON_AddObjectToObject(r, "framework");
	cJSON *nist = cJSON_AddArrayToObject(fw, "nist_csf_2");
	cJSON *nhi = cJSON_AddArrayToObject(fw, "owasp_nhi_2025");
	const cJSON *inc = cJSON_GetObjectItemCaseSensitive(r, "incident");
	const cJSON *scope = cJSON_GetObjectItemCaseSensitive(r, "scope");
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(r, "plan");
	const cJSON *dec = cJSON_GetObjectItemCaseSensitive(r, "decisions");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(r, "evidence");
	const cJSON *rev = cJSON_GetObjectItemCaseSensitive(r, "revocations");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "residual");
	const cJSON *tl = cJSON_GetObjectItemCaseSensitive(r, "timeline");
	const cJSON *fu = cJSON_GetObjectItemCaseSensitive(r, "follow_ups");
	const char *state = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(inc, "state"));
	const char *lead = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(inc, "lead"));
	size_t steps = (size_t)cJSON_GetArraySize(plan);
	size_t done = count_where(plan, "status", "done");
	size_t verified = count_where(rev, "state", "verified");
	size_t revs = (size_t)cJSON_GetArraySize(rev);
	size_t confirmed = count_where(scope, "status", "confirmed");
	size_t notified = 0, recover = 0, recover_done = 0, assigned = 0;
	bool contained = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res,
									 "contained"));
	bool closed = state && !strcmp(state, "closed");
	bool accepted = count_where(dec, "kind", "risk-acceptance") > 0;
	int64_t findings = 0, privileged = 0, never = 0;
	struct nhir_audit_check chk;
	const cJSON *it;

	cJSON_ArrayForEach(it, plan) {
		const char *a = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "action"));
		const char *s = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "status"));
		const char *ph = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "phase"));

		if (a && !strcmp(a, "generic.notify-owner") && s &&
		    !strcmp(s, "done"))
			notified++;
		if (ph && (!strcmp(ph, "recover") || !strcmp(ph, "rotate"))) {
			recover++;
			recover_done += s && !strcmp(s, "done");
		}
	}
	cJSON_ArrayForEach(it, tl) {
		const char *a = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(it, "action"));

		assigned += a && !strcmp(a, "incident.assign");
	}
	{
		/* the facts routing used: what the leaked credentials reach */
		struct ids fs = { .n = 0 };

		if (!nhir_report_store(st)->findings_of(st, incident, add_id,
							&fs, NULL))
			for (size_t i = 0; i < fs.n; i++) {
				struct nhir_route_facts f;

				if (!nhir_route_facts(st, fs.v[i], &f, NULL) &&
				    f.privilege >= NHIR_PRIV_WRITE)
					privileged++;
			}
		findings = fs.total;
	}
	nhir_report_store(st)->seeds_never_expiring(st, incident, &never, NULL);
	memset(&chk, 0, sizeof(chk));
	nhir_audit_verify(st, &chk, NULL);

	control(nist, "RS.MA-01", "The incident response plan is executed in "
		"coordination with relevant third parties once an incident is "
		"declared.", steps && done, "%zu of %zu plan steps done; lead %s",
		done, steps, lead ? lead : "-");
	control(nist, "RS.MA-02", "Incident reports are triaged and validated.",
		findings > 0 || confirmed > 0, "%" PRId64 " finding(s) routed "
		"into the incident; %zu scope item(s) confirmed", findings,
		confirmed);
	control(nist, "RS.MA-03", "Incidents are categorized and prioritized.",
		true, "severity %s", cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(inc, "severity")));
	control(nist, "RS.MA-04", "Incidents are escalated or elevated as needed.",
		true, "%zu reassignment(s) on record", assigned);
	control(nist, "RS.MA-05", "The criteria for initiating incident recovery "
		"are applied.", closed || contained, "%s",
		closed ? (accepted ? "closed on a risk acceptance by the lead"
				   : "closed with the recovery criteria met")
		       : contained ? "contained; recovery may begin"
				   : "not contained yet");
	control(nist, "RS.AN-03", "Analysis is performed to establish what has "
		"taken place during an incident and the root cause of the "
		"incident.", confirmed > 0, "%zu confirmed scope item(s), each "
		"with the path that put it in scope", confirmed);
	control(nist, "RS.AN-06", "Actions performed during an investigation are "
		"recorded, and the records' integrity and provenance are "
		"preserved.", !chk.broken && chk.entries > 0,
		"%d audit entries for this incident; the chain %s (head %s)",
		cJSON_GetArraySize(tl), chk.broken ? "is BROKEN" : "verifies",
		chk.head);
	control(nist, "RS.AN-07", "Incident data and metadata are collected, and "
		"their integrity and provenance are preserved.",
		cJSON_GetArraySize(ev) > 0, "%d evidence item(s) with SHA-256 "
		"and custody", cJSON_GetArraySize(ev));
	control(nist, "RS.AN-08", "An incident's magnitude is estimated and "
		"validated.", cJSON_GetArraySize(scope) > 0, "%d scope item(s) "
		"from the blast radius, %zu confirmed",
		cJSON_GetArraySize(scope), confirmed);
	control(nist, "RS.CO-02", "Internal and external stakeholders are "
		"notified of incidents.", notified > 0, "%zu owner "
		"notification(s) done", notified);
	control(nist, "RS.MI-01", "Incidents are contained.", contained,
		"%s", contained ? "no residual access"
				: "residual access remains (see residual)");
	control(nist, "RS.MI-02", "Incidents are eradicated.", revs &&
		verified == revs, "%zu of %zu revocation(s) verified by a "
		"probe", verified, revs);
	control(nist, "RC.RP-01", "The recovery portion of the incident response "
		"plan is executed once initiated from the incident response "
		"process.", recover && recover_done == recover,
		"%zu of %zu rotation and redeployment step(s) done",
		recover_done, recover);
	control(nist, "RC.RP-02", "Recovery actions are selected, scoped, "
		"prioritized, and performed.", steps > 0, "a plan of %zu ordered "
		"step(s) from the action catalog", steps);
	control(nist, "RC.RP-05", "The integrity of restored assets is verified, "
		"systems and services are restored, and normal operating "
		"status is confirmed.", revs && verified == revs,
		"%zu verification(s) by probe", verified);
	control(nist, "RC.RP-06", "The end of incident recovery is declared "
		"based on criteria, and incident-related documentation is "
		"completed.", closed, "%s; this report; %d follow-up(s)",
		closed ? "closed by the lead" : "not closed",
		cJSON_GetArraySize(fu));

	if (findings)
		owasp(nhi, "NHI2:2025", "Secret Leakage",
		      "the credential was found by a secret scanner");
	if (never)
		owasp(nhi, "NHI7:2025", "Long-Lived Secrets",
		      "a seed credential has no expiry");
	if (privileged)
		owasp(nhi, "NHI5:2025", "Overprivileged NHI",
		      "the leaked credential reaches write or admin access");
	if (shared_across_envs(st, incident))
		owasp(nhi, "NHI8:2025", "Environment Isolation",
		      "one credential in scope serves several environments");
}

enum nhir_rc nhir_report_build(const struct nhir_ctx *ctx, int64_t incident,
			       int64_t at, cJSON **out, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_incident inc;
	struct nhir_residual res;
	struct scope_ctx sc;
	cJSON *r, *o, *arr, *ev, *cu, *e;
	char id[32], guard[400];
	enum nhir_rc rc;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	rc = ir_begin(ctx, NHIR_PERM_READ, incident, "report", err);
	if (rc)
		return rc;
	rc = nhir_incident_get(st, incident, &inc, err);
	if (!rc)
		rc = nhir_incident_close_check(st, incident, guard, sizeof(guard),
					       err);
	if (rc) {
		nhir_store_rollback(st);
		return rc;
	}
	r = cJSON_CreateObject();
	o = cJSON_AddObjectToObject(r, "incident");
	snprintf(id, sizeof(id), "INC-%" PRId64, inc.id);
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "title", inc.title);
	cJSON_AddStringToObject(o, "severity", inc.severity);
	cJSON_AddStringToObject(o, "state", nhir_inc_state_name(inc.state));
	cJSON_AddStringToObject(o, "lead", inc.lead);
	add_time(o, "exposed_at", inc.exposed_at);
	add_time(o, "declared", inc.declared);
	cJSON_AddStringToObject(o, "declared_by", inc.declared_by);
	add_time(o, "closed", inc.closed);
	add_str(o, "open_criteria", guard[0] ? guard : NULL);
	add_time(r, "as_of", at);
	add_str(r, "generated_by", actor);
	rc = nhir_audit_each(st, incident, audit_cb,
			     cJSON_AddArrayToObject(r, "timeline"), err);
	sc.arr = cJSON_AddArrayToObject(r, "scope");
	sc.st = st;
	if (!rc)
		rc = nhir_scope_each(st, incident, scope_cb, &sc, err);
	if (!rc)
		rc = scope_paths(st, &sc, at, err);
	if (!rc)
		rc = nhir_record_each(st, incident, "member", record_cb,
				      cJSON_AddArrayToObject(r, "people"), err);
	if (!rc)
		rc = nhir_record_each(st, incident, "decision", record_cb,
				      cJSON_AddArrayToObject(r, "decisions"), err);
	if (!rc)
		rc = nhir_record_each(st, incident, "note", record_cb,
				      cJSON_AddArrayToObject(r, "notes"), err);
	arr = cJSON_AddArrayToObject(r, "plan");
	if (!rc)
		rc = nhir_plan_each(st, incident, step_cb, arr, err);
	if (!rc)
		rc = step_approvals(st, arr, err);
	if (!rc)
		rc = nhir_residual(st, incident, at, &res, err);
	if (!rc) {
		o = cJSON_AddObjectToObject(r, "residual");
		cJSON_AddBoolToObject(o, "contained", res.nr == 0);
		add_time(o, "contained_at", res.contained_at);
		arr = cJSON_AddArrayToObject(o, "items");
		for (size_t i = 0; i < res.nr; i++) {
			cJSON *x = cJSON_CreateObject();

			add_str(x, "node", res.items[i].ext_id);
			add_str(x, "kind", nhir_node_kind_name(res.items[i].kind));
			add_str(x, "path", res.items[i].path);
			add_time(x, "expires", res.items[i].expires);
			cJSON_AddItemToArray(arr, x);
		}
		arr = cJSON_AddArrayToObject(o, "ended");
		for (size_t i = 0; i < res.ended_nr; i++) {
			cJSON *x = cJSON_CreateObject();
			const struct nhir_residual_end *en = &res.ended[i];

			add_str(x, "node", en->ext_id);
			add_str(x, "path", en->path);
			add_str(x, "how", nhir_end_how_name(en->how));
			add_time(x, "at", en->at);
			add_str(x, "event", en->event);
			add_str(x, "file", en->file);
			cJSON_AddNumberToObject(x, "offset", (double)en->offset);
			cJSON_AddItemToArray(arr, x);
		}
		nhir_residual_release(&res);
	}
	ev = cJSON_AddArrayToObject(r, "evidence");
	if (!rc)
		rc = nhir_record_each(st, incident, "evidence", record_cb, ev, err);
	cu = cJSON_CreateArray();
	if (!rc)
		rc = nhir_record_each(st, incident, "custody", record_cb, cu, err);
	cJSON_ArrayForEach(e, cu) {
		double evid = cJSON_GetNumberValue(
			cJSON_GetObjectItemCaseSensitive(e, "evidence"));
		cJSON *x;

		cJSON_ArrayForEach(x, ev)
			if (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(x, "id")) == evid)
				cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(x, "custody"),
						     cJSON_Duplicate(e, 1));
	}
	cJSON_Delete(cu);
	if (!rc)
		rc = nhir_revocation_each(st, incident, rev_cb,
					  cJSON_AddArrayToObject(r, "revocations"),
					  err);
	if (!rc)
		rc = nhir_record_each(st, incident, "task", record_cb,
				      cJSON_AddArrayToObject(r, "tasks"), err);
	if (!rc) {
		const cJSON *t;

		arr = cJSON_AddArrayToObject(r, "follow_ups");
		cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(r, "tasks")) {
			const char *title = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(t, "title"));

			if (title && !strncmp(title, "follow-up:", 10))
				cJSON_AddItemToArray(arr, cJSON_Duplicate(t, 1));
		}
		map_frameworks(st, r, incident);
	}
	nhir_free(sc.seeds);
	/* reading the record is itself on the record */
	rc = ir_end(ctx, rc, "report", incident, NULL, err);
	if (rc) {
		cJSON_Delete(r);
		return rc;
	}
	*out = r;
	return NHIR_OK;
}
