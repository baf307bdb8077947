/* nhir plan, approve, reject, execute, verify, contain: containment. */
#include "compat.h"
#include <getopt.h>
#include "nhir/plan.h"
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_plan[] =
	"usage: nhir plan INC [--rebuild] [--catalog FILE --why TEXT]\n"
	"                [--format text|json]\n"
	"       nhir plan edit INC add ACTION [TARGET] [--after STEP]\n"
	"       nhir plan edit INC skip STEP --why TEXT [--accept-risk WHY]\n"
	"       nhir plan edit INC move STEP --before STEP [--accept-risk WHY]\n"
	"\n"
	"The containment plan of an incident, built from its confirmed scope\n"
	"and the action catalog an admin configured (nhir config set\n"
	"catalog FILE); when none is, --catalog, $NHIR_CATALOG or\n"
	"catalog/actions.yaml.  Another catalog than the configured one is\n"
	"the lead's decision (--catalog FILE --why TEXT), recorded as one;\n"
	"the catalog's path and digest are on the plan's audit entry.\n"
	"The plan: evidence preserved first, owners told, dependents\n"
	"rotated and redeployed before what they use is revoked, reversible\n"
	"steps before irreversible ones, children that survive their parent\n"
	"revoked on their own, caches flushed, every revocation verified.\n"
	"Each step says what it breaks, whether it can be undone, its delay\n"
	"and the approvals it needs.  An edit that breaks an ordering\n"
	"constraint is refused with the reason, unless the lead accepts the\n"
	"risk (recorded as a decision).\n"
	"\n"
	"exit status: 0 ok, 1 error or a constraint refused the edit,\n"
	"             2 usage error, 5 not authorized\n";

static const char usage_reject[] =
	"usage: nhir reject INC STEP --why TEXT\n"
	"       nhir reject --withdraw INC STEP --why TEXT\n"
	"\n"
	"Rejects a plan step, with the reason.  A rejection stands: it does\n"
	"not expire and nobody else's approval lifts it; only a changed step\n"
	"(a new proposal) or its author withdrawing it (--withdraw) does.\n"
	"Approvers and leads may reject; not the plan's proposer.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

static const char usage_approve[] =
	"usage: nhir approve INC STEP... --why TEXT [--ttl SECONDS]\n"
	"       nhir approve INC --all --why TEXT [--ttl SECONDS]\n"
	"\n"
	"--all approves every step still short of approvals (or rejected):\n"
	"the whole plan, once reviewed.\n"
	"\n"
	"Approves (or rejects) plan steps.  Approvers and leads may; the\n"
	"plan's proposer may not (four eyes).  A step that changes access\n"
	"needs one approval, an irreversible or privileged one two from\n"
	"distinct people.  Approvals expire: --ttl, else $NHIR_APPROVAL_TTL\n"
	"seconds, else a day; never later than the configured maximum\n"
	"(nhir config set approval-ttl-max, default 7 days).  An approval is\n"
	"bound to the exact step: a rebuilt plan, another catalog entry or a\n"
	"move voids it, and it no longer counts once its author is\n"
	"deactivated or may no longer approve.  Someone who rejected a step\n"
	"withdraws the rejection (nhir reject --withdraw) before approving.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

static const char usage_execute[] =
	"usage: nhir execute INC [STEP | --next] [--confirm]\n"
	"                    [--connectors FILE] [--format text|json]\n"
	"       nhir execute INC STEP --resolve done|retry --why TEXT\n"
	"\n"
	"Runs a plan step through its connector (--connectors or\n"
	"$NHIR_CONNECTORS, doc/formats/connectors.md).  Without --confirm it\n"
	"only prints what would be sent.  A step runs when the steps it waits\n"
	"for are done and its approvals are valid; its connector's answer is\n"
	"kept as evidence; a failed step blocks those after it; a step done\n"
	"already does nothing.\n"
	"\n"
	"A step whose run died while its connector ran (killed, crashed) is\n"
	"interrupted: whether it acted is unknown.  It is not run again and\n"
	"--next stops at it until the lead decides, on the record: --resolve\n"
	"done (it is taken as done) or --resolve retry (it runs again).\n"
	"\n"
	"exit status: 0 done (or dry run), 1 error or the step failed,\n"
	"             2 usage error, 5 not authorized\n";

