/*
 * The built-in AWS connector (aws.h).  Each catalog action becomes one
 * or more IAM Query API calls: a form body POSTed to IAM's endpoint of
 * the target's partition, signed with SigV4 for service "iam".  A call
 * refused for throttling or failing with a 5xx answer is sent again,
 * signed anew, after a growing pause, within the connector's timeout.
 * A step of several calls (detaching every policy) fails at the first
 * call that fails, saying what was already done.
 *
 * Secrets: the secret access key and the session token live in struct
 * creds only, wiped when it is freed; the dry run shows the request
 * with the signature and the session token replaced by [redacted]; no
 * answer or error carries them.
 */
#include "compat.h"
#include <ctype.h>
#include <time.h>
#include <sodium.h>
#include "core/alloc.h"
#include "nhir/model.h"
#include "plan/aws.h"
#include "plan/iamxml.h"
#include "plan/plan-internal.h"
#include "plan/rest.h"
#include "plan/sigv4.h"

#define IAM_VERSION "2010-05-08"
#define STS_VERSION "2011-06-15"
#define MAX_ACCOUNTS 64
#define MAX_PARAMS 8
#define MAX_ATTEMPTS 4
#define MAX_LISTED 200
#define MAX_PAGES 20
#define MAX_MARKER 1024
#define REVOKE_POLICY "AWSRevokeOlderSessions"
#define TRUST_SID "NhirIncidentDenyAssumeRole"

struct account {
	char id[13];
	char *role_arn;
};

struct nhir_aws {
	char *endpoint, *sts_endpoint, *region, *profile;
	struct account acct[MAX_ACCOUNTS];
	size_t acct_nr;
};

void nhir_aws_free(struct nhir_aws *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->acct_nr; i++)
		nhir_free(a->acct[i].role_arn);
	nhir_free(a->endpoint);
	nhir_free(a->sts_endpoint);
	nhir_free(a->region);
	nhir_free(a->profile);
	nhir_free(a);
}

