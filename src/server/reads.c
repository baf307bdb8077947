/*
 * The reads the command line has beyond the record: blast radius,
 * usage, timeline, a node, findings and their routing, the audit
 * chain's verification, residual access, users and the report.  Each
 * answers the document 'nhir CMD --format json' prints (nhir/doc.h),
 * from the same library calls; api_handle has already checked that the
 * principal may read (a refusal is audited), and the report's access is
 * on the audit log as the library keeps it.
 *
 * Query parameters are checked before anything is read: one the route
 * does not take, one given twice, or a value that is not what it should
 * be is 400 naming the parameter.  A reference nhir has never seen is
 * 404 with the library's words and the nearest known ids ("nearest").
 */
#include "compat.h"
#include <strings.h>
#include "nhir/doc.h"
#include "nhir/report.h"
#include "server/server-internal.h"

/* Refs a blast or timeline takes at most in one request. */
#define RD_REFS_MAX 64

/* A route's query parameters: name, and whether it may repeat. */
struct qarg {
	const char *name;
	bool many;
};

struct qscan {
	const struct qarg *a;
	size_t nr;
	unsigned count[8];
	char bad[64];		/* a parameter not taken, or given twice */
	bool twice;
};

static enum MHD_Result qscan_cb(void *cls, enum MHD_ValueKind kind,
				const char *key, const char *value)
{
	struct qscan *q = cls;

	(void)kind;
	(void)value;
	for (size_t i = 0; i < q->nr; i++)
		if (!strcmp(key, q->a[i].name)) {
			if (++q->count[i] > 1 && !q->a[i].many) {
				snprintf(q->bad, sizeof(q->bad), "%s", key);
				q->twice = true;
				return MHD_NO;
			}
			return MHD_YES;
		}
	snprintf(q->bad, sizeof(q->bad), "%.60s", key);
	return MHD_NO;
}

static enum MHD_Result bad_param(struct srv_req *r, const char *name,
				 const char *what)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "parameter '%.60s' %s", name, what);
	return srv_problem(r, 400, NHIR_EINVAL, "invalid", "Bad request",
			   detail);
}

/* Only the parameters a names, each once unless it may repeat. */
static bool query_ok(struct srv_req *r, const struct qarg *a, size_t nr,
		     enum MHD_Result *ok)
{
	struct qscan q;

	memset(&q, 0, sizeof(q));
	q.a = a;
	q.nr = nr < NHIR_ARRAY_SIZE(q.count) ? nr : NHIR_ARRAY_SIZE(q.count);
	MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, qscan_cb, &q);
	if (!q.bad[0])
		return true;
	*ok = bad_param(r, q.bad, q.twice ? "is given more than once"
					  : "is not one this route takes");
	return false;
}

static const char *qget(struct srv_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND,
					   name);
}

/* A time ("now" or ISO 8601) into *t when given; else *t unchanged. */
static bool q_time(struct srv_req *r, const char *name, int64_t *t,
		   enum MHD_Result *ok)
{
	const char *v = qget(r, name);

	if (!v)
		return true;
	if (!strcmp(v, "now")) {
		*t = nhir_time_now();
		return true;
	}
	if (*v && !nhir_time_parse(v, strlen(v), t, NULL))
		return true;
	*ok = bad_param(r, name, "is not a time (ISO 8601, e.g. "
			"2024-05-01T10:00:00Z, or now)");
	return false;
}

/* A whole number in [lo, hi] into *n when given. */
static bool q_uint(struct srv_req *r, const char *name, unsigned long lo,
		   unsigned long hi, unsigned long *n, enum MHD_Result *ok)
{
	const char *v = qget(r, name);
	char what[96];
	unsigned long x = 0;

	if (!v)
		return true;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || x > hi / 10) {
			x = hi + 1;
			break;
		}
		x = x * 10 + (unsigned long)(*p - '0');
	}
	if (*v && x >= lo && x <= hi) {
		*n = x;
		return true;
	}
	snprintf(what, sizeof(what), "is not a whole number from %lu to %lu",
		 lo, hi);
	*ok = bad_param(r, name, what);
	return false;
}

/* true or false into *b when given. */
static bool q_bool(struct srv_req *r, const char *name, bool *b,
		   enum MHD_Result *ok)
{
	const char *v = qget(r, name);

	if (!v)
		return true;
	if (!strcmp(v, "true") || !strcmp(v, "false")) {
		*b = !strcmp(v, "true");
		return true;
	}
	*ok = bad_param(r, name, "is not true or false");
	return false;
}

