/* Report parsers, previews, key ids, routing policy and decisions. */
#include "lib/testlib.h"

static void test_preview_and_key_id(void **state)
{
	char out[96], id[21];

	(void)state;
	nhir_secret_preview("AKIAIOSFODNN7EXAMPLE", 20, out, sizeof(out));
	assert_string_equal(out, "AKIAIOSFODNN7EXAMPLE");
	nhir_secret_preview("ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 40, out, sizeof(out));
	assert_string_equal(out, "ghp_... (40 chars)");
	nhir_secret_preview("hunter22", 8, out, sizeof(out));
	assert_string_equal(out, "hu... (8 chars)");
	nhir_secret_preview("abc", 3, out, sizeof(out));
	assert_string_equal(out, "... (3 chars)");
	nhir_secret_preview("\x01\x02\x03\x04zzzzzzzzzzzzzzzz", 20, out, sizeof(out));
	assert_string_equal(out, "????... (20 chars)");
	assert_true(nhir_find_aws_key_id("key=AKIAIOSFODNN7EXAMPLE;", 25, id));
	assert_string_equal(id, "AKIAIOSFODNN7EXAMPLE");
	assert_false(nhir_find_aws_key_id("XAKIAIOSFODNN7EXAMPLE", 21, id));
	assert_false(nhir_find_aws_key_id("AKIAIOSFODNN7EXAMPLEX", 21, id));
	assert_false(nhir_find_aws_key_id("AKIAIOSFODNN7EXAMPL", 19, id));
	assert_true(nhir_find_aws_key_id("ASIAIOSFODNN7EXAMPLE", 20, id));
}

struct got {
	int n;
	char file[8][64];
	int64_t line[8];
	int verified[8];
};

static int got_cb(const struct nhir_sighting *s, void *data)
{
	struct got *g = data;

	if (g->n < 8) {
		snprintf(g->file[g->n], sizeof(g->file[0]), "%s", s->file ? s->file : "");
		g->line[g->n] = s->line;
		g->verified[g->n] = s->verified;
	}
	g->n++;
	return 0;
}

static enum nhir_rc parse(const char *fmt, const char *text, struct got *g,
			  struct nhir_scanner_stats *st, struct nhir_err *err)
{
	memset(g, 0, sizeof(*g));
	memset(st, 0, sizeof(*st));
	return nhir_scanner_find(fmt)->parse(text, strlen(text), got_cb, g, st, err);
}

static void test_reports(void **state)
{
	struct got g;
	struct nhir_scanner_stats st;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	assert_null(nhir_scanner_find("snyk"));
	/* gitleaks: one good, one without File, one redacted */
	assert_int_equal(parse("gitleaks",
		"[{\"RuleID\":\"r\",\"Secret\":\"s3cr3t-value-1\",\"File\":\"a.go\",\"StartLine\":4},\n"
		" {\"RuleID\":\"r\",\"Secret\":\"s3cr3t-value-2\"},\n"
		" {\"RuleID\":\"r\",\"Secret\":\"REDACTED\",\"Fingerprint\":\"c:a.go:r:4\",\"File\":\"a.go\"}]",
		&g, &st, &err), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.file[0], "a.go");
	assert_int_equal(g.line[0], 4);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.problems[0].line, 2);
	assert_int_equal(parse("gitleaks", "[]", &g, &st, &err), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(parse("gitleaks", "{\"a\":1}", &g, &st, &err), NHIR_EPARSE);
	assert_int_equal(parse("gitleaks", "[{\"x\":1}]", &g, &st, &err), NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "no RuleID"));
	assert_int_equal(parse("gitleaks", "[{\"RuleID\":\"r\",\n\"File\":", &g, &st, &err), NHIR_EPARSE);
	assert_non_null(strstr(err.msg, "line 2"));

	/* trufflehog: JSON lines with a broken line in the middle */
	assert_int_equal(parse("trufflehog",
		"{\"SourceMetadata\":{\"Data\":{\"Filesystem\":{\"file\":\"x\",\"line\":2}}},\"DetectorName\":\"A\",\"Verified\":true,\"Raw\":\"abcdefgh1\"}\n"
		"{\"SourceMetadata\":{\"Data\"\n"
		"{\"SourceMetadata\":{\"Data\":{\"Git\":{\"repository\":\"r\"}}},\"DetectorName\":\"A\",\"Verified\":false,\"Raw\":\"abcdefgh2\"}\n",
		&g, &st, &err), 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.verified[0], 1);
	assert_int_equal(g.verified[1], -1);
	assert_int_equal(st.bad, 1);
	assert_int_equal(st.problems[0].line, 2);

	/* SARIF: results without snippet or location are located */
	assert_int_equal(parse("sarif",
		"{\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{\"name\":\"g\"}},\"results\":[\n"
		"{\"ruleId\":\"a\",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"f.py\"},\"region\":{\"startLine\":9,\"snippet\":{\"text\":\"tok-123456\"}}}}]},\n"
		"{\"ruleId\":\"b\",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":\"f.py\"}}}]},\n"
		"{\"ruleId\":\"c\"}]}]}", &g, &st, &err), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.line[0], 9);
	assert_int_equal(st.bad, 2);
	assert_int_equal(st.problems[0].line, 3);
	assert_non_null(strstr(st.problems[0].msg, "snippet"));
	assert_non_null(strstr(st.problems[1].msg, "no location"));
	assert_int_equal(parse("sarif", "{\"runs\":[]}", &g, &st, &err), NHIR_EPARSE);

	/* GitHub: webhook without secret, REST alert with one */
	assert_int_equal(parse("github-secret-scanning",
		"{\"action\":\"created\",\"alert\":{\"number\":2,\"secret_type\":\"t\",\"validity\":\"inactive\"},\"repository\":{\"full_name\":\"o/r\"}}",
		&g, &st, &err), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.verified[0], 0);
	assert_int_equal(parse("github-secret-scanning",
		"{\"action\":\"created\",\"alert\":{\"secret_type\":\"t\"}}", &g, &st, &err), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(st.bad, 1);

	/* generic */
	assert_int_equal(parse("generic", "{\"detector\":\"d\",\"secret\":\"x\"}", &g, &st, &err), 0);
	assert_int_equal(st.bad, 1);
	assert_non_null(strstr(st.problems[0].msg, "no location"));
	assert_int_equal(parse("generic", "not json", &g, &st, &err), NHIR_EPARSE);
}

static const char policy[] =
	"version: 1\n"
	"rules:\n"
	"  - name: admin\n"
	"    when:\n"
	"      privilege: admin\n"
	"    route: dedicated\n"
	"    queue: q1\n"
	"  - name: slack\n"
	"    when:\n"
	"      kind: [slack-token, github-token]\n"
	"      live_tokens: {max: 0}\n"
	"      verified: true\n"
	"    route: automated\n"
	"    action: revoke\n"
	"  - name: rest\n"
	"    route: dismiss\n"
	"    reason: r\n";

static void test_policy(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "rules: []\n", "x.yaml:1: version must be 1" },
		{ "version: 1\nrules: []\n", "rules must be a non-empty list" },
		{ "version: 1\nrules:\n  - route: dismiss\n    reason: r\n", "x.yaml:3: a rule needs a name" },
		{ "version: 1\nrules:\n  - name: a\n    route: eventually\n", "rule 'a': unknown route 'eventually'" },
		{ "version: 1\nrules:\n  - name: a\n    route: automated\n    queue: q\n", "route automated needs action" },
		{ "version: 1\nrules:\n  - name: a\n    when:\n      live_tokens: lots\n    route: dismiss\n    reason: r\n", "x.yaml:5: rule 'a': 'live_tokens' takes a number" },
		{ "version: 1\nrules:\n  - name: a\n    when:\n      verified: maybe\n    route: dismiss\n    reason: r\n", "'verified' takes true or false or unknown" },
		{ "version: 1\nrules:\n  - name: a\n    route: dismiss\n    reason: r\n  - name: a\n    route: dismiss\n    reason: r\n", "the name is used twice" },
		{ "version: 1\nrules:\n  - name: a\n    route: dismiss\n    reason: r\n    colour: red\n", "unknown key 'colour'" },
		{ "version: 1\nrules: [\n", "x.yaml:3:1:" },
		{ "", "x.yaml:" },
	};
	struct nhir_route_policy *p;
	struct nhir_route_facts f;
	struct nhir_route_decision d;
	struct nhir_err err = NHIR_ERR_INIT;

	(void)state;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(bad); i++) {
		assert_int_equal(nhir_route_parse(bad[i].text, strlen(bad[i].text), "x.yaml", &p, &err), NHIR_EPARSE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i].msg);
	}
	assert_int_equal(nhir_route_parse(policy, strlen(policy), "p", &p, &err), 0);
	assert_int_equal(nhir_route_rule_count(p), 3);
	memset(&f, 0, sizeof(f));
	f.verified = 1;
	strcpy(f.kind, "github-token");
	assert_true(nhir_route_decide(p, &f, &d, NULL, NULL));
	assert_string_equal(d.rule, "slack");
	assert_string_equal(d.to, "revoke");
	f.live_tokens = 2;
	assert_true(nhir_route_decide(p, &f, &d, NULL, NULL));
	assert_string_equal(d.outcome, "dismiss");
	f.privilege = NHIR_PRIV_ADMIN;
	assert_true(nhir_route_decide(p, &f, &d, NULL, NULL));
	assert_string_equal(d.to, "q1");
	assert_int_equal(d.line, 3);

	/*
	 * Unknown is never none: with its privilege unknown, the same
	 * token is not revoked by a script, and what is known is a floor
	 */
	memset(&f, 0, sizeof(f));
	f.verified = 1;
	strcpy(f.kind, "github-token");
	f.privilege_unknown = true;
	assert_true(nhir_route_decide(p, &f, &d, NULL, NULL));
	assert_string_equal(d.outcome, "dismiss");
	f.verified = -1;
	{
		const char *u[4];

		assert_int_equal(nhir_route_unknown(&f, u, 4), 3);
		assert_string_equal(u[0], "privilege");
		assert_string_equal(u[1], "verified");
	}
	f.privilege = NHIR_PRIV_ADMIN;
	assert_true(nhir_route_decide(p, &f, &d, NULL, NULL));
	assert_string_equal(d.to, "q1");
	nhir_route_free(p);
}

