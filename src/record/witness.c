/*
 * Witnessing (include/nhir/witness.h): this log's identity, the
 * witness's side (checkpoints of other logs taken only when they hold
 * and contradict nothing held, append-only, each acceptance audited),
 * and what a sender needs (its configuration, its token, the requests).
 */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>
#include "nhir/keys.h"
#include "nhir/oidc.h"
#include "core/sign.h"
#include "core/yaml.h"
#include "record/record-internal.h"
#include "store/record.h"

const char *const ir_config_sections[] = { "oidc", "witness", "webhooks", "ssf",
					     NULL };

static bool hex_of(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s[i] && i <= n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == n;
}

bool ir_log_id_valid(const char *s)
{
	return s && hex_of(s, 32);
}

enum nhir_rc ir_log_id(struct nhir_store *st, char *id, struct nhir_err *err)
{
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	struct nhir_err e = NHIR_ERR_INIT;
	bool found = false;
	enum nhir_rc rc;

	id[0] = '\0';
	if (!rs->log_id_read)
		return NHIR_OK;
	rc = rs->log_id_read(st, id, &found, &e);
	if (rc == NHIR_EUNSUPPORTED) {
		id[0] = '\0';
		return NHIR_OK;
	}
	if (rc) {
		if (err)
			*err = e;
		return rc;
	}
	if (!found || !ir_log_id_valid(id))
		return nhir_err_set(err, NHIR_ECONFLICT, "the database has lost "
				    "its log identity (meta 'log_id'): it was "
				    "edited outside nhir");
	return NHIR_OK;
}

enum nhir_rc nhir_log_id(struct nhir_store *st, char id[NHIR_LOG_ID_LEN],
			 struct nhir_err *err)
{
	enum nhir_rc rc = ir_log_id(st, id, err);

	if (!rc && !id[0])
		rc = nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store keeps "
				  "no log identity", nhir_store_backend(st));
	return rc;
}

/* ---- the witness's side ---- */

/* The object a checkpoint's signature is over (checkpoint.c's). */
static cJSON *signed_part(const struct nhir_witness_cp *cp)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddNumberToObject(o, "seq", (double)cp->seq) ||
		  !cJSON_AddStringToObject(o, "head", cp->head) ||
		  !cJSON_AddNumberToObject(o, "at", (double)cp->at) ||
		  !cJSON_AddStringToObject(o, "log", cp->log))) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

static enum nhir_rc refuse(struct nhir_err *err, char field[16],
			   enum nhir_rc rc, const char *name,
			   const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static enum nhir_rc refuse(struct nhir_err *err, char field[16],
			   enum nhir_rc rc, const char *name,
			   const char *fmt, ...)
{
	char msg[NHIR_ERR_MSG_MAX];
	va_list ap;

	snprintf(field, 16, "%s", name);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return nhir_err_set(err, rc, "field '%s': %s", name, msg);
}

/* The fields' shapes and the signature; NHIR_EINVAL naming the field. */
static enum nhir_rc check_cp(const struct nhir_witness_cp *cp, char field[16],
			     struct nhir_err *err)
{
	unsigned char pk[NHIR_ED_PK], sig[NHIR_ED_SIG];
	cJSON *o;
	char *canon;
	bool ok;

	if (!ir_log_id_valid(cp->log))
		return refuse(err, field, NHIR_EINVAL, "log", "not 32 "
			      "lowercase hex digits");
	if (cp->seq < 1)
		return refuse(err, field, NHIR_EINVAL, "seq", "not an entry");
	if (!hex_of(cp->head, 64))
		return refuse(err, field, NHIR_EINVAL, "head", "not 64 "
			      "lowercase hex digits");
	if (!hex_of(cp->public_key, 64) ||
	    !nhir_ed_unhex(cp->public_key, pk, sizeof(pk)))
		return refuse(err, field, NHIR_EINVAL, "public_key", "not 64 "
			      "lowercase hex digits");
	if (!hex_of(cp->signature, 128) ||
	    !nhir_ed_unhex(cp->signature, sig, sizeof(sig)))
		return refuse(err, field, NHIR_EINVAL, "signature", "not 128 "
			      "lowercase hex digits");
	o = signed_part(cp);
	canon = o ? nhir_json_canonical(o) : NULL;
	cJSON_Delete(o);
	if (!canon)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	ok = nhir_ed_verify(pk, canon, strlen(canon), sig);
	nhir_free(canon);
	if (!ok)
		return refuse(err, field, NHIR_EINVAL, "signature", "does not "
			      "hold for this checkpoint under public_key");
	return NHIR_OK;
}

/* One row read, copied. */
struct held {
	bool found;
	int64_t seq, at, received;
	char head[65], public_key[65], signature[129], by[128];
};

static int take_row(const struct nhir_witness_row *w, void *data)
{
	struct held *h = data;

	h->found = true;
	h->seq = w->seq;
	h->at = w->at;
	h->received = w->received;
	ir_copy(h->head, sizeof(h->head), w->head);
	ir_copy(h->public_key, sizeof(h->public_key), w->public_key);
	ir_copy(h->signature, sizeof(h->signature), w->signature);
	ir_copy(h->by, sizeof(h->by), w->by);
	return 1;
}

static enum nhir_rc held_at(struct nhir_store *st, const char *log,
			    int64_t seq, struct held *h, struct nhir_err *err)
{
	const struct nhir_record_store_ops *rs = nhir_record_store(st);

	memset(h, 0, sizeof(*h));
	if (!rs->witness_read)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store "
				    "keeps no witness checkpoints",
				    nhir_store_backend(st));
	return rs->witness_read(st, log, seq, take_row, h, err);
}