static bool all_digits(const char *s, size_t n)
{
	if (strlen(s) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

static enum nhir_rc opt_str(struct nhir_yaml *y, const yaml_node_t *n,
			    const char *name, const char *key, char **out)
{
	yaml_node_t *v = nhir_yaml_get(y, n, key);
	const char *s = nhir_yaml_str(v);

	if (!v)
		return NHIR_OK;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': %s is a text", name, key);
	if (strstr(key, "endpoint") && strncmp(s, "https://", 8) &&
	    strncmp(s, "http://", 7))
		return nhir_yaml_error(y, v, "'%s': %s is an http(s) URL",
				       name, key);
	/* a signed request read on the way can be replayed for minutes */
	if (!strncmp(s, "http://", 7) && !plan_url_plain_ok(s))
		return nhir_yaml_error(y, v, "'%s': %s: plain http only to a "
				       "loopback address (a signed request "
				       "can be replayed by whoever reads "
				       "it); use https", name, key);
	*out = nhir_strdup(s);
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_aws_config(struct nhir_yaml *y, const yaml_node_t *n,
			     const char *name, struct nhir_aws **out)
{
	struct nhir_aws *a = nhir_calloc(1, sizeof(*a));
	yaml_node_t *v;
	enum nhir_rc rc;

	*out = a;
	if (!a)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt_str(y, n, name, "endpoint", &a->endpoint);
	if (!rc)
		rc = opt_str(y, n, name, "sts_endpoint", &a->sts_endpoint);
	if (!rc)
		rc = opt_str(y, n, name, "region", &a->region);
	if (!rc)
		rc = opt_str(y, n, name, "profile", &a->profile);
	v = nhir_yaml_get(y, n, "accounts");
	if (rc || !v)
		return rc;
	if (!nhir_yaml_is_map(v))
		return nhir_yaml_error(y, v, "'%s': accounts maps an account "
				       "id to the role to assume in it", name);
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
	     p < v->data.mapping.pairs.top; p++) {
		const char *k = nhir_yaml_str(nhir_yaml_node(y, p->key));
		const char *r = nhir_yaml_str(nhir_yaml_node(y, p->value));
		struct account *ac;

		if (!k || !all_digits(k, 12))
			return nhir_yaml_error(y, v, "'%s': accounts: '%s' is "
					       "not a 12-digit account id",
					       name, k ? k : "");
		if (!r || strncmp(r, "arn:", 4) || !strstr(r, ":role/"))
			return nhir_yaml_error(y, v, "'%s': accounts: %s: "
					       "give the ARN of the role to "
					       "assume", name, k);
		if (a->acct_nr == MAX_ACCOUNTS)
			return nhir_yaml_error(y, v, "'%s': accounts: at most "
					       "%d", name, MAX_ACCOUNTS);
		ac = &a->acct[a->acct_nr];
		snprintf(ac->id, sizeof(ac->id), "%s", k);
		ac->role_arn = nhir_strdup(r);
		if (!ac->role_arn)
			return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
		a->acct_nr++;
	}
	return NHIR_OK;
}

/* ---- credentials ---- */

struct creds {
	char *id, *secret, *token;
	char *role;		/* a profile's role_arn, assumed before use */
	char from[800];		/* where they came from, for messages */
};

static void wipe_str(char **s)
{
	if (*s) {
		sodium_memzero(*s, strlen(*s));
		nhir_free(*s);
		*s = NULL;
	}
}

static void creds_free(struct creds *c)
{
	wipe_str(&c->id);
	wipe_str(&c->secret);
	wipe_str(&c->token);
	nhir_free(c->role);
	c->role = NULL;
}

/*
 * The value of key in [section] of an INI file (the AWS shared files):
 * owned, or NULL.  *found says whether the section exists.
 */
static char *ini_get(const char *path, const char *section, const char *key,
		     bool *found)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct nhir_err e = NHIR_ERR_INIT;
	char *out = NULL;
	bool in = false;
	size_t i = 0;

	if (nhir_read_small_file(path, &b, &e))
		return NULL;
	while (i < b.len && !out) {
		size_t e0 = i, a, z;

		while (e0 < b.len && b.buf[e0] != '\n')
			e0++;
		a = i;
		z = e0;
		i = e0 + 1;
		while (a < z && isspace((unsigned char)b.buf[a]))
			a++;
		while (z > a && isspace((unsigned char)b.buf[z - 1]))
			z--;
		if (a == z || b.buf[a] == '#' || b.buf[a] == ';')
			continue;
		if (b.buf[a] == '[' && b.buf[z - 1] == ']') {
			size_t sa = a + 1, sz = z - 1;

			while (sa < sz && isspace((unsigned char)b.buf[sa]))
				sa++;
			while (sz > sa && isspace((unsigned char)b.buf[sz - 1]))
				sz--;
			in = sz - sa == strlen(section) &&
			     !memcmp(b.buf + sa, section, sz - sa);
			if (in)
				*found = true;
			continue;
		}
		if (in) {
			const char *eq = memchr(b.buf + a, '=', z - a);
			size_t kz;

			if (!eq)
				continue;
			kz = (size_t)(eq - b.buf);
			while (kz > a && isspace((unsigned char)b.buf[kz - 1]))
				kz--;
			if (kz - a != strlen(key) || memcmp(b.buf + a, key, kz - a))
				continue;
			eq++;
			while (eq < b.buf + z && isspace((unsigned char)*eq))
				eq++;
			out = nhir_strndup(eq, (size_t)(b.buf + z - eq));
		}
	}
	sodium_memzero(b.buf, b.alloc);
	nhir_buf_release(&b);
	return out;
}

/*
 * The AWS credential variables (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...),
 * read where they are used through the operation's environment lookup,
 * as a connector's ${env:NAME} secret is: what signs the request is not
 * copied into anything of the front end's.
 */
static const char *aws_env(const struct nhir_ctx *op, const char *name)
{
	return nhir_ctx_env(op, name);
}

/*
 * The shared file $env names, else ~/.aws/rel; false (and out empty)
 * when neither $env nor $HOME is set: no path is guessed.
 */
static bool home_path(const struct nhir_ctx *op, char *out, size_t n,
		      const char *env, const char *rel)
{
	const char *v = aws_env(op, env), *home = aws_env(op, "HOME");

	out[0] = '\0';
	if (v && *v)
		snprintf(out, n, "%s", v);
	else if (home && *home)
		snprintf(out, n, "%s/.aws/%s", home, rel);
	return out[0] != '\0';
}

#define NO_HOME "$HOME is not set, nor AWS_SHARED_CREDENTIALS_FILE and " \
		"AWS_CONFIG_FILE: the shared files are not read"

/* Static keys of profile p from the credentials file, then the config file. */
static bool profile_keys(const struct nhir_ctx *op, const char *p,
			 struct creds *c)
{
	char cred[256], conf[256], section[128];
	bool found = false;
	bool have_cred = home_path(op, cred, sizeof(cred),
				   "AWS_SHARED_CREDENTIALS_FILE",
				   "credentials");
	bool have_conf = home_path(op, conf, sizeof(conf), "AWS_CONFIG_FILE",
				   "config");

	if (!have_cred && !have_conf) {
		snprintf(c->from, sizeof(c->from), NO_HOME);
		return false;
	}
	if (have_cred) {
		c->id = ini_get(cred, p, "aws_access_key_id", &found);
		c->secret = ini_get(cred, p, "aws_secret_access_key", &found);
		c->token = ini_get(cred, p, "aws_session_token", &found);
		snprintf(c->from, sizeof(c->from), "profile %.64s of %s", p,
			 cred);
		if (c->id && c->secret)
			return true;
		creds_free(c);
	}
	if (have_conf) {
		if (strcmp(p, "default"))
			snprintf(section, sizeof(section), "profile %.100s", p);
		else
			snprintf(section, sizeof(section), "default");
		c->id = ini_get(conf, section, "aws_access_key_id", &found);
		c->secret = ini_get(conf, section, "aws_secret_access_key",
				    &found);
		c->token = ini_get(conf, section, "aws_session_token", &found);
		snprintf(c->from, sizeof(c->from), "profile %.64s of %s", p,
			 conf);
		if (c->id && c->secret)
			return true;
		creds_free(c);
	}
	snprintf(c->from, sizeof(c->from), "no keys for profile %.64s in %s%s "
		 "or %s", p, have_cred ? cred : "(no credentials file: $HOME "
		 "is not set)", found ? "" : " (no such profile)",
		 have_conf ? conf : "(no config file: $HOME is not set)");
	return false;
}

/*
 * Profile p's credentials: its keys, or, when the config file gives it
 * a role_arn, the keys of its source_profile and the role to assume
 * with them (c->role).
 */
static bool profile_role(const struct nhir_ctx *op, const char *p,
			 struct creds *c)
{
	char conf[256], section[128];
	bool found = false;
	char *role, *source;

	if (!home_path(op, conf, sizeof(conf), "AWS_CONFIG_FILE", "config"))
		return profile_keys(op, p, c);	/* says why */
	if (strcmp(p, "default"))
		snprintf(section, sizeof(section), "profile %.100s", p);
	else
		snprintf(section, sizeof(section), "default");
	role = ini_get(conf, section, "role_arn", &found);
	if (!role)
		return profile_keys(op, p, c);
	source = ini_get(conf, section, "source_profile", &found);
	if (!source || !strcmp(source, p)) {
		snprintf(c->from, sizeof(c->from), "profile %.64s of %s has a "
			 "role_arn but no other source_profile (credential_process,"
			 " SSO and web identity are not read)", p, conf);
		nhir_free(role);
		nhir_free(source);
		return false;
	}
	if (!profile_keys(op, source, c)) {
		nhir_free(role);
		nhir_free(source);
		return false;
	}
	c->role = role;
	nhir_free(source);
	return true;
}

/*
 * The connector's own credentials: its profile if it names one, else
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN),
 * else the profile $AWS_PROFILE or "default" of the shared files.
 */
static bool base_creds(const struct nhir_ctx *op, const struct nhir_aws *a,
		       struct creds *c)
{
	const char *id = aws_env(op, "AWS_ACCESS_KEY_ID");
	const char *secret = aws_env(op, "AWS_SECRET_ACCESS_KEY");
	const char *token = aws_env(op, "AWS_SESSION_TOKEN");
	const char *p = a->profile ? a->profile : aws_env(op, "AWS_PROFILE");

	memset(c, 0, sizeof(*c));
	if (!a->profile && id && *id && secret && *secret) {
		c->id = nhir_strdup(id);
		c->secret = nhir_strdup(secret);
		c->token = token && *token ? nhir_strdup(token) : NULL;
		snprintf(c->from, sizeof(c->from), "the environment");
		if (c->id && c->secret)
			return true;
		creds_free(c);
		snprintf(c->from, sizeof(c->from), "out of memory");
		return false;
	}
	return profile_role(op, p && *p ? p : "default", c);
}

/* ---- one IAM or STS request ---- */

struct target {
	char partition[16], account[13], kind[8], name[130];
};

struct ctx {
	const struct nhir_ctx *op;	/* the operation's: its environment */
	const struct nhir_aws *a;
	const char *conn;
	int64_t deadline_ms;
	bool dry;
	struct creds cr;		/* what requests are signed with */
	bool have_creds;
	char cr_why[1000];		/* why there are none */
	const char *via_role;		/* assumed for this account, or NULL */
	char profile_role[300];		/* the profile's role_arn */
	char url[300], host[256], path[256], region[32];
	char sts_url[300], sts_host[256], sts_path[256];
	struct nhir_buf sent;		/* the calls made, for the evidence */
	struct nhir_buf dry_text;	/* the dry run's requests */
	int calls;
};

struct answer {
	struct nhir_xml *doc;
	long status;
	char code[96], msg[400], request_id[96];
	bool uncertain;		/* an earlier attempt may have acted */
};

static void err_clear(struct nhir_err *e)
{
	memset(e, 0, sizeof(*e));
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void form_add(struct nhir_buf *b, const char *k, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";

	if (b->len)
		nhir_buf_addch(b, '&');
	nhir_buf_adds(b, k);
	nhir_buf_addch(b, '=');
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (unreserved(c)) {
			nhir_buf_addch(b, (char)c);
		} else {
			nhir_buf_addch(b, '%');
			nhir_buf_addch(b, hex[c >> 4]);
			nhir_buf_addch(b, hex[c & 15]);
		}
	}
}

/* Splits an endpoint URL into host (with any port) and path. */
static bool split_url(const char *url, char *host, size_t hn, char *path,
		      size_t pn)
{
	const char *h = strstr(url, "://"), *slash;

	if (!h)
		return false;
	h += 3;
	slash = strchr(h, '/');
	if (slash == h || (!slash && !*h))
		return false;
	snprintf(host, hn, "%.*s", (int)(slash ? (size_t)(slash - h)
					       : strlen(h)), h);
	snprintf(path, pn, "%s", slash ? slash : "/");
	return !strpbrk(host, "@?#") && !strpbrk(path, "?#");
}

static bool throttled(const char *code)
{
	static const char *const codes[] = {
		"Throttling", "ThrottlingException", "RequestLimitExceeded",
		"TooManyRequestsException", "RequestThrottled",
		"ServiceUnavailable", "InternalFailure", "ServiceFailure",
	};

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(codes); i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

static void answer_free(struct answer *an)
{
	nhir_xml_free(an->doc);
	memset(an, 0, sizeof(*an));
}

/* The dry run's copy of a request: secrets replaced by [redacted]. */
static void show_request(struct ctx *c, const char *url,
			 const struct nhir_sigv4_header *h, size_t nr,
			 const char *authz, const char *body)
{
	struct nhir_buf *d = &c->dry_text;

	if (d->len)
		nhir_buf_adds(d, "\n\n");
	nhir_buf_addf(d, "POST %s\n", url);
	for (size_t i = 0; i < nr; i++)
		nhir_buf_addf(d, "%s: %s\n", h[i].name,
			      !strcmp(h[i].name, "X-Amz-Security-Token")
			      ? "[redacted]" : h[i].value);
	if (authz) {
		const char *sig = strstr(authz, "Signature=");

		nhir_buf_addf(d, "Authorization: %.*s%s\n",
			      (int)(sig ? (size_t)(sig - authz) : strlen(authz)),
			      authz, sig ? "Signature=[redacted]" : "");
	} else {
		nhir_buf_addf(d, "Authorization: AWS4-HMAC-SHA256 (not "
			      "signed now: %s)\n", c->cr_why);
	}
	nhir_buf_addf(d, "\n%s", body);
}

/*
 * Sends one signed request (service "iam" or "sts") with form body
 * body; its answer, parsed, in an.  NHIR_OK when it was answered (any
 * status: an->code says a refusal); an error when it could not be.
 */
static enum nhir_rc send_once(struct ctx *c, bool sts, const struct creds *cr,
			      const char *body, struct answer *an,
			      struct nhir_err *err)
{
	const char *url = sts ? c->sts_url : c->url;
	char date[20], what[160];
	struct nhir_sigv4_header h[4] = {
		{ "Content-Type", "application/x-www-form-urlencoded; "
				  "charset=utf-8" },
		{ "Host", sts ? c->sts_host : c->host },
		{ "X-Amz-Date", date },
		{ "X-Amz-Security-Token", cr ? cr->token : NULL },
	};
	size_t nr = cr && cr->token ? 4 : 3;
	struct nhir_sigv4_request r = { "POST", sts ? c->sts_path : c->path,
					"", h, nr, body, strlen(body), true };
	struct nhir_sigv4_key k = { cr ? cr->id : NULL,
				    cr ? cr->secret : NULL, c->region,
				    sts ? "sts" : "iam" };
	struct nhir_sigv4_result sr = { NULL, NULL, NULL };
	struct nhir_buf hv = NHIR_BUF_INIT(1 << 16);
	struct nhir_buf out = NHIR_BUF_INIT(1 << 20);
	const char *lines[5];
	time_t now = time(NULL);
	struct tm tm;
	long timeout;
	enum nhir_rc rc;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	if (cr) {
		rc = nhir_sigv4_sign(&r, &k, &sr, err);
		if (rc)
			return rc;
	}
	if (c->dry) {
		show_request(c, url, h, nr, sr.authorization, body);
		nhir_sigv4_result_free(&sr);
		return NHIR_OK;
	}
	for (size_t i = 0; i < nr; i++) {
		nhir_buf_addf(&hv, "%s: %s", h[i].name, h[i].value);
		nhir_buf_addch(&hv, 0);
	}
	nhir_buf_addf(&hv, "Authorization: %s", sr.authorization);
	nhir_buf_addch(&hv, 0);
	nhir_sigv4_result_free(&sr);
	if (hv.err) {
		sodium_memzero(hv.buf, hv.alloc);
		nhir_buf_release(&hv);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	/* one string after another in hv: point at each */
	{
		size_t off = 0;

		for (size_t i = 0; i <= nr; i++) {
			lines[i] = hv.buf + off;
			off += strlen(hv.buf + off) + 1;
		}
	}
	timeout = (long)((c->deadline_ms - nhir_mono_ms() + 999) / 1000);
	rc = plan_http_form(url, lines, nr + 1, body, timeout < 1 ? 1 : timeout,
			    &out, &an->status, err);
	sodium_memzero(hv.buf, hv.alloc);
	nhir_buf_release(&hv);
	if (rc) {
		nhir_buf_release(&out);
		return rc;
	}
	snprintf(what, sizeof(what), "%s's answer (HTTP %ld)",
		 sts ? "STS" : "IAM", an->status);
	if (nhir_xml_parse(out.buf ? out.buf : "", out.len, what, &an->doc,
			   err)) {
		if (an->status >= 200 && an->status < 300) {
			nhir_buf_release(&out);
			return err->rc;
		}
		/* an error page that is not IAM's: its status says enough */
		snprintf(an->code, sizeof(an->code), "HTTP %ld", an->status);
		snprintf(an->msg, sizeof(an->msg), "%s", err->msg);
		err_clear(err);
		nhir_buf_release(&out);
		return NHIR_OK;
	}
	nhir_buf_release(&out);
	if (an->status < 200 || an->status >= 300) {
		const char *code = nhir_xml_text(an->doc, "Error/Code");
		const char *msg = nhir_xml_text(an->doc, "Error/Message");

		snprintf(an->code, sizeof(an->code), "%s",
			 code && *code ? code : "");
		if (!an->code[0])
			snprintf(an->code, sizeof(an->code), "HTTP %ld",
				 an->status);
		snprintf(an->msg, sizeof(an->msg), "%s", msg ? msg : "");
	}
	{
		const char *id = nhir_xml_text(an->doc, "RequestId");

		if (!id)
			id = nhir_xml_text(an->doc, "ResponseMetadata/RequestId");
		snprintf(an->request_id, sizeof(an->request_id), "%s",
			 id ? id : "");
	}
	return NHIR_OK;
}

/*
 * One call, retried when throttled, on a 5xx answer or when the
 * connection failed, at most MAX_ATTEMPTS times within the deadline.
 * NHIR_OK with an->code empty when it succeeded, set when refused; an
 * error (in err) when no answer came.
 */
static enum nhir_rc send_call(struct ctx *c, bool sts, const struct creds *cr,
			      const char *body, const char *call,
			      struct answer *an, struct nhir_err *err)
{
	int64_t pause = 300;
	enum nhir_rc rc = NHIR_OK;
	bool uncertain = false;

	for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		bool retry;

		answer_free(an);
		err_clear(err);
		rc = send_once(c, sts, cr, body, an, err);
		if (c->dry)
			return rc;
		c->calls++;
		nhir_buf_addf(&c->sent, "%s%s: ", c->sent.len ? "; " : "", call);
		if (rc)
			nhir_buf_addf(&c->sent, "no answer (%s)", err->msg);
		else
			nhir_buf_addf(&c->sent, "HTTP %ld%s%s%s%s", an->status,
				      an->code[0] ? " " : "", an->code,
				      an->request_id[0] ? ", request " : "",
				      an->request_id);
		an->uncertain = uncertain;
		retry = rc == NHIR_EIO ||
			(!rc && (an->status >= 500 || throttled(an->code)));
		if (!retry || attempt == MAX_ATTEMPTS ||
		    nhir_mono_ms() + pause >= c->deadline_ms)
			break;
		/* a 5xx or a lost connection may have acted; throttling not */
		if (rc || an->status >= 500)
			uncertain = true;
		{
			uint32_t jitter = randombytes_uniform((uint32_t)pause / 2 + 1);

			plan_rest_sleep(pause + jitter);
		}
		pause *= 2;
	}
	return rc;
}

/* ---- the target ---- */

/* arn:PARTITION:iam::ACCOUNT:user/PATH/NAME or role/PATH/NAME */
static bool parse_arn(const char *arn, struct target *t)
{
	const char *f[5], *p, *res, *last;

	memset(t, 0, sizeof(*t));
	if (!arn || strncmp(arn, "arn:", 4))
		return false;
	/* f: partition, service, region, account, then the resource */
	p = arn + 4;
	for (int i = 0; i < 5; i++) {
		f[i] = p;
		if (i < 4) {
			p = strchr(p, ':');
			if (!p)
				return false;
			p++;
		}
	}
	res = f[4];
	if ((size_t)(f[1] - f[0] - 1) >= sizeof(t->partition) ||
	    f[1] - f[0] < 2 || strncmp(f[1], "iam:", 4) || f[2][0] != ':' ||
	    f[4] - f[3] - 1 != 12)
		return false;
	snprintf(t->partition, sizeof(t->partition), "%.*s",
		 (int)(f[1] - f[0] - 1), f[0]);
	snprintf(t->account, sizeof(t->account), "%.12s", f[3]);
	if (!all_digits(t->account, 12))
		return false;
	if (!strncmp(res, "user/", 5))
		snprintf(t->kind, sizeof(t->kind), "user");
	else if (!strncmp(res, "role/", 5))
		snprintf(t->kind, sizeof(t->kind), "role");
	else
		return false;
	last = strrchr(res, '/') + 1;
	if (!*last || strlen(last) >= sizeof(t->name))
		return false;
	for (const char *s = last; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
			return false;
	snprintf(t->name, sizeof(t->name), "%s", last);
	return true;
}

static bool key_id_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 16 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isupper((unsigned char)s[i]) && !isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* IAM's and STS's endpoints and signing region in partition p. */
static bool partition_endpoints(const char *p, const char **iam,
				const char **sts, const char **region)
{
	static const struct {
		const char *partition, *iam, *sts, *region;
	} parts[] = {
		{ "aws", "https://iam.amazonaws.com/",
		  "https://sts.amazonaws.com/", "us-east-1" },
		{ "aws-cn", "https://iam.cn-north-1.amazonaws.com.cn/",
		  "https://sts.cn-north-1.amazonaws.com.cn/", "cn-north-1" },
		{ "aws-us-gov", "https://iam.us-gov.amazonaws.com/",
		  "https://sts.us-gov-west-1.amazonaws.com/", "us-gov-west-1" },
	};

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(parts); i++)
		if (!strcmp(p, parts[i].partition)) {
			*iam = parts[i].iam;
			*sts = parts[i].sts;
			*region = parts[i].region;
			return true;
		}
	return false;
}

/* ---- the answers ---- */

static enum nhir_rc reply_json(struct nhir_buf *reply, cJSON *o,
			       struct nhir_err *err)
{
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	nhir_buf_adds(reply, s);
	cJSON_free(s);
	return reply->err ? nhir_err_set(err, NHIR_ETOOBIG, "answer too big")
			  : NHIR_OK;
}

/* The calls made so far, as a string. */
static const char *sent_str(struct ctx *c)
{
	nhir_buf_addch(&c->sent, 0);
	if (c->sent.err || !c->sent.buf)
		return "";
	c->sent.len--;
	return c->sent.buf;
}

static enum nhir_rc answer_status(struct ctx *c, struct nhir_buf *reply,
				  const char *status, const char *detail,
				  const char *cut_at, struct nhir_err *err)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "status", status);
	cJSON_AddStringToObject(o, "detail", detail);
	if (cut_at)
		cJSON_AddStringToObject(o, "cut_at", cut_at);
	if (c->sent.len)
		cJSON_AddStringToObject(o, "calls", sent_str(c));
	if (c->via_role)
		cJSON_AddStringToObject(o, "role", c->via_role);
	return reply_json(reply, o, err);
}

