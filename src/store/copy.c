/*
 * Copying a whole database from one store to another (nhir db copy):
 * SQLite to PostgreSQL and back.  Every table, row by row with its ids,
 * in one transaction on the destination, which must be new (no rows
 * but what a new database is made with); then the rows of each table
 * are counted on both sides, and the side files (the evidence store,
 * checked against the hashes that name them, and the fingerprint key)
 * are copied.  The audit chain travels as rows; the caller verifies it
 * on the destination.  The tables go in the order of tables[], which
 * the foreign keys allow, then any other table of the source in the
 * order it was made (a table refers only to older ones).
 */
#include "compat.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/hash.h"
#include "store/store-internal.h"

/* In an order the foreign keys allow (PostgreSQL's order of making differs). */
static const char *const tables[] = {
	"meta", "node", "edge", "import_run", "str", "source_file", "event",
	"node_end", "nhir_user", "audit", "audit_checkpoint",
	"audit_rows_before", "setting", "incident", "incident_member",
	"scope", "decision", "note", "task", "evidence", "custody", "finding",
	"sighting", "plan_step", "plan_dep", "approval", "revocation", "cut",
	"key_use", "key_source", "key_action", "key_identity", "api_token",
	"token_key",
	"user_password", "session", "witness_checkpoint", "webhook_cursor",
	"webhook_delivery",
};

struct names {
	char v[NHIR_COPY_TABLES_MAX][64];
	size_t nr;
	bool over;
};

static void add_name(const char *name, void *data)
{
	struct names *n = data;

	if (n->nr < NHIR_COPY_TABLES_MAX && strlen(name) < sizeof(n->v[0]))
		snprintf(n->v[n->nr++], sizeof(n->v[0]), "%s", name);
	else
		n->over = true;
}

static bool has_name(const struct names *n, const char *name)
{
	for (size_t i = 0; i < n->nr; i++)
		if (!strcmp(n->v[i], name))
			return true;
	return false;
}

/* The tables to copy into res->name: tables[], then src's others. */
static enum nhir_rc plan_tables(struct nhir_store *src, struct nhir_store *dst,
				struct nhir_copy_result *res,
				struct nhir_err *err)
{
	struct names *a = nhir_calloc(2, sizeof(*a)), *b;
	enum nhir_rc rc;

	if (!a)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	b = a + 1;
	rc = src->ops->tables(src, add_name, a, err);
	if (!rc)
		rc = dst->ops->tables(dst, add_name, b, err);
	if (!rc && (a->over || b->over))
		rc = nhir_err_set(err, NHIR_ESTORE, "too many tables to copy");
	for (size_t i = 0; !rc && i < NHIR_ARRAY_SIZE(tables); i++)
		if (has_name(a, tables[i]))
			snprintf(res->name[res->tables++], sizeof(res->name[0]),
				 "%s", tables[i]);
	for (size_t i = 0; !rc && i < a->nr; i++) {
		bool known = false;

		for (size_t k = 0; k < NHIR_ARRAY_SIZE(tables); k++)
			known |= !strcmp(tables[k], a->v[i]);
		if (!known)
			snprintf(res->name[res->tables++], sizeof(res->name[0]),
				 "%s", a->v[i]);
	}
	for (size_t i = 0; !rc && i < res->tables; i++)
		if (!has_name(b, res->name[i]))
			rc = nhir_err_set(err, NHIR_ESCHEMA, "the destination "
					  "has no table %s: is it an older "
					  "nhir's?", res->name[i]);
	nhir_free(a);
	return rc;
}

struct copying {
	struct nhir_store *dst;
	const char *table;
	uint64_t rows;
	bool load;		/* false: count only */
	bool empty;		/* refuse any row */
};

static enum nhir_rc on_cols(size_t nr, const char *const *names, void *data,
			    struct nhir_err *err)
{
	struct copying *c = data;

	if (!c->load)
		return NHIR_OK;
	return c->dst->ops->load_begin(c->dst, c->table, nr, names, err);
}

static enum nhir_rc on_row(const struct nhir_cell *cells, void *data,
			   struct nhir_err *err)
{
	struct copying *c = data;

	if (c->empty)
		return nhir_err_set(err, NHIR_ECONFLICT, "the destination is "
				    "not a new database: table %s has rows; "
				    "copy into a new one", c->table);
	c->rows++;
	return c->load ? c->dst->ops->load_row(c->dst, cells, err) : NHIR_OK;
}

static enum nhir_rc count(struct nhir_store *st, const char *table,
			  uint64_t *n, struct nhir_err *err)
{
	struct copying c = { NULL, table, 0, false, false };
	enum nhir_rc rc = st->ops->rows(st, table, on_cols, on_row, &c, err);

	*n = c.rows;
	return rc;
}

