/* nhir incident: declare, list, show, assign, state, scope. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "cli/cli.h"

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
	"exit status: 0 ok, 1 error (or a lifecycle guard refused),\n"
	"             2 usage error, 5 not authorized\n";

struct show {
	int fmt;
	size_t n;
	const char *sep;
};

static void print_incident_json(const struct nhir_incident *i)
{
	char d[40], u[40], c[40], e[40];

	printf("{\"id\":\"INC-%" PRId64 "\",\"title\":", i->id);
	cli_json_str(stdout, i->title);
	printf(",\"severity\":\"%s\",\"state\":\"%s\",\"lead\":", i->severity,
	       nhir_inc_state_name(i->state));
	cli_json_str(stdout, i->lead);
	printf(",\"declared\":\"%s\",\"declared_by\":",
	       cli_time(i->declared, d, sizeof(d)));
	cli_json_str(stdout, i->declared_by);
	printf(",\"updated\":\"%s\"", cli_time(i->updated, u, sizeof(u)));
	if (i->closed != NHIR_TIME_UNSET)
		printf(",\"closed\":\"%s\"", cli_time(i->closed, c, sizeof(c)));
	if (i->exposed_at != NHIR_TIME_UNSET)
		printf(",\"exposed_at\":\"%s\"",
		       cli_time(i->exposed_at, e, sizeof(e)));
}

static int list_cb(const struct nhir_incident *i, void *data)
{
	struct show *s = data;
	char d[40];

	if (s->fmt == FMT_JSON) {
		fputs(s->n ? "," : "", stdout);
		print_incident_json(i);
		putchar('}');
	} else {
		printf("INC-%-4" PRId64 " %-8s %-13s %-16s %s  %s\n", i->id,
		       i->severity, nhir_inc_state_name(i->state), i->lead,
		       cli_time(i->declared, d, sizeof(d)), i->title);
	}
	s->n++;
	return 0;
}

static int scope_cb(const struct nhir_scope_item *it, void *data)
{
	struct show *s = data;

	if (s->fmt == FMT_JSON) {
		printf("%s{\"node\":", s->n ? "," : "");
		cli_json_str(stdout, it->ext_id);
		fputs(",\"name\":", stdout);
		cli_json_str(stdout, it->name);
		printf(",\"kind\":\"%s\",\"status\":\"%s\",\"origin\":\"%s\","
		       "\"by\":", nhir_node_kind_name(it->kind), it->status,
		       it->origin);
		cli_json_str(stdout, it->actor);
		putchar('}');
	} else {
		printf("  %-10s %-11s %-6s %s%s%s%s\n", it->status,
		       nhir_node_kind_name(it->kind), it->origin, it->ext_id,
		       it->name && strcmp(it->name, it->ext_id) ? " (" : "",
		       it->name && strcmp(it->name, it->ext_id) ? it->name : "",
		       it->name && strcmp(it->name, it->ext_id) ? ")" : "");
	}
	s->n++;
	return 0;
}

static int record_cb(const struct nhir_record_item *it, void *data)
{
	struct show *s = data;
	char t[40], due[40];

	cli_time(it->at, t, sizeof(t));
	if (s->fmt == FMT_JSON) {
		printf("%s{\"at\":\"%s\",\"by\":", s->n ? "," : "", t);
		cli_json_str(stdout, it->actor);
		if (!strcmp(it->type, "decision")) {
			printf(",\"id\":%" PRId64 ",\"kind\":", it->id);
			cli_json_str(stdout, it->a);
			fputs(",\"what\":", stdout);
			cli_json_str(stdout, it->b);
			fputs(",\"why\":", stdout);
			cli_json_str(stdout, it->c);
		} else if (!strcmp(it->type, "note")) {
			fputs(",\"text\":", stdout);
			cli_json_str(stdout, it->a);
		} else if (!strcmp(it->type, "task")) {
			printf(",\"id\":%" PRId64 ",\"title\":", it->id);
			cli_json_str(stdout, it->a);
			fputs(",\"owner\":", stdout);
			cli_json_str(stdout, it->b);
			printf(",\"status\":\"%s\"", it->c);
		} else if (!strcmp(it->type, "evidence")) {
			printf(",\"id\":%" PRId64 ",\"name\":", it->id);
			cli_json_str(stdout, it->a);
			printf(",\"sha256\":\"%s\",\"size\":%" PRId64
			       ",\"source\":", it->b, it->n1);
			cli_json_str(stdout, it->c);
		} else if (!strcmp(it->type, "custody")) {
			printf(",\"evidence\":%" PRId64 ",\"action\":", it->n1);
			cli_json_str(stdout, it->a);
			fputs(",\"detail\":", stdout);
			cli_json_str(stdout, it->b);
		}
		putchar('}');
	} else if (!strcmp(it->type, "decision")) {
		printf("  %s  %s %s: %s\n      why: %s\n", t, it->actor, it->a,
		       it->b, it->c);
	} else if (!strcmp(it->type, "note")) {
		printf("  %s  %s: %s\n", t, it->actor, it->a);
	} else if (!strcmp(it->type, "task")) {
		printf("  %3" PRId64 "  %-5s %-16s due %-20s %s\n", it->id,
		       it->c, it->b, cli_time(it->n1, due, sizeof(due)), it->a);
	} else if (!strcmp(it->type, "member")) {
		printf("  %s (since %s)\n", it->actor, t);
	} else if (!strcmp(it->type, "evidence")) {
		printf("  %3" PRId64 "  %s  %s  %" PRId64 " bytes, from %s, "
		       "collected by %s at %s\n", it->id, it->b, it->a, it->n1,
		       it->c, it->actor, t);
	} else if (!strcmp(it->type, "custody")) {
		printf("  %s  %-9s evidence %" PRId64 " (%s) by %s%s%s\n", t,
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

static int show(struct nhir_ctx *ctx, int64_t id, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_incident i;
	struct show s = { fmt, 0, "" };
	char d[40], e[40], guard[400];

	if (nhir_incident_get(ctx->st, id, &i, &err) ||
	    nhir_incident_close_check(ctx->st, id, guard, sizeof(guard), &err))
		return cli_fail(&err);
	if (fmt == FMT_JSON) {
		print_incident_json(&i);
		fputs(",\"can_close\":", stdout);
		fputs(guard[0] ? "false" : "true", stdout);
		fputs(",\"scope\":[", stdout);
	} else {
		printf("INC-%" PRId64 "  %s\n", i.id, i.title);
		printf("severity %s, %s, lead %s; declared %s by %s\n",
		       i.severity, nhir_inc_state_name(i.state), i.lead,
		       cli_time(i.declared, d, sizeof(d)), i.declared_by);
		if (i.exposed_at != NHIR_TIME_UNSET)
			printf("exposed at %s\n",
			       cli_time(i.exposed_at, e, sizeof(e)));
		if (guard[0] && i.state != NHIR_INC_CLOSED)
			printf("to close: %s\n", guard);
		printf("\nScope\n");
	}
	if (nhir_scope_each(ctx->st, id, scope_cb, &s, &err))
		return cli_fail(&err);
	if (fmt == FMT_JSON)
		putchar(']');
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(sections); k++) {
		s.n = 0;
		if (fmt == FMT_JSON)
			printf(",\"%ss\":[", sections[k][0]);
		else
			printf("\n%s\n", sections[k][1]);
		if (nhir_record_each(ctx->st, id, sections[k][0], record_cb, &s,
				     &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			putchar(']');
		else if (!s.n)
			puts("  (none)");
	}
	if (fmt == FMT_JSON)
		puts("}");
	return EXIT_OK;
}

#define MAX_LIST 256

int cmd_incident(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
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
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_declare d;
	const char *seeds[MAX_LIST], *resp[MAX_LIST], *why = NULL, *sub;
	int64_t findings[MAX_LIST], id;
	size_t resp_nr = 0;
	int c, fmt = FMT_TEXT, state = -1, r;
	char *end;

	memset(&d, 0, sizeof(d));
	d.exposed_at = NHIR_TIME_UNSET;
	d.seeds = seeds;
	d.findings = findings;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_incident, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 't': d.title = optarg; break;
		case 's': d.severity = optarg; break;
		case 'l': d.lead = optarg; break;
		case 'w': why = optarg; break;
		case 'S':
		case 'F':
		case 'r':
			if (d.seed_nr >= MAX_LIST || d.finding_nr >= MAX_LIST ||
			    resp_nr >= MAX_LIST) {
				cli_error("too many values for one option");
				return EXIT_USAGE;
			}
			if (c == 'S') {
				seeds[d.seed_nr++] = optarg;
			} else if (c == 'r') {
				resp[resp_nr++] = optarg;
			} else {
				findings[d.finding_nr] = strtoll(optarg, &end, 10);
				if (*end || findings[d.finding_nr] <= 0) {
					cli_error("'%s' is not a finding number",
						  optarg);
					return EXIT_USAGE;
				}
				d.finding_nr++;
			}
			break;
		case 'e':
			if (!cli_parse_time(optarg, &d.exposed_at))
				return EXIT_USAGE;
			break;
		case 'x':
			state = nhir_inc_state_parse(optarg);
			if (state < 0) {
				cli_error("unknown state '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage_incident, false);
		}
	}
	if (optind >= argc)
		return cli_usage(usage_incident, false);
	sub = argv[optind++];
	if (!strcmp(sub, "declare") && optind == argc) {
		if (!d.title || !d.severity || !d.lead) {
			cli_error("declare needs --title, --severity and --lead");
			return EXIT_USAGE;
		}
		if (nhir_incident_declare(ctx->st, ctx->actor, &d, &id, &err))
			return cli_fail(&err);
		printf("INC-%" PRId64 " declared: %s (lead %s)\n", id, d.title,
		       d.lead);
		return EXIT_OK;
	}
	if (!strcmp(sub, "list") && optind == argc) {
		struct show s = { fmt, 0, "" };

		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "incident.list")))
			return r;
		if (fmt == FMT_JSON)
			fputs("{\"incidents\":[", stdout);
		if (nhir_incident_list(ctx->st, state, list_cb, &s, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			puts("]}");
		return EXIT_OK;
	}
	if (optind >= argc)
		return cli_usage(usage_incident, false);
	id = cli_incident(argv[optind++]);
	if (!id)
		return EXIT_USAGE;
	if (!strcmp(sub, "show") && optind == argc) {
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "incident.show")))
			return r;
		return show(ctx, id, fmt);
	}
	if (!strcmp(sub, "assign") && optind == argc) {
		if (nhir_incident_assign(ctx->st, ctx->actor, id, d.lead, resp,
					 resp_nr, &err))
			return cli_fail(&err);
		printf("INC-%" PRId64 " assigned\n", id);
		return EXIT_OK;
	}
	if (!strcmp(sub, "state") && optind + 1 == argc) {
		int to = nhir_inc_state_parse(argv[optind]);

		if (to < 0) {
			cli_error("unknown state '%s': declared, investigating, "
				  "containing, recovering or closed",
				  argv[optind]);
			return EXIT_USAGE;
		}
		if (nhir_incident_move(ctx->st, ctx->actor, id,
				       (enum nhir_inc_state)to, why, &err))
			return cli_fail(&err);
		printf("INC-%" PRId64 " is now %s\n", id, argv[optind]);
		return EXIT_OK;
	}
	if (!strcmp(sub, "scope")) {
		static const char *const ops[] = { "add", "confirm", "dismiss" };
		struct show s = { fmt, 0, "" };
		struct nhir_incident i;

		if (optind == argc) {
			if ((r = cli_authorize(ctx, NHIR_PERM_READ,
					       "incident.scope")))
				return r;
			if (nhir_incident_get(ctx->st, id, &i, &err))
				return cli_fail(&err);
			if (fmt == FMT_JSON)
				fputs("{\"scope\":[", stdout);
			if (nhir_scope_each(ctx->st, id, scope_cb, &s, &err))
				return cli_fail(&err);
			if (fmt == FMT_JSON)
				puts("]}");
			return EXIT_OK;
		}
		for (size_t k = 0; k < NHIR_ARRAY_SIZE(ops); k++) {
			if (strcmp(argv[optind], ops[k]))
				continue;
			if (optind + 1 >= argc)
				return cli_usage(usage_incident, false);
			for (int a = optind + 1; a < argc; a++) {
				if (nhir_scope_change(ctx->st, ctx->actor, id,
						      (enum nhir_scope_op)k,
						      argv[a], why, &err))
					return cli_fail(&err);
				printf("INC-%" PRId64 ": %s %s\n", id,
				       k == 0 ? "proposed" : k == 1
							    ? "confirmed"
							    : "dismissed",
				       argv[a]);
			}
			return EXIT_OK;
		}
	}
	return cli_usage(usage_incident, false);
}
