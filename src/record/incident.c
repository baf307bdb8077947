/*
 * Incidents: declaration, lead and responders, the lifecycle with its
 * guards, scope, decisions, notes and tasks.  Every change goes through
 * ir_begin() / ir_end(): authority checked, audit entry appended.
 */
#include "compat.h"
#include <ctype.h>
#include "nhir/blast.h"
#include "record/record-internal.h"
#include "store/findings.h"
#include "store/record.h"

static const char *const state_names[NHIR_INC_STATE_NR] = {
	"declared", "investigating", "containing", "recovering", "closed",
};

const char *nhir_inc_state_name(enum nhir_inc_state s)
{
	return (unsigned)s < NHIR_INC_STATE_NR ? state_names[s] : "?";
}

int nhir_inc_state_parse(const char *s)
{
	for (int i = 0; s && i < NHIR_INC_STATE_NR; i++)
		if (!strcmp(s, state_names[i]))
			return i;
	return -1;
}

static const char *const severities[] = { "critical", "high", "medium", "low" };

bool nhir_severity_valid(const char *s)
{
	for (size_t i = 0; s && i < NHIR_ARRAY_SIZE(severities); i++)
		if (!strcmp(s, severities[i]))
			return true;
	return false;
}

int64_t nhir_incident_ref(const char *s)
{
	char *end;
	long long v;

	if (!s)
		return 0;
	if (!strncasecmp(s, "INC-", 4))
		s += 4;
	if (!isdigit((unsigned char)*s))
		return 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	return *end || errno || v <= 0 ? 0 : (int64_t)v;
}

enum nhir_rc nhir_incident_get(struct nhir_store *st, int64_t id,
			       struct nhir_incident *out,
			       struct nhir_err *err)
{
	struct nhir_incident inc;
	enum nhir_rc rc;
	bool found;

	rc = nhir_record_store(st)->incident_read(st, id, &inc, &found, err);
	if (rc)
		return rc;
	if (!found)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no incident INC-%"
				    PRId64, id);
	*out = inc;
	return NHIR_OK;
}

enum nhir_rc nhir_incident_list(struct nhir_store *st, int state,
				nhir_incident_cb cb, void *data,
				struct nhir_err *err)
{
	return nhir_record_store(st)->incidents_read(st, state, cb, data, err);
}

/* A user's name as stored (struct nhir_user's) */
#define USER_BUF sizeof(((struct nhir_user *)0)->name)

/*
 * The user must exist, be active, and hold one of the roles (mask).
 * Found whatever the case name is given in, and named as added in
 * canon (what is stored): one person is never two names.
 */
static enum nhir_rc need_user(struct nhir_store *st, const char *name,
			      unsigned roles, const char *as,
			      char canon[USER_BUF],
			      struct nhir_err *err)
{
	struct nhir_user u;
	enum nhir_rc rc = nhir_user_get(st, name, &u, err);

	if (rc)
		return rc;
	ir_copy(canon, USER_BUF, u.name);
	if (!u.active)
		return nhir_err_set(err, NHIR_EINVAL, "user '%s' is "
				    "deactivated", name);
	if (!(roles & (1u << u.role)))
		return nhir_err_set(err, NHIR_EINVAL, "%s is %s, not %s", name,
				    nhir_role_name(u.role), as);
	return NHIR_OK;
}

#define ROLE(r) (1u << (r))

static enum nhir_rc scope_put(struct nhir_store *st, int64_t inc,
			      int64_t node, enum nhir_scope_status status,
			      enum nhir_scope_origin origin, const char *actor,
			      bool overwrite, struct nhir_err *err)
{
	struct nhir_scope_row s = {
		.incident = inc, .node = node, .status = status,
		.origin = origin, .updated = nhir_store_now(st), .actor = actor,
	};

	return nhir_record_store(st)->scope_put(st, &s, overwrite, err);
}

