/*
 * The built-in Google Cloud connector (gcp.h).  Targets are named by
 * their IAM resource names (gcp:projects/P/serviceAccounts/A for an
 * account, .../keys/K for one of its keys; A its email or unique id, P
 * its project or "-"):
 *
 *   gcp.delete-service-account-key  POST .../keys/K:disable, then
 *                                   DELETE .../keys/K: disabled first,
 *                                   so that a failed delete leaves the
 *                                   key at least unusable;
 *   gcp.disable-service-account     POST .../serviceAccounts/A:disable:
 *                                   its keys and the access tokens
 *                                   already issued stop working.
 *
 * Probes: GET the key (disabled, or 404 once deleted) or the account
 * (disabled).  Every call carries an access token got first from the
 * token endpoint the key file names, for a JWT (RS256, jwt.c) signed
 * with the key file's private key (RFC 7523, Google's "OAuth 2.0 for
 * Server to Server Applications").  Calls go through rest.c: retried
 * on a 5xx, no answer, or 429 (Retry-After).  The key file's private
 * key, the assertion and the access token are held in memory only, in
 * buffers wiped when released (a buffer that grew may have left an
 * earlier, smaller copy to the allocator);
 * the dry run shows them redacted.
 */
#include "compat.h"
#include <ctype.h>
#include <time.h>
#include <sodium.h>
#include "core/alloc.h"
#include "plan/gcp.h"
#include "plan/jwt.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"

#define DEFAULT_IAM "https://iam.googleapis.com"
#define DEFAULT_KEY_FILE "${env:GOOGLE_APPLICATION_CREDENTIALS}"
#define SCOPE "https://www.googleapis.com/auth/iam"
#define GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define MAX_KEY_FILE (64 * 1024)
#define MAX_TOKEN 4096
#define ASSERTION_LIFE 3600	/* Google's most for an assertion */

struct nhir_gcp {
	char *iam_url, *key_file;
};

void nhir_gcp_free(struct nhir_gcp *g)
{
	if (!g)
		return;
	nhir_free(g->iam_url);
	nhir_free(g->key_file);
	nhir_free(g);
}

/* http(s) URL of a service that gets a secret: plain http only to loopback */
static const char *url_problem(const char *s)
{
	if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
		return "is not an http(s) URL";
	if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
		return "is plain http to an address not loopback (it would "
		       "carry a credential); use https";
	if (strpbrk(s + 7, "#@ \t\r\n"))
		return "has a fragment, user or space";
	return NULL;
}

enum nhir_rc nhir_gcp_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_gcp **out)
{
	struct nhir_gcp *g = nhir_calloc(1, sizeof(*g));
	yaml_node_t *v;
	const char *s, *why;
	char dir[PATH_MAX], *slash;
	size_t l;

	*out = g;
	if (!g)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	v = nhir_yaml_get(y, n, "iam_url");
	s = nhir_yaml_str(v);
	if (v && (!s || !*s))
		return nhir_yaml_error(y, v, "'%s': iam_url is a text", name);
	why = s ? url_problem(s) : NULL;
	if (why)
		return nhir_yaml_error(y, v, "'%s': iam_url %s", name, why);
	if (s && strchr(s, '?'))
		return nhir_yaml_error(y, v, "'%s': iam_url has no query", name);
	g->iam_url = nhir_strdup(s ? s : DEFAULT_IAM);
	if (!g->iam_url)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	l = strlen(g->iam_url);
	while (l > 8 && g->iam_url[l - 1] == '/')
		g->iam_url[--l] = 0;
	v = nhir_yaml_get(y, n, "key_file");
	s = v ? nhir_yaml_str(v) : DEFAULT_KEY_FILE;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': key_file is a path", name);
	if (strstr(s, "private_key") || (strstr(s, "${") &&
	    (strncmp(s, "${env:", 6) || strchr(s, '}') != s + strlen(s) - 1)))
		return nhir_yaml_error(y, v, "'%s': key_file is the path of a "
				       "service-account key file (JSON), or "
				       "${env:NAME} for the variable that "
				       "holds it; not the key itself", name);
	if (s[0] == '/' || s[0] == '$') {
		g->key_file = nhir_strdup(s);
	} else if (realpath(y->name, dir) && (slash = strrchr(dir, '/'))) {
		/* relative to the connectors file, as commands are */
		*slash = 0;
		l = strlen(dir) + strlen(s) + 2;
		g->key_file = nhir_malloc(l);
		if (g->key_file)
			snprintf(g->key_file, l, "%s/%s", dir, s);
	} else {
		return nhir_yaml_error(y, v, "'%s': key_file '%s' is relative "
				       "and the connectors file's directory is "
				       "not known", name, s);
	}
	return g->key_file ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
						     "out of memory");
}

