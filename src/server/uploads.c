/*
 * Uploads: an estate's inventory (POST /api/v1/import), audit logs
 * (POST /api/v1/ingest), a scanner's report (POST
 * /api/v1/findings/import) and evidence (POST
 * /api/v1/incidents/{id}/evidence), and evidence back (GET
 * /api/v1/incidents/{id}/evidence/{n}).
 *
 * Before a byte of the body is read, the principal is authenticated and
 * checked (a write token, a role that may: a refusal is audited), and
 * the parameters are decoded; then the body streams into a spool
 * (spool.c), inflated when it is gzip, within --max-upload.  Once it is
 * complete, the library does what the command line does with a file,
 * as the principal: one transaction with its audit entry, nothing
 * stored of an input it rejects.  The answer is the document 'nhir
 * CMD --format json' prints; a rejected input is 422 naming the line
 * or byte, with that document as "result".
 */
#define _GNU_SOURCE 1	/* O_TMPFILE */
#include "compat.h"
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/doc.h"
#include "nhir/finding.h"
#include "nhir/ingest.h"
#include "nhir/record.h"
#include "nhir/route.h"
#include "server/server-internal.h"

/* Query parameters and X-Nhir-* headers an upload reads, at most. */
#define UP_PARAMS_MAX 8

struct up_args {
	const char *keys[UP_PARAMS_MAX + 1];
	const char *vals[UP_PARAMS_MAX + 1];
	size_t nr;
};

static enum MHD_Result arg_cb(void *cls, enum MHD_ValueKind kind,
			      const char *key, const char *value)
{
	struct up_args *a = cls;

	(void)kind;
	if (a->nr > UP_PARAMS_MAX)
		return MHD_NO;
	a->keys[a->nr] = key;
	a->vals[a->nr] = value ? value : "";
	a->nr++;
	return MHD_YES;
}

static enum MHD_Result hdr_cb(void *cls, enum MHD_ValueKind kind,
			      const char *key, const char *value)
{
	if (!strcasecmp(key, "X-Nhir-Name"))
		return arg_cb(cls, kind, "name", value);
	if (!strcasecmp(key, "X-Nhir-Source"))
		return arg_cb(cls, kind, "source", value);
	return MHD_YES;
}

/* The names name(0), name(1)... into b, for a refusal. */
static void names(struct nhir_buf *b, const char *(*name)(size_t i))
{
	const char *s;

	for (size_t i = 0; (s = name(i)); i++)
		nhir_buf_addf(b, "%s%s", i ? ", " : "", s);
}

static const char *import_name(size_t i)
{
	const struct nhir_importer *const *all = nhir_importers();

	for (size_t k = 0; k <= i; k++)
		if (!all[k])
			return NULL;
	return all[i]->name;
}

static const char *tele_name(size_t i)
{
	const struct nhir_tele_format *const *all = nhir_tele_formats();

	for (size_t k = 0; k <= i; k++)
		if (!all[k])
			return NULL;
	return nhir_tele_name(all[i]);
}

static const char *scanner_name(size_t i)
{
	const struct nhir_scanner_format *const *all = nhir_scanner_formats();

	for (size_t k = 0; k <= i; k++)
		if (!all[k])
			return NULL;
	return all[i]->name;
}

/* Is the format one of kind's?  Else answers 400 listing them. */
static bool format_known(struct srv_req *r, enum srv_upload_kind kind,
			 enum MHD_Result *ok)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);
	const char *f = r->upp.format;
	const char *(*list)(size_t) = NULL;

	switch (kind) {
	case SRV_UP_IMPORT:
		if (nhir_importer_find(f))
			return true;
		list = import_name;
		break;
	case SRV_UP_INGEST:
		if (nhir_tele_find(f))
			return true;
		list = tele_name;
		break;
	case SRV_UP_FINDINGS:
		if (nhir_scanner_find(f))
			return true;
		list = scanner_name;
		break;
	case SRV_UP_EVIDENCE:
		return true;
	}
	nhir_buf_addf(&b, "parameter 'format' is '%s', not one of ", f);
	names(&b, list);
	*ok = srv_problem(r, 400, NHIR_EINVAL, "invalid", "Bad request",
			  b.err ? "parameter 'format' is not known" : b.buf);
	nhir_buf_release(&b);
	return false;
}

