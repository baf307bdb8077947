/*
 * Carrying out the plan: one step at a time through its connector, with
 * every precondition checked (dependencies done, approvals valid, not
 * rejected), the connector's answer kept as evidence, and revocation
 * states moved: requested when a step starts, confirmed when the
 * connector says done, verified when a probe shows the credential no
 * longer works.
 */
#include "compat.h"
#include <ctype.h>
#include <unistd.h>
#include "nhir/plan.h"
#include "nhir/record.h"
#include "record/record-internal.h"
#include "plan/plan-internal.h"

/* One step, as execution needs it. */
struct xstep {
	int64_t id, seq, target;
	char action[128], phase[16], status[16];
	enum nhir_cut cuts;
	int needed, approvals;
	bool rejected;
};

static int take_step(const struct nhir_step *s, void *data)
{
	struct xstep *x = data;

	x->id = s->id;
	x->seq = s->seq;
	x->target = s->target;
	ir_copy(x->action, sizeof(x->action), s->action);
	ir_copy(x->phase, sizeof(x->phase), s->phase);
	ir_copy(x->status, sizeof(x->status), s->status);
	x->cuts = s->cuts;
	x->needed = s->approvals_needed;
	x->approvals = s->approvals;
	x->rejected = s->rejected;
	return 1;
}

/* Why step x cannot run now ("" if it can), into buf. */
static enum nhir_rc blocked(struct nhir_store *st, const struct xstep *x,
			    char *buf, size_t n, struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	buf[0] = 0;
	rc = ir_query(st, err, &q, "SELECT p.seq, p.status, d.why FROM plan_dep"
		      " d JOIN plan_step p ON p.id = d.after WHERE d.step = ? AND"
		      " p.status NOT IN ('done', 'skipped') ORDER BY p.seq", "i",
		      x->id);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1)
		snprintf(buf, n, "step %" PRId64 " waits for step %" PRId64
			 " (%s): %s", x->seq, nhir_sql_int(q, 0),
			 nhir_sql_text(q, 1), nhir_sql_text(q, 2));
	nhir_sql_finish(q);
	if (r < 0)
		return NHIR_ESTORE;
	if (!buf[0] && x->rejected)
		snprintf(buf, n, "step %" PRId64 " was rejected; it needs a new "
			 "approval", x->seq);
	else if (!buf[0] && x->approvals < x->needed)
		snprintf(buf, n, "step %" PRId64 " needs %d approval%s (has %d)",
			 x->seq, x->needed, x->needed == 1 ? "" : "s",
			 x->approvals);
	return NHIR_OK;
}

struct pick {
	struct xstep *x;
	bool found;
};

static int next_cb(const struct nhir_step *s, void *data)
{
	struct pick *p = data;

	if (strcmp(s->status, "planned") && strcmp(s->status, "failed"))
		return 0;
	take_step(s, p->x);
	p->found = true;
	return 1;
}

static int acts_cb(const struct nhir_edge *e, void *data)
{
	struct { int64_t *v; size_t nr; } *a = data;

	if (e->kind == NHIR_EDGE_AUTHENTICATES && a->nr < 16)
		a->v[a->nr++] = e->dst;
	return 0;
}

/* The identities a credential acts as: what a probe should test. */
static void acts_as(struct nhir_store *st, int64_t node, cJSON *t)
{
	int64_t ids[16];
	struct { int64_t *v; size_t nr; } a = { ids, 0 };
	cJSON *arr;

	if (nhir_store_node_edges(st, node, NHIR_DIR_OUT, acts_cb, &a, NULL) ||
	    !a.nr || !(arr = cJSON_AddArrayToObject(t, "acts_as")))
		return;
	for (size_t i = 0; i < a.nr; i++) {
		struct nhir_node n;

		if (nhir_store_get_node(st, ids[i], &n, NULL))
			continue;
		cJSON_AddItemToArray(arr, cJSON_CreateString(n.ext_id));
		nhir_node_release(&n);
	}
}

