/*
 * Scanner reports: gitleaks JSON, SARIF 2.1.0, trufflehog v3 JSON lines,
 * GitHub secret scanning alerts, and the generic alert format
 * (doc/formats/findings.md).  Each entry becomes a struct nhir_sighting;
 * a bad entry is skipped and located by line and column.
 */
#include "compat.h"
#include <ctype.h>
#include "nhir/finding.h"
#include "ingest/json.h"

void nhir_scanner_problem(struct nhir_scanner_stats *st, const char *data,
			  size_t len, size_t off, const char *fmt, ...)
{
	struct nhir_scanner_problem *p;
	unsigned line = 1;
	size_t bol = 0;
	va_list ap;

	st->bad++;
	if (st->problem_nr >= NHIR_SCANNER_PROBLEMS_MAX)
		return;
	p = &st->problems[st->problem_nr++];
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++)
		if (data[i] == '\n') {
			line++;
			bol = i + 1;
		}
	p->off = off;
	p->line = line;
	p->col = (unsigned)(off - bol + 1);
	va_start(ap, fmt);
	vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
	va_end(ap);
}

/* Sets err to a parse error at off, with line and column. */
static enum nhir_rc parse_error(const char *data, size_t len, size_t off,
				struct nhir_err *err, const char *what)
{
	struct nhir_scanner_stats tmp;

	memset(&tmp, 0, sizeof(tmp));
	nhir_scanner_problem(&tmp, data, len, off, "%s", what);
	return nhir_err_set(err, NHIR_EPARSE, "line %u, column %u: %s",
			    tmp.problems[0].line, tmp.problems[0].col, what);
}

/* ---- walking the entries of a report ---- */

/* Called with each entry: its parsed value and its byte offset. */
typedef int (*entry_fn)(struct nhir_scanner_stats *st, const char *data,
			size_t len, const cJSON *v, size_t off, bool first,
			nhir_sighting_cb cb, void *cbdata,
			struct nhir_err *err);

struct walk {
	const char *data;
	size_t len;
	entry_fn fn;
	nhir_sighting_cb cb;
	void *cbdata;
	struct nhir_scanner_stats *st;
	struct nhir_err *err;
	enum nhir_rc rc;
	bool first;
};

/* One value: parse and hand over; -1 stops the walk. */
static int one(struct walk *w, size_t off, size_t len)
{
	size_t bad = 0;
	cJSON *v = nhir_json_parse(w->data + off, len, &bad, NULL);
	int r;

	if (!v) {
		nhir_scanner_problem(w->st, w->data, w->len, off + bad, "%s",
				     nhir_json_why(w->data + off, len, bad));
		w->first = false;
		return 0;
	}
	r = w->fn(w->st, w->data, w->len, v, off, w->first, w->cb, w->cbdata,
		  w->err);
	cJSON_Delete(v);
	w->first = false;
	if (r < 0) {
		w->rc = w->err && w->err->rc ? w->err->rc : NHIR_EPARSE;
		return 1;
	}
	return r;
}

static int element_cb(void *ctx, const struct nhir_json_span *sp)
{
	return one(ctx, sp->off, sp->len);
}

static int top_cb(void *ctx, const struct nhir_json_span *sp)
{
	struct walk *w = ctx;
	size_t bad = 0;

	if (w->data[sp->off] == '[') {
		if (nhir_json_children(w->data, w->len, sp->off, element_cb, w,
				       &bad, w->err)) {
			w->rc = parse_error(w->data, w->len, bad, w->err,
					    "malformed JSON");
			return 1;
		}
		return w->rc != NHIR_OK;
	}
	return one(w, sp->off, sp->len);
}

/* JSON Lines with a bad line: each line alone. */
static void by_lines(struct walk *w)
{
	size_t i = 0;

	while (i < w->len && !w->rc) {
		const char *nl = memchr(w->data + i, '\n', w->len - i);
		size_t e = nl ? (size_t)(nl - w->data) : w->len;
		size_t s = i;

		while (s < e && isspace((unsigned char)w->data[s]))
			s++;
		if (s < e && one(w, s, e - s))
			break;
		i = e + 1;
	}
}

static int nothing_cb(void *ctx, const struct nhir_json_span *sp)
{
	(void)ctx;
	(void)sp;
	return 0;
}

/*
 * Every entry of data: a document, a JSON array of entries, or
 * JSON Lines.  A malformed line of JSON Lines is skipped and located;
 * any other malformed JSON rejects the report before anything is used.
 */