/* Blast radius of the seeds: node ids to propose (not the seeds). */
static enum nhir_rc propose(struct nhir_store *st, const int64_t *seeds,
			    size_t nr, int64_t exposed, size_t max,
			    int64_t **out, size_t *out_nr,
			    struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { nhir_store_now(st), exposed, 0 };
	uint32_t *ix = NULL;
	size_t n = 0;
	enum nhir_rc rc;

	*out = NULL;
	*out_nr = 0;
	if (!nr)
		return NHIR_OK;
	rc = nhir_store_load_graph(st, &g, err);
	if (rc)
		return rc;
	ix = nhir_calloc(nr, sizeof(*ix));
	if (!ix) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		uint32_t x = nhir_graph_find(g, seeds[i]);

		if (x != UINT32_MAX)
			ix[n++] = x;
	}
	rc = nhir_blast_run(g, ix, n, &o, &b, err);
	if (rc)
		goto out;
	*out = nhir_calloc(b.nr ? b.nr : 1, sizeof(**out));
	if (!*out) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < b.nr && *out_nr < max; i++) {
		const struct nhir_blast_item *it = &b.items[b.order[i]];

		/* what has expired or ended is history: nothing to contain */
		if (it->group != NHIR_BG_SEED && it->group != NHIR_BG_OWNER &&
		    it->group != NHIR_BG_ENDED)
			(*out)[(*out_nr)++] = g->node_id[it->node];
	}
out:
	nhir_blast_release(&b);
	nhir_graph_free(g);
	nhir_free(ix);
	return rc;
}

enum nhir_rc nhir_incident_declare(const struct nhir_ctx *ctx,
				   const struct nhir_declare *d, int64_t *id,
				   struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	int64_t *seeds = NULL, *prop = NULL;
	size_t seed_nr = 0, prop_nr = 0;
	cJSON *detail = NULL, *arr;
	enum nhir_rc rc = NHIR_OK;
	int64_t now = nhir_ctx_now(ctx);
	char lead[USER_BUF] = "";

	*id = 0;
	if (!d->title || !*d->title)
		return nhir_err_set(err, NHIR_EINVAL, "an incident needs a title");
	if (!nhir_severity_valid(d->severity))
		return nhir_err_set(err, NHIR_EINVAL, "severity must be "
				    "critical, high, medium or low");
	if (!d->lead)
		return nhir_err_set(err, NHIR_EINVAL, "an incident needs a lead");
	seeds = nhir_calloc(d->seed_nr + d->finding_nr + 1, sizeof(*seeds));
	if (!seeds)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < d->seed_nr; i++)
		rc = nhir_store_resolve(st, d->seeds[i], &seeds[seed_nr++], err);
	for (size_t i = 0; !rc && i < d->finding_nr; i++) {
		struct nhir_findings_route_in f;
		bool found;

		rc = nhir_findings_store(st)->route_input(st, d->findings[i],
							  &f, &found, err);
		if (!rc && !found)
			rc = nhir_err_set(err, NHIR_ENOTFOUND, "no finding %"
					  PRId64, d->findings[i]);
		if (!rc && f.credential)
			seeds[seed_nr++] = f.credential;
	}
	if (!rc)
		rc = propose(st, seeds, seed_nr, d->exposed_at,
			     d->propose_max ? d->propose_max : 5000, &prop,
			     &prop_nr, err);
	if (rc)
		goto out;
	rc = ir_begin(ctx, NHIR_PERM_DECLARE, 0, "incident.declare", err);
	if (rc)
		goto out;
	rc = need_user(st, d->lead, ROLE(NHIR_ROLE_LEAD), "a lead", lead,
		       err);
	if (!rc) {
		struct nhir_incident_def inc = {
			.title = d->title, .severity = d->severity,
			.state = NHIR_INC_DECLARED, .lead = lead,
			.exposed_at = d->exposed_at, .declared = now,
			.declared_by = actor, .updated = now,
		};

		rc = rs->incident_insert(st, &inc, id, err);
	}
	for (size_t i = 0; !rc && i < seed_nr; i++)
		rc = scope_put(st, *id, seeds[i], NHIR_SCOPE_STATUS_CONFIRMED,
			       NHIR_SCOPE_FROM_SEED, actor, true, err);
	for (size_t i = 0; !rc && i < prop_nr; i++)
		rc = scope_put(st, *id, prop[i], NHIR_SCOPE_STATUS_PROPOSED,
			       NHIR_SCOPE_FROM_BLAST, actor, false, err);
	for (size_t i = 0; !rc && i < d->finding_nr; i++)
		rc = nhir_findings_store(st)->finding_bind(st, d->findings[i],
							   *id, err);
	if (!rc)
		rc = rs->member_add(st, *id, lead, now, err);
	detail = cJSON_CreateObject();
	if (detail) {
		cJSON_AddStringToObject(detail, "title", d->title);
		cJSON_AddStringToObject(detail, "severity", d->severity);
		cJSON_AddStringToObject(detail, "lead", *lead ? lead : d->lead);
		arr = cJSON_AddArrayToObject(detail, "seeds");
		for (size_t i = 0; arr && i < seed_nr; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)seeds[i]));
		arr = cJSON_AddArrayToObject(detail, "findings");
		for (size_t i = 0; arr && i < d->finding_nr; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)d->findings[i]));
		cJSON_AddNumberToObject(detail, "proposed", (double)prop_nr);
	}
	rc = ir_end(ctx, rc, "incident.declare", *id, detail, err);
