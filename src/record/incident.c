/*
 * Incidents: declaration, lead and responders, the lifecycle with its
 * guards, scope, decisions, notes and tasks.  Every change goes through
 * ir_begin() / ir_end(): authority checked, audit entry appended.
 */
#include "compat.h"
#include <ctype.h>
#include "nhir/blast.h"
#include "record/record-internal.h"

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

static void fill_incident(struct nhir_sql *q, struct nhir_incident *i)
{
	memset(i, 0, sizeof(*i));
	i->id = nhir_sql_int(q, 0);
	ir_copy(i->title, sizeof(i->title), nhir_sql_text(q, 1));
	ir_copy(i->severity, sizeof(i->severity), nhir_sql_text(q, 2));
	i->state = (enum nhir_inc_state)nhir_inc_state_parse(nhir_sql_text(q, 3));
	ir_copy(i->lead, sizeof(i->lead), nhir_sql_text(q, 4));
	i->exposed_at = nhir_sql_is_null(q, 5) ? NHIR_TIME_UNSET
					       : nhir_sql_int(q, 5);
	i->declared = nhir_sql_int(q, 6);
	ir_copy(i->declared_by, sizeof(i->declared_by), nhir_sql_text(q, 7));
	i->updated = nhir_sql_int(q, 8);
	i->closed = nhir_sql_is_null(q, 9) ? NHIR_TIME_UNSET : nhir_sql_int(q, 9);
}

#define INC_COLS "id, title, severity, state, lead, exposed_at, declared," \
		 " declared_by, updated, closed"

enum nhir_rc nhir_incident_get(struct nhir_store *st, int64_t id,
			       struct nhir_incident *out,
			       struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
		      " WHERE id = ?", "i", id);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1)
		fill_incident(q, out);
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!r)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no incident INC-%"
				    PRId64, id);
	return NHIR_OK;
}

