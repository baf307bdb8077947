/*
 * Evidence: files kept beside the database, named by their SHA-256 and
 * read-only, with a custody entry for every access.
 */
/* O_TMPFILE: stored evidence is linked in only once complete */
#define _GNU_SOURCE 1
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/hash.h"
#include "record/record-internal.h"
#include "store/record.h"

/* Copies in to out (when out >= 0), hashing it; at most max bytes. */
static enum nhir_rc copy_hash(int in, const char *src, int out,
			      const char *dst, uint64_t max,
			      unsigned char md[32], uint64_t *size,
			      struct nhir_err *err)
{
	struct nhir_sha256 h;
	char buf[65536];
	ssize_t n;
	enum nhir_rc rc = NHIR_OK;

	*size = 0;
	if (!nhir_sha256_init(&h))
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
					  src, strerror(errno));
			break;
		}
		if (max && (uint64_t)n > max - *size) {
			rc = nhir_err_set(err, NHIR_ETOOBIG, "'%s' is larger "
					  "than the evidence limit of %" PRIu64
					  " bytes (--max-size)", src, max);
			break;
		}
		nhir_sha256_update(&h, buf, (size_t)n);
		*size += (uint64_t)n;
		if (out >= 0 && write(out, buf, (size_t)n) != n) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s",
					  dst, strerror(errno));
			break;
		}
	}
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	return rc;
}

static char *evidence_path(struct nhir_store *st, const char *sha)
{
	char *dir = nhir_store_side_path(st, "evidence");
	size_t n;
	char *p;

	if (!dir)
		return NULL;
	n = strlen(dir) + 66;
	p = nhir_malloc(n);
	if (p)
		snprintf(p, n, "%s/%s", dir, sha);
	nhir_free(dir);
	return p;
}

/*
 * The evidence folder, made when create: a real directory, never a
 * symbolic link (which would send evidence, and exports, elsewhere).
 */
static enum nhir_rc evidence_dir(struct nhir_store *st, bool create,
				 char **out, struct nhir_err *err)
{
	char *dir = nhir_store_side_path(st, "evidence");
	struct stat sb;

	*out = NULL;
	if (!dir)
		return nhir_err_set(err, NHIR_EINVAL, "evidence needs a "
				    "database file or, on a database server, "
				    "NHIR_FILES (a folder)");
	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s", dir,
			     strerror(errno));
		nhir_free(dir);
		return NHIR_EIO;
	}
	if (!lstat(dir, &sb) && !S_ISDIR(sb.st_mode)) {
		nhir_err_set(err, NHIR_EINVAL, "evidence store '%s' is %s; "
			     "refusing it", dir, S_ISLNK(sb.st_mode)
			     ? "a symbolic link" : "not a directory");
		nhir_free(dir);
		return NHIR_EINVAL;
	}
	*out = dir;
	return NHIR_OK;
}

/* Opens a stored file: a regular file, not a link put in its place. */
static enum nhir_rc open_stored(const char *path, int64_t ev, int *fd,
				struct nhir_err *err)
{
	struct stat sb;

	*fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0 && errno == ELOOP)
		return nhir_err_set(err, NHIR_ECONFLICT, "evidence %" PRId64
				    " was altered: its stored file '%s' was "
				    "replaced by a symbolic link", ev, path);
	if (*fd < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot read evidence %"
				    PRId64 " at '%s': %s", ev, path,
				    strerror(errno));
	if (fstat(*fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(*fd);
		*fd = -1;
		return nhir_err_set(err, NHIR_ECONFLICT, "evidence %" PRId64
				    " was altered: its stored file '%s' is "
				    "not a regular file", ev, path);
	}
	return NHIR_OK;
}

/* Opens what is collected: "-" (stdin), a regular file or a pipe. */
static enum nhir_rc open_input(const char *path, uint64_t max, int *fd,
			       struct nhir_err *err)
{
	struct stat sb;
	int f;

