/*
 * Webhooks (src/record/webhook.c): the configuration and its errors
 * with lines, the files of secrets, the events read off audit entries,
 * bodies that carry no secret, the signature (checked against OpenSSL's
 * HMAC), the backoff, and deliveries through the store.
 */
#include "lib/testlib.h"
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "nhir/doc.h"
#include "nhir/webhook.h"

#define GOOD \
	"webhooks:\n" \
	"  - name: team\n" \
	"    url: https://hooks.example.org/nhir\n" \
	"    events: [incident.declared, step.failed]\n" \
	"    secret_file: /etc/nhir/team.key\n" \
	"  - name: chat\n" \
	"    url_file: /etc/nhir/slack.url\n" \
	"    format: slack\n" \
	"    events: [incident.closed]\n" \
	"    secret_file: /etc/nhir/slack.key\n" \
	"    attempts: 3\n"

static struct nhir_webhooks hooks;

static void test_config(void **state)
{
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_int_equal(nhir_webhooks_parse(GOOD, strlen(GOOD), "h.yaml",
					     &hooks, &err), NHIR_OK);
	assert_int_equal(hooks.nr, 2);
	assert_string_equal(hooks.v[0].name, "team");
	assert_string_equal(hooks.v[0].url, "https://hooks.example.org/nhir");
	assert_int_equal(hooks.v[0].format, NHIR_HOOK_JSON);
	assert_int_equal(hooks.v[0].events, (1u << NHIR_HOOK_DECLARED) |
					    (1u << NHIR_HOOK_STEP_FAILED));
	assert_int_equal(hooks.v[0].attempts, NHIR_WEBHOOK_ATTEMPTS);
	assert_string_equal(hooks.v[0].secret_at, "h.yaml:5");
	assert_string_equal(hooks.v[1].url, "");
	assert_string_equal(hooks.v[1].url_file, "/etc/nhir/slack.url");
	assert_string_equal(hooks.v[1].url_at, "h.yaml:7");
	assert_int_equal(hooks.v[1].format, NHIR_HOOK_SLACK);
	assert_int_equal(hooks.v[1].attempts, 3);
	/* no list, or only oidc: no hooks */
	assert_int_equal(nhir_webhooks_parse("oidc: {}\n", 9, "h.yaml", &hooks,
					     &err), NHIR_OK);
	assert_int_equal(hooks.nr, 0);
}

static void test_config_errors(void **state)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
		{ "hooks: []\n", "h.yaml:1" },
		{ "webhooks: {a: 1}\n", "h.yaml:1: webhooks: want a list" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [incident.declared, incident.reopened]\n"
		  "    secret_file: k\n", "h.yaml:4: webhooks: 'a': no event "
		  "'incident.reopened'" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed, step.failed]\n"
		  "    secret_file: k\n", "h.yaml:4: webhooks: 'a': event "
		  "'step.failed' twice" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: []\n    secret_file: k\n",
		  "h.yaml:4: webhooks: 'a': events is empty" },
		{ "webhooks:\n  - name: a\n    url: http://x.example/h\n"
		  "    events: [step.failed]\n    secret_file: k\n",
		  "h.yaml:3: webhooks: 'a': the url is https://" },
		{ "webhooks:\n  - name: a\n    url: http://127.0.0.1.evil/h\n"
		  "    events: [step.failed]\n    secret_file: k\n",
		  "h.yaml:3:" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    url_file: u\n    events: [step.failed]\n"
		  "    secret_file: k\n", "h.yaml:2: webhooks: 'a': give the "
		  "address by url or url_file (one of them)" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed]\n",
		  "h.yaml:2: webhooks: 'a': 'secret_file' is missing" },
		{ "webhooks:\n  - name: a b\n", "h.yaml:2: webhooks: a hook's "
		  "name is letters" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed]\n    secret_file: k\n"
		  "    format: xml\n", "h.yaml:6: webhooks: 'a': format is "
		  "json or slack" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed]\n    secret_file: k\n"
		  "    attempts: 0\n", "h.yaml:6: webhooks: 'a': attempts is "
		  "a number from 1 to 20" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed]\n    secret_file: k\n"
		  "    secret: inline\n", "h.yaml:6: webhooks: unknown key "
		  "'secret'" },
		{ "webhooks:\n  - name: a\n    url: https://x.example/h\n"
		  "    events: [step.failed]\n    secret_file: k\n"
		  "  - name: a\n", "h.yaml:6: webhooks: hook 'a' twice" },
		{ "webhooks:\n  - [a]\n", "h.yaml:2: webhooks: each hook is a "
		  "mapping" },
		{ "webhooks: [\n", "h.yaml:" },
	};

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		struct nhir_err err = NHIR_ERR_INIT;

		assert_int_equal(nhir_webhooks_parse(bad[i].yaml,
						     strlen(bad[i].yaml),
						     "h.yaml", &hooks, &err),
				 NHIR_EPARSE);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg,
				 bad[i].want);
		assert_int_equal(hooks.nr, 0);
	}
}

