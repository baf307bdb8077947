/*
 * CloudTrail ingestion: events with provenance, the lineage they reveal,
 * usage and blast on top, and bad input.  Fixtures in
 * examples/telemetry/cloudtrail; the Invictus attack data when present.
 */
#include "lib/testlib.h"
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <sodium.h>
#include <zlib.h>

static const struct nhir_tele_format *ct(void)
{
	const struct nhir_tele_format *f = nhir_tele_find("cloudtrail");

	assert_non_null(f);
	return f;
}

static enum nhir_rc ingest(struct nhir_store *st, const char *path,
			   struct nhir_ingest_result *res)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	memset(res, 0, sizeof(*res));
	rc = nhir_ingest_path(TL_CTX(st, "tester"), ct(), path, NULL, NULL, res,
			      &err);
	if (rc && rc != NHIR_EPARSE)
		print_message("ingest %s: %s\n", path, err.msg);
	return rc;
}

static struct nhir_store *fixture_store(char **path)
{
	struct nhir_store *st = tl_new_store(path);
	struct nhir_ingest_result res;

	assert_int_equal(ingest(st, "examples/telemetry/cloudtrail", &res), 0);
	assert_int_equal(res.files, 2);
	assert_int_equal(res.events, 12);
	assert_int_equal(res.malformed, 0);
	return st;
}

static void test_lineage(void **state)
{
	struct nhir_store *st = fixture_store(NULL);
	struct nhir_node n;
	struct nhir_ingest_result res;

	(void)state;
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "ASIAEXAMPLESESSION1"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_TOKEN);
	assert_int_equal(n.created, 1714550460);	/* 08:01 */
	assert_int_equal(n.expires, 1714554060);	/* "May 1, 2024, 9:01:00 AM" */
	nhir_node_release(&n);
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "ASIAEXAMPLESESSION2"), &n, NULL), 0);
	assert_int_equal(n.expires, 1714602600);	/* 10:30 PM */
	nhir_node_release(&n);
	assert_int_equal(nhir_store_get_node(st,
		tl_node(st, "AKIAEXAMPLEBACKDOOR"), &n, NULL), 0);
	assert_int_equal(n.kind, NHIR_NODE_CREDENTIAL);
	nhir_node_release(&n);
	assert_true(tl_node(st, "arn:aws:iam::111122223333:user/backup-admin") > 0);
	assert_true(tl_node(st, "arn:aws:iam::111122223333:role/payments-admin") > 0);

	/* the same files again: skipped whole */
	assert_int_equal(ingest(st, "examples/telemetry/cloudtrail", &res), 0);
	assert_int_equal(res.files, 0);
	assert_int_equal(res.files_seen, 2);
	assert_int_equal(res.events, 0);
	nhir_store_close(st);
}

static const struct nhir_usage_key *find_key(const struct nhir_usage *u,
					     const char *k)
{
	for (size_t i = 0; i < u->nr; i++)
		if (!strcmp(u->keys[i].key, k))
			return &u->keys[i];
	fail_msg("key %s not in usage", k);
	return NULL;
}