static const char usage_verify[] =
	"usage: nhir verify INC [--connectors FILE] [--format text|json]\n"
	"\n"
	"Runs the configured probe of every credential whose revocation the\n"
	"connector confirmed: if the probe's call is refused, the revocation\n"
	"is verified.  A probe whose call succeeds whatever the permissions\n"
	"(sts:GetCallerIdentity) is refused as proof.\n"
	"\n"
	"exit status: 0 all probed revocations verified, 1 error,\n"
	"             2 usage error, 3 something still works or was not\n"
	"             proven, 5 not authorized\n";

static const char usage_contain[] =
	"usage: nhir contain status INC [--at TIME] [--format text|json]\n"
	"\n"
	"Residual access: what the incident's seeds and everything minted\n"
	"from them still reach, with confirmed revocations dead and cuts\n"
	"applied, and when each path ends on its own.  Says whether the\n"
	"incident is contained now, at a stated time, or not.\n"
	"\n"
	"exit status: 0 contained now, 1 error, 2 usage error,\n"
	"             3 access remains, 5 not authorized\n";

/*
 * The catalog: the one an admin configured, else --catalog (path),
 * $NHIR_CATALOG or catalog/actions.yaml.  With a catalog configured,
 * path is another one, which only the lead may choose (the library
 * checks).  conf (NHIR_SETTING_MAX bytes) keeps the configured path.
 */
