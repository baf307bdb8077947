/*
 * Store wrappers, the backend registry, and the on-disk cache of the
 * compact graph.
 */
#include "compat.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/graph.h"
#include "store/store-internal.h"
#include "store/token.h"
#include "store/record.h"
#include "store/plan.h"
#include "store/findings.h"
#include "store/report.h"
#include "store/webhook.h"

static const struct nhir_store_ops *const backends[] = {
	&nhir_sqlite_store_ops,
	&nhir_pg_store_ops,
};

/*
 * Splits "name:rest" when name is a known backend ("postgres://" is
 * PostgreSQL's too); a plain path is SQLite's.  A "scheme://" of no
 * backend is an error, not a file name.
 */
static const struct nhir_store_ops *find_backend(const char *dsn,
						 const char **rest,
						 struct nhir_err *err)
{
	size_t n;

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(backends); i++) {
		n = strlen(backends[i]->name);
		if (!strncmp(dsn, backends[i]->name, n) && dsn[n] == ':') {
			*rest = dsn + n + 1;
			return backends[i];
		}
	}
	if (!strncmp(dsn, "postgres://", 11)) {
		*rest = dsn + 9;
		return &nhir_pg_store_ops;
	}
	*rest = dsn;
	n = strspn(dsn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789+.-");
	if (n && !strncmp(dsn + n, "://", 3)) {
		nhir_err_set(err, NHIR_EINVAL, "unknown database scheme "
			     "'%.*s://' (nhir knows postgresql://, "
			     "postgres://, sqlite:PATH and a file path)",
			     (int)NHIR_MIN(n, 40), dsn);
		return NULL;
	}
	return &nhir_sqlite_store_ops;
}

enum nhir_rc nhir_store_open(struct nhir_store **out, const char *dsn,
			     unsigned flags, struct nhir_err *err)
{
	const struct nhir_store_ops *ops;
	const char *rest;
	enum nhir_rc rc;

	*out = NULL;
	if (!dsn || !*dsn)
		return nhir_err_set(err, NHIR_EINVAL, "no database given");
	ops = find_backend(dsn, &rest, err);
	if (!ops)
		return NHIR_EINVAL;
	rc = ops->open(out, rest, flags, err);
	if (!rc) {
		(*out)->ops = ops;
		(*out)->in_tx = false;
		(*out)->ro = (*out)->ro || (flags & NHIR_STORE_READONLY);
		(*out)->cond_id = 0;
		(*out)->cond_tag[0] = 0;
	}
	return rc;
}

void nhir_store_set_clock(struct nhir_store *st, int64_t t)
{
	st->clock_fixed = t != NHIR_TIME_UNSET;
	st->clock = t;
}

int64_t nhir_store_now(const struct nhir_store *st)
{
	return st && st->clock_fixed ? st->clock : nhir_time_now();
}

bool nhir_store_clock_fixed(const struct nhir_store *st)
{
	return st && st->clock_fixed;
}

bool nhir_store_readonly(const struct nhir_store *st)
{
	return st->ro;
}

bool nhir_store_implements(struct nhir_store *st, const char *part)
{
	const struct nhir_store_ops *o = st->ops;

	if (!strcmp(part, "files"))
		return o->path(st) || (o->side_base && o->side_base(st));
	return true;
}

static char *files_dir;

enum nhir_rc nhir_store_set_files_dir(const char *dir, struct nhir_err *err)
{
	char *d = NULL;

