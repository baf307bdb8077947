/*
 * nhir: the command table and dispatch.
 */
#include "compat.h"
#include <pwd.h>
#include <unistd.h>
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"

static const char usage_nhir[] =
	"usage: nhir [--db PATH] [--as USER] <command> [<args>]\n"
	"\n"
	"Incident response for non-human identities.\n"
	"\n"
	"commands:\n"
	"   init      create a database\n"
	"   import    import an inventory (nhir, aws-authz, ...)\n"
	"   ingest    ingest audit logs (cloudtrail)\n"
	"   hunt      where credentials were used, straight from raw logs\n"
	"   blast     what is in scope if these credentials are compromised\n"
	"   usage     where and how a credential was used, and what it minted\n"
	"   timeline  what credentials and all they minted did, in order\n"
	"   show      one node and its edges\n"
	"\n"
	"   findings  import scanner reports (gitleaks, sarif, trufflehog, ...)\n"
	"   triage    open findings and where the routing policy sends them\n"
	"   route     explain a routing decision; check a policy\n"
	"   incident  declare, list, show, assign, move and scope incidents\n"
	"   decide    record a lead's decision and its rationale\n"
	"   note      add a note to an incident\n"
	"   task      an incident's tasks, owners and due times\n"
	"   evidence  add, list, export and verify evidence, with custody\n"
	"\n"
	"   plan      the containment plan of an incident; edit it\n"
	"   approve   approve plan steps (four eyes); 'reject' to refuse\n"
	"   reject    reject a plan step, with the reason\n"
	"   execute   run a plan step through its connector\n"
	"   verify    probe revoked credentials: do they still work?\n"
	"   contain   residual access: is the incident contained?\n"
	"   watch     new logs after containment: any use after the cut?\n"
	"   report    the after-action report (md, html, json), signed\n"
	"   metrics   time to detect, declare, contain, revoke; by severity\n"
	"\n"
	"   audit     the hash-chained audit log: log, verify\n"
	"   user      users and their roles\n"
	"   config    settings an admin controls (catalog, connectors, ...)\n"
	"   db        copy the database to another store (SQLite, PostgreSQL)\n"
	"   serve     the record over HTTP, for holders of an API token\n"
	"   token     API tokens for the server: create, list, revoke\n"
	"   login     work against a server: keep its address and your token\n"
	"   logout    forget them\n"
	"\n"
	"options:\n"
	"   --db PATH     database (default $NHIR_DB, else ./nhir.db)\n"
	"   --as USER     act as USER (default $NHIR_USER, else login name)\n"
	"\n"
	"After 'nhir login URL', or with $NHIR_SERVER and $NHIR_TOKEN set,\n"
	"commands run against that server as the token's user (--as is\n"
	"refused); --db PATH works on a database file instead.\n"
	"   --version     print the version\n"
	"   -h, --help    this text; 'nhir <command> --help' for a command\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 3 findings present,\n"
	"             4 completed but some input was skipped, 5 not authorized\n";

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv, struct cli_ctx *ctx);
	unsigned flags;
};

