/*
 * Errors: a return code plus a caller-owned message buffer.
 *
 * Every fallible library function returns enum nhir_rc and takes a
 * struct nhir_err * as its last parameter, which may be NULL.  Filling
 * in the message never allocates.
 */
#ifndef NHIR_ERROR_H
#define NHIR_ERROR_H

enum nhir_rc {
	NHIR_OK = 0,
	NHIR_ENOMEM = 1,	/* out of memory */
	NHIR_EINVAL = 2,	/* invalid argument */
	NHIR_EIO = 3,		/* system call failed; see sys_errno */
	NHIR_EPARSE = 4,	/* malformed input */
	NHIR_ETOOBIG = 5,	/* a size limit was exceeded */
	NHIR_ESTORE = 6,	/* the database failed */
	NHIR_ENOTFOUND = 7,	/* no such node, edge or object */
	NHIR_EAMBIGUOUS = 8,	/* a reference matches several objects */
	NHIR_ECONFLICT = 9,	/* the input contradicts what is stored */
	NHIR_ESCHEMA = 10,	/* database schema is newer than this build */
	NHIR_EDENIED = 11,	/* the acting user may not do this */
	NHIR_ESTALE = 12,	/* changed since the caller read it */
	NHIR_EUNSUPPORTED = 13,	/* this store backend does not do it yet */
	NHIR_EUNAVAILABLE = 14,	/* the database cannot be reached now */
	NHIR_EREADONLY = 15,	/* the database or server takes no changes */
	/* append only; never renumber */
	NHIR_RC_LAST
};

#define NHIR_ERR_MSG_MAX 256

struct nhir_err {
	enum nhir_rc rc;
	int sys_errno;
	const char *file;	/* source file that set the error */
	int line;
	char msg[NHIR_ERR_MSG_MAX];
};

#define NHIR_ERR_INIT { NHIR_OK, 0, NULL, 0, { 0 } }

/*
 * Records rc and a printf-style message in err (if not NULL), along with
 * errno and the source location, and returns rc so that callers can write
 * "return nhir_err_set(err, NHIR_EPARSE, "bad time '%s'", s);".
 */
#define nhir_err_set(err, rc, ...) \
	nhir_err_set_fl((err), (rc), __FILE__, __LINE__, __VA_ARGS__)

enum nhir_rc nhir_err_set_fl(struct nhir_err *err, enum nhir_rc rc,
			     const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Puts "prefix: " in front of the message already in err.  Used once, at a
 * subsystem boundary, to add context such as a file name.
 */
void nhir_err_prefix(struct nhir_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A short static description of rc ("out of memory", ...). */
const char *nhir_strerror(enum nhir_rc rc);
/* The code's name as in this header ("NHIR_EDENIED"), for documents. */
const char *nhir_rc_name(enum nhir_rc rc);

#endif