struct refs {
	const char *v[RD_REFS_MAX];
	size_t nr;
	bool over, empty;
};

static enum MHD_Result refs_cb(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct refs *f = cls;

	(void)kind;
	if (strcmp(key, "ref"))
		return MHD_YES;
	if (!value || !*value) {
		f->empty = true;
		return MHD_NO;
	}
	if (f->nr == RD_REFS_MAX) {
		f->over = true;
		return MHD_NO;
	}
	f->v[f->nr++] = value;
	return MHD_YES;
}

/* Every ref= of the query: one at least, max at most. */
static bool q_refs(struct srv_req *r, struct refs *f, size_t max,
		   enum MHD_Result *ok)
{
	char what[96];

	memset(f, 0, sizeof(*f));
	MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, refs_cb, f);
	if (f->empty) {
		*ok = bad_param(r, "ref", "is empty");
		return false;
	}
	if (!f->nr || f->over || f->nr > max) {
		if (max == 1)
			snprintf(what, sizeof(what), "is needed, once: a key "
				 "id, an identity (ARN, user name) or #ID");
		else
			snprintf(what, sizeof(what), "is needed, 1 to %zu "
				 "times: a key id, an identity (ARN, user "
				 "name) or #ID", max);
		*ok = bad_param(r, "ref", what);
		return false;
	}
	return true;
}

/*
 * ref did not resolve (err): 404 with the library's words and the
 * nearest known ids when nhir never saw it; else the failure.
 */
static enum MHD_Result unknown_ref(struct srv_req *r, const char *ref,
				   const struct nhir_err *err)
{
	char near[5][NHIR_SUGGEST_LEN];
	struct nhir_err why = NHIR_ERR_INIT;
	size_t nr = 0;
	bool events_only = false;
	cJSON *ext, *arr;

	if (err->rc != NHIR_ENOTFOUND)
		return srv_fail(r, err);
	if (nhir_ref_unknown(r->st, ref, near, NHIR_ARRAY_SIZE(near), &nr,
			     &events_only, &why) != NHIR_ENOTFOUND)
		return srv_fail(r, &why);
	ext = cJSON_CreateObject();
	arr = ext ? cJSON_AddArrayToObject(ext, "nearest") : NULL;
	if (ext && !cJSON_AddStringToObject(ext, "ref", ref))
		arr = NULL;
	for (size_t i = 0; arr && i < nr; i++)
		if (!cJSON_AddItemToArray(arr, cJSON_CreateString(near[i])))
			arr = NULL;
	if (ext && !arr) {
		cJSON_Delete(ext);
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	}
	return srv_problem_ext(r, 404, NHIR_ENOTFOUND, events_only
			       ? "events-only" : "unknown-ref",
			       events_only ? "Known only from events"
					   : "Unknown credential",
			       why.msg, ext);
}

/* The longest key a blast's answer is kept under; longer: not kept. */
#define RD_BLAST_KEY_MAX 4096

/*
 * What makes a blast's answer besides the graph and the time: its refs
 * in order, exposure time, depth and limit, into buf as k's key; false
 * when they do not fit (the answer is then built, not kept).
 */
static bool blast_key(struct srv_cache_key *k, const struct refs *f,
		      const struct nhir_blast_opts *o, unsigned long limit,
		      char *buf, size_t size)
{
	size_t n;
	int w;

	w = snprintf(buf, size, "blast %" PRId64 " %" PRIu32 " %lu", o->exposed_at,
		     o->max_depth, limit);
	if (w < 0 || (size_t)w >= size)
		return false;
	n = (size_t)w;
	for (size_t i = 0; i < f->nr; i++) {
		size_t len = strlen(f->v[i]);

		/* each ref after a NUL, which no ref holds */
		if (n + 1 + len >= size)
			return false;
		buf[n++] = '\0';
		memcpy(buf + n, f->v[i], len);
		n += len;
	}
	k->key = buf;
	k->len = n;
	return true;
}