static enum nhir_rc walk_entries(const char *data, size_t len, entry_fn fn,
				 nhir_sighting_cb cb, void *cbdata,
				 struct nhir_scanner_stats *st,
				 struct nhir_err *err)
{
	struct walk w = { data, len, fn, cb, cbdata, st, err, NHIR_OK, true };
	size_t bad = 0, start = 0, first_end = 0, bad2;

	if (!nhir_json_values(data, len, nothing_cb, NULL, &bad, NULL)) {
		if (nhir_json_values(data, len, top_cb, &w, &bad, err))
			return parse_error(data, len, bad, err,
					   "malformed JSON");
		return w.rc;
	}
	while (start < len && isspace((unsigned char)data[start]))
		start++;
	/* JSON Lines whose first line is whole: a bad line is one entry */
	if (start < len && data[start] == '{' &&
	    nhir_json_value_end(data, len, start, &first_end, &bad2, NULL) ==
		    NHIR_JSON_COMPLETE &&
	    memchr(data + first_end, '\n', len - first_end) &&
	    bad > first_end) {
		by_lines(&w);
		return w.rc;
	}
	return parse_error(data, len, bad, err, "malformed JSON");
}

/* ---- field helpers ---- */

static const char *str(const cJSON *o, const char *k)
{
	const char *s = nhir_json_str(o, k);

	return s && *s ? s : NULL;
}

static int64_t num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e12)
		return (int64_t)v->valuedouble;
	if (cJSON_IsString(v) && isdigit((unsigned char)v->valuestring[0]))
		return strtoll(v->valuestring, NULL, 10);
	return 0;
}

static int64_t when(const char *s)
{
	int64_t t;

	if (s && !nhir_time_parse(s, (size_t)-1, &t, NULL))
		return t;
	return NHIR_TIME_UNSET;
}

static void init_sighting(struct nhir_sighting *s, size_t off)
{
	memset(s, 0, sizeof(*s));
	s->time = NHIR_TIME_UNSET;
	s->verified = -1;
	s->off = off;
}

/* Hands s over, or records why it cannot be used. */
static int emit(struct nhir_scanner_stats *st, const char *data, size_t len,
		struct nhir_sighting *s, nhir_sighting_cb cb, void *cbdata)
{
	if (!s->secret || !s->secret_len) {
		nhir_scanner_problem(st, data, len, s->off,
				     "finding has no secret to fingerprint");
		return 0;
	}
	if (!s->file && !s->repo) {
		nhir_scanner_problem(st, data, len, s->off,
				     "finding has no location (file or "
				     "repository)");
		return 0;
	}
	st->entries++;
	return cb(s, cbdata) ? -1 : 0;
}

static int not_format(const char *data, size_t len, size_t off,
		      struct nhir_err *err, const char *what)
{
	parse_error(data, len, off, err, what);
	return -1;
}

/* ---- gitleaks ---- */

static int gitleaks_entry(struct nhir_scanner_stats *st, const char *data,
			  size_t len, const cJSON *v, size_t off, bool first,
			  nhir_sighting_cb cb, void *cbdata,
			  struct nhir_err *err)
{
	struct nhir_sighting s;
	char fp[600];
	const char *secret;

	if (!cJSON_IsObject(v) || !cJSON_GetObjectItemCaseSensitive(v, "RuleID")) {
		if (first)
			return not_format(data, len, off, err,
					  "not a gitleaks report (no RuleID)");
		nhir_scanner_problem(st, data, len, off,
				     "gitleaks finding without RuleID");
		return 0;
	}
	init_sighting(&s, off);
	s.detector = str(v, "RuleID");
	secret = str(v, "Secret");
	if (secret && strcmp(secret, "REDACTED")) {
		s.secret = secret;
		s.secret_len = strlen(secret);
	} else if (str(v, "Fingerprint")) {
		/* --redact: the report's own fingerprint is the identity */
		snprintf(fp, sizeof(fp), "gitleaks:%s", str(v, "Fingerprint"));
		s.secret = fp;
		s.secret_len = strlen(fp);
		s.preview = "(redacted in the report)";
	}
	s.file = str(v, "File");
	s.line = num(v, "StartLine");
	s.commit = str(v, "Commit");
	s.author = str(v, "Author");
	s.link = str(v, "Link");
	s.time = when(str(v, "Date"));
	if (!s.file) {
		nhir_scanner_problem(st, data, len, off,
				     "finding has no location (File)");
		return 0;
	}
	return emit(st, data, len, &s, cb, cbdata);
}