static char *file(const char *name, const char *text, mode_t mode)
{
	char *p = tl_write_file(name, text);

	assert_int_equal(chmod(p, mode), 0);
	return p;
}

/* One hook of a configuration naming secret and url files. */
static void one_hook(const char *secret, const char *url)
{
	char y[2048];
	struct nhir_err err = NHIR_ERR_INIT;

	snprintf(y, sizeof(y), "webhooks:\n  - name: h\n    %s: %s\n"
		 "    events: [incident.closed]\n    secret_file: %s\n",
		 url[0] == '/' ? "url_file" : "url", url, secret);
	assert_int_equal(nhir_webhooks_parse(y, strlen(y), "c.yaml", &hooks,
					     &err), NHIR_OK);
}

static void test_keys(void **state)
{
	struct nhir_webhook_keys k;
	struct nhir_err err = NHIR_ERR_INIT;
	char *good = file("good.key", "0123456789abcdef-secret\n", 0600);
	char *open_key = file("open.key", "0123456789abcdef-secret\n", 0644);
	char *tiny = file("tiny.key", "tiny-value\n", 0600);
	char *url = file("slack.url", "https://hooks.slack.example/T1/B2/x\n",
			 0600);
	char *bad_url = file("bad.url", "ftp://x\n", 0600);
	char *open_url = file("open.url", "https://h.example/x\n", 0640);

	(void)state;
	one_hook(good, "https://h.example/x");
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err), 0);
	assert_int_equal(k.secret_len, 23);
	assert_memory_equal(k.secret, "0123456789abcdef-secret", 23);
	assert_string_equal(k.url, "https://h.example/x");
	nhir_webhook_keys_wipe(&k);
	assert_int_equal(k.secret_len, 0);

	one_hook(good, url);
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err), 0);
	assert_string_equal(k.url, "https://hooks.slack.example/T1/B2/x");

	one_hook(open_key, "https://h.example/x");
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err),
			 NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "c.yaml:5: webhooks: 'h': "
				       "secret_file"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_int_equal(k.secret_len, 0);

	one_hook(tiny, "https://h.example/x");
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err),
			 NHIR_EINVAL);
	assert_non_null(strstr(err.msg, "at least 16"));
	assert_null(strstr(err.msg, "tiny-value"));

	one_hook(good, bad_url);
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err),
			 NHIR_EINVAL);
	assert_non_null(strstr(err.msg, "c.yaml:3:"));
	assert_null(strstr(err.msg, "ftp://"));

	one_hook(good, open_url);
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err),
			 NHIR_EDENIED);
	one_hook("/nonexistent/k", "https://h.example/x");
	assert_int_equal(nhir_webhook_keys_read(&hooks.v[0], &k, &err),
			 NHIR_EIO);
	assert_non_null(strstr(err.msg, "c.yaml:5:"));
	nhir_free(good);
	nhir_free(open_key);
	nhir_free(tiny);
	nhir_free(url);
	nhir_free(bad_url);
	nhir_free(open_url);
}