out:
	nhir_free(seeds);
	nhir_free(prop);
	return rc;
}

enum nhir_rc nhir_incident_assign(const struct nhir_ctx *ctx, int64_t id,
				  const char *lead,
				  const char *const *responders, size_t nr,
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	struct nhir_incident inc;
	cJSON *d = cJSON_CreateObject(), *arr = NULL;
	int64_t now = nhir_ctx_now(ctx);
	char name[USER_BUF] = "";
	enum nhir_rc rc;

	rc = ir_begin(ctx, NHIR_PERM_ASSIGN, id, "incident.assign", err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	rc = nhir_incident_get(st, id, &inc, err);
	if (!rc && lead) {
		rc = need_user(st, lead, ROLE(NHIR_ROLE_LEAD), "a lead", name,
			       err);
		if (!rc)
			rc = rs->incident_set_lead(st, id, name, now, err);
		if (!rc)
			rc = rs->member_add(st, id, name, now, err);
		if (d) {
			cJSON_AddStringToObject(d, "lead", *name ? name : lead);
			cJSON_AddStringToObject(d, "was", inc.lead);
		}
	}
	if (d && nr)
		arr = cJSON_AddArrayToObject(d, "responders");
	for (size_t i = 0; !rc && i < nr; i++) {
		*name = '\0';
		rc = need_user(st, responders[i],
			       ROLE(NHIR_ROLE_RESPONDER) | ROLE(NHIR_ROLE_LEAD),
			       "a responder", name, err);
		if (!rc)
			rc = rs->member_add(st, id, name, now, err);
		if (arr)
			cJSON_AddItemToArray(arr, cJSON_CreateString(
				*name ? name : responders[i]));
	}
	if (!rc && !lead && !nr)
		rc = nhir_err_set(err, NHIR_EINVAL, "nothing to assign: give "
				  "--lead or --responder");
	return ir_end(ctx, rc, "incident.assign", id, d, err);
}

/*
 * Counts a task not done; follow-ups ("follow-up: ...", in any case)
 * outlive the incident.
 */
static int count_open_task(const struct nhir_record_item *t, void *data)
{
	int64_t *n = data;

	if ((!t->c || strcmp(t->c, "done")) &&
	    (!t->a || strncasecmp(t->a, "follow-up:", 10)))
		++*n;
	return 0;
}

enum nhir_rc nhir_incident_close_check(struct nhir_store *st, int64_t id,
				       char *buf, size_t len,
				       struct nhir_err *err)
{
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	struct nhir_incident inc;
	int64_t open_tasks = 0, proposed = 0, accepted = 0;
	enum nhir_rc rc;
	bool found;

	buf[0] = 0;
	/* a risk acceptance counts when the incident's lead recorded it */
	rc = rs->incident_read(st, id, &inc, &found, err);
	if (!rc && found)
		rc = rs->decision_count(st, id, "risk-acceptance", inc.lead,
					&accepted, err);
	if (rc || accepted)
		return rc;
	rc = rs->records_read(st, id, NHIR_RECORD_TASK, count_open_task,
			      &open_tasks, err);
	if (!rc)
		rc = rs->scope_count(st, id, NHIR_SCOPE_STATUS_PROPOSED,
				     &proposed, err);
	if (rc)
		return rc;
	if (open_tasks || proposed)
		snprintf(buf, len, "recovery criteria not met: %" PRId64
			 " task(s) open, %" PRId64 " scope item(s) still "
			 "proposed; finish them, or have the lead record a "
			 "risk acceptance ('nhir decide --risk-acceptance')",
			 open_tasks, proposed);
	return NHIR_OK;
}

enum nhir_rc nhir_incident_move(const struct nhir_ctx *ctx, int64_t id,
				enum nhir_inc_state to, const char *why,
				struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct nhir_incident inc;
	char guard[400];
	cJSON *d = NULL;
	int64_t confirmed = 0, now = nhir_ctx_now(ctx);
	enum nhir_rc rc;

	if ((unsigned)to >= NHIR_INC_STATE_NR)
		return nhir_err_set(err, NHIR_EINVAL, "no such state");
	rc = ir_begin(ctx, NHIR_PERM_LEAD, id, "incident.state", err);
	if (rc)
		return rc;
	rc = nhir_incident_get(st, id, &inc, err);
	if (!rc && to != inc.state + 1 && to + 1 != inc.state)
		rc = nhir_err_set(err, NHIR_ECONFLICT,
				  "INC-%" PRId64 " is %s: it can move to %s%s%s",
				  id, nhir_inc_state_name(inc.state),
				  nhir_inc_state_name(inc.state + 1),
				  inc.state ? " or back to " : "",
				  inc.state ? nhir_inc_state_name(inc.state - 1)
					    : "");
	if (!rc && to == NHIR_INC_CONTAINING) {
		rc = nhir_record_store(st)->scope_count(
			st, id, NHIR_SCOPE_STATUS_CONFIRMED, &confirmed, err);
		if (!rc && !confirmed)
			rc = nhir_err_set(err, NHIR_ECONFLICT,
					  "containment needs a confirmed scope "
					  "('nhir incident scope INC-%" PRId64
					  " confirm REF')", id);
	}
	if (!rc && to == NHIR_INC_CLOSED) {
		rc = nhir_incident_close_check(st, id, guard, sizeof(guard),
					       err);
		if (!rc && guard[0])
			rc = nhir_err_set(err, NHIR_ECONFLICT, "%s", guard);
	}
	if (!rc)
		rc = nhir_record_store(st)->incident_set_state(
			st, id, to, now, to == NHIR_INC_CLOSED ? now : 0, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "from", nhir_inc_state_name(inc.state));
		cJSON_AddStringToObject(d, "to", nhir_inc_state_name(to));
		if (why)
			cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(ctx, rc, "incident.state", id, d, err);
}

enum nhir_rc nhir_scope_change(const struct nhir_ctx *ctx, int64_t id,
			       enum nhir_scope_op op, const char *ref,
			       const char *why, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;

	static const char *const ops[] = { "scope.add", "scope.confirm",
					   "scope.dismiss" };
	cJSON *d = NULL;
	int64_t node;
	enum nhir_rc rc;

	rc = nhir_store_resolve(st, ref, &node, err);
	if (rc)
		return rc;
	rc = ir_begin(ctx,
		      op == NHIR_SCOPE_ADD ? NHIR_PERM_WORK : NHIR_PERM_LEAD,
		      id, ops[op], err);
	if (rc)
		return rc;
	if (op == NHIR_SCOPE_ADD) {
		rc = scope_put(st, id, node, NHIR_SCOPE_STATUS_PROPOSED,
			       NHIR_SCOPE_FROM_MANUAL, actor, false, err);
	} else {
		rc = scope_put(st, id, node,
			       op == NHIR_SCOPE_CONFIRM
				       ? NHIR_SCOPE_STATUS_CONFIRMED
				       : NHIR_SCOPE_STATUS_DISMISSED,
			       NHIR_SCOPE_FROM_MANUAL, actor, true, err);
	}
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "ref", ref);
		cJSON_AddNumberToObject(d, "node", (double)node);
		if (why)
			cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(ctx, rc, ops[op], id, d, err);
}