/* GET /api/v1/blast?ref=R...&at=&exposed_at=&depth=&limit= */
enum MHD_Result rd_blast(struct srv_req *r)
{
	static const struct qarg qa[] = {
		{ "ref", true }, { "at", false }, { "exposed_at", false },
		{ "depth", false }, { "limit", false },
	};
	struct nhir_blast_opts o = { 0, NHIR_TIME_UNSET, 0 };
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_view *bv = NULL;
	struct srv_graph *gh = NULL;
	const struct nhir_graph *g;
	struct nhir_err err = NHIR_ERR_INIT;
	uint32_t seeds[RD_REFS_MAX];
	unsigned long depth = 0, limit = 100;
	struct srv_cache_key k;
	char key[RD_BLAST_KEY_MAX];
	struct refs f;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	memset(&k, 0, sizeof(k));
	o.at = nhir_time_now();
	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_refs(r, &f, RD_REFS_MAX, &ok) || !q_time(r, "at", &o.at, &ok) ||
	    !q_time(r, "exposed_at", &o.exposed_at, &ok) ||
	    !q_uint(r, "depth", 1, 1u << 20, &depth, &ok) ||
	    !q_uint(r, "limit", 0, SIZE_MAX / 2, &limit, &ok))
		return ok;
	o.max_depth = (uint32_t)depth;
	/*
	 * The answer is the graph's at o.at: kept under the graph's tag
	 * (read first, in the request's snapshot) and the second it is for.
	 */
	if (nhir_store_graph_tag(r->st, k.ver, &err))
		return srv_fail(r, &err);
	k.ver[4] = (uint64_t)o.at;
	if (blast_key(&k, &f, &o, limit, key, sizeof(key)) &&
	    srv_cache_reply(srv_cache(r->srv), r, &k, &ok))
		return ok;
	if (srv_graph_get(srv_graphs(r->srv), r->st, k.ver, &gh, &err))
		return srv_fail(r, &err);
	g = srv_graph_of(gh);
	for (size_t i = 0; i < f.nr; i++) {
		int64_t id;

		if (nhir_store_resolve(r->st, f.v[i], &id, &err)) {
			ok = unknown_ref(r, f.v[i], &err);
			goto out;
		}
		seeds[i] = nhir_graph_find(g, id);
		if (seeds[i] == UINT32_MAX) {
			nhir_err_set(&err, NHIR_ENOTFOUND, "node '%s' is not "
				     "in the graph", f.v[i]);
			ok = srv_fail(r, &err);
			goto out;
		}
	}
	if (nhir_blast_run(g, seeds, f.nr, &o, &b, &err) ||
	    nhir_blast_view_new(r->st, g, &b, o.at, &bv, &err) ||
	    nhir_doc_blast(bv, &o, limit, &doc, &err))
		ok = srv_fail(r, &err);
	else if (!k.len)
		ok = srv_respond_doc(r, 200, doc);
	else {
		char *text = cJSON_PrintUnformatted(doc);

		cJSON_Delete(doc);
		ok = text ? srv_cache_put(srv_cache(r->srv), r, &k, text,
					  strlen(text))
			  : srv_problem(r, 500, NHIR_ENOMEM, "internal",
					"Internal error", "out of memory");
		cJSON_free(text);
	}
out:
	nhir_blast_view_free(bv);
	nhir_blast_release(&b);
	srv_graph_put(srv_graphs(r->srv), gh);
	return ok;
}

/* GET /api/v1/usage?ref=R&since=&until=&exposed_at=&all= */
enum MHD_Result rd_usage(struct srv_req *r)
{
	static const struct qarg qa[] = {
		{ "ref", false }, { "since", false }, { "until", false },
		{ "exposed_at", false }, { "all", false },
	};
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ref_keys ref;
	struct refs f;
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_refs(r, &f, 1, &ok) || !q_time(r, "since", &o.since, &ok) ||
	    !q_time(r, "until", &o.until, &ok) ||
	    !q_time(r, "exposed_at", &o.exposed_at, &ok) ||
	    !q_bool(r, "all", &o.all, &ok))
		return ok;
	if (nhir_usage_ref(r->st, f.v[0], &ref, &err))
		return unknown_ref(r, f.v[0], &err);
	rc = nhir_doc_usage(r->st, &ref, &o, &doc, &err);
	nhir_ref_keys_release(&ref);
	return rc ? srv_fail(r, &err) : srv_respond_doc(r, 200, doc);
}

/*
 * GET /api/v1/timeline?ref=R...&since=&until=: the events of each
 * credential (or those acting as an identity) and what they minted.
 */
enum MHD_Result rd_timeline(struct srv_req *r)
{
	static const struct qarg qa[] = {
		{ "ref", true }, { "since", false }, { "until", false },
	};
	struct nhir_event_query q;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ref_keys ref;
	char **roots = NULL, **keys = NULL;
	size_t root_nr = 0, root_alloc = 0, nr = 0;
	struct refs f;
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc = NULL;

