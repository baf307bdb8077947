/*
 * The import runner: the importer registry, diagnostics with line and
 * column, deferral of edges that name nodes defined later in the same
 * input, the store sink, and one file in one transaction.
 */
#include "compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/record.h"
#include "core/hash.h"
#include "core/input.h"
#include "ingest/ingest-internal.h"
#include "ingest/json.h"

static const struct nhir_importer *const importers[] = {
	&nhir_importer_native,
	&nhir_importer_aws_authz,
	&nhir_importer_aws_credreport,
	&nhir_importer_k8s_rbac,
	NULL,
};

const struct nhir_importer *nhir_importer_find(const char *name)
{
	for (size_t i = 0; importers[i]; i++)
		if (!strcmp(importers[i]->name, name))
			return importers[i];
	return NULL;
}

const struct nhir_importer *const *nhir_importers(void)
{
	return importers;
}


struct deferred_edge {
	struct nhir_edge_rec rec;
	char *src, *dst, *attrs;
	size_t off;
};

static void locate(const char *data, size_t len, size_t off,
		   struct nhir_import_diag *d)
{
	unsigned line = 1;
	size_t bol = 0;

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++)
		if (data[i] == '\n') {
			line++;
			bol = i + 1;
		}
	d->off = off;
	d->line = line;
	d->col = (unsigned)(off - bol + 1);
}