/* ---- the key file ---- */

void nhir_gcp_key_release(struct nhir_gcp_key *k)
{
	plan_rest_wipe(&k->private_key);
	sodium_memzero(k, sizeof(*k));
}

/* Wipes every string of a parsed key file: one of them is the key. */
static void wipe_doc(cJSON *o)
{
	for (cJSON *c = o ? o->child : NULL; c; c = c->next) {
		if (cJSON_IsString(c) && c->valuestring)
			sodium_memzero(c->valuestring, strlen(c->valuestring));
		else
			wipe_doc(c);
	}
}

static enum nhir_rc field(const cJSON *doc, const char *file, const char *k,
			  char *out, size_t n, struct nhir_err *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, k);

	if (!v)
		return nhir_err_set(err, NHIR_EPARSE, "'%s': field %s is "
				    "missing", file, k);
	if (!cJSON_IsString(v) || !*v->valuestring)
		return nhir_err_set(err, NHIR_EPARSE, "'%s': field %s is not "
				    "a text", file, k);
	if (strlen(v->valuestring) >= n)
		return nhir_err_set(err, NHIR_EPARSE, "'%s': field %s is "
				    "longer than %zu bytes", file, k, n - 1);
	for (const char *p = v->valuestring; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '"' ||
		    *p == '\\')
			return nhir_err_set(err, NHIR_EPARSE, "'%s': field %s "
					    "holds a space, quote or control "
					    "character", file, k);
	snprintf(out, n, "%s", v->valuestring);
	return NHIR_OK;
}

enum nhir_rc nhir_gcp_key_parse(const char *text, size_t len,
				const char *file, struct nhir_gcp_key *k,
				struct nhir_err *err)
{
	const char *end = NULL, *why;
	const cJSON *t, *pk;
	cJSON *doc;
	enum nhir_rc rc;

	memset(k, 0, sizeof(*k));
	nhir_buf_init(&k->private_key, MAX_KEY_FILE);
	doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!doc) {
		size_t off = end && end >= text && end <= text + len
			     ? (size_t)(end - text) : 0;

		return nhir_err_set(err, NHIR_EPARSE, "'%s': byte %zu: not "
				    "JSON", file, off);
	}
	if (!cJSON_IsObject(doc)) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': not a JSON object "
				  "(a service-account key file is one)", file);
		goto out;
	}
	t = cJSON_GetObjectItemCaseSensitive(doc, "type");
	if (!cJSON_IsString(t) || strcmp(t->valuestring, "service_account")) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field type is %s%.40s%s"
				  ", not \"service_account\" (the gcp connector "
				  "acts with a service account's key)", file,
				  cJSON_IsString(t) ? "\"" : "",
				  cJSON_IsString(t) ? t->valuestring
				  : t ? "not a text" : "missing",
				  cJSON_IsString(t) ? "\"" : "");
		goto out;
	}
	rc = field(doc, file, "client_email", k->client_email,
		   sizeof(k->client_email), err);
	if (!rc)
		rc = field(doc, file, "private_key_id", k->private_key_id,
			   sizeof(k->private_key_id), err);
	if (!rc)
		rc = field(doc, file, "token_uri", k->token_uri,
			   sizeof(k->token_uri), err);
	if (rc)
		goto out;
	if (!strchr(k->client_email, '@')) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field client_email "
				  "is not an email address", file);
		goto out;
	}
	why = url_problem(k->token_uri);
	if (why || strchr(k->token_uri, '?')) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field token_uri %s",
				  file, why ? why : "has a query");
		goto out;
	}
	pk = cJSON_GetObjectItemCaseSensitive(doc, "private_key");
	if (!pk) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field private_key is "
				  "missing", file);
		goto out;
	}
	if (cJSON_IsString(pk) && strstr(pk->valuestring, "ENCRYPTED")) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field private_key is "
				  "encrypted; Google's key files hold it "
				  "unencrypted", file);
		goto out;
	}
	if (!cJSON_IsString(pk) || strncmp(pk->valuestring, "-----BEGIN ", 11)) {
		rc = nhir_err_set(err, NHIR_EPARSE, "'%s': field private_key is "
				  "not a PEM text (-----BEGIN PRIVATE KEY-----)",
				  file);
		goto out;
	}
	nhir_buf_adds(&k->private_key, pk->valuestring);
	nhir_buf_addch(&k->private_key, 0);
	if (k->private_key.err) {
		rc = nhir_err_set(err, k->private_key.err, "'%s': field "
				  "private_key is too long", file);
		goto out;
	}
	k->private_key.len--;
