/*
 * The built-in GitHub connector (github.h).  Each catalog action becomes
 * one or more calls of GitHub's REST API, sent through plan_http_do.
 *
 *   a token a secret scanning alert found (github-alert:OWNER/REPO#N):
 *     GET the alert (its secret), POST /credentials/revoke with it
 *     (unauthenticated, as GitHub requires), PATCH the alert resolved
 *     as revoked;
 *   a fine-grained token by its id in an organisation
 *     (github:token-id:N, the connector's org): GET the organisation's
 *     grants of that token, POST their revocation.
 *
 * Probes: the alert's secret tried on GET /user (401: revoked); a
 * fine-grained token's grants listed again (none left: revoked).
 * A request refused for the rate limit (403 or 429 with Retry-After or
 * X-RateLimit-Remaining: 0), answered with a 5xx or unanswered is sent
 * again after the time GitHub names, else a growing pause, within the
 * connector's timeout.
 *
 * Secrets: the responder's token and an alert's secret live in wiped
 * buffers only; the dry run shows them as [redacted], and no answer,
 * detail or error carries them.
 */
#include "compat.h"
#include <ctype.h>
#include <time.h>
#include <sodium.h>
#include "core/alloc.h"
#include "nhir/model.h"
#include "plan/github.h"
#include "plan/plan-internal.h"

#define API_VERSION "2022-11-28"
#define DEFAULT_URL "https://api.github.com"
#define DEFAULT_TOKEN "${env:GITHUB_TOKEN}"
#define MAX_ATTEMPTS 4
#define MAX_NAME 100

struct nhir_github {
	char *api_url, *token, *org;
};

void nhir_github_free(struct nhir_github *g)
{
	if (!g)
		return;
	nhir_free(g->api_url);
	nhir_free(g->token);
	nhir_free(g->org);
	nhir_free(g);
}

/* An organisation, user or repository name as GitHub allows them. */
static bool gh_name(const char *s, size_t n)
{
	if (!n || n > MAX_NAME)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return !(n == 1 && s[0] == '.') && !(n == 2 && !strncmp(s, "..", 2));
}

static enum nhir_rc opt(struct nhir_yaml *y, const yaml_node_t *n,
			const char *name, const char *key, char **out)
{
	yaml_node_t *v = nhir_yaml_get(y, n, key);
	const char *s = nhir_yaml_str(v);

	if (!v)
		return NHIR_OK;
	if (!s || !*s)
		return nhir_yaml_error(y, v, "'%s': %s is a text", name, key);
	if (!strcmp(key, "api_url")) {
		if (strncmp(s, "https://", 8) && strncmp(s, "http://", 7))
			return nhir_yaml_error(y, v, "'%s': api_url is an "
					       "http(s) URL", name);
		/* a bearer token read on the way is a token stolen */
		if (!strncmp(s, "http://", 7) && strncmp(s + 7, "127.", 4) &&
		    strncmp(s + 7, "localhost", 9) && strncmp(s + 7, "[::1]", 5))
			return nhir_yaml_error(y, v, "'%s': api_url: plain http "
					       "only to a loopback address (it "
					       "carries a token); use https",
					       name);
		if (strpbrk(s + 8, "?#@"))
			return nhir_yaml_error(y, v, "'%s': api_url has no "
					       "query, fragment or user", name);
	}
	if (!strcmp(key, "token") && (strncmp(s, "${", 2) ||
				      s[strlen(s) - 1] != '}'))
		return nhir_yaml_error(y, v, "'%s': token names where the "
				       "token is read, ${env:NAME} or "
				       "${file:PATH}, never the token itself",
				       name);
	if (!strcmp(key, "org") && !gh_name(s, strlen(s)))
		return nhir_yaml_error(y, v, "'%s': org '%s' is not an "
				       "organisation's name", name, s);
	*out = nhir_strdup(s);
	return *out ? NHIR_OK : nhir_err_set(y->err, NHIR_ENOMEM,
					      "out of memory");
}