static void test_import_and_route(void **state)
{
	char *path = NULL;
	struct nhir_store *st = tl_new_store(&path);
	struct nhir_import_result ir;
	struct nhir_findings_result res;
	struct nhir_route_policy *p;
	struct nhir_route_facts f;
	struct nhir_err err = NHIR_ERR_INIT;
	size_t changed = 0;
	char *report;

	(void)state;
	assert_int_equal(nhir_user_add(TL_CTX(st, "ada"), "ada",
				       NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(tl_import_text(st, "nhir",
		"{\"type\":\"node\",\"kind\":\"credential\",\"id\":\"AKIAIOSFODNN7EXAMPLE\",\"subtype\":\"aws-access-key\"}\n"
		"{\"type\":\"node\",\"kind\":\"identity\",\"id\":\"arn:aws:iam::1:role/admin\"}\n"
		"{\"type\":\"node\",\"kind\":\"resource\",\"id\":\"aws:1:*\"}\n"
		"{\"type\":\"edge\",\"kind\":\"authenticates\",\"from\":\"AKIAIOSFODNN7EXAMPLE\",\"to\":\"arn:aws:iam::1:role/admin\"}\n"
		"{\"type\":\"edge\",\"kind\":\"can\",\"from\":\"arn:aws:iam::1:role/admin\",\"to\":\"aws:1:*\",\"privilege\":\"admin\"}\n",
		&ir), 0);
	report = tl_write_file("r.json",
		"[{\"RuleID\":\"aws-access-token\",\"Secret\":\"aws_key=AKIAIOSFODNN7EXAMPLE\",\"File\":\"a.env\",\"StartLine\":1},"
		" {\"RuleID\":\"aws-access-token\",\"Secret\":\"AKIAIOSFODNN7EXAMPLE\",\"File\":\"b.env\",\"StartLine\":7}]");
	assert_int_equal(nhir_findings_import(TL_CTX(st, "nobody"),
					      nhir_scanner_find("gitleaks"),
					      report, &res,
					      &err), NHIR_EDENIED);
	assert_int_equal(nhir_findings_import(TL_CTX(st, "ada"),
					      nhir_scanner_find("gitleaks"),
					      report, &res, &err), 0);
	/* two secrets (different text), one credential, two places */
	assert_int_equal(res.findings_new, 2);
	assert_int_equal(res.sightings_new, 2);
	assert_int_equal(res.matched, 2);
	assert_int_equal(nhir_route_facts(st, 1, &f, NULL), 0);
	assert_int_equal(f.privilege, NHIR_PRIV_ADMIN);
	assert_true(f.has_credential);
	assert_int_equal(nhir_route_parse(policy, strlen(policy), "p", &p, NULL), 0);
	assert_int_equal(nhir_route_apply(TL_CTX(st, "ada"), p, res.ids,
					  res.id_nr, &changed, NULL), 0);
	assert_int_equal(changed, 2);
	assert_int_equal(nhir_route_apply(TL_CTX(st, "ada"), p, NULL, 0,
					  &changed, NULL), 0);
	assert_int_equal(changed, 0);
	nhir_route_free(p);
	nhir_findings_result_release(&res);
	free(report);
	nhir_store_close(st);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preview_and_key_id),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_import_and_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