/* Does cp contradict what is held?  NHIR_ECONFLICT naming the field. */
static enum nhir_rc contradicts(struct nhir_store *st,
				const struct nhir_witness_cp *cp, bool *dup,
				char field[16], struct nhir_err *err)
{
	char fp[NHIR_KEY_FP_LEN], held_fp[NHIR_KEY_FP_LEN];
	struct held h;
	enum nhir_rc rc;

	*dup = false;
	rc = held_at(st, cp->log, -1, &h, err);
	if (rc)
		return rc;
	if (h.found && strcmp(h.public_key, cp->public_key)) {
		nhir_key_fingerprint(cp->public_key, fp);
		nhir_key_fingerprint(h.public_key, held_fp);
		return refuse(err, field, NHIR_ECONFLICT, "public_key",
			      "log %s is signed by %s since its first "
			      "checkpoint; this one is signed by %s", cp->log,
			      held_fp, fp);
	}
	rc = held_at(st, cp->log, cp->seq, &h, err);
	if (rc)
		return rc;
	if (h.found && strcmp(h.head, cp->head))
		return refuse(err, field, NHIR_ECONFLICT, "head", "log %s had "
			      "head %s at entry %" PRId64 "; this checkpoint "
			      "says %s: one of them was rewritten", cp->log,
			      h.head, cp->seq, cp->head);
	*dup = h.found;
	/* older than the newest held, even one held: a rollback */
	rc = held_at(st, cp->log, 0, &h, err);
	if (rc)
		return rc;
	if (h.found && h.seq > cp->seq)
		return refuse(err, field, NHIR_ECONFLICT, "seq", "log %s is "
			      "held up to entry %" PRId64 "; a checkpoint at "
			      "entry %" PRId64 " rolls it back", cp->log,
			      h.seq, cp->seq);
	return NHIR_OK;
}