/* The index of s in names[nr] but its last ("unknown"); else the last. */
static int name_index(const char *const *names, int nr, const char *s)
{
	for (int i = 0; s && i < nr - 1; i++)
		if (!strcmp(s, names[i]))
			return i;
	return nr - 1;
}

static const char *const scope_status_names[] = {
	[NHIR_SCOPE_STATUS_PROPOSED] = "proposed",
	[NHIR_SCOPE_STATUS_CONFIRMED] = "confirmed",
	[NHIR_SCOPE_STATUS_DISMISSED] = "dismissed",
	[NHIR_SCOPE_STATUS_UNKNOWN] = "unknown",
};

const char *nhir_scope_status_name(enum nhir_scope_status s)
{
	return (unsigned)s < NHIR_ARRAY_SIZE(scope_status_names)
		       ? scope_status_names[s] : "unknown";
}

enum nhir_scope_status nhir_scope_status_parse(const char *s)
{
	return (enum nhir_scope_status)name_index(
		scope_status_names, (int)NHIR_ARRAY_SIZE(scope_status_names), s);
}

static const char *const scope_origin_names[] = {
	[NHIR_SCOPE_FROM_SEED] = "seed",
	[NHIR_SCOPE_FROM_BLAST] = "blast",
	[NHIR_SCOPE_FROM_MANUAL] = "manual",
	[NHIR_SCOPE_FROM_UNKNOWN] = "unknown",
};