/* A refusal or failure of call, as a step's detail. */
static void why_failed(char *out, size_t n, const char *call,
		       const struct answer *an, const struct nhir_err *e,
		       const char *done_before)
{
	if (e->rc)
		snprintf(out, n, "%s: %s%s%s", call, e->msg,
			 done_before[0] ? "; done before it: " : "",
			 done_before);
	else
		snprintf(out, n, "%s refused: %s%s%s (HTTP %ld%s%s)%s%s", call,
			 an->code, an->msg[0] ? ": " : "", an->msg, an->status,
			 an->request_id[0] ? ", request " : "", an->request_id,
			 done_before[0] ? "; done before it: " : "",
			 done_before);
}

/* ---- the calls of each action ---- */

struct params {
	const char *k[MAX_PARAMS], *v[MAX_PARAMS];
	size_t nr;
};

static void param(struct params *p, const char *k, const char *v)
{
	if (p->nr < MAX_PARAMS) {
		p->k[p->nr] = k;
		p->v[p->nr++] = v;
	}
}

/*
 * IAM call action with p: NHIR_OK and *ok when it succeeded (its
 * answer in an), NHIR_OK and !*ok when refused or unanswered (detail
 * in why).  An error only when nothing could be tried (out of memory).
 */
static enum nhir_rc iam(struct ctx *c, const char *action,
			const struct params *p, struct answer *an, bool *ok,
			char *why, size_t whyn, const char *done_before)
{
	struct nhir_buf body = NHIR_BUF_INIT(1 << 20);
	struct nhir_err e = NHIR_ERR_INIT;
	char call[96];
	enum nhir_rc rc;

	*ok = false;
	snprintf(call, sizeof(call), "iam:%s", action);
	form_add(&body, "Action", action);
	for (size_t i = 0; i < p->nr; i++)
		form_add(&body, p->k[i], p->v[i]);
	form_add(&body, "Version", IAM_VERSION);
	nhir_buf_addch(&body, 0);
	if (body.err) {
		nhir_buf_release(&body);
		return NHIR_ENOMEM;
	}
	rc = send_call(c, false, c->have_creds ? &c->cr : NULL, body.buf, call,
		       an, &e);
	nhir_buf_release(&body);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (c->dry) {
		*ok = true;
		return NHIR_OK;
	}
	if (!rc && !an->code[0]) {
		*ok = true;
		return NHIR_OK;
	}
	/* deleting what a lost attempt already deleted */
	if (!rc && an->uncertain && !strcmp(an->code, "NoSuchEntity") &&
	    (!strncmp(action, "Delete", 6) || !strncmp(action, "Detach", 6) ||
	     !strncmp(action, "Remove", 6))) {
		*ok = true;
		return NHIR_OK;
	}
	why_failed(why, whyn, call, an, &e, done_before);
	return NHIR_OK;
}