enum MHD_Result up_begin(struct srv_req *r, enum srv_upload_kind kind)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct up_args a;
	const char *enc;
	enum MHD_Result ok = MHD_NO;
	enum nhir_rc rc;

	/* the principal first: nothing of the body is read for a refusal */
	if (!api_authenticate(r, true, &ok))
		return ok;
	memset(&a, 0, sizeof(a));
	MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, arg_cb, &a);
	MHD_get_connection_values(r->con, MHD_HEADER_KIND, hdr_cb, &a);
	if (a.nr > UP_PARAMS_MAX)
		return srv_problem(r, 400, NHIR_EINVAL, "invalid",
				   "Bad request", "too many parameters");
	if (srv_content_type(r, "multipart/form-data"))
		return srv_problem(r, 415, NHIR_EINVAL, "media-type",
				   "Unsupported media type", "send the file as "
				   "the request body, not in a form");
	enc = MHD_lookup_connection_value(r->con, MHD_HEADER_KIND,
					  MHD_HTTP_HEADER_CONTENT_ENCODING);
	rc = srv_decode_upload(kind, a.keys, a.vals, a.nr, enc, &r->upp,
			       &err);
	if (rc == NHIR_EUNSUPPORTED)
		return srv_problem(r, 415, rc, "media-type",
				   "Unsupported media type", err.msg);
	if (rc)
		return srv_fail(r, &err);
	if (!format_known(r, kind, &ok))
		return ok;
	if (!r->upp.name[0])
		snprintf(r->upp.name, sizeof(r->upp.name), "upload");
	/* may the principal do it?  The library asks again, as it does */
	if (kind == SRV_UP_EVIDENCE)
		rc = nhir_authorize_audited(srv_lib(r), NHIR_PERM_WORK,
					    r->incident, "evidence.add", &err);
	else
		rc = nhir_authorize_data(srv_lib(r),
					 kind == SRV_UP_IMPORT ? "import"
					 : kind == SRV_UP_INGEST ? "ingest"
					 : "findings.import", &err);
	if (rc)
		return srv_fail(r, &err);
	rc = srv_upload_open(&r->up, srv_opts(r->srv)->upload_dir, srv_opts(r->srv)->max_upload,
			     r->upp.encoding, &err);
	if (rc)
		return srv_fail(r, &err);
	r->authed = true;
	return MHD_YES;
}

/*
 * The body, complete: true when it is spooled whole.  Else answers:
 * 413 past the limit, 400 for gzip that is not, 500 when it could not
 * be kept.
 */
static bool spooled(struct srv_req *r, enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;

	if (!srv_upload_finish(r->up, &err))
		return true;
	srv_log("%s %s: upload by %s refused: %s", r->method, r->url,
		r->user, err.msg);
	if (err.rc == NHIR_EPARSE)
		*ok = srv_problem(r, 400, err.rc, "invalid", "Bad request",
				  err.msg);
	else
		*ok = srv_fail(r, &err);
	return false;
}

/* A rejected input: 422, its first problem as detail, doc as "result". */
static enum MHD_Result rejected(struct srv_req *r, const char *detail,
				cJSON *doc)
{
	cJSON *ext = cJSON_CreateObject();

	if (ext && doc)
		cJSON_AddItemToObject(ext, "result", doc);
	else
		cJSON_Delete(doc);
	srv_log("422 %s %s: %s", r->method, r->url, detail);
	return srv_problem_ext(r, 422, NHIR_EPARSE, "unprocessable",
			       "Unprocessable content", detail, ext);
}

/* The library made the graph cache again after a change, or says why not. */
static void graph_note(const char *msg)
{
	if (msg[0])
		srv_log("graph cache not refreshed: %s", msg);
}

static bool store(struct srv_req *r, enum MHD_Result *ok)
{
	struct nhir_err err = NHIR_ERR_INIT;

	r->st = srv_store(r->srv, &err);
	if (!r->st)
		*ok = srv_fail(r, &err);
	return r->st != NULL;
}

