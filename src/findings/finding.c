/*
 * Findings import: fingerprints, matching to credential nodes, sightings
 * and stored_in edges, all in one transaction with its audit entry.
 */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/buf.h"
#include "nhir/finding.h"
#include "core/hash.h"
#include "core/input.h"
#include "nhir/record.h"
#include "record/record-internal.h"
#include "store/findings.h"

#define MAX_REPORT (256u << 20)

void nhir_secret_preview(const char *s, size_t len, char *out, size_t n)
{
	char aws[21];

	if (nhir_find_aws_key_id(s, len, aws) && len == 20) {
		/* a key id is an identifier, not the secret */
		snprintf(out, n, "%s", aws);
		return;
	}
	/* at most 4 characters of a secret, whatever its length */
	if (len >= 16)
		snprintf(out, n, "%.4s... (%zu chars)", s, len);
	else if (len >= 8)
		snprintf(out, n, "%.2s... (%zu chars)", s, len);
	else
		snprintf(out, n, "... (%zu chars)", len);
	/* the preview is shown and stored: printable ASCII only */
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
}

static bool key_char(char c)
{
	return isupper((unsigned char)c) || isdigit((unsigned char)c);
}

bool nhir_find_aws_key_id(const char *s, size_t len, char out[21])
{
	static const char *const prefixes[] = { "AKIA", "ASIA", "ABIA", "ACCA" };

	for (size_t i = 0; i + 20 <= len; i++) {
		size_t k;

		if (i && key_char(s[i - 1]))
			continue;
		for (k = 0; k < NHIR_ARRAY_SIZE(prefixes); k++)
			if (!memcmp(s + i, prefixes[k], 4))
				break;
		if (k == NHIR_ARRAY_SIZE(prefixes))
			continue;
		for (k = 4; k < 20 && key_char(s[i + k]); k++)
			;
		if (k < 20 || (i + 20 < len && key_char(s[i + 20])))
			continue;
		memcpy(out, s + i, 20);
		out[20] = 0;
		return true;
	}
	return false;
}

enum nhir_rc nhir_fingerprint_key(struct nhir_store *st,
				  unsigned char key[32],
				  struct nhir_err *err)
{
	char *path = nhir_store_side_path(st, "key");
	enum nhir_rc rc = NHIR_OK;
	ssize_t n;
	int fd;

	if (!path)
		return nhir_err_set(err, NHIR_EINVAL, "fingerprints need a "
				    "database file or, on a database server, "
				    "NHIR_FILES (a folder for the key)");
	if (sodium_init() < 0) {
		nhir_free(path);
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			randombytes_buf(key, 32);
			n = write(fd, key, 32);
			if (close(fd) || n != 32) {
				unlink(path);
				rc = nhir_err_set(err, NHIR_EIO, "cannot write "
						  "'%s': %s", path,
						  strerror(errno));
			}
			nhir_free(path);
			return rc;
		}
		if (errno == EEXIST)	/* made by someone else meanwhile */
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		rc = nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", path,
				  strerror(errno));
	} else {
		n = read(fd, key, 32);
		close(fd);
		if (n != 32)
			rc = nhir_err_set(err, NHIR_EIO, "fingerprint key '%s' "
					  "is damaged (not 32 bytes)", path);
	}
	nhir_free(path);
	return rc;
}

static enum nhir_rc read_report(const char *path, char **data, size_t *len,
				struct nhir_err *err)
{
	struct nhir_buf b = NHIR_BUF_INIT(MAX_REPORT);
	char chunk[65536];
	int fd;
	ssize_t n = 0;
	enum nhir_rc rc;

	*data = NULL;
	rc = nhir_input_open(path, &fd, err);
	if (rc)
		return rc;
	/* up to the limit: standard input may not end */
	while (!b.err && ((n = read(fd, chunk, sizeof(chunk))) > 0 ||
			  (n < 0 && errno == EINTR)))
		if (n > 0)
			nhir_buf_add(&b, chunk, (size_t)n);
	close(fd);
	if (b.err)
		n = 0;
	if (n < 0) {
		nhir_buf_release(&b);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s", path,
				    strerror(errno));
	}
	if (b.err) {
		nhir_buf_release(&b);
		return nhir_err_set(err, b.err == NHIR_ENOMEM ? NHIR_ENOMEM
							      : NHIR_ETOOBIG,
				    "'%s' is larger than %u MiB", path,
				    MAX_REPORT >> 20);
	}
	nhir_buf_addch(&b, 0);
	*data = b.buf;
	*len = b.len ? b.len - 1 : 0;
	return NHIR_OK;
}

