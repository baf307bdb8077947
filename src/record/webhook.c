/*
 * Webhooks (include/nhir/webhook.h): the "webhooks:" configuration,
 * the events read off the audit log, the bodies and their signature,
 * and the deliveries with their attempts.  Sending is the server's
 * (src/server/webhook.c); this decides what, to whom, and when again.
 */
#include "compat.h"
#include <ctype.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/doc.h"
#include "nhir/model.h"
#include "nhir/webhook.h"
#include "core/alloc.h"
#include "core/yaml.h"
#include "record/record-internal.h"
#include "store/webhook.h"

static const char *const event_names[NHIR_HOOK_EVENT_NR] = {
	"incident.declared", "approval.requested", "step.failed",
	"incident.contained", "incident.closed", "watch.alert",
	"watch.verdict",
};

const char *nhir_hook_event_name(enum nhir_hook_event e)
{
	return (unsigned)e < NHIR_HOOK_EVENT_NR ? event_names[e] : "unknown";
}

enum nhir_hook_event nhir_hook_event_parse(const char *s)
{
	for (int i = 0; s && i < NHIR_HOOK_EVENT_NR; i++)
		if (!strcmp(s, event_names[i]))
			return (enum nhir_hook_event)i;
	return NHIR_HOOK_EVENT_NR;
}

const char *nhir_delivery_state_name(enum nhir_delivery_state s)
{
	static const char *const names[] = { "pending", "delivered",
					     "failed" };

	return (unsigned)s < NHIR_DELIVERY_STATE_NR ? names[s] : "unknown";
}

/* ---- the configuration ---- */

/*
 * https://, or plain http:// to a loopback address only: a hook's body
 * names incidents, and its URL may itself be a secret (Slack's are).
 */
static bool url_ok(const char *u)
{
	const char *host = u + 7;
	size_t n;

	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	if (!strncmp(u, "https://", 8))
		return u[8] && u[8] != '/';
	if (strncmp(u, "http://", 7))
		return false;
	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?#");
	if ((n == 5 && !strncmp(host, "[::1]", 5)) ||
	    (n == 9 && !strncmp(host, "localhost", 9)))
		return true;
	/* 127.0.0.0/8, written as four numbers */
	return n >= 9 && !strncmp(host, "127.", 4) &&
	       strspn(host, "0123456789.") == n && host[n - 1] != '.';
}

static enum nhir_rc take(struct nhir_yaml *y, const yaml_node_t *m,
			 const char *key, char *dst, size_t n, bool need,
			 const char *hook)
{
	const yaml_node_t *v = nhir_yaml_get(y, m, key);
	const char *s = v ? nhir_yaml_str(v) : NULL;

	dst[0] = '\0';
	if (!v) {
		if (need)
			return nhir_yaml_error(y, m, "webhooks: %s%s%s'%s' is "
					       "missing", hook ? "'" : "",
					       hook ? hook : "",
					       hook ? "': " : "", key);
		return NHIR_OK;
	}
	if (!s || !*s)
		return nhir_yaml_error(y, v, "webhooks: '%s' is not a string",
				       key);
	if (strlen(s) >= n)
		return nhir_yaml_error(y, v, "webhooks: '%s' is longer than "
				       "%zu bytes", key, n - 1);
	snprintf(dst, n, "%s", s);
	return NHIR_OK;
}

static bool name_ok(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
			return false;
	return true;
}

static enum nhir_rc take_events(struct nhir_yaml *y, const yaml_node_t *m,
				struct nhir_webhook *h)
{
	const yaml_node_t *v = nhir_yaml_get(y, m, "events");
	yaml_node_item_t *it;
	size_t nr = 0;

	if (!v || !nhir_yaml_is_seq(v))
		return nhir_yaml_error(y, v ? v : m, "webhooks: '%s': events "
				       "is a list of incident.declared, "
				       "approval.requested, step.failed, "
				       "incident.contained, incident.closed, "
				       "watch.alert, watch.verdict",
				       h->name);
	it = nhir_yaml_items(v, &nr);
	if (!nr)
		return nhir_yaml_error(y, v, "webhooks: '%s': events is empty",
				       h->name);
	for (size_t i = 0; i < nr; i++) {
		const yaml_node_t *e = nhir_yaml_node(y, it[i]);
		const char *s = nhir_yaml_str(e);
		enum nhir_hook_event ev = nhir_hook_event_parse(s);

		if (ev == NHIR_HOOK_EVENT_NR)
			return nhir_yaml_error(y, e, "webhooks: '%s': no event "
					       "'%.64s' (incident.declared, "
					       "approval.requested, step.failed, "
					       "incident.contained, "
					       "incident.closed, watch.alert, "
					       "watch.verdict)", h->name,
					       s ? s : "");
		if (h->events & (1u << ev))
			return nhir_yaml_error(y, e, "webhooks: '%s': event "
					       "'%s' twice", h->name, s);
		h->events |= 1u << ev;
	}
	return NHIR_OK;
}