static void test_usage(void **state)
{
	struct nhir_store *st = fixture_store(NULL);
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     1714554000 /* 09:00 */, 0, false };
	const struct nhir_usage_key *k;
	bool saw_after = false, saw_before = false, persist = false,
	     escal = false;

	(void)state;
	assert_int_equal(nhir_usage_collect(st, "AKIAEXAMPLEDEPLOY01", &o, &u,
					    NULL), 0);
	k = &u.keys[0];
	assert_string_equal(k->key, "AKIAEXAMPLEDEPLOY01");
	assert_int_equal(k->use.events, 8);
	assert_int_equal(k->use.failed, 1);
	assert_int_equal(k->use.first, 1714550400);
	for (size_t s = 0; s < k->src_nr; s++) {
		if (!strcmp(k->src[s].ip, "198.51.100.7"))
			saw_after = k->src[s].after_exposure;
		if (!strcmp(k->src[s].ip, "203.0.113.10"))
			saw_before = !k->src[s].after_exposure;
	}
	assert_true(saw_after);
	assert_true(saw_before);
	/* 10:30:00 from one address, 10:30:30 from another */
	assert_true(k->use.concurrent >= 1);
	for (size_t n = 0; n < k->note_nr; n++) {
		persist |= (k->note[n].flags & NHIR_EV_PERSISTENCE) &&
			   !strcmp(k->note[n].action, "iam:CreateAccessKey");
		escal |= (k->note[n].flags & NHIR_EV_ESCALATION) &&
			 !strcmp(k->note[n].action, "iam:AttachUserPolicy");
	}
	assert_true(persist);
	assert_true(escal);
	/* what it minted, and what that minted */
	assert_int_equal(find_key(&u, "ASIAEXAMPLESESSION1")->depth, 1);
	assert_int_equal(find_key(&u, "ASIAEXAMPLESESSION1")->use.events, 2);
	assert_int_equal(find_key(&u, "ASIAEXAMPLECHAINED")->depth, 2);
	assert_string_equal(find_key(&u, "ASIAEXAMPLECHAINED")->minted_by,
			    "ASIAEXAMPLESESSION1");
	assert_string_equal(find_key(&u, "AKIAEXAMPLEBACKDOOR")->via, "created");
	assert_int_equal(find_key(&u, "AKIAEXAMPLEBACKDOOR")->use.events, 1);
	assert_int_equal(find_key(&u, "ASIAEXAMPLESESSION2")->use.events, 0);
	assert_int_equal(u.nr, 5);
	nhir_usage_release(&u);

	/* --since narrows the events, not the lineage */
	o.since = 1714554000;
	assert_int_equal(nhir_usage_collect(st, "AKIAEXAMPLEDEPLOY01", &o, &u,
					    NULL), 0);
	assert_int_equal(u.keys[0].use.events, 6);
	assert_int_equal(u.nr, 5);
	nhir_usage_release(&u);
	nhir_store_close(st);
}

static void test_blast_sees_telemetry(void **state)
{
	struct nhir_store *st = fixture_store(NULL);
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	/* 10:35, exposed at 09:00 */
	struct nhir_blast_opts o = { 1714559700, 1714554000, 0 };
	uint32_t seed;
	int tokens = 0, persist = 0;

	(void)state;
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	seed = nhir_graph_find(g, tl_node(st, "AKIAEXAMPLEDEPLOY01"));
	assert_int_equal(nhir_blast_run(g, &seed, 1, &o, &b, NULL), 0);
	for (size_t i = 0; i < b.nr; i++) {
		int64_t id = g->node_id[b.items[i].node];

		if (b.items[i].group == NHIR_BG_TOKEN) {
			/* SESSION1 and the chained one expired at 09:0x */
			assert_int_equal(id, tl_node(st, "ASIAEXAMPLESESSION2"));
			assert_true(b.items[i].flags & NHIR_BI_SURVIVES);
			assert_true(b.items[i].flags & NHIR_BI_SUSPECT);
			tokens++;
		}
		if (b.items[i].group == NHIR_BG_PERSISTENCE) {
			assert_true(b.items[i].flags & NHIR_BI_SUSPECT);
			persist++;
		}
	}
	assert_int_equal(tokens, 1);
	assert_int_equal(persist, 2);	/* the user and its key */
	nhir_blast_release(&b);
	nhir_graph_free(g);
	nhir_store_close(st);
}

struct prov {
	struct nhir_store *st;
	int checked;
};

/*
 * An event's provenance pins its record: the file it names is the one
 * with that SHA-256, and its offset and length hold the record.
 */