/* What a secret probably is, from the detector's name and the secret. */
static const char *guess_kind(const struct nhir_sighting *s, bool aws)
{
	static const struct {
		const char *needle, *kind;
	} table[] = {
		{ "aws", "aws-access-key" }, { "github", "github-token" },
		{ "gitlab", "gitlab-token" }, { "slack", "slack-token" },
		{ "jwt", "jwt" }, { "private", "private-key" },
		{ "gcp", "gcp-service-account-key" },
		{ "google", "gcp-service-account-key" },
		{ "azure", "azure-credential" }, { "stripe", "stripe-key" },
		{ "password", "password" }, { "passwd", "password" },
		{ "postgres", "database-password" }, { "uri", "url-credential" },
		{ "api", "api-key" }, { "token", "token" },
	};
	char low[128];
	size_t i;

	if (s->kind)
		return s->kind;
	if (aws)
		return "aws-access-key";
	if (s->secret_len > 4 && (!strncmp(s->secret, "ghp_", 4) ||
				  !strncmp(s->secret, "gho_", 4) ||
				  !strncmp(s->secret, "ghs_", 4) ||
				  !strncmp(s->secret, "github_pat_", 11)))
		return "github-token";
	if (s->secret_len > 3 && !strncmp(s->secret, "eyJ", 3))
		return "jwt";
	for (i = 0; s->detector && s->detector[i] && i + 1 < sizeof(low); i++)
		low[i] = (char)tolower((unsigned char)s->detector[i]);
	low[i] = 0;
	for (i = 0; i < NHIR_ARRAY_SIZE(table); i++)
		if (strstr(low, table[i].needle))
			return table[i].kind;
	return "secret";
}

struct import {
	struct nhir_store *st;
	const struct nhir_scanner_format *fmt;
	const char *path;
	unsigned char key[32];
	struct nhir_findings_result *res;
	struct nhir_err *err;
	enum nhir_rc rc;
	int64_t *made;		/* credential nodes this report created */
	size_t made_nr, made_alloc;
};

static bool made_here(const struct import *x, int64_t node)
{
	for (size_t i = 0; i < x->made_nr; i++)
		if (x->made[i] == node)
			return true;
	return false;
}

static bool remember(struct nhir_findings_result *r, int64_t id)
{
	for (size_t i = 0; i < r->id_nr; i++)
		if (r->ids[i] == id)
			return true;
	if (NHIR_ALLOC_GROW(r->ids, r->id_nr + 1, r->id_alloc))
		return false;
	r->ids[r->id_nr++] = id;
	return true;
}