static enum nhir_rc take_hook(struct nhir_yaml *y, const yaml_node_t *m,
			      const struct nhir_webhooks *all,
			      struct nhir_webhook *h)
{
	static const char *const keys[] = {
		"name", "url", "url_file", "format", "events", "secret_file",
		"attempts", NULL,
	};
	const yaml_node_t *v;
	char fmt[16];
	enum nhir_rc rc;

	memset(h, 0, sizeof(*h));
	if (!nhir_yaml_is_map(m))
		return nhir_yaml_error(y, m, "webhooks: each hook is a mapping "
				       "(name, url or url_file, format, events, "
				       "secret_file)");
	if ((rc = nhir_yaml_keys(y, m, "webhooks", keys)) ||
	    (rc = take(y, m, "name", h->name, sizeof(h->name), true, NULL)))
		return rc;
	v = nhir_yaml_get(y, m, "name");
	if (!name_ok(h->name))
		return nhir_yaml_error(y, v, "webhooks: a hook's name is letters, "
				       "digits, '.', '_' and '-'");
	for (size_t i = 0; i < all->nr; i++)
		if (!strcmp(all->v[i].name, h->name))
			return nhir_yaml_error(y, v, "webhooks: hook '%s' twice",
					       h->name);
	if ((rc = take(y, m, "url", h->url, sizeof(h->url), false, h->name)) ||
	    (rc = take(y, m, "url_file", h->url_file, sizeof(h->url_file),
		       false, h->name)) ||
	    (rc = take(y, m, "secret_file", h->secret_file,
		       sizeof(h->secret_file), true, h->name)) ||
	    (rc = take(y, m, "format", fmt, sizeof(fmt), false, h->name)))
		return rc;
	if (!h->url[0] == !h->url_file[0])
		return nhir_yaml_error(y, m, "webhooks: '%s': give the address "
				       "by url or url_file (one of them)",
				       h->name);
	if (h->url[0] && !url_ok(h->url))
		return nhir_yaml_error(y, nhir_yaml_get(y, m, "url"),
				       "webhooks: '%s': the url is https:// "
				       "(plain http only to a loopback address)",
				       h->name);
	if (!fmt[0] || !strcmp(fmt, "json"))
		h->format = NHIR_HOOK_JSON;
	else if (!strcmp(fmt, "slack"))
		h->format = NHIR_HOOK_SLACK;
	else
		return nhir_yaml_error(y, nhir_yaml_get(y, m, "format"),
				       "webhooks: '%s': format is json or slack",
				       h->name);
	h->attempts = NHIR_WEBHOOK_ATTEMPTS;
	v = nhir_yaml_get(y, m, "attempts");
	if (v) {
		int64_t n;

		if (!nhir_yaml_int(v, &n) || n < 1 ||
		    n > NHIR_WEBHOOK_ATTEMPTS_MAX)
			return nhir_yaml_error(y, v, "webhooks: '%s': attempts "
					       "is a number from 1 to %d",
					       h->name,
					       NHIR_WEBHOOK_ATTEMPTS_MAX);
		h->attempts = (int)n;
	}
	snprintf(h->secret_at, sizeof(h->secret_at), "%s:%d", y->name,
		 nhir_yaml_line(nhir_yaml_get(y, m, "secret_file")));
	if (h->url_file[0])
		snprintf(h->url_at, sizeof(h->url_at), "%s:%d", y->name,
			 nhir_yaml_line(nhir_yaml_get(y, m, "url_file")));
	return take_events(y, m, h);
}

static enum nhir_rc parse(struct nhir_yaml *y, struct nhir_webhooks *out)
{
	yaml_node_t *root = nhir_yaml_root(y), *w;
	yaml_node_item_t *it;
	size_t nr = 0;
	enum nhir_rc rc;

