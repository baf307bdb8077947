/* nhir timeline: what credentials and all they minted did, in order. */
#include "compat.h"
#include <getopt.h>
#include "cli/cli.h"

static const char usage_timeline[] =
	"usage: nhir timeline [--since TIME] [--until TIME]\n"
	"                     [--format text|json] REF...\n"
	"\n"
	"One chronological view of what the credentials REF, and every\n"
	"session and key minted from them (recursively), did.  Each line\n"
	"names the file and byte offset of the record it came from.\n";

struct tl {
	struct nhir_ctx *ctx;
	int fmt;
	size_t nr;
};

static int line(const struct nhir_event *e, void *data)
{
	struct tl *t = data;
	char when[32];

	nhir_time_format(e->time, when, sizeof(when));
	if (t->fmt == FMT_JSON) {
		printf("%s{\"time\":\"%s\",\"key\":", t->nr ? "," : "", when);
		cli_json_str(stdout, e->actor_key);
		printf(",\"identity\":");
		cli_json_str(stdout, e->identity);
		printf(",\"action\":");
		cli_json_str(stdout, e->action);
		printf(",\"target\":");
		cli_json_str(stdout, e->target);
		printf(",\"outcome\":");
		cli_json_str(stdout, e->outcome);
		printf(",\"ip\":");
		cli_json_str(stdout, e->src_ip);
		printf(",\"user_agent\":");
		cli_json_str(stdout, e->user_agent);
		printf(",\"flags\":%u,\"file\":%" PRId64 ",\"offset\":%" PRIu64
		       "}", e->flags, e->file, e->offset);
	} else {
		printf("%s  %-20s %-40s %-10s %-15s %s\n", when,
		       e->actor_key ? e->actor_key : "-",
		       e->action ? e->action : "-",
		       e->outcome ? e->outcome : "-",
		       e->src_ip ? e->src_ip : "-", e->target ? e->target : "");
	}
	t->nr++;
	return 0;
}

int cmd_timeline(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_event_query q = { NULL, 0, NULL, NHIR_TIME_UNSET,
				      NHIR_TIME_UNSET, false, false, 0 };
	struct nhir_err err = NHIR_ERR_INIT;
	struct tl t = { ctx, FMT_TEXT, 0 };
	char **keys = NULL;
	size_t nr = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_timeline, true);
		case 's':
		case 'u':
			if (!cli_parse_time(optarg, c == 's' ? &q.since
							     : &q.until))
				return EXIT_USAGE;
			break;
		case 'f':
			if (!cli_format_arg(optarg, &t.fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_timeline, false);
		}
	}
	if (optind >= argc)
		return cli_usage(usage_timeline, false);
	if (nhir_lineage_keys(ctx->st, (const char *const *)argv + optind,
			      (size_t)(argc - optind), &keys, &nr, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	q.keys = (const char *const *)keys;
	q.key_nr = nr;
	if (t.fmt == FMT_JSON)
		printf("{\"keys\":%zu,\"events\":[", nr);
	rc = nhir_store_events(ctx->st, &q, line, &t, &err);
	if (t.fmt == FMT_JSON)
		printf("]}\n");
	nhir_keys_free(keys, nr);
	if (rc) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