static int check_prov(const struct nhir_event *e, void *data)
{
	struct prov *p = data;
	char *path = nhir_store_file_path(p->st, e->file);
	unsigned char h[32];
	char hex[65], name[96];
	int64_t id = 0;
	size_t len;
	char *bytes = tl_read_file(path, &len);
	cJSON *rec;
	const char *ev;

	assert_non_null(bytes);
	crypto_hash_sha256(h, (unsigned char *)bytes, len);
	for (int k = 0; k < 32; k++)
		snprintf(hex + 2 * k, 3, "%02x", h[k]);
	assert_int_equal(nhir_store_file_find(p->st, hex, &id, NULL), 0);
	assert_int_equal(id, e->file);
	assert_true(e->offset + e->len <= len);
	assert_int_equal(bytes[e->offset], '{');
	assert_int_equal(bytes[e->offset + e->len - 1], '}');
	rec = cJSON_ParseWithLength(bytes + e->offset, e->len);
	assert_non_null(rec);
	ev = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "eventName"));
	assert_non_null(ev);
	snprintf(name, sizeof(name), ":%s", ev);
	assert_non_null(e->action);
	assert_non_null(strstr(e->action, name));
	cJSON_Delete(rec);
	nhir_free(path);
	free(bytes);
	p->checked++;
	return 0;
}

static void test_provenance(void **state)
{
	struct nhir_store *st = fixture_store(NULL);
	const char *keys[] = { "AKIAEXAMPLEDEPLOY01", "ASIAEXAMPLESESSION1" };
	struct nhir_event_query q = { keys, 2, NULL, NHIR_TIME_UNSET,
				      NHIR_TIME_UNSET, false, false, 0 };
	struct prov p = { st, 0 };

	(void)state;
	assert_int_equal(nhir_store_events(st, &q, check_prov, &p, NULL), 0);
	assert_int_equal(p.checked, 10);
	nhir_store_close(st);
}

/* Writes data gzip-compressed to a new temporary file. */
static char *write_gz(const char *name, const char *data, size_t len)
{
	char *path = tl_write_file(name, "");
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	gzclose(gz);
	return path;
}

static void test_gzip(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	size_t len;
	char *data = tl_read_file("examples/telemetry/cloudtrail/delivery.json", &len);
	char *path = write_gz("delivery.json.gz", data, len);

	(void)state;
	assert_int_equal(ingest(st, path, &res), 0);
	assert_int_equal(res.events, 5);
	assert_true(tl_node(st, "ASIAEXAMPLECHAINED") > 0);
	free(path);
	free(data);
	nhir_store_close(st);
}

/*
 * An ingest or a hunt that changes lineage makes the graph cache again
 * itself, whoever calls it (the command line, the server, watch): the
 * cache beside a new SQLite file exists after the call alone.
 */
static bool cache_made(const char *db)
{
	char cache[4096];
	struct stat sb;

	snprintf(cache, sizeof(cache), "%s-graph", db);
	return stat(cache, &sb) == 0 && sb.st_size > 0;
}

static void test_graph_cache(void **state)
{
	const char *keys[] = { "AKIAEXAMPLEDEPLOY01" };
	const char *paths[] = { "examples/telemetry/cloudtrail" };
	struct nhir_hunt_result hres;
	struct nhir_err err = NHIR_ERR_INIT;
	char *path;
	struct nhir_store *st;

	(void)state;
	st = fixture_store(&path);
	if (strncmp(path, "postgresql:", 11)) {
		assert_true(cache_made(path));
	}
	nhir_store_close(st);
	free(path);

	st = tl_new_store(&path);
	memset(&hres, 0, sizeof(hres));
	assert_int_equal(nhir_hunt(TL_CTX(st, "tester"), ct(), keys, 1, paths,
				   1, &hres, &err), 0);
	assert_true(hres.in.lineage > 0);
	assert_string_equal(hres.in.graph_error, "");
	if (strncmp(path, "postgresql:", 11)) {
		assert_true(cache_made(path));
	}
	nhir_store_close(st);
	free(path);
}

