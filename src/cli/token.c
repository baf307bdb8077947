/* nhir token: API tokens for nhir serve. */
#include "compat.h"
#include <getopt.h>
#include "nhir/doc.h"
#include "nhir/record.h"
#include "nhir/token.h"
#include "cli/cli.h"
#include "cli/remote.h"

static const char usage_token[] =
	"usage: nhir token create --user USER [--scope read|write]\n"
	"                         [--expires DURATION] [--format text|json]\n"
	"       nhir token list [--format text|json]\n"
	"       nhir token revoke ID [--format text|json]\n"
	"\n"
	"API tokens prove who calls nhir serve.  'create' (an admin) makes a\n"
	"token for USER and prints it once, alone on standard output: nhir\n"
	"keeps only a keyed hash of it, so it cannot be shown again.  A read\n"
	"token may only read; a write token (the default) may also change\n"
	"what USER's role allows.  DURATION is a number and a unit (s, m, h,\n"
	"d, w): default 90d, at most 365d.  'list' shows the tokens you may\n"
	"see (an admin: all; anyone else: their own), never their values.\n"
	"'revoke' ends a token at once: an admin, or the token's own user.\n"
	"Creating and revoking are on the audit log, by token id.  With\n"
	"--format json, 'create' and 'revoke' print the token's document\n"
	"(POST and DELETE /api/v1/tokens answer the same); only create's\n"
	"holds the value.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

static int print_token(const struct nhir_token *t, void *data)
{
	size_t *n = data;
	char c[40], e[40], u[40], r[40];

	out_printf("%4" PRId64 "  %-16s %-5s created %s by %s, expires %s, "
		   "last used %s%s%s\n", t->id, t->user,
		   nhir_token_scope_name(t->scope),
		   cli_time(t->created, c, sizeof(c)), t->created_by,
		   cli_time(t->expires, e, sizeof(e)),
		   t->last_used == NHIR_TIME_UNSET ? "never"
						   : cli_time(t->last_used, u,
							      sizeof(u)),
		   t->revoked == NHIR_TIME_UNSET ? "" : ", revoked ",
		   t->revoked == NHIR_TIME_UNSET ? ""
						 : cli_time(t->revoked, r,
							    sizeof(r)));
	(*n)++;
	return 0;
}

static int token_list(struct cli_ctx *ctx, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	size_t n = 0;
	cJSON *doc;

	if (fmt == FMT_JSON) {
		if (nhir_doc_tokens(cli_lib(ctx), &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	if (nhir_token_list(cli_lib(ctx), print_token, &n, &err))
		return cli_fail(&err);
	if (!n)
		out_puts("no tokens");
	return EXIT_OK;
}

int cmd_token(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "scope", required_argument, NULL, 's' },
		{ "expires", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *user = NULL, *sub, *scope_arg = NULL, *exp_arg = NULL;
	enum nhir_token_scope scope = NHIR_TOKEN_WRITE;
	char value[NHIR_TOKEN_SIZE], exp[40];
	int64_t ttl = 0, id;
	int c, fmt = FMT_TEXT;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 's':
			scope_arg = optarg;
			scope = nhir_token_scope_parse(optarg);
			if (!scope) {
				cli_error("--scope is '%s': read or write",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'e':
			exp_arg = optarg;
			if (!nhir_duration_parse(optarg, &ttl) || ttl <= 0 ||
			    ttl > NHIR_TOKEN_TTL_MAX) {
				cli_error("--expires is '%s': a duration such "
					  "as 12h or 30d, at most 365d",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 'h':
			return cli_usage(usage_token, true);
		default:
			return cli_usage(usage_token, false);
		}
	}
	if (optind >= argc)
		return cli_usage(usage_token, false);
	sub = argv[optind++];
	if (!strcmp(sub, "list") && optind == argc)
		return ctx->remote ? r_token_list(fmt) : token_list(ctx, fmt);
	if (!strcmp(sub, "create") && optind == argc) {
		if (!user) {
			cli_error("create needs --user");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_token_create(user, scope_arg, exp_arg, fmt);
		if (nhir_token_create(cli_lib(ctx), user, scope, ttl, value,
				      &id, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON) {
			cJSON *doc;
			enum nhir_rc rc = nhir_doc_token(cli_lib(ctx), id,
							 value, &doc, &err);

			memset(value, 0, sizeof(value));
			return rc ? cli_fail(&err) : cli_print_doc(doc);
		}
		out_fprintf(stderr, "token %" PRId64 " for %s (%s), expires "
			    "%s; shown this once\n", id, user,
			    nhir_token_scope_name(scope),
			    cli_time(cli_now() + (ttl ? ttl :
				     NHIR_TOKEN_TTL_DEFAULT), exp, sizeof(exp)));
		out_printf("%s\n", value);
		memset(value, 0, sizeof(value));
		return EXIT_OK;
	}
	if (!strcmp(sub, "revoke") && optind + 1 == argc) {
		char *end;

		errno = 0;
		id = strtoll(argv[optind], &end, 10);
		if (errno || end == argv[optind] || *end || id <= 0) {
			cli_error("'%s' is not a token id", argv[optind]);
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_token_revoke(id, fmt);
		if (nhir_token_revoke(cli_lib(ctx), id, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON) {
			cJSON *doc;

			return nhir_doc_token(cli_lib(ctx), id, NULL, &doc,
					      &err)
				       ? cli_fail(&err) : cli_print_doc(doc);
		}
		out_printf("token %" PRId64 " revoked\n", id);
		return EXIT_OK;
	}
	return cli_usage(usage_token, false);
}
