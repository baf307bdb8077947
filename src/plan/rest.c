/*
 * JSON APIs over HTTP for the built-in connectors (rest.h), through
 * plan_http_do, the one libcurl setup the connectors share.
 */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "plan/plan-internal.h"
#include "plan/rest.h"

#define MAX_ATTEMPTS 4

void plan_rest_sleep(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

bool plan_url_plain_ok(const char *url)
{
	const char *h, *e;
	size_t n;
	int parts = 0;

	if (!url || strncmp(url, "http://", 7))
		return false;
	h = url + 7;
	e = h + strcspn(h, "/?#");
	/* no user: what precedes @ is not the host */
	if (memchr(h, '@', (size_t)(e - h)))
		return false;
	if (*h == '[')
		return !strncmp(h, "[::1]", 5) && (h[5] == ':' || h + 5 == e);
	n = strcspn(h, ":/?#");
	if (n == 9 && !strncmp(h, "localhost", 9))
		return true;
	if (n < 7 || strncmp(h, "127.", 4))
		return false;
	/* 127.N.N.N, each N 0 to 255 */
	for (const char *p = h; p < h + n; parts++) {
		size_t d = strspn(p, "0123456789");
		long v;

		if (!d || d > 3 || (p + d < h + n && p[d] != '.'))
			return false;
		v = strtol(p, NULL, 10);
		if (v > 255)
			return false;
		p += d + (p + d < h + n ? 1 : 0);
		if (p == h + n && p[-1] == '.')
			return false;
	}
	return parts == 4;
}

void plan_rest_wipe(struct nhir_buf *b)
{
	if (b->buf && b->alloc)
		sodium_memzero(b->buf, b->alloc);
	nhir_buf_release(b);
}

void plan_rest_init(struct plan_rest *r, const struct nhir_ctx *op,
		    long timeout, bool dry)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	nhir_buf_init(&r->sent, 1 << 16);
	nhir_buf_init(&r->dry_text, 1 << 16);
	r->deadline_ms = nhir_mono_ms() + (int64_t)timeout * 1000;
	r->dry = dry;
}

void plan_rest_release(struct plan_rest *r)
{
	nhir_buf_release(&r->sent);
	nhir_buf_release(&r->dry_text);
}

void plan_rest_answer_free(struct plan_rest_answer *an)
{
	cJSON_Delete(an->doc);
	memset(an, 0, sizeof(*an));
}

enum nhir_rc nhir_rest_answer(const char *body, size_t len, long status,
			      const char *what, cJSON **doc,
			      const char **message, struct nhir_err *err)
{
	const char *end = NULL;
	const cJSON *m, *errs, *e, *ed;
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
	errs = cJSON_GetObjectItemCaseSensitive(*doc, "errors");
	e = cJSON_GetObjectItemCaseSensitive(*doc, "error");
	ed = cJSON_GetObjectItemCaseSensitive(*doc, "error_description");
	if (cJSON_IsString(m))
		*message = m->valuestring;
	else if (cJSON_IsArray(errs) && cJSON_IsString(errs->child))
		*message = errs->child->valuestring;
	else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")))
		*message = cJSON_GetObjectItemCaseSensitive(e, "message")
			   ->valuestring;
	else if (cJSON_IsString(e))
		*message = cJSON_IsString(ed) ? ed->valuestring : e->valuestring;
	return NHIR_OK;
}