static enum nhir_rc gitleaks_parse(const char *data, size_t len,
				   nhir_sighting_cb cb, void *cbdata,
				   struct nhir_scanner_stats *st,
				   struct nhir_err *err)
{
	size_t i = 0;

	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i < len && data[i] != '[')
		return parse_error(data, len, i, err, "not a gitleaks report "
				   "(a JSON array of findings)");
	return walk_entries(data, len, gitleaks_entry, cb, cbdata, st, err);
}

/* ---- SARIF ---- */

struct find_key {
	const char *key;
	size_t off, len;
	bool found;
};

static int find_key_cb(void *ctx, const struct nhir_json_span *sp)
{
	struct find_key *f = ctx;

	if (sp->key && sp->key_len == strlen(f->key) &&
	    !memcmp(sp->key, f->key, sp->key_len)) {
		f->off = sp->off;
		f->len = sp->len;
		f->found = true;
		return 1;
	}
	return 0;
}

struct sarif {
	const char *data;
	size_t len;
	const char *tool, *repo;
	nhir_sighting_cb cb;
	void *cbdata;
	struct nhir_scanner_stats *st;
	struct nhir_err *err;
	int stop;
};

static const cJSON *path_obj(const cJSON *o, const char *a, const char *b)
{
	o = nhir_json_obj(o, a);
	return b ? nhir_json_obj(o, b) : o;
}

static int sarif_result_cb(void *ctx, const struct nhir_json_span *sp)
{
	struct sarif *x = ctx;
	struct nhir_sighting s;
	const cJSON *r, *loc, *phys, *region, *pf;
	const cJSON *locs;
	size_t bad;

	r = nhir_json_parse(x->data + sp->off, sp->len, &bad, NULL);
	if (!r)
		return 0;	/* the document parsed: cannot happen */
	init_sighting(&s, sp->off);
	locs = nhir_json_arr(r, "locations");
	loc = locs ? locs->child : NULL;
	phys = nhir_json_obj(loc, "physicalLocation");
	region = nhir_json_obj(phys, "region");
	pf = nhir_json_obj(r, "partialFingerprints");
	s.detector = str(r, "ruleId");
	if (!s.detector)
		s.detector = x->tool;
	s.file = str(path_obj(phys, "artifactLocation", NULL), "uri");
	s.line = num(region, "startLine");
	s.secret = str(path_obj(region, "snippet", NULL), "text");
	s.secret_len = s.secret ? strlen(s.secret) : 0;
	s.commit = str(pf, "commitSha");
	s.author = str(pf, "author");
	s.time = when(str(pf, "date"));
	s.repo = x->repo;
	if (!s.file) {
		nhir_scanner_problem(x->st, x->data, x->len, sp->off,
				     "SARIF result has no location "
				     "(physicalLocation.artifactLocation.uri)");
	} else if (!s.secret) {
		nhir_scanner_problem(x->st, x->data, x->len, sp->off,
				     "SARIF result has no region snippet to "
				     "fingerprint");
	} else if (emit(x->st, x->data, x->len, &s, x->cb, x->cbdata) < 0) {
		x->stop = 1;
	}
	cJSON_Delete((cJSON *)r);
	return x->stop;
}

static int sarif_run_cb(void *ctx, const struct nhir_json_span *sp)
{
	struct sarif *x = ctx;
	struct find_key f = { "results", 0, 0, false };
	const cJSON *vcp;
	cJSON *run;
	size_t bad;

	nhir_json_children(x->data, x->len, sp->off, find_key_cb, &f, &bad,
			   NULL);
	if (!f.found || x->data[f.off] != '[')
		return 0;
	run = nhir_json_parse(x->data + sp->off, sp->len, &bad, NULL);
	x->tool = str(path_obj(nhir_json_obj(run, "tool"), "driver", NULL),
		      "name");
	vcp = nhir_json_arr(run, "versionControlProvenance");
	x->repo = vcp && vcp->child ? str(vcp->child, "repositoryUri") : NULL;
	nhir_json_children(x->data, x->len, f.off, sarif_result_cb, x, &bad,
			   NULL);
	cJSON_Delete(run);
	x->tool = x->repo = NULL;
	return x->stop;
}

static enum nhir_rc sarif_parse(const char *data, size_t len,
				nhir_sighting_cb cb, void *cbdata,
				struct nhir_scanner_stats *st,
				struct nhir_err *err)
{
	struct sarif x = { data, len, NULL, NULL, cb, cbdata, st, err, 0 };
	struct find_key f = { "runs", 0, 0, false };
	size_t bad = 0, start = 0, end;
	cJSON *doc;