/* The request a connector receives. */
static char *request_json(struct nhir_store *st, int64_t incident,
			  const struct xstep *x, bool dry_run)
{
	cJSON *o = cJSON_CreateObject(), *t;
	struct nhir_node n;
	char *s, *out = NULL, inc[32];

	if (!o)
		return NULL;
	snprintf(inc, sizeof(inc), "INC-%" PRId64, incident);
	cJSON_AddStringToObject(o, "incident", inc);
	cJSON_AddNumberToObject(o, "step", (double)x->seq);
	cJSON_AddStringToObject(o, "action", x->action);
	cJSON_AddBoolToObject(o, "dry_run", dry_run);
	t = cJSON_AddObjectToObject(o, "target");
	if (x->target && t && !nhir_store_get_node(st, x->target, &n, NULL)) {
		cJSON_AddStringToObject(t, "id", n.ext_id);
		cJSON_AddStringToObject(t, "kind", nhir_node_kind_name(n.kind));
		if (n.name)
			cJSON_AddStringToObject(t, "name", n.name);
		if (n.subtype)
			cJSON_AddStringToObject(t, "subtype", n.subtype);
		if (n.provider)
			cJSON_AddStringToObject(t, "provider", n.provider);
		nhir_node_release(&n);
		acts_as(st, x->target, t);
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s) {
		out = nhir_strdup(s);
		cJSON_free(s);
	}
	return out;
}

static bool revokes(const struct xstep *x)
{
	return !strcmp(x->phase, "contain") || !strcmp(x->phase, "revoke");
}

/* Keeps the connector's answer as evidence of the incident. */
static int64_t keep_output(struct nhir_store *st, const char *actor,
			   int64_t incident, const struct xstep *x,
			   const char *conn, const char *req,
			   const struct nhir_buf *reply, const char *error)
{
	char dir[256], path[512], source[300], sha[65];
	int64_t ev = 0;
	FILE *f;

	/* named for what it is: the evidence keeps the file's name */
	snprintf(dir, sizeof(dir), "%s/nhir-step-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/step-%" PRId64 "-%s.log", dir, x->seq,
		 x->action);
	f = fopen(path, "wx");
	if (!f) {
		rmdir(dir);
		return 0;
	}
	fprintf(f, "request: %s\nconnector: %s\n", req, conn);
	if (error)
		fprintf(f, "error: %s\n", error);
	fprintf(f, "reply: %.*s\n", (int)reply->len, reply->buf ? reply->buf : "");
	fclose(f);
	snprintf(source, sizeof(source), "connector %s, step %" PRId64 " (%s)",
		 conn, x->seq, x->action);
	if (nhir_evidence_add(st, actor, incident, path, source, 0, &ev, sha, NULL))
		ev = 0;
	unlink(path);
	rmdir(dir);
	return ev;
}

static bool proves_nothing(const char *call);

/*
 * A verify step: the target's probe.  Its status is done when the
 * probe's call is refused, failed when it still works or proves
 * nothing; detail says which.
 */
static const char *probe_target(struct nhir_store *st, int64_t incident,
				const struct nhir_connectors *conn,
				int64_t target, char *detail, size_t n)
{
	struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
	struct nhir_err perr = NHIR_ERR_INIT;
	struct nhir_node node;
	struct xstep x;
	const char *out = "failed", *call = "";
	char *req;
	cJSON *a = NULL;

	if (nhir_store_get_node(st, target, &node, NULL)) {
		snprintf(detail, n, "no such node");
		return out;
	}
	memset(&x, 0, sizeof(x));
	x.target = target;
	snprintf(x.action, sizeof(x.action), "probe");
	req = request_json(st, incident, &x, false);
	if (!req || nhir_connector_call(conn, node.subtype ? node.subtype : "",
					true, req, &reply, &perr)) {
		snprintf(detail, n, "%s", req ? perr.msg : "out of memory");
	} else {
		nhir_buf_addch(&reply, 0);
		a = cJSON_Parse(reply.buf);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "call")))
			call = cJSON_GetObjectItemCaseSensitive(a, "call")->valuestring;
		if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(a, "works")))
			snprintf(detail, n, "the probe answered something that "
				 "is not {\"works\": ...}");
		else if (proves_nothing(call))
			snprintf(detail, n, "%s succeeds whatever the "
				 "permissions: refused as proof", call);
		else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "works")))
			snprintf(detail, n, "%s still succeeds with %s",
				 call[0] ? call : "the probe", node.ext_id);
		else {
			snprintf(detail, n, "%s is refused for %s",
				 call[0] ? call : "the probe's call",
				 node.ext_id);
			out = "done";
		}
	}
	cJSON_Delete(a);
	nhir_free(req);
	nhir_buf_release(&reply);
	nhir_node_release(&node);
	return out;
}