static void diag(struct nhir_import *imp, bool error, size_t off,
		 const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void diag(struct nhir_import *imp, bool error, size_t off,
		 const char *fmt, va_list ap)
{
	struct nhir_import_result *r = imp->res;
	struct nhir_import_diag *d;

	if (error)
		r->rejected++;
	else
		r->warnings++;
	if (error ? r->error_nr >= NHIR_IMPORT_DIAG_MAX
		  : r->warn_nr >= NHIR_IMPORT_DIAG_MAX)
		return;
	d = error ? &r->errors[r->error_nr++] : &r->warns[r->warn_nr++];
	locate(imp->data, imp->len, off, d);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
}

void nhir_import_error(struct nhir_import *imp, size_t off, const char *fmt,
		       ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag(imp, true, off, fmt, ap);
	va_end(ap);
}

void nhir_import_warn(struct nhir_import *imp, size_t off, const char *fmt,
		      ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag(imp, false, off, fmt, ap);
	va_end(ap);
}

bool nhir_import_stopped(const struct nhir_import *imp)
{
	return imp->hard_rc != NHIR_OK;
}

void nhir_import_oom(struct nhir_import *imp)
{
	if (!imp->hard_rc)
		imp->hard_rc = nhir_err_set(&imp->hard_err, NHIR_ENOMEM,
					    "out of memory");
}

static void count(struct nhir_import *imp, enum nhir_put res)
{
	if (res == NHIR_PUT_ADDED)
		imp->res->added++;
	else if (res == NHIR_PUT_UPDATED)
		imp->res->updated++;
	else
		imp->res->unchanged++;
}

/*
 * Sorts a sink error: data problems become diagnostics at off, anything
 * else stops the run.  Returns false when the run must stop.
 */
static bool sink_failed(struct nhir_import *imp, enum nhir_rc rc,
			const struct nhir_err *e, size_t off)
{
	switch (rc) {
	case NHIR_EINVAL:
	case NHIR_EPARSE:
	case NHIR_ETOOBIG:
	case NHIR_ECONFLICT:
	case NHIR_ENOTFOUND:
		nhir_import_error(imp, off, "%s", e->msg);
		return true;
	default:
		imp->hard_rc = rc;
		imp->hard_err = *e;
		return false;
	}
}

bool nhir_import_node(struct nhir_import *imp,
		      const struct nhir_node_rec *rec, size_t off)
{
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_put res = NHIR_PUT_UNCHANGED;
	enum nhir_rc rc;

	if (imp->hard_rc)
		return false;
	rc = imp->sink->node(imp->sink->ctx, rec, &res, &e);
	if (rc)
		return sink_failed(imp, rc, &e, off);
	count(imp, res);
	return true;
}

static bool defer_edge(struct nhir_import *imp,
		       const struct nhir_edge_rec *rec, size_t off)
{
	struct deferred_edge *d;

	if (NHIR_ALLOC_GROW(imp->deferred, imp->deferred_nr + 1,
			    imp->deferred_alloc)) {
		nhir_import_oom(imp);
		return false;
	}
	d = &imp->deferred[imp->deferred_nr];
	d->rec = *rec;
	d->src = nhir_strdup(rec->src);
	d->dst = nhir_strdup(rec->dst);
	d->attrs = rec->attrs ? nhir_strdup(rec->attrs) : NULL;
	d->off = off;
	if (!d->src || !d->dst || (rec->attrs && !d->attrs)) {
		nhir_free(d->src);
		nhir_free(d->dst);
		nhir_free(d->attrs);
		nhir_import_oom(imp);
		return false;
	}
	d->rec.src = d->src;
	d->rec.dst = d->dst;
	d->rec.attrs = d->attrs;
	imp->deferred_nr++;
	return true;
}

bool nhir_import_edge(struct nhir_import *imp,
		      const struct nhir_edge_rec *rec, size_t off)
{
	struct nhir_err e = NHIR_ERR_INIT;
	enum nhir_put res = NHIR_PUT_UNCHANGED;
	enum nhir_rc rc;

	if (imp->hard_rc)
		return false;
	rc = imp->sink->edge(imp->sink->ctx, rec, &res, &e);
	if (rc == NHIR_ENOTFOUND)
		return defer_edge(imp, rec, off);
	if (rc)
		return sink_failed(imp, rc, &e, off);
	count(imp, res);
	return true;
}

/* Retries deferred edges; those still dangling are errors. */
static void finish_deferred(struct nhir_import *imp)
{
	for (size_t i = 0; i < imp->deferred_nr; i++) {
		struct deferred_edge *d = &imp->deferred[i];
		struct nhir_err e = NHIR_ERR_INIT;
		enum nhir_put res = NHIR_PUT_UNCHANGED;
		enum nhir_rc rc;

		if (imp->hard_rc)
			break;
		rc = imp->sink->edge(imp->sink->ctx, &d->rec, &res, &e);
		if (rc)
			sink_failed(imp, rc, &e, d->off);
		else
			count(imp, res);
	}
	for (size_t i = 0; i < imp->deferred_nr; i++) {
		nhir_free(imp->deferred[i].src);
		nhir_free(imp->deferred[i].dst);
		nhir_free(imp->deferred[i].attrs);
	}
	NHIR_FREE_AND_NULL(imp->deferred);
	imp->deferred_nr = imp->deferred_alloc = 0;
}

enum nhir_rc nhir_import_run(const struct nhir_importer *importer,
			     const char *data, size_t len,
			     const struct nhir_import_opts *opts,
			     const struct nhir_import_sink *sink,
			     struct nhir_import_result *res,
			     struct nhir_err *err)
{
	static const struct nhir_import_opts no_opts = { NULL, NULL, NULL };
	struct nhir_import imp;

	nhir_json_init();
	memset(res, 0, sizeof(*res));
	memset(&imp, 0, sizeof(imp));
	imp.data = data;
	imp.len = len;
	imp.opts = opts ? opts : &no_opts;
	imp.sink = sink;
	imp.res = res;
	if (len > NHIR_MAX_INPUT_LEN)
		return nhir_err_set(err, NHIR_ETOOBIG,
				    "input larger than %zu bytes",
				    NHIR_MAX_INPUT_LEN);
	importer->run(&imp, data, len);
	finish_deferred(&imp);
	if (imp.hard_rc) {
		if (err)
			*err = imp.hard_err;
		return imp.hard_rc;
	}
	if (res->rejected)
		return nhir_err_set(err, NHIR_EPARSE, "%" PRIu64 " error%s",
				    res->rejected,
				    res->rejected == 1 ? "" : "s");
	return NHIR_OK;
}

static enum nhir_rc store_node(void *ctx, const struct nhir_node_rec *rec,
			       enum nhir_put *res, struct nhir_err *err)
{
	return nhir_store_put_node(ctx, rec, res, err);
}

static enum nhir_rc store_edge(void *ctx, const struct nhir_edge_rec *rec,
			       enum nhir_put *res, struct nhir_err *err)
{
	return nhir_store_put_edge(ctx, rec, res, err);
}

void nhir_import_store_sink(struct nhir_import_sink *sink,
			    struct nhir_store *st)
{
	sink->node = store_node;
	sink->edge = store_edge;
	sink->ctx = st;
}

/* Maps path read-only (or reads it, for pipes); returns owned bytes. */
static enum nhir_rc load_file(const char *path, char **data, size_t *len,
			      bool *mapped, struct nhir_err *err)
{
	struct stat sb;
	int fd;
	struct nhir_buf b = NHIR_BUF_INIT(NHIR_MAX_INPUT_LEN);
	char chunk[65536];
	enum nhir_rc rc;

	*data = NULL;
	*len = 0;
	*mapped = false;
	rc = nhir_input_open(path, &fd, err);
	if (rc)
		return rc;
	if (fstat(fd, &sb)) {
		close(fd);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	}
	if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		void *p;

		if ((uint64_t)sb.st_size > NHIR_MAX_INPUT_LEN) {
			close(fd);
			return nhir_err_set(err, NHIR_ETOOBIG,
					    "'%s' is larger than %zu bytes",
					    path, NHIR_MAX_INPUT_LEN);
		}
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
		if (p != MAP_FAILED) {
			close(fd);
			*data = p;
			*len = (size_t)sb.st_size;
			*mapped = true;
			return NHIR_OK;
		}
	}
	/* standard input, or a file that is empty by its size: read up to
	 * the limit, which stops a stream that never ends */
	while (!b.err) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			nhir_buf_release(&b);
			return nhir_err_set(err, NHIR_EIO,
					    "cannot read '%s': %s", path,
					    strerror(errno));
		}
		if (!n)
			break;
		nhir_buf_add(&b, chunk, (size_t)n);
	}
	close(fd);
	if (b.err == NHIR_ETOOBIG) {
		nhir_buf_release(&b);
		return nhir_err_set(err, NHIR_ETOOBIG,
				    "'%s' is larger than %zu bytes", path,
				    NHIR_MAX_INPUT_LEN);
	}
	if (b.err) {
		rc = b.err;
		nhir_buf_release(&b);
		return nhir_err_set(err, rc, "cannot read '%s': %s", path,
				    nhir_strerror(rc));
	}
	*data = nhir_buf_detach(&b, len);
	return *data ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

