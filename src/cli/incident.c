/* nhir incident: declare, list, show, assign, state, scope. */
#include "compat.h"
#include <getopt.h>
#include "nhir/doc.h"
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"

static const char usage_incident[] =
	"usage: nhir incident declare --title T --severity S --lead USER\n"
	"                             [--seed REF]... [--finding ID]...\n"
	"                             [--exposed-at TIME]\n"
	"       nhir incident list [--state STATE] [--format text|json]\n"
	"       nhir incident show INC [--format text|json]\n"
	"       nhir incident assign INC [--lead USER] [--responder USER]...\n"
	"       nhir incident state INC STATE [--why TEXT]\n"
	"       nhir incident scope INC [add|confirm|dismiss REF... [--why T]]\n"
	"\n"
	"An incident has one accountable lead, a severity (critical, high,\n"
	"medium, low) and a lifecycle: declared, investigating, containing,\n"
	"recovering, closed.  It moves one step at a time (or one back);\n"
	"containing needs a confirmed scope, and closing needs every task done\n"
	"and no scope left proposed, or a risk acceptance by the lead.  The\n"
	"seeds (and the credentials of the findings) are its confirmed scope;\n"
	"their blast radius is proposed, for the lead to confirm or dismiss.\n"
	"\n"
	"'nhir incident VERB --help' describes one verb.\n"
	"\n"
	"exit status: 0 ok, 1 error (or a lifecycle guard refused),\n"
	"             2 usage error, 5 not authorized\n";

static const char usage_declare[] =
	"usage: nhir incident declare --title T --severity S --lead USER\n"
	"                             [--seed REF]... [--finding ID]...\n"
	"                             [--exposed-at TIME]\n"
	"\n"
	"Declares an incident with one accountable lead and a severity\n"
	"(critical, high, medium, low).  The seeds, and the credentials of\n"
	"the findings, are its confirmed scope; their blast radius is\n"
	"proposed, for the lead to confirm or dismiss.  --exposed-at is when\n"
	"the secret was exposed, if known.\n";

static const char usage_list[] =
	"usage: nhir incident list [--state STATE] [--format text|json]\n"
	"\n"
	"Lists the incidents, by number; --state only those in STATE\n"
	"(declared, investigating, containing, recovering, closed).\n";

static const char usage_show[] =
	"usage: nhir incident show INC [--format text|json]\n"
	"\n"
	"Shows incident INC (INC-12 or 12): its lead, severity and state,\n"
	"what keeps it from closing, its scope, people, decisions, tasks,\n"
	"notes, evidence and custody.\n";

static const char usage_assign[] =
	"usage: nhir incident assign INC [--lead USER] [--responder USER]...\n"
	"\n"
	"Gives incident INC a new lead, and adds responders.\n";

static const char usage_state[] =
	"usage: nhir incident state INC STATE [--why TEXT]\n"
	"\n"
	"Moves incident INC to STATE, one step at a time (or one back):\n"
	"declared, investigating, containing, recovering, closed.\n"
	"containing needs a confirmed scope, and closing needs every task\n"
	"done and no scope left proposed, or a risk acceptance by the lead.\n";

static const char usage_scope[] =
	"usage: nhir incident scope INC [--format text|json]\n"
	"       nhir incident scope INC add|confirm|dismiss REF... [--why T]\n"
	"\n"
	"Lists the scope of incident INC, or changes it: add proposes REF\n"
	"(anyone working the incident), confirm and dismiss decide on it\n"
	"(the lead).\n";

struct show {
	int fmt;
	size_t n;
	const char *sep;
};

static int list_cb(const struct nhir_incident *i, void *data)
{
	struct show *s = data;
	char d[40];

	out_printf("INC-%-4" PRId64 " %-8s %-13s %-16s %s  %s\n", i->id,
		   i->severity, nhir_inc_state_name(i->state), i->lead,
		   cli_time(i->declared, d, sizeof(d)), i->title);
	s->n++;
	return 0;
}

static int scope_cb(const struct nhir_scope_item *it, void *data)
{
	struct show *s = data;

	out_printf("  %-10s %-11s %-6s %s%s%s%s\n", it->status,
		   nhir_node_kind_name(it->kind), it->origin, it->ext_id,
		   it->name && strcmp(it->name, it->ext_id) ? " (" : "",
		   it->name && strcmp(it->name, it->ext_id) ? it->name : "",
		   it->name && strcmp(it->name, it->ext_id) ? ")" : "");
	s->n++;
	return 0;
}