/* An alert raised by an upload: on the record, so on the feed; logged. */
static void on_watch_alert(const struct nhir_watch_alert *a, void *data)
{
	struct srv_req *r = data;

	srv_log("%s %s: INC-%" PRId64 ": alert: %s used after its cut, in %s "
		"(audit %" PRId64 ")", r->method, r->url, a->incident, a->key,
		r->upp.name, a->seq);
}

/*
 * The upload checked for every incident under watch; *alerts how many
 * it raised.  A failure is logged and said in the answer: the file
 * stays ingested, and a watch of the incident finds nothing of it.
 */
static void watch_check(struct srv_req *r, const struct nhir_ingest_result *res,
			cJSON *doc)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_watch_sweep sw;

	if (res->files != 1 || res->run_first <= 0)
		return;
	if (nhir_watch_upload(srv_lib(r), res->run_first, on_watch_alert, r,
			      &sw, &err)) {
		srv_log("%s %s: watch check of %s failed: %s", r->method,
			r->url, r->upp.name, err.msg);
		cJSON_AddStringToObject(doc, "watch_error", err.msg);
		return;
	}
	/* the answer is the command line's unless a watch is open */
	if (sw.watches)
		cJSON_AddNumberToObject(doc, "watch_alerts", (double)sw.alerts);
}

enum MHD_Result up_ingest(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_ingest_result res;
	const struct nhir_tele_format *fmt = nhir_tele_find(r->upp.format);
	char detail[NHIR_ERR_MSG_MAX + 300];
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc = NULL;

	if (!spooled(r, &ok) || !store(r, &ok))
		return ok;
	memset(&res, 0, sizeof(res));
	rc = nhir_ingest_upload(srv_lib(r), fmt, srv_upload_path(r->up),
				r->upp.name, &res, &err);
	if (rc && rc != NHIR_EPARSE)
		return srv_fail(r, &err);
	if (nhir_doc_ingest(&res, NULL, 0, !rc && !res.malformed &&
			    !res.files_skipped, &doc, &err))
		return srv_fail(r, &err);
	graph_note(res.graph_error);
	if (!rc)
		watch_check(r, &res, doc);
	if (rc) {
		if (res.diag_nr)
			snprintf(detail, sizeof(detail), "%s: byte %" PRIu64
				 ": %s", res.diags[0].path, res.diags[0].off,
				 res.diags[0].msg);
		else
			snprintf(detail, sizeof(detail), "%s: rejected",
				 r->upp.name);
		return rejected(r, detail, doc);
	}
	srv_log("%s %s: %s ingested by %s (%" PRIu64 " events, %" PRIu64
		" bytes%s)", r->method, r->url, r->upp.name, r->user,
		res.events, srv_upload_size(r->up),
		srv_upload_gzip(r->up) ? ", gzip" : "");
	return srv_respond_doc(r, 200, doc);
}

enum MHD_Result up_import(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const struct nhir_importer *imp = nhir_importer_find(r->upp.format);
	struct nhir_import_opts o = { NULL, NULL, NULL };
	struct nhir_import_file *f;
	char detail[NHIR_ERR_MSG_MAX + 300];
	enum MHD_Result ok;
	enum nhir_rc rc;
	cJSON *doc = NULL;

	if (!spooled(r, &ok) || !store(r, &ok))
		return ok;
	f = calloc(1, sizeof(*f));
	if (!f)
		return srv_problem(r, 500, NHIR_ENOMEM, "internal",
				   "Internal error", "out of memory");
	o.cluster = r->upp.cluster[0] ? r->upp.cluster : NULL;
	o.name = r->upp.name;
	rc = nhir_import_file(srv_lib(r), imp, srv_upload_path(r->up), &o,
			      &f->res, &err);
	if (rc && rc != NHIR_EPARSE) {
		free(f);
		return srv_fail(r, &err);
	}
	f->path = r->upp.name;
	f->rc = rc;
	if (nhir_doc_import(imp->name, f, 1, &doc, &err)) {
		free(f);
		return srv_fail(r, &err);
	}
	graph_note(f->res.graph_error);
	if (rc) {
		const struct nhir_import_diag *d = f->res.errors;

		if (f->res.error_nr)
			snprintf(detail, sizeof(detail), "%s:%u:%u (byte %zu): "
				 "%s; nothing of it is stored", r->upp.name,
				 d->line, d->col, d->off, d->msg);
		else
			snprintf(detail, sizeof(detail), "%s: rejected; "
				 "nothing of it is stored", r->upp.name);
		free(f);
		return rejected(r, detail, doc);
	}
	srv_log("%s %s: %s imported by %s (%" PRIu64 " added, %" PRIu64
		" updated)", r->method, r->url, r->upp.name, r->user,
		f->res.added, f->res.updated);
	free(f);
	return srv_respond_doc(r, 200, doc);
}