out:
	wipe_doc(doc);
	cJSON_Delete(doc);
	return rc;
}

bool nhir_gcp_token_read(const cJSON *doc, long status, struct nhir_buf *token,
			 int64_t *expires_in, char *why, size_t wn)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(doc, "access_token");
	const cJSON *tt = cJSON_GetObjectItemCaseSensitive(doc, "token_type");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(doc, "expires_in");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	const cJSON *ed = cJSON_GetObjectItemCaseSensitive(doc,
							   "error_description");
	size_t n;

	nhir_buf_reset(token);
	*expires_in = 0;
	if (status != 200) {
		/* RFC 6749 5.2: {"error", "error_description"} */
		snprintf(why, wn, "HTTP %ld%s%.60s%s%.200s", status,
			 cJSON_IsString(e) ? ": " : "",
			 cJSON_IsString(e) ? e->valuestring : "",
			 cJSON_IsString(ed) ? ": " : "",
			 cJSON_IsString(ed) ? ed->valuestring : "");
		return false;
	}
	if (!cJSON_IsObject(doc) || !cJSON_IsString(at)) {
		snprintf(why, wn, "HTTP 200 without an access_token");
		return false;
	}
	if (!cJSON_IsString(tt) || strcasecmp(tt->valuestring, "Bearer")) {
		snprintf(why, wn, "the token_type is not Bearer");
		return false;
	}
	n = strlen(at->valuestring);
	if (!n || n > MAX_TOKEN) {
		snprintf(why, wn, "the access_token is empty or longer than %d "
			 "bytes", MAX_TOKEN);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)at->valuestring[i] <= ' ' ||
		    (unsigned char)at->valuestring[i] >= 0x7f) {
			snprintf(why, wn, "the access_token holds a space or a "
				 "character not printable ASCII (byte %zu)", i);
			return false;
		}
	if (!cJSON_IsNumber(ex) || ex->valuedouble < 1 ||
	    ex->valuedouble > 86400 * 366.0) {
		snprintf(why, wn, "expires_in is not a number of seconds");
		return false;
	}
	nhir_buf_add(token, at->valuestring, n);
	nhir_buf_addch(token, 0);
	if (token->err) {
		snprintf(why, wn, "out of memory");
		return false;
	}
	*expires_in = (int64_t)ex->valuedouble;
	return true;
}

/* ---- targets ---- */

struct target {
	char project[64], account[256], key[80];	/* key: "" for an account */
};

static bool chars_ok(const char *s, size_t n, const char *extra)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

/* A path segment curl would not normalise away: not "." or "..". */
static bool segment_ok(const char *s)
{
	return strcmp(s, ".") && strcmp(s, "..");
}

