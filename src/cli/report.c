/* nhir report: after-action reports, signed. */
#include "compat.h"
#include <getopt.h>
#include "nhir/record.h"
#include "nhir/report.h"
#include "cli/cli.h"

static const char usage_report[] =
	"usage: nhir report INC [--format md|html|json] [--sign KEYFILE]\n"
	"                   [--at TIME] [-o FILE]\n"
	"       nhir report verify FILE [--key PUBFILE]\n"
	"       nhir report keygen KEYFILE\n"
	"\n"
	"The after-action report of an incident: summary, timeline, scope with\n"
	"the path that put each item there, decisions, the plan with its\n"
	"approvals and results, residual access, evidence with hashes and\n"
	"custody, revocations, follow-ups (tasks titled \"follow-up: ...\"),\n"
	"and the incident mapped to NIST CSF 2.0 (RS, RC) and OWASP NHI Top\n"
	"10 (2025).  HTML is one self-contained file.  --sign signs the JSON\n"
	"report with Ed25519 ('keygen' makes a key pair: KEYFILE and\n"
	"KEYFILE.pub); 'verify' checks a signed report, and with --key that\n"
	"it was signed with that key.\n"
	"\n"
	"exit status: 0 ok, 1 error (or verify: tampered, another key),\n"
	"             2 usage error, 5 not authorized\n";

enum { R_MD, R_HTML, R_JSON };

static char *slurp(const char *path, size_t *len)
{
	struct nhir_buf b = NHIR_BUF_INIT(64 << 20);
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		nhir_buf_add(&b, chunk, n);
	fclose(f);
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return NULL;
	}
	*len = b.len - 1;
	return b.buf;
}

int cmd_report(int argc, char **argv, struct nhir_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "sign", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "at", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf b = NHIR_BUF_INIT(256 << 20);
	const char *sign = NULL, *key = NULL, *outpath = NULL;
	int64_t inc, at = nhir_time_now();
	int c, fmt = R_MD;
	cJSON *r = NULL;
	char *text = NULL;
	FILE *out = stdout;

	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_report, true);
		case 'f':
			if (!strcmp(optarg, "md") || !strcmp(optarg, "markdown"))
				fmt = R_MD;
			else if (!strcmp(optarg, "html"))
				fmt = R_HTML;
			else if (!strcmp(optarg, "json"))
				fmt = R_JSON;
			else {
				cli_error("unknown format '%s': md, html or json",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		case 's': sign = optarg; break;
		case 'k': key = optarg; break;
		case 'o': outpath = optarg; break;
		case 'a':
			if (!cli_parse_time(optarg, &at)) {
				cli_error("bad time '%s'", optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage_report, false);
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "keygen")) {
		if (nhir_report_keygen(argv[optind + 1], &err))
			return cli_fail(&err);
		printf("signing key in %s, public key in %s.pub\n",
		       argv[optind + 1], argv[optind + 1]);
		return EXIT_OK;
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "verify")) {
		char signer[65];
		size_t len = 0;
		char *data = slurp(argv[optind + 1], &len);

		if (!data) {
			cli_error("cannot read '%s': %s", argv[optind + 1],
				  strerror(errno));
			return EXIT_ERROR;
		}
		if (nhir_report_verify(data, len, key, signer, &err)) {
			nhir_free(data);
			cli_error("%s: %s", argv[optind + 1], err.msg);
			return EXIT_ERROR;
		}
		nhir_free(data);
		printf("%s: signature valid, signed by %s%s\n", argv[optind + 1],
		       signer, key ? " (the key given)" : "");
		return EXIT_OK;
	}
	if (argc - optind != 1)
		return cli_usage(usage_report, false);
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (sign && fmt != R_JSON) {
		cli_error("--sign signs the JSON report: add --format json");
		return EXIT_USAGE;
	}
	if (nhir_report_build(ctx->st, ctx->actor, inc, at, &r, &err))
		return cli_fail(&err);
	if (sign) {
		if (nhir_report_sign(r, sign, &text, &err)) {
			cJSON_Delete(r);
			return cli_fail(&err);
		}
		nhir_buf_adds(&b, text);
		nhir_buf_adds(&b, "\n");
		nhir_free(text);
	} else if (fmt == R_JSON) {
		char *s = cJSON_Print(r);

		nhir_buf_adds(&b, s ? s : "null");
		nhir_buf_adds(&b, "\n");
		cJSON_free(s);
	} else if (fmt == R_HTML) {
		nhir_report_html(r, &b);
	} else {
		nhir_report_markdown(r, &b);
	}
	cJSON_Delete(r);
	if (outpath && !(out = fopen(outpath, "w"))) {
		cli_error("cannot write '%s': %s", outpath, strerror(errno));
		nhir_buf_release(&b);
		return EXIT_ERROR;
	}
	fwrite(b.buf ? b.buf : "", 1, b.len, out);
	if (outpath) {
		if (fclose(out)) {
			cli_error("cannot write '%s'", outpath);
			nhir_buf_release(&b);
			return EXIT_ERROR;
		}
		fprintf(stderr, "report written to %s\n", outpath);
	}
	nhir_buf_release(&b);
	return EXIT_OK;
}