static void test_events(void **state)
{
	static const struct {
		const char *action, *detail;
		bool is;
		enum nhir_hook_event ev;
	} cases[] = {
		{ "incident.declare", "{\"title\":\"x\"}", true,
		  NHIR_HOOK_DECLARED },
		{ "plan", "{\"steps\":5,\"awaiting_approval\":2}", true,
		  NHIR_HOOK_APPROVAL },
		{ "plan", "{\"steps\":5,\"awaiting_approval\":0}", false, 0 },
		/* a plan entry that does not say: told */
		{ "plan", "{\"steps\":5}", true, NHIR_HOOK_APPROVAL },
		{ "plan", "{\"steps\":0}", false, 0 },
		{ "plan.add", "{\"step\":3,\"approvals_needed\":1}", true,
		  NHIR_HOOK_APPROVAL },
		{ "plan.add", "{\"step\":3,\"approvals_needed\":0}", false, 0 },
		{ "execute", "{\"step\":1,\"status\":\"failed\"}", true,
		  NHIR_HOOK_STEP_FAILED },
		{ "execute", "{\"step\":1,\"status\":\"unknown\"}", true,
		  NHIR_HOOK_STEP_FAILED },
		{ "execute", "{\"step\":1,\"status\":\"done\"}", false, 0 },
		{ "execute", "{\"step\":1,\"status\":\"dry-run\"}", false, 0 },
		{ "execute.start", "{\"step\":1}", false, 0 },
		{ "incident.state", "{\"from\":\"containing\",\"to\":"
		  "\"recovering\"}", true, NHIR_HOOK_CONTAINED },
		{ "incident.state", "{\"from\":\"recovering\",\"to\":"
		  "\"closed\"}", true, NHIR_HOOK_CLOSED },
		{ "incident.state", "{\"from\":\"recovering\",\"to\":"
		  "\"containing\"}", false, 0 },
		{ "note", "{}", false, 0 },
		{ "denied", "{\"to\":\"closed\"}", false, 0 },
		{ "watch.alert", "{\"key\":\"AKIA1\"}", true,
		  NHIR_HOOK_WATCH_ALERT },
		{ "watch.verdict", "{\"verdict\":{}}", true,
		  NHIR_HOOK_WATCH_VERDICT },
		{ "watch.start", "{\"for_seconds\":1800}", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(cases); i++) {
		struct nhir_audit_entry e = { 7, 1800000000, 1, "lee",
					      cases[i].action, cases[i].detail,
					      NULL, NULL };
		enum nhir_hook_event ev = NHIR_HOOK_EVENT_NR;
		bool is = nhir_webhook_event_of(&e, &ev);

		if (is != cases[i].is || (is && ev != cases[i].ev))
			fail_msg("case %zu (%s %s): %d %d", i, cases[i].action,
				 cases[i].detail, is, (int)ev);
	}
	for (int i = 0; i < NHIR_HOOK_EVENT_NR; i++)
		assert_int_equal(nhir_hook_event_parse(
			nhir_hook_event_name((enum nhir_hook_event)i)), i);
}

static void test_render(void **state)
{
	struct nhir_webhook_facts f = {
		NHIR_HOOK_STEP_FAILED, 42, 1800000000, "rae", 3,
		"key <leaked> & \"more\"", "critical", "containing",
		"{\"step\":2,\"action\":\"aws.deactivate-access-key\","
		"\"status\":\"failed\",\"detail\":\"Authorization: Bearer "
		"nhir_SECRETSECRET\",\"evidence\":9}",
	};
	char *j = nhir_webhook_render(&f, NHIR_HOOK_JSON);
	char *s = nhir_webhook_render(&f, NHIR_HOOK_SLACK);
	cJSON *d = cJSON_Parse(j), *inc, *step;

	(void)state;
	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "event")->valuestring,
			    "step.failed");
	assert_int_equal(cJSON_GetObjectItem(d, "seq")->valuedouble, 42);
	assert_string_equal(cJSON_GetObjectItem(d, "at")->valuestring,
			    "2027-01-15T08:00:00Z");
	assert_string_equal(cJSON_GetObjectItem(d, "actor")->valuestring,
			    "rae");
	inc = cJSON_GetObjectItem(d, "incident");
	assert_string_equal(cJSON_GetObjectItem(inc, "id")->valuestring,
			    "INC-3");
	assert_string_equal(cJSON_GetObjectItem(inc, "link")->valuestring,
			    "/api/v1/incidents/INC-3");
	assert_string_equal(cJSON_GetObjectItem(inc, "state")->valuestring,
			    "containing");
	step = cJSON_GetObjectItem(d, "step");
	assert_int_equal(cJSON_GetObjectItem(step, "step")->valuedouble, 2);
	assert_string_equal(cJSON_GetObjectItem(step, "status")->valuestring,
			    "failed");
	/* what the connector said stays on the record, out of the body */
	assert_null(cJSON_GetObjectItem(step, "detail"));
	assert_null(strstr(j, "SECRET"));
	assert_null(strstr(j, "Bearer"));
	assert_null(strstr(s, "SECRET"));
	cJSON_Delete(d);
	d = cJSON_Parse(s);
	assert_non_null(d);
	assert_int_equal(cJSON_GetArraySize(d), 1);
	assert_non_null(strstr(cJSON_GetObjectItem(d, "text")->valuestring,
			       "INC-3 \"key &lt;leaked&gt; &amp; \"more\"\": "
			       "step 2 (aws.deactivate-access-key) failed "
			       "(run by rae)"));
	cJSON_Delete(d);
	nhir_free(j);
	nhir_free(s);

	/* an entry of no incident, a detail that is not JSON */
	f.event = NHIR_HOOK_DECLARED;
	f.incident = 0;
	f.title = f.severity = f.state = NULL;
	f.detail = "{not json";
	j = nhir_webhook_render(&f, NHIR_HOOK_JSON);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"incident\":null"));
	nhir_free(j);
}

