/* nhir report: after-action reports, signed. */
#include "compat.h"
#include <getopt.h>
#include <unistd.h>
#include "nhir/keys.h"
#include "nhir/record.h"
#include "nhir/report.h"
#include "cli/cli.h"
#include "cli/remote.h"

static const char usage_report[] =
	"usage: nhir report INC [--format md|html|json] [--sign KEYFILE]\n"
	"                   [--at TIME] [-o FILE [--force]]\n"
	"       nhir report verify FILE [--key PUBFILE | --trust KEYS]\n"
	"       nhir report keygen KEYFILE\n"
	"\n"
	"The after-action report of an incident: summary, timeline, scope with\n"
	"the path that put each item there, decisions, the plan with its\n"
	"approvals and results, residual access, evidence with hashes and\n"
	"custody, revocations, follow-ups (tasks titled \"follow-up: ...\"),\n"
	"and the incident mapped to NIST CSF 2.0 (RS, RC) and OWASP NHI Top\n"
	"10 (2025).  HTML is one self-contained file.  --sign signs the JSON\n"
	"report with Ed25519 ('keygen' makes a key pair: KEYFILE and\n"
	"KEYFILE.pub); 'verify' checks a signed report, says which key\n"
	"signed it (fingerprint), and that the key is the one given (--key)\n"
	"or in the trust list KEYS (--trust, default $NHIR_TRUST: public\n"
	"keys one a line, a KEYFILE.pub is one); a key not trusted fails.\n"
	"-o writes a new file only (--force replaces an existing one), never\n"
	"through a symbolic link, and never over the database, its side files\n"
	"or stored evidence.\n"
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

/*
 * Who signed a report whose signature is valid, and whether that key
 * is trusted: the key given (--key), else one in the trust list
 * (--trust, $NHIR_TRUST).  Not trusted: exit 1.
 */
static int report_signer(const char *file, const char *signer,
			 const char *key, const char *trust)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char fp[NHIR_KEY_FP_LEN], label[128];
	bool trusted = false;

	nhir_key_fingerprint(signer, fp);
	if (key) {
		out_printf("%s: signature valid, signed by %s (the key given)\n",
		       file, fp);
		return EXIT_OK;
	}
	if (!trust || !*trust) {
		out_printf("%s: signature valid, signed by %s, NOT trusted: no "
		       "trust list (--trust or NHIR_TRUST) or --key given\n",
		       file, fp);
		return EXIT_ERROR;
	}
	if (nhir_key_trusted(trust, signer, &trusted, label, sizeof(label),
			     &err))
		return cli_fail(&err);
	if (!trusted) {
		out_printf("%s: signature valid, signed by %s, NOT trusted: not "
		       "in %s\n", file, fp, trust);
		return EXIT_ERROR;
	}
	out_printf("%s: signature valid, signed by %s%s%s%s, trusted (in %s)\n",
	       file, fp, label[0] ? " (" : "", label, label[0] ? ")" : "",
	       trust);
	return EXIT_OK;
}

/*
 * Every report signs the audit log's head when a key is at hand (the
 * report's --sign key, else $NHIR_CHECKPOINT_KEY): the checkpoint is
 * recorded, and written beside the report as FILE.checkpoint.
 */
static int report_checkpoint(struct cli_ctx *ctx, const char *sign,
			     const char *outpath)
{
	struct nhir_err err = NHIR_ERR_INIT;
	const char *key = sign ? sign : getenv("NHIR_CHECKPOINT_KEY");
	char *doc = NULL, *path;
	size_t n;
	int rc;

	if (!key || !*key)
		return EXIT_OK;
	n = (outpath ? strlen(outpath) : 0) + sizeof(".checkpoint");
	path = nhir_malloc(n);
	if (!path) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	snprintf(path, n, "%s.checkpoint", outpath ? outpath : "");
	if (outpath && cli_exists(path)) {
		nhir_free(path);
		return EXIT_ERROR;
	}
	if (nhir_audit_checkpoint(ctx->st, key, &doc, &err)) {
		nhir_free(path);
		cli_error("audit checkpoint not written: %s", err.msg);
		return EXIT_ERROR;
	}
	if (!outpath) {
		out_fprintf(stderr, "audit checkpoint recorded in the database\n");
		nhir_free(path);
		nhir_free(doc);
		return EXIT_OK;
	}
	rc = cli_write_new(path, doc);
	if (!rc)
		out_fprintf(stderr, "audit checkpoint written to %s\n", path);
	nhir_free(path);
	nhir_free(doc);
	return rc;
}

