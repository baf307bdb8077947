/* nhir findings, triage, route: scanner findings and their routing. */
#include "compat.h"
#include <getopt.h>
#include "nhir/finding.h"
#include "nhir/record.h"
#include "nhir/route.h"
#include "cli/cli.h"

static const char usage_findings[] =
	"usage: nhir findings import FORMAT FILE... [--policy FILE]\n"
	"                            [--format text|json]\n"
	"       nhir findings list [--all] [--format text|json]\n"
	"       nhir findings show ID [--format text|json]\n"
	"       nhir findings --list\n"
	"\n"
	"Imports scanner reports: gitleaks, sarif, trufflehog,\n"
	"github-secret-scanning, generic (doc/formats/findings.md).  Secrets\n"
	"are never stored: each is kept as an HMAC-SHA-256 fingerprint under\n"
	"this database's key, with a redacted preview.  A finding is matched\n"
	"to its credential (an AWS key id, an external id, or an equal\n"
	"fingerprint); the same secret seen in several places is one finding\n"
	"with several sightings.  New findings are routed by the policy\n"
	"(--policy, $NHIR_POLICY, else policy/routing.yaml).\n"
	"\n"
	"exit status: 0 ok, 1 error or report rejected, 2 usage error,\n"
	"             4 some entries skipped, 5 not authorized\n";

static const char usage_triage[] =
	"usage: nhir triage [--all] [--reroute] [--policy FILE]\n"
	"                   [--format text|json]\n"
	"\n"
	"Open findings with their routing decision: dedicated response (and\n"
	"its queue), automated remediation (and the action), or dismiss (and\n"
	"why).  --reroute evaluates the policy again first, recording every\n"
	"decision that changes; --all includes findings already in incidents.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 3 findings routed to\n"
	"             dedicated response are open, 5 not authorized\n";

static const char usage_route[] =
	"usage: nhir route explain FINDING [--policy FILE] [--format text|json]\n"
	"       nhir route check [--policy FILE]\n"
	"\n"
	"'explain' shows the facts about a finding and its blast radius, and\n"
	"each rule of the policy in order until one matches, with the\n"
	"condition that decided.  'check' reads a policy and reports its\n"
	"first error with its line.\n"
	"\n"
	"exit status: 0 ok, 1 error (or a bad policy), 2 usage error\n";

