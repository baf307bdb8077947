/* nhir import: read inventory files into the graph. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"
#include "nhir/doc.h"

static const char usage_import[] =
	"usage: nhir import [--format text|json] [--cluster NAME] FORMAT "
	"FILE...\n"
	"       nhir import --list\n"
	"\n"
	"Imports inventory files into the identity graph.  Each file is one\n"
	"transaction: a file with any error is rejected whole and the\n"
	"database stays as it was; the other files are still imported.\n"
	"Importing the same file again changes nothing.\n"
	"\n"
	"formats:\n"
	"   nhir                    nhir native JSON / JSON Lines\n"
	"   aws-authz               aws iam get-account-authorization-details\n"
	"   aws-credential-report   aws iam get-credential-report (CSV)\n"
	"   k8s-rbac                kubectl get serviceaccounts,secrets,roles,\n"
	"                           rolebindings,clusterroles,\n"
	"                           clusterrolebindings -A -o json\n"
	"\n"
	"options:\n"
	"   --format text|json   how to print the summary (default text)\n"
	"   --cluster NAME       k8s-rbac: cluster name in node ids\n"
	"   --list               list the formats\n";

static void print_diag(const char *path, const char *kind,
		       const struct nhir_import_diag *d)
{
	out_fprintf(stderr, "%s:%u:%u: %s: %s\n", path, d->line, d->col, kind,
		    d->msg);
}

int cmd_import(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "cluster", required_argument, NULL, 'c' },
		{ "list", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_import_opts iopts = { NULL, NULL, NULL };
	const struct nhir_importer *imp;
	struct nhir_import_file *files = NULL;
	size_t file_nr = 0;
	int c, fmt = FMT_TEXT, status = EXIT_OK;
	bool list = false;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_import, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'c':
			iopts.cluster = optarg;
			break;
		case 'l':
			list = true;
			break;
		default:
			return cli_usage(usage_import, false);
		}
	}
	if (list) {
		const struct nhir_importer *const *all = nhir_importers();

		for (size_t i = 0; all[i]; i++)
			out_printf("%-22s %s\n", all[i]->name, all[i]->summary);
		return EXIT_OK;
	}
	if (argc - optind < 2)
		return cli_usage(usage_import, false);
	imp = nhir_importer_find(argv[optind]);
	if (!imp) {
		cli_error("unknown import format '%s'; see 'nhir import "
			  "--list'", argv[optind]);
		return EXIT_USAGE;
	}
	if (ctx->remote)
		return r_upload("import", argv[optind], iopts.cluster,
				argv + optind + 1, argc - optind - 1, fmt);
	status = cli_authorize(ctx, NHIR_PERM_DATA, "import");
	if (status)
		return status;
	if (fmt == FMT_JSON) {
		files = nhir_calloc((size_t)(argc - optind), sizeof(*files));
		if (!files) {
			cli_error("out of memory");
			return EXIT_ERROR;
		}
	}
	for (int i = optind + 1; i < argc; i++) {
		struct nhir_import_result res;
		struct nhir_err err = NHIR_ERR_INIT;
		const char *path = argv[i];
		enum nhir_rc rc;

		if (ctx->progress && fmt == FMT_TEXT)
			out_fprintf(stderr, "importing %s...\r", path);
		rc = nhir_import_file(cli_lib(ctx), imp, path, &iopts, &res,
				      &err);
		if (ctx->progress && fmt == FMT_TEXT)
			out_fprintf(stderr, "\033[K");
		if (rc)
			status = EXIT_ERROR;
		if (res.graph_error[0])
			cli_warn("graph cache not refreshed: %s",
				 res.graph_error);
		for (size_t d = 0; d < res.error_nr; d++)
			print_diag(path, "error", &res.errors[d]);
		if (res.rejected > res.error_nr)
			out_fprintf(stderr, "%s: ... and %" PRIu64 " more errors\n",
				    path, res.rejected - res.error_nr);
		for (size_t d = 0; d < res.warn_nr; d++)
			print_diag(path, "warning", &res.warns[d]);
		if (res.warnings > res.warn_nr)
			out_fprintf(stderr, "%s: ... and %" PRIu64 " more warnings\n",
				    path, res.warnings - res.warn_nr);
		if (rc && rc != NHIR_EPARSE)
			cli_error("%s: %s", path, err.msg);
		if (fmt == FMT_JSON) {
			files[file_nr].path = path;
			files[file_nr].rc = rc;
			files[file_nr].res = res;
			snprintf(files[file_nr].error,
				 sizeof(files[file_nr].error), "%s", err.msg);
			file_nr++;
			continue;
		}
		if (rc == NHIR_EPARSE)
			out_printf("%s: rejected, nothing stored (%" PRIu64
				   " error%s)\n", path, res.rejected,
				   res.rejected == 1 ? "" : "s");
		else if (rc)
			out_printf("%s: failed, nothing stored\n", path);
		else
			out_printf("%s: %" PRIu64 " added, %" PRIu64 " updated, %"
				   PRIu64 " unchanged, 0 rejected%s\n", path,
				   res.added, res.updated, res.unchanged,
				   res.warnings ? " (with warnings)" : "");
	}
	if (fmt == FMT_JSON) {
		struct nhir_err err = NHIR_ERR_INIT;
		cJSON *doc;
		int r = nhir_doc_import(imp->name, files, file_nr, &doc, &err)
				? cli_fail(&err) : cli_print_doc(doc);

		if (r && status == EXIT_OK)
			status = r;
		nhir_free(files);
	}
	return status;
}