const char *nhir_scope_origin_name(enum nhir_scope_origin o)
{
	return (unsigned)o < NHIR_ARRAY_SIZE(scope_origin_names)
		       ? scope_origin_names[o] : "unknown";
}

enum nhir_scope_origin nhir_scope_origin_parse(const char *s)
{
	return (enum nhir_scope_origin)name_index(
		scope_origin_names, (int)NHIR_ARRAY_SIZE(scope_origin_names), s);
}

static const char *const task_status_names[] = {
	[NHIR_TASK_OPEN] = "open",
	[NHIR_TASK_DONE] = "done",
	[NHIR_TASK_STATUS_UNKNOWN] = "unknown",
};

const char *nhir_task_status_name(enum nhir_task_status s)
{
	return (unsigned)s < NHIR_ARRAY_SIZE(task_status_names)
		       ? task_status_names[s] : "unknown";
}

enum nhir_task_status nhir_task_status_parse(const char *s)
{
	return (enum nhir_task_status)name_index(
		task_status_names, (int)NHIR_ARRAY_SIZE(task_status_names), s);
}

struct scope_walk {
	nhir_scope_cb cb;
	void *data;
};

static int scope_item(const struct nhir_scope_row *r, void *data)
{
	const struct scope_walk *w = data;
	struct nhir_scope_item s;

	s.node = r->node;
	s.ext_id = r->ext_id;
	s.name = r->name;
	s.status = nhir_scope_status_name(r->status);
	s.origin = nhir_scope_origin_name(r->origin);
	s.actor = r->actor;
	s.kind = r->kind;
	s.updated = r->updated;
	return w->cb(&s, w->data);
}

enum nhir_rc nhir_scope_each(struct nhir_store *st, int64_t id,
			     nhir_scope_cb cb, void *data,
			     struct nhir_err *err)
{
	struct scope_walk w = { cb, data };

	return nhir_record_store(st)->scope_read(st, id, scope_item, &w, err);
}

enum nhir_rc nhir_decide(const struct nhir_ctx *ctx, int64_t id,
			 const char *kind, const char *what, const char *why,
			 int64_t *out_id, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	cJSON *d;
	enum nhir_rc rc;

	if (!what || !*what || !why || !*why)
		return nhir_err_set(err, NHIR_EINVAL,
				    "a decision needs what and why");
	if (strcmp(kind, "decision") && strcmp(kind, "risk-acceptance"))
		return nhir_err_set(err, NHIR_EINVAL, "unknown decision kind");
	rc = ir_begin(ctx, NHIR_PERM_LEAD, id, "decide", err);
	if (rc)
		return rc;
	rc = nhir_record_store(st)->decision_insert(st, id, nhir_ctx_now(ctx),
						    actor, kind, what, why,
						    out_id, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "kind", kind);
		cJSON_AddStringToObject(d, "what", what);
		cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(ctx, rc, "decide", id, d, err);
}

enum nhir_rc nhir_note_add(const struct nhir_ctx *ctx, int64_t id,
			   const char *body, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	cJSON *d;
	enum nhir_rc rc;

	if (!body || !*body)
		return nhir_err_set(err, NHIR_EINVAL, "an empty note");
	rc = ir_begin(ctx, NHIR_PERM_WORK, id, "note", err);
	if (rc)
		return rc;
	rc = nhir_record_store(st)->note_insert(st, id, nhir_ctx_now(ctx), actor,
						body, err);
	d = cJSON_CreateObject();
	if (d)
		cJSON_AddStringToObject(d, "body", body);
	return ir_end(ctx, rc, "note", id, d, err);
}