	if (dir && *dir) {
		d = nhir_strdup(dir);
		if (!d)
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	nhir_free(files_dir);
	files_dir = d;
	return NHIR_OK;
}

const char *nhir_store_files_dir(void)
{
	return files_dir;
}

void nhir_store_cond_set(struct nhir_store *st, int64_t id, const char *tag)
{
	st->cond_id = tag ? id : 0;
	snprintf(st->cond_tag, sizeof(st->cond_tag), "%s", tag ? tag : "");
}

bool nhir_store_cond_take(struct nhir_store *st, int64_t *id,
			  char tag[NHIR_ETAG_LEN])
{
	if (!st->cond_id)
		return false;
	*id = st->cond_id;
	memcpy(tag, st->cond_tag, NHIR_ETAG_LEN);
	st->cond_id = 0;
	st->cond_tag[0] = 0;
	return true;
}

void nhir_store_close(struct nhir_store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		st->ops->rollback(st);
	nhir_store_read_end(st);
	st->ops->close(st);
}

const char *nhir_store_backend(const struct nhir_store *st)
{
	return st->ops->name;
}

int nhir_store_schema_version(struct nhir_store *st)
{
	return st->ops->schema_version(st);
}

enum nhir_rc nhir_store_read_begin(struct nhir_store *st,
				   struct nhir_err *err)
{
	enum nhir_rc rc;

	if (st->in_tx || st->in_read || !st->ops->read_begin)
		return NHIR_OK;
	rc = st->ops->read_begin(st, err);
	if (!rc)
		st->in_read = true;
	return rc;
}

enum nhir_rc nhir_store_data_version(struct nhir_store *st, uint64_t *v,
				     struct nhir_err *err)
{
	*v = 0;
	if (!st->ops->data_version)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store "
				    "keeps no data version", st->ops->name);
	return st->ops->data_version(st, v, err);
}

enum nhir_rc nhir_store_checkpoint(struct nhir_store *st,
				   struct nhir_err *err)
{
	if (!st->ops->checkpoint)
		return NHIR_OK;
	return st->ops->checkpoint(st, err);
}

enum nhir_rc nhir_store_bytes(struct nhir_store *st, uint64_t *bytes,
			      struct nhir_err *err)
{
	const char *path;
	struct stat sb;

	*bytes = 0;
	if (st->ops->bytes)
		return st->ops->bytes(st, bytes, err);
	path = st->ops->path(st);
	if (!path)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store "
				    "has no size", st->ops->name);
	if (stat(path, &sb))
		return nhir_err_set(err, NHIR_EIO, "%s: %s", path,
				    strerror(errno));
	*bytes = (uint64_t)sb.st_size;
	return NHIR_OK;
}

enum nhir_rc nhir_store_watch_new(struct nhir_store *st,
				  struct nhir_store_watch **out,
				  struct nhir_err *err)
{
	enum nhir_rc rc;

	*out = NULL;
	if (!st->ops->watch_new)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store "
				    "cannot tell of changes as they are "
				    "made", st->ops->name);
	rc = st->ops->watch_new(st, out, err);
	if (!rc)
		(*out)->ops = st->ops;
	return rc;
}

enum nhir_rc nhir_store_watch_wait(struct nhir_store_watch *w, unsigned ms,
				   unsigned *what, struct nhir_err *err)
{
	*what = 0;
	return w->ops->watch_wait(w, ms, what, err);
}

void nhir_store_watch_free(struct nhir_store_watch *w)
{
	if (w)
		w->ops->watch_free(w);
}

void nhir_store_read_end(struct nhir_store *st)
{
	if (!st || !st->in_read)
		return;
	st->ops->read_end(st);
	st->in_read = false;
}

enum nhir_rc nhir_store_begin(struct nhir_store *st, struct nhir_err *err)
{
	enum nhir_rc rc;

	if (st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "a transaction is already open");
	nhir_store_read_end(st);
	rc = st->ops->begin(st, err);
	if (!rc)
		st->in_tx = true;
	return rc;
}

void nhir_store_set_busy_timeout(struct nhir_store *st, unsigned ms)
{
	if (st && st->ops->busy_timeout)
		st->ops->busy_timeout(st, ms);
}