	*fd = -1;
	if (!strcmp(path, "-")) {
		f = dup(STDIN_FILENO);
	} else {
		/* a pipe is opened blocking (it waits for its writer) */
		if (stat(path, &sb))
			return nhir_err_set(err, NHIR_EIO, "cannot read '%s': "
					    "%s", path, strerror(errno));
		f = open(path, O_RDONLY | O_CLOEXEC |
				       (S_ISFIFO(sb.st_mode) ? 0 : O_NONBLOCK));
	}
	if (f < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	if (fstat(f, &sb) || !(S_ISREG(sb.st_mode) || S_ISFIFO(sb.st_mode) ||
			       (!strcmp(path, "-") && !S_ISDIR(sb.st_mode)))) {
		close(f);
		return nhir_err_set(err, NHIR_EINVAL, "'%s' is not a regular "
				    "file or a pipe", path);
	}
	if (S_ISREG(sb.st_mode) && max && (uint64_t)sb.st_size > max) {
		close(f);
		return nhir_err_set(err, NHIR_ETOOBIG, "'%s' is larger than "
				    "the evidence limit of %" PRIu64 " bytes "
				    "(--max-size)", path, max);
	}
	if (fcntl(f, F_SETFL, 0)) {
		close(f);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	}
	*fd = f;
	return NHIR_OK;
}

/*
 * Copies the input into an unnamed file in dir (O_TMPFILE: nothing is
 * left behind by a failure or a kill) and links it in as final.  Where
 * the file system has no unnamed files, a named one is removed on every
 * error path.
 */
struct stored {
	int fd;
	char tmp[PATH_MAX];	/* "" for an unnamed file */
};

static enum nhir_rc store_open(const char *dir, struct stored *o,
			       struct nhir_err *err)
{
	o->tmp[0] = 0;
#ifdef O_TMPFILE
	o->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0400);
	if (o->fd >= 0)
		return NHIR_OK;
#endif
	snprintf(o->tmp, sizeof(o->tmp), "%s/.in.%ld", dir, (long)getpid());
	o->fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
				     O_CLOEXEC, 0400);
	if (o->fd < 0) {
		o->tmp[0] = 0;
		return nhir_err_set(err, NHIR_EIO, "cannot write in '%s': %s",
				    dir, strerror(errno));
	}
	return NHIR_OK;
}

static void store_drop(struct stored *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
}

static enum nhir_rc store_link(struct stored *o, const char *final,
			       struct nhir_err *err)
{
	char proc[64];
	int r;

	if (fsync(o->fd))
		return nhir_err_set(err, NHIR_EIO, "cannot store evidence: %s",
				    strerror(errno));
	if (o->tmp[0]) {
		r = rename(o->tmp, final);
		if (!r)
			o->tmp[0] = 0;
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
		r = linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW);
		/* the same content is already stored under its hash */
		if (r && errno == EEXIST) {
			struct stat sb;

			if (lstat(final, &sb) || !S_ISREG(sb.st_mode))
				return nhir_err_set(err, NHIR_ECONFLICT,
						    "'%s' is not a regular "
						    "file", final);
			r = 0;
		}
	}
	if (r)
		return nhir_err_set(err, NHIR_EIO, "cannot store evidence: %s",
				    strerror(errno));
	return NHIR_OK;
}

static enum nhir_rc custody(struct nhir_store *st, int64_t ev,
			    const char *actor, const char *action,
			    const char *detail, struct nhir_err *err)
{
	return nhir_record_store(st)->custody_insert(st, ev, nhir_store_now(st),
						     actor, action, detail,
						     err);
}

static enum nhir_rc record_evidence(struct nhir_store *st, int64_t incident,
				    const char *name, const char *hex,
				    uint64_t size, const char *source,
				    const char *actor, int64_t *evidence,
				    struct nhir_err *err)
{
	struct nhir_evidence_def e = {
		.incident = incident, .name = name, .sha256 = hex,
		.size = (int64_t)size, .source = source,
		.collected_by = actor, .collected = nhir_store_now(st),
	};

	return nhir_record_store(st)->evidence_insert(st, &e, evidence, err);
}

enum nhir_rc nhir_evidence_add(const struct nhir_ctx *ctx, int64_t id,
			       const char *path, const char *source,
			       uint64_t max_size, int64_t *evidence,
			       char hex[65], struct nhir_err *err)
{
	const char *base = strcmp(path, "-") ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : strcmp(path, "-") ? path : "stdin";
	return nhir_evidence_add_as(ctx, id, path, base, source, max_size,
				    evidence, hex, err);
}