enum nhir_rc nhir_incident_list(struct nhir_store *st, int state,
				nhir_incident_cb cb, void *data,
				struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	if (state >= 0)
		rc = ir_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
			      " WHERE state = ? ORDER BY id", "t",
			      nhir_inc_state_name((enum nhir_inc_state)state));
	else
		rc = ir_query(st, err, &q, "SELECT " INC_COLS " FROM incident"
			      " ORDER BY id", "");
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_incident i;

		fill_incident(q, &i);
		if (cb(&i, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

/* The user must exist, be active, and hold one of the roles (mask). */
static enum nhir_rc need_user(struct nhir_store *st, const char *name,
			      unsigned roles, const char *as,
			      struct nhir_err *err)
{
	struct nhir_user u;
	enum nhir_rc rc = nhir_user_get(st, name, &u, err);

	if (rc)
		return rc;
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
			      int64_t node, const char *status,
			      const char *origin, const char *actor,
			      bool overwrite, struct nhir_err *err)
{
	if (overwrite)
		return ir_exec(st, err,
			       "INSERT INTO scope(incident, node, status, origin,"
			       " updated, actor) VALUES(?, ?, ?, ?, ?, ?)"
			       " ON CONFLICT(incident, node) DO UPDATE SET"
			       " status = excluded.status, updated ="
			       " excluded.updated, actor = excluded.actor",
			       "iittit", inc, node, status, origin,
			       nhir_time_now(), actor);
	return ir_exec(st, err,
		       "INSERT INTO scope(incident, node, status, origin,"
		       " updated, actor) VALUES(?, ?, ?, ?, ?, ?)"
		       " ON CONFLICT(incident, node) DO NOTHING",
		       "iittit", inc, node, status, origin, nhir_time_now(),
		       actor);
}

/* Blast radius of the seeds: node ids to propose (not the seeds). */
static enum nhir_rc propose(struct nhir_store *st, const int64_t *seeds,
			    size_t nr, int64_t exposed, size_t max,
			    int64_t **out, size_t *out_nr,
			    struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { nhir_time_now(), exposed, 0 };
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

enum nhir_rc nhir_incident_declare(struct nhir_store *st, const char *actor,
				   const struct nhir_declare *d, int64_t *id,
				   struct nhir_err *err)
{
	int64_t *seeds = NULL, *prop = NULL;
	size_t seed_nr = 0, prop_nr = 0;
	cJSON *detail = NULL, *arr;
	enum nhir_rc rc = NHIR_OK;
	int64_t now = nhir_time_now();

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
		bool found;
		int64_t cred;

		rc = ir_int(st, err, &cred, &found,
			    "SELECT coalesce(credential, 0) FROM finding"
			    " WHERE id = ?", "i", d->findings[i]);
		if (!rc && !found)
			rc = nhir_err_set(err, NHIR_ENOTFOUND, "no finding %"
					  PRId64, d->findings[i]);
		if (!rc && cred)
			seeds[seed_nr++] = cred;
	}
	if (!rc)
		rc = propose(st, seeds, seed_nr, d->exposed_at,
			     d->propose_max ? d->propose_max : 5000, &prop,
			     &prop_nr, err);
	if (rc)
		goto out;
	rc = ir_begin(st, actor, NHIR_PERM_DECLARE, 0, "incident.declare", err);
	if (rc)
		goto out;
	rc = need_user(st, d->lead, ROLE(NHIR_ROLE_LEAD), "a lead", err);
	if (!rc)
		rc = ir_int(st, err, id, NULL,
			    "INSERT INTO incident(title, severity, state, lead,"
			    " exposed_at, declared, declared_by, updated)"
			    " VALUES(?, ?, 'declared', ?, ?, ?, ?, ?)"
			    " RETURNING id", "tttziti",
			    d->title, d->severity, d->lead, d->exposed_at,
			    now, actor, now);
	for (size_t i = 0; !rc && i < seed_nr; i++)
		rc = scope_put(st, *id, seeds[i], "confirmed", "seed", actor,
			       true, err);
	for (size_t i = 0; !rc && i < prop_nr; i++)
		rc = scope_put(st, *id, prop[i], "proposed", "blast", actor,
			       false, err);
	for (size_t i = 0; !rc && i < d->finding_nr; i++)
		rc = ir_exec(st, err, "UPDATE finding SET incident = ?,"
			     " status = 'incident' WHERE id = ?", "ii", *id,
			     d->findings[i]);
	if (!rc)
		rc = ir_exec(st, err, "INSERT INTO incident_member(incident,"
			     " name, added) VALUES(?, ?, ?)", "iti", *id,
			     d->lead, now);
	detail = cJSON_CreateObject();
	if (detail) {
		cJSON_AddStringToObject(detail, "title", d->title);
		cJSON_AddStringToObject(detail, "severity", d->severity);
		cJSON_AddStringToObject(detail, "lead", d->lead);
		arr = cJSON_AddArrayToObject(detail, "seeds");
		for (size_t i = 0; arr && i < seed_nr; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)seeds[i]));
		arr = cJSON_AddArrayToObject(detail, "findings");
		for (size_t i = 0; arr && i < d->finding_nr; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)d->findings[i]));
		cJSON_AddNumberToObject(detail, "proposed", (double)prop_nr);
	}
	rc = ir_end(st, rc, actor, "incident.declare", *id, detail, err);
out:
	nhir_free(seeds);
	nhir_free(prop);
	return rc;
}

enum nhir_rc nhir_incident_assign(struct nhir_store *st, const char *actor,
				  int64_t id, const char *lead,
				  const char *const *responders, size_t nr,
				  struct nhir_err *err)
{
	struct nhir_incident inc;
	cJSON *d = cJSON_CreateObject(), *arr = NULL;
	int64_t now = nhir_time_now();
	enum nhir_rc rc;

	rc = ir_begin(st, actor, NHIR_PERM_ASSIGN, id, "incident.assign", err);
	if (rc) {
		cJSON_Delete(d);
		return rc;
	}
	rc = nhir_incident_get(st, id, &inc, err);
	if (!rc && lead) {
		rc = need_user(st, lead, ROLE(NHIR_ROLE_LEAD), "a lead", err);
		if (!rc)
			rc = ir_exec(st, err, "UPDATE incident SET lead = ?,"
				     " updated = ? WHERE id = ?", "tii", lead,
				     now, id);
		if (!rc)
			rc = ir_exec(st, err, "INSERT INTO incident_member("
				     "incident, name, added) VALUES(?, ?, ?)"
				     " ON CONFLICT DO NOTHING", "iti", id, lead,
				     now);
		if (d) {
			cJSON_AddStringToObject(d, "lead", lead);
			cJSON_AddStringToObject(d, "was", inc.lead);
		}
	}
	if (d && nr)
		arr = cJSON_AddArrayToObject(d, "responders");
	for (size_t i = 0; !rc && i < nr; i++) {
		rc = need_user(st, responders[i],
			       ROLE(NHIR_ROLE_RESPONDER) | ROLE(NHIR_ROLE_LEAD),
			       "a responder", err);
		if (!rc)
			rc = ir_exec(st, err, "INSERT INTO incident_member("
				     "incident, name, added) VALUES(?, ?, ?)"
				     " ON CONFLICT DO NOTHING", "iti", id,
				     responders[i], now);
		if (arr)
			cJSON_AddItemToArray(arr, cJSON_CreateString(responders[i]));
	}
	if (!rc && !lead && !nr)
		rc = nhir_err_set(err, NHIR_EINVAL, "nothing to assign: give "
				  "--lead or --responder");
	return ir_end(st, rc, actor, "incident.assign", id, d, err);
}

