#include "compat.h"
#include "nhir/error.h"

enum nhir_rc nhir_err_set_fl(struct nhir_err *err, enum nhir_rc rc,
			     const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!err)
		return rc;
	err->rc = rc;
	err->sys_errno = saved;
	err->file = file;
	err->line = line;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void nhir_err_prefix(struct nhir_err *err, const char *fmt, ...)
{
	char head[NHIR_ERR_MSG_MAX], tmp[NHIR_ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(head, sizeof(head), fmt, ap);
	va_end(ap);
	/* Truncation is fine: the message buffer is fixed by design. */
	if (snprintf(tmp, sizeof(tmp), "%s: %s", head, err->msg) < 0)
		return;
	memcpy(err->msg, tmp, sizeof(err->msg));
}

const char *nhir_strerror(enum nhir_rc rc)
{
	static const char *const text[] = {
		[NHIR_OK] = "success",
		[NHIR_ENOMEM] = "out of memory",
		[NHIR_EINVAL] = "invalid argument",
		[NHIR_EIO] = "input/output error",
		[NHIR_EPARSE] = "malformed input",
		[NHIR_ETOOBIG] = "size limit exceeded",
		[NHIR_ESTORE] = "database error",
		[NHIR_ENOTFOUND] = "not found",
		[NHIR_EAMBIGUOUS] = "ambiguous reference",
		[NHIR_ECONFLICT] = "conflicts with stored data",
		[NHIR_ESCHEMA] = "database schema too new",
		[NHIR_EDENIED] = "not authorized",
		[NHIR_ESTALE] = "changed since it was read",
		[NHIR_EUNSUPPORTED] = "not supported by this database",
		[NHIR_EUNAVAILABLE] = "the database is unavailable",
		[NHIR_EREADONLY] = "the database is read-only",
	};

	if ((unsigned)rc >= NHIR_ARRAY_SIZE(text) || !text[rc])
		return "unknown error";
	return text[rc];
}

const char *nhir_rc_name(enum nhir_rc rc)
{
	static const char *const name[] = {
		[NHIR_OK] = "NHIR_OK",
		[NHIR_ENOMEM] = "NHIR_ENOMEM",
		[NHIR_EINVAL] = "NHIR_EINVAL",
		[NHIR_EIO] = "NHIR_EIO",
		[NHIR_EPARSE] = "NHIR_EPARSE",
		[NHIR_ETOOBIG] = "NHIR_ETOOBIG",
		[NHIR_ESTORE] = "NHIR_ESTORE",
		[NHIR_ENOTFOUND] = "NHIR_ENOTFOUND",
		[NHIR_EAMBIGUOUS] = "NHIR_EAMBIGUOUS",
		[NHIR_ECONFLICT] = "NHIR_ECONFLICT",
		[NHIR_ESCHEMA] = "NHIR_ESCHEMA",
		[NHIR_EDENIED] = "NHIR_EDENIED",
		[NHIR_ESTALE] = "NHIR_ESTALE",
		[NHIR_EUNSUPPORTED] = "NHIR_EUNSUPPORTED",
		[NHIR_EUNAVAILABLE] = "NHIR_EUNAVAILABLE",
		[NHIR_EREADONLY] = "NHIR_EREADONLY",
	};

	if ((unsigned)rc >= NHIR_ARRAY_SIZE(name) || !name[rc])
		return "NHIR_EUNKNOWN";
	return name[rc];
}

void nhir_bug_fl(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}
