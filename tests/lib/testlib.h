/*
 * Helpers for the cmocka tests: temporary databases, the shared sample
 * data, running an importer over a string, and dumping a database to
 * compare before and after.
 */
#ifndef NHIR_TESTLIB_H
#define NHIR_TESTLIB_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE 1
#endif

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "nhir/nhir.h"
#include "core/alloc.h"

#define NHIR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The context of an operation on st by actor, on the real clock, with
 * no environment (a test that needs one sets its own): an expression
 * living until the end of the enclosing block.
 */
#define TL_CTX(store, user)                                               \
	(&(struct nhir_ctx){ .st = (store), .actor = (user),              \
			     .now = NHIR_TIME_UNSET })

/* A fresh directory under $TMPDIR, removed at exit.  Returns its path. */
const char *tl_tmpdir(void);
/* A new database path in tl_tmpdir() (the file does not exist yet). */
char *tl_db_path(void);
/*
 * Creates a database at a new path, or a new database on the server
 * $NHIR_TEST_DSN names when it is a "scheme://" DSN template ("%s": the
 * database's name); returns the open store (*path_out: its path or DSN).
 */
struct nhir_store *tl_new_store(char **path_out);
/*
 * Whether st's backend stores part (nhir_store_implements); when not,
 * prints "# not yet implemented on BACKEND: PART (test)" for the harness
 * to list, and the caller skips: TL_NEED.
 */
bool tl_need(struct nhir_store *st, const char *part, const char *test);
#define TL_NEED(st, part) do { \
	if (!tl_need((st), (part), __func__)) \
		skip(); \
} while (0)
/*
 * Path of a file under $NHIR_DATA (default ../shared/data), or NULL when
 * it is absent; the caller then skips with a message.
 */
char *tl_data(const char *rel);
/* Writes text to a new file in tl_tmpdir(); returns its path. */
char *tl_write_file(const char *name, const char *text);
/* Runs the importer named fmt over text into st, in one transaction. */
enum nhir_rc tl_import_text(struct nhir_store *st, const char *fmt,
			    const char *text, struct nhir_import_result *res);
/* A canonical dump of the graph tables, owned by the caller. */
char *tl_dump(const char *db_path);
/* The id of the node with external id ext, or fails the test. */
int64_t tl_node(struct nhir_store *st, const char *ext);
/* Reads a whole file; NULL if it cannot. */
char *tl_read_file(const char *path, size_t *len);

/* An input the importer must reject, and where and why. */
struct tl_bad {
	const char *name;
	const char *text;
	unsigned line, col;	/* 0: not checked */
	const char *msg;	/* a substring of the first error */
};

/*
 * Imports each case into one database holding `seed` (imported first
 * with the same format, may be NULL) and checks that it is rejected
 * with msg at line:col and that the database is exactly as before.
 */
void tl_check_rejected(const char *fmt, const char *seed,
		       const struct tl_bad *cases, size_t nr);

#define TL_SKIP_NO_DATA(p, rel) do { \
	(p) = tl_data(rel); \
	if (!(p)) { \
		print_message("skipping: %s is absent\n", rel); \
		skip(); \
	} \
} while (0)

#endif
