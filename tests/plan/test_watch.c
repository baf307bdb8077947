/*
 * Watching after containment through the library: cut times and their
 * basis, alerts on uses at or after the cut in the watch's own files
 * only, lineage proposed into the scope, uploads checked for an open
 * watch, and the signed verdict.
 */
#include "lib/testlib.h"
#include <inttypes.h>
#include "nhir/report.h"
#include "store/plan.h"

#define KEY "AKIAWATCHTEST0000001"
#define OTHER "AKIAWATCHTEST0000002"
#define SESSION "ASIAWATCHTEST0000001"
#define CUT "2024-05-01T10:35:00Z"

static int64_t t_of(const char *s)
{
	int64_t t = 0;

	assert_int_equal(nhir_time_parse(s, (size_t)-1, &t, NULL), 0);
	return t;
}

/* One CloudTrail record of key at time; minted: a session it issued. */
static void rec(struct nhir_buf *b, const char *time, const char *key,
		const char *ev, const char *minted)
{
	nhir_buf_addf(b, "{\"eventVersion\":\"1.08\",\"eventTime\":\"%s\","
		      "\"eventName\":\"%s\",\"eventSource\":\"%s\","
		      "\"userIdentity\":{\"type\":\"IAMUser\",\"accountId\":"
		      "\"1\",\"arn\":\"arn:aws:iam::1:user/ci\",\"accessKeyId\":"
		      "\"%s\",\"userName\":\"ci\"},\"awsRegion\":\"us-east-1\","
		      "\"sourceIPAddress\":\"203.0.113.5\",\"userAgent\":\"t\","
		      "\"requestParameters\":null,", time, ev,
		      minted ? "sts.amazonaws.com" : "s3.amazonaws.com", key);
	if (minted)
		nhir_buf_addf(b, "\"responseElements\":{\"credentials\":{"
			      "\"accessKeyId\":\"%s\",\"sessionToken\":\"x\","
			      "\"expiration\":\"May 1, 2024 11:59:00 PM\"}},",
			      minted);
	else
		nhir_buf_adds(b, "\"responseElements\":null,");
	nhir_buf_addf(b, "\"eventID\":\"%s-%s-%s\",\"readOnly\":%s,"
		      "\"eventType\":\"AwsApiCall\",\"recipientAccountId\":"
		      "\"1\"}\n", key, time, ev, minted ? "false" : "true");
}

static char *file_of(const char *name, struct nhir_buf *b)
{
	char *p;

	nhir_buf_addch(b, 0);
	assert_int_equal(b->err, 0);
	p = tl_write_file(name, b->buf);
	nhir_buf_release(b);
	return p;
}