enum nhir_rc nhir_witness_accept(const struct nhir_ctx *ctx,
				 const struct nhir_witness_cp *cp, bool *fresh,
				 char field[16], struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	const char *actor = ctx->actor;
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	struct nhir_witness_row w;
	char fp[NHIR_KEY_FP_LEN];
	bool dup = false;
	cJSON *d;
	enum nhir_rc rc;

	*fresh = false;
	field[0] = '\0';
	rc = check_cp(cp, field, err);
	if (rc)
		return rc;
	if (!rs->witness_insert)
		return nhir_err_set(err, NHIR_EUNSUPPORTED, "the %s store "
				    "keeps no witness checkpoints",
				    nhir_store_backend(st));
	rc = ir_begin(ctx, NHIR_PERM_DATA, 0, "witness.checkpoint", err);
	if (rc)
		return rc;
	rc = contradicts(st, cp, &dup, field, err);
	if (rc || dup) {
		nhir_store_rollback(st);
		/* a contradiction is evidence: on the record, with why */
		if (rc == NHIR_ECONFLICT)
			nhir_audit_denied(ctx, "witness.checkpoint", 0,
					  err ? err->msg : "contradiction");
		return rc;
	}
	w = (struct nhir_witness_row){ cp->log, cp->head, cp->public_key,
				       cp->signature, actor, cp->seq, cp->at,
				       nhir_ctx_now(ctx) };
	rc = rs->witness_insert(st, &w, err);
	nhir_key_fingerprint(cp->public_key, fp);
	d = cJSON_CreateObject();
	if (!d || !cJSON_AddStringToObject(d, "log", cp->log) ||
	    !cJSON_AddNumberToObject(d, "seq", (double)cp->seq) ||
	    !cJSON_AddStringToObject(d, "head", cp->head) ||
	    !cJSON_AddStringToObject(d, "signer", fp))
		rc = rc ? rc : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	rc = ir_end(ctx, rc, "witness.checkpoint", 0, d, err);
	*fresh = !rc;
	return rc;
}

enum nhir_rc nhir_witness_get(struct nhir_store *st, const char *log,
			      int64_t seq, char **doc, struct nhir_err *err)
{
	struct nhir_witness_cp cp;
	struct held h;
	cJSON *d, *s, *w;
	char *text;
	enum nhir_rc rc;

	*doc = NULL;
	if (!ir_log_id_valid(log))
		return nhir_err_set(err, NHIR_EINVAL, "'%.40s' is not a log "
				    "identity (32 lowercase hex digits)", log);
	rc = held_at(st, log, seq > 0 ? seq : 0, &h, err);
	if (rc)
		return rc;
	if (!h.found)
		return seq > 0
		       ? nhir_err_set(err, NHIR_ENOTFOUND, "no checkpoint of "
				      "log %s at entry %" PRId64 " is held",
				      log, seq)
		       : nhir_err_set(err, NHIR_ENOTFOUND, "no checkpoint of "
				      "log %s is held", log);
	memset(&cp, 0, sizeof(cp));
	ir_copy(cp.log, sizeof(cp.log), log);
	ir_copy(cp.head, sizeof(cp.head), h.head);
	cp.seq = h.seq;
	cp.at = h.at;
	d = cJSON_CreateObject();
	if (d)
		cJSON_AddItemToObject(d, "nhir_checkpoint", signed_part(&cp));
	s = cJSON_AddObjectToObject(d, "signature");
	cJSON_AddStringToObject(s, "algorithm", "Ed25519");
	cJSON_AddStringToObject(s, "over", "canonical JSON of nhir_checkpoint");
	cJSON_AddStringToObject(s, "public_key", h.public_key);
	cJSON_AddStringToObject(s, "signature", h.signature);
	w = cJSON_AddObjectToObject(d, "witness");
	cJSON_AddNumberToObject(w, "received", (double)h.received);
	cJSON_AddStringToObject(w, "submitted_by", h.by);
	text = d && w && cJSON_GetObjectItemCaseSensitive(d, "nhir_checkpoint")
	       ? cJSON_Print(d) : NULL;
	cJSON_Delete(d);
	if (text)
		*doc = nhir_strdup(text);
	cJSON_free(text);
	if (!*doc)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	return NHIR_OK;
}