enum nhir_rc nhir_store_commit(struct nhir_store *st, struct nhir_err *err)
{
	enum nhir_rc rc;

	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL, "no transaction is open");
	rc = st->ops->commit(st, err);
	if (rc) {
		st->ops->rollback(st);
	}
	st->in_tx = false;
	return rc;
}

void nhir_store_rollback(struct nhir_store *st)
{
	if (!st->in_tx)
		return;
	st->ops->rollback(st);
	st->in_tx = false;
}

enum nhir_rc nhir_store_savepoint(struct nhir_store *st, struct nhir_err *err)
{
	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL, "no transaction is open");
	return st->ops->savepoint(st, err);
}

enum nhir_rc nhir_store_release(struct nhir_store *st, struct nhir_err *err)
{
	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL, "no transaction is open");
	return st->ops->release(st, err);
}

void nhir_store_rollback_to(struct nhir_store *st)
{
	if (st->in_tx)
		st->ops->rollback_to(st);
}

/* Attributes must be a JSON object's text (or absent). */
static enum nhir_rc check_attrs(const char *attrs, struct nhir_err *err)
{
	if (!attrs)
		return NHIR_OK;
	while (*attrs == ' ' || *attrs == '\t' || *attrs == '\n' ||
	       *attrs == '\r')
		attrs++;
	if (*attrs != '{')
		return nhir_err_set(err, NHIR_EPARSE,
				    "attributes must be a JSON object");
	if (strlen(attrs) > NHIR_MAX_ATTRS_LEN)
		return nhir_err_set(err, NHIR_ETOOBIG,
				    "attributes longer than %d bytes",
				    NHIR_MAX_ATTRS_LEN);
	return NHIR_OK;
}

static enum nhir_rc check_str(const char *what, const char *s, bool required,
			      struct nhir_err *err)
{
	if (!s) {
		if (required)
			return nhir_err_set(err, NHIR_EINVAL, "%s is missing",
					    what);
		return NHIR_OK;
	}
	if (required && !*s)
		return nhir_err_set(err, NHIR_EINVAL, "%s is empty", what);
	if (strlen(s) > NHIR_MAX_ID_LEN)
		return nhir_err_set(err, NHIR_ETOOBIG,
				    "%s longer than %d bytes", what,
				    NHIR_MAX_ID_LEN);
	return NHIR_OK;
}

enum nhir_rc nhir_store_put_node(struct nhir_store *st,
				 const struct nhir_node_rec *rec,
				 enum nhir_put *res, struct nhir_err *err)
{
	enum nhir_put dummy;
	enum nhir_rc rc;

	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	if (rec->kind <= NHIR_NODE_NONE || rec->kind >= NHIR_NODE_KIND_NR)
		return nhir_err_set(err, NHIR_EINVAL, "unknown node kind");
	rc = check_str("node id", rec->ext_id, true, err);
	if (!rc)
		rc = check_str("name", rec->name, false, err);
	if (!rc)
		rc = check_str("subtype", rec->subtype, false, err);
	if (!rc)
		rc = check_str("provider", rec->provider, false, err);
	if (!rc)
		rc = check_attrs(rec->attrs, err);
	if (rc)
		return rc;
	return st->ops->put_node(st, rec, res ? res : &dummy, err);
}

enum nhir_rc nhir_store_put_edge(struct nhir_store *st,
				 const struct nhir_edge_rec *rec,
				 enum nhir_put *res, struct nhir_err *err)
{
	enum nhir_put dummy;
	enum nhir_rc rc;

	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	if (rec->kind <= NHIR_EDGE_NONE || rec->kind >= NHIR_EDGE_KIND_NR)
		return nhir_err_set(err, NHIR_EINVAL, "unknown edge kind");
	rc = check_str("edge source", rec->src, true, err);
	if (!rc)
		rc = check_str("edge target", rec->dst, true, err);
	if (!rc)
		rc = check_attrs(rec->attrs, err);
	if (rc)
		return rc;
	return st->ops->put_edge(st, rec, res ? res : &dummy, err);
}

