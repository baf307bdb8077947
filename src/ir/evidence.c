/*
 * Evidence: files kept beside the database, named by their SHA-256 and
 * read-only, with a custody entry for every access.
 */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/hash.h"
#include "ir/ir.h"

/* Copies src to dst (created, mode), hashing what it copies. */
static enum nhir_rc copy_hash(const char *src, const char *dst, int mode,
			      unsigned char md[32], uint64_t *size,
			      struct nhir_err *err)
{
	struct nhir_sha256 h;
	char buf[65536];
	int in, out = -1;
	ssize_t n;
	enum nhir_rc rc = NHIR_OK;

	*size = 0;
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", src,
				    strerror(errno));
	if (dst) {
		out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
		if (out < 0) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s",
					  dst, strerror(errno));
			close(in);
			return rc;
		}
	}
	if (!nhir_sha256_init(&h)) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		nhir_sha256_update(&h, buf, (size_t)n);
		*size += (uint64_t)n;
		if (out >= 0 && write(out, buf, (size_t)n) != n) {
			rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s",
					  dst, strerror(errno));
			break;
		}
	}
	if (n < 0 && !rc)
		rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", src,
				  strerror(errno));
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
out:
	close(in);
	if (out >= 0 && close(out) && !rc)
		rc = nhir_err_set(err, NHIR_EIO, "cannot write '%s': %s", dst,
				  strerror(errno));
	if (rc && dst)
		unlink(dst);
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

static enum nhir_rc custody(struct nhir_store *st, int64_t ev,
			    const char *actor, const char *action,
			    const char *detail, struct nhir_err *err)
{
	return ir_exec(st, err, "INSERT INTO custody(evidence, at, actor,"
		       " action, detail) VALUES(?, ?, ?, ?, ?)", "iittt", ev,
		       nhir_time_now(), actor, action, detail);
}

enum nhir_rc nhir_evidence_add(struct nhir_store *st, const char *actor,
			       int64_t id, const char *path,
			       const char *source, int64_t *evidence,
			       char hex[65], struct nhir_err *err)
{
	char *dir = NULL, *tmp = NULL, *final = NULL;
	unsigned char md[32];
	uint64_t size = 0;
	const char *base;
	cJSON *d;
	enum nhir_rc rc;
	size_t n;

	*evidence = 0;
	if (!source || !*source)
		return nhir_err_set(err, NHIR_EINVAL, "evidence needs a "
				    "--source (where it was collected)");
	rc = ir_begin(st, actor, NHIR_PERM_WORK, id, "evidence.add", err);
	if (rc)
		return rc;
	dir = nhir_store_side_path(st, "evidence");
	if (!dir) {
		rc = nhir_err_set(err, NHIR_EINVAL, "evidence needs a database "
				  "file");
		goto out;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s", dir,
				  strerror(errno));
		goto out;
	}
	n = strlen(dir) + 32;
	tmp = nhir_malloc(n);
	if (!tmp) {
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		goto out;
	}
	snprintf(tmp, n, "%s/.in.%ld", dir, (long)getpid());
	rc = copy_hash(path, tmp, 0400, md, &size, err);
	if (rc)
		goto out;
	nhir_hex32(md, hex);
	final = evidence_path(st, hex);
	if (!final || rename(tmp, final)) {
		rc = final ? nhir_err_set(err, NHIR_EIO, "cannot store "
					  "evidence: %s", strerror(errno))
			   : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		unlink(tmp);
		goto out;
	}
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	rc = ir_int(st, err, evidence, NULL, "INSERT INTO evidence(incident, name,"
		      " sha256, size, source, collected_by, collected)"
		      " VALUES(?, ?, ?, ?, ?, ?, ?) RETURNING id", "ittitti",
		      id, base, hex, (int64_t)size, source, actor,
		      nhir_time_now());
	if (!rc)
		rc = custody(st, *evidence, actor, "collected", source, err);
out:
	d = cJSON_CreateObject();
	if (d && !rc) {
		cJSON_AddNumberToObject(d, "evidence", (double)*evidence);
		cJSON_AddStringToObject(d, "name", strrchr(path, '/')
						   ? strrchr(path, '/') + 1
						   : path);
		cJSON_AddStringToObject(d, "sha256", hex);
		cJSON_AddNumberToObject(d, "size", (double)size);
		cJSON_AddStringToObject(d, "source", source);
	}
	nhir_free(dir);
	nhir_free(tmp);
	nhir_free(final);
	return ir_end(st, rc, actor, "evidence.add", id, d, err);
}

enum nhir_rc nhir_evidence_export(struct nhir_store *st, const char *actor,
				  int64_t evidence, const char *path,
				  struct nhir_err *err)
{
	char sha[65] = "", hex[65];
	unsigned char md[32];
	uint64_t size;
	int64_t inc = 0;
	char *src = NULL;
	struct nhir_sql *q;
	cJSON *d;
	enum nhir_rc rc;
	int r;

	rc = ir_query(st, err, &q, "SELECT incident, sha256 FROM evidence"
		      " WHERE id = ?", "i", evidence);
	if (rc)
		return rc;
	r = nhir_sql_step(q, err);
	if (r == 1) {
		inc = nhir_sql_int(q, 0);
		ir_copy(sha, sizeof(sha), nhir_sql_text(q, 1));
	}
	nhir_sql_finish(q);
	if (r < 0)
		return err && err->rc ? err->rc : NHIR_ESTORE;
	if (!r)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no evidence %" PRId64,
				    evidence);
	/* reading evidence is open to all users; custody says who did */
	rc = ir_begin(st, actor, NHIR_PERM_READ, inc,
		      path ? "evidence.export" : "evidence.verify", err);
	if (rc)
		return rc;
	src = evidence_path(st, sha);
	if (!src)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc)
		rc = copy_hash(src, path, 0600, md, &size, err);
	if (!rc) {
		nhir_hex32(md, hex);
		if (strcmp(hex, sha)) {
			if (path)
				unlink(path);
			rc = nhir_err_set(err, NHIR_ECONFLICT,
					  "evidence %" PRId64 " was altered: "
					  "SHA-256 %s, recorded %s", evidence,
					  hex, sha);
		}
	}
	if (!rc)
		rc = custody(st, evidence, actor,
			     path ? "exported" : "verified", path, err);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddNumberToObject(d, "evidence", (double)evidence);
		cJSON_AddStringToObject(d, "sha256", sha);
		if (path)
			cJSON_AddStringToObject(d, "to", path);
	}
	nhir_free(src);
	return ir_end(st, rc, actor, path ? "evidence.export"
					  : "evidence.verify", inc, d, err);
}