static int import_sighting(const struct nhir_sighting *s, void *data)
{
	struct import *x = data;
	unsigned char mac[32];
	char fp[65], preview[96], aws[21], cred_ext[300], store_ext[2200];
	char name[400];
	const char *cred = s->credential, *kind;
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	struct nhir_node cn;
	enum nhir_put put;
	const struct nhir_findings_store_ops *ops = nhir_findings_store(x->st);
	struct nhir_findings_sighting sr = {
		.format = x->fmt->name, .repo = s->repo, .commit = s->commit,
		.file = s->file, .line = s->line, .at = s->time,
		.author = s->author, .link = s->link, .report = x->path,
	};
	int64_t node = 0, fid = 0, now = nhir_store_now(x->st);
	int64_t seen = s->time != NHIR_TIME_UNSET ? s->time : now;
	bool aws_key, known, added;

	crypto_auth_hmacsha256(mac, (const unsigned char *)s->secret,
			       s->secret_len, x->key);
	nhir_hex32(mac, fp);
	if (s->preview)
		snprintf(preview, sizeof(preview), "%s", s->preview);
	else
		nhir_secret_preview(s->secret, s->secret_len, preview,
				    sizeof(preview));
	aws_key = nhir_find_aws_key_id(s->secret, s->secret_len, aws);
	kind = guess_kind(s, aws_key);

	/*
	 * The credential: named by the report, an AWS key id in the secret,
	 * a node whose external id is the secret (a public key id), or the
	 * secret's own fingerprint.
	 */
	if (!cred && aws_key)
		cred = aws;
	if (!cred && s->secret_len < 256 && !memchr(s->secret, 0, s->secret_len) &&
	    !nhir_store_find_ext(x->st, s->secret, &node, NULL) &&
	    !nhir_store_get_node(x->st, node, &cn, NULL)) {
		if (cn.kind == NHIR_NODE_CREDENTIAL || cn.kind == NHIR_NODE_TOKEN) {
			snprintf(cred_ext, sizeof(cred_ext), "%s", cn.ext_id);
			cred = cred_ext;
		}
		nhir_node_release(&cn);
	}
	if (!cred) {
		snprintf(cred_ext, sizeof(cred_ext), "secret:%s", fp);
		cred = cred_ext;
	}
	known = !nhir_store_find_ext(x->st, cred, &node, NULL);
	if (known && !made_here(x, node))
		x->res->matched++;
	snprintf(name, sizeof(name), "%s %s", kind, preview);
	/* a known node stays what it is: a key, a token or a grant */
	if (!known) {
		n.kind = NHIR_NODE_CREDENTIAL;
		n.ext_id = cred;
		n.name = name;
		n.subtype = kind;
		n.provider = aws_key ? "aws" : NULL;
		x->rc = nhir_store_put_node(x->st, &n, &put, x->err);
		if (x->rc)
			return 1;
	}

	/* a copy of a secret lives somewhere; a grant does not */
	if (known && !nhir_store_get_node(x->st, node, &cn, NULL)) {
		bool secret = cn.kind == NHIR_NODE_CREDENTIAL ||
			      cn.kind == NHIR_NODE_TOKEN;

		nhir_node_release(&cn);
		if (!secret)
			goto finding;
	}
	/* where it was seen: a file of a repository, a file, a repository */
	if (s->repo && s->file)
		snprintf(store_ext, sizeof(store_ext), "git:%s:%s", s->repo,
			 s->file);
	else if (s->repo)
		snprintf(store_ext, sizeof(store_ext), "git:%s", s->repo);
	else
		snprintf(store_ext, sizeof(store_ext), "file:%s", s->file);
	n = (struct nhir_node_rec)NHIR_NODE_REC_INIT;
	n.kind = NHIR_NODE_STORE;
	n.ext_id = store_ext;
	n.name = s->file ? s->file : s->repo;
	n.subtype = s->repo ? (s->file ? "git-file" : "git-repository") : "file";
	x->rc = nhir_store_put_node(x->st, &n, &put, x->err);
	if (x->rc)
		return 1;
	e.kind = NHIR_EDGE_STORED_IN;
	e.src = cred;
	e.dst = store_ext;
	e.created = s->time;
	x->rc = nhir_store_put_edge(x->st, &e, &put, x->err);
	if (x->rc)
		return 1;
finding:
	/* a known credential's node was found above; a new one is looked up */
	if (!known) {
		x->rc = nhir_store_find_ext(x->st, cred, &node, x->err);
		if (x->rc)
			return 1;
		if (NHIR_ALLOC_GROW(x->made, x->made_nr + 1, x->made_alloc)) {
			x->rc = nhir_err_set(x->err, NHIR_ENOMEM,
					     "out of memory");
			return 1;
		}
		x->made[x->made_nr++] = node;
	}

	/* the finding: one per secret */
	x->rc = ops->finding_by_fingerprint(x->st, fp, &fid, x->err);
	if (x->rc)
		return 1;
	if (!fid) {
		struct nhir_findings_new nf = {
			.fingerprint = fp, .preview = preview, .kind = kind,
			.detector = s->detector ? s->detector : x->fmt->name,
			.credential = node, .verified = s->verified,
			.seen = seen,
		};

		x->rc = ops->finding_insert(x->st, &nf, &fid, x->err);
		x->res->findings_new++;
	} else {
		x->rc = ops->finding_seen(x->st, fid, seen, s->verified, x->err);
	}
	if (x->rc)
		return 1;
	x->rc = ops->sighting_insert(x->st, fid, &sr, &added, x->err);
	if (x->rc)
		return 1;
	if (added)
		x->res->sightings_new++;
	if (!remember(x->res, fid)) {
		x->rc = nhir_err_set(x->err, NHIR_ENOMEM, "out of memory");
		return 1;
	}
	return 0;
}

void nhir_findings_result_release(struct nhir_findings_result *r)
{
	nhir_free(r->ids);
	r->ids = NULL;
	r->id_nr = r->id_alloc = 0;
}

