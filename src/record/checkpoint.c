/*
 * Signed checkpoints of the audit log: Ed25519 over the canonical JSON
 * of {at, head, log, seq}, the newest entry's sequence number and hash
 * and the log's identity (a store without one leaves "log" out).  A
 * copy kept away from the database vouches for every entry up to seq:
 * the log cut short, emptied, or rewritten (even with every hash after
 * recomputed) no longer has that hash at that entry.  See
 * doc/internals/record.md.
 */
#include "compat.h"
#include <sodium.h>
#include "nhir/keys.h"
#include "core/sign.h"
#include "record/record-internal.h"
#include "store/record.h"

#define CP_MEMBER "nhir_checkpoint"

static char *checkpoint_doc(int64_t seq, const char *head, int64_t at,
			    const char *log,
			    const unsigned char sk[NHIR_ED_SK])
{
	unsigned char pk[NHIR_ED_PK], sig[NHIR_ED_SIG];
	char pkh[2 * NHIR_ED_PK + 1], sigh[2 * NHIR_ED_SIG + 1];
	cJSON *doc = cJSON_CreateObject(), *cp, *s;
	char *canon, *text, *out = NULL;

	cp = cJSON_AddObjectToObject(doc, CP_MEMBER);
	cJSON_AddNumberToObject(cp, "seq", (double)seq);
	cJSON_AddStringToObject(cp, "head", head);
	cJSON_AddNumberToObject(cp, "at", (double)at);
	if (log[0])
		cJSON_AddStringToObject(cp, "log", log);
	canon = nhir_json_canonical(cp);
	if (!canon) {
		cJSON_Delete(doc);
		return NULL;
	}
	nhir_ed_sign(sk, canon, strlen(canon), sig);
	nhir_free(canon);
	nhir_ed_public(sk, pk);
	nhir_ed_hex(pk, sizeof(pk), pkh);
	nhir_ed_hex(sig, sizeof(sig), sigh);
	s = cJSON_AddObjectToObject(doc, "signature");
	cJSON_AddStringToObject(s, "algorithm", "Ed25519");
	cJSON_AddStringToObject(s, "over", "canonical JSON of " CP_MEMBER);
	cJSON_AddStringToObject(s, "public_key", pkh);
	cJSON_AddStringToObject(s, "signature", sigh);
	text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (text) {
		out = nhir_strdup(text);
		cJSON_free(text);
	}
	return out;
}

enum nhir_rc nhir_audit_checkpoint(struct nhir_store *st, const char *keyfile,
				   char **out, struct nhir_err *err)
{
	unsigned char sk[NHIR_ED_SK];
	struct nhir_audit_check chk;
	int64_t seq = 0, at = nhir_store_now(st);
	char pkh[2 * NHIR_ED_PK + 1], log[NHIR_LOG_ID_LEN];
	unsigned char pk[NHIR_ED_PK];
	enum nhir_rc rc;
	bool found;

	*out = NULL;
	rc = ir_clock_allowed(st, false, err);
	if (!rc)
		rc = ir_log_id(st, log, err);
	if (!rc)
		rc = nhir_ed_load_secret(keyfile, sk, err);
	if (rc)
		return rc;
	nhir_ed_public(sk, pk);
	nhir_ed_hex(pk, sizeof(pk), pkh);
	/* the head cannot move between the check and the signature */
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_audit_verify(st, &chk, err);
	if (!rc && chk.broken)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "the audit log is broken "
				  "at entry %" PRId64 " (%s): not signing it",
				  chk.broken, chk.why);
	if (!rc) {
		char last[65];

		rc = nhir_record_store(st)->audit_last(st, &seq, last, &found,
						       err);
	}
	if (!rc && !seq)
		rc = nhir_err_set(err, NHIR_ECONFLICT, "the audit log is "
				  "empty: nothing to sign");
	if (!rc) {
		*out = checkpoint_doc(seq, chk.head, at, log, sk);
		if (!*out)
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	sodium_memzero(sk, sizeof(sk));
	if (!rc)
		rc = nhir_record_store(st)->checkpoint_insert(st, seq, chk.head,
							      at, pkh, *out,
							      err);
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc) {
		nhir_store_rollback(st);
		nhir_free(*out);
		*out = NULL;
	}
	return rc;
}