static int record_cb(const struct nhir_record_item *it, void *data)
{
	struct show *s = data;
	char t[40], due[40];

	cli_time(it->at, t, sizeof(t));
	if (!strcmp(it->type, "decision")) {
		out_printf("  %s  %s %s: %s\n      why: %s\n", t, it->actor, it->a,
			   it->b, it->c);
	} else if (!strcmp(it->type, "note")) {
		out_printf("  %s  %s: %s\n", t, it->actor, it->a);
	} else if (!strcmp(it->type, "task")) {
		out_printf("  %3" PRId64 "  %-5s %-16s due %-20s %s\n", it->id,
			   it->c, it->b, cli_time(it->n1, due, sizeof(due)), it->a);
	} else if (!strcmp(it->type, "member")) {
		out_printf("  %s (since %s)\n", it->actor, t);
	} else if (!strcmp(it->type, "evidence")) {
		out_printf("  %3" PRId64 "  %s  %s  %" PRId64 " bytes, from %s, "
			   "collected by %s at %s\n", it->id, it->b, it->a, it->n1,
			   it->c, it->actor, t);
	} else if (!strcmp(it->type, "custody")) {
		out_printf("  %s  %-9s evidence %" PRId64 " (%s) by %s%s%s\n", t,
			   it->a, it->n1, it->c, it->actor, it->b ? ": " : "",
			   it->b ? it->b : "");
	}
	s->n++;
	return 0;
}

static const char *const sections[][2] = {
	{ "member", "People" },
	{ "decision", "Decisions" },
	{ "task", "Tasks" },
	{ "note", "Notes" },
	{ "evidence", "Evidence" },
	{ "custody", "Custody" },
};