enum nhir_rc nhir_findings_import(const struct nhir_ctx *ctx,
				  const struct nhir_scanner_format *fmt,
				  const char *path,
				  struct nhir_findings_result *res,
				  struct nhir_err *err)
{
	return nhir_findings_import_as(ctx, fmt, path, path, res, err);
}

enum nhir_rc nhir_findings_import_as(const struct nhir_ctx *ctx,
				     const struct nhir_scanner_format *fmt,
				     const char *path, const char *name,
				     struct nhir_findings_result *res,
				     struct nhir_err *err)
{
	char *data = NULL;
	size_t len = 0;
	enum nhir_rc rc;

	memset(res, 0, sizeof(*res));
	rc = read_report(path, &data, &len, err);
	if (!rc)
		rc = nhir_findings_import_data(ctx, fmt, data, len, name, res,
					       err);
	/* the report may hold secrets: wipe the copy */
	if (data)
		sodium_memzero(data, len);
	nhir_free(data);
	return rc;
}

enum nhir_rc nhir_findings_import_data(const struct nhir_ctx *ctx,
				       const struct nhir_scanner_format *fmt,
				       const char *data, size_t len,
				       const char *name,
				       struct nhir_findings_result *res,
				       struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct import x;
	cJSON *d;
	enum nhir_rc rc;

	memset(res, 0, sizeof(*res));
	memset(&x, 0, sizeof(x));
	x.st = st;
	x.fmt = fmt;
	x.path = name;
	x.res = res;
	x.err = err;
	rc = nhir_fingerprint_key(st, x.key, err);
	if (rc)
		return rc;
	rc = ir_begin(ctx, NHIR_PERM_DATA, 0, "findings.import", err);
	if (rc) {
		sodium_memzero(x.key, sizeof(x.key));
		return rc;
	}
	rc = fmt->parse(data, len, import_sighting, &x, &res->scanner, err);
	if (!rc)
		rc = x.rc;
	res->entries = res->scanner.entries;
	if (rc == NHIR_EPARSE)
		nhir_err_prefix(err, "%s", name);
	d = cJSON_CreateObject();
	if (d) {
		cJSON_AddStringToObject(d, "format", fmt->name);
		cJSON_AddStringToObject(d, "path", name);
		cJSON_AddNumberToObject(d, "entries", (double)res->entries);
		cJSON_AddNumberToObject(d, "new_findings",
					(double)res->findings_new);
		cJSON_AddNumberToObject(d, "new_sightings",
					(double)res->sightings_new);
		cJSON_AddNumberToObject(d, "skipped", (double)res->scanner.bad);
	}
	rc = ir_end(ctx, rc, "findings.import", 0, d, err);
	sodium_memzero(x.key, sizeof(x.key));
	nhir_free(x.made);
	if (rc)
		nhir_findings_result_release(res);
	return rc;
}

const char *nhir_finding_status_name(enum nhir_finding_status s)
{
	switch (s) {
	case NHIR_FINDING_OPEN:
		return "open";
	case NHIR_FINDING_INCIDENT:
		return "incident";
	default:
		return "unknown";
	}
}

enum nhir_finding_status nhir_finding_status_parse(const char *s)
{
	for (int i = NHIR_FINDING_OPEN; s && i < NHIR_FINDING_STATUS_UNKNOWN;
	     i++)
		if (!strcmp(s, nhir_finding_status_name(
				       (enum nhir_finding_status)i)))
			return (enum nhir_finding_status)i;
	return NHIR_FINDING_STATUS_UNKNOWN;
}

struct each {
	nhir_finding_cb cb;
	void *data;
};

static int each_row(void *arg, const struct nhir_finding *row,
		    enum nhir_finding_status status)
{
	struct each *e = arg;
	struct nhir_finding f = *row;

	f.status = nhir_finding_status_name(status);
	return e->cb(&f, e->data);
}

enum nhir_rc nhir_finding_each(struct nhir_store *st, int64_t id, bool all,
			       nhir_finding_cb cb, void *data,
			       struct nhir_err *err)
{
	struct each e = { cb, data };

	return nhir_findings_store(st)->findings_each(st, id, all, each_row,
						      &e, err);
}

enum nhir_rc nhir_sighting_each(struct nhir_store *st, int64_t finding,
				nhir_sighting_row_cb cb, void *data,
				struct nhir_err *err)
{
	return nhir_findings_store(st)->sightings_of(st, finding, cb, data,
						     err);
}
