/*
 * The telemetry runner: walks files, reads them as a stream (plain or
 * gzip) with bounded memory, cuts records out of JSON Lines, a JSON
 * array, or a {"Records": [...]} delivery file, and hands each to the
 * format in one transaction per file.  While records are handed over
 * (the format and the store, on this thread), a worker thread hashes
 * and parses the next batch of them.  A hunt's first pass loads and
 * searches the next file on a second thread (struct ahead).
 */
/* memfd_create: standard input is kept in an anonymous file */
#define _GNU_SOURCE 1
#include "compat.h"
#include <dirent.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "nhir/buf.h"
#include "nhir/record.h"
#include "core/hash.h"
#include "core/input.h"
#include "ingest/json.h"
#include "ingest/litscan.h"
#include "ingest/prehash.h"
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

/* Names to values, for the whole run (nhir_tele_name_*). */
struct namemap {
	char **k, **v;
	size_t nr, alloc;
};

/* A key a hunt found minted or created in the file being read. */
struct hunt_found {
	size_t idx;		/* in the file's scanner */
	int64_t at;		/* when, or NHIR_TIME_UNSET */
	uint64_t off;		/* the offset of its record */
};

struct hunt_finds {
	struct hunt_found *v;
	size_t nr, alloc;
};

/* Where a record found ahead of time ends (a hunt's second thread). */
struct hunt_cut {
	size_t pos, end;
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
	const char *rec;	/* its bytes, while the format runs */
	char why[160];
	bool why_set;
	uint64_t events, malformed;
	uint64_t lineage;	/* nodes and edges put, this file */
	bool not_log;		/* rejected: not a log of the format */
	bool digest;		/* ... but a digest of such logs */
	bool sniff;		/* stop after the first record */
	struct keyset *seen;	/* lineage already stored in this run */
	struct keyset own_seen;
	struct namemap *names;	/* what the run's records named (below) */
	struct namemap own_names;
	struct nhir_sha256 hash;
	struct nhir_err err;
	bool failed;
	struct pipe *pipe;	/* NULL: each record run when cut */
	bool pipe_failed;	/* a record stored stopped the file */
	struct pipe_batch *log;	/* the worker's: keep, do not store */
	/* a hunt: only records holding one of lits; lineage grows them */
	struct nhir_litscan *lits;
	struct keyset *keynodes;	/* credentials and tokens emitted */
	uint64_t matched;		/* records that held a literal */
	size_t hit, hit_keys;		/* where one occurs next, for how many */
	struct hunt_finds *finds;	/* the keys it added */
	const struct hunt_cut *cuts;	/* records cut ahead, in order */
	size_t cut_nr, cut_i;
	/* where keys may start in the whole input, or NULL */
	const struct nhir_litscan_index *ix;
};

static bool keyset_seen(struct keyset *k, const char *key);
static bool hunt_edge(struct nhir_tele *t, const struct nhir_edge_rec *r);