/* A store with the key revoked at CUT on INC-1, the other key proposed. */
static struct nhir_store *setup(int64_t *inc)
{
	struct nhir_store *st = tl_new_store(NULL);
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	struct nhir_import_result res;
	struct nhir_declare d;
	const char *seeds[] = { KEY };
	int64_t key;

	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "obi",
				       NHIR_ROLE_OBSERVER, NULL), 0);
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:user/ci\"}\n"
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"" KEY "\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"" OTHER "\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"" KEY "\",\"to\":\"arn:aws:iam::1:user/ci\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"" OTHER "\",\"to\":\"arn:aws:iam::1:user/ci\"}\n",
		&res), 0);
	memset(&d, 0, sizeof(d));
	d.title = "watch";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 1;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "rae"), &d, inc,
					       NULL), 0);
	assert_int_equal(nhir_scope_change(TL_CTX(st, "rae"), *inc,
					   NHIR_SCOPE_ADD, OTHER, "same user",
					   NULL), 0);
	key = tl_node(st, KEY);
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(ops->revocation_request(st, *inc, key, 0,
						 t_of(CUT) - 60, NULL), 0);
	assert_int_equal(ops->revocation_confirm(st, *inc, key, t_of(CUT),
						 "deactivated", NULL), 0);
	/* deleted by a second step ten minutes later: the cut stays */
	assert_int_equal(ops->revocation_request(st, *inc, key, 0,
						 t_of(CUT) + 540, NULL), 0);
	assert_int_equal(ops->revocation_confirm(st, *inc, key,
						 t_of(CUT) + 600, "deleted",
						 NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	return st;
}

struct seen {
	char key[64], from[64], basis[32];
	int64_t cut, first;
	uint64_t uses;
	int nr;
};

static void on_alert(const struct nhir_watch_alert *a, void *data)
{
	struct seen *s = data;
	struct seen *x = &s[s->nr < 7 ? s->nr : 7];

	snprintf(x->key, sizeof(x->key), "%s", a->key);
	snprintf(x->from, sizeof(x->from), "%s", a->from ? a->from : "");
	snprintf(x->basis, sizeof(x->basis), "%s",
		 nhir_cut_basis_name(a->basis));
	x->cut = a->cut;
	x->first = a->first;
	x->uses = a->uses;
	assert_true(a->seq > 0);
	s[0].nr++;
}

static int scope_status(const struct nhir_scope_item *s, void *data)
{
	char *out = data;

	if (!strcmp(s->ext_id, SESSION))
		snprintf(out, 32, "%s", s->status);
	return 0;
}

static void test_cut_times_and_alerts(void **state)
{
	struct nhir_ingest_result res;
	struct nhir_watch_sweep sw;
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	const struct nhir_tele_format *ct = nhir_tele_find("cloudtrail");
	struct seen s[8];
	struct nhir_watch *w = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char status[32] = "";
	char *before, *after, *minted, *earlier;
	int64_t inc;
	struct nhir_store *st = setup(&inc);

	(void)state;
	memset(s, 0, sizeof(s));
	memset(&res, 0, sizeof(res));
	/* stored before the watch, after the cut: a use all the same */
	rec(&b, "2024-05-01T10:50:00Z", KEY, "ListBuckets", NULL);
	earlier = file_of("earlier.jsonl", &b);
	assert_int_equal(nhir_ingest_path(TL_CTX(st, "rae"), ct, earlier, NULL,
					  NULL, &res, NULL), 0);
	assert_int_equal(nhir_watch_start(TL_CTX(st, "obi"), inc, 60, &w, &err),
			 NHIR_EDENIED);
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 0, &w, &err),
			 NHIR_EINVAL);
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 1);
	assert_string_equal(s[0].key, KEY);
	assert_int_equal(s[0].first, t_of("2024-05-01T10:50:00Z"));
	assert_int_equal(sw.keys, 2);
	assert_int_equal(sw.unknown_cut, 1);	/* the other key */

	rec(&b, "2024-05-01T10:34:59Z", KEY, "ListBuckets", NULL);
	before = file_of("before.jsonl", &b);
	assert_int_equal(nhir_watch_file(w, ct, before, &res, &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 1);
	assert_int_equal(sw.known, 1);

	/* at the cut's second and after: two uses, one alert */
	rec(&b, CUT, KEY, "ListBuckets", NULL);
	rec(&b, "2024-05-01T10:40:00Z", KEY, "GetObject", NULL);
	rec(&b, "2024-05-01T09:00:00Z", OTHER, "GetObject", NULL);
	after = file_of("after.jsonl", &b);
	assert_int_equal(nhir_watch_file(w, ct, after, &res, &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 3);
	assert_int_equal(sw.alerts, 2);
	assert_int_equal(sw.uses, 3);
	for (int i = 1; i < 3; i++) {
		if (!strcmp(s[i].key, KEY)) {
			assert_string_equal(s[i].basis, "revoked");
			assert_int_equal(s[i].cut, t_of(CUT));
			assert_int_equal(s[i].first, t_of(CUT));
			assert_int_equal(s[i].uses, 2);
		} else {
			/* no cut known: every use is an alert */
			assert_string_equal(s[i].key, OTHER);
			assert_string_equal(s[i].basis, "unknown");
			assert_int_equal(s[i].cut, NHIR_TIME_UNSET);
		}
	}
	/* swept again: nothing new */
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 3);
	assert_int_equal(sw.known, 3);

	/* a session minted from the revoked key, then used */
	rec(&b, "2024-05-01T10:41:00Z", KEY, "GetSessionToken", SESSION);
	rec(&b, "2024-05-01T10:42:00Z", SESSION, "ListBuckets", NULL);
	minted = file_of("minted.jsonl", &b);
	assert_int_equal(nhir_watch_file(w, ct, minted, &res, &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 5);
	assert_int_equal(sw.added, 1);
	assert_true(sw.passes >= 2);
	for (int i = 3; i < 5; i++)
		if (!strcmp(s[i].key, SESSION)) {
			assert_string_equal(s[i].basis, "inherited");
			assert_string_equal(s[i].from, KEY);
			assert_int_equal(s[i].cut, t_of(CUT));
		}
	assert_int_equal(nhir_scope_each(st, inc, scope_status, status, NULL), 0);
	assert_string_equal(status, "proposed");
	{
		struct nhir_watch_end e = { .stopped = "signal" };

		/* its verdict in: the incident may be watched again */
		assert_int_equal(nhir_watch_finish(w, &e, NULL, NULL, &err), 0);
	}
	nhir_watch_free(w);
	/* a second watch alerts nothing again, and counts it all */
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 5);
	assert_int_equal(sw.known, 5);
	nhir_watch_free(w);
	free(earlier);
	free(before);
	free(after);
	free(minted);
	nhir_store_close(st);
}

