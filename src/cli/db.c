/* nhir db copy: move a team's database from one store to another. */
#include "compat.h"
#include <getopt.h>
#include "nhir/doc.h"
#include "nhir/record.h"
#include "cli/cli.h"

static const char usage_db[] =
	"usage: nhir db copy --from DB --to DB [--from-files DIR]\n"
	"                    [--to-files DIR] [--format text|json]\n"
	"\n"
	"Copies the whole database DB (an SQLite file, sqlite:PATH, or\n"
	"postgresql://...) into a new database of either kind: every table\n"
	"with its ids, in one transaction; then counts the rows of each table\n"
	"on both sides, copies the evidence store (each file checked against\n"
	"the hash that names it) and the fingerprint key, and verifies the\n"
	"audit chain on the copy, which must end at the source's head.  A\n"
	"destination that has rows is refused and left as it was.  The\n"
	"source is only read; stop writers to it first.\n"
	"\n"
	"  --from-files DIR, --to-files DIR\n"
	"                 where a PostgreSQL database keeps its evidence and\n"
	"                 key (default $NHIR_FILES); an SQLite file keeps\n"
	"                 them beside it\n"
	"\n"
	"exit status: 0 copied and verified, 1 error, 2 usage error\n";

static int open_one(const char *dsn, const char *files, unsigned flags,
		    struct nhir_store **st)
{
	struct nhir_err err = NHIR_ERR_INIT;

	if (files && nhir_store_set_files_dir(files, &err))
		return cli_fail(&err);
	if (nhir_store_open(st, dsn, flags, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	/* as every store of the process was before the clock was a store's */
	nhir_store_set_clock(*st, cli_now_fixed());
	return EXIT_OK;
}

static int db_copy(const char *from, const char *to, const char *ffiles,
		   const char *tfiles, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *src = NULL, *dst = NULL;
	struct nhir_audit_check a, b;
	struct nhir_copy_result *res = nhir_calloc(1, sizeof(*res));
	int rc;

	if (!res) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	rc = open_one(from, ffiles, NHIR_STORE_READONLY, &src);
	if (!rc)
		rc = open_one(to, tfiles, NHIR_STORE_CREATE, &dst);
	if (rc)
		goto out;
	if (nhir_audit_verify(src, &a, &err) ||
	    nhir_store_copy(src, dst, res, &err) ||
	    nhir_audit_verify(dst, &b, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	if (a.broken || b.broken || a.entries != b.entries ||
	    strcmp(a.head, b.head)) {
		cli_error("the audit chain of the copy does not verify as the "
			  "source's: %" PRId64 " entries (head %s)%s, source %"
			  PRId64 " (head %s)%s", b.entries, b.head,
			  b.broken ? " broken" : "", a.entries, a.head,
			  a.broken ? " broken" : "");
		rc = EXIT_ERROR;
		goto out;
	}
	if (fmt == FMT_JSON) {
		cJSON *doc;

		if (nhir_doc_db_copy(res, &b, &doc, &err))
			rc = cli_fail(&err);
		else
			rc = cli_print_doc(doc);
		goto out;
	}
	out_printf("copied %" PRIu64 " rows of %zu tables, %" PRIu64
		   " evidence files%s\n", res->total, res->tables, res->evidence,
		   res->key ? " and the fingerprint key" : "");
	out_printf("verified: the same rows in each table; the audit chain "
		   "(%" PRId64 " entries) ends at %.16s as the source's\n",
		   b.entries, b.head);
out:
	nhir_store_close(src);
	nhir_store_close(dst);
	nhir_free(res);
	return rc;
}

int cmd_db(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'T' },
		{ "from-files", required_argument, NULL, 'f' },
		{ "to-files", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL, *ff = NULL, *tf = NULL;
	int c, fmt = FMT_TEXT;

	(void)ctx;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_usage(usage_db, argc >= 2);
	if (strcmp(argv[1], "copy"))
		return cli_usage(usage_db, false);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_db, true);
		case 'F':
			from = optarg;
			break;
		case 'T':
			to = optarg;
			break;
		case 'f':
			ff = optarg;
			break;
		case 't':
			tf = optarg;
			break;
		case 'o':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		default:
			return cli_usage(usage_db, false);
		}
	}
	if (optind != argc || !from || !to)
		return cli_usage(usage_db, false);
	if (!strcmp(from, to)) {
		cli_error("--from and --to name the same database");
		return EXIT_USAGE;
	}
	return db_copy(from, to, ff, tf, fmt);
}