/* A watch's alert and verdict: named fields, nothing else of the entry. */
static void test_render_watch(void **state)
{
	struct nhir_webhook_facts f = {
		NHIR_HOOK_WATCH_ALERT, 50, 1800000000, "rory", 1, "leak",
		"critical", "recovering",
		"{\"key\":\"AKIAEXAMPLE\",\"from\":null,\"cut\":"
		"\"2024-05-01T10:35:00Z\",\"cut_basis\":\"revoked\","
		"\"first_use\":\"2024-05-01T10:40:00Z\",\"uses\":2,"
		"\"action\":\"s3:ListBuckets\",\"source_ip\":\"203.0.113.9\","
		"\"outcome\":\"success\",\"file\":\"/logs/a.json\","
		"\"offset\":120,\"extra\":\"not copied\"}",
	};
	char *j = nhir_webhook_render(&f, NHIR_HOOK_JSON);
	char *s = nhir_webhook_render(&f, NHIR_HOOK_SLACK);
	cJSON *d = cJSON_Parse(j), *a;

	(void)state;
	assert_non_null(d);
	assert_string_equal(cJSON_GetObjectItem(d, "event")->valuestring,
			    "watch.alert");
	a = cJSON_GetObjectItem(d, "alert");
	assert_string_equal(cJSON_GetObjectItem(a, "key")->valuestring,
			    "AKIAEXAMPLE");
	assert_string_equal(cJSON_GetObjectItem(a, "cut")->valuestring,
			    "2024-05-01T10:35:00Z");
	assert_int_equal(cJSON_GetObjectItem(a, "uses")->valuedouble, 2);
	assert_int_equal(cJSON_GetObjectItem(a, "offset")->valuedouble, 120);
	assert_null(cJSON_GetObjectItem(a, "extra"));
	assert_non_null(strstr(s, "ALERT AKIAEXAMPLE used after its cut "
			       "(2024-05-01T10:35:00Z): s3:ListBuckets from "
			       "203.0.113.9"));
	cJSON_Delete(d);
	nhir_free(j);
	nhir_free(s);

	f.event = NHIR_HOOK_WATCH_VERDICT;
	f.detail = "{\"version\":1,\"verdict\":{\"result\":\"clean\","
		   "\"uses_after_cut\":0,\"files_read\":4,\"keys\":[]},"
		   "\"signature\":{\"signature\":\"ab\"}}";
	j = nhir_webhook_render(&f, NHIR_HOOK_JSON);
	s = nhir_webhook_render(&f, NHIR_HOOK_SLACK);
	d = cJSON_Parse(j);
	a = cJSON_GetObjectItem(d, "verdict");
	assert_string_equal(cJSON_GetObjectItem(a, "result")->valuestring,
			    "clean");
	assert_int_equal(cJSON_GetObjectItem(a, "files_read")->valuedouble, 4);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(a, "signed")));
	assert_null(cJSON_GetObjectItem(a, "keys"));
	assert_non_null(strstr(s, "watch verdict: clean (rory)"));
	cJSON_Delete(d);
	nhir_free(j);
	nhir_free(s);
}

static void test_sign(void **state)
{
	static const unsigned char key[] = "whsec-0123456789abcdef";
	const char *body = "{\"event\":\"incident.closed\"}";
	char sig[NHIR_WEBHOOK_SIG_SIZE], want[NHIR_WEBHOOK_SIG_SIZE];
	char msg[128], hex[65];
	unsigned char mac[32];
	unsigned int len = 0;

	(void)state;
	nhir_webhook_sign(key, sizeof(key) - 1, 1800000000, body,
			  strlen(body), sig);
	snprintf(msg, sizeof(msg), "1800000000.%s", body);
	assert_non_null(HMAC(EVP_sha256(), key, (int)sizeof(key) - 1,
			     (const unsigned char *)msg, strlen(msg), mac,
			     &len));
	assert_int_equal(len, 32);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	snprintf(want, sizeof(want), "t=1800000000,v1=%s", hex);
	assert_string_equal(sig, want);
	/* another key, another body: another signature */
	nhir_webhook_sign(key, sizeof(key) - 2, 1800000000, body,
			  strlen(body), want);
	assert_string_not_equal(sig, want);
	nhir_webhook_sign(key, sizeof(key) - 1, 1800000000, body,
			  strlen(body) - 1, want);
	assert_string_not_equal(sig, want);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(nhir_webhook_backoff(1, 0), 2000);
	assert_int_equal(nhir_webhook_backoff(2, 0), 4000);
	assert_int_equal(nhir_webhook_backoff(7, 0), 128000);
	assert_int_equal(nhir_webhook_backoff(12, 0), 3600000);
	assert_int_equal(nhir_webhook_backoff(1000, 0), 3600000);
	assert_int_equal(nhir_webhook_backoff(3, 50), 200);
}