enum nhir_rc nhir_github_config(struct nhir_yaml *y, const yaml_node_t *n,
				const char *name, struct nhir_github **out)
{
	struct nhir_github *g = nhir_calloc(1, sizeof(*g));
	enum nhir_rc rc;

	*out = g;
	if (!g)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	rc = opt(y, n, name, "api_url", &g->api_url);
	if (!rc)
		rc = opt(y, n, name, "token", &g->token);
	if (!rc)
		rc = opt(y, n, name, "org", &g->org);
	if (!rc && !g->api_url && !(g->api_url = nhir_strdup(DEFAULT_URL)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	if (!rc && !g->token && !(g->token = nhir_strdup(DEFAULT_TOKEN)))
		rc = nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	/* no slash at the end: paths begin with one */
	if (!rc) {
		size_t l = strlen(g->api_url);

		while (l > 8 && g->api_url[l - 1] == '/')
			g->api_url[--l] = 0;
	}
	return rc;
}

/* ---- answers ---- */

enum nhir_rc nhir_github_answer(const char *body, size_t len, long status,
				const char *what, cJSON **doc,
				const char **message, struct nhir_err *err)
{
	const char *end = NULL;
	const cJSON *m;
	size_t i = 0;

	*doc = NULL;
	*message = NULL;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	if (i == len)
		return NHIR_OK;
	*doc = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!*doc) {
		size_t off = end && end >= body && end <= body + len
			     ? (size_t)(end - body) : 0;

		return nhir_err_set(err, NHIR_EPARSE, "%s (HTTP %ld): byte %zu: "
				    "not JSON", what, status, off);
	}
	m = cJSON_GetObjectItemCaseSensitive(*doc, "message");
	if (cJSON_IsString(m))
		*message = m->valuestring;
	return NHIR_OK;
}

/* s as a number of seconds: only digits, at most nine. */
static bool seconds(const char *s, int64_t *out)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > 9)
		return false;
	*out = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

int64_t nhir_github_wait(long status, const char *retry_after,
			 const char *remaining, const char *reset, int64_t now)
{
	bool spent = remaining && !strcmp(remaining, "0");
	size_t n = reset ? strlen(reset) : 0;
	int64_t v = 0;

	if (status != 403 && status != 429)
		return -1;
	/* the secondary limit names its wait; the primary its reset */
	if (seconds(retry_after, &v))
		return v;
	if (spent && n && n <= 12) {
		for (size_t i = 0; i < n; i++) {
			if (!isdigit((unsigned char)reset[i]))
				return 0;
			v = v * 10 + (reset[i] - '0');
		}
		return v > now ? v - now : 0;
	}
	/* a 403 that is no rate limit is a refusal */
	return status == 429 || spent ? 0 : -1;
}

/* ---- calls ---- */

struct gctx {
	const struct nhir_github *g;
	const char *conn;
	bool dry;
	int64_t deadline_ms;
	struct nhir_buf sent;		/* each call and its status */
	struct nhir_buf dry_text;	/* the dry run's requests */
	struct nhir_buf token;		/* the responder's; wiped */
	bool have_token;
	char token_why[300];
};

struct gans {
	long status;
	cJSON *doc;
	char message[300];
	char limit[160];	/* a rate limit past the deadline, said */
};