struct verdicts {
	int nr, holding;
	char result[32];
};

static int on_verdict(const struct nhir_verdict_check *c, void *data)
{
	struct verdicts *v = data;

	v->nr++;
	v->holding += c->holds;
	snprintf(v->result, sizeof(v->result), "%s", c->result);
	return 0;
}

static void test_upload_and_verdict(void **state)
{
	struct nhir_ingest_result res;
	struct nhir_watch_sweep sw;
	struct nhir_watch_end e;
	struct nhir_verdict_check c;
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	const struct nhir_tele_format *ct = nhir_tele_find("cloudtrail");
	struct seen s[8];
	struct verdicts v;
	struct nhir_watch *w = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char key[4096], pub[4200], *doc = NULL, *up, *p;
	struct nhir_watch_totals tot;
	int64_t inc;
	struct nhir_store *st = setup(&inc);

	(void)state;
	memset(s, 0, sizeof(s));
	snprintf(key, sizeof(key), "%s/watch.key", tl_tmpdir());
	snprintf(pub, sizeof(pub), "%s.pub", key);
	assert_int_equal(nhir_report_keygen(key, NULL), 0);
	rec(&b, "2024-05-01T11:00:00Z", KEY, "GetObject", NULL);
	up = file_of("upload.jsonl", &b);

	/* no watch open: an upload raises nothing */
	memset(&res, 0, sizeof(res));
	assert_int_equal(nhir_ingest_upload(TL_CTX(st, "rae"), ct, up,
					    "first.jsonl", &res, NULL), 0);
	assert_int_equal(nhir_watch_upload(TL_CTX(st, "rae"), res.run_first,
					   on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 0);

	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 600, &w,
					  &err), 0);
	rec(&b, "2024-05-01T11:05:00Z", KEY, "PutObject", NULL);
	p = file_of("upload2.jsonl", &b);
	memset(&res, 0, sizeof(res));
	assert_int_equal(nhir_ingest_upload(TL_CTX(st, "ada"), ct, p,
					    "second.jsonl", &res, NULL), 0);
	assert_int_equal(res.files, 1);
	assert_int_equal(nhir_watch_upload(TL_CTX(st, "ada"), res.run_first,
					   on_alert, s, &sw, &err), 0);
	/* both stored uses: the one before the watch, the upload's */
	assert_int_equal(s[0].nr, 2);
	assert_int_equal(sw.alerts, 2);
	assert_int_equal(sw.watches, 1);

	memset(&e, 0, sizeof(e));
	e.stopped = "elapsed";
	e.keyfile = key;
	assert_int_equal(nhir_watch_finish(w, &e, &doc, &tot, &err), 0);
	/* the uploads' uses count in the watch's verdict */
	assert_string_equal(tot.result, "uses-after-cut");
	assert_int_equal(tot.uses, 2);
	assert_int_equal(tot.alerts, 0);
	assert_int_equal(nhir_watch_verdict_check(doc, strlen(doc), pub, &c,
						  &err), 0);
	assert_true(c.holds);
	assert_string_equal(c.result, "uses-after-cut");
	assert_int_equal(c.uses, 2);
	assert_string_equal(c.stopped, "elapsed");
	/* a byte of the verdict changed: it no longer holds */
	{
		char *q = strstr(doc, "\"uses_after_cut\":2");

		assert_non_null(q);
		q[17] = '0';
		assert_int_equal(nhir_watch_verdict_check(doc, strlen(doc), NULL,
							  &c, &err), 0);
		assert_false(c.holds);
		assert_non_null(strstr(c.why, "changed after it was signed"));
	}
	assert_int_equal(nhir_watch_verdict_check("{\"x\":1}", 7, NULL, &c, &err),
			 NHIR_EPARSE);
	assert_int_equal(nhir_watch_verdict_check("{\"verdict\"", 10, NULL, &c,
						  &err), NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "byte"));

	/* on the record, checked */
	memset(&v, 0, sizeof(v));
	assert_int_equal(nhir_watch_verdicts(TL_CTX(st, "obi"), inc, pub,
					     on_verdict, &v, &err), 0);
	assert_int_equal(v.nr, 1);
	assert_int_equal(v.holding, 1);
	assert_string_equal(v.result, "uses-after-cut");

	/* the verdict closes the watch: uploads are not checked any more */
	memset(&res, 0, sizeof(res));
	rec(&b, "2024-05-01T11:10:00Z", KEY, "DeleteObject", NULL);
	nhir_free(doc);
	doc = file_of("upload3.jsonl", &b);
	assert_int_equal(nhir_ingest_upload(TL_CTX(st, "rae"), ct, doc,
					    "third.jsonl", &res, NULL), 0);
	assert_int_equal(nhir_watch_upload(TL_CTX(st, "rae"), res.run_first,
					   on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 2);
	assert_int_equal(sw.watches, 0);
	free(doc);
	free(up);
	free(p);
	nhir_watch_free(w);
	nhir_store_close(st);
}