/* The session of the role configured for account, assumed with c->cr. */
static enum nhir_rc assume_role(struct ctx *c, const char *role,
				const char *incident, int step, char *why,
				size_t whyn)
{
	struct nhir_buf body = NHIR_BUF_INIT(1 << 16);
	struct nhir_err e = NHIR_ERR_INIT;
	struct answer an;
	char session[64];
	const char *id, *secret, *token;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(session, sizeof(session), "nhir-%s-step-%d", incident, step);
	for (char *s = session; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("+=,.@_-", *s))
			*s = '-';
	form_add(&body, "Action", "AssumeRole");
	form_add(&body, "RoleArn", role);
	form_add(&body, "RoleSessionName", session);
	form_add(&body, "DurationSeconds", "900");
	form_add(&body, "Version", STS_VERSION);
	nhir_buf_addch(&body, 0);
	if (body.err) {
		nhir_buf_release(&body);
		return NHIR_ENOMEM;
	}
	c->via_role = role;
	if (c->dry) {
		nhir_buf_addf(&c->dry_text, "%s(signed with a session of %s, "
			      "assumed by sts:AssumeRole when it runs)",
			      c->dry_text.len ? "\n\n" : "", role);
		nhir_buf_release(&body);
		return NHIR_OK;
	}
	rc = send_call(c, true, &c->cr, body.buf, "sts:AssumeRole", &an, &e);
	nhir_buf_release(&body);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (rc || an.code[0]) {
		why_failed(why, whyn, "sts:AssumeRole", &an, &e, "");
		answer_free(&an);
		return NHIR_EDENIED;
	}
	id = nhir_xml_text(an.doc, "AssumeRoleResult/Credentials/AccessKeyId");
	secret = nhir_xml_text(an.doc,
			       "AssumeRoleResult/Credentials/SecretAccessKey");
	token = nhir_xml_text(an.doc, "AssumeRoleResult/Credentials/SessionToken");
	if (!id || !*id || !secret || !*secret || !token || !*token) {
		snprintf(why, whyn, "sts:AssumeRole of %s answered without "
			 "credentials", role);
		answer_free(&an);
		return NHIR_EDENIED;
	}
	creds_free(&c->cr);
	c->cr.id = nhir_strdup(id);
	c->cr.secret = nhir_strdup(secret);
	c->cr.token = nhir_strdup(token);
	snprintf(c->cr.from, sizeof(c->cr.from), "a session of %s", role);
	/* the answer held the secret */
	for (struct nhir_xml *x = an.doc; x; x = NULL) {
		const struct nhir_xml *cx = nhir_xml_at(x, "AssumeRoleResult/"
							"Credentials");

		for (const struct nhir_xml *k = cx ? cx->child : NULL; k;
		     k = k->next)
			sodium_memzero(k->text, strlen(k->text));
	}
	answer_free(&an);
	if (!c->cr.id || !c->cr.secret || !c->cr.token)
		return NHIR_ENOMEM;
	return NHIR_OK;
}