	memset(&q, 0, sizeof(q));
	q.since = q.until = NHIR_TIME_UNSET;
	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_refs(r, &f, RD_REFS_MAX, &ok) ||
	    !q_time(r, "since", &q.since, &ok) ||
	    !q_time(r, "until", &q.until, &ok))
		return ok;
	for (size_t i = 0; i < f.nr; i++) {
		if (nhir_usage_ref(r->st, f.v[i], &ref, &err)) {
			nhir_keys_free(roots, root_nr);
			return unknown_ref(r, f.v[i], &err);
		}
		for (size_t k = 0; k < ref.nr; k++) {
			if (NHIR_ALLOC_GROW(roots, root_nr + 1, root_alloc)) {
				nhir_ref_keys_release(&ref);
				nhir_keys_free(roots, root_nr);
				return srv_problem(r, 500, NHIR_ENOMEM,
						   "internal", "Internal error",
						   "out of memory");
			}
			roots[root_nr++] = ref.keys[k];
			ref.keys[k] = NULL;
		}
		nhir_ref_keys_release(&ref);
	}
	rc = nhir_lineage_keys(r->st, (const char *const *)roots, root_nr,
			       &keys, &nr, &err);
	nhir_keys_free(roots, root_nr);
	if (rc)
		return srv_fail(r, &err);
	q.keys = (const char *const *)keys;
	q.key_nr = nr;
	rc = nhir_doc_timeline(r->st, &q, &doc, &err);
	nhir_keys_free(keys, nr);
	return rc ? srv_fail(r, &err) : srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/node?ref=R: one node with its edges (nhir show). */