enum nhir_rc nhir_incident_close_check(struct nhir_store *st, int64_t id,
				       char *buf, size_t len,
				       struct nhir_err *err)
{
	int64_t open_tasks = 0, proposed = 0, accepted = 0;
	enum nhir_rc rc;

	buf[0] = 0;
	rc = ir_int(st, err, &accepted, NULL, "SELECT count(*) FROM decision"
		    " d JOIN incident i ON i.id = d.incident WHERE d.incident = ?"
		    " AND d.kind = 'risk-acceptance' AND d.actor = i.lead",
		    "i", id);
	if (rc || accepted)
		return rc;
	/* follow-ups ("follow-up: ...") outlive the incident */
	rc = ir_int(st, err, &open_tasks, NULL, "SELECT count(*) FROM task"
		    " WHERE incident = ? AND status != 'done' AND title NOT LIKE"
		    " 'follow-up:%'", "i", id);
	if (!rc)
		rc = ir_int(st, err, &proposed, NULL, "SELECT count(*) FROM"
			    " scope WHERE incident = ? AND status = 'proposed'",
			    "i", id);
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

enum nhir_rc nhir_incident_move(struct nhir_store *st, const char *actor,
				int64_t id, enum nhir_inc_state to,
				const char *why, struct nhir_err *err)
{
	struct nhir_incident inc;
	char guard[400];
	cJSON *d = NULL;
	int64_t confirmed = 0, now = nhir_time_now();
	enum nhir_rc rc;

	if ((unsigned)to >= NHIR_INC_STATE_NR)
		return nhir_err_set(err, NHIR_EINVAL, "no such state");
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, id, "incident.state", err);
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
		rc = ir_int(st, err, &confirmed, NULL, "SELECT count(*) FROM"
			    " scope WHERE incident = ? AND status = 'confirmed'",
			    "i", id);
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
		rc = ir_exec(st, err, "UPDATE incident SET state = ?, updated"
			     " = ?, closed = ? WHERE id = ?", "tizi",
			     nhir_inc_state_name(to), now,
			     to == NHIR_INC_CLOSED ? now : 0, id);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "from", nhir_inc_state_name(inc.state));
		cJSON_AddStringToObject(d, "to", nhir_inc_state_name(to));
		if (why)
			cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(st, rc, actor, "incident.state", id, d, err);
}

enum nhir_rc nhir_scope_change(struct nhir_store *st, const char *actor,
			       int64_t id, enum nhir_scope_op op,
			       const char *ref, const char *why,
			       struct nhir_err *err)
{
	static const char *const ops[] = { "scope.add", "scope.confirm",
					   "scope.dismiss" };
	cJSON *d = NULL;
	int64_t node;
	enum nhir_rc rc;

	rc = nhir_store_resolve(st, ref, &node, err);
	if (rc)
		return rc;
	rc = ir_begin(st, actor,
		      op == NHIR_SCOPE_ADD ? NHIR_PERM_WORK : NHIR_PERM_LEAD,
		      id, ops[op], err);
	if (rc)
		return rc;
	if (op == NHIR_SCOPE_ADD) {
		rc = scope_put(st, id, node, "proposed", "manual", actor, false,
			       err);
	} else {
		rc = scope_put(st, id, node,
			       op == NHIR_SCOPE_CONFIRM ? "confirmed"
							: "dismissed",
			       "manual", actor, true, err);
	}
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "ref", ref);
		cJSON_AddNumberToObject(d, "node", (double)node);
		if (why)
			cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(st, rc, actor, ops[op], id, d, err);
}