static void policy_deny_before(char *out, size_t n, const char *when)
{
	snprintf(out, n, "{\"Version\":\"2012-10-17\",\"Statement\":[{"
		 "\"Effect\":\"Deny\",\"Action\":[\"*\"],\"Resource\":[\"*\"],"
		 "\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":"
		 "\"%s\"}}}]}", when);
}

static char *url_decode(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = nhir_malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };

			out[o++] = (char)strtol(hx, NULL, 16);
			i += 2;
		} else {
			out[o++] = s[i] == '+' ? ' ' : s[i];
		}
	}
	out[o] = 0;
	return out;
}

/*
 * The role's trust policy with a statement denying every assumption
 * added (the old one is kept in the detail, for recovery).
 */
static enum nhir_rc remove_trust(struct ctx *c, const struct target *t,
				 char *detail, size_t dn, bool *ok)
{
	struct params p = { { 0 }, { 0 }, 0 };
	struct answer an;
	const char *doc;
	char *old = NULL, *neu = NULL;
	cJSON *j = NULL, *st, *deny;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	param(&p, "RoleName", t->name);
	rc = iam(c, "GetRole", &p, &an, ok, detail, dn, "");
	if (rc || !*ok)
		goto out;
	if (c->dry) {
		nhir_buf_addf(&c->dry_text, "\n\n(then iam:UpdateAssumeRolePolicy"
			      " RoleName=%s with the trust policy read, a "
			      "statement %s denying sts:AssumeRole* to every "
			      "principal added)", t->name, TRUST_SID);
		goto out;
	}
	*ok = false;
	doc = nhir_xml_text(an.doc, "GetRoleResult/Role/AssumeRolePolicyDocument");
	old = doc ? url_decode(doc) : NULL;
	j = old ? cJSON_Parse(old) : NULL;
	st = cJSON_GetObjectItemCaseSensitive(j, "Statement");
	if (cJSON_IsObject(st)) {
		cJSON *arr = cJSON_CreateArray();

		cJSON_DetachItemViaPointer(j, st);
		cJSON_AddItemToArray(arr, st);
		cJSON_AddItemToObject(j, "Statement", arr);
		st = arr;
	}
	if (!cJSON_IsArray(st)) {
		snprintf(detail, dn, "iam:GetRole answered no trust policy "
			 "for %s that could be read", t->name);
		goto out;
	}
	{
		cJSON *s;
		bool have = false;

		cJSON_ArrayForEach(s, st) {
			const cJSON *sid = cJSON_GetObjectItemCaseSensitive(s, "Sid");

			if (cJSON_IsString(sid) && !strcmp(sid->valuestring,
							   TRUST_SID))
				have = true;
		}
		if (!have) {
			deny = cJSON_Parse("{\"Sid\":\"" TRUST_SID "\","
					   "\"Effect\":\"Deny\",\"Principal\":"
					   "\"*\",\"Action\":[\"sts:AssumeRole\","
					   "\"sts:AssumeRoleWithSAML\","
					   "\"sts:AssumeRoleWithWebIdentity\"]}");
			if (!deny) {
				rc = NHIR_ENOMEM;
				goto out;
			}
			cJSON_AddItemToArray(st, deny);
		}
	}
	neu = cJSON_PrintUnformatted(j);
	if (!neu) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	p.nr = 0;
	param(&p, "RoleName", t->name);
	param(&p, "PolicyDocument", neu);
	answer_free(&an);
	rc = iam(c, "UpdateAssumeRolePolicy", &p, &an, ok, detail, dn, "");
	if (!rc && *ok)
		snprintf(detail, dn, "iam:UpdateAssumeRolePolicy: %s may no "
			 "longer be assumed by anyone (statement %s denies "
			 "sts:AssumeRole*); sessions already issued are not "
			 "ended; the trust policy before: %s", t->name,
			 TRUST_SID, old);
out:
	cJSON_free(neu);
	cJSON_Delete(j);
	nhir_free(old);
	answer_free(&an);
	return rc;
}

/*
 * The next page's Marker of a listing answered in an (its result
 * element named by the path's first part): true with mk set when
 * IsTruncated says there is one, false with mk empty when not; false
 * with *ok cleared and detail set when the answer is truncated without
 * a usable Marker.
 */