enum nhir_rc nhir_task_add(const struct nhir_ctx *ctx, int64_t id,
			   const char *title, const char *owner, int64_t due,
			   int64_t *task, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	cJSON *d;
	char name[USER_BUF] = "";
	enum nhir_rc rc;

	if (!title || !*title || !owner)
		return nhir_err_set(err, NHIR_EINVAL, "a task needs a title "
				    "and an owner");
	rc = ir_begin(ctx, NHIR_PERM_LEAD, id, "task.add", err);
	if (rc)
		return rc;
	rc = need_user(st, owner, ROLE(NHIR_ROLE_RESPONDER) |
		       ROLE(NHIR_ROLE_LEAD) | ROLE(NHIR_ROLE_APPROVER) |
		       ROLE(NHIR_ROLE_ADMIN), "someone who can act", name, err);
	if (!rc) {
		struct nhir_task_def t = {
			.incident = id, .title = title, .owner = name,
			.due = due, .created = nhir_ctx_now(ctx), .actor = actor,
		};

		rc = nhir_record_store(st)->task_insert(st, &t, task, err);
	}
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "title", title);
		cJSON_AddStringToObject(d, "owner", *name ? name : owner);
		if (due != NHIR_TIME_UNSET)
			cJSON_AddNumberToObject(d, "due", (double)due);
	}
	return ir_end(ctx, rc, "task.add", id, d, err);
}

enum nhir_rc nhir_task_done(const struct nhir_ctx *ctx, int64_t id,
			    int64_t task, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_incident inc;
	char owner[128] = "";
	enum nhir_task_status status = NHIR_TASK_STATUS_UNKNOWN;
	cJSON *d;
	enum nhir_rc rc;
	bool found;

	/* the owner or the lead: checked below, against the task */
	rc = ir_begin(ctx, NHIR_PERM_READ, id, "task.done", err);
	if (rc)
		return rc;
	rc = nhir_incident_get(st, id, &inc, err);
	if (!rc)
		rc = nhir_record_store(st)->task_read(st, id, task, owner,
						      sizeof(owner), &status,
						      &found, err);
	if (!rc && !found)
		rc = nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64
				  " has no task %" PRId64, id, task);
	if (!rc && strcmp(actor, owner) && strcmp(actor, inc.lead)) {
		char why[400];

		snprintf(why, sizeof(why), "only the task's owner (%s) or the "
			 "lead (%s) may mark it done", owner, inc.lead);
		nhir_store_rollback(st);
		nhir_audit_denied(ctx, "task.done", id, why);
		return nhir_err_set(err, NHIR_EDENIED, "%s", why);
	}
	if (!rc && inc.state == NHIR_INC_CLOSED)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "INC-%" PRId64
				  " is closed", id);
	if (!rc && status == NHIR_TASK_DONE)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "task %" PRId64
				  " is already done", task);
	if (!rc)
		rc = nhir_record_store(st)->task_done(st, task, nhir_ctx_now(ctx),
						      actor, err);
	d = cJSON_CreateObject();
	if (d)
		cJSON_AddNumberToObject(d, "task", (double)task);
	return ir_end(ctx, rc, "task.done", id, d, err);
}

static const char *const record_types[NHIR_RECORD_KIND_NR] = {
	[NHIR_RECORD_DECISION] = "decision",
	[NHIR_RECORD_NOTE] = "note",
	[NHIR_RECORD_TASK] = "task",
	[NHIR_RECORD_MEMBER] = "member",
	[NHIR_RECORD_EVIDENCE] = "evidence",
	[NHIR_RECORD_CUSTODY] = "custody",
};

struct record_walk {
	const char *type;
	nhir_record_cb cb;
	void *data;
};

static int record_item(const struct nhir_record_item *r, void *data)
{
	const struct record_walk *w = data;
	struct nhir_record_item it = *r;

	it.type = w->type;
	return w->cb(&it, w->data);
}

enum nhir_rc nhir_record_each(struct nhir_store *st, int64_t id,
			      const char *type, nhir_record_cb cb, void *data,
			      struct nhir_err *err)
{
	struct record_walk w = { NULL, cb, data };
	int k;

	for (k = 0; k < NHIR_RECORD_KIND_NR; k++)
		if (!strcmp(record_types[k], type))
			break;
	if (k == NHIR_RECORD_KIND_NR)
		return nhir_err_set(err, NHIR_EINVAL, "no record type '%s'",
				    type);
	w.type = record_types[k];
	return nhir_record_store(st)->records_read(st, id,
						   (enum nhir_record_kind)k,
						   record_item, &w, err);
}