static const char *jstr(const cJSON *o, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

enum nhir_rc nhir_witness_from_doc(const char *doc,
				   struct nhir_witness_cp *cp,
				   struct nhir_err *err)
{
	cJSON *d = cJSON_Parse(doc);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(d, "nhir_checkpoint");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "signature");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(c, "seq");
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(c, "at");
	const char *log = jstr(c, "log"), *head = jstr(c, "head");
	const char *pk = jstr(s, "public_key"), *sig = jstr(s, "signature");
	enum nhir_rc rc = NHIR_OK;

	memset(cp, 0, sizeof(*cp));
	if (!cJSON_IsNumber(seq) || !cJSON_IsNumber(at) || !head || !pk ||
	    !sig || strlen(head) >= sizeof(cp->head) ||
	    strlen(pk) >= sizeof(cp->public_key) ||
	    strlen(sig) >= sizeof(cp->signature))
		rc = nhir_err_set(err, NHIR_EPARSE, "not an nhir audit "
				  "checkpoint");
	else if (!ir_log_id_valid(log))
		rc = nhir_err_set(err, NHIR_EPARSE, "the checkpoint names no "
				  "log: a witness cannot keep it");
	if (!rc) {
		ir_copy(cp->log, sizeof(cp->log), log);
		ir_copy(cp->head, sizeof(cp->head), head);
		ir_copy(cp->public_key, sizeof(cp->public_key), pk);
		ir_copy(cp->signature, sizeof(cp->signature), sig);
		cp->seq = (int64_t)seq->valuedouble;
		cp->at = (int64_t)at->valuedouble;
	}
	cJSON_Delete(d);
	return rc;
}

char *nhir_witness_request(const struct nhir_witness_cp *cp)
{
	cJSON *o = signed_part(cp);
	char *text, *out = NULL;

	if (o && (!cJSON_AddStringToObject(o, "public_key", cp->public_key) ||
		  !cJSON_AddStringToObject(o, "signature", cp->signature))) {
		cJSON_Delete(o);
		o = NULL;
	}
	text = o ? cJSON_PrintUnformatted(o) : NULL;
	cJSON_Delete(o);
	if (text)
		out = nhir_strdup(text);
	cJSON_free(text);
	return out;
}

/* ---- the sender's side ---- */

bool nhir_witness_url_ok(const char *url)
{
	static const char *const loop[] = { "http://127.0.0.1",
					    "http://[::1]",
					    "http://localhost" };

	if (!url || strpbrk(url, " \t\r\n?#"))
		return false;
	if (!strncmp(url, "https://", 8))
		return url[8] != '\0';
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(loop); i++) {
		size_t n = strlen(loop[i]);

		if (!strncmp(url, loop[i], n) &&
		    (!url[n] || url[n] == ':' || url[n] == '/'))
			return true;
	}
	return false;
}

static enum nhir_rc take(struct nhir_yaml *y, const yaml_node_t *m,
			 const char *key, char *dst, size_t n)
{
	const yaml_node_t *v = nhir_yaml_get(y, m, key);
	const char *s = v ? nhir_yaml_str(v) : NULL;

	dst[0] = '\0';
	if (!v)
		return nhir_yaml_error(y, m, "witness: '%s' is missing", key);
	if (!s || !*s)
		return nhir_yaml_error(y, v, "witness: '%s' is not a string",
				       key);
	if (strlen(s) >= n)
		return nhir_yaml_error(y, v, "witness: '%s' is longer than %zu "
				       "bytes", key, n - 1);
	snprintf(dst, n, "%s", s);
	return NHIR_OK;
}