enum nhir_rc nhir_execute(struct nhir_store *st, const char *actor,
			  int64_t incident, int64_t seq, bool confirm,
			  const struct nhir_connectors *conn,
			  struct nhir_exec_result *res, struct nhir_err *err)
{
	struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
	struct nhir_err cerr = NHIR_ERR_INIT;
	struct xstep x;
	struct pick p;
	char why[400], *req = NULL;
	const char *cname;
	cJSON *answer = NULL, *d;
	const char *status = "failed", *detail = "";
	enum nhir_rc rc, crc;
	struct nhir_err own = NHIR_ERR_INIT;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	rc = nhir_authorize(st, actor, NHIR_PERM_WORK, incident, err);
	if (rc) {
		if (rc == NHIR_EDENIED)
			nhir_audit_denied(st, actor, "execute", incident, err->msg);
		return rc;
	}
	if (seq) {
		rc = nhir_step_get(st, incident, seq, take_step, &x, err);
	} else {
		memset(&p, 0, sizeof(p));
		p.x = &x;
		rc = nhir_plan_each(st, incident, next_cb, &p, err);
		if (!rc && !p.found)
			rc = nhir_err_set(err, NHIR_ENOTFOUND, "INC-%" PRId64
					  " has no step left to run", incident);
	}
	if (rc)
		return rc;
	res->step = x.seq;
	if (!strcmp(x.status, "done") || !strcmp(x.status, "skipped")) {
		snprintf(res->status, sizeof(res->status), "%s", x.status);
		snprintf(res->detail, sizeof(res->detail), "step %" PRId64
			 " is already %s: nothing to do", x.seq, x.status);
		return NHIR_OK;
	}
	rc = blocked(st, &x, why, sizeof(why), err);
	if (rc)
		return rc;
	if (why[0])
		return nhir_err_set(err, NHIR_ECONFLICT, "%s", why);
	if (!strcmp(x.phase, "verify") && x.target) {
		char detail2[400];

		if (!confirm) {
			snprintf(res->status, sizeof(res->status), "dry-run");
			snprintf(res->detail, sizeof(res->detail), "would probe "
				 "the target of step %" PRId64, x.seq);
			return NHIR_OK;
		}
		status = probe_target(st, incident, conn, x.target, detail2,
				      sizeof(detail2));
		snprintf(res->status, sizeof(res->status), "%s", status);
		snprintf(res->detail, sizeof(res->detail), "%s", detail2);
		rc = ir_begin(st, actor, NHIR_PERM_WORK, incident, "execute", err);
		if (!rc)
			rc = ir_exec(st, err, "UPDATE plan_step SET status = ?,"
				     " started = ?, finished = ?, result = ? WHERE"
				     " id = ?", "tiiti", status, nhir_time_now(),
				     nhir_time_now(), detail2, x.id);
		/* a token cut where it acts is verified without a revocation */
		if (!rc && !strcmp(status, "done"))
			rc = ir_exec(st, err, "INSERT INTO revocation(incident, node,"
				     " state, step, verified, detail) VALUES(?, ?,"
				     " 'verified', ?, ?, ?) ON CONFLICT(incident, node)"
				     " DO UPDATE SET state = 'verified', verified ="
				     " excluded.verified, detail = excluded.detail",
				     "iiiit", incident, x.target, x.id,
				     nhir_time_now(), detail2);
		d = cJSON_CreateObject();
		if (d) {
			cJSON_AddNumberToObject(d, "step", (double)x.seq);
			cJSON_AddStringToObject(d, "action", x.action);
			cJSON_AddStringToObject(d, "status", status);
			cJSON_AddStringToObject(d, "detail", detail2);
		}
		return ir_end(st, rc, actor, "execute", incident, d, err);
	}
	cname = nhir_connector_for(conn, x.action, false);
	if (!cname)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no connector is "
				    "configured for %s", x.action);
	req = request_json(st, incident, &x, !confirm);
	if (!req)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!confirm) {
		snprintf(res->status, sizeof(res->status), "dry-run");
		snprintf(res->detail, sizeof(res->detail), "would send to %s: %s",
			 cname, req);
		nhir_free(req);
		return NHIR_OK;
	}

	/* started: on the record before anything is sent */
	rc = ir_begin(st, actor, NHIR_PERM_WORK, incident, "execute", err);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET status = 'running',"
			     " started = ? WHERE id = ?", "ii", nhir_time_now(),
			     x.id);
	if (!rc && x.target && revokes(&x))
		rc = ir_exec(st, err, "INSERT INTO revocation(incident, node,"
			     " state, step, requested) VALUES(?, ?, 'requested',"
			     " ?, ?) ON CONFLICT(incident, node) DO UPDATE SET"
			     " state = CASE WHEN state = 'verified' THEN state"
			     " ELSE 'requested' END, step = excluded.step,"
			     " requested = excluded.requested", "iiii",
			     incident, x.target, x.id, nhir_time_now());
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)x.seq);
		cJSON_AddStringToObject(d, "action", x.action);
		cJSON_AddStringToObject(d, "connector", cname);
	}
	rc = ir_end(st, rc, actor, "execute.start", incident, d, err);
	if (rc) {
		nhir_free(req);
		return rc;
	}

	crc = nhir_connector_call(conn, x.action, false, req, &reply, &cerr);
	if (!crc) {
		nhir_buf_addch(&reply, 0);
		answer = cJSON_Parse(reply.buf ? reply.buf : "");
		reply.len = reply.len ? reply.len - 1 : 0;
		if (!cJSON_IsObject(answer) ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(answer,
								     "status")))
			nhir_err_set(&cerr, NHIR_EPARSE, "%s answered something "
				     "that is not {\"status\": ...}", cname);
		else if (!strcmp(cJSON_GetObjectItemCaseSensitive(answer,
								  "status")->valuestring,
				 "done"))
			status = "done";
		else
			nhir_err_set(&cerr, NHIR_EIO, "%s says: %s", cname,
				     cJSON_GetObjectItemCaseSensitive(answer,
								      "status")->valuestring);
		if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(answer,
								    "detail")))
			detail = cJSON_GetObjectItemCaseSensitive(answer,
								  "detail")->valuestring;
	}
	snprintf(res->status, sizeof(res->status), "%s", status);
	snprintf(res->detail, sizeof(res->detail), "%s", strcmp(status, "done")
			 ? cerr.msg : detail);
	res->evidence = keep_output(st, actor, incident, &x, cname, req, &reply,
				    strcmp(status, "done") ? cerr.msg : NULL);

	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = ir_exec(st, err, "UPDATE plan_step SET status = ?, finished"
			     " = ?, result = ?, evidence = ? WHERE id = ?",
			     "titzi", status, nhir_time_now(), res->detail,
			     res->evidence, x.id);
	if (!rc && !strcmp(status, "done") && x.target && revokes(&x))
		rc = ir_exec(st, err, "UPDATE revocation SET state = CASE WHEN"
			     " state = 'verified' THEN state ELSE 'confirmed'"
			     " END, confirmed = ?, detail = ? WHERE incident = ?"
			     " AND node = ?", "itii", nhir_time_now(), detail,
			     incident, x.target);
	/*
	 * A cut ends the sessions of its identity issued before now, or
	 * everything it can do; one that only stops new sessions leaves
	 * every access there is.
	 */
	if (!rc && !strcmp(status, "done") && x.target &&
	    (x.cuts == NHIR_CUT_ISSUED_BEFORE || x.cuts == NHIR_CUT_EVERYTHING))
		rc = ir_exec(st, err, "INSERT INTO cut(incident, node,"
			     " issued_before, step) VALUES(?, ?, ?, ?)"
			     " ON CONFLICT(incident, node) DO UPDATE SET"
			     " issued_before = max(issued_before,"
			     " excluded.issued_before)", "iiii",
			     incident, x.target,
			     x.cuts == NHIR_CUT_EVERYTHING ? NHIR_TIME_NEVER
							   : nhir_time_now(),
			     x.id);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "step", (double)x.seq);
		cJSON_AddStringToObject(d, "action", x.action);
		cJSON_AddStringToObject(d, "status", status);
		cJSON_AddStringToObject(d, "detail", res->detail);
		if (res->evidence)
			cJSON_AddNumberToObject(d, "evidence",
						(double)res->evidence);
	}
	rc = ir_end(st, rc, actor, "execute", incident, d, err);
	cJSON_Delete(answer);
	nhir_buf_release(&reply);
	nhir_free(req);
	return rc;
}