static int load_policy(const char *path, struct nhir_route_policy **p,
		       bool required)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *use = cli_policy_path(path);

	*p = NULL;
	if (!use) {
		if (!required)
			return EXIT_OK;
		cli_error("no routing policy: give --policy FILE or set "
			  "NHIR_POLICY");
		return EXIT_ERROR;
	}
	if (nhir_route_load(use, p, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static void json_opt(const char *s)
{
	if (s)
		cli_json_str(stdout, s);
	else
		out_fputs("null", stdout);
}

static const char *verified_text(int v)
{
	return v > 0 ? "live" : v == 0 ? "not live" : "unverified";
}

struct list {
	int fmt;
	size_t n, dedicated;
	bool detail;
};

static int print_finding(const struct nhir_finding *f, void *data)
{
	struct list *l = data;
	char seen[40];

	cli_time(f->last_seen, seen, sizeof(seen));
	if (f->route_outcome && !strcmp(f->route_outcome, "dedicated") &&
	    !strcmp(f->status, "open"))
		l->dedicated++;
	if (l->fmt == FMT_JSON) {
		out_printf("%s{\"id\":%" PRId64 ",\"kind\":", l->n ? "," : "", f->id);
		cli_json_str(stdout, f->kind);
		out_fputs(",\"detector\":", stdout);
		cli_json_str(stdout, f->detector);
		out_fputs(",\"preview\":", stdout);
		cli_json_str(stdout, f->preview);
		out_printf(",\"fingerprint\":\"%s\",\"credential\":", f->fingerprint);
		json_opt(f->credential);
		out_printf(",\"verified\":\"%s\",\"sightings\":%" PRId64
			   ",\"last_seen\":\"%s\",\"status\":\"%s\"",
			   verified_text(f->verified), f->sightings, seen,
			   f->status);
		if (f->incident)
			out_printf(",\"incident\":\"INC-%" PRId64 "\"", f->incident);
		out_fputs(",\"route\":{\"outcome\":", stdout);
		json_opt(f->route_outcome);
		out_fputs(",\"to\":", stdout);
		json_opt(f->route_to);
		out_fputs(",\"rule\":", stdout);
		json_opt(f->route_rule);
		out_fputs("}}", stdout);
	} else {
		char inc[32] = "";

		if (f->incident)
			snprintf(inc, sizeof(inc), " INC-%" PRId64, f->incident);
		out_printf("%4" PRId64 "  %-22s %-28s %-10s %2" PRId64 " place%s  "
			   "%s %s%s%s%s\n", f->id, f->kind, f->preview,
			   verified_text(f->verified), f->sightings,
			   f->sightings == 1 ? " " : "s",
			   f->route_outcome ? f->route_outcome : "unrouted",
			   f->route_to ? f->route_to : "",
			   f->route_rule ? " (" : "",
			   f->route_rule ? f->route_rule : "",
			   f->route_rule ? ")" : "");
		if (inc[0])
			out_printf("      in%s\n", inc);
		if (l->detail) {
			char first[40];

			out_printf("      credential %s\n      fingerprint %s\n"
				   "      detector %s; first seen %s, last seen %s\n",
				   f->credential ? f->credential : "-",
				   f->fingerprint, f->detector,
				   cli_time(f->first_seen, first, sizeof(first)),
				   seen);
		}
	}
	l->n++;
	return 0;
}

static int print_sighting(const struct nhir_sighting_row *s, void *data)
{
	struct list *l = data;
	char t[40];

	cli_time(s->at, t, sizeof(t));
	if (l->fmt == FMT_JSON) {
		out_printf("%s{\"format\":\"%s\",\"repository\":", l->n ? "," : "",
			   s->format);
		cli_json_str(stdout, s->repo);
		out_fputs(",\"commit\":", stdout);
		cli_json_str(stdout, s->commit);
		out_fputs(",\"file\":", stdout);
		cli_json_str(stdout, s->file);
		out_printf(",\"line\":%" PRId64 ",\"time\":%s%s%s,\"author\":",
			   s->line, s->at ? "\"" : "", s->at ? t : "null",
			   s->at ? "\"" : "");
		json_opt(s->author);
		out_fputs(",\"link\":", stdout);
		json_opt(s->link);
		out_fputs(",\"report\":", stdout);
		json_opt(s->report);
		out_putchar('}');
	} else {
		out_printf("  %s  %s%s%s:%" PRId64 "%s%.12s  (%s, %s)\n", t,
			   s->repo[0] ? s->repo : "", s->repo[0] ? " " : "",
			   s->file, s->line, s->commit[0] ? " @" : "", s->commit,
			   s->format, s->report ? s->report : "");
	}
	l->n++;
	return 0;
}

static int route_new(struct nhir_ctx *ctx, const struct nhir_route_policy *p,
		     const int64_t *ids, size_t nr)
{
	struct nhir_err err = NHIR_ERR_INIT;
	size_t changed;

	if (!p || !nr)
		return EXIT_OK;
	if (nhir_route_apply(ctx->st, ctx->actor, p, ids, nr, &changed, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int findings_import(struct nhir_ctx *ctx, int argc, char **argv,
			   int fmt, const char *policy)
{
	const struct nhir_scanner_format *rf = nhir_scanner_find(argv[0]);
	struct nhir_route_policy *pol = NULL;
	int status = EXIT_OK, r;

	if (!rf) {
		cli_error("unknown report format '%s'; see 'nhir findings "
			  "--list'", argv[0]);
		return EXIT_USAGE;
	}
	r = load_policy(policy, &pol, false);
	if (r)
		return r;
	if (!pol)
		cli_warn("no routing policy found: findings are not routed");
	if (fmt == FMT_JSON)
		out_printf("{\"format\":\"%s\",\"reports\":[", rf->name);
	for (int i = 1; i < argc; i++) {
		struct nhir_findings_result res;
		struct nhir_err err = NHIR_ERR_INIT;
		enum nhir_rc rc;

		rc = nhir_findings_import(ctx->st, ctx->actor, rf, argv[i], &res,
					  &err);
		if (rc == NHIR_EDENIED) {
			r = cli_fail(&err);
			nhir_route_free(pol);
			if (fmt == FMT_JSON)
				out_puts("]}");
			return r;
		}
		if (rc) {
			cli_error("%s", err.msg);
			status = EXIT_ERROR;
		}
		for (size_t d = 0; !rc && d < res.scanner.problem_nr; d++)
			out_fprintf(stderr, "%s:%u:%u: %s\n", argv[i],
				    res.scanner.problems[d].line,
				    res.scanner.problems[d].col,
				    res.scanner.problems[d].msg);
		if (!rc && res.scanner.bad > res.scanner.problem_nr)
			out_fprintf(stderr, "%s: ... and %" PRIu64 " more\n",
				    argv[i], res.scanner.bad - res.scanner.problem_nr);
		if (!rc && res.scanner.bad && status == EXIT_OK)
			status = EXIT_PARTIAL;
		if (!rc) {
			r = route_new(ctx, pol, res.ids, res.id_nr);
			if (r)
				status = r;
		}
		if (fmt == FMT_JSON) {
			out_printf("%s{\"path\":", i > 1 ? "," : "");
			cli_json_str(stdout, argv[i]);
			out_printf(",\"status\":\"%s\",\"entries\":%" PRIu64
				   ",\"new_findings\":%" PRIu64 ",\"new_sightings\":%"
				   PRIu64 ",\"matched\":%" PRIu64 ",\"skipped\":%"
				   PRIu64 "}", rc ? "rejected" : "ok",
				   rc ? 0 : res.entries, rc ? 0 : res.findings_new,
				   rc ? 0 : res.sightings_new, rc ? 0 : res.matched,
				   rc ? 0 : res.scanner.bad);
		} else if (!rc) {
			out_printf("%s: %" PRIu64 " entries, %" PRIu64 " new "
				   "findings, %" PRIu64 " new sightings, %" PRIu64
				   " matched known credentials, %" PRIu64
				   " skipped\n", argv[i], res.entries,
				   res.findings_new, res.sightings_new, res.matched,
				   res.scanner.bad);
		}
		if (!rc)
			nhir_findings_result_release(&res);
	}
	if (fmt == FMT_JSON)
		out_puts("]}");
	nhir_route_free(pol);
	return status;
}

int cmd_findings(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *policy = NULL, *sub;
	bool all = false, list_formats = false;
	int c, fmt = FMT_TEXT, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_findings, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'p': policy = optarg; break;
		case 'a': all = true; break;
		case 'l': list_formats = true; break;
		default:
			return cli_usage(usage_findings, false);
		}
	}
	if (list_formats) {
		const struct nhir_scanner_format *const *f = nhir_scanner_formats();

		for (size_t i = 0; f[i]; i++)
			out_printf("%-24s %s\n", f[i]->name, f[i]->summary);
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage(usage_findings, false);
	sub = argv[optind++];
	if (!strcmp(sub, "import") && argc - optind >= 2)
		return findings_import(ctx, argc - optind, argv + optind, fmt,
				       policy);
	if (!strcmp(sub, "list") && optind == argc) {
		struct list l = { fmt, 0, 0, false };

		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "findings.list")))
			return r;
		if (fmt == FMT_JSON)
			out_fputs("{\"findings\":[", stdout);
		if (nhir_finding_each(ctx->st, 0, all, print_finding, &l, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			out_puts("]}");
		return EXIT_OK;
	}
	if (!strcmp(sub, "show") && optind + 1 == argc) {
		struct list l = { fmt, 0, 0, true };
		char *end;
		int64_t id = strtoll(argv[optind], &end, 10);

		if (*end || id <= 0) {
			cli_error("'%s' is not a finding number", argv[optind]);
			return EXIT_USAGE;
		}
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "findings.show")))
			return r;
		if (fmt == FMT_JSON)
			out_fputs("{\"finding\":", stdout);
		if (nhir_finding_each(ctx->st, id, true, print_finding, &l, &err))
			return cli_fail(&err);
		if (!l.n) {
			if (fmt == FMT_JSON)
				out_puts("null}");
			cli_error("no finding %" PRId64, id);
			return EXIT_ERROR;
		}
		l.n = 0;
		out_printf(fmt == FMT_JSON ? ",\"sightings\":[" : "sightings:\n");
		if (nhir_sighting_each(ctx->st, id, print_sighting, &l, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			out_puts("]}");
		return EXIT_OK;
	}
	return cli_usage(usage_findings, false);
}

int cmd_triage(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ "all", no_argument, NULL, 'a' },
		{ "reroute", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct list l = { FMT_TEXT, 0, 0, false };
	const char *policy = NULL;
	bool all = false, reroute = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_triage, true);
		case 'f':
			if (!cli_format_arg(optarg, &l.fmt))
				return EXIT_USAGE;
			break;
		case 'p': policy = optarg; break;
		case 'a': all = true; break;
		case 'r': reroute = true; break;
		default:
			return cli_usage(usage_triage, false);
		}
	}
	if (optind != argc)
		return cli_usage(usage_triage, false);
	if (reroute) {
		struct nhir_route_policy *pol;
		size_t changed;

		r = load_policy(policy, &pol, true);
		if (r)
			return r;
		if (nhir_route_apply(ctx->st, ctx->actor, pol, NULL, 0,
				     &changed, &err)) {
			nhir_route_free(pol);
			return cli_fail(&err);
		}
		nhir_route_free(pol);
		if (l.fmt == FMT_TEXT)
			out_printf("%zu decision%s changed\n", changed,
				   changed == 1 ? "" : "s");
	} else if ((r = cli_authorize(ctx, NHIR_PERM_READ, "triage"))) {
		return r;
	}
	if (l.fmt == FMT_JSON)
		out_fputs("{\"findings\":[", stdout);
	if (nhir_finding_each(ctx->st, 0, all, print_finding, &l, &err))
		return cli_fail(&err);
	if (l.fmt == FMT_JSON)
		out_puts("]}");
	else if (!l.n)
		out_puts("no open findings");
	return l.dedicated ? EXIT_FINDINGS : EXIT_OK;
}