/* Sorted by name. */
static const struct cmd commands[] = {
	{ "approve", cmd_approve, CMD_NEED_STORE | CMD_REMOTE },
	{ "audit", cmd_audit, CMD_NEED_STORE | CMD_REMOTE },
	{ "blast", cmd_blast, CMD_NEED_STORE | CMD_READONLY |
				  CMD_REMOTE },
	{ "config", cmd_config, CMD_NEED_STORE },
	{ "contain", cmd_contain, CMD_NEED_STORE | CMD_REMOTE },
	{ "db", cmd_db, 0 },
	{ "decide", cmd_decide, CMD_NEED_STORE | CMD_REMOTE },
	{ "evidence", cmd_evidence, CMD_NEED_STORE | CMD_REMOTE },
	{ "execute", cmd_execute, CMD_NEED_STORE | CMD_REMOTE },
	{ "findings", cmd_findings, CMD_NEED_STORE | CMD_REMOTE },
	{ "hunt", cmd_hunt, CMD_NEED_STORE },
	{ "import", cmd_import, CMD_NEED_STORE | CMD_REMOTE },
	{ "incident", cmd_incident, CMD_NEED_STORE | CMD_REMOTE },
	{ "ingest", cmd_ingest, CMD_NEED_STORE | CMD_REMOTE },
	{ "init", cmd_init, 0 },
	{ "login", cmd_login, 0 },
	{ "logout", cmd_logout, 0 },
	{ "metrics", cmd_metrics, CMD_NEED_STORE },
	{ "note", cmd_note, CMD_NEED_STORE | CMD_REMOTE },
	{ "plan", cmd_plan, CMD_NEED_STORE | CMD_REMOTE },
	{ "reject", cmd_reject, CMD_NEED_STORE | CMD_REMOTE },
	{ "report", cmd_report, CMD_NEED_STORE | CMD_REMOTE },
	{ "route", cmd_route, CMD_NEED_STORE | CMD_REMOTE },
	{ "serve", cmd_serve, 0 },
	{ "show", cmd_show, CMD_NEED_STORE | CMD_READONLY |
				  CMD_REMOTE },
	{ "task", cmd_task, CMD_NEED_STORE | CMD_REMOTE },
	{ "timeline", cmd_timeline, CMD_NEED_STORE | CMD_READONLY |
				  CMD_REMOTE },
	{ "token", cmd_token, CMD_NEED_STORE | CMD_REMOTE },
	{ "triage", cmd_triage, CMD_NEED_STORE | CMD_REMOTE },
	{ "usage", cmd_usage, CMD_NEED_STORE | CMD_READONLY |
				  CMD_REMOTE },
	{ "user", cmd_user, CMD_NEED_STORE | CMD_REMOTE },
	{ "verify", cmd_verify, CMD_NEED_STORE | CMD_REMOTE },
	{ "watch", cmd_watch, CMD_NEED_STORE },
};

/*
 * Graph reads open the database read-only; the reader must still be a
 * user of it (a database nobody was ever added to, made by the library,
 * is open to reads).  A refusal is recorded through a second, writable
 * handle.
 */
static int check_reader(struct cli_ctx *ctx, const char *cmd)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_store *rw = NULL;
	int64_t users = 0;
	char op[64];
	enum nhir_rc rc;

	if (nhir_user_count(ctx->st, &users, &err))
		return cli_fail(&err);
	if (!users)
		return EXIT_OK;
	rc = nhir_authorize(cli_lib(ctx), NHIR_PERM_READ, 0, &err);
	if (rc != NHIR_EDENIED)
		return rc ? cli_fail(&err) : EXIT_OK;
	snprintf(op, sizeof(op), "%s", cmd);
	if (!nhir_store_open(&rw, ctx->db, 0, NULL)) {
		struct nhir_ctx c = *cli_lib(ctx);

		c.st = rw;
		if (ctx->clock_fixed)
			nhir_store_set_clock(rw, ctx->now);
		nhir_audit_denied(&c, op, 0, err.msg);
		nhir_store_close(rw);
	}
	return cli_fail(&err);
}

/* 'nhir watch verify FILE' checks a file: no database is opened. */
static bool needs_no_store(int argc, char **argv)
{
	return argc >= 2 && !strcmp(argv[0], "watch") &&
	       !strcmp(argv[1], "verify");
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

/* Takes "--db X", "--db=X", "--as X" before the command. */
static int global_opt(int *i, int argc, char **argv, const char *name,
		      const char **out)
{
	size_t n = strlen(name);

	if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (strcmp(argv[*i], name))
		return 0;
	if (*i + 1 >= argc) {
		cli_error("option '%s' needs a value", name);
		return -1;
	}
	*out = argv[++*i];
	return 1;
}

static const char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw && pw->pw_name ? pw->pw_name : "unknown";
}

/* Whether --db and --as were given on the command line. */
static bool db_given, as_given;