/* s as a number: only digits, at most max of them; *out untouched if not. */
static bool digits(const char *s, size_t max, int64_t *out)
{
	size_t n = s ? strlen(s) : 0;
	int64_t v = 0;

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int64_t nhir_rest_wait(long status, const char *retry_after,
		       const char *remaining, const char *reset, int64_t now)
{
	bool spent = remaining && !strcmp(remaining, "0");
	int64_t v;

	if (status != 403 && status != 429)
		return -1;
	/* a secondary limit names its wait (seconds); a primary its reset */
	if (digits(retry_after, 9, &v))
		return v;
	if (spent && reset && *reset)
		return digits(reset, 12, &v) && v > now ? v - now : 0;
	/* a 403 that is no rate limit is a refusal */
	return status == 429 || spent ? 0 : -1;
}

static void show(struct plan_rest *r, const char *method, const char *url,
		 const char *shown_cred, const char *shown_body)
{
	struct nhir_buf *d = &r->dry_text;

	if (d->len)
		nhir_buf_adds(d, "\n\n");
	nhir_buf_addf(d, "%s %s\n", method, url);
	for (size_t i = 0; i < r->fixed_nr; i++)
		nhir_buf_addf(d, "%s\n", r->fixed[i]);
	if (shown_cred)
		nhir_buf_addf(d, "%s%s\n", r->auth, shown_cred);
	if (shown_body)
		nhir_buf_addf(d, "Content-Type: %s\n\n%s",
			      r->ctype ? r->ctype : "application/json",
			      shown_body);
}

enum nhir_rc plan_rest_send(struct plan_rest *r, const char *method,
			    const char *path, const char *body,
			    const char *shown_body, const char *cred,
			    const char *shown_cred, const char *label,
			    struct plan_rest_answer *an, struct nhir_err *err)
{
	struct nhir_buf url = NHIR_BUF_INIT(4096);
	int64_t pause = 300;
	enum nhir_rc rc = NHIR_OK;

	nhir_buf_addf(&url, "%s%s", r->base, path);
	nhir_buf_addch(&url, 0);
	if (url.err)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (r->dry) {
		show(r, method, url.buf, shown_cred,
		     shown_body ? shown_body : body);
		nhir_buf_release(&url);
		return NHIR_OK;
	}
	for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
		struct nhir_buf hv = NHIR_BUF_INIT(1 << 16);
		struct nhir_buf out = NHIR_BUF_INIT(1 << 20);
		struct plan_http_answer a;
		const char *lines[16], *msg = NULL;
		size_t nr = 0, off = 0;
		int64_t wait, left;
		long timeout;

		plan_rest_answer_free(an);
		memset(err, 0, sizeof(*err));
		for (size_t i = 0; i < r->fixed_nr && i < 12; i++) {
			nhir_buf_adds(&hv, r->fixed[i]);
			nhir_buf_addch(&hv, 0);
			nr++;
		}
		if (body) {
			nhir_buf_addf(&hv, "Content-Type: %s",
				      r->ctype ? r->ctype : "application/json");
			nhir_buf_addch(&hv, 0);
			nr++;
		}
		if (cred) {
			nhir_buf_addf(&hv, "%s%s", r->auth, cred);
			nhir_buf_addch(&hv, 0);
			nr++;
		}
		if (hv.err) {
			plan_rest_wipe(&hv);
			nhir_buf_release(&url);
			return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		}
		for (size_t i = 0; i < nr; i++) {
			lines[i] = hv.buf + off;
			off += strlen(hv.buf + off) + 1;
		}
		timeout = (long)((r->deadline_ms - nhir_mono_ms() + 999) /
				 1000);
		{
			struct plan_http q = { .method = method, .url = url.buf,
					       .headers = lines,
					       .header_nr = nr, .body = body,
					       .body_len = body ? strlen(body)
								: 0,
					       .timeout = timeout < 1 ? 1
								: timeout,
					       .ca_file = r->ca_file,
					       .ca_pem = r->ca_pem,
					       .ca_pem_len = r->ca_pem_len };

			a.body = &out;
			rc = plan_http_do(&q, &a, err);
		}
		plan_rest_wipe(&hv);
		nhir_buf_addf(&r->sent, "%s%s: ", r->sent.len ? "; " : "", label);
		if (rc) {
			nhir_buf_addf(&r->sent, "no answer (%s)", err->msg);
		} else {
			nhir_buf_addf(&r->sent, "HTTP %ld", a.status);
			an->status = a.status;
			rc = nhir_rest_answer(out.buf, out.len, a.status, r->what,
					      &an->doc, &msg, err);
			if (msg)
				snprintf(an->message, sizeof(an->message), "%s",
					 msg);
		}
		plan_rest_wipe(&out);
		if (rc == NHIR_ENOMEM || rc == NHIR_EPARSE || rc == NHIR_ETOOBIG)
			break;
		wait = rc ? -1 : nhir_rest_wait(a.status, a.retry_after,
						a.rl_remaining, a.rl_reset,
						(int64_t)time(NULL));
		if (!(rc == NHIR_EIO || (!rc && (a.status >= 500 || wait >= 0))) ||
		    attempt == MAX_ATTEMPTS)
			break;
		if (wait > 0)
			pause = wait * 1000;
		left = r->deadline_ms - nhir_mono_ms();
		if (pause >= left) {
			if (wait > 0)
				snprintf(an->limit, sizeof(an->limit),
					 "rate limited for %" PRId64 " s more, "
					 "past the step's timeout", wait);
			break;
		}
		/* jitter on a pause of our own, none on the one asked for */
		plan_rest_sleep(pause + (wait > 0 ? 0
			 : randombytes_uniform((uint32_t)pause / 2 + 1)));
		pause = wait > 0 ? 300 : pause * 2;
	}
	nhir_buf_release(&url);
	return rc;
}

