#include "lib/testlib.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

static char tmpdir[512];
static int db_seq;

static void cleanup(void)
{
	char cmd[600];

	if (!tmpdir[0] || getenv("NHIR_TEST_KEEP"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

const char *tl_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/nhir-test-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		abort();
	}
	atexit(cleanup);
	return tmpdir;
}

char *tl_db_path(void)
{
	char *p = malloc(600);

	snprintf(p, 600, "%s/test-%d.db", tl_tmpdir(), ++db_seq);
	return p;
}

/*
 * $NHIR_TEST_DSN naming a database server ("scheme://..."): a DSN for a
 * new database there, its "%s" replaced by a name of this process's
 * own (nhir_malloc'd); NULL when it names none.
 */
static char *server_dsn(void)
{
	const char *tpl = getenv("NHIR_TEST_DSN");
	const char *hole;
	char name[64], *dsn;
	size_t n;

	if (!tpl || !strstr(tpl, "://"))
		return NULL;
	snprintf(name, sizeof(name), "nhir_test_%d_%d", (int)getpid(),
		 ++db_seq);
	n = strlen(tpl) + sizeof(name);
	dsn = malloc(n);
	hole = strstr(tpl, "%s");
	if (hole)
		snprintf(dsn, n, "%.*s%s%s", (int)(hole - tpl), tpl, name,
			 hole + 2);
	else
		snprintf(dsn, n, "%s", tpl);
	return dsn;
}

struct nhir_store *tl_new_store(char **path_out)
{
	struct nhir_store *st = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path = server_dsn();

	/* a server's store keeps its side files in $NHIR_FILES */
	if (nhir_store_set_files_dir(getenv("NHIR_FILES"), &err))
		fail_msg("NHIR_FILES: %s", err.msg);

	if (!path)
		path = tl_db_path();
	if (nhir_store_open(&st, path, NHIR_STORE_CREATE, &err))
		fail_msg("cannot create %s: %s", path, err.msg);
	if (path_out)
		*path_out = path;
	else
		free(path);
	return st;
}

bool tl_need(struct nhir_store *st, const char *part, const char *test)
{
	if (nhir_store_implements(st, part))
		return true;
	/* the harness (tests/cli/t0180-pg-store.sh) lists these lines */
	printf("# not yet implemented on %s: %s (%s)\n",
	       nhir_store_backend(st), part, test);
	fflush(stdout);
	return false;
}

char *tl_data(const char *rel)
{
	const char *base = getenv("NHIR_DATA");
	char *p = malloc(1024);
	struct stat sb;

	snprintf(p, 1024, "%s/%s", base && *base ? base : "../shared/data",
		 rel);
	if (stat(p, &sb)) {
		free(p);
		return NULL;
	}
	return p;
}

char *tl_write_file(const char *name, const char *text)
{
	char *p = malloc(1024);
	FILE *f;

	snprintf(p, 1024, "%s/%s", tl_tmpdir(), name);
	f = fopen(p, "wb");
	assert_non_null(f);
	fwrite(text, 1, strlen(text), f);
	fclose(f);
	return p;
}

/* The first active user who may import (admin, lead or responder). */
static int importer_cb(const struct nhir_user *u, void *data)
{
	char *name = data;

	if (!name[0] && u->active && (u->role == NHIR_ROLE_ADMIN ||
				      u->role == NHIR_ROLE_LEAD ||
				      u->role == NHIR_ROLE_RESPONDER))
		snprintf(name, sizeof(((struct nhir_user *)0)->name), "%s",
			 u->name);
	return 0;
}

enum nhir_rc tl_import_text(struct nhir_store *st, const char *fmt,
			    const char *text, struct nhir_import_result *res)
{
	char actor[sizeof(((struct nhir_user *)0)->name)] = "";
	const struct nhir_importer *imp = nhir_importer_find(fmt);
	struct nhir_err err = NHIR_ERR_INIT;
	static int seq;
	char name[64];
	char *path;
	enum nhir_rc rc;

	assert_non_null(imp);
	snprintf(name, sizeof(name), "input-%d", ++seq);
	path = tl_write_file(name, text);
	/* the library checks who imports, once a database has users */
	assert_int_equal(nhir_user_list(st, importer_cb, actor, NULL), 0);
	rc = nhir_import_file(TL_CTX(st, actor[0] ? actor : "tester"), imp,
			      path, NULL, res, &err);
	if (rc)
		print_message("import %s: %s\n", name, err.msg);
	free(path);
	return rc;
}

static void dump_table(sqlite3 *db, const char *sql, FILE *out)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(q); i++) {
			const unsigned char *t = sqlite3_column_text(q, i);

			fprintf(out, "%s%s", i ? "|" : "",
				t ? (const char *)t : "NULL");
		}
		fputc('\n', out);
	}
	sqlite3_finalize(q);
}

char *tl_dump(const char *db_path)
{
	sqlite3 *db;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	dump_table(db, "SELECT id, kind, ext_id, name, subtype, provider,"
		       " attrs, created, expires, disabled FROM node ORDER BY id",
		   out);
	dump_table(db, "SELECT id, src, dst, kind, cascade, privilege, attrs,"
		       " created, expires FROM edge ORDER BY id", out);
	sqlite3_close(db);
	fclose(out);
	return buf;
}

int64_t tl_node(struct nhir_store *st, const char *ext)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id = 0;

	if (nhir_store_resolve(st, ext, &id, &err))
		fail_msg("node '%s': %s", ext, err.msg);
	return id;
}

char *tl_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		size_t r;

		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			buf = realloc(buf, cap);
		}
		r = fread(buf + n, 1, 65536, f);
		n += r;
		if (r < 65536)
			break;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

void tl_check_rejected(const char *fmt, const char *seed,
		       const struct tl_bad *cases, size_t nr)
{
	char *path = NULL, *before, *after;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_import_result res;

	if (seed)
		assert_int_equal(tl_import_text(st, fmt, seed, &res), 0);
	before = tl_dump(path);
	for (size_t i = 0; i < nr; i++) {
		const struct tl_bad *c = &cases[i];
		enum nhir_rc rc = tl_import_text(st, fmt, c->text, &res);

		if (rc != NHIR_EPARSE || !res.error_nr)
			fail_msg("%s: rc %d, %zu errors", c->name, rc,
				 res.error_nr);
		if (!strstr(res.errors[0].msg, c->msg) ||
		    (c->line && res.errors[0].line != c->line) ||
		    (c->col && res.errors[0].col != c->col))
			fail_msg("%s: got %u:%u '%s'", c->name,
				 res.errors[0].line, res.errors[0].col,
				 res.errors[0].msg);
		after = tl_dump(path);
		if (strcmp(before, after))
			fail_msg("%s: database changed", c->name);
		free(after);
	}
	free(before);
	nhir_store_close(st);
	free(path);
}