enum nhir_rc nhir_scope_each(struct nhir_store *st, int64_t id,
			     nhir_scope_cb cb, void *data,
			     struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q,
		      "SELECT s.node, n.ext_id, n.name, s.status, s.origin,"
		      " s.actor, n.kind, s.updated FROM scope s JOIN node n"
		      " ON n.id = s.node WHERE s.incident = ?"
		      " ORDER BY CASE s.status WHEN 'confirmed' THEN 0"
		      " WHEN 'proposed' THEN 1 ELSE 2 END, n.kind, n.ext_id",
		      "i", id);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_scope_item s;

		s.node = nhir_sql_int(q, 0);
		s.ext_id = nhir_sql_text(q, 1);
		s.name = nhir_sql_text(q, 2);
		s.status = nhir_sql_text(q, 3);
		s.origin = nhir_sql_text(q, 4);
		s.actor = nhir_sql_text(q, 5);
		s.kind = (int)nhir_sql_int(q, 6);
		s.updated = nhir_sql_int(q, 7);
		if (cb(&s, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}

enum nhir_rc nhir_decide(struct nhir_store *st, const char *actor,
			 int64_t id, const char *kind, const char *what,
			 const char *why, int64_t *out_id,
			 struct nhir_err *err)
{
	cJSON *d;
	enum nhir_rc rc;

	if (!what || !*what || !why || !*why)
		return nhir_err_set(err, NHIR_EINVAL,
				    "a decision needs what and why");
	if (strcmp(kind, "decision") && strcmp(kind, "risk-acceptance"))
		return nhir_err_set(err, NHIR_EINVAL, "unknown decision kind");
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, id, "decide", err);
	if (rc)
		return rc;
	rc = ir_int(st, err, out_id, NULL, "INSERT INTO decision(incident, at,"
		    " actor, kind, what, why) VALUES(?, ?, ?, ?, ?, ?)"
		    " RETURNING id", "iitttt", id, nhir_time_now(), actor,
		    kind, what, why);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "kind", kind);
		cJSON_AddStringToObject(d, "what", what);
		cJSON_AddStringToObject(d, "why", why);
	}
	return ir_end(st, rc, actor, "decide", id, d, err);
}

enum nhir_rc nhir_note_add(struct nhir_store *st, const char *actor,
			   int64_t id, const char *body, struct nhir_err *err)
{
	cJSON *d;
	enum nhir_rc rc;

	if (!body || !*body)
		return nhir_err_set(err, NHIR_EINVAL, "an empty note");
	rc = ir_begin(st, actor, NHIR_PERM_WORK, id, "note", err);
	if (rc)
		return rc;
	rc = ir_exec(st, err, "INSERT INTO note(incident, at, actor, body)"
		     " VALUES(?, ?, ?, ?)", "iitt", id, nhir_time_now(), actor,
		     body);
	d = cJSON_CreateObject();
	if (d)
		cJSON_AddStringToObject(d, "body", body);
	return ir_end(st, rc, actor, "note", id, d, err);
}

enum nhir_rc nhir_task_add(struct nhir_store *st, const char *actor,
			   int64_t id, const char *title, const char *owner,
			   int64_t due, int64_t *task, struct nhir_err *err)
{
	cJSON *d;
	enum nhir_rc rc;

	if (!title || !*title || !owner)
		return nhir_err_set(err, NHIR_EINVAL, "a task needs a title "
				    "and an owner");
	rc = ir_begin(st, actor, NHIR_PERM_LEAD, id, "task.add", err);
	if (rc)
		return rc;
	rc = need_user(st, owner, ROLE(NHIR_ROLE_RESPONDER) |
		       ROLE(NHIR_ROLE_LEAD) | ROLE(NHIR_ROLE_APPROVER) |
		       ROLE(NHIR_ROLE_ADMIN), "someone who can act", err);
	if (!rc)
		rc = ir_int(st, err, task, NULL, "INSERT INTO task(incident,"
			    " title, owner, due, status, created, actor)"
			    " VALUES(?, ?, ?, ?, 'open', ?, ?) RETURNING id",
			    "ittzit", id, title, owner, due, nhir_time_now(),
			    actor);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "title", title);
		cJSON_AddStringToObject(d, "owner", owner);
		if (due != NHIR_TIME_UNSET)
			cJSON_AddNumberToObject(d, "due", (double)due);
	}
	return ir_end(st, rc, actor, "task.add", id, d, err);
}