/*
 * A cut on an identity (sessions issued before a time denied): a session
 * minted before it is cut then; one minted after is not, and with
 * nothing else known its cut is unknown, so its every use is an alert.
 */
static void test_identity_cut(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	const struct nhir_plan_store_ops *ops = nhir_plan_store(st);
	const struct nhir_tele_format *ct = nhir_tele_find("cloudtrail");
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct nhir_import_result ires;
	struct nhir_ingest_result res;
	struct nhir_watch_sweep sw;
	struct nhir_declare d;
	struct nhir_watch *w = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	const char *seeds[] = { "ASIAOLDSESSION000001", "ASIANEWSESSION000001" };
	struct seen s[8];
	char *f;
	int64_t inc;

	(void)state;
	memset(s, 0, sizeof(s));
	memset(&res, 0, sizeof(res));
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "lee", NHIR_ROLE_LEAD,
				       NULL), 0);
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "rae",
				       NHIR_ROLE_RESPONDER, NULL), 0);
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:role/deploy\"}\n"
		"{\"type\":\"node\",\"kind\":\"token\",\"id\":\"ASIAOLDSESSION000001\",\"subtype\":\"aws-sts-session\",\"created\":\"2024-05-01T10:00:00Z\"}\n"
		"{\"type\":\"node\",\"kind\":\"token\",\"id\":\"ASIANEWSESSION000001\",\"subtype\":\"aws-sts-session\",\"created\":\"2024-05-01T11:00:00Z\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"ASIAOLDSESSION000001\",\"to\":\"arn:aws:iam::1:role/deploy\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"ASIANEWSESSION000001\",\"to\":\"arn:aws:iam::1:role/deploy\"}\n",
		&ires), 0);
	memset(&d, 0, sizeof(d));
	d.title = "sessions";
	d.severity = "high";
	d.lead = "lee";
	d.seeds = seeds;
	d.seed_nr = 2;
	d.exposed_at = NHIR_TIME_UNSET;
	assert_int_equal(nhir_incident_declare(TL_CTX(st, "rae"), &d, &inc,
					       NULL), 0);
	/* sessions of the role issued before 10:30 denied (by no step) */
	assert_int_equal(nhir_store_begin(st, NULL), 0);
	assert_int_equal(ops->cut_put(st, inc,
				      tl_node(st, "arn:aws:iam::1:role/deploy"),
				      t_of("2024-05-01T10:30:00Z"), 0, NULL), 0);
	assert_int_equal(nhir_store_commit(st, NULL), 0);
	rec(&b, "2024-05-01T10:20:00Z", "ASIAOLDSESSION000001", "ListBuckets",
	    NULL);
	rec(&b, "2024-05-01T10:40:00Z", "ASIAOLDSESSION000001", "GetObject",
	    NULL);
	rec(&b, "2024-05-01T11:30:00Z", "ASIANEWSESSION000001", "GetObject",
	    NULL);
	f = file_of("sessions.jsonl", &b);
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_file(w, ct, f, &res, &err), 0);
	assert_int_equal(nhir_watch_sweep(w, on_alert, s, &sw, &err), 0);
	assert_int_equal(s[0].nr, 2);
	assert_int_equal(sw.unknown_cut, 1);
	for (int i = 0; i < 2; i++) {
		if (!strcmp(s[i].key, "ASIAOLDSESSION000001")) {
			assert_string_equal(s[i].basis, "identity-cut");
			assert_int_equal(s[i].cut, t_of("2024-05-01T10:30:00Z"));
			assert_int_equal(s[i].uses, 1);	/* not 10:20 */
		} else {
			assert_string_equal(s[i].key, "ASIANEWSESSION000001");
			assert_string_equal(s[i].basis, "unknown");
			assert_int_equal(s[i].cut, NHIR_TIME_UNSET);
		}
	}
	nhir_watch_free(w);
	free(f);
	nhir_store_close(st);
}