static int collect(const struct nhir_delivery *d, void *data)
{
	struct nhir_delivery *out = data;

	*out = *d;
	out->body = NULL;
	out->hook = out->event = out->last_error = NULL;
	return 0;
}

static void append(struct nhir_store *st, const char *action,
		   const char *detail)
{
	cJSON *d = cJSON_Parse(detail);

	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(nhir_audit_append(TL_CTX(st, "lee"), action, 0, d,
					   NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	cJSON_Delete(d);
}

static void test_deliveries(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_delivery d;
	enum nhir_delivery_state s;
	cJSON *doc = NULL;
	size_t queued = 0;
	const char *y = "webhooks:\n  - name: a\n    url: https://x.example/h\n"
			"    events: [incident.closed]\n    secret_file: k\n"
			"    attempts: 2\n";

	(void)state;
	TL_NEED(st, "webhook");
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       NULL), 0);
	assert_int_equal(nhir_webhooks_parse(y, strlen(y), "c.yaml", &hooks,
					     &err), 0);
	append(st, "incident.state", "{\"to\":\"closed\"}");
	/* the cursor starts now: what was before is not told */
	assert_int_equal(nhir_webhook_cursors_init(st, &hooks, &err), 0);
	assert_int_equal(nhir_webhook_scan(st, &hooks, 0, &queued, &err), 0);
	assert_int_equal(queued, 0);
	append(st, "incident.state", "{\"to\":\"recovering\"}");
	append(st, "incident.state", "{\"to\":\"closed\"}");
	assert_int_equal(nhir_webhook_scan(st, &hooks, 0, &queued, &err), 0);
	assert_int_equal(queued, 1);
	/* looked at once: a second scan queues nothing again */
	assert_int_equal(nhir_webhook_scan(st, &hooks, 0, &queued, &err), 0);
	assert_int_equal(queued, 0);

	memset(&d, 0, sizeof(d));
	assert_int_equal(nhir_webhook_due(st, 1000, 10, collect, &d, &err), 0);
	assert_int_not_equal(d.id, 0);
	assert_int_equal(d.attempts, 0);
	assert_int_equal(nhir_webhook_attempted(st, &d, false, 500,
						"HTTP 500", 1000, 0, 2, &s,
						&err), 0);
	assert_int_equal(s, NHIR_DELIVERY_PENDING);
	/* not due before the backoff */
	memset(&d, 0, sizeof(d));
	assert_int_equal(nhir_webhook_due(st, 2999, 10, collect, &d, &err), 0);
	assert_int_equal(d.id, 0);
	assert_int_equal(nhir_webhook_due(st, 3000, 10, collect, &d, &err), 0);
	assert_int_not_equal(d.id, 0);
	assert_int_equal(d.attempts, 1);
	assert_int_equal(nhir_webhook_attempted(st, &d, false, 0, "refused",
						3000, 0, 2, &s, &err), 0);
	assert_int_equal(s, NHIR_DELIVERY_FAILED);
	memset(&d, 0, sizeof(d));
	assert_int_equal(nhir_webhook_due(st, INT64_MAX, 10, collect, &d,
					  &err), 0);
	assert_int_equal(d.id, 0);

	assert_int_equal(nhir_doc_webhook_deliveries(TL_CTX(st, "lee"), NULL,
						     10, &doc,
						     &err), NHIR_EDENIED);
	assert_int_equal(nhir_doc_webhook_deliveries(TL_CTX(st, "ada"), NULL,
						     10, &doc, &err), 0);
	d.id = 0;
	{
		cJSON *a = cJSON_GetObjectItem(doc, "deliveries");
		cJSON *o = cJSON_GetArrayItem(a, 0);

		assert_int_equal(cJSON_GetArraySize(a), 1);
		assert_string_equal(cJSON_GetObjectItem(o, "state")->valuestring,
				    "failed");
		assert_string_equal(cJSON_GetObjectItem(o, "event")->valuestring,
				    "incident.closed");
		assert_int_equal(cJSON_GetObjectItem(o, "attempts")->valuedouble,
				 2);
		assert_string_equal(cJSON_GetObjectItem(o, "last_error")
					    ->valuestring, "refused");
		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "next_attempt")));
	}
	cJSON_Delete(doc);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_render_watch),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_deliveries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