	/* the whole document must be JSON, and SARIF */
	doc = nhir_json_parse(data, len, &bad, NULL);
	if (!doc)
		return parse_error(data, len, bad, err,
				   nhir_json_why(data, len, bad));
	if (!cJSON_IsObject(doc) || !nhir_json_arr(doc, "runs") ||
	    !str(doc, "version")) {
		cJSON_Delete(doc);
		return parse_error(data, len, 0, err, "not a SARIF log "
				   "(an object with version and runs)");
	}
	cJSON_Delete(doc);
	while (start < len && isspace((unsigned char)data[start]))
		start++;
	if (nhir_json_value_end(data, len, start, &end, &bad, NULL) !=
	    NHIR_JSON_COMPLETE)
		return parse_error(data, len, bad, err, "malformed JSON");
	nhir_json_children(data, len, start, find_key_cb, &f, &bad, NULL);
	nhir_json_children(data, len, f.off, sarif_run_cb, &x, &bad, NULL);
	return x.stop ? (err && err->rc ? err->rc : NHIR_EPARSE) : NHIR_OK;
}

/* ---- trufflehog ---- */

static int trufflehog_entry(struct nhir_scanner_stats *st, const char *data,
			    size_t len, const cJSON *v, size_t off, bool first,
			    nhir_sighting_cb cb, void *cbdata,
			    struct nhir_err *err)
{
	struct nhir_sighting s;
	const cJSON *md, *src, *ver;
	const char *raw;

	if (!cJSON_IsObject(v) || !str(v, "DetectorName") ||
	    !nhir_json_obj(v, "SourceMetadata")) {
		if (first)
			return not_format(data, len, off, err, "not a trufflehog "
					  "report (no DetectorName and "
					  "SourceMetadata)");
		nhir_scanner_problem(st, data, len, off, "trufflehog result "
				     "without DetectorName or SourceMetadata");
		return 0;
	}
	init_sighting(&s, off);
	s.detector = str(v, "DetectorName");
	raw = str(v, "RawV2");
	if (!raw)
		raw = str(v, "Raw");
	s.secret = raw;
	s.secret_len = raw ? strlen(raw) : 0;
	/* trufflehog's "unverified" is not "inactive": only true counts */
	ver = cJSON_GetObjectItemCaseSensitive(v, "Verified");
	s.verified = cJSON_IsTrue(ver) ? 1 : -1;
	/* Data holds one object named after the source: Git, Filesystem, ... */
	md = nhir_json_obj(nhir_json_obj(v, "SourceMetadata"), "Data");
	src = md && cJSON_IsObject(md->child) ? md->child : NULL;
	s.repo = str(src, "repository");
	s.commit = str(src, "commit");
	s.file = str(src, "file");
	if (!s.file)
		s.file = str(src, "path");
	s.link = str(src, "link");
	s.author = str(src, "email");
	s.line = num(src, "line");
	s.time = when(str(src, "timestamp"));
	return emit(st, data, len, &s, cb, cbdata);
}

static enum nhir_rc trufflehog_parse(const char *data, size_t len,
				     nhir_sighting_cb cb, void *cbdata,
				     struct nhir_scanner_stats *st,
				     struct nhir_err *err)
{
	return walk_entries(data, len, trufflehog_entry, cb, cbdata, st, err);
}

/* ---- GitHub secret scanning ---- */

static int github_entry(struct nhir_scanner_stats *st, const char *data,
			size_t len, const cJSON *v, size_t off, bool first,
			nhir_sighting_cb cb, void *cbdata,
			struct nhir_err *err)
{
	struct nhir_sighting s;
	const cJSON *alert = nhir_json_obj(v, "alert"), *repo, *loc;
	const char *validity;
	char id[600], pv[64];