struct explain {
	int fmt;
	size_t n;
};

static void explain_cb(const char *rule, int line, bool matched,
		       const char *why, void *data)
{
	struct explain *x = data;

	if (x->fmt == FMT_JSON) {
		out_printf("%s{\"rule\":", x->n ? "," : "");
		cli_json_str(stdout, rule);
		out_printf(",\"line\":%d,\"matched\":%s,\"because\":", line,
			   matched ? "true" : "false");
		cli_json_str(stdout, why);
		out_putchar('}');
	} else {
		out_printf("  %-3s %-24s line %-4d %s\n", matched ? "=>" : "no",
			   rule, line, why);
	}
	x->n++;
}

int cmd_route(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "policy", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_route_policy *pol = NULL;
	struct nhir_route_facts f;
	struct nhir_route_decision d;
	struct explain x = { FMT_TEXT, 0 };
	const char *policy = NULL, *unknown[8];
	size_t unknown_nr;
	cJSON *facts;
	char *s, *end;
	int64_t id;
	int c, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_route, true);
		case 'f':
			if (!cli_format_arg(optarg, &x.fmt))
				return EXIT_USAGE;
			break;
		case 'p': policy = optarg; break;
		default:
			return cli_usage(usage_route, false);
		}
	}
	if (optind < argc && !strcmp(argv[optind], "check") &&
	    optind + 1 == argc) {
		r = load_policy(policy, &pol, true);
		if (!r)
			out_printf("%s: %zu rules, valid\n",
				   cli_policy_path(policy),
				   nhir_route_rule_count(pol));
		nhir_route_free(pol);
		return r;
	}
	if (optind + 2 != argc || strcmp(argv[optind], "explain"))
		return cli_usage(usage_route, false);
	id = strtoll(argv[optind + 1], &end, 10);
	if (*end || id <= 0) {
		cli_error("'%s' is not a finding number", argv[optind + 1]);
		return EXIT_USAGE;
	}
	r = load_policy(policy, &pol, true);
	if (r)
		return r;
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "route.explain"))) {
		nhir_route_free(pol);
		return r;
	}
	if (nhir_route_facts(ctx->st, id, &f, &err)) {
		nhir_route_free(pol);
		return cli_fail(&err);
	}
	facts = nhir_route_facts_json(&f);
	s = facts ? cJSON_PrintUnformatted(facts) : NULL;
	unknown_nr = nhir_route_unknown(&f, unknown, NHIR_ARRAY_SIZE(unknown));
	if (x.fmt == FMT_JSON) {
		out_printf("{\"finding\":%" PRId64 ",\"facts\":", id);
		/* JSON as cJSON wrote it */
		out_raw(stdout, s ? s : "null", strlen(s ? s : "null"));
		out_printf(",\"unknown\":[");
		for (size_t k = 0; k < unknown_nr; k++)
			out_printf("%s\"%s\"", k ? "," : "", unknown[k]);
		out_printf("],\"rules\":[");
	} else {
		out_printf("finding %" PRId64 "\nfacts: %s\nunknown facts:", id,
			   s ? s : "?");
		for (size_t k = 0; k < unknown_nr; k++)
			out_printf("%s %s", k ? "," : "", unknown[k]);
		if (!unknown_nr)
			out_printf(" none");
		if (f.privilege_unknown)
			out_printf(" (privilege: %s)", f.unknown_identities
				   ? "an identity it reaches has no policy imported"
				   : "it reaches no identity known");
		out_printf("\nrules, in order:\n");
	}
	cJSON_free(s);
	cJSON_Delete(facts);
	nhir_route_decide(pol, &f, &d, explain_cb, &x);
	if (x.fmt == FMT_JSON) {
		out_printf("],\"decision\":{\"outcome\":\"%s\",\"to\":", d.outcome);
		cli_json_str(stdout, d.to);
		out_fputs(",\"rule\":", stdout);
		json_opt(d.rule);
		out_puts("}}");
	} else {
		out_printf("decision: %s %s%s%s%s\n", d.outcome, d.to,
			   d.rule ? " (rule " : " (no rule matched)",
			   d.rule ? d.rule : "", d.rule ? ")" : "");
	}
	nhir_route_free(pol);
	return EXIT_OK;
}