static void gans_free(struct gans *an)
{
	cJSON_Delete(an->doc);
	memset(an, 0, sizeof(*an));
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void wipe(struct nhir_buf *b)
{
	if (b->buf && b->alloc)
		sodium_memzero(b->buf, b->alloc);
	nhir_buf_release(b);
}

/* Who a request is sent as. */
enum as { AS_NOBODY, AS_RESPONDER, AS_SECRET };

static void show(struct gctx *c, const char *method, const char *url,
		 enum as as, const char *shown_body)
{
	struct nhir_buf *d = &c->dry_text;

	if (d->len)
		nhir_buf_adds(d, "\n\n");
	nhir_buf_addf(d, "%s %s\nAccept: application/vnd.github+json\n"
		      "X-GitHub-Api-Version: " API_VERSION "\n"
		      "User-Agent: nhir\n", method, url);
	if (as == AS_RESPONDER)
		nhir_buf_addf(d, "Authorization: Bearer %s%s%s\n",
			      c->have_token ? "[redacted]" : "(not read now: ",
			      c->have_token ? "" : c->token_why,
			      c->have_token ? "" : ")");
	else if (as == AS_SECRET)
		nhir_buf_adds(d, "Authorization: Bearer [redacted: the "
			      "alert's secret, read when it runs]\n");
	if (shown_body)
		nhir_buf_addf(d, "Content-Type: application/json\n\n%s",
			      shown_body);
}

/*
 * One request, retried when rate limited, on a 5xx answer or when no
 * answer came, at most MAX_ATTEMPTS times within the deadline.  In the
 * dry run only shown (shown_body in place of body).  NHIR_OK when it
 * was answered (an->status says how); an error when it was not, or
 * the answer is not JSON.
 */
static enum nhir_rc gh_send(struct gctx *c, const char *method,
			    const char *path, const char *body,
			    const char *shown_body, enum as as,
			    const char *secret, const char *label,
			    struct gans *an, struct nhir_err *err)
{
	struct nhir_buf url = NHIR_BUF_INIT(4096);
	int64_t pause = 300;
	enum nhir_rc rc = NHIR_OK;

	nhir_buf_addf(&url, "%s%s", c->g->api_url, path);
	nhir_buf_addch(&url, 0);
	if (url.err)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (c->dry) {
		show(c, method, url.buf, as, shown_body ? shown_body : body);
		nhir_buf_release(&url);
		return NHIR_OK;
	}
	for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		struct nhir_buf hv = NHIR_BUF_INIT(1 << 16);
		struct nhir_buf out = NHIR_BUF_INIT(1 << 20);
		struct plan_http_answer a;
		const char *lines[6], *msg = NULL;
		size_t nr = 0;
		int64_t wait, left;
		long timeout;
		bool retry;
		char what[64];

		gans_free(an);
		memset(err, 0, sizeof(*err));
		nhir_buf_adds(&hv, "Accept: application/vnd.github+json");
		nhir_buf_addch(&hv, 0);
		nhir_buf_adds(&hv, "X-GitHub-Api-Version: " API_VERSION);
		nhir_buf_addch(&hv, 0);
		nhir_buf_adds(&hv, "User-Agent: nhir");
		nhir_buf_addch(&hv, 0);
		nr = 3;
		if (body) {
			nhir_buf_adds(&hv, "Content-Type: application/json");
			nhir_buf_addch(&hv, 0);
			nr++;
		}
		if (as != AS_NOBODY) {
			nhir_buf_addf(&hv, "Authorization: Bearer %s",
				      as == AS_SECRET ? secret : c->token.buf);
			nhir_buf_addch(&hv, 0);
			nr++;
		}
		if (hv.err) {
			wipe(&hv);
			nhir_buf_release(&url);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		for (size_t i = 0, off = 0; i < nr; i++) {
			lines[i] = hv.buf + off;
			off += strlen(hv.buf + off) + 1;
		}
		timeout = (long)((c->deadline_ms - mono_ms() + 999) / 1000);
		{
			struct plan_http q = { method, url.buf, lines, nr, body,
					       body ? strlen(body) : 0,
					       timeout < 1 ? 1 : timeout };

			a.body = &out;
			rc = plan_http_do(&q, &a, err);
		}
		wipe(&hv);
		nhir_buf_addf(&c->sent, "%s%s: ", c->sent.len ? "; " : "",
			      label);
		if (rc) {
			nhir_buf_addf(&c->sent, "no answer (%s)", err->msg);
		} else {
			nhir_buf_addf(&c->sent, "HTTP %ld", a.status);
			an->status = a.status;
			snprintf(what, sizeof(what), "GitHub's answer");
			rc = nhir_github_answer(out.buf, out.len, a.status,
						what, &an->doc, &msg, err);
			if (msg)
				snprintf(an->message, sizeof(an->message), "%s",
					 msg);
		}
		/* an answer can hold a secret (an alert's) */
		wipe(&out);
		if (rc == NHIR_ENOMEM || rc == NHIR_EPARSE)
			break;
		wait = rc ? -1 : nhir_github_wait(a.status, a.retry_after,
						  a.rl_remaining, a.rl_reset,
						  (int64_t)time(NULL));
		retry = rc == NHIR_EIO || (!rc && (a.status >= 500 || wait >= 0));
		if (!retry || attempt == MAX_ATTEMPTS)
			break;
		if (wait > 0)
			pause = wait * 1000;
		left = c->deadline_ms - mono_ms();
		if (pause >= left) {
			if (wait > 0)
				snprintf(an->limit, sizeof(an->limit),
					 "rate limited for %" PRId64 " s more, "
					 "past the step's timeout", wait);
			break;
		}
		sleep_ms(pause + (wait > 0 ? 0
			 : randombytes_uniform((uint32_t)pause / 2 + 1)));
		if (wait <= 0)
			pause *= 2;
		else
			pause = 300;
	}
	nhir_buf_release(&url);
	return rc;
}

/* ---- targets ---- */

struct alert {
	char owner[MAX_NAME + 1], repo[MAX_NAME + 1];
	long long number;
};

/* github-alert:OWNER/REPO#N, as GitHub's secret scanning findings are named */
static bool parse_alert(const char *id, struct alert *a)
{
	const char *p, *slash, *hash;

	if (!id || strncmp(id, "github-alert:", 13))
		return false;
	p = id + 13;
	slash = strchr(p, '/');
	hash = slash ? strchr(slash, '#') : NULL;
	if (!slash || !hash || !gh_name(p, (size_t)(slash - p)) ||
	    !gh_name(slash + 1, (size_t)(hash - slash - 1)) || !hash[1] ||
	    strlen(hash + 1) > 12)
		return false;
	for (const char *d = hash + 1; *d; d++)
		if (!isdigit((unsigned char)*d))
			return false;
	snprintf(a->owner, sizeof(a->owner), "%.*s", (int)(slash - p), p);
	snprintf(a->repo, sizeof(a->repo), "%.*s", (int)(hash - slash - 1),
		 slash + 1);
	a->number = strtoll(hash + 1, NULL, 10);
	return a->number > 0;
}

/* github:token-id:N, a token named by the id audit logs give it */
static bool parse_token_id(const char *id, long long *out)
{
	const char *p;

	if (!id || strncmp(id, "github:token-id:", 16) || !id[16] ||
	    strlen(id + 16) > 15)
		return false;
	for (p = id + 16; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	*out = strtoll(id + 16, NULL, 10);
	return *out > 0;
}

/* ---- steps ---- */

static const char *sent_str(struct gctx *c)
{
	nhir_buf_addch(&c->sent, 0);
	if (c->sent.err || !c->sent.buf)
		return "";
	c->sent.len--;
	return c->sent.buf;
}

static void why(char *out, size_t n, const char *label, const struct gans *an,
		const struct nhir_err *e, const char *done)
{
	struct nhir_buf b = NHIR_BUF_INIT(n);

	if (e->rc)
		nhir_buf_addf(&b, "%s: %s", label, e->msg);
	else
		nhir_buf_addf(&b, "%s refused: HTTP %ld%s%s", label, an->status,
			      an->message[0] ? ": " : "", an->message);
	if (!e->rc && an->limit[0])
		nhir_buf_addf(&b, " (%s)", an->limit);
	if (done[0])
		nhir_buf_addf(&b, "; done before it: %s", done);
	snprintf(out, n, "%.*s", (int)b.len, b.buf ? b.buf : "");
	nhir_buf_release(&b);
}

/* The responder's token, read now; false (and why) when it cannot be. */
static bool read_token(struct gctx *c)
{
	struct nhir_err e = NHIR_ERR_INIT;

	if (c->have_token)
		return true;
	nhir_buf_reset(&c->token);
	if (!plan_expand(c->g->token, &c->token, &e) || !c->token.len ||
	    c->token.err) {
		snprintf(c->token_why, sizeof(c->token_why), "%s",
			 e.rc ? e.msg : "the token is empty");
		return false;
	}
	nhir_buf_addch(&c->token, 0);
	/* a header line is one line */
	if (c->token.err || strpbrk(c->token.buf, "\r\n")) {
		snprintf(c->token_why, sizeof(c->token_why), "the token is "
			 "not one line");
		return false;
	}
	c->have_token = true;
	return true;
}

/*
 * The secret an alert shows, into *secret (wiped by the caller).
 * false with detail when the alert cannot be read or hides it.
 */
static enum nhir_rc alert_secret(struct gctx *c, const struct alert *al,
				 const char *path, struct nhir_buf *secret,
				 char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct gans an;
	char label[300];
	const cJSON *s;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	snprintf(label, sizeof(label), "GET %s", path);
	rc = gh_send(c, "GET", path, NULL, NULL, AS_RESPONDER, NULL, label,
		     &an, &e);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (c->dry) {
		*ok = true;
		return NHIR_OK;
	}
	if (rc || an.status != 200) {
		why(detail, dn, label, &an, &e, "");
		gans_free(&an);
		return NHIR_OK;
	}
	s = cJSON_GetObjectItemCaseSensitive(an.doc, "secret");
	if (!cJSON_IsString(s) || !*s->valuestring ||
	    strpbrk(s->valuestring, "\r\n")) {
		snprintf(detail, dn, "%s: alert %s/%s#%lld does not show its "
			 "secret (the token needs read access to secret "
			 "scanning alerts)", label, al->owner, al->repo,
			 al->number);
	} else {
		nhir_buf_adds(secret, s->valuestring);
		nhir_buf_addch(secret, 0);
		*ok = !secret->err;
		sodium_memzero(s->valuestring, strlen(s->valuestring));
	}
	gans_free(&an);
	return NHIR_OK;
}

static enum nhir_rc revoke_alert(struct gctx *c, const struct alert *al,
				 const char *incident, int step, char *detail,
				 size_t dn, bool *ok)
{
	struct nhir_buf secret = NHIR_BUF_INIT(1 << 16);
	struct nhir_buf body = NHIR_BUF_INIT(1 << 16);
	struct nhir_err e = NHIR_ERR_INIT;
	struct gans an;
	char path[400], done[400];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/repos/%s/%s/secret-scanning/alerts/%lld",
		 al->owner, al->repo, al->number);
	rc = alert_secret(c, al, path, &secret, detail, dn, ok);
	if (rc || !*ok)
		goto out;
	*ok = false;
	/* {"credentials":["..."]}: built plainly, the string escaped */
	if (!c->dry) {
		nhir_buf_adds(&body, "{\"credentials\":[");
		nhir_buf_add_json_str(&body, secret.buf, strlen(secret.buf));
		nhir_buf_adds(&body, "]}");
		nhir_buf_addch(&body, 0);
		if (body.err) {
			rc = NHIR_ENOMEM;
			goto out;
		}
	}
	rc = gh_send(c, "POST", "/credentials/revoke", c->dry ? NULL : body.buf,
		     "{\"credentials\":[\"[redacted: the alert's secret, read "
		     "when it runs]\"]}", AS_NOBODY, NULL,
		     "POST /credentials/revoke", &an, &e);
	if (rc == NHIR_ENOMEM)
		goto out;
	if (!c->dry && (rc || an.status != 202)) {
		why(detail, dn, "POST /credentials/revoke", &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(done, sizeof(done), "the secret of alert %s/%s#%lld revoked "
		 "by POST /credentials/revoke", al->owner, al->repo,
		 al->number);
	gans_free(&an);
	wipe(&body);
	nhir_buf_init(&body, 1 << 16);
	{
		char note[120], label[450];

		snprintf(note, sizeof(note), "revoked by nhir, %s step %d",
			 incident, step);
		nhir_buf_adds(&body, "{\"state\":\"resolved\",\"resolution\":"
			      "\"revoked\",\"resolution_comment\":");
		nhir_buf_add_json_str(&body, note, strlen(note));
		nhir_buf_adds(&body, "}");
		nhir_buf_addch(&body, 0);
		if (body.err) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		snprintf(label, sizeof(label), "PATCH %s", path);
		rc = gh_send(c, "PATCH", path, body.buf, NULL, AS_RESPONDER,
			     NULL, label, &an, &e);
		if (rc == NHIR_ENOMEM || c->dry)
			goto out;
		if (rc || an.status != 200) {
			why(detail, dn, label, &an, &e, done);
			rc = NHIR_OK;
			goto out;
		}
	}
	snprintf(detail, dn, "%s; the alert resolved as revoked (GitHub "
		 "cannot reactivate a revoked credential)", done);
	*ok = true;
out:
	gans_free(&an);
	wipe(&secret);
	wipe(&body);
	return rc;
}

/*
 * The grant of fine-grained token tid in the connector's organisation:
 * *grant its id, 0 when the listing has none.  false with detail when
 * the listing cannot be read.
 */
static enum nhir_rc find_grant(struct gctx *c, long long tid,
			       long long *grant, bool *expired, char *label,
			       size_t ln, char *detail, size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct gans an;
	char path[300];
	const cJSON *it;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	*ok = false;
	*grant = 0;
	*expired = false;
	snprintf(path, sizeof(path), "/orgs/%s/personal-access-tokens?"
		 "token_id=%lld&per_page=100", c->g->org, tid);
	snprintf(label, ln, "GET /orgs/%s/personal-access-tokens", c->g->org);
	rc = gh_send(c, "GET", path, NULL, NULL, AS_RESPONDER, NULL, label,
		     &an, &e);
	if (rc == NHIR_ENOMEM)
		return rc;
	if (c->dry) {
		*ok = true;
		return NHIR_OK;
	}
	if (rc || an.status != 200) {
		why(detail, dn, label, &an, &e, "");
		gans_free(&an);
		return NHIR_OK;
	}
	if (!cJSON_IsArray(an.doc)) {
		snprintf(detail, dn, "%s answered something that is not a "
			 "list of grants", label);
		gans_free(&an);
		return NHIR_OK;
	}
	cJSON_ArrayForEach(it, an.doc) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "token_id");
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(it,
								  "token_expired");

		if (!cJSON_IsNumber(t) || (long long)t->valuedouble != tid)
			continue;
		if (!cJSON_IsNumber(id) || id->valuedouble < 1) {
			snprintf(detail, dn, "%s: a grant of token %lld has "
				 "no id", label, tid);
			gans_free(&an);
			return NHIR_OK;
		}
		*grant = (long long)id->valuedouble;
		*expired = cJSON_IsTrue(x);
	}
	gans_free(&an);
	*ok = true;
	return NHIR_OK;
}

static enum nhir_rc revoke_grant(struct gctx *c, long long tid, char *detail,
				 size_t dn, bool *ok)
{
	struct nhir_err e = NHIR_ERR_INIT;
	struct gans an;
	char label[320], path[300], body[200];
	long long grant;
	bool expired;
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	rc = find_grant(c, tid, &grant, &expired, label, sizeof(label), detail,
			dn, ok);
	if (rc || !*ok)
		return rc;
	*ok = false;
	if (!c->dry && !grant) {
		/* gone already, or never granted here: unknown, not done */
		snprintf(detail, dn, "%s: organisation %s lists no grant of "
			 "token %lld: it was revoked already or is not "
			 "granted there; nothing was revoked", label,
			 c->g->org, tid);
		return NHIR_OK;
	}
	snprintf(path, sizeof(path), "/orgs/%s/personal-access-tokens",
		 c->g->org);
	snprintf(body, sizeof(body), "{\"action\":\"revoke\",\"pat_ids\":"
		 "[%lld]}", grant);
	snprintf(label, sizeof(label), "POST %s", path);
	rc = gh_send(c, "POST", path, body, "{\"action\":\"revoke\","
		     "\"pat_ids\":[GRANT]}\n\n(GRANT: the id of the grant of "
		     "the token the listing above answers)", AS_RESPONDER,
		     NULL, label, &an, &e);
	if (rc == NHIR_ENOMEM || c->dry)
		goto out;
	if (rc || an.status != 202) {
		why(detail, dn, label, &an, &e, "");
		rc = NHIR_OK;
		goto out;
	}
	snprintf(detail, dn, "%s: the grant %lld of fine-grained token %lld "
		 "in %s revoked%s", label, grant, tid, c->g->org,
		 expired ? " (the token had expired)" : "");
	*ok = true;
out:
	gans_free(&an);
	return rc;
}

/* ---- probes ---- */

static enum nhir_rc probe_alert(struct gctx *c, const struct alert *al,
				cJSON *o, char *detail, size_t dn, bool *ok)
{
	struct nhir_buf secret = NHIR_BUF_INIT(1 << 16);
	struct nhir_err e = NHIR_ERR_INIT;
	struct gans an;
	char path[400];
	enum nhir_rc rc;

	memset(&an, 0, sizeof(an));
	snprintf(path, sizeof(path), "/repos/%s/%s/secret-scanning/alerts/%lld",
		 al->owner, al->repo, al->number);
	rc = alert_secret(c, al, path, &secret, detail, dn, ok);
	if (rc || !*ok)
		goto out;
	*ok = false;
	rc = gh_send(c, "GET", "/user", NULL, NULL, AS_SECRET,
		     secret.buf, "GET /user", &an, &e);
	if (rc == NHIR_ENOMEM || c->dry)
		goto out;
	rc = NHIR_OK;
	cJSON_AddStringToObject(o, "call", "GET /user");
	if (an.status == 401) {
		cJSON_AddBoolToObject(o, "works", false);
		snprintf(detail, dn, "GET /user with the secret of alert "
			 "%s/%s#%lld: HTTP 401%s%s (revoked)", al->owner,
			 al->repo, al->number, an.message[0] ? " " : "",
			 an.message);
		*ok = true;
	} else if (an.status == 200) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(an.doc,
								  "login");

		cJSON_AddBoolToObject(o, "works", true);
		snprintf(detail, dn, "GET /user with the secret of alert "
			 "%s/%s#%lld: HTTP 200, signed in as %s", al->owner,
			 al->repo, al->number,
			 cJSON_IsString(l) ? l->valuestring : "someone");
		*ok = true;
	} else {
		/* refused otherwise (rate limit, an outage): unknown */
		why(detail, dn, "GET /user", &an, &e, "");
	}
out:
	gans_free(&an);
	wipe(&secret);
	return rc;
}