	if (!alert && cJSON_IsObject(v) && str(v, "secret_type"))
		alert = v;	/* an alert of the REST API */
	if (!alert || !str(alert, "secret_type")) {
		if (first)
			return not_format(data, len, off, err, "not a GitHub "
					  "secret scanning alert (no "
					  "alert.secret_type)");
		nhir_scanner_problem(st, data, len, off, "GitHub alert without "
				     "secret_type");
		return 0;
	}
	init_sighting(&s, off);
	repo = nhir_json_obj(v, "repository");
	if (!repo)
		repo = nhir_json_obj(alert, "repository");
	s.repo = str(repo, "full_name");
	s.detector = str(alert, "secret_type");
	s.link = str(alert, "html_url");
	s.time = when(str(alert, "created_at"));
	validity = str(alert, "validity");
	if (validity)
		s.verified = !strcmp(validity, "active") ? 1
			   : !strcmp(validity, "inactive") ? 0 : -1;
	/* where: a location event, or the first location of the alert */
	loc = nhir_json_obj(nhir_json_obj(v, "location"), "details");
	if (!loc)
		loc = nhir_json_obj(alert, "first_location_detected");
	s.file = str(loc, "path");
	s.line = num(loc, "start_line");
	s.commit = str(loc, "commit_sha");
	if (str(alert, "secret")) {
		s.secret = str(alert, "secret");
		s.secret_len = strlen(s.secret);
	} else if (s.repo && num(alert, "number")) {
		/* webhooks do not carry the secret: the alert is the identity */
		snprintf(id, sizeof(id), "github-alert:%s#%" PRId64, s.repo,
			 num(alert, "number"));
		s.secret = id;
		s.secret_len = strlen(id);
		/* named so: the github connector reads the secret from it */
		s.credential = id;
		snprintf(pv, sizeof(pv), "(alert #%" PRId64 ", secret withheld)",
			 num(alert, "number"));
		s.preview = pv;
	}
	return emit(st, data, len, &s, cb, cbdata);
}

static enum nhir_rc github_parse(const char *data, size_t len,
				 nhir_sighting_cb cb, void *cbdata,
				 struct nhir_scanner_stats *st,
				 struct nhir_err *err)
{
	return walk_entries(data, len, github_entry, cb, cbdata, st, err);
}

/* ---- generic ---- */

static int generic_entry(struct nhir_scanner_stats *st, const char *data,
			 size_t len, const cJSON *v, size_t off, bool first,
			 nhir_sighting_cb cb, void *cbdata,
			 struct nhir_err *err)
{
	struct nhir_sighting s;
	const cJSON *loc = nhir_json_obj(v, "location");
	const cJSON *ver = cJSON_GetObjectItemCaseSensitive(v, "verified");

	if (!cJSON_IsObject(v) || !str(v, "detector")) {
		if (first)
			return not_format(data, len, off, err, "not a generic "
					  "alert (no detector)");
		nhir_scanner_problem(st, data, len, off, "alert without "
				     "detector");
		return 0;
	}
	init_sighting(&s, off);
	s.detector = str(v, "detector");
	s.kind = str(v, "kind");
	s.credential = str(v, "credential");
	s.secret = str(v, "secret");
	s.secret_len = s.secret ? strlen(s.secret) : 0;
	s.verified = cJSON_IsTrue(ver) ? 1 : cJSON_IsFalse(ver) ? 0 : -1;
	s.time = when(str(v, "time"));
	s.repo = str(loc, "repository");
	s.commit = str(loc, "commit");
	s.file = str(loc, "file");
	s.line = num(loc, "line");
	s.link = str(loc, "url");
	s.author = str(loc, "author");
	return emit(st, data, len, &s, cb, cbdata);
}

static enum nhir_rc generic_parse(const char *data, size_t len,
				  nhir_sighting_cb cb, void *cbdata,
				  struct nhir_scanner_stats *st,
				  struct nhir_err *err)
{
	return walk_entries(data, len, generic_entry, cb, cbdata, st, err);
}

static const struct nhir_scanner_format formats[] = {
	{ "gitleaks", "gitleaks JSON report (gitleaks detect -f json)",
	  gitleaks_parse },
	{ "sarif", "SARIF 2.1.0 log of a secret scanner (gitleaks -f sarif)",
	  sarif_parse },
	{ "trufflehog", "trufflehog v3 JSON lines (trufflehog --json)",
	  trufflehog_parse },
	{ "github-secret-scanning", "GitHub secret scanning alert webhook "
	  "payloads or REST API alerts", github_parse },
	{ "generic", "nhir generic alert JSON (doc/formats/findings.md)",
	  generic_parse },
};

static const struct nhir_scanner_format *const all[] = {
	&formats[0], &formats[1], &formats[2], &formats[3], &formats[4], NULL,
};

const struct nhir_scanner_format *nhir_scanner_find(const char *name)
{
	for (size_t i = 0; all[i]; i++)
		if (!strcmp(all[i]->name, name))
			return all[i];
	return NULL;
}

const struct nhir_scanner_format *const *nhir_scanner_formats(void)
{
	return all;
}
