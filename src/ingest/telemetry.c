/*
 * The telemetry runner: walks files, reads them as a stream (plain or
 * gzip) with bounded memory, cuts records out of JSON Lines, a JSON
 * array, or a {"Records": [...]} delivery file, and hands each to the
 * format in one transaction per file.
 */
#include "compat.h"
#include <dirent.h>
#include <sys/stat.h>
#include <zlib.h>
#include "nhir/buf.h"
#include "core/hash.h"
#include "ingest/json.h"
#include "ingest/telemetry-internal.h"

#define CHUNK (1u << 20)

static const struct nhir_tele_format *const formats[] = {
	&nhir_tele_cloudtrail,
	&nhir_tele_k8s_audit,
	&nhir_tele_vault_audit,
	&nhir_tele_github_audit,
	&nhir_tele_ocsf,
	NULL,
};

const struct nhir_tele_format *nhir_tele_find(const char *name)
{
	for (size_t i = 0; formats[i]; i++)
		if (!strcmp(formats[i]->name, name))
			return formats[i];
	return NULL;
}

const char *nhir_tele_name(const struct nhir_tele_format *f)
{
	return f->name;
}

const char *nhir_tele_summary(const struct nhir_tele_format *f)
{
	return f->summary;
}

const struct nhir_tele_format *const *nhir_tele_formats(void)
{
	return formats;
}

/* Keys seen in the current file: a small open-addressing set. */
struct keyset {
	char **v;
	size_t nr, alloc;
};

struct nhir_tele {
	const struct nhir_tele_format *fmt;
	struct nhir_store *st;		/* NULL when only parsing */
	struct nhir_ingest_result *res;
	const char *path;
	int64_t file;
	/* the record being handled */
	uint64_t off;
	uint32_t len;
	unsigned char sha[32];
	char why[160];
	bool why_set;
	uint64_t events, malformed;
	struct keyset *seen;	/* lineage already stored in this run */
	struct keyset own_seen;
	struct nhir_sha256 hash;
	struct nhir_err err;
	bool failed;
};