static int load_catalog(struct cli_ctx *ctx, const char *path,
			struct nhir_catalog **c, struct nhir_plan_origin *o,
			char *conf)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *use;
	bool found = false;

	*c = NULL;
	if (nhir_setting_get(ctx->st, "catalog", conf, NHIR_SETTING_MAX,
			     &found, &err))
		return cli_fail(&err);
	if (found && (!path || !strcmp(path, conf)))
		path = conf;
	use = found ? path : cli_catalog_path(path);
	o->catalog = use;
	o->configured = found && use == conf;
	o->why = NULL;
	if (!use) {
		cli_error("no action catalog: give --catalog FILE or set "
			  "NHIR_CATALOG");
		return EXIT_ERROR;
	}
	if (nhir_catalog_load(use, c, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int load_connectors(const char *path, struct nhir_connectors **c)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *use = cli_connectors_path(path);

	*c = NULL;
	if (!use) {
		cli_error("no connectors: give --connectors FILE or set "
			  "NHIR_CONNECTORS");
		return EXIT_ERROR;
	}
	if (nhir_connectors_load(use, c, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static bool parse_step(const char *s, int64_t *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	if (*end || *out <= 0) {
		cli_error("'%s' is not a step number", s);
		return false;
	}
	return true;
}

struct show {
	int fmt;
	size_t n;
	struct nhir_store *st;
	int64_t inc;
	size_t void_nr;
};

struct vshow {
	int fmt;
	size_t n;
};

/* The approvals of a step that no longer count, and why. */
static int print_void(const struct nhir_approval *a, void *data)
{
	struct vshow *v = data;
	char t[40];

	if (!strcmp(a->state, "valid"))
		return 0;
	if (strcmp(a->state, "expired")) {
		out_printf("       %s: %s by %s at %s (%s)\n", a->state,
		       strcmp(a->verdict, "reject") ? "approval" : "rejection",
		       a->actor, cli_time(a->at, t, sizeof(t)), a->reason);
	}
	v->n++;
	return 0;
}

static int print_step(const struct nhir_step *s, void *data)
{
	struct show *x = data;
	struct vshow v = { x->fmt, 0 };
	char tgt[300];

	snprintf(tgt, sizeof(tgt), "%s", s->target_ext ? s->target_ext : "-");
	out_printf("%3" PRId64 "  %-8s %-32s %s\n", s->seq, s->status,
		   s->action, tgt);
	out_printf("       %s\n", s->why);
	if (s->breaks && *s->breaks)
		out_printf("       breaks: %s\n", s->breaks);
	if (s->survives && *s->survives)
		out_printf("       survives: %s\n", s->survives);
	out_printf("       %s%s, delay %" PRId64 " s, approvals %d/%d%s%s%s\n",
		   s->reversible ? "reversible" : "IRREVERSIBLE",
		   s->destroys_evidence ? ", destroys evidence" : "",
		   s->delay, s->approvals, s->approvals_needed,
		   s->rejected ? ", REJECTED" : "",
		   s->after ? ", after " : "", s->after ? s->after : "");
	if (s->result && *s->result)
		out_printf("       result: %s\n", s->result);
	if (s->void_approvals && x->st)
		nhir_approval_each(x->st, x->inc, s->id, print_void,
				   &v, NULL);
	x->void_nr += (size_t)s->void_approvals;
	x->n++;
	return 0;
}

static const char *field(const cJSON *o, const char *k)
{
	const char *v = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(o, k));

	return v && *v ? v : "?";
}

/*
 * What the planner left out because a logged event had ended it for
 * good (the build's audit entry lists it): said, so that a missing
 * step is not read as an oversight.
 */
static bool show_gone(struct cli_ctx *ctx, int64_t inc)
{
	struct nhir_err err = NHIR_ERR_INIT;
	cJSON *g, *it;
	bool ok = !nhir_plan_not_planned(ctx->st, inc, &g, &err);

	if (cJSON_GetArraySize(g) > 0) {
		out_printf("not planned, ended by logged events:\n");
		cJSON_ArrayForEach(it, g)
			out_printf("  %-36s %s %s by %s\n", field(it, "node"),
				   field(it, "how"), field(it, "at"),
				   field(it, "event"));
	}
	cJSON_Delete(g);
	if (!ok)
		cli_warn("%s", err.msg);
	return ok;
}

static int show_plan(struct cli_ctx *ctx, int64_t inc, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct show x = { fmt, 0, ctx->st, inc, 0 };
	cJSON *doc;

	if (fmt == FMT_JSON) {
		if (nhir_doc_plan(ctx->st, inc, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	out_printf("plan of INC-%" PRId64 "\n", inc);
	if (nhir_plan_each(ctx->st, inc, print_step, &x, &err))
		return cli_fail(&err);
	show_gone(ctx, inc);
	if (x.void_nr)
		out_printf("%zu approval%s or rejection%s no longer count%s (void)\n",
		       x.void_nr, x.void_nr == 1 ? "" : "s",
		       x.void_nr == 1 ? "" : "s", x.void_nr == 1 ? "s" : "");
	return EXIT_OK;
}

static int count_step(const struct nhir_step *s, void *data)
{
	(void)s;
	(*(size_t *)data)++;
	return 0;
}

static int plan_edit(struct cli_ctx *ctx, int argc, char **argv,
		     const char *catalog, const char *why, const char *accept,
		     int64_t after, int64_t before)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_catalog *cat = NULL;
	struct nhir_plan_origin o;
	char conf[NHIR_SETTING_MAX];
	int64_t inc, step;
	int r;

	if (argc < 3)
		return cli_usage(usage_plan, false);
	inc = cli_incident(argv[0]);
	if (!inc)
		return EXIT_USAGE;
	if (!strcmp(argv[1], "add") && (argc == 3 || argc == 4)) {
		if (ctx->remote)
			return r_plan_edit(inc, "add", argv[2], argc == 4
					   ? argv[3] : NULL, 0, after, 0,
					   NULL, NULL);
		r = load_catalog(ctx, catalog, &cat, &o, conf);
		if (r)
			return r;
		if (nhir_plan_add(cli_lib(ctx), inc, cat, argv[2],
				  argc == 4 ? argv[3] : NULL, after, &step,
				  &err)) {
			nhir_catalog_free(cat);
			return cli_fail(&err);
		}
		nhir_catalog_free(cat);
		out_printf("INC-%" PRId64 ": step %" PRId64 " added\n", inc, step);
		return EXIT_OK;
	}
	if (argc != 3 || !parse_step(argv[2], &step))
		return cli_usage(usage_plan, false);
	if (!strcmp(argv[1], "skip")) {
		if (ctx->remote)
			return r_plan_edit(inc, "skip", NULL, NULL, step, 0, 0,
					   why, accept);
		if (nhir_plan_skip(cli_lib(ctx), inc, step, why, accept, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": step %" PRId64 " skipped\n", inc, step);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "move")) {
		if (!before) {
			cli_error("move needs --before STEP");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_plan_edit(inc, "move", NULL, NULL, step, 0,
					   before, NULL, accept);
		if (nhir_plan_move(cli_lib(ctx), inc, step, before, accept,
				   &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": step %" PRId64 " moved before %" PRId64
			   "\n", inc, step, before);
		return EXIT_OK;
	}
	return cli_usage(usage_plan, false);
}

int cmd_plan(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "rebuild", no_argument, NULL, 'r' },
		{ "why", required_argument, NULL, 'w' },
		{ "accept-risk", required_argument, NULL, 'A' },
		{ "after", required_argument, NULL, 'a' },
		{ "before", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_catalog *cat;
	struct nhir_plan_origin o;
	char conf[NHIR_SETTING_MAX];
	const char *catalog = NULL, *why = NULL, *accept = NULL;
	int64_t inc, after = 0, before = 0;
	size_t steps = 0;
	bool rebuild = false;
	int c, fmt = FMT_TEXT, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_plan, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'c': catalog = optarg; break;
		case 'r': rebuild = true; break;
		case 'w': why = optarg; break;
		case 'A': accept = optarg; break;
		case 'a':
			if (!parse_step(optarg, &after))
				return EXIT_USAGE;
			break;
		case 'b':
			if (!parse_step(optarg, &before))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_plan, false);
		}
	}
	if (ctx->remote && catalog)
		return rmt_unoffered("plan --catalog");
	if (optind < argc && !strcmp(argv[optind], "edit"))
		return plan_edit(ctx, argc - optind - 1, argv + optind + 1,
				 catalog, why, accept, after, before);
	if (optind + 1 != argc)
		return cli_usage(usage_plan, false);
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_plan(inc, rebuild, why, fmt);
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "plan")))
		return r;
	if (nhir_plan_each(ctx->st, inc, count_step, &steps, &err))
		return cli_fail(&err);
	if (!steps || rebuild) {
		r = load_catalog(ctx, catalog, &cat, &o, conf);
		if (r)
			return r;
		o.why = why;
		if (nhir_plan_build_from(cli_lib(ctx), inc, cat, &o, &steps,
					 &err)) {
			nhir_catalog_free(cat);
			return cli_fail(&err);
		}
		nhir_catalog_free(cat);
	}
	return show_plan(ctx, inc, fmt);
}

int cli_approvals_text(int64_t inc, const cJSON *doc)
{
	const char *user = rmt_str(doc, "approver");
	const cJSON *it;
	int status = EXIT_OK;
	size_t n = 0;

	cJSON_ArrayForEach(it, rmt_arr(doc, "steps")) {
		const char *code = rmt_str(it, "code");

		n++;
		if (rmt_bool(it, "approved")) {
			out_printf("INC-%" PRId64 ": step %" PRId64 " approved "
				   "by %s\n", inc, rmt_num(it, "step"),
				   user ? user : "?");
			continue;
		}
		out_printf("INC-%" PRId64 ": step %" PRId64 " left: %s\n", inc,
			   rmt_num(it, "step"), rmt_str(it, "reason") ?
			   rmt_str(it, "reason") : "?");
		if (code && !strcmp(code, "NHIR_EDENIED"))
			status = EXIT_DENIED;
	}
	if (!n)
		out_printf("INC-%" PRId64 ": nothing waits for your approval\n",
			   inc);
	return status;
}

/* nhir approve INC --all on the database: the library's run, as text. */
static int approve_all(struct cli_ctx *ctx, int64_t inc, const char *why,
		       int64_t ttl)
{
	struct nhir_err err = NHIR_ERR_INIT, e2 = NHIR_ERR_INIT;
	struct nhir_doc_approvals *a;
	cJSON *doc = NULL;
	enum nhir_rc rc;
	size_t n;
	int status;

	if (nhir_doc_approvals_new(inc, ctx->actor, &a, &err))
		return cli_fail(&err);
	rc = nhir_approve_pending(cli_lib(ctx), inc, why, ttl,
				  nhir_doc_approved, a, &err);
	n = nhir_doc_approvals_count(a);
	if (nhir_doc_approvals_end(a, NULL, &doc, rc ? &e2 : &err) && !rc)
		return cli_fail(&err);
	if (rc && !n) {
		cJSON_Delete(doc);
		return cli_fail(&err);
	}
	status = cli_approvals_text(inc, doc);
	cJSON_Delete(doc);
	return rc ? cli_fail(&err) : status;
}

static int approve_or_reject(int argc, char **argv, struct cli_ctx *ctx,
			     bool approve)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "why", required_argument, NULL, 'w' },
		{ "ttl", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'a' },
		{ "withdraw", no_argument, NULL, 'W' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	bool all = false, withdraw = false;
	const char *why = NULL;
	int64_t inc, step, ttl = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(approve ? usage_approve : usage_reject,
					 true);
		if (c == 'w') {
			why = optarg;
		} else if (c == 'a' && approve) {
			all = true;
		} else if (c == 'W' && !approve) {
			withdraw = true;
		} else if (c == 't') {
			errno = 0;
			ttl = strtoll(optarg, &end, 10);
			if (errno || end == optarg || *end || ttl <= 0) {
				cli_error("--ttl takes seconds");
				return EXIT_USAGE;
			}
		} else {
			return cli_usage(approve ? usage_approve : usage_reject,
					 false);
		}
	}
	if ((!all && argc - optind < 2) || (all && argc - optind != 1) ||
	    (!approve && argc - optind != 2))
		return cli_usage(approve ? usage_approve : usage_reject, false);
	if (!why) {
		cli_error("%s needs --why", approve ? "approval" : "rejection");
		return EXIT_USAGE;
	}
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (withdraw) {
		if (!parse_step(argv[optind + 1], &step))
			return EXIT_USAGE;
		if (ctx->remote)
			return r_reject_withdraw(inc, step, why);
		if (nhir_reject_withdraw(cli_lib(ctx), inc, step, why, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": %s withdrew the rejection of step %"
		       PRId64 "\n", inc, ctx->actor, step);
		return EXIT_OK;
	}
	if (!ttl && getenv("NHIR_APPROVAL_TTL")) {
		errno = 0;
		ttl = strtoll(getenv("NHIR_APPROVAL_TTL"), &end, 10);
		if (errno || *end || ttl <= 0) {
			cli_error("NHIR_APPROVAL_TTL must be seconds");
			return EXIT_USAGE;
		}
	}
	for (int i = optind + 1; !all && i < argc; i++)
		if (!parse_step(argv[i], &step))
			return EXIT_USAGE;
	if (ctx->remote)
		return r_verdict(inc, approve, all, argv + optind + 1, why, ttl);
	if (all)
		return approve_all(ctx, inc, why, ttl);
	for (int i = optind + 1; i < argc; i++) {
		if (!parse_step(argv[i], &step))
			return EXIT_USAGE;
		if (nhir_approve(cli_lib(ctx), inc, step, approve, why, ttl,
				 &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": step %" PRId64 " %s by %s\n", inc, step,
			   approve ? "approved" : "rejected", ctx->actor);
	}
	return EXIT_OK;
}

int cmd_approve(int argc, char **argv, struct cli_ctx *ctx)
{
	return approve_or_reject(argc, argv, ctx, true);
}

int cmd_reject(int argc, char **argv, struct cli_ctx *ctx)
{
	return approve_or_reject(argc, argv, ctx, false);
}

int cmd_execute(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "next", no_argument, NULL, 'n' },
		{ "confirm", no_argument, NULL, 'y' },
		{ "connectors", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "resolve", required_argument, NULL, 'r' },
		{ "why", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_connectors *conn;
	struct nhir_exec_result res;
	const char *path = NULL, *resolve = NULL, *why = NULL;
	bool next = false, confirm = false;
	int64_t inc, step = 0;
	int c, r, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h': return cli_usage(usage_execute, true);
		case 'n': next = true; break;
		case 'y': confirm = true; break;
		case 'c': path = optarg; break;
		case 'r': resolve = optarg; break;
		case 'w': why = optarg; break;
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		default: return cli_usage(usage_execute, false);
		}
	}
	if (argc - optind != (next ? 1 : 2) ||
	    (resolve && (next || confirm || (strcmp(resolve, "done") &&
					      strcmp(resolve, "retry")))) ||
	    (why && !resolve))
		return cli_usage(usage_execute, false);
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (!next && !parse_step(argv[optind + 1], &step))
		return EXIT_USAGE;
	if (ctx->remote) {
		/* the server runs its own connectors on the step named */
		if (path)
			return rmt_unoffered("execute --connectors");
		return r_execute(inc, next ? 0 : step, confirm, resolve, why,
				 fmt);
	}
	if (resolve) {
		if (nhir_step_resolve(cli_lib(ctx), inc, step,
				      !strcmp(resolve, "done"), why, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 " step %" PRId64 ": %s, decided by "
			   "%s\n", inc, step, !strcmp(resolve, "done")
			   ? "taken as done" : "to be run again", ctx->actor);
		return EXIT_OK;
	}
	r = load_connectors(path, &conn);
	if (r)
		return r;
	if (nhir_execute(cli_lib(ctx), inc, step, confirm, conn, &res, &err)) {
		nhir_connectors_free(conn);
		return cli_fail(&err);
	}
	nhir_connectors_free(conn);
	{
		cJSON *doc;

		if (nhir_doc_execute(inc, &res, &doc, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON) {
			r = cli_print_doc(doc);
			if (r)
				return r;
		} else {
			cli_print_execute(inc, doc);
			cJSON_Delete(doc);
		}
	}
	return strcmp(res.status, "failed") ? EXIT_OK : EXIT_ERROR;
}

/* a detail of several lines (a built-in connector's requests): each
 * line shown as such, its other control characters escaped */
void cli_print_execute(int64_t inc, const cJSON *doc)
{
	const char *status = rmt_str(doc, "status");
	const char *d = rmt_str(doc, "detail");
	const char *nl;

	status = status ? status : "";
	d = d ? d : "";
	nl = strchr(d, '\n');
	out_printf("INC-%" PRId64 " step %" PRId64 ": %s: %.*s\n", inc,
		   rmt_num(doc, "step"), status,
		   (int)(nl ? (size_t)(nl - d) : strlen(d)), d);
	while (nl) {
		d = nl + 1;
		nl = strchr(d, '\n');
		out_printf("  %.*s\n", (int)(nl ? (size_t)(nl - d) : strlen(d)),
			   d);
	}
	if (rmt_num(doc, "evidence"))
		out_printf("connector output kept as evidence %" PRId64 "\n",
			   rmt_num(doc, "evidence"));
	if (!strcmp(status, "dry-run"))
		out_puts("(dry run: add --confirm to carry it out)");
}

void cli_print_verify(int64_t inc, const cJSON *doc)
{
	const cJSON *it;

	out_printf("INC-%" PRId64 ": %" PRId64 " probed, %" PRId64 " verified, %"
		   PRId64 " still work, %" PRId64 " refused as proof, %" PRId64
		   " without a probe\n", inc, rmt_num(doc, "probed"),
		   rmt_num(doc, "verified"), rmt_num(doc, "still_working"),
		   rmt_num(doc, "refused"), rmt_num(doc, "no_probe"));
	cJSON_ArrayForEach(it, rmt_arr(doc, "revocations")) {
		out_printf("  %-10s %-28s requested %s, confirmed %s, verified "
			   "%s\n", rmt_str(it, "state"), rmt_str(it, "node"),
			   rmt_time(it, "requested"), rmt_time(it, "confirmed"),
			   rmt_time(it, "verified"));
		if (rmt_str(it, "detail"))
			out_printf("             %s\n", rmt_str(it, "detail"));
	}
}

int cli_verify_exit(const cJSON *doc)
{
	return rmt_num(doc, "verified") == rmt_num(doc, "probed") &&
	       !rmt_num(doc, "no_probe") ? EXIT_OK : EXIT_FINDINGS;
}

int cmd_verify(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "connectors", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_connectors *conn;
	struct nhir_verify_result res;
	const char *path = NULL;
	int64_t inc;
	cJSON *doc;
	int c, r, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_verify, true);
		if (c == 'c')
			path = optarg;
		else if (c == 'f') {
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
		} else
			return cli_usage(usage_verify, false);
	}
	if (argc - optind != 1)
		return cli_usage(usage_verify, false);
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (ctx->remote)
		return path ? rmt_unoffered("verify --connectors")
			    : r_verify(inc, fmt);
	r = load_connectors(path, &conn);
	if (r)
		return r;
	if (nhir_verify(cli_lib(ctx), inc, conn, &res, &err)) {
		nhir_connectors_free(conn);
		return cli_fail(&err);
	}
	nhir_connectors_free(conn);
	if (nhir_doc_verify(ctx->st, inc, &res, &doc, &err))
		return cli_fail(&err);
	r = cli_verify_exit(doc);
	if (fmt != FMT_JSON) {
		cli_print_verify(inc, doc);
		cJSON_Delete(doc);
		return r;
	}
	c = cli_print_doc(doc);
	return c ? c : r;
}