static void test_bad_files(void **state)
{
	char *dbpath = NULL, *before, *after, *path;
	struct nhir_store *st = tl_new_store(&dbpath);
	struct nhir_ingest_result res;
	size_t len;
	char *data = tl_read_file("examples/telemetry/cloudtrail/delivery.json", &len);
	char *big;
	FILE *f;

	(void)state;
	before = tl_dump(dbpath);

	/* a .gz cut short */
	path = write_gz("cut.json.gz", data, len);
	assert_int_equal(truncate(path, 200), 0);
	assert_int_equal(ingest(st, path, &res), NHIR_EPARSE);
	assert_int_equal(res.files_failed, 1);
	assert_non_null(strstr(res.diags[0].msg, "truncated"));
	free(path);

	/* a delivery file that stops inside the array */
	path = tl_write_file("short.json", "{\"Records\":[{\"eventTime\":"
			     "\"2024-05-01T08:00:00Z\",\"eventSource\":"
			     "\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\"},");
	assert_int_equal(ingest(st, path, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.diags[0].msg, "ends"));
	free(path);

	/* not CloudTrail: a Kubernetes audit event */
	path = tl_write_file("k8s.jsonl", "{\"kind\":\"Event\",\"apiVersion\":"
			     "\"audit.k8s.io/v1\",\"verb\":\"get\"}\n");
	assert_int_equal(ingest(st, path, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.diags[0].msg, "not cloudtrail"));
	free(path);

	/* not JSON at all */
	path = tl_write_file("text.log", "hello world\n");
	assert_int_equal(ingest(st, path, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.diags[0].msg, "not cloudtrail"));
	free(path);

	/* a record over the size limit */
	big = malloc(NHIR_MAX_RECORD_LEN + 100);
	memcpy(big, "{\"eventName\":\"", 14);
	memset(big + 14, 'a', NHIR_MAX_RECORD_LEN + 10);
	strcpy(big + 14 + NHIR_MAX_RECORD_LEN + 10, "\"}\n");
	path = tl_write_file("big.jsonl", big);
	free(big);
	assert_int_equal(ingest(st, path, &res), NHIR_EPARSE);
	assert_non_null(strstr(res.diags[0].msg, "larger than"));
	free(path);

	after = tl_dump(dbpath);
	assert_string_equal(before, after);
	free(after);

	/* a malformed line is skipped and counted; the rest is stored */
	path = tl_write_file("mixed.jsonl", "");
	f = fopen(path, "w");
	fputs("{\"eventTime\":\"2024-05-01T08:00:00Z\",\"eventSource\":"
	      "\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\"}\n", f);
	fputs("{\"eventTime\": broken\n", f);
	fputs("{\"eventSource\":\"s3.amazonaws.com\"}\n", f);
	fputs("{\"eventTime\":\"2024-05-01T08:01:00Z\",\"eventSource\":"
	      "\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}\n", f);
	fclose(f);
	assert_int_equal(ingest(st, path, &res), 0);
	assert_int_equal(res.events, 2);
	assert_int_equal(res.malformed, 2);
	assert_int_equal(res.diag_nr, 2);
	assert_non_null(strstr(res.diags[1].msg, "needs eventTime"));
	free(path);
	free(before);
	free(data);
	free(dbpath);
	nhir_store_close(st);
}

struct ends {
	char how[8][32], name[8][40];
	int64_t time[8];
	size_t nr;
};

static int collect_end(const struct nhir_node_end *e, void *data)
{
	struct ends *x = data;

	if (x->nr < 8) {
		snprintf(x->how[x->nr], sizeof(x->how[0]), "%s",
			 nhir_end_how_name(e->how));
		snprintf(x->name[x->nr], sizeof(x->name[0]), "%s",
			 e->event_name);
		x->time[x->nr++] = e->time;
	}
	assert_non_null(e->path);
	assert_true(e->offset > 0);
	return 0;
}

static struct ends ends_of(struct nhir_store *st, const char *ext)
{
	struct ends x;

	memset(&x, 0, sizeof(x));
	assert_int_equal(nhir_store_node_ends(st, tl_node(st, ext), collect_end,
					      &x, NULL), 0);
	return x;
}