static void diag(struct nhir_ingest_result *res, const char *path,
		 uint64_t off, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void diag(struct nhir_ingest_result *res, const char *path,
		 uint64_t off, const char *fmt, ...)
{
	struct nhir_ingest_diag one, *d = &one;
	va_list ap;

	if (!res)
		return;
	res->diag_total++;
	if (res->diag_nr < NHIR_INGEST_DIAG_MAX)
		d = &res->diags[res->diag_nr++];
	else if (!res->on_diag)
		return;
	snprintf(d->path, sizeof(d->path), "%s", path);
	d->off = off;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	if (res->on_diag)
		res->on_diag(d, res->diag_data);
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

/* In the pipeline's worker, what the format emits is kept (below). */
static bool keep_event(struct nhir_tele *t, const struct nhir_event *ev);
static bool keep_node(struct nhir_tele *t, const struct nhir_node_rec *r);
static bool keep_edge(struct nhir_tele *t, const struct nhir_edge_rec *r);
static bool keep_end(struct nhir_tele *t, const struct nhir_end_rec *r);

/* Stores an event whose uid and provenance are set. */
static bool put_event(struct nhir_tele *t, const struct nhir_event *ev)
{
	t->events++;
	if (!t->st)
		return true;
	if (nhir_store_put_events(t->st, t->file, ev, 1, &t->err)) {
		t->failed = true;
		return false;
	}
	return true;
}

bool nhir_tele_event(struct nhir_tele *t, struct nhir_event *ev)
{
	/*
	 * The same id with another identity or action is not the same
	 * record (hand-edited test logs reuse ids): both go in the uid.
	 */
	if (ev->uid) {
		ev->uid ^= nhir_hash_str(ev->identity ? ev->identity : "") * 31 +
			   nhir_hash_str(ev->action ? ev->action : "");
	} else {
		/* none in its log: its bytes name it (rare, hashed here) */
		unsigned char d[32];

		nhir_sha256_once(&t->hash, t->rec, t->len, d);
		for (int k = 0; k < 8; k++)
			ev->uid = ev->uid << 8 | d[k];
	}
	ev->offset = t->off;
	ev->len = t->len;
	return t->log ? keep_event(t, ev) : put_event(t, ev);
}

static bool put(struct nhir_tele *t, enum nhir_rc rc, enum nhir_put res)
{
	if (rc == NHIR_OK) {
		if (res != NHIR_PUT_UNCHANGED)
			t->lineage++;
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

	if (t->log)
		return keep_node(t, r);
	if (!t->st)
		return true;
	if (t->keynodes && r->ext_id && (r->kind == NHIR_NODE_CREDENTIAL ||
					 r->kind == NHIR_NODE_TOKEN))
		(void)keyset_seen(t->keynodes, r->ext_id);
	rc = nhir_store_put_node(t->st, r, &res, &t->err);
	return put(t, rc, res);
}

bool nhir_tele_edge(struct nhir_tele *t, const struct nhir_edge_rec *r)
{
	enum nhir_put res = NHIR_PUT_UNCHANGED;

	enum nhir_rc rc;

	if (t->log)
		return keep_edge(t, r);
	if (!t->st)
		return true;
	if (t->lits && !hunt_edge(t, r))
		return false;
	rc = nhir_store_put_edge(t->st, r, &res, &t->err);
	return put(t, rc, res);
}

/* Stores an end fact whose provenance is set. */
static bool put_end(struct nhir_tele *t, const struct nhir_end_rec *r)
{
	enum nhir_put res = NHIR_PUT_UNCHANGED;
	enum nhir_rc rc;

	if (!t->st)
		return true;
	rc = nhir_store_put_end(t->st, r, &res, &t->err);
	return put(t, rc, res);
}

bool nhir_tele_end(struct nhir_tele *t, const struct nhir_end_rec *r)
{
	struct nhir_end_rec e = *r;

	e.file = t->file;
	e.offset = t->off;
	return t->log ? keep_end(t, &e) : put_end(t, &e);
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

void nhir_tele_digest(struct nhir_tele *t)
{
	t->digest = true;
	nhir_tele_malformed(t, "a CloudTrail digest file (hashes of log "
			    "files, no events)");
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
	return keyset_seen(t->seen, key);
}

static bool keyset_seen(struct keyset *k, const char *key)
{
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

/* The slot of name in m, grown first when adding; false if none. */
static bool name_slot(struct namemap *m, const char *name, bool add,
			 size_t *slot)
{
	size_t i;

	if (add && m->nr * 2 >= m->alloc) {
		struct namemap old = *m;
		size_t n = m->alloc ? m->alloc * 2 : 256;

		m->k = nhir_calloc(n, sizeof(char *));
		m->v = nhir_calloc(n, sizeof(char *));
		if (!m->k || !m->v) {
			nhir_free(m->k);
			nhir_free(m->v);
			*m = old;
			return false;
		}
		m->alloc = n;
		for (size_t j = 0; j < old.alloc; j++) {
			if (!old.k[j])
				continue;
			for (i = nhir_hash_str(old.k[j]) & (n - 1); m->k[i];
			     i = (i + 1) & (n - 1))
				;
			m->k[i] = old.k[j];
			m->v[i] = old.v[j];
		}
		nhir_free(old.k);
		nhir_free(old.v);
	}
	if (!m->alloc)
		return false;
	for (i = nhir_hash_str(name) & (m->alloc - 1); m->k[i];
	     i = (i + 1) & (m->alloc - 1))
		if (!strcmp(m->k[i], name))
			break;
	*slot = i;
	return true;
}

bool nhir_tele_name_set(struct nhir_tele *t, const char *name,
			const char *value, bool append)
{
	struct namemap *m = t->names;
	size_t i;
	char *v;

	if (!name_slot(m, name, true, &i))
		return false;
	if (m->k[i] && append && m->v[i]) {
		size_t have = strlen(m->v[i]), n = strlen(value);

		/* each value once: lines of the list */
		for (const char *p = m->v[i]; p; p = strchr(p, '\n')) {
			p += *p == '\n';
			if (!strncmp(p, value, n) && (!p[n] || p[n] == '\n'))
				return true;
		}
		v = nhir_realloc(m->v[i], have + n + 2);
		if (!v)
			return false;
		v[have] = '\n';
		memcpy(v + have + 1, value, n + 1);
		m->v[i] = v;
		return true;
	}
	v = nhir_strdup(value);
	if (!v)
		return false;
	if (!m->k[i]) {
		m->k[i] = nhir_strdup(name);
		if (!m->k[i]) {
			nhir_free(v);
			return false;
		}
		m->nr++;
	}
	nhir_free(m->v[i]);
	m->v[i] = v;
	return true;
}

const char *nhir_tele_name_get(struct nhir_tele *t, const char *name)
{
	struct namemap *m = t->names;
	size_t i;

	if (!name_slot(m, name, false, &i) || !m->k[i])
		return NULL;
	return m->v[i];
}

bool nhir_tele_name_each(struct nhir_tele *t, const char *prefix,
			 bool (*cb)(struct nhir_tele *t, const char *name,
				    const char *value, void *data),
			 void *data)
{
	struct namemap *m = t->names;
	size_t n = strlen(prefix);

	for (size_t i = 0; i < m->alloc; i++)
		if (m->k[i] && !strncmp(m->k[i], prefix, n) &&
		    !cb(t, m->k[i], m->v[i], data))
			return false;
	return true;
}

static void namemap_clear(struct namemap *m)
{
	for (size_t i = 0; i < m->alloc; i++) {
		nhir_free(m->k[i]);
		nhir_free(m->v[i]);
	}
	nhir_free(m->k);
	nhir_free(m->v);
	memset(m, 0, sizeof(*m));
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
	char *buf;			/* mem itself when reading from mem */
	size_t len, cap;
	uint64_t base;
	bool eof;
	bool truncated;
};

static void reader_release(struct reader *r)
{
	if (r->buf != r->mem)
		nhir_free(r->buf);
	r->buf = NULL;
}

/* Drops bytes before keep and reads more; false at end of input. */
static bool refill(struct reader *r, size_t *keep, struct nhir_err *err)
{
	int n;

	if (r->eof)
		return false;
	if (!r->gz) {
		/* the whole input at once, not copied: buf is never written */
		r->buf = (char *)(uintptr_t)r->mem;
		r->len = r->mem_len;
		r->mem_pos = r->mem_len;
		r->eof = true;
		return r->len != 0;
	}
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

/* What a record came to, beyond record()'s 1, 0 and -1. */
#define REC_BAD_JSON (-2)
#define REC_NOT_OBJECT (-3)

/*
 * Settles one record once its events and lineage are stored: rc is
 * record()'s result or REC_*.  Returns false to stop the file.
 */
static bool settle(struct nhir_tele *t, int rc, bool first,
		   struct nhir_err *err)
{
	if (rc == REC_BAD_JSON || rc == REC_NOT_OBJECT) {
		const char *what = rc == REC_BAD_JSON ? "malformed JSON"
						      : "not a JSON object";

		if (first) {
			t->not_log = true;
			nhir_err_set(err, NHIR_EPARSE, "not %s: the first record "
				     "is %s", t->fmt->name, what);
			return false;
		}
		nhir_tele_malformed(t, "%s", what);
		rc = 0;
	}
	if (rc < 0) {
		*err = t->err;
		return false;
	}
	if (rc == 0) {
		if (first) {
			t->not_log = true;
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

/* A line of JSON Lines that is not JSON, skipped. */
static void skip_line(struct nhir_tele *t, uint64_t off, const char *why)
{
	if (t->res)
		diag(t->res, t->path, off, "record skipped: %s", why);
	t->malformed++;
	if (t->res)
		t->res->records++;
}

/*
 * Parses and hands one record at p to the format: its events
 * and lineage go to the store, or to t->log (the pipeline's worker).
 * Returns record()'s result or REC_*.
 */
static int run_record(struct nhir_tele *t, const char *p, size_t len,
		      uint64_t off, bool first)
{
	size_t bad = 0;
	uint64_t replaced = 0;
	cJSON *o;
	int rc;

	t->off = off;
	t->len = (uint32_t)len;
	t->rec = p;
	t->why_set = false;
	nhir_json_init();
	nhir_json_arena_begin();
	o = nhir_json_parse(p, len, &bad, &replaced);
	if (!o && bad < len && nhir_json_nul(p, len) == bad) {
		/* no silent truncation at a NUL: the record is skipped */
		nhir_tele_malformed(t, "a NUL character (\\u0000) in a string, "
				    "at byte %" PRIu64, off + bad);
		rc = 0;
	} else if (!o) {
		rc = REC_BAD_JSON;
	}
	else if (!cJSON_IsObject(o))
		rc = REC_NOT_OBJECT;
	else
		rc = t->fmt->record(t, o, first);
	cJSON_Delete(o);
	nhir_json_arena_end();
	return rc;
}

/*
 * The pipeline.  The reading thread cuts records and copies them into
 * a batch; a full batch goes to the worker, which parses
 * each record and runs the format on it with the store out of reach:
 * the events, nodes and edges it emits are kept in the batch (copied),
 * with its result.  Meanwhile the reading thread stores those of the
 * batch before, in order, and settles each record as if it had just
 * been run: same order, same store calls, same diagnostics.  Only the
 * worker touches the run's set of keys seen while a file is read.
 */
#define PIPE_BYTES (1u << 20)
#define PIPE_RECORDS 2048u

enum op_kind { OP_EVENT, OP_NODE, OP_EDGE, OP_END };

struct pipe_op {
	enum op_kind kind;
	union {
		struct nhir_event ev;
		struct nhir_node_rec node;
		struct nhir_edge_rec edge;
		struct nhir_end_rec end;
	} u;
};

struct pipe_rec {
	size_t at;		/* in data */
	uint32_t len;
	uint64_t off;		/* in the stream */
	bool first;
	char *skip;		/* a skipped line: why */
	/* from the worker */
	int rc;
	char *why;		/* when record() said why */
	bool digest;		/* record() said: a digest file */
	size_t op, op_nr;	/* in ops */
};

/* Strings copied for a batch: blocks that do not move. */
struct pipe_block {
	struct pipe_block *next;
	size_t len, cap;
	char s[];
};

struct pipe_batch {
	char *data;
	size_t len, cap;
	struct pipe_rec *v;
	size_t nr, alloc;
	struct pipe_op *ops;
	size_t op_nr, op_alloc;
	struct pipe_block *blocks;
};

struct pipe {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct pipe_batch b[2];
	int fill;		/* the batch being filled */
	int work;		/* the batch the worker has, or -1 */
	bool busy;		/* it has not finished */
	bool quit;
	struct nhir_tele wt;	/* the worker's: keeps, does not store */
};

static char *batch_strdup(struct pipe_batch *b, const char *s)
{
	size_t n;
	struct pipe_block *k = b->blocks;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	if (!k || k->cap - k->len < n) {
		size_t cap = NHIR_MAX(n, (size_t)1 << 16);

		k = nhir_malloc(sizeof(*k) + cap);
		if (!k)
			return NULL;
		k->next = b->blocks;
		k->len = 0;
		k->cap = cap;
		b->blocks = k;
	}
	memcpy(k->s + k->len, s, n);
	k->len += n;
	return k->s + k->len - n;
}

/* Copies the strings of one kept call; false: out of memory. */
#define KEEP(b, field) \
	(!(field) || ((field) = batch_strdup((b), (field))) != NULL)

static struct pipe_op *batch_op(struct nhir_tele *t, enum op_kind kind)
{
	struct pipe_batch *b = t->log;
	struct pipe_op *op;

	if (NHIR_ALLOC_GROW(b->ops, b->op_nr + 1, b->op_alloc)) {
		nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	op = &b->ops[b->op_nr++];
	op->kind = kind;
	return op;
}

static bool keep_event(struct nhir_tele *t, const struct nhir_event *ev)
{
	struct pipe_op *op = batch_op(t, OP_EVENT);
	struct nhir_event *e = op ? &op->u.ev : NULL;

	if (!e)
		return false;
	*e = *ev;
	if (KEEP(t->log, e->source) && KEEP(t->log, e->actor_key) &&
	    KEEP(t->log, e->identity) && KEEP(t->log, e->action) &&
	    KEEP(t->log, e->target) && KEEP(t->log, e->src_ip) &&
	    KEEP(t->log, e->user_agent) && KEEP(t->log, e->region) &&
	    KEEP(t->log, e->outcome))
		return true;
	nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
	return false;
}

static bool keep_node(struct nhir_tele *t, const struct nhir_node_rec *r)
{
	struct pipe_op *op = batch_op(t, OP_NODE);
	struct nhir_node_rec *n = op ? &op->u.node : NULL;

	if (!n)
		return false;
	*n = *r;
	if (KEEP(t->log, n->ext_id) && KEEP(t->log, n->name) &&
	    KEEP(t->log, n->subtype) && KEEP(t->log, n->provider) &&
	    KEEP(t->log, n->attrs))
		return true;
	nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
	return false;
}

static bool keep_edge(struct nhir_tele *t, const struct nhir_edge_rec *r)
{
	struct pipe_op *op = batch_op(t, OP_EDGE);
	struct nhir_edge_rec *e = op ? &op->u.edge : NULL;

	if (!e)
		return false;
	*e = *r;
	if (KEEP(t->log, e->src) && KEEP(t->log, e->dst) &&
	    KEEP(t->log, e->attrs))
		return true;
	nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
	return false;
}

static bool keep_end(struct nhir_tele *t, const struct nhir_end_rec *r)
{
	struct pipe_op *op = batch_op(t, OP_END);
	struct nhir_end_rec *e = op ? &op->u.end : NULL;

	if (!e)
		return false;
	*e = *r;
	if (KEEP(t->log, e->node) && KEEP(t->log, e->subtype) &&
	    KEEP(t->log, e->provider) && KEEP(t->log, e->cause) &&
	    KEEP(t->log, e->event_id) && KEEP(t->log, e->event_name))
		return true;
	nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
	return false;
}

static void batch_clear(struct pipe_batch *b)
{
	struct pipe_block *k = b->blocks;

	for (size_t i = 0; i < b->nr; i++)
		nhir_free(b->v[i].skip);
	/* keep the newest block for the next batch */
	if (k) {
		struct pipe_block *n = k->next;

		k->next = NULL;
		k->len = 0;
		while (n) {
			struct pipe_block *x = n->next;

			nhir_free(n);
			n = x;
		}
	}
	b->nr = b->len = b->op_nr = 0;
}

/* Runs the format on every record of batch b, keeping what it emits. */
static void batch_run(struct pipe *p, struct pipe_batch *b)
{
	struct nhir_tele *t = &p->wt;

	t->log = b;
	for (size_t i = 0; i < b->nr; i++) {
		struct pipe_rec *r = &b->v[i];

		if (r->skip)
			continue;
		r->op = b->op_nr;
		r->rc = run_record(t, b->data + r->at, r->len, r->off,
				   r->first);
		r->op_nr = b->op_nr - r->op;
		r->digest = t->digest;
		t->digest = false;
		r->why = NULL;
		if (t->why_set && !(r->why = batch_strdup(b, t->why)))
			r->rc = -1;	/* out of memory: stops the file */
		if (r->rc == -1 && !t->err.rc)
			nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
	}
	t->log = NULL;
}

static void *pipe_worker(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && !p->busy)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		pthread_mutex_unlock(&p->mu);
		batch_run(p, &p->b[p->work]);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	nhir_json_arena_free();	/* this thread's */
	return NULL;
}

static void pipe_wait(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* A worker for a run; NULL (one record at a time) if none starts. */
static struct pipe *pipe_start(void)
{
	struct pipe *p = nhir_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->work = -1;
	if (!nhir_sha256_init(&p->wt.hash)) {
		nhir_free(p);
		return NULL;
	}
	nhir_json_init();	/* before the worker parses */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, pipe_worker, p)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		nhir_sha256_release(&p->wt.hash);
		nhir_free(p);
		return NULL;
	}
	return p;
}

static void pipe_stop(struct pipe *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	nhir_sha256_release(&p->wt.hash);
	for (int i = 0; i < 2; i++) {
		batch_clear(&p->b[i]);
		nhir_free(p->b[i].blocks);
		nhir_free(p->b[i].data);
		nhir_free(p->b[i].v);
		nhir_free(p->b[i].ops);
	}
	nhir_free(p);
}

/* The worker (idle between files) runs the format for t's file next. */
static void pipe_file(struct pipe *p, const struct nhir_tele *t)
{
	p->wt.fmt = t->fmt;
	p->wt.path = t->path;
	p->wt.file = t->file;
	p->wt.seen = t->seen;
	p->wt.names = t->names;
	p->wt.err = (struct nhir_err)NHIR_ERR_INIT;
	p->work = -1;
	p->fill = 0;
}

/* Stores what the records of batch i emitted and settles each, in order. */
static bool pipe_use(struct nhir_tele *t, int i, struct nhir_err *err)
{
	struct pipe_batch *b = &t->pipe->b[i];
	bool ok = true;

	for (size_t k = 0; ok && k < b->nr; k++) {
		struct pipe_rec *r = &b->v[k];
		int rc = r->rc;

		if (r->skip) {
			skip_line(t, r->off, r->skip);
			continue;
		}
		t->off = r->off;
		t->len = r->len;
		t->why_set = r->why != NULL;
		t->digest = t->digest || r->digest;
		if (r->why)
			snprintf(t->why, sizeof(t->why), "%s", r->why);
		if (t->res)
			t->res->records++;
		if (rc == -1)
			t->err = t->pipe->wt.err;
		for (size_t o = r->op; rc != -1 && o < r->op + r->op_nr; o++) {
			struct pipe_op *op = &b->ops[o];
			bool stored;

			if (op->kind == OP_EVENT)
				stored = put_event(t, &op->u.ev);
			else if (op->kind == OP_NODE)
				stored = nhir_tele_node(t, &op->u.node);
			else if (op->kind == OP_END)
				stored = put_end(t, &op->u.end);
			else
				stored = nhir_tele_edge(t, &op->u.edge);
			if (!stored)
				rc = -1;
		}
		ok = settle(t, rc, r->first, err);
	}
	if (!ok)
		t->pipe_failed = true;
	batch_clear(b);
	return ok;
}

/*
 * The filled batch goes to the worker once it is done with the one it
 * has, which is then stored here.
 */
static bool pipe_turn(struct nhir_tele *t, struct nhir_err *err)
{
	struct pipe *p = t->pipe;
	int done;

	pipe_wait(p);
	done = p->work;
	pthread_mutex_lock(&p->mu);
	p->work = p->fill;
	p->busy = p->b[p->fill].nr != 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	p->fill = 1 - p->fill;
	return done < 0 || pipe_use(t, done, err);
}

/* Queues a copy of a record, or a skipped line (why non-NULL). */
static bool pipe_add(struct nhir_tele *t, const char *rec, size_t len,
		     uint64_t off, bool first, const char *why,
		     struct nhir_err *err)
{
	struct pipe_batch *b = &t->pipe->b[t->pipe->fill];
	struct pipe_rec *r;

	if (NHIR_ALLOC_GROW(b->v, b->nr + 1, b->alloc) ||
	    NHIR_ALLOC_GROW(b->data, b->len + len, b->cap))
		goto oom;
	r = &b->v[b->nr];
	memset(r, 0, sizeof(*r));
	r->at = b->len;
	r->len = (uint32_t)len;
	r->off = off;
	r->first = first;
	if (why && !(r->skip = nhir_strdup(why)))
		goto oom;
	if (len)
		memcpy(b->data + b->len, rec, len);
	b->len += len;
	b->nr++;
	if (b->len >= PIPE_BYTES || b->nr >= PIPE_RECORDS)
		return pipe_turn(t, err);
	return true;
oom:
	nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	t->off = off;
	t->pipe_failed = true;
	return false;
}

/* Everything queued is stored. */
static bool pipe_drain(struct nhir_tele *t, struct nhir_err *err)
{
	return pipe_turn(t, err) && pipe_turn(t, err);
}

/*
 * Does the record at buf[pos..end) hold one of the hunt's keys?  With
 * the whole input in buf, the next place a key occurs is found once
 * and kept, so the records before it cost a comparison; it is found
 * again past it (keys join while a record is handled, so before the
 * next search), and whenever keys joined: from the places of the
 * input's index that may start a key, when it has one.
 */
static bool holds_key(struct nhir_tele *t, const struct reader *r,
		      size_t pos, size_t end)
{
	size_t m;

	if (r->gz)
		return nhir_litscan_find(t->lits, r->buf + pos, end - pos,
					 NULL) != SIZE_MAX;
	if (t->hit_keys != nhir_litscan_count(t->lits) || t->hit < pos) {
		m = nhir_litscan_find_from(t->lits, t->ix, r->buf, r->len, pos,
					   NULL);
		t->hit = m;
		t->hit_keys = nhir_litscan_count(t->lits);
	}
	return t->hit < end;
}

/* Handles one record at buf[pos..end). Returns false to stop the file. */
static bool one_record(struct nhir_tele *t, struct reader *r, size_t pos,
		       size_t end, bool first, struct nhir_err *err)
{
	int rc;

	if (t->lits && !holds_key(t, r, pos, end))
		return true;	/* a hunt: not a record of its keys */
	t->matched++;
	if (t->pipe)
		return pipe_add(t, r->buf + pos, end - pos, r->base + pos,
				first, NULL, err);
	rc = run_record(t, r->buf + pos, end - pos, r->base + pos, first);
	if (t->res)
		t->res->records++;
	return settle(t, rc, first, err);
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
static enum nhir_rc scan_records(struct nhir_tele *t, struct reader *r,
				 uint64_t *err_off, struct nhir_err *err)
{
	size_t pos = 0, keep = 0, end;
	enum layout layout = L_LINES;
	bool first = true;

	/* a UTF-8 byte order mark (editors on Windows write one) */
	while (r->len < 3 && refill(r, &keep, err))
		;
	if (r->len >= 3 && !memcmp(r->buf, "\xef\xbb\xbf", 3))
		pos = 3;
	if (!skip_ws(r, &pos, &keep, err))
		goto ended;
	if (r->buf[pos] == '[') {
		layout = L_ARRAY;
		pos++;
	} else if (r->buf[pos] == '{') {
		/*
		 * {"Records": [ ... ]} (CloudTrail's delivery files),
		 * {"Events": [ ... ]} (aws cloudtrail lookup-events) or
		 * {"records": [ ... ]} (Azure diagnostic logs): look at the
		 * first member name.
		 */
		size_t p = pos + 1, kl = 0;
		static const char key[] = "\"Records\"", key2[] = "\"Events\"",
				  key3[] = "\"records\"";

		while (r->len - pos < 64 && refill(r, &keep, err))
			;
		while (p < r->len && is_ws(r->buf[p]))
			p++;
		if (r->len - p >= sizeof(key) - 1 &&
		    !memcmp(r->buf + p, key, sizeof(key) - 1))
			kl = sizeof(key) - 1;
		else if (r->len - p >= sizeof(key2) - 1 &&
			 !memcmp(r->buf + p, key2, sizeof(key2) - 1))
			kl = sizeof(key2) - 1;
		else if (r->len - p >= sizeof(key3) - 1 &&
			 !memcmp(r->buf + p, key3, sizeof(key3) - 1))
			kl = sizeof(key3) - 1;
		if (kl) {
			p += kl;
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
		t->not_log = true;
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
		/* a record the hunt's second thread cut where this one starts */
		while (t->cut_i < t->cut_nr && t->cuts[t->cut_i].pos < pos)
			t->cut_i++;
		if (t->cut_i < t->cut_nr && t->cuts[t->cut_i].pos == pos) {
			end = t->cuts[t->cut_i++].end;
			je = NHIR_JSON_COMPLETE;
		} else {
			je = nhir_json_value_end(r->buf, r->len, pos, &end,
						 &bad, err);
		}
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
			if (!t->pipe)
				skip_line(t, r->base + bad, err->msg);
			else if (!pipe_add(t, "", 0, r->base + bad, false,
					   err->msg, err))
				return err->rc;
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
			t->not_log = true;
			return nhir_err_set(err, NHIR_EPARSE, "not %s: not JSON",
					    t->fmt->name);
		}
		if (!one_record(t, r, pos, end, first, err)) {
			*err_off = t->off;
			return err->rc ? err->rc : NHIR_EPARSE;
		}
		if (t->sniff)
			return NHIR_OK;	/* the format is recognised */
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
		t->not_log = true;
		return nhir_err_set(err, NHIR_EPARSE, "no records");
	}
	return NHIR_OK;
}

/*
 * Cuts records and hands them over.  With the pipeline, the records
 * queued when the cutting ends are handed over first: a record that
 * stops the file wins over what the cutting found after it.
 */
static enum nhir_rc scan(struct nhir_tele *t, struct reader *r,
			 uint64_t *err_off, struct nhir_err *err)
{
	enum nhir_rc rc = scan_records(t, r, err_off, err);
	struct nhir_err cut = *err;
	uint64_t cut_off = *err_off;

	if (!t->pipe || t->pipe_failed) {
		if (t->pipe_failed)
			*err_off = t->off;
		return rc;
	}
	if (!pipe_drain(t, err)) {
		*err_off = t->off;
		return err->rc ? err->rc : NHIR_EPARSE;
	}
	if (rc) {
		*err = cut;
		*err_off = cut_off;
	}
	return rc;
}

static void tele_release(struct nhir_tele *t)
{
	keyset_clear(&t->own_seen);
	namemap_clear(&t->own_names);
	nhir_sha256_release(&t->hash);
}

enum nhir_rc nhir_tele_parse_buffer(const struct nhir_tele_format *fmt,
				    const char *data, size_t len,
				    uint64_t *events, uint64_t *malformed,
				    struct nhir_err *err)
{
	struct nhir_err own = NHIR_ERR_INIT;
	struct nhir_tele t;
	struct reader r;
	uint64_t off = 0;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* the scan reads back what it set */
	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	t.fmt = fmt;
	t.path = "input";
	t.seen = &t.own_seen;
	t.names = &t.own_names;
	if (!nhir_sha256_init(&t.hash))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	r.mem = data;
	r.mem_len = len;
	rc = scan(&t, &r, &off, err);
	*events = t.events;
	*malformed = t.malformed;
	reader_release(&r);
	tele_release(&t);
	return rc;
}

/*
 * Reads path up to its first record and asks the format whether it is
 * one of its logs, storing nothing: a file that is not (a 10 GB dump
 * named as CloudTrail) is rejected after its first bytes, before the
 * whole of it is hashed.  Returns what the full read would return for
 * that first record, with *not_log, *digest and *off set as it would
 * set them; or NHIR_EIO with *opened false when path cannot be opened.
 */
static enum nhir_rc sniff(const struct nhir_tele_format *fmt,
			  const char *path, bool *opened, bool *not_log,
			  bool *digest, uint64_t *off, struct nhir_err *err)
{
	struct nhir_tele t;
	struct reader r;
	enum nhir_rc rc;

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	t.fmt = fmt;
	t.path = path;
	t.seen = &t.own_seen;
	t.names = &t.own_names;
	t.sniff = true;
	*opened = *not_log = *digest = false;
	*off = 0;
	if (!nhir_sha256_init(&t.hash))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	r.gz = gzopen(path, "rb");
	if (!r.gz) {
		tele_release(&t);
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
				    path, strerror(errno));
	}
	*opened = true;
	rc = scan_records(&t, &r, off, err);
	*not_log = t.not_log;
	*digest = t.digest;
	gzclose(r.gz);
	reader_release(&r);
	tele_release(&t);
	return rc;
}

/*
 * What a run keeps across its files.  Files are stored a group at a
 * time: one transaction for about GROUP_BYTES of input, each file in it
 * a part undone alone when the file is rejected.  Pages written by
 * many files (index pages above all) are then written once per group,
 * not once per file.  A crash loses the group, whose files the next
 * run ingests again.
 */
#define GROUP_BYTES (128u << 20)

struct run {
	struct keyset seen;	/* lineage stored in this run */
	struct namemap names;	/* what its records named */
	struct pipe *pipe;	/* the worker, started with the first file */
	struct nhir_prehash *prehash;	/* the next file's hash, taken ahead */
	const char *next;	/* the file after this one in its directory */
	bool tx;		/* a group is open */
	uint64_t tx_bytes;
	int64_t first_file;	/* the run's first file id, 0 before it */
	struct nhir_ingest_result pending;	/* counted, not committed */
	const char *format, *path, *actor;	/* for the audit entry */
	struct nhir_ctx ctx;	/* the caller's, acting as actor */
	const char *const *keys;	/* a hunt's keys, NULL: an ingest */
	size_t key_nr;
	struct run_dir {
		dev_t dev;
		ino_t ino;
	} *dirs;		/* the directories read, against link loops */
	size_t dirs_nr, dirs_alloc;
};

/*
 * The group's audit entry, in the group's transaction: what is
 * committed is on the record, and what is on the record was committed.
 */
static enum nhir_rc audit_group(struct nhir_store *st, const struct run *run,
				struct nhir_err *err)
{
	const struct nhir_ingest_result *p = &run->pending;
	cJSON *d;
	enum nhir_rc rc;

	if (!p->files && !p->events && !p->lineage)
		return NHIR_OK;
	d = cJSON_CreateObject();
	if (!d)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_AddStringToObject(d, "format", run->format);
	if (run->keys) {
		cJSON *keys = cJSON_AddArrayToObject(d, "keys");

		for (size_t i = 0; keys && i < run->key_nr; i++)
			cJSON_AddItemToArray(keys,
					     cJSON_CreateString(run->keys[i]));
	} else {
		cJSON_AddStringToObject(d, "path", run->path);
	}
	cJSON_AddNumberToObject(d, "files", (double)p->files);
	cJSON_AddNumberToObject(d, "events", (double)p->events);
	cJSON_AddNumberToObject(d, "lineage", (double)p->lineage);
	cJSON_AddNumberToObject(d, "skipped", (double)p->malformed);
	rc = nhir_audit_append(&run->ctx, run->keys ? "hunt" : "ingest", 0, d,
			       err);
	cJSON_Delete(d);
	return rc;
}

/* Commits the open group; if that fails, its files are not counted. */
static enum nhir_rc run_commit(struct nhir_store *st, struct run *run,
			       struct nhir_ingest_result *res,
			       struct nhir_err *err)
{
	enum nhir_rc rc;

	if (!run->tx)
		return NHIR_OK;
	run->tx = false;
	rc = audit_group(st, run, err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	else
		nhir_store_rollback(st);
	if (rc) {
		res->files -= run->pending.files;
		res->events -= run->pending.events;
		res->duplicates -= run->pending.duplicates;
		res->dup_run -= run->pending.dup_run;
		res->repeated -= run->pending.repeated;
		res->malformed -= run->pending.malformed;
		res->lineage -= run->pending.lineage;
		keyset_clear(&run->seen);
	}
	memset(&run->pending, 0, sizeof(run->pending));
	return rc;
}

static enum nhir_rc ingest_file(struct nhir_store *st,
				const struct nhir_tele_format *fmt,
				const char *path, const char *name,
				const char *actor, bool in_dir,
				struct run *run,
				struct nhir_ingest_result *res,
				struct nhir_err *err)
{
	struct keyset *seen = &run->seen;
	struct pipe **pipe = &run->pipe;
	struct nhir_tele t;
	struct reader r;
	struct nhir_err ferr = NHIR_ERR_INIT;
	char hex[65];
	uint64_t size, off = 0, ndup;
	struct nhir_dups dups;
	int64_t id = 0;
	enum nhir_rc rc;
	bool opened, not_log, digest;

	rc = sniff(fmt, path, &opened, &not_log, &digest, &off, &ferr);
	if (rc && (!opened || rc == NHIR_ENOMEM)) {
		*err = ferr;
		return rc;
	}
	if (rc && in_dir && not_log) {
		/* a README beside the logs: said, not held against the run */
		if (digest) {
			res->digests_skipped++;
		} else {
			res->files_skipped++;
			diag(res, name, off, "file skipped: %s", ferr.msg);
		}
		return NHIR_OK;
	}
	if (rc) {
		/* the file is rejected whole; the run goes on */
		res->files_failed++;
		diag(res, name, off, "file rejected: %s", ferr.msg);
		return NHIR_EPARSE;
	}
	off = 0;
	ferr = (struct nhir_err)NHIR_ERR_INIT;
	rc = nhir_prehash_take(run->prehash, path, hex, &size, err);
	if (rc)
		return rc;
	if (run->next)
		nhir_prehash_post(&run->prehash, run->next);
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
	t.path = name;
	t.seen = seen;
	t.names = &run->names;
	if (!nhir_sha256_init(&t.hash))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	r.gz = gzopen(path, "rb");
	if (!r.gz) {
		tele_release(&t);
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	}
	gzbuffer(r.gz, 256 * 1024);
	if (!run->tx) {
		rc = nhir_store_begin(st, err);
		if (rc)
			goto out;
		run->tx = true;
		run->tx_bytes = 0;
	}
	rc = nhir_store_savepoint(st, err);
	if (!rc) {
		rc = nhir_store_file_add(st, name, hex, size, fmt->name, actor,
					 run->first_file, &t.file, err);
		if (rc)
			nhir_store_rollback_to(st);
		else if (!run->first_file)
			run->first_file = t.file;
	}
	if (rc)
		goto out;
	if (!*pipe)
		*pipe = pipe_start();	/* else one record at a time */
	t.pipe = *pipe;
	if (t.pipe)
		pipe_file(t.pipe, &t);
	rc = scan(&t, &r, &off, &ferr);
	if (t.pipe) {
		/* what the file left queued (it stopped early) is dropped */
		pipe_wait(t.pipe);
		batch_clear(&t.pipe->b[0]);
		batch_clear(&t.pipe->b[1]);
	}
	if (t.failed || rc == NHIR_ENOMEM) {
		/* the store or memory failed: the run stops */
		*err = t.failed ? t.err : ferr;
		rc = err->rc ? err->rc : NHIR_ESTORE;
		nhir_store_rollback_to(st);
		keyset_clear(seen);
		goto out;
	}
	if (rc && in_dir && t.not_log) {
		/* a README beside the logs: said, not held against the run */
		nhir_store_rollback_to(st);
		keyset_clear(seen);
		if (t.digest) {
			/* expected beside the logs: counted, no problem */
			res->digests_skipped++;
		} else {
			res->files_skipped++;
			diag(res, name, off, "file skipped: %s", ferr.msg);
		}
		rc = NHIR_OK;
		goto out;
	}
	if (rc) {
		/* the file is rejected whole; the run goes on */
		nhir_store_rollback_to(st);
		keyset_clear(seen);	/* its lineage is gone with it */
		res->files_failed++;
		diag(res, name, off, "file rejected: %s", ferr.msg);
		rc = NHIR_EPARSE;
		goto out;
	}
	rc = nhir_store_file_done(st, t.file, t.events, t.malformed, &dups,
				  err);
	if (!rc)
		rc = nhir_store_release(st, err);
	if (rc) {
		nhir_store_rollback_to(st);
		keyset_clear(seen);
		goto out;
	}
	ndup = dups.before + dups.run + dups.repeated;
	res->files++;
	res->events += t.events - ndup;
	res->duplicates += dups.before;
	res->dup_run += dups.run;
	res->repeated += dups.repeated;
	res->malformed += t.malformed;
	res->lineage += t.lineage;
	run->pending.files++;
	run->pending.events += t.events - ndup;
	run->pending.duplicates += dups.before;
	run->pending.dup_run += dups.run;
	run->pending.repeated += dups.repeated;
	run->pending.malformed += t.malformed;
	run->pending.lineage += t.lineage;
	run->tx_bytes += size;
	if (run->tx_bytes >= GROUP_BYTES)
		rc = run_commit(st, run, res, err);
out:
	res->bytes += r.base + r.len;
	gzclose(r.gz);
	reader_release(&r);
	tele_release(&t);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * What a walk (ingest or hunt) does with path once it is stat'ed as sb:
 * NHIR_OK to read it (a directory is noted as read) or, with *skip set,
 * not (a FIFO or device in a directory, a directory already read through
 * a link loop: said); or the error for a non-regular file named on its
 * own.
 */
static enum nhir_rc walk_admit(const char *path, const struct stat *sb,
			       bool in_dir, struct run *run,
			       struct nhir_ingest_result *res, bool *skip,
			       struct nhir_err *err)
{
	*skip = false;
	if (!S_ISDIR(sb->st_mode) && !S_ISREG(sb->st_mode)) {
		/* a FIFO or /dev/zero would be read for ever */
		if (!in_dir)
			return nhir_err_set(err, NHIR_EINVAL, "'%s' is %s, not "
					    "a regular file", path,
					    nhir_file_kind(sb->st_mode));
		res->files_skipped++;
		diag(res, path, 0, "skipped: %s, not a regular file",
		     nhir_file_kind(sb->st_mode));
		*skip = true;
		return NHIR_OK;
	}
	if (!S_ISDIR(sb->st_mode))
		return NHIR_OK;
	for (size_t i = 0; i < run->dirs_nr; i++)
		if (run->dirs[i].dev == sb->st_dev &&
		    run->dirs[i].ino == sb->st_ino) {
			res->files_skipped++;
			diag(res, path, 0, "skipped: a directory already read "
			     "in this run (a symbolic link loop), not read "
			     "again");
			*skip = true;
			return NHIR_OK;
		}
	if (NHIR_ALLOC_GROW(run->dirs, run->dirs_nr + 1, run->dirs_alloc))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	run->dirs[run->dirs_nr].dev = sb->st_dev;
	run->dirs[run->dirs_nr].ino = sb->st_ino;
	run->dirs_nr++;
	return NHIR_OK;
}

/*
 * Standard input, read whole into an anonymous file (no name, gone with
 * the process however it ends) before anything is written: a slow
 * writer holds no lock, and the input is then read like a file: sniffed,
 * hashed and scanned.  At most NHIR_MAX_INPUT_LEN bytes: a stream that
 * never ends is stopped there.
 */
static enum nhir_rc spool_stdin(int *out, struct nhir_err *err)
{
	char *chunk = nhir_malloc(CHUNK);
	uint64_t total = 0;
	int in = -1, fd = -1;
	enum nhir_rc rc;
	ssize_t n;

	*out = -1;
	if (!chunk)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = nhir_input_open("-", &in, err);
	if (rc)
		goto out;
	fd = memfd_create("nhir-stdin", MFD_CLOEXEC);
	if (fd < 0) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot keep standard input: "
				  "%s", strerror(errno));
		goto out;
	}
	while ((n = read(in, chunk, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot read standard "
					  "input: %s", strerror(errno));
			goto out;
		}
		total += (uint64_t)n;
		if (total > NHIR_MAX_INPUT_LEN) {
			rc = nhir_err_set(err, NHIR_ETOOBIG, "standard input is "
					  "larger than %zu bytes (give a file)",
					  NHIR_MAX_INPUT_LEN);
			goto out;
		}
		for (ssize_t w, done = 0; done < n; done += w) {
			w = write(fd, chunk + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0) {
				rc = nhir_err_set(err, NHIR_EIO, "cannot keep "
						  "standard input: %s",
						  strerror(errno));
				goto out;
			}
		}
	}
	*out = fd;
	fd = -1;
out:
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	nhir_free(chunk);
	return rc;
}

/* "-": standard input, one file named "stdin" in what is stored. */
static enum nhir_rc ingest_stdin(struct nhir_store *st,
				 const struct nhir_tele_format *fmt,
				 const char *actor,
				 nhir_ingest_progress_cb progress, void *pdata,
				 struct run *run,
				 struct nhir_ingest_result *res,
				 struct nhir_err *err)
{
	char fdpath[64];
	int fd;
	enum nhir_rc rc = spool_stdin(&fd, err);

	if (rc)
		return rc;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	rc = ingest_file(st, fmt, fdpath, "stdin", actor, false, run, res,
			 err);
	close(fd);
	if (progress)
		progress("stdin", res, pdata);
	return rc;
}

static enum nhir_rc ingest_path(struct nhir_store *st,
				const struct nhir_tele_format *fmt,
				const char *path, const char *actor,
				nhir_ingest_progress_cb progress, void *pdata,
				bool in_dir, struct run *run,
				struct nhir_ingest_result *res,
				struct nhir_err *err)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	enum nhir_rc rc = NHIR_OK, worst = NHIR_OK;
	bool skip;
	int serr;

	if (!in_dir && !strcmp(path, "-"))
		return ingest_stdin(st, fmt, actor, progress, pdata, run, res,
				    err);
	serr = stat(path, &sb) ? errno : 0;
	if (serr && in_dir && serr == ELOOP) {
		res->files_skipped++;
		diag(res, path, 0, "skipped: a symbolic link loop, not read");
		return NHIR_OK;
	}
	if (serr && in_dir) {
		/* a dangling link, no permission: the rest is still read */
		res->files_failed++;
		diag(res, path, 0, "file rejected: cannot open it: %s",
		     strerror(serr));
		return NHIR_EPARSE;
	}
	if (serr)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(serr));
	rc = walk_admit(path, &sb, in_dir, run, res, &skip, err);
	if (rc || skip)
		return rc;
	if (!S_ISDIR(sb.st_mode)) {
		rc = ingest_file(st, fmt, path, path, actor, in_dir, run, res,
				 err);
		if (progress)
			progress(path, res, pdata);
		return rc;
	}
	d = opendir(path);
	if (!d)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
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
		if (names[i][strlen(path) + 1] == '.') {
			/* .gitignore, .git/, .DS_Store: said, not read */
			res->files_skipped++;
			diag(res, names[i], 0, "skipped: hidden, not read");
			continue;
		}
		run->next = i + 1 < nr && names[i + 1][strlen(path) + 1] != '.'
				    ? names[i + 1] : NULL;
		rc = ingest_path(st, fmt, names[i], actor, progress, pdata,
				 true, run, res, err);
		if (rc == NHIR_EPARSE) {
			worst = rc;
			rc = NHIR_OK;
		}
	}
	run->next = NULL;
	for (size_t i = 0; i < nr; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return rc ? rc : worst;
}

/*
 * After a run that changed lineage, the graph cache is made again so
 * that the next blast does not pay for it; failing loses nothing.
 */
static void graph_fresh(struct nhir_store *st, struct nhir_ingest_result *res,
			uint64_t lineage_before)
{
	struct nhir_err e = NHIR_ERR_INIT;

	if (res->lineage != lineage_before &&
	    nhir_store_graph_refresh(st, &e))
		snprintf(res->graph_error, sizeof(res->graph_error), "%s",
			 e.msg);
}

/* The end of a run: what it stored is committed with its audit entry. */
static enum nhir_rc run_end(struct nhir_store *st, struct run *run,
			    enum nhir_rc rc, struct nhir_ingest_result *res,
			    struct nhir_err *err)
{
	struct nhir_err cerr = NHIR_ERR_INIT;
	enum nhir_rc crc;

	res->run_first = run->first_file;
	/* the files stored before a failure are kept */
	crc = run_commit(st, run, res, rc ? &cerr : err);
	pipe_stop(run->pipe);
	nhir_prehash_free(run->prehash);
	keyset_clear(&run->seen);
	namemap_clear(&run->names);
	nhir_free(run->dirs);
	return rc ? rc : crc;
}

enum nhir_rc nhir_ingest_upload(const struct nhir_ctx *ctx,
				const struct nhir_tele_format *fmt,
				const char *path, const char *name,
				struct nhir_ingest_result *res,
				struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_err own = NHIR_ERR_INIT;
	struct stat sb;
	struct run run;
	uint64_t lineage;
	enum nhir_rc rc;

	if (!err)
		err = &own;
	rc = nhir_authorize_data(ctx, "ingest", err);
	if (rc)
		return rc;
	if (stat(path, &sb))
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", name,
				    strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is %s, not a "
				    "regular file", name,
				    nhir_file_kind(sb.st_mode));
	memset(&run, 0, sizeof(run));
	run.first_file = res->run_first;
	run.format = fmt->name;
	run.path = name;
	run.actor = actor ? actor : "nhir";
	run.ctx = *ctx;
	run.ctx.actor = run.actor;
	lineage = res->lineage;
	rc = ingest_file(st, fmt, path, name, actor, false, &run, res, err);
	rc = run_end(st, &run, rc, res, err);
	graph_fresh(st, res, lineage);
	return rc;
}

void nhir_ingest_result_add(struct nhir_ingest_result *to,
			    const struct nhir_ingest_result *from)
{
	to->files += from->files;
	to->files_seen += from->files_seen;
	to->files_failed += from->files_failed;
	to->files_skipped += from->files_skipped;
	to->digests_skipped += from->digests_skipped;
	to->bytes += from->bytes;
	to->records += from->records;
	to->events += from->events;
	to->malformed += from->malformed;
	to->duplicates += from->duplicates;
	to->dup_run += from->dup_run;
	to->repeated += from->repeated;
	to->lineage += from->lineage;
	for (size_t i = 0; i < from->diag_nr; i++)
		if (to->diag_nr < NHIR_INGEST_DIAG_MAX)
			to->diags[to->diag_nr++] = from->diags[i];
	to->diag_total += from->diag_total;
	if (from->graph_error[0])
		snprintf(to->graph_error, sizeof(to->graph_error), "%s",
			 from->graph_error);
}

enum nhir_rc nhir_ingest_path(const struct nhir_ctx *ctx,
			      const struct nhir_tele_format *fmt,
			      const char *path,
			      nhir_ingest_progress_cb progress, void *pdata,
			      struct nhir_ingest_result *res,
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_err own = NHIR_ERR_INIT;
	struct run run;
	uint64_t lineage;
	enum nhir_rc rc;

	if (!err)
		err = &own;	/* the scan reads back what it set */
	rc = nhir_authorize_data(ctx, "ingest", err);
	if (rc)
		return rc;
	memset(&run, 0, sizeof(run));
	run.first_file = res->run_first;
	run.format = fmt->name;
	run.path = path;
	run.actor = actor ? actor : "nhir";
	run.ctx = *ctx;
	run.ctx.actor = run.actor;
	lineage = res->lineage;
	rc = ingest_path(st, fmt, path, actor, progress, pdata, false, &run,
			 res, err);
	rc = run_end(st, &run, rc, res, err);
	graph_fresh(st, res, lineage);
	return rc;
}

/*
 * Hunts.  Each file is searched for the literals first (a file without
 * any is never cut into records), then cut like an ingest, and only the
 * records holding a literal are parsed and stored, with the same
 * provenance, de-duplication and lineage.  A credential minted or
 * created by one of the keys joins the literals at once; the files read
 * before it joined are read again for it, until no key is added.
 */
static bool keyset_has(const struct keyset *k, const char *key)
{
	if (!k->alloc)
		return false;
	for (size_t i = nhir_hash_str(key) & (k->alloc - 1); k->v[i];
	     i = (i + 1) & (k->alloc - 1))
		if (!strcmp(k->v[i], key))
			return true;
	return false;
}

static bool hunt_edge(struct nhir_tele *t, const struct nhir_edge_rec *r)
{
	size_t n, before;

	if ((r->kind != NHIR_EDGE_ISSUED && r->kind != NHIR_EDGE_CREATED) ||
	    !r->src || !r->dst || !t->keynodes ||
	    !keyset_has(t->keynodes, r->dst))
		return true;
	n = strlen(r->dst);
	if (!n || n > NHIR_LITSCAN_MAX_LEN ||
	    !nhir_litscan_has(t->lits, r->src, strlen(r->src)))
		return true;
	before = nhir_litscan_count(t->lits);
	if (nhir_litscan_add(t->lits, r->dst, n, &t->err))
		goto fail;
	if (!t->finds || nhir_litscan_count(t->lits) == before)
		return true;
	if (NHIR_ALLOC_GROW(t->finds->v, t->finds->nr + 1, t->finds->alloc)) {
		nhir_err_set(&t->err, NHIR_ENOMEM, "out of memory");
		goto fail;
	}
	t->finds->v[t->finds->nr].idx = before;
	t->finds->v[t->finds->nr].at = r->created;
	t->finds->v[t->finds->nr].off = t->off;
	t->finds->nr++;
	return true;
fail:
	t->failed = true;
	return false;
}

/* The files under path (name order, hidden entries left out). */
static enum nhir_rc hunt_list(const char *path, bool in_dir, struct run *run,
			      struct nhir_ingest_result *res, char ***v,
			      size_t *nr, size_t *alloc, struct nhir_err *err)
{
	struct stat sb;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, na = 0;
	enum nhir_rc rc = NHIR_OK;
	bool skip;
	DIR *d;

	/* as an ingest walks: link loops and FIFOs said and skipped */
	if (stat(path, &sb)) {
		if (in_dir && errno == ELOOP) {
			res->files_skipped++;
			diag(res, path, 0, "skipped: a symbolic link loop, "
			     "not read");
			return NHIR_OK;
		}
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	}
	rc = walk_admit(path, &sb, in_dir, run, res, &skip, err);
	if (rc || skip)
		return rc;
	if (!S_ISDIR(sb.st_mode)) {
		if (NHIR_ALLOC_GROW(*v, *nr + 1, *alloc))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		(*v)[*nr] = nhir_strdup(path);
		if (!(*v)[*nr])
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		(*nr)++;
		return NHIR_OK;
	}
	d = opendir(path);
	if (!d)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	while (!rc && (de = readdir(d))) {
		size_t len = strlen(path) + strlen(de->d_name) + 2;

		if (de->d_name[0] == '.')
			continue;
		if (NHIR_ALLOC_GROW(names, n + 1, na) ||
		    !(names[n] = nhir_malloc(len))) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		snprintf(names[n++], len, "%s/%s", path, de->d_name);
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; !rc && i < n; i++)
		rc = hunt_list(names[i], true, run, res, v, nr, alloc, err);
	for (size_t i = 0; i < n; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return rc;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

/*
 * A hunt reads each file whole into one buffer kept for the run (a .gz
 * decompressed, up to HUNT_WHOLE_MAX; larger or broken ones are read
 * as a stream, as an ingest reads them).  The literal search runs over
 * each piece read while it is still in the processor's cache; only a
 * file that holds a key is cut into records.
 */
#define HUNT_WHOLE_MAX ((size_t)128 << 20)
#define HUNT_READ ((size_t)256 << 10)
/*
 * The first pass loads and searches the next files (up to
 * HUNT_AHEAD_SLOTS - 1 ahead) on a second thread while this one handles
 * a file (struct ahead), for files up to HUNT_AHEAD_MAX on disk, a .gz
 * decompressed up to HUNT_AHEAD_GZ; larger ones are loaded when they
 * are handled, so that the files loaded stay small together.  Being a
 * few files ahead keeps either thread from waiting on the other on a
 * busy machine, where each runs when it can.
 */
#define HUNT_AHEAD_SLOTS 4
#define HUNT_AHEAD_MAX ((size_t)8 << 20)
#define HUNT_AHEAD_GZ ((size_t)16 << 20)
/*
 * A CloudTrail file named for its delivery minute holds records of
 * that minute and before; a key minted after it (allowing for clocks
 * this far apart) cannot be used in it.
 */
#define HUNT_SKEW 300
/* The room for the prints of the files read (struct hunt). */
#define HUNT_PRINTS_ROOM ((size_t)32 << 20)

/* A buffer a file is loaded into. */
struct hunt_buf {
	char *buf;
	size_t cap;
	bool map;	/* the SIGBUS handler is set: files may be mapped */
};

struct ahead;

struct hunt {
	struct nhir_store *st;
	const struct nhir_tele_format *fmt;
	const char *actor;
	struct nhir_hunt_result *res;
	struct run run;
	struct keyset keynodes;
	struct nhir_litscan *all;	/* every key searched for */
	int64_t *minted;		/* per key of all, or NHIR_TIME_UNSET */
	size_t minted_alloc;
	struct hunt_finds finds;	/* keys found in the file being read */
	struct hunt_buf own;		/* a file loaded on this thread */
	struct ahead *ahead;		/* NULL: no second thread */
	struct nhir_litscan_index ix;	/* of the file being read */
	struct nhir_litscan_prints *prints;	/* per file, once read */
	size_t prints_room;		/* bytes they may still take */
	size_t cur;			/* the file being read */
};

static bool buf_room(struct hunt_buf *b, size_t want, struct nhir_err *err)
{
	char *nb;

	if (want <= b->cap)
		return true;
	want = NHIR_MAX(want, b->cap * 2);
	nb = nhir_realloc(b->buf, want);
	if (!nb) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return false;
	}
	b->buf = nb;
	b->cap = want;
	return true;
}

/*
 * Searches buf[*done..n), what was read since the last search, for
 * lits: *hit once one is found.  A literal cut by the end of what was
 * read is searched for again when more is read.
 */
static void scan_read(const struct nhir_litscan *lits, const char *buf,
		      size_t n, size_t *done, bool *hit)
{
	if (*hit || n <= *done)
		return;
	if (nhir_litscan_find(lits, buf + *done, n - *done, NULL) !=
	    SIZE_MAX) {
		*hit = true;
		return;
	}
	/* no literal starts before this one: none is longer than the max */
	if (n >= NHIR_LITSCAN_MAX_LEN)
		*done = NHIR_MAX(*done, n - NHIR_LITSCAN_MAX_LEN + 1);
}

/*
 * A plain file is searched through a mapping of it, without copying
 * it; only one that holds a key is copied into the buffer.  A file
 * shortened while it is mapped raises SIGBUS when a page past its new
 * end is read: while a hunt reads a mapping, that jumps back here and
 * the file is read the ordinary way.  Each thread has its own place to
 * jump to; the handler is set for the whole hunt (nhir_hunt()).
 */
static _Thread_local sigjmp_buf map_jmp;
static _Thread_local volatile sig_atomic_t map_armed;

static void on_sigbus(int sig)
{
	if (map_armed)
		siglongjmp(map_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* False: the file could not be searched mapped (read it instead). */
static bool load_mapped(struct hunt_buf *b, int fd, size_t size,
			const struct nhir_litscan *lits, bool *hit)
{
	volatile bool ok = false;
	void *m;

	if (!size)
		return false;
	m = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED)
		return false;
	if (!sigsetjmp(map_jmp, 1)) {
		map_armed = 1;
		*hit = nhir_litscan_find(lits, m, size, NULL) != SIZE_MAX;
		if (*hit)
			memcpy(b->buf, m, size);
		ok = true;
	}
	map_armed = 0;
	munmap(m, size);
	return ok;
}

/* A plain file read whole; *hit: it holds one of lits. */
static enum nhir_rc load_plain(struct hunt_buf *b, const char *path,
			       const struct nhir_litscan *lits, size_t *len,
			       bool *hit, struct nhir_err *err)
{
	size_t done = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	ssize_t n;

	*len = 0;
	*hit = false;
	if (fd < 0 || fstat(fd, &sb)) {
		nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
			     strerror(errno));
		if (fd >= 0)
			close(fd);
		return err->rc;
	}
	if (!buf_room(b, (size_t)sb.st_size + 1, err)) {
		close(fd);
		return err->rc;
	}
	if (b->map && S_ISREG(sb.st_mode) &&
	    (uint64_t)sb.st_size <= SIZE_MAX &&
	    load_mapped(b, fd, (size_t)sb.st_size, lits, hit)) {
		*len = (size_t)sb.st_size;
		close(fd);
		return NHIR_OK;
	}
	*hit = false;
	/* what the file holds now, up to the size it had when opened */
	while (*len < (size_t)sb.st_size &&
	       (n = read(fd, b->buf + *len,
			 NHIR_MIN(HUNT_READ, (size_t)sb.st_size - *len))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				     path, strerror(errno));
			close(fd);
			return err->rc;
		}
		*len += (size_t)n;
		scan_read(lits, b->buf, *len, &done, hit);
	}
	close(fd);
	return NHIR_OK;
}

/*
 * A .gz decompressed whole; *whole false when it is larger than max or
 * does not decompress cleanly (the stream reader then says why, where).
 */
static enum nhir_rc load_gz(struct hunt_buf *b, const char *path,
			    const struct nhir_litscan *lits, size_t max,
			    size_t *len, bool *whole, bool *hit,
			    struct nhir_err *err)
{
	gzFile gz = gzopen(path, "rb");
	int n, zerr = Z_OK;
	size_t done = 0;

	*len = 0;
	*whole = false;
	*hit = false;
	if (!gz)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
				    path, strerror(errno));
	gzbuffer(gz, 256 * 1024);
	for (;;) {
		if (!buf_room(b, *len + HUNT_READ + 1, err)) {
			gzclose(gz);
			return err->rc;
		}
		n = gzread(gz, b->buf + *len, (unsigned)HUNT_READ);
		if (n <= 0)
			break;
		*len += (size_t)n;
		scan_read(lits, b->buf, *len, &done, hit);
		if (*len > max)
			break;
	}
	if (n == 0) {
		gzerror(gz, &zerr);
		*whole = zerr == Z_OK || zerr == Z_STREAM_END;
	}
	gzclose(gz);
	return NHIR_OK;
}

/*
 * A file as loaded: whole in buf[0..len) when whole; hit: it holds a
 * key; cuts: where records in it end, when found ahead.
 */
struct hunt_loaded {
	const char *buf;
	size_t len;
	bool whole, hit;
	const struct hunt_cut *cuts;
	size_t cut_nr;
};

/* Loads path into b, searching it for lits; a .gz whole up to gz_max. */
static enum nhir_rc hunt_load(struct hunt_buf *b, const char *path,
			      const struct nhir_litscan *lits, size_t gz_max,
			      struct hunt_loaded *l, struct nhir_err *err)
{
	enum nhir_rc rc;

	memset(l, 0, sizeof(*l));
	if (has_suffix(path, ".gz")) {
		rc = load_gz(b, path, lits, gz_max, &l->len, &l->whole,
			     &l->hit, err);
	} else {
		l->whole = true;
		rc = load_plain(b, path, lits, &l->len, &l->hit, err);
	}
	l->buf = b->buf;
	return rc;
}

/*
 * The second thread of a hunt's first pass: it loads file i + 1 (and
 * the next few), searches it for the keys known when it starts on it
 * and cuts its records when it holds one, while file i is parsed and
 * stored here.  Keys join on this thread; it hands them over at each
 * file's end (ahead_keys()), and the loader takes them in before its
 * next file.  A file the loader has not started on when its turn comes
 * is taken back and loaded here.  A file it found none of its keys in
 * is searched again here when keys joined since (hunt_first()); one it
 * could not load (too large, broken, gone, out of memory) is loaded
 * here as if there were no second thread, with the same messages.
 */
struct ahead_slot {
	struct hunt_buf b;
	struct hunt_loaded l;
	struct hunt_cut *cuts;
	size_t cut_alloc;
	size_t file;		/* the file loaded */
	size_t keys;		/* how many of the hunt's keys were searched */
	bool full;		/* loaded, not yet handled */
	bool loaded;		/* false: load it when handling it */
};

struct ahead {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **files;
	size_t nr;
	struct ahead_slot slot[HUNT_AHEAD_SLOTS];	/* file i: i % SLOTS */
	struct nhir_litscan *keys;	/* the loader's copy of the keys */
	char **pub;			/* keys handed over, in order */
	size_t pub_nr, pub_alloc, taken;
	size_t next;			/* the next file nobody took */
	bool quit;
};

/*
 * Cuts the records of a loaded file where scan_records() will look for
 * them: after a byte order mark, in a top-level array, in a
 * {"Records": [...]} (or "Events", "records") or one after another.
 * Only a record that ends well is kept; the first one that does not
 * stops it (scan_records() cuts the rest itself, saying what is wrong),
 * and a record that starts elsewhere is cut there as if not found.
 */
/* The first byte from p on in d[0..len) that is not a blank. */
static size_t past_ws(const char *d, size_t len, size_t p)
{
	while (p < len && is_ws(d[p]))
		p++;
	return p;
}

static void ahead_cut(struct ahead_slot *s)
{
	static const char *const keys[] = { "\"Records\"", "\"Events\"",
					    "\"records\"" };
	const char *d = s->l.buf;
	size_t len = s->l.len, pos = 0, end, bad;
	bool list = false;

	s->l.cut_nr = 0;
	if (len >= 3 && !memcmp(d, "\xef\xbb\xbf", 3))
		pos = 3;
	pos = past_ws(d, len, pos);
	if (pos < len && d[pos] == '[') {
		list = true;
		pos++;
	} else if (pos < len && d[pos] == '{') {
		size_t p = pos + 1;

		p = past_ws(d, len, p);
		for (size_t k = 0; k < NHIR_ARRAY_SIZE(keys); k++) {
			size_t kl = strlen(keys[k]), q = p + kl;

			if (len - p < kl || memcmp(d + p, keys[k], kl))
				continue;
			q = past_ws(d, len, q);
			if (q >= len || d[q] != ':')
				break;
			q++;
			q = past_ws(d, len, q);
			if (q < len && d[q] == '[') {
				list = true;
				pos = q + 1;
			}
			break;
		}
	}
	for (;;) {
		struct nhir_err err = NHIR_ERR_INIT;

		pos = past_ws(d, len, pos);
		if (pos >= len || (list && d[pos] == ']') ||
		    nhir_json_value_end(d, len, pos, &end, &bad, &err) !=
		    NHIR_JSON_COMPLETE ||
		    NHIR_ALLOC_GROW(s->cuts, s->l.cut_nr + 1, s->cut_alloc))
			break;
		s->cuts[s->l.cut_nr].pos = pos;
		s->cuts[s->l.cut_nr].end = end;
		s->l.cut_nr++;
		pos = end;
		pos = past_ws(d, len, pos);
		if (list && pos < len && d[pos] == ',')
			pos++;
		else if (list)
			break;
	}
	s->l.cuts = s->cuts;
}

static void *ahead_main(void *arg)
{
	struct ahead *a = arg;

	for (;;) {
		struct ahead_slot *s;
		struct nhir_err err = NHIR_ERR_INIT;
		struct stat sb;
		bool ok = true;
		size_t j;

		pthread_mutex_lock(&a->mu);
		while (!a->quit && a->next < a->nr &&
		       a->slot[a->next % HUNT_AHEAD_SLOTS].full)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->quit || a->next >= a->nr) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		j = a->next++;
		s = &a->slot[j % HUNT_AHEAD_SLOTS];
		for (; ok && a->taken < a->pub_nr; a->taken++)
			ok = !nhir_litscan_add(a->keys, a->pub[a->taken],
					       strlen(a->pub[a->taken]), &err);
		if (!ok) {
			pthread_mutex_unlock(&a->mu);
			break;
		}
		s->keys = nhir_litscan_count(a->keys);
		pthread_mutex_unlock(&a->mu);
		s->loaded = !stat(a->files[j], &sb) && S_ISREG(sb.st_mode) &&
			    (uint64_t)sb.st_size <= HUNT_AHEAD_MAX &&
			    !hunt_load(&s->b, a->files[j], a->keys,
				       HUNT_AHEAD_GZ, &s->l, &err) &&
			    s->l.whole;
		if (s->loaded && s->l.hit)
			ahead_cut(s);
		pthread_mutex_lock(&a->mu);
		s->file = j;
		s->full = true;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
	}
	/* the rest (after a failure) is loaded by the hunt itself */
	pthread_mutex_lock(&a->mu);
	a->quit = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Hands the keys of all the loader has not had yet over to it. */
static enum nhir_rc ahead_keys(struct ahead *a, const struct nhir_litscan *all,
			       struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;
	size_t now = nhir_litscan_count(all);

	pthread_mutex_lock(&a->mu);
	if (NHIR_ALLOC_GROW(a->pub, now, a->pub_alloc))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (; !rc && a->pub_nr < now; a->pub_nr++)
		if (!(a->pub[a->pub_nr] = nhir_strdup(
			      nhir_litscan_key(all, a->pub_nr))))
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	pthread_mutex_unlock(&a->mu);
	return rc;
}

/*
 * File i as the loader left it; NULL when the loader has not started
 * on it (it is behind, on a busy machine, or stopped): the hunt takes
 * it and loads it itself rather than wait.  Only a file the loader is
 * loading now is waited for, and the first (there is nothing else to
 * do until it is loaded).
 */
static struct ahead_slot *ahead_get(struct ahead *a, size_t i)
{
	struct ahead_slot *s = &a->slot[i % HUNT_AHEAD_SLOTS];

	pthread_mutex_lock(&a->mu);
	while (!(s->full && s->file == i)) {
		if ((a->next <= i && i) || a->quit) {
			if (a->next <= i)
				a->next = i + 1;
			pthread_cond_broadcast(&a->cv);
			s = NULL;
			break;
		}
		pthread_cond_wait(&a->cv, &a->mu);
	}
	pthread_mutex_unlock(&a->mu);
	return s;
}

/* Slot s is free for the loader again. */
static void ahead_put(struct ahead *a, struct ahead_slot *s)
{
	pthread_mutex_lock(&a->mu);
	s->full = false;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void ahead_stop(struct ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->mu);
	a->quit = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->th, NULL);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	for (int i = 0; i < HUNT_AHEAD_SLOTS; i++) {
		nhir_free(a->slot[i].b.buf);
		nhir_free(a->slot[i].cuts);
	}
	for (size_t i = 0; i < a->pub_nr; i++)
		nhir_free(a->pub[i]);
	nhir_free(a->pub);
	nhir_litscan_free(a->keys);
	nhir_free(a);
}

/*
 * A loader for files[0..nr), searching for the keys of all and those
 * handed over later; NULL: the hunt loads each file itself.
 */
static struct ahead *ahead_start(char **files, size_t nr,
				 const struct nhir_litscan *all)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct ahead *a;
	bool mu = false, cv = false;

	if (nr < 2 || !(a = nhir_calloc(1, sizeof(*a))))
		return NULL;
	a->files = files;
	a->nr = nr;
	for (int i = 0; i < HUNT_AHEAD_SLOTS; i++)
		a->slot[i].b.map = true;
	if (!(a->keys = nhir_litscan_new()) ||
	    !(mu = !pthread_mutex_init(&a->mu, NULL)) ||
	    !(cv = !pthread_cond_init(&a->cv, NULL)) ||
	    ahead_keys(a, all, &err) ||
	    pthread_create(&a->th, NULL, ahead_main, a)) {
		if (cv)
			pthread_cond_destroy(&a->cv);
		if (mu)
			pthread_mutex_destroy(&a->mu);
		for (size_t i = 0; i < a->pub_nr; i++)
			nhir_free(a->pub[i]);
		nhir_free(a->pub);
		nhir_litscan_free(a->keys);
		nhir_free(a);
		return NULL;
	}
	return a;
}

/*
 * Did a key found in the file at some record occur before that record
 * (records out of time order)?  Those records were not searched for it.
 */
static bool hunt_early(const struct hunt *h, const struct nhir_litscan *use,
		       const char *buf, size_t len,
		       const struct nhir_litscan_index *ix,
		       struct nhir_err *err)
{
	struct nhir_litscan *again = nhir_litscan_new();
	size_t lim = 0, pos = 0, m, which;
	bool early = false;

	if (!again)
		return true;	/* read it again: never wrong */
	for (size_t i = 0; i < h->finds.nr; i++) {
		const char *k = nhir_litscan_key(use, h->finds.v[i].idx);

		if (nhir_litscan_add(again, k, strlen(k), err) ||
		    nhir_litscan_count(again) != i + 1) {
			nhir_litscan_free(again);
			return true;
		}
		lim = NHIR_MAX(lim, (size_t)h->finds.v[i].off);
	}
	lim = NHIR_MIN(len, lim + NHIR_LITSCAN_MAX_LEN);
	while (pos < lim &&
	       (m = nhir_litscan_find_from(again, ix, buf, lim, pos,
					   &which)) != SIZE_MAX) {
		if (m < h->finds.v[which].off) {
			early = true;
			break;
		}
		pos = m + 1;
	}
	nhir_litscan_free(again);
	return early;
}

/*
 * Keeps the prints of file h->cur, loaded whole in buf[0..len) and
 * indexed in h->ix: a later pass looks at them first, and reads the
 * file again only when they say it may hold one of the keys that
 * joined (hunt_passes()).  Up to HUNT_PRINTS_ROOM bytes for them all.
 */
static void hunt_prints(struct hunt *h, const char *buf, size_t len)
{
	struct nhir_litscan_prints *pr = &h->prints[h->cur];

	h->prints_room += pr->words * sizeof(uint64_t);
	if (nhir_litscan_prints_make(&h->ix, buf, len, h->prints_room, pr))
		h->prints_room -= pr->words * sizeof(uint64_t);
}

/*
 * Hunts lits in one file: a file holding none is left alone; one that
 * does is stored as a part of an ingest (its source file row says it
 * was a hunt, so that a later full ingest reads it again).  *again:
 * the file must be read again for the keys found in it.
 */
static enum nhir_rc hunt_file(struct hunt *h, const char *path,
			      struct nhir_litscan *lits,
			      const struct hunt_loaded *pre, bool *again,
			      struct nhir_err *err)
{
	struct hunt_loaded own;
	static unsigned long serial;
	struct nhir_hunt_result *hr = h->res;
	struct nhir_ingest_result *res = &hr->in;
	struct run *run = &h->run;
	struct nhir_tele t;
	struct reader r;
	struct nhir_err ferr = NHIR_ERR_INIT;
	char mark[96];
	size_t len = 0;
	uint64_t off = 0;
	struct nhir_dups dups;
	enum nhir_rc rc;
	struct timespec ts;
	bool gz = has_suffix(path, ".gz");

	memset(&t, 0, sizeof(t));
	memset(&r, 0, sizeof(r));
	*again = false;
	h->finds.nr = 0;
	hr->files_scanned++;
	if (!pre) {
		rc = hunt_load(&h->own, path, lits, HUNT_WHOLE_MAX, &own, err);
		if (rc)
			return rc;
		pre = &own;
	}
	len = pre->len;
	if (pre->whole) {
		hr->bytes_scanned += len;
		if (!pre->hit)
			return NHIR_OK;
		r.mem = pre->buf;
		r.mem_len = len;
		/* where keys may start: each record is not searched */
		nhir_litscan_index(lits, pre->buf, len, &h->ix);
		t.ix = &h->ix;
		hunt_prints(h, pre->buf, len);
	} else {
		r.gz = gzopen(path, "rb");
		if (!r.gz)
			return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					    path, strerror(errno));
		gzbuffer(r.gz, 256 * 1024);
	}
	if (gz)
		len = 0;	/* the size recorded: a plain file's */
	t.fmt = h->fmt;
	t.st = h->st;
	t.res = res;
	t.path = path;
	t.seen = &run->seen;
	t.lits = lits;
	t.keynodes = &h->keynodes;
	t.finds = &h->finds;
	t.cuts = pre->cuts;
	t.cut_nr = pre->cut_nr;
	if (!nhir_sha256_init(&t.hash)) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	if (!run->tx) {
		rc = nhir_store_begin(h->st, err);
		if (rc)
			goto out;
		run->tx = true;
		run->tx_bytes = 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(mark, sizeof(mark), "hunt:%lld.%09ld:%ld:%lu",
		 (long long)ts.tv_sec, ts.tv_nsec, (long)getpid(), ++serial);
	rc = nhir_store_savepoint(h->st, err);
	if (!rc) {
		rc = nhir_store_file_add(h->st, path, mark, len, h->fmt->name,
					 h->actor, run->first_file, &t.file,
					 err);
		if (rc)
			nhir_store_rollback_to(h->st);
		else if (!run->first_file)
			run->first_file = t.file;
	}
	if (rc)
		goto out;
	rc = scan(&t, &r, &off, &ferr);
	if (r.gz)
		hr->bytes_scanned += r.base + r.len;
	*again = h->finds.nr &&
		 (!r.mem || hunt_early(h, lits, r.mem, r.mem_len, &h->ix,
				       &ferr));
	if (t.failed || rc == NHIR_ENOMEM) {
		*err = t.failed ? t.err : ferr;
		rc = err->rc ? err->rc : NHIR_ESTORE;
		nhir_store_rollback_to(h->st);
		keyset_clear(&run->seen);
		goto out;
	}
	if (rc) {
		nhir_store_rollback_to(h->st);
		keyset_clear(&run->seen);
		if (t.not_log) {
			res->files_skipped++;
			diag(res, path, off, "file skipped: %s", ferr.msg);
			rc = NHIR_OK;
		} else {
			res->files_failed++;
			diag(res, path, off, "file rejected: %s", ferr.msg);
			rc = NHIR_EPARSE;
		}
		goto out;
	}
	if (!t.matched) {
		/* nothing of the keys here: the file leaves no trace */
		nhir_store_rollback_to(h->st);
		rc = NHIR_OK;
		goto out;
	}
	rc = nhir_store_file_done(h->st, t.file, t.events, t.malformed, &dups,
				  err);
	if (!rc)
		rc = nhir_store_release(h->st, err);
	if (rc) {
		nhir_store_rollback_to(h->st);
		keyset_clear(&run->seen);
		goto out;
	}
	hr->files_matched++;
	hr->records_matched += t.matched;
	res->files++;
	res->events += t.events - (dups.before + dups.run + dups.repeated);
	res->duplicates += dups.before;
	res->dup_run += dups.run;
	res->repeated += dups.repeated;
	res->malformed += t.malformed;
	res->lineage += t.lineage;
	/* what the group's audit entry says, and what a failed commit undoes */
	run->pending.files++;
	run->pending.events += t.events - (dups.before + dups.run +
					   dups.repeated);
	run->pending.duplicates += dups.before;
	run->pending.dup_run += dups.run;
	run->pending.repeated += dups.repeated;
	run->pending.malformed += t.malformed;
	run->pending.lineage += t.lineage;
	run->tx_bytes += r.mem_len;
	if (run->tx_bytes >= GROUP_BYTES)
		rc = run_commit(h->st, run, res, err);
out:
	if (r.gz)
		gzclose(r.gz);
	reader_release(&r);
	tele_release(&t);
	return rc;
}

/* The delivery minute in a CloudTrail file name, or NHIR_TIME_UNSET. */
static int64_t named_time(const char *path)
{
	const char *b = strrchr(path, '/'), *p;
	char iso[24];
	int64_t t;

	/* only CloudTrail's names say when the file was delivered */
	p = strstr(b ? b + 1 : path, "_CloudTrail_");
	while (p && (p = strchr(p + 1, '_'))) {
		size_t i;

		for (i = 1; i <= 14; i++)
			if (i == 9 ? p[i] != 'T' : i == 14 ? p[i] != 'Z'
					      : (p[i] < '0' || p[i] > '9'))
				break;
		if (i <= 14 || (p[15] != '_' && p[15] != '.'))
			continue;
		snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:00Z",
			 p + 1, p + 5, p + 7, p + 10, p + 12);
		if (!nhir_time_parse(iso, (size_t)-1, &t, NULL))
			return t;
	}
	return NHIR_TIME_UNSET;
}

/* Can a file delivered at named hold the use of a key minted then? */
static bool can_hold(int64_t named, int64_t minted)
{
	return named == NHIR_TIME_UNSET || minted == NHIR_TIME_UNSET ||
	       minted <= named + 60 + HUNT_SKEW;
}

/* Keys found in the file just read (with lits) join all, with times. */
static enum nhir_rc hunt_merge(struct hunt *h, struct nhir_litscan *lits,
			       struct nhir_err *err)
{
	for (size_t i = 0; i < h->finds.nr; i++) {
		const struct hunt_found *f = &h->finds.v[i];
		const char *k = nhir_litscan_key(lits, f->idx);
		size_t before = nhir_litscan_count(h->all);
		enum nhir_rc rc = NHIR_OK;

		if (lits != h->all)
			rc = nhir_litscan_add(h->all, k, strlen(k), err);
		if (rc)
			return rc;
		if (NHIR_ALLOC_GROW(h->minted, nhir_litscan_count(h->all),
				    h->minted_alloc))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		for (size_t j = before; j < nhir_litscan_count(h->all); j++)
			h->minted[j] = f->at;
		if (lits == h->all)
			h->minted[f->idx] = f->at;
	}
	return NHIR_OK;
}

/*
 * The keys of all from had on that a file delivered at named can hold,
 * into *late (NULL when none).
 */
static enum nhir_rc hunt_late(struct hunt *h, size_t had, int64_t named,
			      struct nhir_litscan **late, struct nhir_err *err)
{
	size_t now = nhir_litscan_count(h->all);
	enum nhir_rc rc = NHIR_OK;

	*late = NULL;
	for (size_t k = had; !rc && k < now; k++) {
		const char *key = nhir_litscan_key(h->all, k);

		if (!can_hold(named, h->minted[k]))
			continue;
		if (!*late && !(*late = nhir_litscan_new()))
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		rc = nhir_litscan_add(*late, key, strlen(key), err);
	}
	return rc;
}

/*
 * File i in the first pass, searched for every key known now: as the
 * loader left it when it found a key there or searched it for all of
 * them, else loaded again here.
 */
static enum nhir_rc hunt_first(struct hunt *h, char **files, size_t i,
			       bool *again, struct nhir_err *err)
{
	struct ahead_slot *s = h->ahead ? ahead_get(h->ahead, i) : NULL;
	const struct hunt_loaded *pre = NULL;
	enum nhir_rc rc;

	if (s && s->loaded &&
	    (s->l.hit || s->keys == nhir_litscan_count(h->all)))
		pre = &s->l;
	rc = hunt_file(h, files[i], h->all, pre, again, err);
	if (s)
		ahead_put(h->ahead, s);
	return rc;
}

/*
 * Pass 1 reads every file with every key known; each later pass reads
 * a file again only for the keys that joined after it was read and
 * that it can hold.
 */
static enum nhir_rc hunt_passes(struct hunt *h, char **files,
				const int64_t *named, size_t *had, size_t nr,
				enum nhir_rc *worst, struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	for (unsigned pass = 0; !rc && pass < NHIR_HUNT_MAX_PASSES; pass++) {
		bool any = false;

		for (size_t i = 0; !rc && i < nr; i++) {
			size_t now = nhir_litscan_count(h->all);
			struct nhir_litscan *use = h->all, *late = NULL;
			bool again = false;

			if (had[i] == now)
				continue;
			if (had[i]) {
				rc = hunt_late(h, had[i], named[i], &late, err);
				if (rc || !late) {
					had[i] = now;
					continue;
				}
				use = late;
			}
			any = true;
			h->cur = i;
			if (late && !nhir_litscan_prints_may(&h->prints[i],
							     late)) {
				/* searched: its prints hold none of them */
				h->res->files_scanned++;
				h->res->bytes_scanned += h->prints[i].len;
				nhir_litscan_free(late);
				had[i] = now;
				continue;
			}
			rc = pass ? hunt_file(h, files[i], use, NULL, &again,
					      err)
				  : hunt_first(h, files, i, &again, err);
			if (rc == NHIR_EPARSE) {
				*worst = rc;
				rc = NHIR_OK;
			}
			if (!rc)
				rc = hunt_merge(h, use, err);
			if (!rc && h->ahead)
				rc = ahead_keys(h->ahead, h->all, err);
			nhir_litscan_free(late);
			had[i] = again ? now : nhir_litscan_count(h->all);
		}
		ahead_stop(h->ahead);	/* later passes: one thread */
		h->ahead = NULL;
		if (!any)
			break;
		h->res->passes = pass + 1;
	}
	return rc;
}

enum nhir_rc nhir_hunt(const struct nhir_ctx *ctx,
		       const struct nhir_tele_format *fmt,
		       const char *const *keys, size_t key_nr,
		       const char *const *paths, size_t path_nr,
		       struct nhir_hunt_result *res, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct nhir_err own = NHIR_ERR_INIT, cerr = NHIR_ERR_INIT;
	struct hunt h;
	char **files = NULL;
	int64_t *named = NULL;
	size_t nr = 0, alloc = 0, *had = NULL, given;
	enum nhir_rc rc = NHIR_OK, worst = NHIR_OK, crc;
	uint64_t lineage = res->in.lineage;
	struct sigaction sa, old_bus;
	bool bus = false;

	if (!err)
		err = &own;
	memset(&h, 0, sizeof(h));
	h.st = st;
	h.fmt = fmt;
	h.actor = actor;
	h.res = res;
	h.run.format = fmt->name;
	h.run.actor = actor ? actor : "nhir";
	h.run.ctx = *ctx;
	h.run.ctx.actor = h.run.actor;
	h.run.keys = keys;
	h.run.key_nr = key_nr;
	h.prints_room = HUNT_PRINTS_ROOM;
	h.all = nhir_litscan_new();
	if (!h.all)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < key_nr; i++)
		rc = nhir_litscan_add(h.all, keys[i], strlen(keys[i]), err);
	given = nhir_litscan_count(h.all);
	if (!rc && NHIR_ALLOC_GROW(h.minted, given, h.minted_alloc))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < given; i++)
		h.minted[i] = NHIR_TIME_UNSET;	/* the keys given: any time */
	for (size_t i = 0; !rc && i < path_nr; i++)
		rc = hunt_list(paths[i], false, &h.run, &res->in, &files, &nr,
			       &alloc, err);
	if (!rc && nr && (!(had = nhir_calloc(nr, sizeof(*had))) ||
			  !(named = nhir_calloc(nr, sizeof(*named))) ||
			  !(h.prints = nhir_calloc(nr, sizeof(*h.prints)))))
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; !rc && i < nr; i++)
		named[i] = named_time(files[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	bus = !rc && !sigaction(SIGBUS, &sa, &old_bus);
	/* without the handler files are read, not mapped: one thread */
	h.own.map = bus;
	/* (the first pass then takes every file in turn from the loader) */
	if (bus && given)
		h.ahead = ahead_start(files, nr, h.all);
	if (!rc)
		rc = hunt_passes(&h, files, named, had, nr, &worst, err);
	ahead_stop(h.ahead);
	if (bus)
		sigaction(SIGBUS, &old_bus, NULL);
	res->keys = nhir_litscan_count(h.all);
	res->keys_found = res->keys - given;
	crc = run_commit(st, &h.run, &res->in, rc ? &cerr : err);
	graph_fresh(st, &res->in, lineage);
	keyset_clear(&h.run.seen);
	keyset_clear(&h.keynodes);
	nhir_free(h.run.dirs);
	for (size_t i = 0; i < nr; i++)
		nhir_free(files[i]);
	nhir_free(files);
	nhir_free(had);
	nhir_free(named);
	nhir_free(h.minted);
	nhir_free(h.finds.v);
	nhir_free(h.own.buf);
	nhir_litscan_index_release(&h.ix);
	for (size_t i = 0; h.prints && i < nr; i++)
		nhir_litscan_prints_release(&h.prints[i]);
	nhir_free(h.prints);
	nhir_litscan_free(h.all);
	if (rc)
		return rc;
	return crc ? crc : worst;
}