static int void_cb(const struct nhir_step *s, void *data)
{
	size_t *n = data;

	if (s->void_approvals)
		n[0] += (size_t)s->void_approvals, n[1]++;
	return 0;
}

/* Approvals of the plan that no longer count, in one line. */
static void plan_void_note(struct cli_ctx *ctx, int64_t inc)
{
	size_t n[2] = { 0, 0 };

	if (nhir_plan_each(ctx->st, inc, void_cb, n, NULL) || !n[0])
		return;
	out_printf("plan: %zu approval%s or rejection%s of %zu step%s void "
	       "(changed since); see 'nhir plan INC-%" PRId64 "'\n", n[0],
	       n[0] == 1 ? "" : "s", n[0] == 1 ? "" : "s", n[1],
	       n[1] == 1 ? "" : "s", inc);
}

int cmd_contain(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "at", required_argument, NULL, 'a' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_residual res;
	int64_t inc, at = cli_now();
	char t[40], e[40];
	int c, fmt = FMT_TEXT, r;
	bool at_given = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_contain, true);
		case 'a':
			if (!cli_parse_time(optarg, &at))
				return EXIT_USAGE;
			at_given = true;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_contain, false);
		}
	}
	if (argc - optind != 2 || strcmp(argv[optind], "status"))
		return cli_usage(usage_contain, false);
	inc = cli_incident(argv[optind + 1]);
	if (!inc)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_contain(inc, at_given ? at : NHIR_TIME_UNSET, fmt);
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "contain")))
		return r;
	if (nhir_residual(ctx->st, inc, at, &res, &err))
		return cli_fail(&err);
	cli_time(at, t, sizeof(t));
	if (fmt == FMT_JSON) {
		cJSON *doc;

		r = nhir_doc_residual(inc, at, &res, &doc, &err)
			    ? cli_fail(&err) : cli_print_doc(doc);
		if (!r && res.nr)
			r = EXIT_FINDINGS;
		nhir_residual_release(&res);
		return r;
	}
	out_printf("INC-%" PRId64 " at %s: ", inc, t);
	if (!res.nr)
		out_puts("contained: no residual access");
	else if (res.contained_at != NHIR_TIME_UNSET)
		out_printf("NOT contained yet: %zu paths remain; all end by "
			   "themselves by %s\n", res.nr,
			   cli_time(res.contained_at, e, sizeof(e)));
	else
		out_printf("NOT contained: %zu paths remain, some do not "
			   "end by themselves\n", res.nr);
	for (size_t i = 0; i < res.nr; i++)
		out_printf("  %-11s %-36s until %s\n      %s\n",
			   nhir_node_kind_name(res.items[i].kind),
			   res.items[i].ext_id,
			   res.items[i].expires == NHIR_TIME_NEVER
				   ? "it is revoked"
				   : cli_time(res.items[i].expires, e,
					      sizeof(e)),
			   res.items[i].path ? res.items[i].path : "");
	if (res.ended_nr)
		out_printf("ended by logged events (%zu):\n", res.ended_nr);
	for (size_t i = 0; i < res.ended_nr; i++) {
		const struct nhir_residual_end *x = &res.ended[i];

		out_printf("  %-36s ended by logged event %s (%s) at %s",
			   x->ext_id ? x->ext_id : "?",
			   x->event ? x->event : "?",
			   nhir_end_how_name(x->how),
			   cli_time(x->at, e, sizeof(e)));
		if (x->file)
			out_printf(", %s@%" PRIu64, x->file, x->offset);
		out_printf("\n      %s\n", x->path ? x->path : "");
	}
	plan_void_note(ctx, inc);
	r = res.nr ? EXIT_FINDINGS : EXIT_OK;
	nhir_residual_release(&res);
	return r;
}
