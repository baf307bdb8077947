/* nhir usage: where and how a credential was used, and what it minted. */
#include "compat.h"
#include <getopt.h>
#include "cli/cli.h"

static const char usage_usage[] =
	"usage: nhir usage [--since TIME] [--until TIME] [--exposed-at TIME]\n"
	"                  [--format text|json] REF\n"
	"\n"
	"For the credential or token REF (key id, external id, #ID) and each\n"
	"credential it minted, recursively: first and last use, each source\n"
	"(address and user agent) with when it was first seen (flagged when\n"
	"after the exposure time), concurrent use from different addresses,\n"
	"actions by count, failed calls, and persistence, escalation and\n"
	"minting calls.\n";

static void fmt_time(int64_t t, char *out)
{
	nhir_time_format(t, out, 32);
}

static const char *note_kind(unsigned f)
{
	if (f & NHIR_EV_PERSISTENCE)
		return "persistence";
	if (f & NHIR_EV_ESCALATION)
		return "escalation";
	if (f & NHIR_EV_MINT)
		return "minted";
	return "failed";
}

/*
 * Keys in depth-first order, so that each minted key is printed under
 * the key that minted it (u->keys is in breadth-first order).
 */
static void dfs(const struct nhir_usage *u, size_t i, size_t *order,
		size_t *nr)
{
	order[(*nr)++] = i;
	for (size_t j = 1; j < u->nr; j++)
		if (u->keys[j].minted_by && u->keys[j].depth ==
						    u->keys[i].depth + 1 &&
		    !strcmp(u->keys[j].minted_by, u->keys[i].key))
			dfs(u, j, order, nr);
}

static void text(struct nhir_ctx *ctx, const struct nhir_usage *u)
{
	const char *b = cli_color(ctx, C_BOLD), *z = cli_color(ctx, C_RESET);
	const char *r = cli_color(ctx, C_RED);
	size_t *order = nhir_calloc(u->nr + 1, sizeof(*order)), nr = 0;

	if (!order) {
		cli_error("out of memory");
		return;
	}
	if (u->nr)
		dfs(u, 0, order, &nr);
	for (size_t o = 0; o < nr; o++) {
		const struct nhir_usage_key *k = &u->keys[order[o]];
		char t1[32], t2[32];

		printf("%s%*s%s%s", o ? "\n" : "", (int)k->depth * 2, "", b,
		       k->key);
		if (k->minted_by) {
			printf("%s  (%s by %s", z, k->via, k->minted_by);
			if (k->minted_at != NHIR_TIME_UNSET) {
				fmt_time(k->minted_at, t1);
				printf(" at %s", t1);
			}
			printf(")");
		}
		printf("%s\n", z);
		if (!k->events) {
			printf("%*s  no events\n", (int)k->depth * 2, "");
			continue;
		}
		fmt_time(k->first, t1);
		fmt_time(k->last, t2);
		printf("%*s  %" PRIu64 " events, %" PRIu64 " failed, first %s, "
		       "last %s\n", (int)k->depth * 2, "", k->events, k->failed,
		       t1, t2);
		if (k->concurrent) {
			fmt_time(k->concurrent_first, t1);
			printf("%*s  %sconcurrent use from different addresses: "
			       "%" PRIu64 " times, first at %s%s\n",
			       (int)k->depth * 2, "", r, k->concurrent, t1, z);
		}
		printf("%*s  sources:\n", (int)k->depth * 2, "");
		for (size_t s = 0; s < k->src_nr; s++) {
			fmt_time(k->src[s].first, t1);
			printf("%*s    %-15s first %s  %6" PRIu64 " calls  %s%s%s\n",
			       (int)k->depth * 2, "",
			       k->src[s].ip ? k->src[s].ip : "-", t1,
			       k->src[s].count, k->src[s].ua ? k->src[s].ua : "-",
			       k->src[s].after_exposure ? r : "",
			       k->src[s].after_exposure ? "  [new after exposure]"
							: "");
			if (k->src[s].after_exposure)
				printf("%s", z);
		}
		printf("%*s  actions:\n", (int)k->depth * 2, "");
		for (size_t a = 0; a < k->act_nr; a++)
			printf("%*s    %6" PRIu64 "  %s%s\n", (int)k->depth * 2, "",
			       k->act[a].count, k->act[a].action,
			       k->act[a].failed ? " (some failed)" : "");
		if (k->note_nr)
			printf("%*s  notable:\n", (int)k->depth * 2, "");
		for (size_t n = 0; n < k->note_nr; n++) {
			fmt_time(k->note[n].time, t1);
			printf("%*s    %s  %-11s %s %s -> %s\n",
			       (int)k->depth * 2, "", t1,
			       note_kind(k->note[n].flags), k->note[n].action,
			       k->note[n].target ? k->note[n].target : "",
			       k->note[n].outcome ? k->note[n].outcome : "");
		}
	}
	nhir_free(order);
}