static void why(struct nhir_checkpoint_check *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void why(struct nhir_checkpoint_check *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->holds)
		return;
	c->holds = false;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

/* Does the log still hold entry c->seq with hash c->head? */
static enum nhir_rc check_log(struct nhir_store *st,
			      struct nhir_checkpoint_check *c,
			      struct nhir_err *err)
{
	const struct nhir_record_store_ops *rs = nhir_record_store(st);
	char *hash = NULL, last_hash[65];
	int64_t last = 0;
	bool found;
	enum nhir_rc rc;
	int r;

	rc = rs->audit_last(st, &last, last_hash, &found, err);
	if (rc)
		return rc;
	rc = rs->audit_hash_at(st, c->seq, &hash, &found, err);
	if (rc)
		return rc;
	r = found;
	if (r == 0 && !last)
		why(c, "entry %" PRId64 " is missing: the log is empty, but "
		    "the checkpoint vouches for entries 1 to %" PRId64
		    " (every entry was deleted)", c->seq, c->seq);
	else if (r == 0 && last < c->seq)
		why(c, "entry %" PRId64 " is missing: the log ends at entry %"
		    PRId64 " (entries %" PRId64 " to %" PRId64 " were removed)",
		    c->seq, last, last + 1, c->seq);
	else if (r == 0 || !hash)
		why(c, "entry %" PRId64 " is missing", c->seq);
	else if (strcmp(hash, c->head))
		why(c, "entry %" PRId64 " does not match the checkpoint: the "
		    "log was rewritten at or before entry %" PRId64, c->seq,
		    c->seq);
	nhir_free(hash);
	return NHIR_OK;
}

/* The checkpoint's fields, its signature, and whom it is from. */
static enum nhir_rc check_doc(const cJSON *doc, const char *trust,
			      struct nhir_checkpoint_check *c,
			      struct nhir_err *err)
{
	const cJSON *cp = cJSON_GetObjectItemCaseSensitive(doc, CP_MEMBER);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "signature");
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(cp, "seq");
	const char *head = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(cp, "head"));
	const char *pkh = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(s, "public_key"));
	const char *sigh = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(s, "signature"));
	const cJSON *log = cJSON_GetObjectItemCaseSensitive(cp, "log");
	unsigned char pk[NHIR_ED_PK], sig[NHIR_ED_SIG];
	char *canon;
	bool ok;
	enum nhir_rc rc;

	if (!cJSON_IsObject(cp) || !cJSON_IsNumber(seq) || seq->valuedouble < 1
	    || !head || strlen(head) != 64 || !pkh || !sigh ||
	    !nhir_ed_unhex(pkh, pk, sizeof(pk)) ||
	    !nhir_ed_unhex(sigh, sig, sizeof(sig)) ||
	    (log && (!cJSON_IsString(log) || !ir_log_id_valid(log->valuestring))))
		return nhir_err_set(err, NHIR_EPARSE, "not an nhir audit "
				    "checkpoint ('nhir audit checkpoint')");
	c->seq = (int64_t)seq->valuedouble;
	if (log)
		ir_copy(c->log, sizeof(c->log), log->valuestring);
	ir_copy(c->head, sizeof(c->head), head);
	ir_copy(c->signer, sizeof(c->signer), pkh);
	nhir_key_fingerprint(pkh, c->fingerprint);
	canon = nhir_json_canonical(cp);
	if (!canon)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	ok = nhir_ed_verify(pk, canon, strlen(canon), sig);
	nhir_free(canon);
	if (!ok)
		why(c, "the checkpoint for entry %" PRId64 " does not match its "
		    "signature: it was altered after signing", c->seq);
	if (!trust) {
		why(c, "checkpoint for entry %" PRId64 " signed by %s, but no "
		    "trust list was given (--trust)", c->seq, c->fingerprint);
		return NHIR_OK;
	}
	rc = nhir_key_trusted(trust, pkh, &c->trusted, c->label,
			      sizeof(c->label), err);
	if (rc)
		return rc;
	if (!c->trusted)
		why(c, "checkpoint for entry %" PRId64 " signed by %s, which "
		    "is not in %s", c->seq, c->fingerprint, trust);
	return NHIR_OK;
}

enum nhir_rc nhir_audit_check_checkpoint(struct nhir_store *st,
					 const char *doc, size_t len,
					 const char *trust,
					 struct nhir_checkpoint_check *c,
					 struct nhir_err *err)
{
	const char *end = NULL;
	cJSON *d;
	enum nhir_rc rc;

	memset(c, 0, sizeof(*c));
	c->holds = true;
	d = cJSON_ParseWithLengthOpts(doc, len, &end, 0);
	if (!d)
		return nhir_err_set(err, NHIR_EPARSE, "not JSON (byte %zu)",
				    end && end >= doc ? (size_t)(end - doc) : 0);
	rc = check_doc(d, trust, c, err);
	cJSON_Delete(d);
	if (!rc && c->log[0]) {
		char ours[NHIR_LOG_ID_LEN];

		/* a checkpoint of another log vouches for nothing here */
		rc = ir_log_id(st, ours, err);
		if (!rc && ours[0] && strcmp(ours, c->log))
			why(c, "the checkpoint is of log %s, but this is log %s",
			    c->log, ours);
	}
	if (!rc)
		rc = check_log(st, c, err);
	return rc;
}

struct checkpoints_walk {
	struct nhir_store *st;
	const char *trust;
	nhir_checkpoint_cb cb;
	void *data;
	struct nhir_err *err;
	enum nhir_rc rc;
};

static int check_one(const char *doc, void *data)
{
	struct checkpoints_walk *w = data;
	struct nhir_checkpoint_check c;

	w->rc = nhir_audit_check_checkpoint(w->st, doc ? doc : "",
					    doc ? strlen(doc) : 0, w->trust,
					    &c, w->err);
	if (w->rc == NHIR_EPARSE) {
		memset(&c, 0, sizeof(c));
		snprintf(c.why, sizeof(c.why), "a recorded checkpoint is "
			 "damaged: %s", w->err ? w->err->msg : "");
		w->rc = NHIR_OK;
	}
	return w->rc || w->cb(&c, w->data);
}

enum nhir_rc nhir_audit_checkpoints(struct nhir_store *st, const char *trust,
				    nhir_checkpoint_cb cb, void *data,
				    struct nhir_err *err)
{
	struct checkpoints_walk w = { st, trust, cb, data, err, NHIR_OK };
	enum nhir_rc rc;

	rc = nhir_record_store(st)->checkpoints_read(st, check_one, &w, err);
	return w.rc ? w.rc : rc;
}
