/* nhir ingest: audit logs into events and lineage. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_ingest[] =
	"usage: nhir ingest [--format text|json] [--all-problems] FORMAT PATH...\n"
	"       nhir ingest --list\n"
	"\n"
	"Ingests audit logs.  PATH is a file, a directory walked\n"
	"recursively, or - for standard input (at most 2 GiB, kept before\n"
	"anything is written); .gz files are read as they are, a UTF-8\n"
	"byte order mark is skipped.  Each file is one transaction, and a file ingested\n"
	"before (same SHA-256) is skipped.  A malformed record is skipped and\n"
	"counted; a record repeated in the same file counts once; a file that\n"
	"is cut short, is not of FORMAT, or holds an oversized record is\n"
	"rejected whole.  In a directory, a file that is not a FORMAT log\n"
	"(a README) and a hidden entry are reported and skipped; CloudTrail\n"
	"digest files are skipped and counted, and do not make it partial.\n"
	"\n"
	"The first ten problems are printed, then how many more;\n"
	"--all-problems prints every one.\n"
	"\n"
	"formats:\n"
	"   cloudtrail   AWS CloudTrail: {\"Records\":[...]} files, .json.gz,\n"
	"                JSON Lines\n"
	"   k8s-audit    Kubernetes audit events (audit.k8s.io/v1), JSON Lines\n"
	"   vault-audit  HashiCorp Vault audit device log, JSON Lines\n"
	"   github-audit GitHub audit log export, JSON Lines or array\n"
	"   ocsf         OCSF API Activity, Authentication, Account Change\n"
	"\n"
	"exit status: 0 all ingested, 4 partial: some records or files\n"
	"skipped, 1 a file was rejected or the run failed, 2 usage error\n";

struct progress {
	bool on;
	uint64_t shown;
};

/* Every problem as it is found (--all-problems). */
struct problems {
	bool json;
	struct nhir_ingest_diag *list;	/* JSON: collected */
	size_t nr, alloc;
	bool oom;
	struct progress *prog;
};

static void print_problem(const struct nhir_ingest_diag *d)
{
	out_fprintf(stderr, "%s: byte %" PRIu64 ": %s\n", d->path, d->off, d->msg);
}

static void on_problem(const struct nhir_ingest_diag *d, void *data)
{
	struct problems *p = data;

	if (!p->json) {
		if (p->prog->shown)
			out_raw(stderr, "\r\033[K", 4);
		print_problem(d);
		return;
	}
	if (NHIR_ALLOC_GROW(p->list, p->nr + 1, p->alloc)) {
		p->oom = true;
		return;
	}
	p->list[p->nr++] = *d;
}

static void on_progress(const char *path, const struct nhir_ingest_result *r,
			void *data)
{
	struct progress *p = data;

	(void)path;
	if (!p->on)
		return;
	out_fprintf(stderr, "\r%" PRIu64 " files, %" PRIu64 " events, %.1f MB\033[K",
		    r->files + r->files_seen + r->files_failed, r->events,
		    r->bytes / 1e6);
	p->shown++;
}

int cmd_ingest(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "list", no_argument, NULL, 'l' },
		{ "all-problems", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 },
	};
	struct problems probs = { false, NULL, 0, 0, false, NULL };
	const struct nhir_tele_format *fmt;
	struct nhir_ingest_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	struct progress prog = { false, 0 };
	int c, out = FMT_TEXT, status = EXIT_OK;
	bool list = false, every = false;

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
		case 'A':
			every = true;
			break;
		default:
			return cli_usage(usage_ingest, false);
		}
	}
	if (list) {
		const struct nhir_tele_format *const *all = nhir_tele_formats();

		for (size_t i = 0; all[i]; i++)
			out_printf("%-12s %s\n", nhir_tele_name(all[i]),
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
	if (ctx->remote)
		return r_upload("ingest", argv[optind], NULL, argv + optind + 1,
				argc - optind - 1, out);
	status = cli_authorize(ctx, NHIR_PERM_DATA, "ingest");
	if (status)
		return status;
	memset(&res, 0, sizeof(res));
	prog.on = ctx->progress;
	if (every) {
		probs.json = out == FMT_JSON;
		probs.prog = &prog;
		res.on_diag = on_problem;
		res.diag_data = &probs;
	}
	for (int i = optind + 1; i < argc; i++) {
		enum nhir_rc rc = nhir_ingest_path(cli_lib(ctx), fmt, argv[i],
						   on_progress, &prog, &res,
						   &err);

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
		out_raw(stderr, "\r\033[K", 4);
	if (!every) {
		for (size_t d = 0; d < res.diag_nr; d++)
			print_problem(&res.diags[d]);
		if (res.diag_total > res.diag_nr)
			out_fprintf(stderr, "... and %" PRIu64 " more problems; "
				    "--all-problems prints every one\n",
				    res.diag_total - res.diag_nr);
	}
	if (status == EXIT_OK && (res.malformed || res.files_skipped))
		status = EXIT_PARTIAL;
	if (out == FMT_JSON) {
		cJSON *doc;

		if (probs.oom)
			cli_error("out of memory: not every problem is listed");
		if (nhir_doc_ingest(&res, probs.json ? probs.list : NULL,
				    probs.nr, status == EXIT_OK, &doc, &err))
			status = cli_fail(&err);
		else if (cli_print_doc(doc))
			status = EXIT_ERROR;
	} else {
		out_printf("%" PRIu64 " files ingested, %" PRIu64 " already "
			   "ingested, %" PRIu64 " rejected", res.files,
			   res.files_seen, res.files_failed);
		if (res.files_skipped)
			out_printf(", %" PRIu64 " skipped (not read)",
				   res.files_skipped);
		if (res.digests_skipped)
			out_printf(", %" PRIu64 " digest files skipped",
				   res.digests_skipped);
		out_printf("; %" PRIu64 " events (%" PRIu64 " stored before",
			   res.events, res.duplicates);
		if (res.dup_run)
			out_printf(", %" PRIu64 " also in another file read now",
				   res.dup_run);
		if (res.repeated)
			out_printf(", %" PRIu64 " repeated in their file",
				   res.repeated);
		out_printf("), %" PRIu64 " records skipped, %" PRIu64 " lineage "
			   "changes\n", res.malformed, res.lineage);
	}
	nhir_free(probs.list);
	if (res.graph_error[0])
		cli_warn("graph cache not refreshed: %s", res.graph_error);
	return status;
}