static enum nhir_rc probe_grant(struct gctx *c, long long tid, cJSON *o,
				char *detail, size_t dn, bool *ok)
{
	char label[300];
	long long grant;
	bool expired;
	enum nhir_rc rc = find_grant(c, tid, &grant, &expired, label,
				     sizeof(label), detail, dn, ok);

	if (rc || !*ok || c->dry)
		return rc;
	cJSON_AddStringToObject(o, "call", label);
	cJSON_AddBoolToObject(o, "works", grant && !expired);
	if (!grant)
		snprintf(detail, dn, "%s: no grant of fine-grained token %lld "
			 "left in %s", label, tid, c->g->org);
	else
		snprintf(detail, dn, "%s: token %lld still holds grant %lld in "
			 "%s%s", label, tid, grant, c->g->org,
			 expired ? ", expired" : "");
	return NHIR_OK;
}

/* ---- the request ---- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

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

enum nhir_rc nhir_github_call(const struct nhir_github *g, const char *name,
			      long timeout, const char *request, bool probe,
			      struct nhir_buf *reply, struct nhir_err *err)
{
	struct gctx c;
	struct alert al;
	cJSON *req = cJSON_Parse(request), *tg, *o = NULL;
	const char *action, *id, *incident;
	char detail[2000] = "";
	long long tid = 0;
	bool ok = false, is_alert, is_tid;
	int step;
	enum nhir_rc rc = NHIR_OK;

	memset(&c, 0, sizeof(c));
	nhir_buf_init(&c.sent, 1 << 16);
	nhir_buf_init(&c.dry_text, 1 << 16);
	nhir_buf_init(&c.token, 1 << 14);
	c.g = g;
	c.conn = name;
	c.deadline_ms = mono_ms() + timeout * 1000;
	tg = cJSON_GetObjectItemCaseSensitive(req, "target");
	action = jstr(req, "action");
	incident = jstr(req, "incident");
	step = cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(req, "step"))
	       ? cJSON_GetObjectItemCaseSensitive(req, "step")->valueint : 0;
	c.dry = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
	id = jstr(tg, "id");
	if (!action || !cJSON_IsObject(tg)) {
		rc = nhir_err_set(err, NHIR_EINVAL, "'%s': the request has no "
				  "action or target", name);
		goto out;
	}
	is_alert = parse_alert(id, &al);
	is_tid = parse_token_id(id, &tid);
	if (!read_token(&c) && !c.dry) {
		snprintf(detail, sizeof(detail), "no GitHub token for '%s': "
			 "%s", name, c.token_why);
		goto answer;
	}
	if (is_tid && !g->org) {
		snprintf(detail, sizeof(detail), "%s is a fine-grained token "
			 "by its id: '%s' needs the organisation it is "
			 "granted in (org)", id, name);
		goto answer;
	}
	if (probe) {
		o = cJSON_CreateObject();
		if (!o) {
			rc = NHIR_ENOMEM;
			goto out;
		}
		if (is_alert)
			rc = probe_alert(&c, &al, o, detail, sizeof(detail), &ok);
		else if (is_tid)
			rc = probe_grant(&c, tid, o, detail, sizeof(detail), &ok);
		else
			snprintf(detail, sizeof(detail), "the github connector "
				 "cannot probe %s: it probes a token a secret "
				 "scanning alert found (github-alert:OWNER/"
				 "REPO#N) or a fine-grained token by its id "
				 "(github:token-id:N)", id ? id : "the target");
		if (rc)
			goto out;
		if (c.dry || !ok) {
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
	if (!strcmp(action, "github.revoke-credential") && is_alert) {
		rc = revoke_alert(&c, &al, incident ? incident : "INC", step,
				  detail, sizeof(detail), &ok);
	} else if (!strcmp(action, "github.revoke-credential") && is_tid) {
		rc = revoke_grant(&c, tid, detail, sizeof(detail), &ok);
	} else if (!strcmp(action, "github.revoke-credential")) {
		snprintf(detail, sizeof(detail), "%s: the github connector "
			 "revokes a token a secret scanning alert found "
			 "(github-alert:OWNER/REPO#N) or a fine-grained token "
			 "by its id (github:token-id:N); %s is neither, and "
			 "GitHub revokes a token only given the token or its "
			 "id", action, id ? id : "the target");
	} else {
		snprintf(detail, sizeof(detail), "the github connector has no "
			 "call for %s%s", action,
			 !strcmp(action, "github.delete-oauth-grant")
			 ? " (DELETE /applications/{client_id}/grant takes the "
			   "app's client secret and the user's token, which "
			   "nhir does not hold)"
			 : !strcmp(action, "github.revoke-installation-token")
			 ? " (DELETE /installation/token is sent with the "
			   "installation token itself, which nhir does not "
			   "hold; it expires within an hour of its creation)"
			 : "");
	}
answer:
	if (rc)
		goto out;
	o = cJSON_CreateObject();
	if (!o) {
		rc = NHIR_ENOMEM;
		goto out;
	}
	if (c.dry) {
		nhir_buf_addch(&c.dry_text, 0);
		cJSON_AddStringToObject(o, "status", "dry-run");
		cJSON_AddStringToObject(o, "detail", c.dry_text.err
					? "out of memory"
					: c.dry_text.len > 1 ? c.dry_text.buf
							     : detail);
	} else {
		cJSON_AddStringToObject(o, "status", ok ? "done" : "failed");
		cJSON_AddStringToObject(o, "detail", detail);
		if (c.sent.len)
			cJSON_AddStringToObject(o, "calls", sent_str(&c));
	}
	rc = reply_json(reply, o, err);
	o = NULL;
out:
	if (rc == NHIR_ENOMEM && !err->rc)
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	cJSON_Delete(o);
	cJSON_Delete(req);
	wipe(&c.token);
	nhir_buf_release(&c.sent);
	nhir_buf_release(&c.dry_text);
	return rc;
}