static bool next_page(const struct answer *an, const char *list,
		      const char *path, char *mk, size_t mn, char *detail,
		      size_t dn, bool *ok)
{
	char at[160];
	const char *tr, *m;
	int prefix = (int)(strchr(path, '/') - path + 1);

	mk[0] = 0;
	snprintf(at, sizeof(at), "%.*sIsTruncated", prefix, path);
	tr = nhir_xml_text(an->doc, at);
	if (!tr || strcmp(tr, "true"))
		return false;
	snprintf(at, sizeof(at), "%.*sMarker", prefix, path);
	m = nhir_xml_text(an->doc, at);
	if (!m || !*m || strlen(m) >= mn) {
		snprintf(detail, dn, "iam:%s answered IsTruncated without a "
			 "Marker to go on from: not all was seen", list);
		*ok = false;
		return false;
	}
	snprintf(mk, mn, "%s", m);
	return true;
}

/*
 * Every item of listing list (action) of who=name, page after page
 * (Marker, MaxItems 1000): the member field (or the member's text) of
 * each entry at path, into items (*nr of them, owned).  *ok cleared and
 * detail set when a page is refused, cannot be read, or the listing is
 * longer than MAX_LISTED items or MAX_PAGES pages: not all was seen.
 */
static enum nhir_rc list_all(struct ctx *c, const char *list,
			     const char *who, const char *name,
			     const char *path, const char *field,
			     char **items, size_t *nr, char *detail,
			     size_t dn, const char *done, bool *ok)
{
	struct answer an;
	char mk[MAX_MARKER];
	enum nhir_rc rc = NHIR_OK;

	memset(&an, 0, sizeof(an));
	*nr = 0;
	mk[0] = 0;
	for (int pg = 0; !rc; pg++) {
		struct params p = { { 0 }, { 0 }, 0 };
		const struct nhir_xml *l;

		if (pg == MAX_PAGES) {
			snprintf(detail, dn, "iam:%s listed more than %d pages "
				 "for %s: not all was seen", list, MAX_PAGES,
				 name);
			*ok = false;
			break;
		}
		param(&p, who, name);
		if (mk[0])
			param(&p, "Marker", mk);
		param(&p, "MaxItems", "1000");
		answer_free(&an);
		rc = iam(c, list, &p, &an, ok, detail, dn, done);
		if (rc || !*ok || c->dry)
			break;
		l = nhir_xml_at(an.doc, path);
		if (!l) {
			snprintf(detail, dn, "iam:%s answered without %s", list,
				 path);
			*ok = false;
			break;
		}
		for (const struct nhir_xml *m = l->child; m; m = m->next) {
			const char *v = field ? nhir_xml_text(m, field) : m->text;

			if (!v || !*v)
				continue;
			if (*nr == MAX_LISTED) {
				snprintf(detail, dn, "iam:%s listed more than %d "
					 "for %s: not all was acted on", list,
					 MAX_LISTED, name);
				*ok = false;
				break;
			}
			items[*nr] = nhir_strdup(v);
			if (!items[*nr]) {
				rc = NHIR_ENOMEM;
				break;
			}
			(*nr)++;
		}
		if (rc || !*ok || !next_page(&an, list, path, mk, sizeof(mk),
					     detail, dn, ok))
			break;
	}
	answer_free(&an);
	return rc;
}

/*
 * Every policy of a role or user taken away: managed ones detached,
 * inline ones deleted (but the deny of older sessions), and a user
 * taken out of its groups.  One list call then one call per item; the
 * first failure fails the step, naming what was done.
 */
static enum nhir_rc detach_all(struct ctx *c, const struct target *t,
			       char *detail, size_t dn, bool *ok)
{
	static const struct {
		const char *kind, *list, *path, *field, *act, *arg;
	} steps[] = {
		{ "role", "ListAttachedRolePolicies",
		  "ListAttachedRolePoliciesResult/AttachedPolicies", "PolicyArn",
		  "DetachRolePolicy", "PolicyArn" },
		{ "role", "ListRolePolicies", "ListRolePoliciesResult/PolicyNames",
		  NULL, "DeleteRolePolicy", "PolicyName" },
		{ "user", "ListAttachedUserPolicies",
		  "ListAttachedUserPoliciesResult/AttachedPolicies", "PolicyArn",
		  "DetachUserPolicy", "PolicyArn" },
		{ "user", "ListUserPolicies", "ListUserPoliciesResult/PolicyNames",
		  NULL, "DeleteUserPolicy", "PolicyName" },
		{ "user", "ListGroupsForUser", "ListGroupsForUserResult/Groups",
		  "GroupName", "RemoveUserFromGroup", "GroupName" },
	};
	const char *who = !strcmp(t->kind, "role") ? "RoleName" : "UserName";
	struct nhir_buf done = NHIR_BUF_INIT(1 << 16);
	struct answer an;
	enum nhir_rc rc = NHIR_OK;

	memset(&an, 0, sizeof(an));
	*ok = true;
	for (size_t s = 0; !rc && *ok && s < NHIR_ARRAY_SIZE(steps); s++) {
		struct params p = { { 0 }, { 0 }, 0 };
		char *items[MAX_LISTED];
		size_t nr = 0;

		if (strcmp(steps[s].kind, t->kind))
			continue;
		nhir_buf_addch(&done, 0);
		done.len = done.len ? done.len - 1 : 0;
		rc = list_all(c, steps[s].list, who, t->name, steps[s].path,
			      steps[s].field, items, &nr, detail, dn,
			      done.buf ? done.buf : "", ok);
		if (!rc && *ok && c->dry)
			nhir_buf_addf(&c->dry_text, "\n\n(then iam:%s %s=%s "
				      "%s=... for each one listed, page after "
				      "page)", steps[s].act, who, t->name,
				      steps[s].arg);
		for (size_t i = 0; i < nr; i++) {
			/* the cut of older sessions stays */
			if (!rc && *ok && !(!steps[s].field &&
					    !strcmp(items[i], REVOKE_POLICY))) {
				p.nr = 0;
				param(&p, who, t->name);
				param(&p, steps[s].arg, items[i]);
				nhir_buf_addch(&done, 0);
				done.len = done.len ? done.len - 1 : 0;
				rc = iam(c, steps[s].act, &p, &an, ok, detail,
					 dn, done.buf ? done.buf : "");
				if (!rc && *ok)
					nhir_buf_addf(&done, "%s%s %s",
						      done.len ? ", " : "",
						      steps[s].act, items[i]);
			}
			nhir_free(items[i]);
		}
	}
	if (!rc && *ok && !c->dry)
		snprintf(detail, dn, "%s %s has no policy left (%s)%s",
			 t->kind, t->name,
			 done.len ? done.buf : "none was attached",
			 !strcmp(t->kind, "user") ? "; resource policies that "
			 "name it still apply" : "");
	answer_free(&an);
	nhir_buf_release(&done);
	return rc;
}