int cmd_report(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "sign", required_argument, NULL, 's' },
		{ "key", required_argument, NULL, 'k' },
		{ "trust", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf b = NHIR_BUF_INIT(256 << 20);
	const char *sign = NULL, *key = NULL, *outpath = NULL;
	const char *trust = getenv("NHIR_TRUST");
	int64_t inc, at = cli_now();
	int c, fd, fmt = R_MD;
	unsigned oflags = 0;
	cJSON *r = NULL;
	char *text = NULL;
	FILE *out = stdout;
	bool at_given = false;

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
		case 't': trust = optarg; break;
		case 'o': outpath = optarg; break;
		case 'F': oflags |= NHIR_OUT_FORCE; break;
		case 'a':
			if (!cli_parse_time(optarg, &at))
				return EXIT_USAGE;
			at_given = true;
			break;
		default:
			return cli_usage(usage_report, false);
		}
	}
	if (argc - optind == 2 && !strcmp(argv[optind], "keygen")) {
		if (nhir_report_keygen(argv[optind + 1], &err))
			return cli_fail(&err);
		out_printf("signing key in %s, public key in %s.pub\n",
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
		return report_signer(argv[optind + 1], signer, key, trust);
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
	if (ctx->remote) {
		/* the server builds it; a key of the caller's signs it here */
		int rc = r_report(inc, fmt == R_JSON ? "json" : fmt == R_HTML
				  ? "html" : "md", at_given ? at
				  : NHIR_TIME_UNSET, &b);

		if (rc) {
			nhir_buf_release(&b);
			return rc;
		}
		if (sign) {
			r = cJSON_ParseWithLength(b.buf, b.len);
			b.len = 0;
			if (!cJSON_IsObject(r)) {
				cJSON_Delete(r);
				nhir_buf_release(&b);
				cli_error("the server's report of INC-%" PRId64
					  " is not a JSON document", inc);
				return EXIT_ERROR;
			}
		}
	} else if (nhir_report_build(cli_lib(ctx), inc, at, &r, &err)) {
		return cli_fail(&err);
	}
	if (ctx->remote && !sign) {
		/* the server's bytes, as they came */
	} else if (sign) {
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
	if (outpath) {
		if (nhir_store_output_open(ctx->st, outpath, oflags, 0644, &fd,
					   &err)) {
			nhir_buf_release(&b);
			return cli_fail(&err);
		}
		out = fdopen(fd, "w");
		if (!out) {
			cli_error("cannot write '%s': %s", outpath,
				  strerror(errno));
			close(fd);
			nhir_buf_release(&b);
			return EXIT_ERROR;
		}
	}
	/* md and html escape by their own rules; json is exact */
	out_raw(out, b.buf, b.len);
	if (outpath) {
		if (fclose(out)) {
			cli_error("cannot write '%s'", outpath);
			nhir_buf_release(&b);
			return EXIT_ERROR;
		}
		out_fprintf(stderr, "report written to %s\n", outpath);
	}
	nhir_buf_release(&b);
	if (ctx->remote) {
		if (sign)
			out_fprintf(stderr, "the server's audit log was not "
				    "checkpointed: its own key does that (POST "
				    "/api/v1/incidents/INC-%" PRId64
				    "/report/sign)\n", inc);
		return EXIT_OK;
	}
	return report_checkpoint(ctx, sign, outpath);
}

static const char usage_metrics[] =
	"usage: nhir metrics [--since TIME] [--days N] [--format text|json]\n"
	"\n"
	"Per incident, the time from exposure (else declaration) to\n"
	"detection, declaration, containment, and revocations requested,\n"
	"confirmed and verified; the credentials still valid N days (default\n"
	"7) after their owners were notified; medians by severity and by\n"
	"credential kind.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

static void human(int64_t s, char *buf, size_t n)
{
	if (s < 0)
		snprintf(buf, n, "-%" PRId64 "m", -s / 60);
	else if (s < 3600)
		snprintf(buf, n, "%" PRId64 "m", s / 60);
	else if (s < 86400 * 2)
		snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", s / 3600,
			 s % 3600 / 60);
	else
		snprintf(buf, n, "%" PRId64 "d%02" PRId64 "h", s / 86400,
			 s % 86400 / 3600);
}

static void metric_row(const char *label, const cJSON *o)
{
	static const char *const k[] = { "detection", "declaration",
		"containment", "revocation_requested", "revocation_confirmed",
		"revocation_verified" };

	out_printf("%-22s", label);
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(k); i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k[i]);
		char buf[32] = "-";

		if (cJSON_IsNumber(v))
			human((int64_t)v->valuedouble, buf, sizeof(buf));
		out_printf(" %9s", buf);
	}
}