/*
 * End facts from CloudTrail (tests/data/cloudtrail-ended): deletions,
 * a deactivation and re-activation, a failed deletion that ends
 * nothing, a deletion read before what it deletes was created, and a
 * role's older sessions revoked then lifted.
 */
static void test_end_facts(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	struct ends x;

	(void)state;
	assert_int_equal(ingest(st, "tests/data/cloudtrail-ended", &res), 0);
	assert_int_equal(res.malformed, 0);
	x = ends_of(st, "arn:aws:iam::111122223333:role/persist-role");
	assert_int_equal(x.nr, 1);
	assert_string_equal(x.how[0], "deleted");
	assert_string_equal(x.name[0], "DeleteRole");
	assert_int_equal(x.time[0], 1714559400);	/* 10:30 */
	x = ends_of(st, "arn:aws:iam::111122223333:user/temp-user");
	assert_int_equal(x.nr, 1);
	assert_string_equal(x.name[0], "DeleteUser");
	x = ends_of(st, "arn:aws:iam::111122223333:user/helper#login-profile");
	assert_string_equal(x.name[0], "DeleteLoginProfile");
	x = ends_of(st, "AKIAEXAMPLEHELPER001");
	assert_int_equal(x.nr, 2);
	assert_string_equal(x.how[0], "deactivated");
	assert_string_equal(x.how[1], "reactivated");
	x = ends_of(st, "AKIAEXAMPLEFAILDEL01");
	assert_int_equal(x.nr, 0);
	x = ends_of(st, "arn:aws:iam::111122223333:role/admin");
	assert_int_equal(x.nr, 2);
	assert_string_equal(x.how[0], "revoked-sessions-before");
	assert_string_equal(x.name[0], "PutRolePolicy");
	assert_string_equal(x.how[1], "sessions-restored");
	assert_string_equal(x.name[1], "DeleteRolePolicy");
	nhir_store_close(st);
}