/* A probe of an access key: its status in ListAccessKeys, and when last used. */
static enum nhir_rc probe_key(struct ctx *c, const struct target *t,
			      const char *key, cJSON *o, char *detail,
			      size_t dn, bool *ok)
{
	struct params p = { { 0 }, { 0 }, 0 };
	struct answer an;
	const char *status = NULL, *used;
	char st[32], mk[MAX_MARKER];
	enum nhir_rc rc = NHIR_OK;

	memset(&an, 0, sizeof(an));
	mk[0] = 0;
	for (int pg = 0; !status; pg++) {
		if (pg == MAX_PAGES) {
			snprintf(detail, dn, "iam:ListAccessKeys listed more than "
				 "%d pages for %s without %s: the key's status "
				 "is unknown", MAX_PAGES, t->name, key);
			*ok = false;
			goto out;
		}
		p.nr = 0;
		param(&p, "UserName", t->name);
		if (mk[0])
			param(&p, "Marker", mk);
		param(&p, "MaxItems", "1000");
		answer_free(&an);
		rc = iam(c, "ListAccessKeys", &p, &an, ok, detail, dn, "");
		if (rc || !*ok || c->dry)
			goto out;
		if (!nhir_xml_at(an.doc, "ListAccessKeysResult/AccessKeyMetadata")) {
			snprintf(detail, dn, "iam:ListAccessKeys answered without "
				 "AccessKeyMetadata");
			*ok = false;
			goto out;
		}
		for (const struct nhir_xml *m = nhir_xml_at(an.doc,
			"ListAccessKeysResult/AccessKeyMetadata")->child; m;
		     m = m->next) {
			const char *id = nhir_xml_text(m, "AccessKeyId");

			if (id && !strcmp(id, key) && nhir_xml_text(m, "Status")) {
				snprintf(st, sizeof(st), "%s",
					 nhir_xml_text(m, "Status"));
				status = st;
			}
		}
		if (!status && !next_page(&an, "ListAccessKeys",
					  "ListAccessKeysResult/AccessKeyMetadata",
					  mk, sizeof(mk), detail, dn, ok)) {
			if (!*ok)
				goto out;
			break;
		}
	}
	if (status && strcmp(status, "Active") && strcmp(status, "Inactive")) {
		snprintf(detail, dn, "iam:ListAccessKeys says %s is '%s': "
			 "unknown", key, status);
		*ok = false;
		goto out;
	}
	cJSON_AddBoolToObject(o, "works", status && !strcmp(status, "Active"));
	cJSON_AddStringToObject(o, "call", "iam:ListAccessKeys");
	if (!status) {
		snprintf(detail, dn, "iam:ListAccessKeys: %s is not among the "
			 "keys of %s (deleted)", key, t->name);
		goto out;
	}
	p.nr = 0;
	param(&p, "AccessKeyId", key);
	answer_free(&an);
	rc = iam(c, "GetAccessKeyLastUsed", &p, &an, ok, detail, dn, "");
	if (rc || !*ok)
		goto out;
	used = nhir_xml_text(an.doc, "GetAccessKeyLastUsedResult/"
			     "AccessKeyLastUsed/LastUsedDate");
	snprintf(detail, dn, "iam:ListAccessKeys: %s of %s is %s; last used "
		 "%s (iam:GetAccessKeyLastUsed)", key, t->name, status,
		 used && *used ? used : "never, or not known");
out:
	answer_free(&an);
	return rc;
}

/* ---- the request ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The IAM identity the request's target is or acts as. */
static bool target_identity(const cJSON *tg, struct target *t)
{
	const cJSON *as = cJSON_GetObjectItemCaseSensitive(tg, "acts_as"), *e;

	if (parse_arn(jstr(tg, "id"), t))
		return true;
	cJSON_ArrayForEach(e, as)
		if (cJSON_IsString(e) && parse_arn(e->valuestring, t) &&
		    !strcmp(t->kind, "user"))
			return true;
	return false;
}

/* Endpoints, region and credentials for a target in t's partition and account. */
static bool setup(struct ctx *c, const struct target *t, const char *incident,
		  int step, char *why, size_t whyn, enum nhir_rc *rc)
{
	const char *iam_url, *sts_url, *region;
	const char *role = NULL;

	*rc = NHIR_OK;
	if (!partition_endpoints(t->partition, &iam_url, &sts_url, &region)) {
		snprintf(why, whyn, "partition '%s' is not one the aws "
			 "connector knows (aws, aws-cn, aws-us-gov)",
			 t->partition);
		return false;
	}
	snprintf(c->url, sizeof(c->url), "%s", c->a->endpoint ? c->a->endpoint
							      : iam_url);
	snprintf(c->sts_url, sizeof(c->sts_url), "%s",
		 c->a->sts_endpoint ? c->a->sts_endpoint
		 : c->a->endpoint ? c->a->endpoint : sts_url);
	snprintf(c->region, sizeof(c->region), "%s",
		 c->a->region ? c->a->region : region);
	if (!split_url(c->url, c->host, sizeof(c->host), c->path,
		       sizeof(c->path)) ||
	    !split_url(c->sts_url, c->sts_host, sizeof(c->sts_host),
		       c->sts_path, sizeof(c->sts_path))) {
		snprintf(why, whyn, "'%s': an endpoint is not a URL", c->conn);
		return false;
	}
	c->have_creds = base_creds(c->op, c->a, &c->cr);
	if (!c->have_creds) {
		snprintf(c->cr_why, sizeof(c->cr_why), "no AWS credentials: "
			 "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not "
			 "set and %s", c->cr.from);
		if (!c->dry) {
			snprintf(why, whyn, "%s", c->cr_why);
			return false;
		}
	}
	if (c->have_creds && c->cr.role) {
		/* the profile's role first; an account's role from its session */
		snprintf(c->profile_role, sizeof(c->profile_role), "%s",
			 c->cr.role);
		*rc = assume_role(c, c->profile_role, incident, step, why,
				  whyn);
		if (*rc == NHIR_EDENIED) {
			*rc = NHIR_OK;
			return false;
		}
		if (*rc)
			return false;
		if (c->dry) {
			snprintf(c->cr_why, sizeof(c->cr_why), "the session of "
				 "%s is made when it runs", c->profile_role);
			c->have_creds = false;
		}
	}
	for (size_t i = 0; i < c->a->acct_nr; i++)
		if (!strcmp(c->a->acct[i].id, t->account))
			role = c->a->acct[i].role_arn;
	if (role && (c->have_creds || c->dry)) {
		*rc = assume_role(c, role, incident, step, why, whyn);
		if (*rc == NHIR_EDENIED) {
			*rc = NHIR_OK;
			return false;
		}
		if (*rc)
			return false;
		if (c->dry)
			snprintf(c->cr_why, sizeof(c->cr_why), "the session of "
				 "%s is made when it runs", role);
		c->have_creds = c->have_creds && !c->dry;
	}
	return true;
}