enum nhir_rc nhir_store_put_end(struct nhir_store *st,
				const struct nhir_end_rec *rec,
				enum nhir_put *res, struct nhir_err *err)
{
	enum nhir_put dummy;
	enum nhir_rc rc;

	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	if (!st->ops->put_end)
		return nhir_err_set(err, NHIR_EINVAL, "the %s store keeps no "
				    "end facts", st->ops->name);
	if (rec->how <= NHIR_END_NONE || rec->how >= NHIR_END_HOW_NR)
		return nhir_err_set(err, NHIR_EINVAL, "unknown end fact");
	if (rec->time == NHIR_TIME_UNSET || rec->time == NHIR_TIME_NEVER)
		return nhir_err_set(err, NHIR_EINVAL, "an end fact needs a time");
	if (rec->how == NHIR_END_SESSIONS_REVOKED &&
	    rec->before == NHIR_TIME_UNSET)
		return nhir_err_set(err, NHIR_EINVAL, "sessions revoked before "
				    "when?");
	rc = check_str("node id", rec->node, true, err);
	if (!rc)
		rc = check_str("event name", rec->event_name, true, err);
	if (!rc)
		rc = check_str("event id", rec->event_id, false, err);
	if (!rc)
		rc = check_str("cause", rec->cause, false, err);
	if (!rc)
		rc = check_str("subtype", rec->subtype, false, err);
	if (!rc)
		rc = check_str("provider", rec->provider, false, err);
	if (rc)
		return rc;
	return st->ops->put_end(st, rec, res ? res : &dummy, err);
}

void nhir_node_end_release(struct nhir_node_end *e)
{
	nhir_free(e->cause);
	nhir_free(e->event_id);
	nhir_free(e->event_name);
	nhir_free(e->path);
	memset(e, 0, sizeof(*e));
}

enum nhir_rc nhir_store_get_end(struct nhir_store *st, int64_t id,
				struct nhir_node_end *out,
				struct nhir_err *err)
{
	memset(out, 0, sizeof(*out));
	if (!st->ops->get_end)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no end fact #%" PRId64,
				    id);
	return st->ops->get_end(st, id, out, err);
}

enum nhir_rc nhir_store_node_ends(struct nhir_store *st, int64_t node,
				  nhir_end_cb cb, void *data,
				  struct nhir_err *err)
{
	if (!st->ops->node_ends)
		return NHIR_OK;
	return st->ops->node_ends(st, node, cb, data, err);
}

void nhir_node_release(struct nhir_node *n)
{
	nhir_free(n->ext_id);
	nhir_free(n->name);
	nhir_free(n->subtype);
	nhir_free(n->provider);
	nhir_free(n->attrs);
	memset(n, 0, sizeof(*n));
}

enum nhir_rc nhir_store_get_node(struct nhir_store *st, int64_t id,
				 struct nhir_node *out, struct nhir_err *err)
{
	memset(out, 0, sizeof(*out));
	return st->ops->get_node(st, id, out, err);
}

/* Parses "#N" or "id:N". */
static bool parse_id_ref(const char *ref, int64_t *id)
{
	const char *p;
	int64_t v = 0;

	if (ref[0] == '#')
		p = ref + 1;
	else if (!strncmp(ref, "id:", 3))
		p = ref + 3;
	else
		return false;
	if (!*p || strlen(p) > 18)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*id = v;
	return true;
}