/* Copies file from to to (made, never replaced); *sha its SHA-256. */
static enum nhir_rc copy_file(const char *from, const char *to, char sha[65],
			      struct nhir_err *err)
{
	struct nhir_sha256 h;
	unsigned char buf[65536], md[32];
	enum nhir_rc rc = NHIR_OK;
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", from,
				    strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		   0600);
	if (out < 0) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", to,
				  strerror(errno));
		close(in);
		return rc;
	}
	if (!nhir_sha256_init(&h)) {
		close(in);
		close(out);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		nhir_sha256_update(&h, buf, (size_t)n);
		if (write(out, buf, (size_t)n) != n) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s",
					  to, strerror(errno));
			break;
		}
	}
	if (!rc && n < 0)
		rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", from,
				  strerror(errno));
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	close(in);
	if (close(out) && !rc)
		rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", to,
				  strerror(errno));
	for (int i = 0; i < 32; i++)
		snprintf(sha + 2 * i, 3, "%02x", md[i]);
	if (rc)
		unlink(to);
	return rc;
}

/*
 * The evidence store and the fingerprint key, to dst's place for them;
 * res NULL: only whether they can go there.
 */
static enum nhir_rc copy_side(struct nhir_store *src, struct nhir_store *dst,
			      struct nhir_copy_result *res,
			      struct nhir_err *err)
{
	char *sdir = nhir_store_side_path(src, "evidence");
	char *ddir = nhir_store_side_path(dst, "evidence");
	char *skey = nhir_store_side_path(src, "key");
	char *dkey = nhir_store_side_path(dst, "key");
	enum nhir_rc rc = NHIR_OK;
	struct dirent *de;
	char sha[65];
	DIR *d;

	d = sdir ? opendir(sdir) : NULL;
	if (!d && !(skey && !access(skey, F_OK)))
		goto out;
	if (!ddir || !dkey) {
		rc = nhir_err_set(err, NHIR_EINVAL, "the source keeps evidence "
				  "or a fingerprint key beside it and the "
				  "destination has no place for them: set "
				  "NHIR_FILES (or --to-files) to a folder");
		goto out;
	}
	if (!res) {	/* only asked whether they can go */
		rc = !access(dkey, F_OK) ? nhir_err_set(err, NHIR_ECONFLICT,
				"the destination has a fingerprint key "
				"already ('%s'); copy into a new database",
				dkey) : NHIR_OK;
		goto out;
	}
	if (d && mkdir(ddir, 0700) && errno != EEXIST) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s", ddir,
				  strerror(errno));
		goto out;
	}
	while (!rc && d && (de = readdir(d)) != NULL) {
		char from[PATH_MAX], to[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", sdir, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", ddir, de->d_name);
		rc = copy_file(from, to, sha, err);
		if (!rc && strcmp(sha, de->d_name))
			rc = nhir_err_set(err, NHIR_EINVAL, "evidence '%s' does "
					  "not match its hash (it is %s): not "
					  "copied", from, sha);
		if (rc)
			unlink(to);
		else
			res->evidence++;
	}
	if (!rc && skey && !access(skey, F_OK)) {
		rc = copy_file(skey, dkey, sha, err);
		res->key = !rc;
	}
out:
	if (d)
		closedir(d);
	nhir_free(sdir);
	nhir_free(ddir);
	nhir_free(skey);
	nhir_free(dkey);
	return rc;
}

enum nhir_rc nhir_store_copy(struct nhir_store *src, struct nhir_store *dst,
			     struct nhir_copy_result *res, struct nhir_err *err)
{
	enum nhir_rc rc = NHIR_OK;

	memset(res, 0, sizeof(*res));
	if (!src->ops->rows || !dst->ops->load_begin)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "this store cannot "
				    "be copied");
	rc = plan_tables(src, dst, res, err);
	for (size_t i = 0; !rc && i < res->tables; i++) {
		struct copying c = { dst, res->name[i], 0, false, true };

		if (strcmp(res->name[i], "meta"))
			rc = dst->ops->rows(dst, res->name[i], on_cols, on_row,
					    &c, err);
	}
	/* the side files can go where dst keeps them, before any row does */
	if (!rc)
		rc = copy_side(src, dst, NULL, err);
	if (!rc)
		rc = nhir_store_begin(dst, err);
	for (size_t i = 0; !rc && i < res->tables; i++) {
		struct copying c = { dst, res->name[i], 0, true, false };

		rc = src->ops->rows(src, res->name[i], on_cols, on_row, &c,
				    err);
		if (!rc)
			rc = dst->ops->load_end(dst, err);
		if (rc)
			nhir_err_prefix(err, "table %s", res->name[i]);
		res->rows[i] = c.rows;
		res->total += c.rows;
	}
	if (!rc)
		rc = nhir_store_commit(dst, err);
	else
		nhir_store_rollback(dst);
	/* counted again on both sides, after the commit */
	for (size_t i = 0; !rc && i < res->tables; i++) {
		uint64_t a, b;

		rc = count(src, res->name[i], &a, err);
		if (!rc)
			rc = count(dst, res->name[i], &b, err);
		if (!rc && (a != b || a != res->rows[i]))
			rc = nhir_err_set(err, NHIR_ESTORE, "table %s: %" PRIu64
					  " rows in the source, %" PRIu64
					  " copied", res->name[i], a, b);
	}
	if (!rc)
		rc = copy_side(src, dst, res, err);
	return rc;
}