/* Pulls --db and --as out of a subcommand's arguments, anywhere. */
static int take_common(int *argc, char **argv, struct cli_ctx *ctx)
{
	int w = 1;

	for (int i = 1; i < *argc; i++) {
		int r;

		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[w++] = argv[i++];
			break;
		}
		r = global_opt(&i, *argc, argv, "--db", &ctx->db);
		db_given = db_given || r > 0;
		if (!r) {
			r = global_opt(&i, *argc, argv, "--as", &ctx->actor);
			as_given = as_given || r > 0;
		}
		if (r < 0)
			return -1;
		if (!r)
			argv[w++] = argv[i];
	}
	*argc = w;
	argv[w] = NULL;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx;
	const char *env;
	char *help_argv[3] = { NULL, (char *)"--help", NULL };
	int i, rc, sub_argc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.prog = "nhir";
	env = getenv("NO_COLOR");
	ctx.color = isatty(STDOUT_FILENO) && !(env && *env);
	ctx.progress = isatty(STDERR_FILENO);
	env = getenv("NHIR_DB");
	ctx.db = env && *env ? env : "nhir.db";
	env = getenv("NHIR_FILES");
	if (nhir_store_set_files_dir(env, NULL)) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	env = getenv("NHIR_USER");
	ctx.actor = env && *env ? env : NULL;
	env = getenv("TMPDIR");
	ctx.tmpdir = env ? env : "/tmp";
	ctx.now = NHIR_TIME_UNSET;
	env = getenv("NHIR_NOW");
	if (env && *env) {
		if (nhir_time_parse(env, (size_t)-1, &ctx.now, NULL)) {
			cli_error("NHIR_NOW is '%s': a time in ISO 8601, e.g. "
				  "2024-05-01T10:00:00Z", env);
			return EXIT_USAGE;
		}
		/* checked against the database when one is opened */
		cli_set_now(ctx.now);
	}

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		int r = global_opt(&i, argc, argv, "--db", &ctx.db);

		db_given = db_given || r > 0;
		if (!r) {
			r = global_opt(&i, argc, argv, "--as", &ctx.actor);
			as_given = as_given || r > 0;
		}
		if (r < 0)
			return EXIT_USAGE;
		if (r)
			continue;
		if (!strcmp(argv[i], "--version")) {
			out_printf("nhir %s\n", NHIR_VERSION);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return cli_usage(usage_nhir, true);
		cli_error("unknown option '%s'", argv[i]);
		return cli_usage(usage_nhir, false);
	}
	if (i >= argc)
		return cli_usage(usage_nhir, false);
	if (!strcmp(argv[i], "help")) {
		if (i + 1 < argc) {
			help_argv[0] = argv[i + 1];
			argv = help_argv;
			argc = 2;
			i = 0;
		} else {
			return cli_usage(usage_nhir, true);
		}
	}
	sub_argc = argc - i;
	if (take_common(&sub_argc, argv + i, &ctx) < 0)
		return EXIT_USAGE;
	argc = sub_argc;
	argv += i;
	if (!ctx.actor)
		ctx.actor = login_name();

	for (size_t c = 0; c < NHIR_ARRAY_SIZE(commands); c++) {
		const struct cmd *cmd = &commands[c];

		if (strcmp(argv[0], cmd->name))
			continue;
		if ((cmd->flags & CMD_NEED_STORE) && !wants_help(argc, argv) &&
		    !needs_no_store(argc, argv)) {
			rc = cli_remote_setup(&ctx, db_given);
			if (rc)
				return rc;
		}
		if (ctx.remote && !(cmd->flags & CMD_REMOTE))
			return rmt_unoffered(cmd->name);
		if (ctx.remote && as_given) {
			cli_error("--as is refused against a server: you act "
				  "as the user of your token (%s); --db PATH "
				  "works on a database file", ctx.server);
			return EXIT_USAGE;
		}
		if ((cmd->flags & CMD_NEED_STORE) && !wants_help(argc, argv) &&
		    !needs_no_store(argc, argv) && !ctx.remote) {
			rc = cli_open_store(&ctx, cmd->flags & CMD_READONLY
							  ? NHIR_STORE_READONLY
							  : 0);
			if (!rc && (cmd->flags & CMD_READONLY))
				rc = check_reader(&ctx, cmd->name);
			if (rc) {
				nhir_store_close(ctx.st);
				return rc;
			}
		}
		optind = 0;
		rc = cmd->fn(argc, argv, &ctx);
		nhir_store_close(ctx.st);
		if (fflush(stdout) || ferror(stdout)) {
			cli_error("cannot write output: %s", strerror(errno));
			return EXIT_ERROR;
		}
		return rc;
	}
	cli_error("'%s' is not an nhir command; see 'nhir --help'", argv[0]);
	return EXIT_USAGE;
}