enum nhir_rc nhir_store_resolve(struct nhir_store *st, const char *ref,
				int64_t *id, struct nhir_err *err)
{
	int64_t ids[5];
	size_t nr = 0;
	enum nhir_rc rc;
	struct nhir_node n;

	if (parse_id_ref(ref, id)) {
		rc = nhir_store_get_node(st, *id, &n, err);
		if (!rc)
			nhir_node_release(&n);
		return rc;
	}
	rc = st->ops->lookup(st, ref, false, ids, NHIR_ARRAY_SIZE(ids), &nr,
			     err);
	if (!rc && !nr)
		rc = st->ops->lookup(st, ref, true, ids, NHIR_ARRAY_SIZE(ids),
				     &nr, err);
	if (rc)
		return rc;
	if (!nr)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no node '%s'", ref);
	if (nr > 1) {
		char list[128] = "";
		size_t len = 0;

		for (size_t i = 0; i < nr && i < 4; i++) {
			int n2 = snprintf(list + len, sizeof(list) - len,
					  "%s#%" PRId64, i ? ", " : "", ids[i]);

			if (n2 < 0 || (size_t)n2 >= sizeof(list) - len)
				break;
			len += (size_t)n2;
		}
		return nhir_err_set(err, NHIR_EAMBIGUOUS,
				    "'%s' names several nodes (%s%s); use #ID",
				    ref, list, nr > 4 ? ", ..." : "");
	}
	*id = ids[0];
	return NHIR_OK;
}

enum nhir_rc nhir_store_suggest(struct nhir_store *st, const char *ref,
				char (*out)[NHIR_SUGGEST_LEN], size_t max,
				size_t *nr, struct nhir_err *err)
{
	*nr = 0;
	if (!max)
		return NHIR_OK;
	return st->ops->suggest(st, ref, out, max, nr, err);
}

enum nhir_rc nhir_store_find_ext(struct nhir_store *st, const char *ext,
				 int64_t *id, struct nhir_err *err)
{
	size_t nr = 0;
	enum nhir_rc rc = st->ops->lookup(st, ext, false, id, 1, &nr, err);

	if (rc)
		return rc;
	if (!nr)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no node '%s'", ext);
	return NHIR_OK;
}

enum nhir_rc nhir_store_node_edges(struct nhir_store *st, int64_t node,
				   unsigned dirs, nhir_edge_cb cb, void *data,
				   struct nhir_err *err)
{
	return st->ops->node_edges(st, node, dirs, cb, data, err);
}

enum nhir_rc nhir_store_lineage(struct nhir_store *st, const char *root,
				unsigned max_depth, nhir_lineage_cb cb,
				void *data, struct nhir_err *err)
{
	return st->ops->lineage(st, root, max_depth, cb, data, err);
}

enum nhir_rc nhir_store_key_sources(struct nhir_store *st, const char *key,
				    nhir_key_source_cb cb, void *data,
				    struct nhir_err *err)
{
	return st->ops->key_sources(st, key, cb, data, err);
}

enum nhir_rc nhir_store_key_actions(struct nhir_store *st, const char *key,
				    nhir_key_action_cb cb, void *data,
				    struct nhir_err *err)
{
	return st->ops->key_actions(st, key, cb, data, err);
}

enum nhir_rc nhir_store_count(struct nhir_store *st,
			      struct nhir_store_counts *out,
			      struct nhir_err *err)
{
	memset(out, 0, sizeof(*out));
	return st->ops->count(st, out, err);
}

enum nhir_rc nhir_store_record_import(struct nhir_store *st,
				      const struct nhir_import_run *run,
				      struct nhir_err *err)
{
	if (!st->ops->record_import)
		return NHIR_OK;
	return st->ops->record_import(st, run, err);
}

static void unmap_image(void *image, size_t len)
{
	munmap(image, len);
}

/*
 * Maps the cached image at path if it reflects tag.  Any failure just
 * means "no usable cache": the caller rebuilds.
 */
static struct nhir_graph *map_cache(const char *path, const uint64_t tag[4])
{
	struct nhir_graph *g = NULL;
	struct stat sb;
	void *img;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) || sb.st_size <= 0 ||
	    (uint64_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return NULL;
	}
	img = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (img == MAP_FAILED)
		return NULL;
	if (nhir_graph_attach(img, (size_t)sb.st_size, unmap_image, &g,
			      NULL)) {
		munmap(img, (size_t)sb.st_size);
		return NULL;
	}
	if (memcmp(g->tag, tag, sizeof(g->tag))) {
		nhir_graph_free(g);
		return NULL;
	}
	return g;
}