enum MHD_Result rd_node(struct srv_req *r)
{
	static const struct qarg qa[] = { { "ref", false } };
	struct nhir_err err = NHIR_ERR_INIT;
	struct refs f;
	enum MHD_Result ok;
	int64_t id;
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_refs(r, &f, 1, &ok))
		return ok;
	if (nhir_store_resolve(r->st, f.v[0], &id, &err))
		return unknown_ref(r, f.v[0], &err);
	if (nhir_doc_node(r->st, id, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/findings?all= and /api/v1/triage?all=: the same document. */
enum MHD_Result rd_findings(struct srv_req *r)
{
	static const struct qarg qa[] = { { "all", false } };
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	bool all = false;
	size_t dedicated = 0;
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_bool(r, "all", &all, &ok))
		return ok;
	if (nhir_doc_findings(r->st, all, &dedicated, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/findings/{n}: one finding and its sightings. */
enum MHD_Result rd_finding(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_doc_finding(r->st, r->num, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/findings/{n}/route: how the server's policy routes it. */
enum MHD_Result rd_route_explain(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_route_policy *pol = NULL;
	const char *path = srv_opts(r->srv)->policy;
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (!path)
		return srv_problem(r, 409, NHIR_ECONFLICT, "conflict",
				   "Conflict", "this server has no routing "
				   "policy (nhir serve --policy FILE)");
	if (nhir_route_load(path, &pol, &err))
		return srv_fail(r, &err);
	rc = nhir_doc_route_explain(r->st, pol, r->num, &doc, &err);
	nhir_route_free(pol);
	return rc ? srv_fail(r, &err) : srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/audit/verify: the chain checked, end to end. */
enum MHD_Result rd_audit_verify(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_audit_check chk;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_audit_verify(r->st, &chk, &err) ||
	    nhir_doc_audit_verify(&chk, NULL, 0, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/incidents/{id}/contain?at=: residual access. */
enum MHD_Result rd_contain(struct srv_req *r)
{
	static const struct qarg qa[] = { { "at", false } };
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;
	struct nhir_residual res;
	enum MHD_Result ok;
	enum nhir_rc rc;
	int64_t at = nhir_time_now();
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_time(r, "at", &at, &ok))
		return ok;
	if (nhir_incident_get(r->st, r->incident, &i, &err) ||
	    nhir_residual(r->st, r->incident, at, &res, &err))
		return srv_fail(r, &err);
	rc = nhir_doc_residual(r->incident, at, &res, &doc, &err);
	nhir_residual_release(&res);
	return rc ? srv_fail(r, &err) : srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/users: every user with role and state. */
enum MHD_Result rd_users(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_doc_users(r->st, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

enum { REP_JSON, REP_MD, REP_HTML };

/* ?format= first, else what Accept asks for first; JSON otherwise. */
static int report_format(struct srv_req *r, const char *f)
{
	const char *a;

	if (f)
		return !strcmp(f, "json") ? REP_JSON
		     : !strcmp(f, "md") || !strcmp(f, "markdown") ? REP_MD
		     : !strcmp(f, "html") ? REP_HTML : -1;
	a = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_ACCEPT);
	for (; a && *a; a += strspn(a, ", ")) {
		size_t n = strcspn(a, ",;");

		if (n == 16 && !strncasecmp(a, "application/json", n))
			return REP_JSON;
		if (n == 13 && !strncasecmp(a, "text/markdown", n))
			return REP_MD;
		if (n == 9 && !strncasecmp(a, "text/html", n))
			return REP_HTML;
		a += strcspn(a, ",");
	}
	return REP_JSON;
}

/*
 * GET /api/v1/incidents/{id}/report?format=json|md|html&at=: the
 * after-action report as 'nhir report' prints it.
 */
enum MHD_Result rd_report(struct srv_req *r)
{
	static const struct qarg qa[] = { { "format", false }, { "at", false } };
	static const char *const types[] = {
		"application/json", "text/markdown; charset=utf-8",
		"text/html; charset=utf-8",
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf b = NHIR_BUF_INIT(256 << 20);
	int64_t at = nhir_time_now();
	enum MHD_Result ok;
	cJSON *rep = NULL;
	int fmt;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_time(r, "at", &at, &ok))
		return ok;
	fmt = report_format(r, qget(r, "format"));
	if (fmt < 0)
		return bad_param(r, "format", "is not json, md or html");
	if (nhir_report_build(srv_lib(r), r->incident, at, &rep, &err))
		return srv_fail(r, &err);
	if (fmt == REP_JSON) {
		char *s = cJSON_Print(rep);

		nhir_buf_adds(&b, s ? s : "");
		nhir_buf_adds(&b, "\n");
		if (!s)
			b.err = NHIR_ENOMEM;
		cJSON_free(s);
	} else if (fmt == REP_HTML) {
		nhir_report_html(rep, &b);
	} else {
		nhir_report_markdown(rep, &b);
	}
	cJSON_Delete(rep);
	if (b.err)
		ok = srv_problem(r, 500, NHIR_ENOMEM, "internal",
				 "Internal error", "out of memory");
	else
		ok = srv_respond(r, 200, types[fmt], b.buf, b.len);
	nhir_buf_release(&b);
	return ok;
}

/*
 * GET /api/v1/metrics?since=&days=: how fast the responses went, as
 * 'nhir metrics --format json' prints it.
 */
enum MHD_Result rd_metrics(struct srv_req *r)
{
	static const struct qarg qa[] = { { "since", false }, { "days", false } };
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t since = NHIR_TIME_UNSET;
	unsigned long days = 7;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_time(r, "since", &since, &ok) ||
	    !q_uint(r, "days", 0, 36500, &days, &ok))
		return ok;
	if (nhir_metrics(srv_lib(r), since, (int64_t)days, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/*
 * GET /api/v1/incidents/{id}/{scope,tasks,evidence}: what 'nhir
 * incident scope', 'nhir task' and 'nhir evidence list' print with
 * --format json.
 */
enum MHD_Result rd_scope(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_doc_scope(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

enum MHD_Result rd_tasks(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_incident_get(r->st, r->incident, &i, &err) ||
	    nhir_doc_tasks(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

enum MHD_Result rd_evidence(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, NULL, 0, &ok))
		return ok;
	if (nhir_incident_get(r->st, r->incident, &i, &err) ||
	    nhir_doc_evidence(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}

/* GET /api/v1/webhooks/deliveries[?hook=NAME][&limit=N]: to admins. */
enum MHD_Result rd_webhook_deliveries(struct srv_req *r)
{
	static const struct qarg qa[] = { { "hook", false }, { "limit", false } };
	struct nhir_err err = NHIR_ERR_INIT;
	unsigned long limit = 100;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!query_ok(r, qa, NHIR_ARRAY_SIZE(qa), &ok) ||
	    !q_uint(r, "limit", 1, 1000, &limit, &ok))
		return ok;
	if (nhir_doc_webhook_deliveries(srv_lib(r), qget(r, "hook"),
					(size_t)limit, &doc, &err))
		return srv_fail(r, &err);
	return srv_respond_doc(r, 200, doc);
}