/* ---- revocation states and probes ---- */

enum nhir_rc nhir_revocation_each(struct nhir_store *st, int64_t incident,
				  nhir_revocation_cb cb, void *data,
				  struct nhir_err *err)
{
	struct nhir_sql *q;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT r.node, n.ext_id, r.state, r.detail,"
		      " coalesce(r.requested, 0), coalesce(r.confirmed, 0),"
		      " coalesce(r.verified, 0) FROM revocation r JOIN node n ON"
		      " n.id = r.node WHERE r.incident = ? ORDER BY n.ext_id",
		      "i", incident);
	if (rc)
		return rc;
	while ((r = nhir_sql_step(q, err)) == 1) {
		struct nhir_revocation v;

		v.node = nhir_sql_int(q, 0);
		v.ext_id = nhir_sql_text(q, 1);
		v.state = nhir_sql_text(q, 2);
		v.detail = nhir_sql_text(q, 3);
		v.requested = nhir_sql_int(q, 4);
		v.confirmed = nhir_sql_int(q, 5);
		v.verified = nhir_sql_int(q, 6);
		if (cb(&v, data)) {
			r = 0;
			break;
		}
	}
	nhir_sql_finish(q);
	return r < 0 ? NHIR_ESTORE : NHIR_OK;
}

struct pending {
	int64_t *node;
	size_t nr, alloc;
	bool oom;
};

