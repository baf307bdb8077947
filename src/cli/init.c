/* nhir init: create a database, or migrate an existing one. */
#include "compat.h"
#include <getopt.h>
#include <unistd.h>
#include "nhir/record.h"
#include "cli/cli.h"

static const char usage_init[] =
	"usage: nhir init [--db PATH] [--fixed-clock]\n"
	"\n"
	"Creates the database (default $NHIR_DB, else ./nhir.db) and applies\n"
	"schema migrations.  The acting user (--as, $NHIR_USER, else the\n"
	"login name) becomes the database's first user, an admin.  On an\n"
	"existing database, applies any pending migrations and changes\n"
	"nothing else.\n"
	"\n"
	"  --fixed-clock  keep this database on a fixed clock: its time is\n"
	"                 $NHIR_NOW (demos, tests, replaying a past\n"
	"                 incident).  On the audit log; every entry written\n"
	"                 on the fixed clock is marked.  Without it, NHIR_NOW\n"
	"                 is refused.\n";

int cmd_init(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "fixed-clock", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t users = 0;
	bool fixed = false;
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_init, true);
		if (c == 'F') {
			fixed = true;
			continue;
		}
		return cli_usage(usage_init, false);
	}
	if (optind != argc)
		return cli_usage(usage_init, false);
	if (ctx->now != NHIR_TIME_UNSET && !fixed && access(ctx->db, F_OK)) {
		cli_error("NHIR_NOW is set: a new database takes its time from "
			  "it only with 'nhir init --fixed-clock'");
		return EXIT_USAGE;
	}
	/* what comes before the setting is on the real clock */
	ctx->fixing_clock = fixed;
	rc = cli_open_store(ctx, NHIR_STORE_CREATE);
	if (rc)
		return rc;
	if (nhir_user_count(ctx->st, &users, &err))
		return cli_fail(&err);
	if (!users) {
		if (nhir_user_add(cli_lib(ctx), ctx->actor, NHIR_ROLE_ADMIN,
				  &err))
			return cli_fail(&err);
		out_printf("%s is the first user (admin)\n", ctx->actor);
	}
	if (fixed) {
		if (nhir_setting_set(cli_lib(ctx), "clock", "fixed", &err))
			return cli_fail(&err);
		nhir_store_set_clock(ctx->st, ctx->now);
		ctx->clock_fixed = true;
		out_printf("the clock is fixed: times come from NHIR_NOW\n");
	}
	out_printf("initialized %s database '%s' (schema %d)\n",
		   nhir_store_backend(ctx->st), ctx->db,
		   nhir_store_schema_version(ctx->st));
	return EXIT_OK;
}
