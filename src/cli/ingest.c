/* nhir ingest: audit logs into events and lineage. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "cli/cli.h"

static const char usage_ingest[] =
	"usage: nhir ingest [--format text|json] FORMAT PATH...\n"
	"       nhir ingest --list\n"
	"\n"
	"Ingests audit logs.  PATH is a file or a directory walked\n"
	"recursively; .gz files are read as they are.  Each file is one\n"
	"transaction, and a file ingested before (same SHA-256) is skipped.\n"
	"A malformed record is skipped and counted; a file that is cut short,\n"
	"is not of FORMAT, or holds an oversized record is rejected whole.\n"
	"\n"
	"formats:\n"
	"   cloudtrail   AWS CloudTrail: {\"Records\":[...]} files, .json.gz,\n"
	"                JSON Lines\n"
	"   k8s-audit    Kubernetes audit events (audit.k8s.io/v1), JSON Lines\n"
	"   vault-audit  HashiCorp Vault audit device log, JSON Lines\n"
	"   github-audit GitHub audit log export, JSON Lines or array\n"
	"   ocsf         OCSF API Activity, Authentication, Account Change\n"
	"\n"
	"exit status: 0 all ingested, 4 some records skipped, 1 a file was\n"
	"rejected or the run failed, 2 usage error\n";

struct progress {
	bool on;
	uint64_t shown;
};

static void on_progress(const char *path, const struct nhir_ingest_result *r,
			void *data)
{
	struct progress *p = data;

	(void)path;
	if (!p->on)
		return;
	fprintf(stderr, "\r%" PRIu64 " files, %" PRIu64 " events, %.1f MB\033[K",
		r->files + r->files_seen + r->files_failed, r->events,
		r->bytes / 1e6);
	p->shown++;
}

int cmd_ingest(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const struct nhir_tele_format *fmt;
	struct nhir_ingest_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	struct progress prog = { false, 0 };
	int c, out = FMT_TEXT, status = EXIT_OK;
	bool list = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_ingest, true);
		case 'f':
			if (!cli_format_arg(optarg, &out))
				return EXIT_USAGE;
			break;
		case 'l':
			list = true;
			break;
		default:
			return cli_usage(usage_ingest, false);
		}
	}
	if (list) {
		const struct nhir_tele_format *const *all = nhir_tele_formats();

		for (size_t i = 0; all[i]; i++)
			printf("%-12s %s\n", nhir_tele_name(all[i]),
			       nhir_tele_summary(all[i]));
		return EXIT_OK;
	}
	if (argc - optind < 2)
		return cli_usage(usage_ingest, false);
	fmt = nhir_tele_find(argv[optind]);
	if (!fmt) {
		cli_error("unknown log format '%s'; see 'nhir ingest --list'",
			  argv[optind]);
		return EXIT_USAGE;
	}
	status = cli_authorize(ctx, NHIR_PERM_DATA, "ingest");
	if (status)
		return status;
	memset(&res, 0, sizeof(res));
	prog.on = ctx->progress;
	for (int i = optind + 1; i < argc; i++) {
		enum nhir_rc rc = nhir_ingest_path(ctx->st, fmt, argv[i],
						   ctx->actor, on_progress,
						   &prog, &res, &err);

		if (rc == NHIR_EPARSE) {
			status = EXIT_ERROR;
		} else if (rc) {
			cli_error("%s", err.msg);
			status = EXIT_ERROR;
			if (rc == NHIR_ESTORE || rc == NHIR_ENOMEM)
				break;
		}
	}
	if (prog.shown)
		fputs("\r\033[K", stderr);
	for (size_t d = 0; d < res.diag_nr; d++)
		fprintf(stderr, "%s: byte %" PRIu64 ": %s\n",
			res.diags[d].path, res.diags[d].off, res.diags[d].msg);
	if (status == EXIT_OK && res.malformed)
		status = EXIT_PARTIAL;
	if (out == FMT_JSON) {
		printf("{\"files\":%" PRIu64 ",\"files_already_ingested\":%"
		       PRIu64 ",\"files_rejected\":%" PRIu64 ",\"records\":%"
		       PRIu64 ",\"events\":%" PRIu64 ",\"duplicates\":%" PRIu64
		       ",\"skipped\":%" PRIu64 ",\"lineage_changes\":%" PRIu64
		       ",\"bytes\":%" PRIu64 ",\"problems\":[", res.files,
		       res.files_seen, res.files_failed, res.records, res.events,
		       res.duplicates, res.malformed, res.lineage, res.bytes);
		for (size_t d = 0; d < res.diag_nr; d++) {
			printf("%s{\"path\":", d ? "," : "");
			cli_json_str(stdout, res.diags[d].path);
			printf(",\"offset\":%" PRIu64 ",\"message\":",
			       res.diags[d].off);
			cli_json_str(stdout, res.diags[d].msg);
			putchar('}');
		}
		printf("],\"complete\":%s}\n",
		       status == EXIT_OK ? "true" : "false");
	} else {
		printf("%" PRIu64 " files ingested, %" PRIu64 " already "
		       "ingested, %" PRIu64 " rejected; %" PRIu64 " events (%"
		       PRIu64 " stored before), %" PRIu64 " records skipped, %"
		       PRIu64 " lineage changes\n", res.files, res.files_seen,
		       res.files_failed, res.events, res.duplicates,
		       res.malformed, res.lineage);
	}
	if (res.events || res.lineage) {
		cJSON *d = cJSON_CreateObject();
		cJSON *paths = cJSON_AddArrayToObject(d, "paths");

		cJSON_AddStringToObject(d, "format", nhir_tele_name(fmt));
		for (int i = optind + 1; i < argc; i++)
			cJSON_AddItemToArray(paths, cJSON_CreateString(argv[i]));
		cJSON_AddNumberToObject(d, "files", (double)res.files);
		cJSON_AddNumberToObject(d, "events", (double)res.events);
		cJSON_AddNumberToObject(d, "lineage", (double)res.lineage);
		cJSON_AddNumberToObject(d, "skipped", (double)res.malformed);
		cli_audit(ctx, "ingest", d);
	}
	if (res.lineage) {
		struct nhir_graph *g = NULL;

		/* keep the graph cache fresh for blast, as import does */
		if (nhir_store_load_graph(ctx->st, &g, &err))
			cli_warn("graph cache not refreshed: %s", err.msg);
		nhir_graph_free(g);
	}
	return status;
}
