/* nhir init: create a database, or migrate an existing one. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "cli/cli.h"

static const char usage_init[] =
	"usage: nhir init [--db PATH]\n"
	"\n"
	"Creates the database (default $NHIR_DB, else ./nhir.db) and applies\n"
	"schema migrations.  The acting user (--as, $NHIR_USER, else the\n"
	"login name) becomes the database's first user, an admin.  On an\n"
	"existing database, applies any pending migrations and changes\n"
	"nothing else.\n";

int cmd_init(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t users = 0;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_init, true);
		return cli_usage(usage_init, false);
	}
	if (optind != argc)
		return cli_usage(usage_init, false);
	rc = cli_open_store(ctx, NHIR_STORE_CREATE);
	if (rc)
		return rc;
	if (nhir_user_count(ctx->st, &users, &err))
		return cli_fail(&err);
	if (!users) {
		if (nhir_user_add(ctx->st, ctx->actor, ctx->actor,
				  NHIR_ROLE_ADMIN, &err))
			return cli_fail(&err);
		out_printf("%s is the first user (admin)\n", ctx->actor);
	}
	out_printf("initialized %s database '%s' (schema %d)\n",
		   nhir_store_backend(ctx->st), ctx->db,
		   nhir_store_schema_version(ctx->st));
	return EXIT_OK;
}