static void sha256_hex(const char *data, size_t len, char out[65])
{
	struct nhir_sha256 h = { NULL };
	unsigned char d[32] = { 0 };

	if (nhir_sha256_init(&h)) {
		nhir_sha256_update(&h, data, len);
		nhir_sha256_final(&h, d);
	}
	nhir_sha256_release(&h);
	nhir_hex32(d, out);
}

/* The import's audit entry, in the import's own transaction. */
static enum nhir_rc audit_import(const struct nhir_ctx *ctx,
				 const struct nhir_importer *imp,
				 const char *path,
				 const struct nhir_import_result *res,
				 struct nhir_err *err)
{
	struct nhir_ctx as = *ctx;
	cJSON *d = cJSON_CreateObject();
	enum nhir_rc rc;

	if (!as.actor)
		as.actor = "nhir";
	if (!d)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_AddStringToObject(d, "format", imp->name);
	cJSON_AddStringToObject(d, "path", path);
	cJSON_AddNumberToObject(d, "added", (double)res->added);
	cJSON_AddNumberToObject(d, "updated", (double)res->updated);
	cJSON_AddNumberToObject(d, "rejected", (double)res->rejected);
	rc = nhir_audit_append(&as, "import", 0, d, err);
	cJSON_Delete(d);
	return rc;
}

enum nhir_rc nhir_import_file(const struct nhir_ctx *ctx,
			      const struct nhir_importer *imp, const char *path,
			      const struct nhir_import_opts *opts,
			      struct nhir_import_result *res,
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_import_sink sink;
	struct nhir_import_run run;
	struct nhir_err e2 = NHIR_ERR_INIT;
	char *data = NULL, hex[65];
	size_t len = 0;
	bool mapped = false;
	enum nhir_rc rc;

	memset(res, 0, sizeof(*res));
	rc = nhir_authorize_data(ctx, "import", err);
	if (rc)
		return rc;
	rc = load_file(path, &data, &len, &mapped, err);
	if (rc)
		return rc;
	if (opts && opts->name)
		path = opts->name;
	sha256_hex(data ? data : "", len, hex);
	nhir_import_store_sink(&sink, st);
	rc = nhir_store_begin(st, err);
	if (rc)
		goto out;
	rc = nhir_import_run(imp, data ? data : "", len, opts, &sink, res,
			     err);
	if (!rc && (res->added || res->updated))
		rc = audit_import(ctx, imp, path, res, err);
	if (rc) {
		nhir_store_rollback(st);
	} else {
		rc = nhir_store_commit(st, err);
	}
	/* The attempt is on record either way, in its own transaction. */
	memset(&run, 0, sizeof(run));
	run.format = imp->name;
	run.path = path;
	run.sha256 = hex;
	run.size = len;
	run.actor = actor;
	run.added = rc ? 0 : res->added;
	run.updated = rc ? 0 : res->updated;
	run.unchanged = rc ? 0 : res->unchanged;
	run.rejected = res->rejected;
	run.status = rc ? "rejected" : "ok";
	if (rc != NHIR_ESTORE && rc != NHIR_ENOMEM &&
	    nhir_store_record_import(st, &run, &e2) && !rc)
		rc = nhir_err_set(err, e2.rc, "%s", e2.msg);
	if (!rc && (res->added || res->updated) &&
	    nhir_store_graph_refresh(st, &e2))
		snprintf(res->graph_error, sizeof(res->graph_error), "%s",
			 e2.msg);
out:
	if (mapped)
		munmap(data, len);
	else
		nhir_free(data);
	return rc;
}