enum MHD_Result up_findings(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const struct nhir_scanner_format *fmt =
		nhir_scanner_find(r->upp.format);
	const char *policy = srv_opts(r->srv)->policy;
	struct nhir_route_policy *pol = NULL;
	struct nhir_findings_result res;
	struct nhir_findings_file f;
	enum MHD_Result ok;
	enum nhir_rc rc;
	size_t changed = 0;
	cJSON *doc = NULL;

	if (!spooled(r, &ok) || !store(r, &ok))
		return ok;
	/* findings are routed by the server's policy, as 'findings import' */
	if (policy && nhir_route_load(policy, &pol, &err))
		return srv_fail(r, &err);
	rc = nhir_findings_import_as(srv_lib(r), fmt, srv_upload_path(r->up),
				     r->upp.name, &res, &err);
	if (rc && rc != NHIR_EPARSE) {
		nhir_route_free(pol);
		return srv_fail(r, &err);
	}
	memset(&f, 0, sizeof(f));
	f.path = r->upp.name;
	f.rejected = rc != NHIR_OK;
	if (!rc) {
		f.entries = res.entries;
		f.findings_new = res.findings_new;
		f.sightings_new = res.sightings_new;
		f.matched = res.matched;
		f.skipped = res.scanner.bad;
		if (pol && res.id_nr &&
		    nhir_route_apply(srv_lib(r), pol, res.ids, res.id_nr,
				     &changed, &err))
			srv_log("%s %s: findings not routed: %s", r->method,
				r->url, err.msg);
		nhir_findings_result_release(&res);
	}
	nhir_route_free(pol);
	if (nhir_doc_findings_import(fmt->name, &f, 1, &doc, &err))
		return srv_fail(r, &err);
	if (rc)
		return rejected(r, err.msg, doc);
	srv_log("%s %s: report %s imported by %s (%" PRIu64 " entries, %zu "
		"routed)", r->method, r->url, r->upp.name, r->user, f.entries,
		changed);
	return srv_respond_doc(r, 200, doc);
}

enum MHD_Result up_evidence(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char hex[65] = "";
	int64_t id = 0;
	enum MHD_Result ok;
	cJSON *doc = NULL;

	if (!spooled(r, &ok) || !store(r, &ok))
		return ok;
	/* the library copies it beside the database, hashed, and records
	 * its first custody entry with the audit entry */
	if (nhir_evidence_add_as(srv_lib(r), r->incident,
				 srv_upload_path(r->up), r->upp.name,
				 r->upp.source, srv_opts(r->srv)->max_upload,
				 &id, hex, &err) ||
	    nhir_doc_evidence(r->st, r->incident, &doc, &err))
		return srv_fail(r, &err);
	srv_log("201 %s %s: evidence %" PRId64 " (%s, %" PRIu64 " bytes, "
		"sha256 %s) by %s (token %" PRId64 ")", r->method, r->url, id,
		r->upp.name, srv_upload_size(r->up), hex, r->user, r->token);
	snprintf(r->location, sizeof(r->location), "/api/v1/incidents/INC-%"
		 PRId64 "/evidence/%" PRId64, r->incident, id);
	return srv_respond_doc(r, 201, doc);
}

/* ---- evidence, downloaded ---- */

struct ev_find {
	int64_t id;
	bool found;
	char name[SRV_UP_NAME_MAX + 1];
};

