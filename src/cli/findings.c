/* nhir findings, triage, route: scanner findings and their routing. */
#include "compat.h"
#include <getopt.h>
#include "nhir/finding.h"
#include "nhir/record.h"
#include "nhir/route.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

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

static const char *verified_text(int v)
{
	return v > 0 ? "live" : v == 0 ? "not live" : "unverified";
}

struct list {
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
	l->n++;
	return 0;
}

static int print_sighting(const struct nhir_sighting_row *s, void *data)
{
	struct list *l = data;
	char t[40];

	cli_time(s->at, t, sizeof(t));
	out_printf("  %s  %s%s%s:%" PRId64 "%s%.12s  (%s, %s)\n", t,
		   s->repo[0] ? s->repo : "", s->repo[0] ? " " : "",
		   s->file, s->line, s->commit[0] ? " @" : "", s->commit,
		   s->format, s->report ? s->report : "");
	l->n++;
	return 0;
}

static int route_new(struct cli_ctx *ctx, const struct nhir_route_policy *p,
		     const int64_t *ids, size_t nr)
{
	struct nhir_err err = NHIR_ERR_INIT;
	size_t changed;

	if (!p || !nr)
		return EXIT_OK;
	if (nhir_route_apply(cli_lib(ctx), p, ids, nr, &changed, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int findings_import(struct cli_ctx *ctx, int argc, char **argv,
			   int fmt, const char *policy)
{
	const struct nhir_scanner_format *rf = nhir_scanner_find(argv[0]);
	struct nhir_route_policy *pol = NULL;
	struct nhir_findings_file *files = NULL;
	size_t file_nr = 0;
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
	files = nhir_calloc((size_t)argc, sizeof(*files));
	if (!files) {
		nhir_route_free(pol);
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	for (int i = 1; i < argc; i++) {
		struct nhir_findings_result res;
		struct nhir_err err = NHIR_ERR_INIT;
		enum nhir_rc rc;

		rc = nhir_findings_import(cli_lib(ctx), rf, argv[i], &res,
					  &err);
		if (rc == NHIR_EDENIED) {
			status = cli_fail(&err);
			break;
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
		files[file_nr].path = argv[i];
		files[file_nr].rejected = rc != NHIR_OK;
		if (!rc) {
			files[file_nr].entries = res.entries;
			files[file_nr].findings_new = res.findings_new;
			files[file_nr].sightings_new = res.sightings_new;
			files[file_nr].matched = res.matched;
			files[file_nr].skipped = res.scanner.bad;
		}
		file_nr++;
		if (fmt == FMT_JSON) {
			/* the document follows */
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
	if (fmt == FMT_JSON) {
		struct nhir_err err = NHIR_ERR_INIT;
		cJSON *doc;

		r = nhir_doc_findings_import(rf->name, files, file_nr, &doc,
					     &err) ? cli_fail(&err)
						   : cli_print_doc(doc);
		if (r && status == EXIT_OK)
			status = r;
	}
	nhir_free(files);
	nhir_route_free(pol);
	return status;
}

int cmd_findings(int argc, char **argv, struct cli_ctx *ctx)
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
	if (ctx->remote && policy)
		return rmt_unoffered("findings --policy");
	if (ctx->remote && !strcmp(sub, "import") && argc - optind >= 2) {
		if (!nhir_scanner_find(argv[optind])) {
			cli_error("unknown report format '%s'; see 'nhir "
				  "findings --list'", argv[optind]);
			return EXIT_USAGE;
		}
		return r_upload("findings", argv[optind], NULL,
				argv + optind + 1, argc - optind - 1, fmt);
	}
	if (!strcmp(sub, "import") && argc - optind >= 2)
		return findings_import(ctx, argc - optind, argv + optind, fmt,
				       policy);
	if (!strcmp(sub, "list") && optind == argc) {
		struct list l = { 0, 0, false };
		cJSON *doc;

		if (ctx->remote)
			return r_findings_list(all, false, fmt);
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "findings.list")))
			return r;
		if (fmt == FMT_JSON) {
			if (nhir_doc_findings(ctx->st, all, NULL, &doc, &err))
				return cli_fail(&err);
			return cli_print_doc(doc);
		}
		if (nhir_finding_each(ctx->st, 0, all, print_finding, &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	if (!strcmp(sub, "show") && optind + 1 == argc) {
		struct list l = { 0, 0, true };
		cJSON *doc;
		char *end;
		int64_t id = strtoll(argv[optind], &end, 10);

		if (*end || id <= 0) {
			cli_error("'%s' is not a finding number", argv[optind]);
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_findings_show(id, fmt);
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "findings.show")))
			return r;
		if (fmt == FMT_JSON) {
			if (nhir_doc_finding(ctx->st, id, &doc, &err))
				return cli_fail(&err);
			return cli_print_doc(doc);
		}
		if (nhir_finding_each(ctx->st, id, true, print_finding, &l, &err))
			return cli_fail(&err);
		if (!l.n) {
			cli_error("no finding %" PRId64, id);
			return EXIT_ERROR;
		}
		out_printf("sightings:\n");
		if (nhir_sighting_each(ctx->st, id, print_sighting, &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	return cli_usage(usage_findings, false);
}

int cmd_triage(int argc, char **argv, struct cli_ctx *ctx)
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
	struct list l = { 0, 0, false };
	const char *policy = NULL;
	bool all = false, reroute = false;
	cJSON *doc;
	int c, r, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_triage, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
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
	if (ctx->remote && (reroute || policy))
		return rmt_unoffered(reroute ? "triage --reroute"
					     : "triage --policy");
	if (ctx->remote)
		return r_findings_list(all, true, fmt);
	if (reroute) {
		struct nhir_route_policy *pol;
		size_t changed;

		r = load_policy(policy, &pol, true);
		if (r)
			return r;
		if (nhir_route_apply(cli_lib(ctx), pol, NULL, 0, &changed,
				     &err)) {
			nhir_route_free(pol);
			return cli_fail(&err);
		}
		nhir_route_free(pol);
		if (fmt == FMT_TEXT)
			out_printf("%zu decision%s changed\n", changed,
				   changed == 1 ? "" : "s");
	} else if ((r = cli_authorize(ctx, NHIR_PERM_READ, "triage"))) {
		return r;
	}
	if (fmt == FMT_JSON) {
		if (nhir_doc_findings(ctx->st, all, &l.dedicated, &doc, &err))
			return cli_fail(&err);
		r = cli_print_doc(doc);
		if (r)
			return r;
		return l.dedicated ? EXIT_FINDINGS : EXIT_OK;
	}
	if (nhir_finding_each(ctx->st, 0, all, print_finding, &l, &err))
		return cli_fail(&err);
	if (!l.n)
		out_puts("no open findings");
	return l.dedicated ? EXIT_FINDINGS : EXIT_OK;
}

static void explain_cb(const char *rule, int line, bool matched,
		       const char *why, void *data)
{
	out_printf("  %-3s %-24s line %-4d %s\n", matched ? "=>" : "no", rule,
		   line, why);
}

int cmd_route(int argc, char **argv, struct cli_ctx *ctx)
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
	const char *policy = NULL, *unknown[8];
	size_t unknown_nr;
	cJSON *facts, *doc;
	char *s, *end;
	int64_t id;
	int c, r, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_route, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'p': policy = optarg; break;
		default:
			return cli_usage(usage_route, false);
		}
	}
	if (ctx->remote && optind < argc && !strcmp(argv[optind], "check"))
		return rmt_unoffered("route check");
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
	if (ctx->remote && policy)
		return rmt_unoffered("route explain --policy");
	if (ctx->remote)
		return r_route_explain(id, fmt);
	r = load_policy(policy, &pol, true);
	if (r)
		return r;
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "route.explain"))) {
		nhir_route_free(pol);
		return r;
	}
	if (fmt == FMT_JSON) {
		r = nhir_doc_route_explain(ctx->st, pol, id, &doc, &err)
			    ? cli_fail(&err) : cli_print_doc(doc);
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
	cJSON_free(s);
	cJSON_Delete(facts);
	nhir_route_decide(pol, &f, &d, explain_cb, NULL);
	out_printf("decision: %s %s%s%s%s\n", d.outcome, d.to,
		   d.rule ? " (rule " : " (no rule matched)",
		   d.rule ? d.rule : "", d.rule ? ")" : "");
	nhir_route_free(pol);
	return EXIT_OK;
}