static void json_time(int64_t t)
{
	char b[32];

	if (t == NHIR_TIME_UNSET || t == NHIR_TIME_NEVER) {
		printf("null");
		return;
	}
	fmt_time(t, b);
	printf("\"%s\"", b);
}

static void json(const struct nhir_usage *u)
{
	printf("{\"keys\":[");
	for (size_t i = 0; i < u->nr; i++) {
		const struct nhir_usage_key *k = &u->keys[i];

		printf("%s{\"key\":", i ? "," : "");
		cli_json_str(stdout, k->key);
		printf(",\"minted_by\":");
		cli_json_str(stdout, k->minted_by);
		printf(",\"via\":");
		cli_json_str(stdout, k->via);
		printf(",\"minted_at\":");
		json_time(k->minted_at);
		printf(",\"depth\":%u,\"events\":%" PRIu64 ",\"failed\":%" PRIu64
		       ",\"first\":", k->depth, k->events, k->failed);
		json_time(k->events ? k->first : NHIR_TIME_UNSET);
		printf(",\"last\":");
		json_time(k->events ? k->last : NHIR_TIME_UNSET);
		printf(",\"concurrent\":%" PRIu64 ",\"sources\":[", k->concurrent);
		for (size_t s = 0; s < k->src_nr; s++) {
			printf("%s{\"ip\":", s ? "," : "");
			cli_json_str(stdout, k->src[s].ip);
			printf(",\"user_agent\":");
			cli_json_str(stdout, k->src[s].ua);
			printf(",\"first\":");
			json_time(k->src[s].first);
			printf(",\"last\":");
			json_time(k->src[s].last);
			printf(",\"count\":%" PRIu64 ",\"after_exposure\":%s}",
			       k->src[s].count,
			       k->src[s].after_exposure ? "true" : "false");
		}
		printf("],\"actions\":[");
		for (size_t a = 0; a < k->act_nr; a++) {
			printf("%s{\"action\":", a ? "," : "");
			cli_json_str(stdout, k->act[a].action);
			printf(",\"count\":%" PRIu64 ",\"failed\":%" PRIu64 "}",
			       k->act[a].count, k->act[a].failed);
		}
		printf("],\"notable\":[");
		for (size_t n = 0; n < k->note_nr; n++) {
			printf("%s{\"time\":", n ? "," : "");
			json_time(k->note[n].time);
			printf(",\"kind\":\"%s\",\"action\":",
			       note_kind(k->note[n].flags));
			cli_json_str(stdout, k->note[n].action);
			printf(",\"target\":");
			cli_json_str(stdout, k->note[n].target);
			printf(",\"outcome\":");
			cli_json_str(stdout, k->note[n].outcome);
			printf(",\"ip\":");
			cli_json_str(stdout, k->note[n].src_ip);
			putchar('}');
		}
		printf("]}");
	}
	printf("]}\n");
}

int cmd_usage(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "exposed-at", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0 };
	struct nhir_usage u;
	struct nhir_err err = NHIR_ERR_INIT;
	int c, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int64_t *t = c == 's' ? &o.since : c == 'u' ? &o.until
							    : &o.exposed_at;

		switch (c) {
		case 'h':
			return cli_usage(usage_usage, true);
		case 's':
		case 'u':
		case 'e':
			if (!cli_parse_time(optarg, t))
				return EXIT_USAGE;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_usage, false);
		}
	}
	if (argc - optind != 1)
		return cli_usage(usage_usage, false);
	if (nhir_usage_collect(ctx->st, argv[optind], &o, &u, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	if (fmt == FMT_JSON)
		json(&u);
	else
		text(ctx, &u);
	nhir_usage_release(&u);
	return EXIT_OK;
}