/*
 * Writes the image next to the database, atomically (temporary file,
 * then rename).  Failure is not an error: the cache is only a speed-up.
 */
static void write_cache(const char *path, const struct nhir_graph *g)
{
	char tmp[4096];
	const char *p = g->image;
	size_t left = g->image_len;
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	while (left) {
		ssize_t w = write(fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) || left || rename(tmp, path))
		unlink(tmp);
}

enum nhir_rc nhir_store_graph_refresh(struct nhir_store *st,
				      struct nhir_err *err)
{
	struct nhir_graph *g = NULL;
	enum nhir_rc rc = nhir_store_load_graph(st, &g, err);

	nhir_graph_free(g);
	return rc;
}

enum nhir_rc nhir_store_graph_tag(struct nhir_store *st, uint64_t tag[4],
				  struct nhir_err *err)
{
	return st->ops->graph_tag(st, tag, err);
}

enum nhir_rc nhir_store_load_graph(struct nhir_store *st,
				   struct nhir_graph **out,
				   struct nhir_err *err)
{
	struct nhir_graph_builder *b = NULL;
	const char *cache = st->ops->cache_path ? st->ops->cache_path(st)
						: NULL;
	uint64_t tag[4];
	enum nhir_rc rc;

	*out = NULL;
	rc = st->ops->graph_tag(st, tag, err);
	if (rc)
		return rc;
	if (cache) {
		*out = map_cache(cache, tag);
		if (*out)
			return NHIR_OK;
	}
	/* the store's tag carries the largest node and edge ids */
	rc = nhir_graph_builder_new(&b, tag[1], tag[2], err);
	if (rc)
		return rc;
	rc = st->ops->scan_graph(st, b, err);
	if (rc) {
		nhir_graph_builder_free(b);
		return rc;
	}
	rc = nhir_graph_builder_finish(b, tag, out, err);
	if (!rc && cache)
		write_cache(cache, *out);
	return rc;
}

enum nhir_rc nhir_store_file_find(struct nhir_store *st, const char *sha256,
				  int64_t *id, struct nhir_err *err)
{
	*id = 0;
	return st->ops->file_find(st, sha256, id, err);
}

enum nhir_rc nhir_store_file_add(struct nhir_store *st, const char *path,
				 const char *sha256, uint64_t size,
				 const char *format, const char *actor,
				 int64_t since, int64_t *id,
				 struct nhir_err *err)
{
	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	return st->ops->file_add(st, path, sha256, size, format, actor, since,
				 id, err);
}

enum nhir_rc nhir_store_file_done(struct nhir_store *st, int64_t id,
				  uint64_t events, uint64_t skipped,
				  struct nhir_dups *dups, struct nhir_err *err)
{
	memset(dups, 0, sizeof(*dups));
	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	return st->ops->file_done(st, id, events, skipped, dups, err);
}

enum nhir_rc nhir_store_put_events(struct nhir_store *st, int64_t file,
				   const struct nhir_event *ev, size_t nr,
				   struct nhir_err *err)
{
	if (!st->in_tx)
		return nhir_err_set(err, NHIR_EINVAL,
				    "writes need a transaction");
	return st->ops->put_events(st, file, ev, nr, err);
}

enum nhir_rc nhir_store_events(struct nhir_store *st,
			       const struct nhir_event_query *q,
			       nhir_event_cb cb, void *data,
			       struct nhir_err *err)
{
	if (!q->key_nr && !q->identity)
		return nhir_err_set(err, NHIR_EINVAL,
				    "an event query needs keys or an identity");
	return st->ops->events(st, q, cb, data, err);
}