bool plan_rest_token(const struct nhir_ctx *op, const char *ref,
		     struct nhir_buf *b, char *why, size_t wn)
{
	struct nhir_err e = NHIR_ERR_INIT;

	nhir_buf_reset(b);
	if (!plan_expand(op, ref, b, &e) || !b->len || b->err) {
		snprintf(why, wn, "%s", e.rc ? e.msg : b->err ? "the token is "
			 "too long" : "the token is empty");
		return false;
	}
	nhir_buf_addch(b, 0);
	/* a header line is one line */
	if (b->err || strpbrk(b->buf, "\r\n")) {
		snprintf(why, wn, "the token is not one line");
		return false;
	}
	return true;
}

bool plan_rest_read_secret(const char *path, struct nhir_buf *b, char *why,
			   size_t wn)
{
	struct stat sb;
	char chunk[4096];
	ssize_t n;
	int fd;

	nhir_buf_reset(b);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, wn, "cannot read '%s': %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		snprintf(why, wn, "'%s' is not a regular file", path);
		return false;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && !b->err)
		nhir_buf_add(b, chunk, (size_t)n);
	sodium_memzero(chunk, sizeof(chunk));
	close(fd);
	if (n < 0) {
		snprintf(why, wn, "cannot read '%s': %s", path, strerror(errno));
		return false;
	}
	nhir_buf_addch(b, 0);
	if (b->err) {
		snprintf(why, wn, "'%s' is larger than %zu bytes", path,
			 b->max ? b->max - 1 : (size_t)0);
		return false;
	}
	b->len--;
	if (!b->len) {
		snprintf(why, wn, "'%s' is empty", path);
		return false;
	}
	return true;
}

const char *plan_rest_sent(struct plan_rest *r)
{
	nhir_buf_addch(&r->sent, 0);
	if (r->sent.err || !r->sent.buf)
		return "";
	r->sent.len--;
	return r->sent.buf;
}

void plan_rest_why(char *out, size_t n, const char *label,
		   const struct plan_rest_answer *an, const struct nhir_err *e,
		   const char *done)
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

enum nhir_rc plan_rest_reply(struct nhir_buf *reply, cJSON *o,
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

enum nhir_rc plan_rest_step_reply(struct plan_rest *r, bool ok,
				  const char *detail, struct nhir_buf *reply,
				  struct nhir_err *err)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (r->dry) {
		nhir_buf_addch(&r->dry_text, 0);
		cJSON_AddStringToObject(o, "status", "dry-run");
		cJSON_AddStringToObject(o, "detail", r->dry_text.err
					? "out of memory"
					: r->dry_text.len > 1 ? r->dry_text.buf
							      : detail);
	} else {
		cJSON_AddStringToObject(o, "status", ok ? "done" : "failed");
		cJSON_AddStringToObject(o, "detail", detail);
		if (r->sent.len)
			cJSON_AddStringToObject(o, "calls", plan_rest_sent(r));
	}
	return plan_rest_reply(reply, o, err);
}