	if (!root || !nhir_yaml_is_map(root))
		return nhir_yaml_error(y, root, "want a mapping (oidc: ..., "
				       "witness: ..., webhooks: ...)");
	rc = nhir_yaml_keys(y, root, "the configuration",
			    ir_config_sections);
	if (rc)
		return rc;
	w = nhir_yaml_get(y, root, "webhooks");
	if (!w)
		return NHIR_OK;
	if (!nhir_yaml_is_seq(w))
		return nhir_yaml_error(y, w, "webhooks: want a list of hooks");
	it = nhir_yaml_items(w, &nr);
	for (size_t i = 0; i < nr; i++) {
		if (out->nr == NHIR_WEBHOOKS_MAX)
			return nhir_yaml_error(y, nhir_yaml_node(y, it[i]),
					       "webhooks: more than %d hooks",
					       NHIR_WEBHOOKS_MAX);
		rc = take_hook(y, nhir_yaml_node(y, it[i]), out,
			       &out->v[out->nr]);
		if (rc)
			return rc;
		out->nr++;
	}
	return NHIR_OK;
}

enum nhir_rc nhir_webhooks_parse(const char *data, size_t len,
				 const char *name, struct nhir_webhooks *out,
				 struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = nhir_yaml_load(&y, data, len, name, err);
	if (rc)
		return rc;
	rc = parse(&y, out);
	nhir_yaml_free(&y);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

enum nhir_rc nhir_webhooks_load(const char *path, struct nhir_webhooks *out,
				struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc;

	memset(out, 0, sizeof(*out));
	rc = nhir_yaml_load_file(&y, path, err);
	if (rc)
		return rc;
	rc = parse(&y, out);
	nhir_yaml_free(&y);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- the secrets the configuration names ---- */

/*
 * The file path (regular, kept from group and others) into buf, at
 * most n - 1 bytes, NUL-terminated; *len its length.  at: where the
 * configuration names it.
 */
static enum nhir_rc read_secret_file(const char *at, const char *hook,
				     const char *what, const char *path,
				     char *buf, size_t n, size_t *len,
				     struct nhir_err *err)
{
	struct stat sb;
	ssize_t r;
	int fd;

	*len = 0;
	buf[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return nhir_err_set(err, NHIR_EIO, "%s: webhooks: '%s': %s "
				    "%s: %s", at, hook, what, path,
				    strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return nhir_err_set(err, NHIR_EIO, "%s: webhooks: '%s': %s "
				    "%s is not a regular file", at, hook, what,
				    path);
	}
	if (sb.st_mode & 077) {
		close(fd);
		return nhir_err_set(err, NHIR_EDENIED, "%s: webhooks: '%s': "
				    "%s %s may be read by others (mode %04o): "
				    "chmod 600 it", at, hook, what, path,
				    (unsigned)(sb.st_mode & 07777));
	}
	while (*len < n - 1 && (r = read(fd, buf + *len, n - 1 - *len)) > 0)
		*len += (size_t)r;
	if (*len == n - 1 && read(fd, &(char){ 0 }, 1) > 0) {
		close(fd);
		sodium_memzero(buf, n);
		*len = 0;
		return nhir_err_set(err, NHIR_ETOOBIG, "%s: webhooks: '%s': "
				    "%s %s holds more than %zu bytes", at, hook,
				    what, path, n - 2);
	}
	close(fd);
	buf[*len] = '\0';
	while (*len && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		buf[--*len] = '\0';
	return NHIR_OK;
}

enum nhir_rc nhir_webhook_keys_read(const struct nhir_webhook *h,
				    struct nhir_webhook_keys *k,
				    struct nhir_err *err)
{
	char buf[NHIR_WEBHOOK_SECRET_MAX + 2];
	size_t len = 0;
	enum nhir_rc rc;

	memset(k, 0, sizeof(*k));
	rc = read_secret_file(h->secret_at, h->name, "secret_file",
			      h->secret_file, buf, sizeof(buf), &len, err);
	if (!rc && len < NHIR_WEBHOOK_SECRET_MIN)
		rc = nhir_err_set(err, NHIR_EINVAL, "%s: webhooks: '%s': "
				  "secret_file %s holds %zu bytes; a signing "
				  "secret has at least %d", h->secret_at,
				  h->name, h->secret_file, len,
				  NHIR_WEBHOOK_SECRET_MIN);
	if (!rc) {
		memcpy(k->secret, buf, len);
		k->secret_len = len;
	}
	sodium_memzero(buf, sizeof(buf));
	if (rc || !h->url_file[0]) {
		if (!rc)
			snprintf(k->url, sizeof(k->url), "%s", h->url);
		goto out;
	}
	rc = read_secret_file(h->url_at, h->name, "url_file", h->url_file,
			      k->url, sizeof(k->url), &len, err);
	if (!rc) {
		k->url[strcspn(k->url, "\r\n")] = '\0';
		if (!url_ok(k->url))
			rc = nhir_err_set(err, NHIR_EINVAL, "%s: webhooks: '%s': "
					  "url_file %s holds no https:// URL "
					  "(plain http only to a loopback "
					  "address)", h->url_at, h->name,
					  h->url_file);
	}
out:
	if (rc)
		nhir_webhook_keys_wipe(k);
	return rc;
}

void nhir_webhook_keys_wipe(struct nhir_webhook_keys *k)
{
	sodium_memzero(k, sizeof(*k));
}

/* ---- events ---- */

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

bool nhir_webhook_event_of(const struct nhir_audit_entry *e,
			   enum nhir_hook_event *ev)
{
	cJSON *d;
	const cJSON *v;
	bool is = false;

	if (!e->action)
		return false;
	if (!strcmp(e->action, "incident.declare")) {
		*ev = NHIR_HOOK_DECLARED;
		return true;
	}
	if (!strcmp(e->action, "watch.alert")) {
		*ev = NHIR_HOOK_WATCH_ALERT;
		return true;
	}
	if (!strcmp(e->action, "watch.verdict")) {
		*ev = NHIR_HOOK_WATCH_VERDICT;
		return true;
	}
	if (strcmp(e->action, "plan") && strcmp(e->action, "plan.add") &&
	    strcmp(e->action, "execute") && strcmp(e->action, "incident.state"))
		return false;
	d = cJSON_Parse(e->detail ? e->detail : "");
	if (!strcmp(e->action, "plan")) {
		/* unknown how many await approval: tell, rather than not */
		v = member(d, "awaiting_approval");
		is = cJSON_IsNumber(v) ? v->valuedouble > 0
				       : !cJSON_IsNumber(member(d, "steps")) ||
					 member(d, "steps")->valuedouble > 0;
		*ev = NHIR_HOOK_APPROVAL;
	} else if (!strcmp(e->action, "plan.add")) {
		v = member(d, "approvals_needed");
		is = !cJSON_IsNumber(v) || v->valuedouble > 0;
		*ev = NHIR_HOOK_APPROVAL;
	} else if (!strcmp(e->action, "execute")) {
		v = member(d, "status");
		is = !cJSON_IsString(v) ||
		     (strcmp(v->valuestring, "done") &&
		      strcmp(v->valuestring, "dry-run") &&
		      strcmp(v->valuestring, "skipped"));
		*ev = NHIR_HOOK_STEP_FAILED;
	} else {
		v = member(d, "to");
		if (cJSON_IsString(v) && !strcmp(v->valuestring, "recovering")) {
			*ev = NHIR_HOOK_CONTAINED;
			is = true;
		} else if (cJSON_IsString(v) &&
			   !strcmp(v->valuestring, "closed")) {
			*ev = NHIR_HOOK_CLOSED;
			is = true;
		}
	}
	cJSON_Delete(d);
	return is;
}

/* ---- bodies ---- */

static void copy_num(cJSON *to, const cJSON *d, const char *name)
{
	const cJSON *v = member(d, name);

	if (cJSON_IsNumber(v))
		cJSON_AddNumberToObject(to, name, v->valuedouble);
}

static void copy_str(cJSON *to, const cJSON *d, const char *name)
{
	const cJSON *v = member(d, name);

	if (cJSON_IsString(v))
		cJSON_AddStringToObject(to, name, v->valuestring);
}

/* Slack's mrkdwn: &, < and > escaped, nothing else to fear. */
static void slack_add(struct nhir_buf *b, const char *s)
{
	for (; s && *s; s++)
		if (*s == '&')
			nhir_buf_adds(b, "&amp;");
		else if (*s == '<')
			nhir_buf_adds(b, "&lt;");
		else if (*s == '>')
			nhir_buf_adds(b, "&gt;");
		else
			nhir_buf_addch(b, *s);
}

static char *slack_text(const struct nhir_webhook_facts *f, const cJSON *d)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	const cJSON *v;
	char ref[32];

	snprintf(ref, sizeof(ref), "INC-%" PRId64, f->incident);
	nhir_buf_adds(&b, "nhir: ");
	nhir_buf_adds(&b, f->incident ? ref : "(no incident)");
	if (f->title) {
		nhir_buf_adds(&b, " \"");
		slack_add(&b, f->title);
		nhir_buf_addch(&b, '"');
	}
	switch (f->event) {
	case NHIR_HOOK_DECLARED:
		nhir_buf_adds(&b, " declared by ");
		slack_add(&b, f->actor);
		if (f->severity) {
			nhir_buf_adds(&b, " (severity ");
			slack_add(&b, f->severity);
			nhir_buf_addch(&b, ')');
		}
		break;
	case NHIR_HOOK_APPROVAL:
		v = member(d, "awaiting_approval");
		if (cJSON_IsNumber(v))
			nhir_buf_addf(&b, ": %d step(s) of the plan await "
				      "approval", (int)v->valuedouble);
		else
			nhir_buf_adds(&b, ": the plan has steps awaiting "
				      "approval");
		nhir_buf_adds(&b, " (planned by ");
		slack_add(&b, f->actor);
		nhir_buf_addch(&b, ')');
		break;
	case NHIR_HOOK_STEP_FAILED:
		v = member(d, "step");
		if (cJSON_IsNumber(v))
			nhir_buf_addf(&b, ": step %d", (int)v->valuedouble);
		else
			nhir_buf_adds(&b, ": a step");
		v = member(d, "action");
		if (cJSON_IsString(v)) {
			nhir_buf_adds(&b, " (");
			slack_add(&b, v->valuestring);
			nhir_buf_addch(&b, ')');
		}
		v = member(d, "status");
		nhir_buf_adds(&b, " ");
		slack_add(&b, cJSON_IsString(v) ? v->valuestring : "failed");
		nhir_buf_adds(&b, " (run by ");
		slack_add(&b, f->actor);
		nhir_buf_addch(&b, ')');
		break;
	case NHIR_HOOK_CONTAINED:
		nhir_buf_adds(&b, " is contained, now recovering (");
		slack_add(&b, f->actor);
		nhir_buf_addch(&b, ')');
		break;
	case NHIR_HOOK_CLOSED:
		nhir_buf_adds(&b, " closed by ");
		slack_add(&b, f->actor);
		break;
	case NHIR_HOOK_WATCH_ALERT:
		nhir_buf_adds(&b, ": ALERT ");
		v = member(d, "key");
		slack_add(&b, cJSON_IsString(v) ? v->valuestring : "a key");
		nhir_buf_adds(&b, " used after its cut (");
		v = member(d, "cut");
		slack_add(&b, cJSON_IsString(v) ? v->valuestring : "unknown");
		nhir_buf_adds(&b, ")");
		v = member(d, "action");
		if (cJSON_IsString(v) && *v->valuestring) {
			nhir_buf_adds(&b, ": ");
			slack_add(&b, v->valuestring);
		}
		v = member(d, "source_ip");
		if (cJSON_IsString(v) && *v->valuestring) {
			nhir_buf_adds(&b, " from ");
			slack_add(&b, v->valuestring);
		}
		break;
	case NHIR_HOOK_WATCH_VERDICT:
		v = member(member(d, "verdict"), "uses_after_cut");
		if (cJSON_IsNumber(v) && v->valuedouble > 0)
			nhir_buf_addf(&b, ": watch verdict: %.0f use(s) after "
				      "cut", v->valuedouble);
		else if (cJSON_IsNumber(v))
			nhir_buf_adds(&b, ": watch verdict: clean");
		else
			nhir_buf_adds(&b, ": watch verdict: unknown");
		nhir_buf_adds(&b, " (");
		slack_add(&b, f->actor);
		nhir_buf_addch(&b, ')');
		break;
	case NHIR_HOOK_EVENT_NR:
		break;
	}
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	return nhir_buf_detach(&b, NULL);
}

char *nhir_webhook_render(const struct nhir_webhook_facts *f,
			  enum nhir_hook_format fmt)
{
	cJSON *d = f->detail ? cJSON_Parse(f->detail) : NULL;
	cJSON *o = cJSON_CreateObject(), *inc, *x = NULL;
	char when[40], ref[32], link[64], *text = NULL, *s, *out = NULL;
	bool ok = o != NULL;

	if (ok && fmt == NHIR_HOOK_SLACK) {
		text = slack_text(f, d);
		ok = text && cJSON_AddStringToObject(o, "text", text);
		nhir_free(text);
		goto print;
	}
	nhir_time_format(f->at, when, sizeof(when));
	ok = ok && cJSON_AddNumberToObject(o, "version", 1) &&
	     cJSON_AddStringToObject(o, "event", nhir_hook_event_name(f->event)) &&
	     cJSON_AddNumberToObject(o, "seq", (double)f->seq) &&
	     cJSON_AddStringToObject(o, "at", when) &&
	     cJSON_AddStringToObject(o, "actor", f->actor ? f->actor : "");
	if (ok && f->incident) {
		snprintf(ref, sizeof(ref), "INC-%" PRId64, f->incident);
		snprintf(link, sizeof(link), "/api/v1/incidents/%s", ref);
		inc = cJSON_AddObjectToObject(o, "incident");
		ok = inc && cJSON_AddStringToObject(inc, "id", ref) &&
		     cJSON_AddStringToObject(inc, "link", link);
		if (ok && f->title)
			ok = cJSON_AddStringToObject(inc, "title", f->title);
		if (ok && f->severity)
			ok = cJSON_AddStringToObject(inc, "severity",
						     f->severity);
		if (ok && f->state)
			ok = cJSON_AddStringToObject(inc, "state", f->state);
	} else if (ok) {
		ok = cJSON_AddNullToObject(o, "incident") != NULL;
	}
	if (ok && f->event == NHIR_HOOK_APPROVAL)
		x = cJSON_AddObjectToObject(o, "plan");
	else if (ok && f->event == NHIR_HOOK_STEP_FAILED)
		x = cJSON_AddObjectToObject(o, "step");
	else if (ok && (f->event == NHIR_HOOK_CONTAINED ||
			f->event == NHIR_HOOK_CLOSED))
		x = cJSON_AddObjectToObject(o, "state");
	if (ok && f->event == NHIR_HOOK_WATCH_ALERT) {
		static const char *const strs[] = {
			"key", "from", "cut", "cut_basis", "first_use", "action",
			"source_ip", "outcome", "file",
		};

		x = cJSON_AddObjectToObject(o, "alert");
		for (size_t i = 0; x && i < NHIR_ARRAY_SIZE(strs); i++)
			copy_str(x, d, strs[i]);
		if (x) {
			copy_num(x, d, "uses");
			copy_num(x, d, "offset");
		}
		x = NULL;
	} else if (ok && f->event == NHIR_HOOK_WATCH_VERDICT) {
		const cJSON *v = member(d, "verdict");
		static const char *const strs[] = {
			"result", "started", "ended", "stopped",
		};
		static const char *const nums[] = {
			"uses_after_cut", "alerts", "files_read",
			"files_rejected", "files_unread",
		};

		x = cJSON_AddObjectToObject(o, "verdict");
		for (size_t i = 0; x && i < NHIR_ARRAY_SIZE(strs); i++)
			copy_str(x, v, strs[i]);
		for (size_t i = 0; x && i < NHIR_ARRAY_SIZE(nums); i++)
			copy_num(x, v, nums[i]);
		if (x)
			cJSON_AddBoolToObject(x, "signed",
					      member(d, "signature") != NULL);
		x = NULL;
	}
	if (x) {
		/* named fields only: a detail may quote a connector's answer */
		copy_num(x, d, "steps");
		copy_num(x, d, "awaiting_approval");
		copy_num(x, d, "step");
		copy_str(x, d, "action");
		copy_str(x, d, "status");
		copy_str(x, d, "from");
		copy_str(x, d, "to");
	}
print:
	s = ok ? cJSON_PrintUnformatted(o) : NULL;
	if (s) {
		out = nhir_strdup(s);
		cJSON_free(s);
	}
	cJSON_Delete(o);
	cJSON_Delete(d);
	return out;
}

void nhir_webhook_sign(const unsigned char *key, size_t key_len, int64_t ts,
		       const char *body, size_t len,
		       char out[NHIR_WEBHOOK_SIG_SIZE])
{
	crypto_auth_hmacsha256_state h;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char t[24], hex[2 * crypto_auth_hmacsha256_BYTES + 1];

	snprintf(t, sizeof(t), "%" PRId64, ts);
	crypto_auth_hmacsha256_init(&h, key, key_len);
	crypto_auth_hmacsha256_update(&h, (const unsigned char *)t, strlen(t));
	crypto_auth_hmacsha256_update(&h, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&h, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&h, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, NHIR_WEBHOOK_SIG_SIZE, "t=%s,v1=%s", t, hex);
	sodium_memzero(&h, sizeof(h));
}

int64_t nhir_webhook_backoff(int attempts, int64_t base_ms)
{
	int64_t w = base_ms > 0 ? base_ms : NHIR_WEBHOOK_BACKOFF_MS;

	for (int i = 1; i < attempts && w < NHIR_WEBHOOK_BACKOFF_MAX_MS; i++)
		w *= 2;
	return w < NHIR_WEBHOOK_BACKOFF_MAX_MS ? w : NHIR_WEBHOOK_BACKOFF_MAX_MS;
}

/* ---- cursors and deliveries ---- */

enum nhir_rc nhir_webhook_cursors_init(struct nhir_store *st,
				       const struct nhir_webhooks *h,
				       struct nhir_err *err)
{
	const struct nhir_webhook_store_ops *ops = nhir_webhook_store(st);
	int64_t newest = 0, seq;
	enum nhir_rc rc;
	bool found;

	if (!h->nr)
		return NHIR_OK;
	rc = nhir_store_begin(st, err);
	if (!rc)
		rc = nhir_audit_newest(st, &newest, err);
	for (size_t i = 0; !rc && i < h->nr; i++) {
		rc = ops->cursor_read(st, h->v[i].name, &seq, &found, err);
		if (!rc && !found)
			rc = ops->cursor_write(st, h->v[i].name, newest,
					       nhir_store_now(st), err);
	}
	if (!rc)
		rc = nhir_store_commit(st, err);
	if (rc)
		nhir_store_rollback(st);
	return rc;
}

struct scan {
	struct nhir_store *st;
	const struct nhir_webhook *h;
	int64_t last;
	size_t queued;
	enum nhir_rc rc;
	struct nhir_err *err;
};

static int scan_cb(const struct nhir_audit_entry *e, void *data)
{
	struct scan *s = data;
	struct nhir_webhook_facts f;
	struct nhir_delivery d;
	struct nhir_incident inc;
	enum nhir_hook_event ev;
	bool have = false;
	int64_t id = 0;
	char *body;

	s->last = e->seq;
	if (!nhir_webhook_event_of(e, &ev) || !(s->h->events & (1u << ev)))
		return 0;
	memset(&f, 0, sizeof(f));
	f.event = ev;
	f.seq = e->seq;
	f.at = e->at;
	f.actor = e->actor;
	f.incident = e->incident;
	f.detail = e->detail;
	if (e->incident) {
		struct nhir_err ign = NHIR_ERR_INIT;

		have = !nhir_incident_get(s->st, e->incident, &inc, &ign);
	}
	if (have) {
		f.title = inc.title;
		f.severity = inc.severity;
		f.state = nhir_inc_state_name(inc.state);
	}
	body = nhir_webhook_render(&f, s->h->format);
	if (!body) {
		s->rc = nhir_err_set(s->err, NHIR_ENOMEM, "out of memory");
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.hook = s->h->name;
	d.event = nhir_hook_event_name(ev);
	d.seq = e->seq;
	d.incident = e->incident;
	d.body = body;
	d.created = nhir_store_now(s->st);
	d.next_ms = 0;		/* due at once */
	s->rc = nhir_webhook_store(s->st)->delivery_insert(s->st, &d, &id,
							   s->err);
	nhir_free(body);
	if (!s->rc && id)
		s->queued++;
	return s->rc ? 1 : 0;
}

enum nhir_rc nhir_webhook_scan(struct nhir_store *st,
			       const struct nhir_webhooks *h, size_t limit,
			       size_t *queued, struct nhir_err *err)
{
	const struct nhir_webhook_store_ops *ops = nhir_webhook_store(st);
	enum nhir_rc rc = NHIR_OK;

	*queued = 0;
	for (size_t i = 0; !rc && i < h->nr; i++) {
		struct scan s = { st, &h->v[i], 0, 0, NHIR_OK, err };
		int64_t cur = 0;
		bool found = false;

		rc = nhir_store_begin(st, err);
		if (!rc)
			rc = ops->cursor_read(st, h->v[i].name, &cur, &found,
					      err);
		if (!rc && !found) {
			/* a hook no one started: from now on */
			rc = nhir_audit_newest(st, &cur, err);
			if (!rc)
				rc = ops->cursor_write(st, h->v[i].name, cur,
						       nhir_store_now(st), err);
		} else if (!rc) {
			s.last = cur;
			rc = nhir_audit_since(st, 0, cur, limit, scan_cb, &s,
					      err);
			if (!rc)
				rc = s.rc;
			if (!rc && s.last > cur)
				rc = ops->cursor_write(st, h->v[i].name, s.last,
						       nhir_store_now(st), err);
		}
		if (!rc)
			rc = nhir_store_commit(st, err);
		if (rc)
			nhir_store_rollback(st);
		else
			*queued += s.queued;
	}
	return rc;
}

enum nhir_rc nhir_webhook_due(struct nhir_store *st, int64_t now_ms,
			      size_t limit, nhir_delivery_cb cb, void *data,
			      struct nhir_err *err)
{
	return nhir_webhook_store(st)->deliveries_due(st, now_ms, limit, cb,
						      data, err);
}

enum nhir_rc nhir_webhook_attempted(struct nhir_store *st,
				    const struct nhir_delivery *d, bool ok,
				    long status, const char *error,
				    int64_t now_ms, int64_t base_ms,
				    int max_attempts,
				    enum nhir_delivery_state *state,
				    struct nhir_err *err)
{
	int attempts = d->attempts + 1;
	int64_t next = now_ms;

	if (ok)
		*state = NHIR_DELIVERY_DELIVERED;
	else if (attempts >= max_attempts)
		*state = NHIR_DELIVERY_FAILED;
	else {
		*state = NHIR_DELIVERY_PENDING;
		next = now_ms + nhir_webhook_backoff(attempts, base_ms);
	}
	return nhir_webhook_store(st)->delivery_update(
		st, d->id, attempts, next, *state, now_ms / 1000, status,
		ok ? NULL : error, err);
}

/* ---- the document ---- */

struct rows {
	cJSON *arr;
	bool oom;
};

static bool add_time(cJSON *o, const char *name, int64_t t)
{
	char buf[40];

	if (t == NHIR_TIME_UNSET || t == 0)
		return cJSON_AddNullToObject(o, name) != NULL;
	nhir_time_format(t, buf, sizeof(buf));
	return cJSON_AddStringToObject(o, name, buf) != NULL;
}

static int delivery_cb(const struct nhir_delivery *d, void *data)
{
	struct rows *r = data;
	cJSON *o = cJSON_CreateObject();
	char ref[32];
	bool ok;

	snprintf(ref, sizeof(ref), "INC-%" PRId64, d->incident);
	ok = o && cJSON_AddNumberToObject(o, "id", (double)d->id) &&
	     cJSON_AddStringToObject(o, "hook", d->hook ? d->hook : "") &&
	     cJSON_AddStringToObject(o, "event", d->event ? d->event : "") &&
	     cJSON_AddNumberToObject(o, "seq", (double)d->seq) &&
	     (d->incident ? cJSON_AddStringToObject(o, "incident", ref) != NULL
			  : cJSON_AddNullToObject(o, "incident") != NULL) &&
	     add_time(o, "created", d->created) &&
	     cJSON_AddNumberToObject(o, "attempts", d->attempts) &&
	     (d->state == NHIR_DELIVERY_PENDING
		      ? add_time(o, "next_attempt", d->next_ms / 1000)
		      : cJSON_AddNullToObject(o, "next_attempt") != NULL) &&
	     add_time(o, "last_attempt", d->last_at) &&
	     (d->last_status ? cJSON_AddNumberToObject(o, "last_status",
						       (double)d->last_status)
			     : cJSON_AddNullToObject(o, "last_status")) &&
	     (d->last_error ? cJSON_AddStringToObject(o, "last_error",
						      d->last_error)
			    : cJSON_AddNullToObject(o, "last_error")) &&
	     cJSON_AddStringToObject(o, "state",
				     nhir_delivery_state_name(d->state));
	if (!ok || !cJSON_AddItemToArray(r->arr, o)) {
		cJSON_Delete(o);
		r->oom = true;
		return 1;
	}
	return 0;
}

enum nhir_rc nhir_doc_webhook_deliveries(const struct nhir_ctx *ctx,
					 const char *hook, size_t limit,
					 cJSON **out, struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	cJSON *d;
	struct rows r = { NULL, false };
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_authorize_audited(ctx, NHIR_PERM_ADMIN, 0,
				    "webhook.deliveries", err);
	if (rc)
		return rc;
	d = cJSON_CreateObject();
	if (!d || !cJSON_AddNumberToObject(d, "version", NHIR_DOC_VERSION) ||
	    !(r.arr = cJSON_AddArrayToObject(d, "deliveries"))) {
		cJSON_Delete(d);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = nhir_webhook_store(st)->deliveries_read(st, hook, limit,
						     delivery_cb, &r, err);
	if (!rc && r.oom)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (rc)
		cJSON_Delete(d);
	else
		*out = d;
	return rc;
}