char *nhir_store_file_path(struct nhir_store *st, int64_t id)
{
	return st->ops->file_path(st, id);
}

char *nhir_store_side_path(struct nhir_store *st, const char *suffix)
{
	const char *db = st->ops->side_base ? st->ops->side_base(st) : NULL;
	size_t n;
	char *p;

	if (!db)
		db = st->ops->path(st);
	if (!db)
		return NULL;
	n = strlen(db) + strlen(suffix) + 2;
	p = nhir_malloc(n);
	if (p)
		snprintf(p, n, "%s-%s", db, suffix);
	return p;
}

const struct nhir_record_store_ops *nhir_record_store(struct nhir_store *st)
{
	return st->ops->record;
}

const struct nhir_plan_store_ops *nhir_plan_store(struct nhir_store *st)
{
	return st->ops->plan;
}

const struct nhir_findings_store_ops *nhir_findings_store(struct nhir_store *st)
{
	return st->ops->findings;
}

const struct nhir_report_store_ops *nhir_report_store(struct nhir_store *st)
{
	return st->ops->report;
}

const struct nhir_token_store_ops *nhir_token_store(struct nhir_store *st)
{
	return st->ops->token;
}

/* ---- webhooks, on a backend that keeps none ---- */

static enum nhir_rc no_webhooks(struct nhir_store *st, struct nhir_err *err)
{
	return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store does not "
			    "keep webhook deliveries yet; use an SQLite "
			    "database for them", st->ops->name);
}

static enum nhir_rc no_cursor_read(struct nhir_store *st, const char *hook,
				   int64_t *seq, bool *found,
				   struct nhir_err *err)
{
	(void)hook;
	*seq = 0;
	*found = false;
	return no_webhooks(st, err);
}

static enum nhir_rc no_cursor_write(struct nhir_store *st, const char *hook,
				    int64_t seq, int64_t at,
				    struct nhir_err *err)
{
	(void)hook;
	(void)seq;
	(void)at;
	return no_webhooks(st, err);
}

static enum nhir_rc no_delivery_insert(struct nhir_store *st,
				       const struct nhir_delivery *d,
				       int64_t *id, struct nhir_err *err)
{
	(void)d;
	*id = 0;
	return no_webhooks(st, err);
}

static enum nhir_rc no_deliveries(struct nhir_store *st, int64_t now_ms,
				  size_t limit, nhir_delivery_cb cb,
				  void *data, struct nhir_err *err)
{
	(void)now_ms;
	(void)limit;
	(void)cb;
	(void)data;
	return no_webhooks(st, err);
}

static enum nhir_rc no_delivery_update(struct nhir_store *st, int64_t id,
				       int attempts, int64_t next_ms,
				       enum nhir_delivery_state state,
				       int64_t at, long status,
				       const char *error,
				       struct nhir_err *err)
{
	(void)id;
	(void)attempts;
	(void)next_ms;
	(void)state;
	(void)at;
	(void)status;
	(void)error;
	return no_webhooks(st, err);
}

static enum nhir_rc no_deliveries_read(struct nhir_store *st,
				       const char *hook, size_t limit,
				       nhir_delivery_cb cb, void *data,
				       struct nhir_err *err)
{
	(void)hook;
	(void)limit;
	(void)cb;
	(void)data;
	return no_webhooks(st, err);
}

static const struct nhir_webhook_store_ops no_webhook_ops = {
	.version = 1,
	.cursor_read = no_cursor_read,
	.cursor_write = no_cursor_write,
	.delivery_insert = no_delivery_insert,
	.deliveries_due = no_deliveries,
	.delivery_update = no_delivery_update,
	.deliveries_read = no_deliveries_read,
};

const struct nhir_webhook_store_ops *nhir_webhook_store(struct nhir_store *st)
{
	return st->ops->webhook ? st->ops->webhook : &no_webhook_ops;
}