enum nhir_rc nhir_task_done(struct nhir_store *st, const char *actor,
			    int64_t id, int64_t task, struct nhir_err *err)
{
	struct nhir_incident inc;
	struct nhir_sql *q;
	char owner[128] = "", status[16] = "";
	cJSON *d;
	enum nhir_rc rc;
	int r;

	/* the owner or the lead: checked below, against the task */
	rc = ir_begin(st, actor, NHIR_PERM_READ, id, "task.done", err);
	if (rc)
		return rc;
	rc = nhir_incident_get(st, id, &inc, err);
	if (!rc)
		rc = ir_query(st, err, &q, "SELECT owner, status FROM task"
			      " WHERE id = ? AND incident = ?", "ii", task, id);
	if (!rc) {
		r = nhir_sql_step(q, err);
		if (r == 1) {
			ir_copy(owner, sizeof(owner), nhir_sql_text(q, 0));
			ir_copy(status, sizeof(status), nhir_sql_text(q, 1));
		}
		nhir_sql_finish(q);
		if (r < 0)
			rc = err && err->rc ? err->rc : NHIR_ESTORE;
		else if (!r)
			rc = nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64
					  " has no task %" PRId64, id, task);
	}
	if (!rc && strcmp(actor, owner) && strcmp(actor, inc.lead)) {
		char why[400];

		snprintf(why, sizeof(why), "only the task's owner (%s) or the "
			 "lead (%s) may mark it done", owner, inc.lead);
		nhir_store_rollback(st);
		nhir_audit_denied(st, actor, "task.done", id, why);
		return nhir_err_set(err, NHIR_EDENIED, "%s", why);
	}
	if (!rc && inc.state == NHIR_INC_CLOSED)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "INC-%" PRId64
				  " is closed", id);
	if (!rc && !strcmp(status, "done"))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "task %" PRId64
				  " is already done", task);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE task SET status = 'done', done = ?,"
			     " done_by = ? WHERE id = ?", "iti", nhir_time_now(),
			     actor, task);
	d = cJSON_CreateObject();
	if (d)
		cJSON_AddNumberToObject(d, "task", (double)task);
	return ir_end(st, rc, actor, "task.done", id, d, err);
}

enum nhir_rc nhir_record_each(struct nhir_store *st, int64_t id,
			      const char *type, nhir_record_cb cb, void *data,
			      struct nhir_err *err)
{
	static const struct {
		const char *type, *sql;
	} qs[] = {
		{ "decision", "SELECT id, at, actor, kind, what, why, 0, 0"
			      " FROM decision WHERE incident = ? ORDER BY id" },
		{ "note", "SELECT id, at, actor, body, NULL, NULL, 0, 0 FROM"
			  " note WHERE incident = ? ORDER BY id" },
		{ "task", "SELECT id, created, actor, title, owner, status,"
			  " coalesce(due, 0), coalesce(done, 0) FROM task"
			  " WHERE incident = ? ORDER BY id" },
		{ "member", "SELECT 0, added, name, NULL, NULL, NULL, 0, 0"
			    " FROM incident_member WHERE incident = ?"
			    " ORDER BY added, name" },
		{ "evidence", "SELECT id, collected, collected_by, name, sha256,"
			      " source, size, 0 FROM evidence WHERE incident = ?"
			      " ORDER BY id" },
		{ "custody", "SELECT c.id, c.at, c.actor, c.action, c.detail,"
			     " e.name, e.id, 0 FROM custody c JOIN evidence e"
			     " ON e.id = c.evidence WHERE e.incident = ?"
			     " ORDER BY c.id" },
	};
	struct nhir_sql *q;
	enum nhir_rc rc;
	size_t i;
	int r;

	for (i = 0; i < NHIR_ARRAY_SIZE(qs); i++)
		if (!strcmp(qs[i].type, type))
			break;
	if (i == NHIR_ARRAY_SIZE(qs))
		return nhir_err_set(err, NHIR_EINVAL, "no record type '%s'",
				    type);
	rc = ir_query(st, err, &q, qs[i].sql, "i", id);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_record_item it;

		it.type = qs[i].type;
		it.id = nhir_sql_int(q, 0);
		it.at = nhir_sql_int(q, 1);
		it.actor = nhir_sql_text(q, 2);
		it.a = nhir_sql_text(q, 3);
		it.b = nhir_sql_text(q, 4);
		it.c = nhir_sql_text(q, 5);
		it.n1 = nhir_sql_int(q, 6);
		it.n2 = nhir_sql_int(q, 7);
		if (cb(&it, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return ir_step_rc(r, err);
}