static int pending_cb(const struct nhir_revocation *r, void *data)
{
	struct pending *p = data;

	if (strcmp(r->state, "confirmed"))
		return 0;
	if (NHIR_ALLOC_GROW(p->node, p->nr + 1, p->alloc)) {
		p->oom = true;
		return 1;
	}
	p->node[p->nr++] = r->node;
	return 0;
}

/* Calls that succeed whatever the permissions prove nothing. */
static bool proves_nothing(const char *call)
{
	char low[128];
	size_t i;

	for (i = 0; call[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)call[i]);
	low[i] = 0;
	return strstr(low, "getcalleridentity") != NULL;
}

enum nhir_rc nhir_verify(struct nhir_store *st, const char *actor,
			 int64_t incident, const struct nhir_connectors *conn,
			 struct nhir_verify_result *res, struct nhir_err *err)
{
	struct pending p = { NULL, 0, 0, false };
	struct nhir_err own = NHIR_ERR_INIT;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* a refusal's reason goes on the record */
	memset(res, 0, sizeof(*res));
	rc = nhir_authorize(st, actor, NHIR_PERM_WORK, incident, err);
	if (rc) {
		if (rc == NHIR_EDENIED)
			nhir_audit_denied(st, actor, "verify", incident, err->msg);
		return rc;
	}
	rc = nhir_revocation_each(st, incident, pending_cb, &p, err);
	if (!rc && p.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < p.nr; i++) {
		struct nhir_buf reply = NHIR_BUF_INIT(1 << 20);
		struct nhir_err perr = NHIR_ERR_INIT;
		struct nhir_node n;
		struct xstep x;
		const char *outcome, *call = "";
		char detail[400] = "", *req;
		cJSON *a = NULL, *d;
		enum nhir_rc prc;

		if (nhir_store_get_node(st, p.node[i], &n, err)) {
			rc = NHIR_ESTORE;
			break;
		}
		if (!nhir_connector_for(conn, n.subtype ? n.subtype : "", true)) {
			res->no_probe++;
			nhir_node_release(&n);
			continue;
		}
		memset(&x, 0, sizeof(x));
		x.target = p.node[i];
		snprintf(x.action, sizeof(x.action), "probe");
		req = request_json(st, incident, &x, false);
		prc = req ? nhir_connector_call(conn, n.subtype, true, req, &reply,
						&perr)
			  : nhir_err_set(&perr, NHIR_ENOMEM, "out of memory");
		nhir_free(req);
		if (!prc) {
			nhir_buf_addch(&reply, 0);
			a = cJSON_Parse(reply.buf);
			if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(a, "works")))
				prc = nhir_err_set(&perr, NHIR_EPARSE, "the probe "
						   "answered something that is "
						   "not {\"works\": ...}");
			if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "call")))
				call = cJSON_GetObjectItemCaseSensitive(a, "call")->valuestring;
		}
		res->probed++;
		if (prc) {
			outcome = "probe-failed";
			snprintf(detail, sizeof(detail), "%s", perr.msg);
		} else if (proves_nothing(call)) {
			outcome = "refused";
			res->refused++;
			snprintf(detail, sizeof(detail), "%s succeeds whatever the "
				 "permissions: it proves nothing", call);
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "works"))) {
			outcome = "still-works";
			res->still_working++;
			snprintf(detail, sizeof(detail), "%s still succeeds with "
				 "%s", call[0] ? call : "the probe", n.ext_id);
		} else {
			outcome = "verified";
			res->verified++;
			snprintf(detail, sizeof(detail), "%s is refused for %s",
				 call[0] ? call : "the probe's call", n.ext_id);
		}
		rc = ir_begin(st, actor, NHIR_PERM_WORK, incident, "verify", err);
		if (!rc && !strcmp(outcome, "verified")) {
			rc = ir_exec(st, err, "UPDATE revocation SET state ="
				     " 'verified', verified = ?, detail = ? WHERE"
				     " incident = ? AND node = ?", "itii",
				     nhir_time_now(), detail, incident, p.node[i]);
			if (!rc)
				rc = ir_exec(st, err, "UPDATE plan_step SET status"
					     " = 'done', finished = ?, result = ?"
					     " WHERE incident = ? AND target = ?"
					     " AND phase = 'verify' AND status !="
					     " 'done'", "itii", nhir_time_now(),
					     detail, incident, p.node[i]);
		} else if (!rc) {
			rc = ir_exec(st, err, "UPDATE revocation SET detail = ?"
				     " WHERE incident = ? AND node = ?", "tii",
				     detail, incident, p.node[i]);
		}
		d = cJSON_CreateObject();
		if (d) {
			cJSON_AddStringToObject(d, "node", n.ext_id);
			cJSON_AddStringToObject(d, "outcome", outcome);
			cJSON_AddStringToObject(d, "detail", detail);
		}
		rc = ir_end(st, rc, actor, "verify", incident, d, err);
		cJSON_Delete(a);
		nhir_buf_release(&reply);
		nhir_node_release(&n);
	}
	nhir_free(p.node);
	return rc;
}