static int show(struct cli_ctx *ctx, int64_t id, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;
	struct show s = { fmt, 0, "" };
	char d[40], e[40], guard[400];
	cJSON *doc;

	if (fmt == FMT_JSON) {
		if (nhir_doc_incident(ctx->st, id, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	if (nhir_incident_get(ctx->st, id, &i, &err) ||
	    nhir_incident_close_check(ctx->st, id, guard, sizeof(guard), &err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 "  %s\n", i.id, i.title);
	out_printf("severity %s, %s, lead %s; declared %s by %s\n",
		   i.severity, nhir_inc_state_name(i.state), i.lead,
		   cli_time(i.declared, d, sizeof(d)), i.declared_by);
	if (i.exposed_at != NHIR_TIME_UNSET)
		out_printf("exposed at %s\n",
			   cli_time(i.exposed_at, e, sizeof(e)));
	if (guard[0] && i.state != NHIR_INC_CLOSED)
		out_printf("to close: %s\n", guard);
	out_printf("\nScope\n");
	if (nhir_scope_each(ctx->st, id, scope_cb, &s, &err))
		return cli_fail(&err);
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(sections); k++) {
		s.n = 0;
		out_printf("\n%s\n", sections[k][1]);
		if (nhir_record_each(ctx->st, id, sections[k][0], record_cb, &s,
				     &err))
			return cli_fail(&err);
		if (!s.n)
			out_puts("  (none)");
	}
	return EXIT_OK;
}

#define MAX_LIST 256

/* What the options said; each verb reads the part it takes. */
struct inc_args {
	struct nhir_declare d;
	const char *seeds[MAX_LIST], *resp[MAX_LIST], *why;
	int64_t findings[MAX_LIST];
	size_t resp_nr;
	int fmt, state;
	bool help;
	char given[16];		/* the short names of the options seen */
};

static int inc_declare(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id;

	if (!a->d.title || !a->d.severity || !a->d.lead) {
		cli_error("declare needs --title, --severity and --lead");
		return EXIT_USAGE;
	}
	if (ctx->remote)
		return r_inc_declare(&a->d);
	if (nhir_incident_declare(cli_lib(ctx), &a->d, &id, &err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 " declared: %s (lead %s)\n", id, a->d.title,
		   a->d.lead);
	return EXIT_OK;
}

static int inc_list(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct show s = { a->fmt, 0, "" };
	int r;

	if (ctx->remote)
		return r_inc_list(a->state, a->fmt);
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "incident.list")))
		return r;
	if (a->fmt == FMT_JSON) {
		cJSON *doc;

		if (nhir_doc_incidents(ctx->st, a->state, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	if (nhir_incident_list(ctx->st, a->state, list_cb, &s, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

static int inc_show(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	int64_t id = cli_incident(argv[0]);
	int r;

	if (!id)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_inc_show(id, a->fmt);
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "incident.show")))
		return r;
	return show(ctx, id, a->fmt);
}

static int inc_assign(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id = cli_incident(argv[0]);

	if (!id)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_inc_assign(id, a->d.lead, a->resp, a->resp_nr);
	if (nhir_incident_assign(cli_lib(ctx), id, a->d.lead, a->resp,
				 a->resp_nr, &err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 " assigned\n", id);
	return EXIT_OK;
}

static int inc_state(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t id = cli_incident(argv[0]);
	int to;

	if (!id)
		return EXIT_USAGE;
	to = nhir_inc_state_parse(argv[1]);
	if (to < 0) {
		cli_error("unknown state '%s': declared, investigating, "
			  "containing, recovering or closed", argv[1]);
		return EXIT_USAGE;
	}
	if (ctx->remote)
		return r_inc_state(id, argv[1], a->why);
	if (nhir_incident_move(cli_lib(ctx), id, (enum nhir_inc_state)to,
			       a->why, &err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 " is now %s\n", id, argv[1]);
	return EXIT_OK;
}

/* "scope INC" lists; "scope INC add|confirm|dismiss REF..." changes. */
static int inc_scope(struct cli_ctx *ctx, struct inc_args *a, char **argv)
{
	static const char *const ops[] = { "add", "confirm", "dismiss" };
	static const char *const done[] = { "proposed", "confirmed",
					    "dismissed" };
	struct nhir_err err = NHIR_ERR_INIT;
	struct show s = { a->fmt, 0, "" };
	struct nhir_incident i;
	int64_t id = cli_incident(argv[0]);
	size_t k;
	int r;

	if (!id)
		return EXIT_USAGE;
	if (!argv[1]) {
		if (ctx->remote)
			return r_inc_scope_list(id, a->fmt);
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "incident.scope")))
			return r;
		if (a->fmt == FMT_JSON) {
			cJSON *doc;

			if (nhir_doc_scope(ctx->st, id, &doc, &err))
				return cli_fail(&err);
			return cli_print_doc(doc);
		}
		if (nhir_incident_get(ctx->st, id, &i, &err))
			return cli_fail(&err);
		if (nhir_scope_each(ctx->st, id, scope_cb, &s, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	for (k = 0; k < NHIR_ARRAY_SIZE(ops); k++)
		if (!strcmp(argv[1], ops[k]))
			break;
	if (k == NHIR_ARRAY_SIZE(ops) || !argv[2])
		return cli_usage(usage_scope, false);
	if (ctx->remote)
		return r_inc_scope_change(id, ops[k], done[k], argv + 2, a->why);
	for (char **ref = argv + 2; *ref; ref++) {
		if (nhir_scope_change(cli_lib(ctx), id, (enum nhir_scope_op)k,
				      *ref, a->why, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": %s %s\n", id, done[k], *ref);
	}
	return EXIT_OK;
}

/*
 * The verbs, the options each takes (short names, as in opts below)
 * and how many operands: an option a verb does not take is an error,
 * not silently ignored.
 */
static const struct inc_verb {
	const char *name, *opts;
	int min, max;		/* operands; max -1: any number */
	int (*run)(struct cli_ctx *ctx, struct inc_args *a, char **argv);
	const char *usage;
} inc_verbs[] = {
	{ "declare", "tslSFe", 0, 0, inc_declare, usage_declare },
	{ "list", "fx", 0, 0, inc_list, usage_list },
	{ "show", "f", 1, 1, inc_show, usage_show },
	{ "assign", "lr", 1, 1, inc_assign, usage_assign },
	{ "state", "w", 2, 2, inc_state, usage_state },
	{ "scope", "fw", 1, -1, inc_scope, usage_scope },
};

static const struct option inc_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "format", required_argument, NULL, 'f' },
	{ "title", required_argument, NULL, 't' },
	{ "severity", required_argument, NULL, 's' },
	{ "lead", required_argument, NULL, 'l' },
	{ "seed", required_argument, NULL, 'S' },
	{ "finding", required_argument, NULL, 'F' },
	{ "exposed-at", required_argument, NULL, 'e' },
	{ "state", required_argument, NULL, 'x' },
	{ "responder", required_argument, NULL, 'r' },
	{ "why", required_argument, NULL, 'w' },
	{ NULL, 0, NULL, 0 },
};

/* Takes one repeatable option's value; EXIT_OK or EXIT_USAGE. */
static int inc_list_arg(struct inc_args *a, int c, const char *v)
{
	char *end;

	if (a->d.seed_nr >= MAX_LIST || a->d.finding_nr >= MAX_LIST ||
	    a->resp_nr >= MAX_LIST) {
		cli_error("too many values for one option");
		return EXIT_USAGE;
	}
	if (c == 'S') {
		a->seeds[a->d.seed_nr++] = v;
	} else if (c == 'r') {
		a->resp[a->resp_nr++] = v;
	} else {
		a->findings[a->d.finding_nr] = strtoll(v, &end, 10);
		if (*end || a->findings[a->d.finding_nr] <= 0) {
			cli_error("'%s' is not a finding number", v);
			return EXIT_USAGE;
		}
		a->d.finding_nr++;
	}
	return EXIT_OK;
}

/* Reads the options into a; -1 when all went well, else an exit code. */
static int inc_parse(int argc, char **argv, struct inc_args *a)
{
	int c, r;

	while ((c = getopt_long(argc, argv, "h", inc_opts, NULL)) != -1) {
		if (c != 'h' && c != '?' && c != ':' && !strchr(a->given, c) &&
		    strlen(a->given) + 1 < sizeof(a->given))
			a->given[strlen(a->given)] = (char)c;
		switch (c) {
		case 'h':
			/* the verb's own, once the verb is known */
			a->help = true;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &a->fmt))
				return EXIT_USAGE;
			break;
		case 't': a->d.title = optarg; break;
		case 's': a->d.severity = optarg; break;
		case 'l': a->d.lead = optarg; break;
		case 'w': a->why = optarg; break;
		case 'S':
		case 'F':
		case 'r':
			if ((r = inc_list_arg(a, c, optarg)))
				return r;
			break;
		case 'e':
			if (!cli_parse_time(optarg, &a->d.exposed_at))
				return EXIT_USAGE;
			break;
		case 'x':
			a->state = nhir_inc_state_parse(optarg);
			if (a->state < 0) {
				cli_error("unknown state '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage_incident, false);
		}
	}
	return -1;
}

static const char *inc_opt_name(char c)
{
	for (const struct option *o = inc_opts; o->name; o++)
		if (o->val == c)
			return o->name;
	return "?";
}

int cmd_incident(int argc, char **argv, struct cli_ctx *ctx)
{
	struct inc_args *a;
	const struct inc_verb *v = NULL;
	int r, n;

	a = nhir_calloc(1, sizeof(*a));
	if (!a) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	a->d.exposed_at = NHIR_TIME_UNSET;
	a->d.seeds = a->seeds;
	a->d.findings = a->findings;
	a->fmt = FMT_TEXT;
	a->state = -1;
	r = inc_parse(argc, argv, a);
	for (size_t k = 0; optind < argc && k < NHIR_ARRAY_SIZE(inc_verbs) &&
			   !v; k++)
		if (!strcmp(argv[optind], inc_verbs[k].name))
			v = &inc_verbs[k];
	if (a->help) {
		r = cli_usage(v ? v->usage : usage_incident, true);
		goto out;
	}
	if (r >= 0)
		goto out;
	r = EXIT_USAGE;
	if (!v) {
		if (optind < argc)
			cli_error("unknown verb '%s'", argv[optind]);
		cli_usage(usage_incident, false);
		goto out;
	}
	n = argc - optind - 1;
	if (n < v->min || (v->max >= 0 && n > v->max)) {
		cli_error("incident %s: %s operands", v->name,
			  n < v->min ? "too few" : "too many");
		cli_usage(v->usage, false);
		goto out;
	}
	for (const char *g = a->given; *g; g++) {
		if (!strchr(v->opts, *g)) {
			cli_error("incident %s does not take --%s", v->name,
				  inc_opt_name(*g));
			goto out;
		}
	}
	r = v->run(ctx, a, argv + optind + 1);
out:
	nhir_free(a);
	return r;
}