static void test_invictus(void **state)
{
	static const char *const sessions[] = {
		"ASIATFQR7NSC2632JLFK", "ASIATFQR7NSC2AF7XJOS",
		"ASIATFQR7NSC6LRKSQNV", "ASIATFQR7NSC7E2ZIBM2",
		"ASIATFQR7NSC7TITDFL2", "ASIATFQR7NSCQJB6MQOY",
		"ASIATFQR7NSCR2E3KSFW", "ASIATFQR7NSCVW2R4OHT",
		"ASIATFQR7NSCWLLE7IWW", "ASIATFQR7NSCXLFJ4S5E",
	};
	static const char *const keys[] = {
		"AKIATFQR7NSC3ZO6PKAZ", "AKIATFQR7NSCQLA2F4OD",
	};
	struct nhir_store *st;
	struct nhir_ingest_result res;
	struct nhir_usage u;
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	/* 12:04:00, when some of its sessions are live */
	struct nhir_blast_opts bo = { 1688990640, NHIR_TIME_UNSET, 0 };
	uint32_t seed;
	size_t live = 0, made = 0;
	char *dir;

	(void)state;
	TL_SKIP_NO_DATA(dir, "invictus-aws-stratus-cloudtrail/CloudTrail");
	st = tl_new_store(NULL);
	assert_int_equal(ingest(st, dir, &res), 0);
	assert_int_equal(res.files, 55);
	assert_int_equal(res.events, 2900);
	assert_int_equal(nhir_usage_collect(st, "AKIATFQR7NSC8Q4X20BJ", &o, &u,
					    NULL), 0);
	assert_int_equal(u.keys[0].use.events, 2104);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(sessions); i++)
		assert_string_equal(find_key(&u, sessions[i])->via, "issued");
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(keys); i++)
		assert_string_equal(find_key(&u, keys[i])->via, "created");
	nhir_usage_release(&u);

	/* blast at 12:04: sessions live then */
	assert_int_equal(nhir_store_load_graph(st, &g, NULL), 0);
	seed = nhir_graph_find(g, tl_node(st, "AKIATFQR7NSC8Q4X20BJ"));
	assert_int_equal(nhir_blast_run(g, &seed, 1, &bo, &b, NULL), 0);
	for (size_t i = 0; i < b.nr; i++)
		live += b.items[i].group == NHIR_BG_TOKEN;
	assert_true(live >= 1);
	nhir_blast_release(&b);
	/* at 12:26: every key it made (at 12:24) is live persistence */
	bo.at = 1688991960;
	assert_int_equal(nhir_blast_run(g, &seed, 1, &bo, &b, NULL), 0);
	for (size_t i = 0; i < b.nr; i++)
		for (size_t k = 0; k < NHIR_ARRAY_SIZE(keys); k++)
			made += b.items[i].group == NHIR_BG_PERSISTENCE &&
				g->node_id[b.items[i].node] ==
					tl_node(st, keys[k]);
	assert_int_equal(made, 2);
	nhir_blast_release(&b);
	/* at 12:50 the attacker has deleted them (12:28): ended, not live */
	bo.at = 1688993400;
	made = 0;
	assert_int_equal(nhir_blast_run(g, &seed, 1, &bo, &b, NULL), 0);
	for (size_t i = 0; i < b.nr; i++)
		for (size_t k = 0; k < NHIR_ARRAY_SIZE(keys); k++)
			made += b.items[i].group == NHIR_BG_ENDED &&
				g->node_id[b.items[i].node] ==
					tl_node(st, keys[k]);
	assert_int_equal(made, 2);
	assert_int_equal(b.group_nr[NHIR_BG_PERSISTENCE], 0);
	nhir_blast_release(&b);
	/* over the whole hour every session was live at some time */
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(sessions); i++) {
		struct nhir_node n;

		assert_int_equal(nhir_store_get_node(st, tl_node(st, sessions[i]),
						     &n, NULL), 0);
		bo.at = n.created;
		nhir_node_release(&n);
		assert_int_equal(nhir_blast_run(g, &seed, 1, &bo, &b, NULL), 0);
		live = 0;
		for (size_t j = 0; j < b.nr; j++)
			live += g->node_id[b.items[j].node] ==
				tl_node(st, sessions[i]);
		assert_int_equal(live, 1);
		nhir_blast_release(&b);
	}
	nhir_graph_free(g);
	free(dir);
	nhir_store_close(st);
}

/*
 * Shapes: a byte order mark, one record twice in a file (stored once,
 * counted as repeated), the same record in two files of one run (not
 * "stored before"), and problems past the kept ten (counted, and each
 * given to on_diag).
 */
static void count_diag(const struct nhir_ingest_diag *d, void *data)
{
	(void)d;
	(*(int *)data)++;
}

static void test_shapes(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ingest_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	const char *r = "{\"eventTime\":\"2024-06-01T08:00:00Z\","
		"\"eventSource\":\"s3.amazonaws.com\",\"eventName\":"
		"\"GetObject\",\"userIdentity\":{\"accessKeyId\":"
		"\"AKIAEXAMPLESHAPES01\"}";
	char buf[4096], *p;
	int seen = 0;

	(void)state;
	snprintf(buf, sizeof(buf), "\xef\xbb\xbf%s,\"eventID\":\"a\"}\n"
		 "%s,\"eventID\":\"b\"}\n%s,\"eventID\":\"a\"}\n%s}\n%s}\n",
		 r, r, r, r, r);
	p = tl_write_file("shapes.jsonl", buf);
	assert_int_equal(ingest(st, p, &res), 0);
	assert_int_equal(res.events, 3);
	assert_int_equal(res.repeated, 2);
	assert_int_equal(res.duplicates, 0);
	free(p);
	/* the same records again, in two files read in one run */
	memset(&res, 0, sizeof(res));
	snprintf(buf, sizeof(buf), "%s,\"eventID\":\"c\"}\n", r);
	p = tl_write_file("one.jsonl", buf);
	assert_int_equal(nhir_ingest_path(TL_CTX(st, "tester"), ct(), p, NULL,
					  NULL, &res, &err), 0);
	free(p);
	snprintf(buf, sizeof(buf), "%s,\"eventID\":\"c\"} \n", r);
	p = tl_write_file("two.jsonl", buf);
	assert_int_equal(nhir_ingest_path(TL_CTX(st, "tester"), ct(), p, NULL,
					  NULL, &res, &err), 0);
	free(p);
	assert_int_equal(res.events, 1);
	assert_int_equal(res.dup_run, 1);
	assert_int_equal(res.duplicates, 0);
	/* 12 bad lines: ten kept, all counted, all handed over */
	buf[0] = '\0';
	for (int i = 0; i < 12; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
			 "%s,\"eventID\":\"x%d\"}\n{\"eventTime\": nope\n", r, i);
	p = tl_write_file("bad.jsonl", buf);
	memset(&res, 0, sizeof(res));
	res.on_diag = count_diag;
	res.diag_data = &seen;
	assert_int_equal(nhir_ingest_path(TL_CTX(st, "tester"), ct(), p, NULL,
					  NULL, &res, &err), 0);
	free(p);
	assert_int_equal(res.malformed, 12);
	assert_int_equal(res.diag_nr, NHIR_INGEST_DIAG_MAX);
	assert_int_equal(res.diag_total, 12);
	assert_int_equal(seen, 12);
	nhir_store_close(st);
}