/* Nothing seen is clean only after the whole period with every file read. */
static void test_incomplete(void **state)
{
	struct nhir_watch_totals tot;
	struct nhir_verdict_check c;
	struct nhir_watch_end e;
	struct nhir_watch *w = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	char *doc = NULL;
	int64_t inc;
	struct nhir_store *st = setup(&inc);

	(void)state;
	memset(&e, 0, sizeof(e));
	e.stopped = "signal";
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_finish(w, &e, &doc, &tot, &err), 0);
	assert_string_equal(tot.result, "incomplete");
	assert_int_equal(nhir_watch_verdict_check(doc, strlen(doc), NULL, &c,
						  &err), 0);
	assert_string_equal(c.result, "incomplete");
	assert_string_equal(c.stopped, "signal");
	assert_non_null(strstr(c.incomplete, "stopped before its period"));
	assert_false(c.signed_);
	assert_false(c.holds);
	nhir_watch_free(w);
	nhir_free(doc);

	e.stopped = "elapsed";
	e.files_failed = 1;
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_finish(w, &e, &doc, &tot, &err), 0);
	assert_string_equal(tot.result, "incomplete");
	assert_non_null(strstr(doc, "1 file rejected"));
	nhir_watch_free(w);
	nhir_free(doc);

	e.files_failed = 0;
	e.failed = true;
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_finish(w, &e, NULL, &tot, &err), 0);
	assert_string_equal(tot.result, "incomplete");
	nhir_watch_free(w);

	/* a folder it could not look into hides what landed there */
	e.failed = false;
	e.dirs_unread = 1;
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_finish(w, &e, &doc, &tot, &err), 0);
	assert_string_equal(tot.result, "incomplete");
	assert_non_null(strstr(doc, "1 folder not read"));
	nhir_watch_free(w);
	nhir_free(doc);

	e.dirs_unread = 0;
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_finish(w, &e, NULL, &tot, &err), 0);
	assert_string_equal(tot.result, "clean");
	nhir_watch_free(w);
	nhir_store_close(st);
}