static void diag(struct nhir_ingest_result *res, const char *path,
		 uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag(struct nhir_ingest_result *res, const char *path,
		 uint64_t off, const char *fmt, ...)
{
	struct nhir_ingest_diag *d;
	va_list ap;

	if (!res || res->diag_nr >= NHIR_INGEST_DIAG_MAX)
		return;
	d = &res->diags[res->diag_nr++];
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->off = off;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

uint64_t nhir_tele_uid(const char *id, const char *part)
{
	uint64_t h;

	if (!id || !*id)
		return 0;
	h = nhir_hash_str(id);
	if (part)
		for (h = (h ^ 0x1f) * 1099511628211ULL; *part; part++)
			h = (h ^ (unsigned char)*part) * 1099511628211ULL;
	return h ? h : 1;
}

bool nhir_tele_event(struct nhir_tele *t, struct nhir_event *ev)
{
	/*
	 * The same id with another identity or action is not the same
	 * record (hand-edited test logs reuse ids): both go in the uid.
	 */
	if (ev->uid)
		ev->uid ^= nhir_hash_str(ev->identity ? ev->identity : "") * 31 +
			   nhir_hash_str(ev->action ? ev->action : "");
	ev->offset = t->off;
	ev->len = t->len;
	memcpy(ev->sha256, t->sha, 32);
	t->events++;
	if (!t->st)
		return true;
	if (nhir_store_put_events(t->st, t->file, ev, 1, &t->err)) {
		t->failed = true;
		return false;
	}
	return true;
}

static bool put(struct nhir_tele *t, enum nhir_rc rc, enum nhir_put res)
{
	if (rc == NHIR_OK) {
		if (res != NHIR_PUT_UNCHANGED && t->res)
			t->res->lineage++;
		return true;
	}
	if (rc == NHIR_ENOMEM || rc == NHIR_ESTORE || rc == NHIR_EIO) {
		t->failed = true;
		return false;
	}
	/* the log contradicts the inventory (a kind conflict): note it */
	diag(t->res, t->path, t->off, "lineage not recorded: %s", t->err.msg);
	return true;
}

bool nhir_tele_node(struct nhir_tele *t, const struct nhir_node_rec *r)
{
	enum nhir_put res = NHIR_PUT_UNCHANGED;

	enum nhir_rc rc;

	if (!t->st)
		return true;
	rc = nhir_store_put_node(t->st, r, &res, &t->err);
	return put(t, rc, res);
}

bool nhir_tele_edge(struct nhir_tele *t, const struct nhir_edge_rec *r)
{
	enum nhir_put res = NHIR_PUT_UNCHANGED;

	enum nhir_rc rc;

	if (!t->st)
		return true;
	rc = nhir_store_put_edge(t->st, r, &res, &t->err);
	return put(t, rc, res);
}

bool nhir_tele_authenticates(struct nhir_tele *t, enum nhir_node_kind kind,
			     const char *key, const char *key_subtype,
			     const char *identity, const char *identity_name,
			     const char *identity_subtype,
			     const char *provider)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	if (nhir_tele_seen(t, key))
		return true;
	n.kind = kind;
	n.ext_id = key;
	n.subtype = key_subtype;
	n.provider = provider;
	if (!nhir_tele_node(t, &n))
		return false;
	n = (struct nhir_node_rec)NHIR_NODE_REC_INIT;
	n.kind = NHIR_NODE_IDENTITY;
	n.ext_id = identity;
	n.name = identity_name;
	n.subtype = identity_subtype;
	n.provider = provider;
	e.kind = NHIR_EDGE_AUTHENTICATES;
	e.src = key;
	e.dst = identity;
	return nhir_tele_node(t, &n) && nhir_tele_edge(t, &e);
}

void nhir_tele_malformed(struct nhir_tele *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	t->why_set = true;
}

bool nhir_tele_seen(struct nhir_tele *t, const char *key)
{
	struct keyset *k = t->seen;
	size_t i;

	if (k->nr * 2 >= k->alloc) {
		struct keyset old = *k;
		size_t n = k->alloc ? k->alloc * 2 : 1024;

		k->v = nhir_calloc(n, sizeof(char *));
		if (!k->v) {
			*k = old;
			return false;
		}
		k->alloc = n;
		k->nr = 0;
		for (size_t j = 0; j < old.alloc; j++) {
			if (!old.v[j])
				continue;
			for (i = nhir_hash_str(old.v[j]) & (n - 1); k->v[i];
			     i = (i + 1) & (n - 1))
				;
			k->v[i] = old.v[j];
			k->nr++;
		}
		nhir_free(old.v);
	}
	for (i = nhir_hash_str(key) & (k->alloc - 1); k->v[i];
	     i = (i + 1) & (k->alloc - 1))
		if (!strcmp(k->v[i], key))
			return true;
	k->v[i] = nhir_strdup(key);
	if (k->v[i])
		k->nr++;
	return false;
}

static void keyset_clear(struct keyset *k)
{
	for (size_t i = 0; i < k->alloc; i++)
		nhir_free(k->v[i]);
	nhir_free(k->v);
	memset(k, 0, sizeof(*k));
}

/*
 * A window on the decompressed stream: buf[0..len) holds the bytes from
 * stream offset base.  Bytes before 'keep' may be dropped on refill.
 */
struct reader {
	gzFile gz;			/* NULL: reading from mem */
	const char *mem;
	size_t mem_len, mem_pos;
	char *buf;
	size_t len, cap;
	uint64_t base;
	bool eof;
	bool truncated;
};

/* Drops bytes before keep and reads more; false at end of input. */
static bool refill(struct reader *r, size_t *keep, struct nhir_err *err)
{
	int n;

	if (r->eof)
		return false;
	if (*keep) {
		memmove(r->buf, r->buf + *keep, r->len - *keep);
		r->len -= *keep;
		r->base += *keep;
		*keep = 0;
	}
	if (r->cap - r->len < CHUNK) {
		size_t want = r->len + CHUNK;
		char *nb;

		if (want > NHIR_MAX_RECORD_LEN + 2 * (size_t)CHUNK) {
			nhir_err_set(err, NHIR_ETOOBIG, "record larger than %u "
				     "bytes", NHIR_MAX_RECORD_LEN);
			return false;
		}
		nb = nhir_realloc(r->buf, want);
		if (!nb) {
			nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			return false;
		}
		r->buf = nb;
		r->cap = want;
	}
	if (!r->gz) {
		size_t k = NHIR_MIN(r->mem_len - r->mem_pos, (size_t)CHUNK);

		memcpy(r->buf + r->len, r->mem + r->mem_pos, k);
		r->mem_pos += k;
		r->len += k;
		if (!k)
			r->eof = true;
		return k != 0;
	}
	n = gzread(r->gz, r->buf + r->len, CHUNK);
	if (n < 0) {
		int zerr;
		const char *msg = gzerror(r->gz, &zerr);

		r->truncated = zerr == Z_BUF_ERROR;
		nhir_err_set(err, NHIR_EIO, "%s", r->truncated
				 ? "compressed data ends early (truncated .gz)"
				 : msg);
		r->eof = true;
		return false;
	}
	if (n == 0) {
		int zerr = Z_OK;

		gzerror(r->gz, &zerr);
		r->eof = true;
		if (zerr == Z_BUF_ERROR) {
			r->truncated = true;
			nhir_err_set(err, NHIR_EIO, "compressed data ends early "
				     "(truncated .gz)");
		}
		return false;
	}
	r->len += (size_t)n;
	return true;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips whitespace at *pos, refilling; false at end of input. */
static bool skip_ws(struct reader *r, size_t *pos, size_t *keep,
		    struct nhir_err *err)
{
	for (;;) {
		while (*pos < r->len && is_ws(r->buf[*pos]))
			(*pos)++;
		if (*pos < r->len)
			return true;
		*keep = *pos;
		if (!refill(r, keep, err))
			return false;
		*pos = 0;
	}
}

enum layout { L_LINES, L_ARRAY, L_RECORDS };

/* Handles one record at buf[pos..end). Returns false to stop the file. */
static bool one_record(struct nhir_tele *t, struct reader *r, size_t pos,
		       size_t end, bool first, struct nhir_err *err)
{
	size_t bad = 0;
	uint64_t replaced = 0;
	cJSON *o;
	int rc;

	t->off = r->base + pos;
	t->len = (uint32_t)(end - pos);
	t->why_set = false;
	nhir_sha256_once(&t->hash, r->buf + pos, end - pos, t->sha);
	if (t->res)
		t->res->records++;
	nhir_json_init();
	nhir_json_arena_begin();
	o = nhir_json_parse(r->buf + pos, end - pos, &bad, &replaced);
	if (!o || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		nhir_json_arena_end();
		if (first) {
			nhir_err_set(err, NHIR_EPARSE, "not %s: the first record "
				     "is %s", t->fmt->name,
				     o ? "not a JSON object" : "malformed JSON");
			return false;
		}
		nhir_tele_malformed(t, o ? "not a JSON object" : "malformed JSON");
		rc = 0;
	} else {
		rc = t->fmt->record(t, o, first);
		cJSON_Delete(o);
		nhir_json_arena_end();
	}
	if (rc < 0) {
		*err = t->err;
		return false;
	}
	if (rc == 0) {
		if (first) {
			nhir_err_set(err, NHIR_EPARSE, "not %s: %s",
				     t->fmt->name, t->why);
			return false;
		}
		t->malformed++;
		if (t->res)
			diag(t->res, t->path, t->off, "record skipped: %s",
			     t->why_set ? t->why : "malformed");
	}
	return true;
}

/*
 * Is the malformed value at pos one bad line of JSON Lines?  Only when
 * the problem is on its first line and the next line starts a JSON
 * object; otherwise the file is not JSON Lines of records at all.
 */
static bool bad_line(const struct reader *r, size_t pos, size_t bad)
{
	const char *nl = memchr(r->buf + pos, '\n', r->len - pos);
	size_t p;

	if (!nl || (size_t)(nl - r->buf) < bad)
		return false;
	for (p = (size_t)(nl - r->buf) + 1; p < r->len && is_ws(r->buf[p]); p++)
		;
	return p < r->len && r->buf[p] == '{';
}

/*
 * Cuts records out of the stream and hands them over.  Returns NHIR_OK,
 * or an error with *err_off set that rejects the whole file.
 */
static enum nhir_rc scan(struct nhir_tele *t, struct reader *r,
			 uint64_t *err_off, struct nhir_err *err)
{
	size_t pos = 0, keep = 0, end;
	enum layout layout = L_LINES;
	bool first = true;

	if (!skip_ws(r, &pos, &keep, err))
		goto ended;
	if (r->buf[pos] == '[') {
		layout = L_ARRAY;
		pos++;
	} else if (r->buf[pos] == '{') {
		/* {"Records": [ ... ]}: look at the first member name. */
		size_t p = pos + 1;
		static const char key[] = "\"Records\"";

		while (r->len - pos < 64 && refill(r, &keep, err))
			;
		while (p < r->len && is_ws(r->buf[p]))
			p++;
		if (r->len - p >= sizeof(key) - 1 &&
		    !memcmp(r->buf + p, key, sizeof(key) - 1)) {
			p += sizeof(key) - 1;
			while (p < r->len && is_ws(r->buf[p]))
				p++;
			if (p < r->len && r->buf[p] == ':')
				p++;
			while (p < r->len && is_ws(r->buf[p]))
				p++;
			if (p < r->len && r->buf[p] == '[') {
				layout = L_RECORDS;
				pos = p + 1;
			}
		}
	} else {
		*err_off = r->base + pos;
		return nhir_err_set(err, NHIR_EPARSE, "not %s: not JSON",
				    t->fmt->name);
	}
	for (;;) {
		enum nhir_json_end je;
		size_t bad = 0;

		if (!skip_ws(r, &pos, &keep, err))
			goto ended;
		if (layout != L_LINES && r->buf[pos] == ']')
			return NHIR_OK;	/* what follows the array is ignored */
		keep = pos;
		je = nhir_json_value_end(r->buf, r->len, pos, &end, &bad, err);
		while (je == NHIR_JSON_MORE) {
			size_t shift = pos;

			if (!refill(r, &keep, err)) {
				if (err->rc == NHIR_ETOOBIG ||
				    err->rc == NHIR_ENOMEM || r->truncated) {
					*err_off = r->base;
					return err->rc;
				}
				*err_off = r->base + r->len;
				return nhir_err_set(err, NHIR_EPARSE, "input ends "
						    "inside a record");
			}
			pos -= shift;
			je = nhir_json_value_end(r->buf, r->len, pos, &end,
						 &bad, err);
		}
		if (je == NHIR_JSON_BAD) {
			if (layout != L_LINES ||
			    (first && !bad_line(r, pos, bad))) {
				*err_off = r->base + bad;
				return NHIR_EPARSE;
			}
			/* JSON Lines: skip to the next line */
			if (t->res)
				diag(t->res, t->path, r->base + bad,
				     "record skipped: %s", err->msg);
			t->malformed++;
			if (t->res)
				t->res->records++;
			while (!memchr(r->buf + pos, '\n', r->len - pos)) {
				keep = r->len;
				if (!refill(r, &keep, err))
					goto ended;
				pos = 0;
			}
			pos = (size_t)((char *)memchr(r->buf + pos, '\n',
						      r->len - pos) - r->buf) + 1;
			continue;
		}
		if (end - pos > NHIR_MAX_RECORD_LEN) {
			*err_off = r->base + pos;
			return nhir_err_set(err, NHIR_ETOOBIG, "record larger "
					    "than %u bytes", NHIR_MAX_RECORD_LEN);
		}
		if (r->buf[pos] != '{' && r->buf[pos] != '[' && first) {
			*err_off = r->base + pos;
			return nhir_err_set(err, NHIR_EPARSE, "not %s: not JSON",
					    t->fmt->name);
		}
		if (!one_record(t, r, pos, end, first, err)) {
			*err_off = t->off;
			return err->rc ? err->rc : NHIR_EPARSE;
		}
		first = false;
		pos = end;
		if (layout == L_LINES)
			continue;
		if (!skip_ws(r, &pos, &keep, err))
			goto ended;
		if (r->buf[pos] == ',') {
			pos++;
			continue;
		}
		if (r->buf[pos] == ']')
			return NHIR_OK;
		*err_off = r->base + pos;
		return nhir_err_set(err, NHIR_EPARSE, "expected ',' or ']' "
				    "between records");
	}
ended:
	if (r->truncated || err->rc == NHIR_ETOOBIG || err->rc == NHIR_ENOMEM) {
		*err_off = r->base + r->len;
		return err->rc;
	}
	if (layout != L_LINES) {
		*err_off = r->base + r->len;
		return nhir_err_set(err, NHIR_EPARSE, "input ends before the "
				    "end of the record array");
	}
	if (first) {
		*err_off = 0;
		return nhir_err_set(err, NHIR_EPARSE, "no records");
	}
	return NHIR_OK;
}

static void tele_release(struct nhir_tele *t)
{
	keyset_clear(&t->own_seen);
	nhir_sha256_release(&t->hash);
}

enum nhir_rc nhir_tele_parse_buffer(const struct nhir_tele_format *fmt,
				    const char *data, size_t len,
				    uint64_t *events, uint64_t *malformed,
				    struct nhir_err *err)
{
	struct nhir_tele t;
	struct reader r;
	uint64_t off = 0;
	enum nhir_rc rc;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	t.fmt = fmt;
	t.path = "input";
	t.seen = &t.own_seen;
	if (!nhir_sha256_init(&t.hash))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	r.mem = data;
	r.mem_len = len;
	rc = scan(&t, &r, &off, err);
	*events = t.events;
	*malformed = t.malformed;
	nhir_free(r.buf);
	tele_release(&t);
	return rc;
}

/* SHA-256 of the file's bytes as stored (compressed or not). */
static enum nhir_rc file_sha(const char *path, char hex[65], uint64_t *size,
			     struct nhir_err *err)
{
	struct nhir_sha256 h = { NULL };
	unsigned char out[32];
	char *chunk = nhir_malloc(CHUNK);
	FILE *f = fopen(path, "rb");
	size_t n;

	*size = 0;
	if (!chunk || !f || !nhir_sha256_init(&h)) {
		if (f)
			fclose(f);
		nhir_free(chunk);
		nhir_sha256_release(&h);
		return f ? nhir_err_set(err, NHIR_ENOMEM, "out of memory")
			 : nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					path, strerror(errno));
	}
	while ((n = fread(chunk, 1, CHUNK, f)) > 0) {
		nhir_sha256_update(&h, chunk, n);
		*size += n;
	}
	if (ferror(f)) {
		fclose(f);
		nhir_free(chunk);
		nhir_sha256_release(&h);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	}
	fclose(f);
	nhir_free(chunk);
	nhir_sha256_final(&h, out);
	nhir_sha256_release(&h);
	nhir_hex32(out, hex);
	return NHIR_OK;
}

static enum nhir_rc ingest_file(struct nhir_store *st,
				const struct nhir_tele_format *fmt,
				const char *path, const char *actor,
				struct keyset *seen,
				struct nhir_ingest_result *res,
				struct nhir_err *err)
{
	struct nhir_tele t;
	struct reader r;
	struct nhir_err ferr = NHIR_ERR_INIT;
	char hex[65];
	uint64_t size, off = 0, dups = 0;
	int64_t id = 0;
	enum nhir_rc rc;

	rc = file_sha(path, hex, &size, err);
	if (rc)
		return rc;
	rc = nhir_store_file_find(st, hex, &id, err);
	if (rc)
		return rc;
	if (id) {
		res->files_seen++;
		return NHIR_OK;
	}
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	t.fmt = fmt;
	t.st = st;
	t.res = res;
	t.path = path;
	t.seen = seen;
	if (!nhir_sha256_init(&t.hash))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	r.gz = gzopen(path, "rb");
	if (!r.gz) {
		tele_release(&t);
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	}
	gzbuffer(r.gz, 256 * 1024);
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_store_file_add(st, path, hex, size, fmt->name, actor,
					 &t.file, err);
	if (rc)
		goto out;
	rc = scan(&t, &r, &off, &ferr);
	if (t.failed) {
		*err = t.err;
		rc = err->rc ? err->rc : NHIR_ESTORE;
		nhir_store_rollback(st);
		keyset_clear(seen);
		goto out;
	}
	if (rc && rc != NHIR_ENOMEM) {
		/* the file is rejected whole; the run goes on */
		nhir_store_rollback(st);
		keyset_clear(seen);	/* its lineage is gone with it */
		res->files_failed++;
		diag(res, path, off, "file rejected: %s", ferr.msg);
		rc = NHIR_EPARSE;
		goto out;
	}
	rc = nhir_store_file_done(st, t.file, t.events, t.malformed, &dups,
				  err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	else
		nhir_store_rollback(st);
	if (rc)
		keyset_clear(seen);
	if (!rc) {
		res->files++;
		res->events += t.events - dups;
		res->duplicates += dups;
		res->malformed += t.malformed;
	}
out:
	res->bytes += r.base + r.len;
	gzclose(r.gz);
	nhir_free(r.buf);
	tele_release(&t);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum nhir_rc ingest_path(struct nhir_store *st,
				const struct nhir_tele_format *fmt,
				const char *path, const char *actor,
				nhir_ingest_progress_cb progress, void *pdata,
				struct keyset *seen,
				struct nhir_ingest_result *res,
				struct nhir_err *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	enum nhir_rc rc = NHIR_OK, worst = NHIR_OK;

	if (stat(path, &sb))
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	if (!S_ISDIR(sb.st_mode)) {
		rc = ingest_file(st, fmt, path, actor, seen, res, err);
		if (progress)
			progress(path, res, pdata);
		return rc;
	}
	d = opendir(path);
	if (!d)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (NHIR_ALLOC_GROW(names, nr + 1, alloc)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		names[nr] = nhir_malloc(strlen(path) + strlen(de->d_name) + 2);
		if (!names[nr]) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		snprintf(names[nr], strlen(path) + strlen(de->d_name) + 2,
			 "%s/%s", path, de->d_name);
		nr++;
	}
	closedir(d);
	if (!rc && nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	for (size_t i = 0; !rc && i < nr; i++) {
		rc = ingest_path(st, fmt, names[i], actor, progress, pdata,
				 seen, res, err);
		if (rc == NHIR_EPARSE) {
			worst = rc;
			rc = NHIR_OK;
		}
	}
	for (size_t i = 0; i < nr; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return rc ? rc : worst;
}

enum nhir_rc nhir_ingest_path(struct nhir_store *st,
			      const struct nhir_tele_format *fmt,
			      const char *path, const char *actor,
			      nhir_ingest_progress_cb progress, void *pdata,
			      struct nhir_ingest_result *res,
			      struct nhir_err *err)
{
	struct keyset seen = { NULL, 0, 0 };
	enum nhir_rc rc = ingest_path(st, fmt, path, actor, progress, pdata,
				      &seen, res, err);

	keyset_clear(&seen);
	return rc;
}