enum nhir_rc nhir_evidence_add_as(const struct nhir_ctx *ctx, int64_t id,
				  const char *path, const char *base,
				  const char *source, uint64_t max_size,
				  int64_t *evidence, char hex[65],
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	struct stored o = { -1, "" };
	char *dir = NULL, *final = NULL;
	unsigned char md[32];
	uint64_t size = 0;
	cJSON *d;
	enum nhir_rc rc;
	int in = -1;

	*evidence = 0;
	if (!source || !*source)
		return nhir_err_set(err, NHIR_EINVAL, "evidence needs a "
				    "--source (where it was collected)");
	if (!max_size)
		max_size = NHIR_EVIDENCE_MAX_SIZE;
	/* refused before any reading; no write lock while reading */
	rc = nhir_authorize(ctx, NHIR_PERM_WORK, id, err);
	if (rc == NHIR_EDENIED)
		nhir_audit_denied(ctx, "evidence.add", id,
				  err ? err->msg : "denied");
	if (!rc)
		rc = evidence_dir(st, true, &dir, err);
	if (!rc)
		rc = open_input(path, max_size, &in, err);
	if (!rc)
		rc = store_open(dir, &o, err);
	if (!rc)
		rc = copy_hash(in, path, o.fd, dir, max_size, md, &size, err);
	if (in >= 0)
		close(in);
	if (rc) {
		store_drop(&o);
		nhir_free(dir);
		return rc;
	}
	nhir_hex32(md, hex);
	rc = ir_begin(ctx, NHIR_PERM_WORK, id, "evidence.add", err);
	if (rc) {
		store_drop(&o);
		nhir_free(dir);
		return rc;
	}
	final = evidence_path(st, hex);
	rc = final ? store_link(&o, final, err)
		   : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	store_drop(&o);
	if (!rc)
		rc = record_evidence(st, id, base, hex, size, source, actor,
				     evidence, err);
	if (!rc)
		rc = custody(st, *evidence, actor, "collected", source, err);
	d = cJSON_CreateObject();
	if (d && !rc) {
		cJSON_AddNumberToObject(d, "evidence", (double)*evidence);
		cJSON_AddStringToObject(d, "name", base);
		cJSON_AddStringToObject(d, "sha256", hex);
		cJSON_AddNumberToObject(d, "size", (double)size);
		cJSON_AddStringToObject(d, "source", source);
	}
	nhir_free(dir);
	nhir_free(final);
	return ir_end(ctx, rc, "evidence.add", id, d, err);
}

/*
 * The access of evidence as actor: copied to out (a descriptor, or -1
 * for none), or to path opened with flags when path is given, its hash
 * checked, and the custody entry saying so, with the audit entry of
 * action, in one transaction.
 */
static enum nhir_rc evidence_read(const struct nhir_ctx *ctx, int64_t evidence,
				  int64_t incident, int out, const char *path,
				  const char *to, unsigned flags,
				  const char *action, const char *what,
				  uint64_t *sizep, char sha_out[65],
				  struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	char sha[65] = "", hex[65];
	unsigned char md[32];
	uint64_t size = 0;
	int64_t inc = 0;
	char *src = NULL, *dir = NULL;
	bool found, own = false;
	cJSON *d;
	enum nhir_rc rc;
	int in = -1;

	rc = nhir_record_store(st)->evidence_locate(st, evidence, &inc, sha,
						    &found, err);
	if (rc)
		return rc;
	if (!found || (incident && inc != incident))
		return nhir_err_set(err, NHIR_ENOTFOUND, "no evidence %" PRId64
				    "%s", evidence, found ? " in this incident"
				    : "");
	/* reading evidence is open to all users; custody says who did */
	rc = ir_begin(ctx, NHIR_PERM_READ, inc, action, err);
	if (rc)
		return rc;
	rc = evidence_dir(st, false, &dir, err);
	if (!rc) {
		src = evidence_path(st, sha);
		if (!src)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	if (!rc)
		rc = open_stored(src, evidence, &in, err);
	if (!rc && path) {
		rc = nhir_store_output_open(st, path, flags, 0600, &out, err);
		own = !rc;
	}
	if (!rc)
		rc = copy_hash(in, src, out, to, 0, md, &size, err);
	if (in >= 0)
		close(in);
	if (own && close(out) && !rc)
		rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", path,
				  strerror(errno));
	if (!rc) {
		nhir_hex32(md, hex);
		if (strcmp(hex, sha))
			rc = nhir_err_set(err, NHIR_ECONFLICT,
					  "evidence %" PRId64 " was altered: "
					  "SHA-256 %s, recorded %s", evidence,
					  hex, sha);
	}
	/* what was written is not the evidence: it does not stay */
	if (rc && own)
		unlink(path);
	if (!rc)
		rc = custody(st, evidence, actor, what, to, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "evidence", (double)evidence);
		cJSON_AddStringToObject(d, "sha256", sha);
		if (to)
			cJSON_AddStringToObject(d, "to", to);
	}
	nhir_free(src);
	nhir_free(dir);
	if (sizep)
		*sizep = size;
	if (sha_out)
		memcpy(sha_out, sha, 65);
	return ir_end(ctx, rc, action, inc, d, err);
}

enum nhir_rc nhir_evidence_export(const struct nhir_ctx *ctx, int64_t evidence,
				  const char *path, unsigned flags,
				  struct nhir_err *err)
{
	return evidence_read(ctx, evidence, 0, -1, path, path, flags,
			     path ? "evidence.export" : "evidence.verify",
			     path ? "exported" : "verified", NULL, NULL, err);
}

enum nhir_rc nhir_evidence_download(const struct nhir_ctx *ctx,
				    int64_t incident, int64_t evidence, int out,
				    const char *to, uint64_t *size,
				    char sha[65], struct nhir_err *err)
{
	return evidence_read(ctx, evidence, incident, out, NULL, to, 0,
			     out >= 0 ? "evidence.download" : "evidence.verify",
			     out >= 0 ? "downloaded" : "verified", size, sha,
			     err);
}