/* One watch of an incident at a time: the second start is refused. */
static void test_one_at_a_time(void **state)
{
	struct nhir_watch_end e;
	struct nhir_watch *w = NULL, *w2 = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t inc;
	struct nhir_store *st = setup(&inc);

	(void)state;
	memset(&e, 0, sizeof(e));
	e.stopped = "signal";
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w2,
					  &err),
			 NHIR_ECONFLICT);
	assert_null(w2);
	assert_non_null(strstr(err.msg, "is watched already: by rae"));
	assert_int_equal(nhir_watch_finish(w, &e, NULL, NULL, &err), 0);
	nhir_watch_free(w);
	/* its verdict in, another may start */
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 60, &w2,
					  &err), 0);
	nhir_watch_free(w2);
	nhir_store_close(st);
}

/* A watched folder that is not there is counted: never "clean". */
static void test_folder_gone(void **state)
{
	static const char *const dirs[] = { "/nonexistent/nhir-watch-folder" };
	struct nhir_watch_totals tot;
	struct nhir_watch_run run;
	struct nhir_watch_end e;
	struct nhir_ingest_result res;
	struct nhir_watch *w = NULL;
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t inc;
	struct nhir_store *st = setup(&inc);

	(void)state;
	memset(&run, 0, sizeof(run));
	memset(&res, 0, sizeof(res));
	run.fmt = nhir_tele_find("cloudtrail");
	run.dirs = dirs;
	run.dir_nr = 1;
	assert_int_equal(nhir_watch_start(TL_CTX(st, "rae"), inc, 1, &w,
					  &err), 0);
	assert_int_equal(nhir_watch_run(w, &run, &res, &e, NULL, &tot, &err), 0);
	assert_string_equal(e.stopped, "elapsed");
	assert_int_equal(e.dirs_unread, 1);
	assert_string_equal(tot.result, "incomplete");
	nhir_watch_free(w);
	nhir_store_close(st);
}

/* What a verdict file may hold: never trusted, never a crash. */
static void test_bad_verdicts(void **state)
{
	static const char *const bad[] = {
		"", "null", "[1]", "{\"verdict\":1}", "{\"verdict\":{",
		"{\"report\":{}}",
	};
	struct nhir_verdict_check c;
	struct nhir_err err = NHIR_ERR_INIT;
	const char *s;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		assert_int_equal(nhir_watch_verdict_check(bad[i], strlen(bad[i]),
							  NULL, &c, &err),
				 NHIR_EPARSE);
		assert_true(err.msg[0] != 0);
	}
	s = "{\"verdict\":{\"result\":\"clean\",\"uses_after_cut\":1e300},"
	    "\"signature\":{\"public_key\":\"zz\",\"signature\":\"00\"}}";
	assert_int_equal(nhir_watch_verdict_check(s, strlen(s), NULL, &c, &err),
			 0);
	assert_true(c.signed_);
	assert_false(c.holds);
	assert_non_null(strstr(c.why, "not an Ed25519"));
	assert_int_equal(c.uses, UINT64_C(9007199254740992));
	s = "{\"verdict\":{\"uses_after_cut\":-5}}";
	assert_int_equal(nhir_watch_verdict_check(s, strlen(s), NULL, &c, &err),
			 0);
	assert_int_equal(c.uses, 0);
	assert_string_equal(c.why, "not signed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut_times_and_alerts),
		cmocka_unit_test(test_upload_and_verdict),
		cmocka_unit_test(test_identity_cut),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_folder_gone),
		cmocka_unit_test(test_one_at_a_time),
		cmocka_unit_test(test_bad_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