static int ev_find_cb(const struct nhir_record_item *it, void *data)
{
	struct ev_find *f = data;

	if (it->id != f->id)
		return 0;
	f->found = true;
	snprintf(f->name, sizeof(f->name), "%s", it->a ? it->a : "evidence");
	return 1;
}

static void base64(const unsigned char *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				  "rstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	out[o] = '\0';
}

/*
 * Content-Disposition for name: attachment, a plain ASCII filename
 * (quotes, backslashes, controls and non-ASCII bytes as '_') and the
 * exact name as RFC 8187 filename*.
 */
static void disposition(const char *name, char *out, size_t n)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	nhir_buf_addf(&b, "attachment; filename=\"");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		nhir_buf_addch(&b, *p < 0x20 || *p >= 0x7f || *p == '"' ||
				   *p == '\\' ? '_' : (char)*p);
	nhir_buf_addf(&b, "\"; filename*=UTF-8''");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			nhir_buf_addch(&b, (char)*p);
		else
			nhir_buf_addf(&b, "%%%02X", *p);
	}
	snprintf(out, n, "%s", b.err ? "attachment" : b.buf);
	nhir_buf_release(&b);
}

static int hexnib(char c)
{
	return c >= 'a' ? c - 'a' + 10 : c - '0';
}

enum MHD_Result up_evidence_get(struct srv_req *r)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct ev_find f = { r->num, false, "" };
	struct MHD_Response *res;
	char sha[65] = "", to[96], addr[64], digest[64], cd[1024];
	unsigned char md[32];
	uint64_t size = 0;
	bool head = !strcmp(r->method, "HEAD");
	int fd = -1;

	if (nhir_record_each(r->st, r->incident, "evidence", ev_find_cb, &f,
			     &err))
		return srv_fail(r, &err);
	if (!f.found)
		return srv_problem(r, 404, NHIR_ENOTFOUND, "not-found",
				   "Not found", "no such evidence in this "
				   "incident");
	srv_client_address(r, addr, sizeof(addr));
	snprintf(to, sizeof(to), "HTTP download to %s", addr);
	/* a HEAD reads nothing out: the evidence is checked in place */
	if (!head) {
		struct srv_upload *sp = NULL;

		/* a private, unnamed copy: what is sent is what was hashed */
		if (srv_upload_open(&sp, srv_opts(r->srv)->upload_dir, 0,
				    SRV_ENC_IDENTITY, &err))
			return srv_fail(r, &err);
		fd = srv_upload_take_fd(sp);
		srv_upload_free(sp);
	}
	if (nhir_evidence_download(srv_lib(r), r->incident, r->num, fd,
				   head ? NULL : to, &size, sha, &err)) {
		if (fd >= 0)
			close(fd);
		return srv_fail(r, &err);
	}
	if (head) {
		res = MHD_create_response_from_buffer(0, (void *)"",
						      MHD_RESPMEM_PERSISTENT);
	} else if (lseek(fd, 0, SEEK_SET)) {
		close(fd);
		return srv_problem(r, 500, NHIR_EIO, "internal",
				   "Internal error", "cannot read the copy");
	} else {
		/* libmicrohttpd closes fd with the response */
		res = MHD_create_response_from_fd((uint64_t)size, fd);
		if (!res)
			close(fd);
	}
	if (!res)
		return MHD_NO;
	for (size_t i = 0; i < 32; i++)
		md[i] = (unsigned char)(hexnib(sha[2 * i]) << 4 |
					hexnib(sha[2 * i + 1]));
	base64(md, sizeof(md), digest + 9);
	memcpy(digest, "sha-256=:", 9);
	snprintf(digest + strlen(digest), sizeof(digest) - strlen(digest),
		 ":");
	MHD_add_response_header(res, "Repr-Digest", digest);
	MHD_add_response_header(res, "X-Nhir-Sha256", sha);
	disposition(f.name, cd, sizeof(cd));
	MHD_add_response_header(res, "Content-Disposition", cd);
	srv_log("%s %s: evidence %" PRId64 " %s by %s (token %" PRId64 ")",
		r->method, r->url, r->num, head ? "verified" : "downloaded",
		r->user, r->token);
	return srv_queue(r, 200, "application/octet-stream", res);
}
