/* nhir hunt: a credential's use and lineage, straight from raw logs. */
#include "compat.h"
#include <getopt.h>
#include <sys/stat.h>
#include <time.h>
#include "nhir/record.h"
#include "cli/cli.h"
#include "nhir/doc.h"

static const char usage_hunt[] =
	"usage: nhir hunt [--since TIME] [--until TIME] [--exposed-at TIME]\n"
	"                 [--all] [--format text|json] FORMAT KEY... PATH...\n"
	"\n"
	"Searches the raw logs under each PATH for the credential ids KEY\n"
	"without ingesting them: a literal search finds the records that\n"
	"hold a key, and only those are parsed and stored (as an ingest\n"
	"stores them).  A session or key minted or created by a key joins\n"
	"the search, and files read before it joined are read again for\n"
	"it, unless named (as CloudTrail names them) for a delivery before\n"
	"it was minted.  Then prints, for each KEY, what 'nhir usage'\n"
	"prints.\n"
	"\n"
	"The arguments after FORMAT up to the first one that exists as a\n"
	"file or directory are keys; the rest are paths.  Files searched are\n"
	"not marked ingested: 'nhir ingest' still reads all of them later.\n"
	"A summary goes to stderr.\n"
	"\n"
	"exit status: 0 ok, 4 some input skipped, 1 error, 2 usage error\n";

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int show(struct cli_ctx *ctx, char **keys, int nk,
		const struct nhir_usage_opts *o, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	int status = EXIT_OK;
	cJSON *doc;

	if (fmt == FMT_JSON) {
		if (nhir_doc_hunt(ctx->st, (const char *const *)keys,
				  (size_t)nk, o, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	for (int i = 0; i < nk; i++) {
		struct nhir_ref_keys ref;
		bool known = !nhir_usage_ref(ctx->st, keys[i], &ref, &err);

		if (known)
			nhir_ref_keys_release(&ref);
		if (!known) {
			out_printf("%s%s\n  not in the logs searched\n",
				   i ? "\n" : "", keys[i]);
			continue;
		}
		if (i)
			out_putchar('\n');
		fflush(stdout);
		if (cli_usage_show(ctx, keys[i], o, fmt))
			status = EXIT_ERROR;
		fflush(stdout);
	}
	return status;
}

int cmd_hunt(int argc, char **argv, struct cli_ctx *ctx)
{
	struct nhir_usage_opts o = { NHIR_TIME_UNSET, NHIR_TIME_UNSET,
				     NHIR_TIME_UNSET, 0, false };
	const struct nhir_tele_format *fmt;
	struct nhir_hunt_result res;
	struct nhir_err err = NHIR_ERR_INIT;
	int c, out = FMT_TEXT, status, first_path, nk;
	enum nhir_rc rc;
	struct stat sb;
	double t0;

	c = cli_usage_opts(argc, argv, usage_hunt, &o, &out);
	if (c >= 0)
		return c;
	if (argc - optind < 3)
		return cli_usage(usage_hunt, false);
	fmt = nhir_tele_find(argv[optind]);
	if (!fmt) {
		cli_error("unknown log format '%s'; see 'nhir ingest --list'",
			  argv[optind]);
		return EXIT_USAGE;
	}
	for (first_path = optind + 1; first_path < argc; first_path++)
		if (!stat(argv[first_path], &sb))
			break;
	nk = first_path - optind - 1;
	if (!nk || first_path == argc) {
		cli_error("%s", !nk ? "no key before the first path"
				    : "no path exists among the arguments");
		return EXIT_USAGE;
	}
	status = cli_authorize(ctx, NHIR_PERM_DATA, "hunt");
	if (status)
		return status;
	memset(&res, 0, sizeof(res));
	t0 = now_s();
	rc = nhir_hunt(cli_lib(ctx), fmt,
		       (const char *const *)argv + optind + 1, (size_t)nk,
		       (const char *const *)argv + first_path,
		       (size_t)(argc - first_path), &res, &err);
	for (size_t d = 0; d < res.in.diag_nr; d++)
		out_fprintf(stderr, "%s: byte %" PRIu64 ": %s\n",
			res.in.diags[d].path, res.in.diags[d].off,
			res.in.diags[d].msg);
	if (rc && rc != NHIR_EPARSE) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	out_fprintf(stderr, "hunt: %" PRIu64 " files, %.1f MB searched in %.3f s; "
		"%" PRIu64 " records of %" PRIu64 " keys (%" PRIu64
		" minted or created) in %" PRIu64 " files, %u passes; %"
		PRIu64 " events stored (%" PRIu64 " stored before)\n",
		res.files_scanned, res.bytes_scanned / 1e6, now_s() - t0,
		res.records_matched, res.keys, res.keys_found,
		res.files_matched, res.passes, res.in.events,
		res.in.duplicates);
	if (res.in.graph_error[0])
		cli_warn("graph cache not refreshed: %s", res.in.graph_error);
	status = show(ctx, argv + optind + 1, nk, &o, out);
	if (status == EXIT_OK && (rc == NHIR_EPARSE || res.in.malformed ||
				  res.in.files_skipped))
		status = rc == NHIR_EPARSE ? EXIT_ERROR : EXIT_PARTIAL;
	return status;
}