enum nhir_rc nhir_aws_call(const struct nhir_ctx *op, const struct nhir_aws *a,
			   const char *name, long timeout, const char *request,
			   bool probe, struct nhir_buf *reply,
			   struct nhir_err *err)
{
	struct ctx c;
	struct target t;
	struct params p = { { 0 }, { 0 }, 0 };
	struct answer an;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *key, *incident;
	char detail[3000] = "", when[32], policy[400];
	bool ok = false, lookup = false;
	const char *cut_at = NULL;
	int step;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	memset(&an, 0, sizeof(an));
	nhir_buf_init(&c.sent, 1 << 16);
	nhir_buf_init(&c.dry_text, 1 << 16);
	c.op = op;
	c.a = a;
	c.conn = name;
	c.deadline_ms = nhir_mono_ms() + timeout * 1000;
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	incident = jstr(req, "incident");
	step = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(req, "step"))
	       ? cJSON_GetObjectItemCaseSensitive(req, "step")->valueint : 0;
	c.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	key = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	if (!target_identity(tg, &t)) {
		const char *sub = jstr(tg, "subtype");

		if (!key_id_ok(key) || !sub || strcmp(sub, "aws-access-key")) {
			snprintf(detail, sizeof(detail), "%s is not an IAM user "
				 "or role and acts as none that the aws "
				 "connector can name (arn:PARTITION:iam::"
				 "ACCOUNT:user/... or role/...)",
				 key ? key : "the target");
			goto answer;
		}
		/* a key whose user is not on record: IAM says whose it is */
		memset(&t, 0, sizeof(t));
		snprintf(t.partition, sizeof(t.partition), "aws");
		snprintf(t.kind, sizeof(t.kind), "user");
		lookup = true;
	}
	if (!setup(&c, &t, incident ? incident : "INC", step, detail,
		   sizeof(detail), &rc))
		goto answer;
	if (lookup) {
		param(&p, "AccessKeyId", key);
		rc = iam(&c, "GetAccessKeyLastUsed", &p, &an, &ok, detail,
			 sizeof(detail), "");
		p.nr = 0;
		if (rc || !ok)
			goto answer;
		ok = false;
		if (c.dry) {
			nhir_buf_addf(&c.dry_text, "\n\n(UserName below: the "
				      "one iam:GetAccessKeyLastUsed answers)");
			snprintf(t.name, sizeof(t.name), "USER");
		} else {
			const char *u = nhir_xml_text(an.doc, "GetAccessKeyLastUsed"
						      "Result/UserName");
			struct target ut;
			char arn[200];

			snprintf(arn, sizeof(arn), "arn:aws:iam::000000000000:"
				 "user/%.128s", u ? u : "");
			if (!u || !parse_arn(arn, &ut)) {
				snprintf(detail, sizeof(detail), "the user of %s "
					 "is not on record and "
					 "iam:GetAccessKeyLastUsed did not "
					 "name one", key);
				goto answer;
			}
			snprintf(t.name, sizeof(t.name), "%s", ut.name);
		}
		answer_free(&an);
	}
	if (probe) {
		const char *sub = jstr(tg, "subtype");

		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		if (sub && !strcmp(sub, "aws-access-key") && key_id_ok(key) &&
		    !strcmp(t.kind, "user")) {
			rc = probe_key(&c, &t, key, o, detail, sizeof(detail),
				       &ok);
		} else if (sub && !strcmp(sub, "aws-login-profile") &&
			   !strcmp(t.kind, "user")) {
			param(&p, "UserName", t.name);
			rc = iam(&c, "GetLoginProfile", &p, &an, &ok, detail,
				 sizeof(detail), "");
			if (!rc && !ok && !strcmp(an.code, "NoSuchEntity")) {
				ok = true;
				cJSON_AddBoolToObject(o, "works", false);
				snprintf(detail, sizeof(detail), "iam:GetLoginProfile: "
					 "%s has no console password", t.name);
			} else if (!rc && ok) {
				cJSON_AddBoolToObject(o, "works", true);
				snprintf(detail, sizeof(detail), "iam:GetLoginProfile: "
					 "%s still has a console password", t.name);
			}
			cJSON_AddStringToObject(o, "call", "iam:GetLoginProfile");
		} else {
			snprintf(detail, sizeof(detail), "the aws connector "
				 "cannot probe a %s", sub ? sub : "target "
				 "without a subtype");
		}
		if (rc)
			goto out;
		if (c.dry) {
			cJSON_Delete(o);
			o = NULL;
			goto answer;
		}
		if (!ok) {
			/* unknown is not "revoked": the probe fails */
			cJSON_Delete(o);
			o = NULL;
			goto answer;
		}
		cJSON_AddStringToObject(o, "detail", detail);
		if (c.sent.len)
			cJSON_AddStringToObject(o, "calls", sent_str(&c));
		rc = reply_json(reply, o, err);
		o = NULL;
		goto out;
	}
	if (!strcmp(action, "aws.deactivate-access-key") ||
	    !strcmp(action, "aws.delete-access-key")) {
		bool del = !strcmp(action, "aws.delete-access-key");

		if (!key_id_ok(key) || strcmp(t.kind, "user")) {
			snprintf(detail, sizeof(detail), "%s: the target is "
				 "not an access key of a known IAM user",
				 action);
			goto answer;
		}
		param(&p, "AccessKeyId", key);
		if (!del)
			param(&p, "Status", "Inactive");
		param(&p, "UserName", t.name);
		rc = iam(&c, del ? "DeleteAccessKey" : "UpdateAccessKey", &p,
			 &an, &ok, detail, sizeof(detail), "");
		if (ok)
			snprintf(detail, sizeof(detail), "%s: %s of %s %s",
				 del ? "iam:DeleteAccessKey"
				     : "iam:UpdateAccessKey",
				 key, t.name, del ? "deleted" : "is Inactive");
	} else if (!strcmp(action, "aws.delete-login-profile")) {
		if (strcmp(t.kind, "user")) {
			snprintf(detail, sizeof(detail), "%s: no IAM user",
				 action);
			goto answer;
		}
		param(&p, "UserName", t.name);
		rc = iam(&c, "DeleteLoginProfile", &p, &an, &ok, detail,
			 sizeof(detail), "");
		if (ok)
			snprintf(detail, sizeof(detail), "iam:DeleteLoginProfile:"
				 " %s has no console password; console sessions "
				 "already open last until they expire", t.name);
	} else if (!strcmp(action, "aws.deny-sessions-issued-before")) {
		bool role = !strcmp(t.kind, "role");

		nhir_time_format(nhir_ctx_now(op), when, sizeof(when));
		policy_deny_before(policy, sizeof(policy), when);
		param(&p, role ? "RoleName" : "UserName", t.name);
		param(&p, "PolicyName", REVOKE_POLICY);
		param(&p, "PolicyDocument", policy);
		rc = iam(&c, role ? "PutRolePolicy" : "PutUserPolicy", &p, &an,
			 &ok, detail, sizeof(detail), "");
		if (ok)
			snprintf(detail, sizeof(detail), "%s: %s %s denies "
				 "everything to sessions issued before %s "
				 "(aws:TokenIssueTime)%s; policy changes may "
				 "take a few minutes to apply",
				 role ? "iam:PutRolePolicy" : "iam:PutUserPolicy",
				 REVOKE_POLICY, t.name, when,
				 role ? "" : "; requests signed with the "
				 "user's long-term keys are not affected");
		cut_at = when;
	} else if (!strcmp(action, "aws.detach-policies")) {
		rc = detach_all(&c, &t, detail, sizeof(detail), &ok);
	} else if (!strcmp(action, "aws.remove-trust") &&
		   !strcmp(t.kind, "role")) {
		rc = remove_trust(&c, &t, detail, sizeof(detail), &ok);
	} else {
		snprintf(detail, sizeof(detail), "the aws connector has no "
			 "call for %s%s", action,
			 !strcmp(action, "aws.expire-session")
			 ? " (STS credentials cannot be revoked: cut the "
			   "permissions of the identity they act as)" : "");
	}
answer:
	if (rc)
		goto out;
	if (c.dry) {
		nhir_buf_addch(&c.dry_text, 0);
		rc = answer_status(&c, reply, "dry-run", c.dry_text.err
				   ? "out of memory"
				   : c.dry_text.len > 1 ? c.dry_text.buf : detail,
				   NULL, err);
	} else {
		rc = answer_status(&c, reply, ok ? "done" : "failed", detail,
				   ok ? cut_at : NULL, err);
	}
out:
	if (rc == NHIR_ENOMEM && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	answer_free(&an);
	creds_free(&c.cr);
	nhir_buf_release(&c.sent);
	nhir_buf_release(&c.dry_text);
	return rc;
}