/* gcp:projects/P/serviceAccounts/A[/keys/K] */
static bool parse_target(const char *id, struct target *t)
{
	const char *p, *a, *k, *e;

	memset(t, 0, sizeof(*t));
	if (!id || strncmp(id, "gcp:projects/", 13))
		return false;
	p = id + 13;
	a = strstr(p, "/serviceAccounts/");
	if (!a || (size_t)(a - p) >= sizeof(t->project) ||
	    !chars_ok(p, (size_t)(a - p), "-.:"))
		return false;
	snprintf(t->project, sizeof(t->project), "%.*s", (int)(a - p), p);
	a += 17;
	k = strstr(a, "/keys/");
	e = k ? k : a + strlen(a);
	if ((size_t)(e - a) >= sizeof(t->account) ||
	    !chars_ok(a, (size_t)(e - a), "@.-_"))
		return false;
	snprintf(t->account, sizeof(t->account), "%.*s", (int)(e - a), a);
	if (!segment_ok(t->project) || !segment_ok(t->account))
		return false;
	if (!k)
		return true;
	k += 6;
	if (strlen(k) >= sizeof(t->key) || !chars_ok(k, strlen(k), ""))
		return false;
	snprintf(t->key, sizeof(t->key), "%s", k);
	return true;
}

/* ---- calls ---- */

struct cctx {
	const struct nhir_gcp *g;
	struct plan_rest r;
	char file[PATH_MAX];		/* the key file, "" when none */
	struct nhir_gcp_key key;
	bool have_key;
	char key_why[400];
	struct nhir_buf token;		/* the access token; wiped */
	bool have_token;
};

/* The key file read and parsed into c->key; false with c->key_why if not. */
static enum nhir_rc read_key(struct cctx *c)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct nhir_buf text = NHIR_BUF_INIT(MAX_KEY_FILE);
	struct nhir_buf pb = NHIR_BUF_INIT(PATH_MAX);
	const char *path;
	char why[300];
	enum nhir_rc rc;

	/* ${env:NAME} read where it is used, as any connector secret */
	if (!plan_expand(c->r.op, c->g->key_file, &pb, &e) || !pb.len) {
		snprintf(c->key_why, sizeof(c->key_why), "%s", e.rc ? e.msg
			 : "key_file names no file");
		nhir_buf_release(&pb);
		return NHIR_OK;
	}
	nhir_buf_addch(&pb, 0);
	if (pb.err) {
		snprintf(c->key_why, sizeof(c->key_why), "key_file is too long");
		nhir_buf_release(&pb);
		return NHIR_OK;
	}
	snprintf(c->file, sizeof(c->file), "%s", pb.buf);
	nhir_buf_release(&pb);
	path = c->file;
	if (!plan_rest_read_secret(path, &text, why, sizeof(why))) {
		snprintf(c->key_why, sizeof(c->key_why), "%s", why);
		plan_rest_wipe(&text);
		return NHIR_OK;
	}
	rc = nhir_gcp_key_parse(text.buf, text.len, path, &c->key, &e);
	plan_rest_wipe(&text);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (rc)
		snprintf(c->key_why, sizeof(c->key_why), "%s", e.msg);
	c->have_key = !rc;
	return NHIR_OK;
}

/*
 * The access token for the IAM calls, from the token endpoint; in the
 * dry run, the request shown.  false with detail when none was got.
 */
