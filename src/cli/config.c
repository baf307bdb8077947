/* nhir config: the settings an admin controls. */
#include "compat.h"
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include "nhir/record.h"
#include "cli/cli.h"
#include "nhir/doc.h"

static const char usage_config[] =
	"usage: nhir config [show] [--format text|json]\n"
	"       nhir config set KEY VALUE\n"
	"       nhir config unset KEY\n"
	"\n"
	"Settings of this database, which an admin sets (on the audit log):\n"
	"   catalog            the action catalog every plan is built from\n"
	"   connectors         the connectors every step runs through\n"
	"   approval-ttl-max   the longest an approval lasts, in seconds\n"
	"                      (default 604800, 7 days)\n"
	"   clock              'real' (default) or 'fixed': only a database\n"
	"                      whose clock is fixed takes its time from\n"
	"                      $NHIR_NOW (demos, tests, replaying a past\n"
	"                      incident); 'nhir audit log' marks every entry\n"
	"                      written while it was\n"
	"   passwords          'on' (default) or 'off': whether users may\n"
	"                      sign in to nhir serve with a local password\n"
	"A file is kept by its absolute path.  A plan records the catalog\n"
	"and connectors it was made with; a lead may use others for one\n"
	"incident (nhir plan --catalog, --connectors, with --why), a\n"
	"decision on the record.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

struct shown {
	int fmt;
	size_t n;
};

static int print_setting(const struct nhir_setting *s, void *data)
{
	struct shown *x = data;
	char t[40];

	cli_time(s->set_at, t, sizeof(t));
	out_printf("%-18s %s\n%-18s (set by %s at %s)\n", s->key, s->value, "",
		   s->set_by, t);
	x->n++;
	return 0;
}

static int config_show(struct cli_ctx *ctx, int fmt)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct shown x = { fmt, 0 };
	int r;

	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "config")))
		return r;
	if (fmt == FMT_JSON) {
		cJSON *doc;

		if (nhir_doc_settings(ctx->st, &doc, &err))
			return cli_fail(&err);
		return cli_print_doc(doc);
	}
	if (nhir_setting_each(ctx->st, print_setting, &x, &err))
		return cli_fail(&err);
	if (!x.n)
		out_puts("no settings: defaults apply");
	return EXIT_OK;
}

int cmd_config(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	char abs[PATH_MAX];
	const char *value;
	int c, fmt = FMT_TEXT, n;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_usage(usage_config, true);
		if (c != 'f' || !cli_format_arg(optarg, &fmt))
			return cli_usage(usage_config, false);
	}
	n = argc - optind;
	if (!n || (n == 1 && !strcmp(argv[optind], "show")))
		return config_show(ctx, fmt);
	if (n == 3 && !strcmp(argv[optind], "set")) {
		value = argv[optind + 2];
		/* files by absolute path: the plan records where */
		if (strcmp(argv[optind + 1], "approval-ttl-max") &&
		    strcmp(argv[optind + 1], "clock") &&
		    strcmp(argv[optind + 1], "passwords") &&
		    nhir_setting_known(argv[optind + 1])) {
			if (!realpath(value, abs)) {
				cli_error("%s: %s", value, strerror(errno));
				return EXIT_ERROR;
			}
			value = abs;
		}
		if (nhir_setting_set(cli_lib(ctx), argv[optind + 1], value,
				     &err))
			return cli_fail(&err);
		out_printf("%s = %s\n", argv[optind + 1], value);
		return EXIT_OK;
	}
	if (n == 2 && !strcmp(argv[optind], "unset")) {
		if (nhir_setting_set(cli_lib(ctx), argv[optind + 1], NULL,
				     &err))
			return cli_fail(&err);
		out_printf("%s unset\n", argv[optind + 1]);
		return EXIT_OK;
	}
	return cli_usage(usage_config, false);
}