/*
 * References: an id nhir has never seen is ENOTFOUND with the nearest
 * known ids; an identity stands for the credentials acting as it; the
 * provider's own source addresses are known as such.
 */
static void test_refs(void **state)
{
	struct nhir_store *st = fixture_store(NULL);
	char near[5][NHIR_SUGGEST_LEN];
	struct nhir_ref_keys r;
	struct nhir_err err = NHIR_ERR_INIT;
	size_t nr = 0;
	bool deploy = false;

	(void)state;
	assert_int_equal(nhir_store_suggest(st, "AKIAEXAMPLEDEPLOY0l", near, 5,
					    &nr, NULL), 0);
	assert_true(nr >= 1);
	assert_string_equal(near[0], "AKIAEXAMPLEDEPLOY01");
	assert_int_equal(nhir_store_suggest(st, "akiaexampledeploy01", near, 5,
					    &nr, NULL), 0);
	assert_true(nr >= 1);
	assert_string_equal(near[0], "AKIAEXAMPLEDEPLOY01");
	assert_int_equal(nhir_store_suggest(st, "zz", near, 5, &nr, NULL), 0);
	assert_int_equal(nr, 0);

	assert_int_equal(nhir_usage_ref(st, "AKIAEXAMPLEDEPLOY0l", &r, &err),
			 NHIR_ENOTFOUND);
	assert_non_null(strstr(err.msg, "unknown credential"));
	assert_int_equal(nhir_usage_ref(st, "AKIAEXAMPLEDEPLOY01", &r, NULL), 0);
	assert_false(r.identity);
	assert_int_equal(r.nr, 1);
	nhir_ref_keys_release(&r);
	assert_int_equal(nhir_usage_ref(st,
		"arn:aws:iam::111122223333:user/ci-deployer", &r, NULL), 0);
	assert_true(r.identity);
	for (size_t i = 0; i < r.nr; i++)
		deploy |= !strcmp(r.keys[i], "AKIAEXAMPLEDEPLOY01");
	assert_true(deploy);
	nhir_ref_keys_release(&r);

	assert_true(nhir_ev_internal_source("AWS Internal"));
	assert_true(nhir_ev_internal_source("ec2.amazonaws.com"));
	assert_false(nhir_ev_internal_source(".amazonaws.com"));
	assert_false(nhir_ev_internal_source("ec2.amazonaws.com.example.net"));
	assert_false(nhir_ev_internal_source("aws internal"));
	assert_false(nhir_ev_internal_source("198.51.100.7"));
	assert_false(nhir_ev_internal_source(NULL));
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lineage),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_blast_sees_telemetry),
		cmocka_unit_test(test_provenance),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_graph_cache),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_end_facts),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_invictus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