enum nhir_rc nhir_witness_config_load(const char *path,
				      struct nhir_witness_config *c,
				      bool *found, struct nhir_err *err)
{
	static const char *const keys[] = { "url", "token_file", "key",
					    "interval", NULL };
	struct nhir_yaml y;
	yaml_node_t *root, *o;
	const yaml_node_t *iv;
	enum nhir_rc rc;

	memset(c, 0, sizeof(*c));
	c->interval = NHIR_WITNESS_INTERVAL_DEFAULT;
	*found = false;
	rc = nhir_yaml_load_file(&y, path, err);
	if (rc)
		return rc;
	root = nhir_yaml_root(&y);
	if (!root || !nhir_yaml_is_map(root)) {
		rc = nhir_yaml_error(&y, root, "want a mapping (oidc: ..., "
				     "witness: ..., webhooks: ...)");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, root, "the configuration",
				 ir_config_sections)))
		goto out;
	o = nhir_yaml_get(&y, root, "witness");
	if (!o)
		goto out;
	if (!nhir_yaml_is_map(o)) {
		rc = nhir_yaml_error(&y, o, "witness: want a mapping");
		goto out;
	}
	if ((rc = nhir_yaml_keys(&y, o, "witness", keys)) ||
	    (rc = take(&y, o, "url", c->url, sizeof(c->url))) ||
	    (rc = take(&y, o, "token_file", c->token_file,
		       sizeof(c->token_file))) ||
	    (rc = take(&y, o, "key", c->key, sizeof(c->key))))
		goto out;
	if (!nhir_witness_url_ok(c->url)) {
		rc = nhir_yaml_error(&y, nhir_yaml_get(&y, o, "url"),
				     "witness: the url is https:// (plain "
				     "http only on loopback), without query");
		goto out;
	}
	iv = nhir_yaml_get(&y, o, "interval");
	if (iv && (!nhir_yaml_int(iv, &c->interval) || c->interval < 1 ||
		   c->interval > NHIR_WITNESS_INTERVAL_MAX)) {
		rc = nhir_yaml_error(&y, iv, "witness: interval is seconds, "
				     "1 to %d", NHIR_WITNESS_INTERVAL_MAX);
		goto out;
	}
	*found = true;
out:
	nhir_yaml_free(&y);
	return rc;
}

enum nhir_rc nhir_witness_token_read(const char *path, char *out, size_t n,
				     struct nhir_err *err)
{
	struct stat sb;
	ssize_t got;
	int fd;

	out[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return nhir_err_set(err, NHIR_EIO, "witness token: %s: %s",
				    path, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return nhir_err_set(err, NHIR_EIO, "witness token: %s is not "
				    "a regular file", path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return nhir_err_set(err, NHIR_EIO, "witness token: %s may be "
				    "read by others (mode %04o): chmod 600 it",
				    path, (unsigned)(sb.st_mode & 07777));
	}
	got = read(fd, out, n - 1);
	close(fd);
	if (got < 0)
		got = 0;
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (!out[0] || (size_t)got == n - 1)
		return nhir_err_set(err, NHIR_EIO, "witness token: %s holds no "
				    "token on its first line (at most %zu "
				    "bytes)", path, n - 2);
	return NHIR_OK;
}

/* The witness's base URL with path appended, or NULL. */
static char *witness_url(const char *base, const char *path,
			 const char *log, struct nhir_err *err)
{
	struct nhir_buf b = NHIR_BUF_INIT(4096);
	size_t n = strlen(base);

	if (!nhir_witness_url_ok(base)) {
		nhir_err_set(err, NHIR_EINVAL, "witness '%.200s': want an "
			     "https:// URL (plain http only on loopback)",
			     base);
		return NULL;
	}
	while (n && base[n - 1] == '/')
		n--;
	nhir_buf_add(&b, base, n);
	nhir_buf_addf(&b, "%s%s%s", path, log ? "/" : "", log ? log : "");
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	return b.buf;
}

enum nhir_rc nhir_witness_send(const char *url, const char *token,
			       const struct nhir_witness_cp *cp,
			       long *status, struct nhir_buf *out,
			       struct nhir_err *err)
{
	char *u = witness_url(url, NHIR_WITNESS_PATH, NULL, err);
	char *body = u ? nhir_witness_request(cp) : NULL;
	enum nhir_rc rc;

	*status = 0;
	if (!u)
		return err ? err->rc : NHIR_EINVAL;
	rc = body ? nhir_http_json(u, body, token, NHIR_WITNESS_TIMEOUT, out,
				   status, err)
		  : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	nhir_free(body);
	nhir_free(u);
	return rc;
}

enum nhir_rc nhir_witness_fetch(const char *url, const char *token,
				const char *log, long *status,
				struct nhir_buf *out, struct nhir_err *err)
{
	char *u = witness_url(url, NHIR_WITNESS_PATH, log, err);
	enum nhir_rc rc;

	*status = 0;
	if (!u)
		return err ? err->rc : NHIR_EINVAL;
	rc = nhir_http_json(u, NULL, token, NHIR_WITNESS_TIMEOUT, out, status,
			    err);
	nhir_free(u);
	return rc;
}