static enum nhir_rc get_token(struct cctx *c, char *detail, size_t dn,
			      bool *ok)
{
	struct nhir_buf jwt = NHIR_BUF_INIT(1 << 14);
	struct nhir_buf body = NHIR_BUF_INIT(1 << 14);
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	cJSON *h = NULL, *cl = NULL;
	char *hs = NULL, *cs = NULL, what[PATH_MAX + 40],
	     label[700], why[400];
	int64_t now = (int64_t)time(NULL), life;
	enum nhir_rc rc = NHIR_OK;

	memset(&an, 0, sizeof(an));
	*ok = false;
	/* the token endpoint is the key file's, not the IAM API's */
	c->r.base = c->have_key ? c->key.token_uri
			       : "https://oauth2.googleapis.com/token";
	c->r.ctype = "application/x-www-form-urlencoded";
	snprintf(label, sizeof(label), "POST %s", c->r.base);
	if (c->r.dry) {
		struct nhir_buf sh = NHIR_BUF_INIT(1 << 14);

		nhir_buf_addf(&sh, "grant_type=%s&assertion=[redacted: a JWT "
			      "(RS256) signed with the key file's private "
			      "key]\n\n", "urn%3Aietf%3Aparams%3Aoauth%3A"
			      "grant-type%3Ajwt-bearer");
		if (c->have_key)
			nhir_buf_addf(&sh, "(the key file: %s, service account "
				      "%s, key %s)", c->file,
				      c->key.client_email,
				      c->key.private_key_id);
		else
			nhir_buf_addf(&sh, "(the key file is not read now: %s; "
				      "the request goes to its token_uri)",
				      c->key_why);
		nhir_buf_addch(&sh, 0);
		rc = sh.err ? NHIR_ENOMEM
		     : plan_rest_send(&c->r, "POST", "", NULL, sh.buf, NULL,
				      NULL, label, &an, &e);
		nhir_buf_release(&sh);
		*ok = !rc;
		goto out;
	}
	h = cJSON_CreateObject();
	cl = cJSON_CreateObject();
	if (!h || !cl || !cJSON_AddStringToObject(h, "alg", "RS256") ||
	    !cJSON_AddStringToObject(h, "typ", "JWT") ||
	    !cJSON_AddStringToObject(h, "kid", c->key.private_key_id) ||
	    !cJSON_AddStringToObject(cl, "iss", c->key.client_email) ||
	    !cJSON_AddStringToObject(cl, "scope", SCOPE) ||
	    !cJSON_AddStringToObject(cl, "aud", c->key.token_uri) ||
	    !cJSON_AddNumberToObject(cl, "iat", (double)now) ||
	    !cJSON_AddNumberToObject(cl, "exp", (double)(now + ASSERTION_LIFE))) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	hs = cJSON_PrintUnformatted(h);
	cs = cJSON_PrintUnformatted(cl);
	if (!hs || !cs) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	snprintf(what, sizeof(what), "'%s': field private_key", c->file);
	rc = nhir_jwt_rs256(c->key.private_key.buf, c->key.private_key.len,
			    what, hs, cs, &jwt, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (rc) {
		snprintf(detail, dn, "%s", e.msg);
		rc = NHIR_OK;
		goto out;
	}
	nhir_buf_addf(&body, "grant_type=%s&assertion=",
		      "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer");
	nhir_buf_add(&body, jwt.buf, jwt.len);
	nhir_buf_addch(&body, 0);
	if (body.err) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	rc = plan_rest_send(&c->r, "POST", "", body.buf, NULL, NULL, NULL,
			    label, &an, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (rc) {
		plan_rest_why(detail, dn, label, &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	if (!nhir_gcp_token_read(an.doc, an.status, &c->token, &life, why,
				 sizeof(why))) {
		snprintf(detail, dn, "%s: no access token for %s: %s%s%s", label,
			 c->key.client_email, why, an.limit[0] ? "; " : "",
			 an.limit);
		goto out;
	}
	c->have_token = true;
	*ok = true;
out:
	c->r.base = c->g->iam_url;
	c->r.ctype = NULL;
	if (an.doc)
		wipe_doc(an.doc);
	plan_rest_answer_free(&an);
	if (hs)
		cJSON_free(hs);
	if (cs)
		cJSON_free(cs);
	cJSON_Delete(h);
	cJSON_Delete(cl);
	plan_rest_wipe(&jwt);
	plan_rest_wipe(&body);
	return rc;
}

static enum nhir_rc send(struct cctx *c, const char *method, const char *path,
			 const char *body, const char *label,
			 struct plan_rest_answer *an, struct nhir_err *err)
{
	return plan_rest_send(&c->r, method, path, body, NULL,
			      c->have_token ? c->token.buf : NULL,
			      "[redacted: the access token the token endpoint "
			      "answers]", label, an, err);
}

/* Google's error: HTTP status, its status name and message. */
static void refused(char *detail, size_t dn, const char *label,
		    const struct plan_rest_answer *an,
		    const struct nhir_err *e, const char *done)
{
	const cJSON *er = cJSON_GetObjectItemCaseSensitive(an->doc, "error");
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(er, "status");
	struct plan_rest_answer a = *an;

	if (!e->rc && cJSON_IsString(st))
		snprintf(a.message, sizeof(a.message), "%.40s: %.250s",
			 st->valuestring, an->message);
	plan_rest_why(detail, dn, label, &a, e, done);
}

static void key_path(const struct target *t, char *out, size_t n)
{
	snprintf(out, n, "/v1/projects/%s/serviceAccounts/%s%s%s", t->project,
		 t->account, t->key[0] ? "/keys/" : "", t->key);
}

static enum nhir_rc delete_key(struct cctx *c, const struct target *t,
			       char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[512], url[540], label[560], done[700];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	key_path(t, path, sizeof(path));
	snprintf(url, sizeof(url), "%s:disable", path);
	snprintf(label, sizeof(label), "POST %s", url);
	rc = send(c, "POST", url, "{}", label, &an, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (!c->r.dry && !rc && an.status == 404) {
		/* deleted by an earlier run whose answer was lost: done */
		snprintf(detail, dn, "%s: HTTP 404: key %s of %s does not "
			 "exist: it was deleted already", label, t->key,
			 t->account);
		*ok = true;
		goto out;
	}
	if (!c->r.dry && (rc || an.status != 200)) {
		refused(detail, dn, label, &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(done, sizeof(done), "key %s of %s disabled", t->key,
		 t->account);
	plan_rest_answer_free(&an);
	snprintf(label, sizeof(label), "%s %s", "DELETE", path);
	rc = send(c, "DELETE", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	/* a 404 now: the DELETE was done by an attempt whose answer was lost */
	if (rc || (an.status != 200 && an.status != 404)) {
		refused(detail, dn, label, &an, &e, done);
		rc = NHIR_OK;
		goto out;
	}
	snprintf(detail, dn, "%s: %s, then deleted%s; access tokens already "
		 "issued for the key live until they expire (disable the "
		 "account to end them)", label, done,
		 an.status == 404 ? " (gone when the DELETE was repeated)" : "");
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

static enum nhir_rc disable_account(struct cctx *c, const struct target *t,
				    char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[512], url[540], label[560];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	key_path(t, path, sizeof(path));
	snprintf(url, sizeof(url), "%s:disable", path);
	snprintf(label, sizeof(label), "POST %s", url);
	rc = send(c, "POST", url, "{}", label, &an, &e);
	if (rc == NHIR_ENOMEM || c->r.dry)
		goto out;
	if (rc || an.status != 200) {
		refused(detail, dn, label, &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(detail, dn, "%s: service account %s disabled: its keys and "
		 "the access tokens already issued to it are refused "
		 "(re-enabling it makes them work again)", label, t->account);
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

/* GET the key or the account: *works as Google answers; !*ok if unknown. */
static enum nhir_rc probe_get(struct cctx *c, const struct target *t,
			      cJSON *o, char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct plan_rest_answer an;
	char path[512], label[560];
	const char *what = t->key[0] ? "key" : "service account";
	const cJSON *d;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	key_path(t, path, sizeof(path));
	snprintf(label, sizeof(label), "GET %s", path);
	rc = send(c, "GET", path, NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (rc || (an.status != 200 && an.status != 404)) {
		refused(detail, dn, label, &an, &e, "");
		if (!rc && an.status == 403 && !strcmp(t->project, "-"))
			snprintf(detail + strlen(detail), dn - strlen(detail),
				 " (with the project \"-\", Google answers 403 "
				 "for what does not exist: name the project)");
		rc = NHIR_OK;
		goto out;
	}
	cJSON_AddStringToObject(o, "call", label);
	if (an.status == 404) {
		cJSON_AddBoolToObject(o, "works", false);
		snprintf(detail, dn, "%s: HTTP 404: the %s does not exist "
			 "(deleted)", label, what);
		*ok = true;
		goto out;
	}
	d = cJSON_GetObjectItemCaseSensitive(an.doc, "disabled");
	if (!cJSON_IsObject(an.doc) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(an.doc, "name"))) {
		snprintf(detail, dn, "%s: HTTP 200 but not a %s", label, what);
		goto out;
	}
	/* "disabled" is left out when false */
	cJSON_AddBoolToObject(o, "works", !cJSON_IsTrue(d));
	snprintf(detail, dn, "%s: the %s is %s", label, what,
		 cJSON_IsTrue(d) ? "disabled" : "enabled");
	*ok = true;
out:
	plan_rest_answer_free(&an);
	return rc;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum nhir_rc nhir_gcp_call(const struct nhir_ctx *op, const struct nhir_gcp *g,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err)
{
	static const char *const fixed[] = { "User-Agent: nhir" };
	struct cctx c;
	struct target t;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id;
	char detail[2000] = "";
	bool ok = false;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.token, MAX_TOKEN + 1);
	nhir_buf_init(&c.key.private_key, MAX_KEY_FILE);
	c.g = g;
	plan_rest_init(&c.r, op, timeout, false);
	c.r.base = g->iam_url;
	c.r.fixed = fixed;
	c.r.fixed_nr = NHIR_ARRAY_SIZE(fixed);
	c.r.auth = "Authorization: Bearer ";
	c.r.what = "Google's answer";
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	c.r.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	if (!parse_target(id, &t)) {
		snprintf(detail, sizeof(detail), "%s: not a Google Cloud service "
			 "account or key by its resource name (gcp:projects/"
			 "PROJECT/serviceAccounts/EMAIL[/keys/KEY_ID])",
			 id ? id : "the target");
		goto answer;
	}
	rc = read_key(&c);
	if (rc)
		goto out;
	if (!c.have_key && !c.r.dry) {
		snprintf(detail, sizeof(detail), "no Google credentials for "
			 "'%s': %s", name, c.key_why);
		goto answer;
	}
	if (!probe && (!strcmp(action, "gcp.delete-service-account-key")
		       ? !t.key[0]
		       : !strcmp(action, "gcp.disable-service-account")
		       ? t.key[0] != 0 : true)) {
		snprintf(detail, sizeof(detail), "the gcp connector has no call "
			 "for %s on %s", action, id);
		goto answer;
	}
	rc = get_token(&c, detail, sizeof(detail), &ok);
	if (rc)
		goto out;
	if (!ok)
		goto answer;
	ok = false;
	if (probe) {
		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		rc = probe_get(&c, &t, o, detail, sizeof(detail), &ok);
		if (rc)
			goto out;
		if (!ok) {
			/* unknown is not revoked: the probe fails */
			cJSON_Delete(o);
			o = NULL;
			goto answer;
		}
		cJSON_AddStringToObject(o, "detail", detail);
		cJSON_AddStringToObject(o, "calls", plan_rest_sent(&c.r));
		rc = plan_rest_reply(reply, o, err);
		o = NULL;
		goto out;
	}
	if (t.key[0])
		rc = delete_key(&c, &t, detail, sizeof(detail), &ok);
	else
		rc = disable_account(&c, &t, detail, sizeof(detail), &ok);
answer:
	if (!rc)
		rc = plan_rest_step_reply(&c.r, ok, detail, reply, err);
out:
	if (rc == NHIR_ENOMEM && err && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	plan_rest_wipe(&c.token);
	nhir_gcp_key_release(&c.key);
	plan_rest_release(&c.r);
	return rc;
}