int cmd_metrics(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 's' },
		{ "days", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	int64_t since = NHIR_TIME_UNSET, days = 7;
	int c, fmt = FMT_TEXT;
	const cJSON *it;
	cJSON *m;
	char *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			return cli_usage(usage_metrics, true);
		case 'f':
			if (!cli_format_arg(optarg, &fmt))
				return EXIT_USAGE;
			break;
		case 's':
			if (!cli_parse_time(optarg, &since))
				return EXIT_USAGE;
			break;
		case 'd':
			days = strtoll(optarg, &end, 10);
			if (*end || days < 0) {
				cli_error("--days takes a number of days");
				return EXIT_USAGE;
			}
			break;
		default:
			return cli_usage(usage_metrics, false);
		}
	}
	if (optind != argc)
		return cli_usage(usage_metrics, false);
	if (nhir_metrics(cli_lib(ctx), since, days, &m, &err))
		return cli_fail(&err);
	if (fmt == FMT_JSON) {
		char *s = cJSON_Print(m);

		out_raw(stdout, s ? s : "null", strlen(s ? s : "null"));
		out_putchar('\n');
		cJSON_free(s);
		cJSON_Delete(m);
		return EXIT_OK;
	}
	out_printf("%d incident(s); times from exposure (* from declaration: "
		   "exposure unknown)\n\n%-22s %9s %9s %9s %9s %9s %9s  %s\n",
		   (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(m, "incidents")),
		   "", "detected", "declared", "contained", "rev.req", "rev.conf",
		   "verified", "still valid");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "per_incident")) {
		const cJSON *sv = cJSON_GetObjectItemCaseSensitive(it,
			"still_valid_after_notice");
		char label[64];

		snprintf(label, sizeof(label), "%s%s %s",
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "id")),
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it,
				 "exposure_known")) ? "" : "*",
			 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "severity")));
		metric_row(label, it);
		if (cJSON_IsNumber(sv))
			out_printf("  %d after %" PRId64 " days\n", (int)sv->valuedouble,
				   days);
		else
			out_printf("  -\n");
	}
	out_printf("\nmedians\n");
	metric_row("all", cJSON_GetObjectItemCaseSensitive(m, "median_all"));
	out_putchar('\n');
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "median_by_severity")) {
		metric_row(it->string, it);
		out_putchar('\n');
	}
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(m, "median_by_kind")) {
		metric_row(it->string, it);
		out_putchar('\n');
	}
	cJSON_Delete(m);
	return EXIT_OK;
}
