/*
 * nhir user, audit, decide, note, task, evidence: the accountable
 * record.  Each change is made as ctx->actor and checked by the library.
 */
#include "compat.h"
#include <getopt.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "nhir/doc.h"
#include "nhir/record.h"
#include "nhir/session.h"
#include "nhir/witness.h"
#include "cli/cli.h"
#include "cli/remote.h"

/* Parses --format and --help shared by the record commands. */
static int common_opt(int c, const char *usage, int *fmt)
{
	if (c == 'h')
		return cli_usage(usage, true);
	if (c == 'f')
		return cli_format_arg(optarg, fmt) ? -1 : EXIT_USAGE;
	return cli_usage(usage, false);
}

/* ---- nhir user ---- */

static const char usage_user[] =
	"usage: nhir user add NAME --role ROLE\n"
	"       nhir user set NAME [--role ROLE] [--deactivate | --activate]\n"
	"       nhir user list [--format text|json]\n"
	"       nhir user passwd NAME [--remove]\n"
	"\n"
	"Local users and their roles: observer, responder, approver, lead,\n"
	"admin.  Adding and changing users needs an admin; the first user of\n"
	"a database ('nhir init' registers whoever creates it) is an admin.\n"
	"Deactivated users keep their history but can no longer act.\n"
	"'user passwd' sets NAME's password for signing in to nhir serve\n"
	"(an admin for anyone, anyone for themselves): it is read from the\n"
	"terminal, twice, or else the first line of stdin; never from the\n"
	"command line.  12 to 1024 bytes, kept only as an Argon2id hash.\n"
	"--remove takes the password away.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

struct list_ctx {
	int fmt;
	size_t n;
	const struct nhir_clock_spans *clock;	/* audit log only */
};

static int print_user(const struct nhir_user *u, void *data)
{
	struct list_ctx *l = data;
	char t[40];

	cli_time(u->created, t, sizeof(t));
	out_printf("%-24s %-10s %-8s added %s by %s\n", u->name,
		   nhir_role_name(u->role), u->active ? "active" : "inactive", t,
		   u->created_by);
	l->n++;
	return 0;
}

/*
 * One line of at most NHIR_PASSWORD_MAX bytes from f into buf (the
 * newline dropped); false at end of file or when the line is longer.
 */
static bool read_secret_line(FILE *f, char *buf, size_t n)
{
	size_t len;

	if (!fgets(buf, (int)n, f))
		return false;
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	else if (!feof(f))
		return false;	/* longer than the buffer */
	if (len && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return true;
}

/* From the terminal, without echo, twice; else stdin's first line. */
static int read_password(const char *user, char *pw, size_t n)
{
	char again[NHIR_PASSWORD_MAX + 2];
	struct termios old, quiet;
	bool ok, same;

	if (!isatty(STDIN_FILENO)) {
		if (!read_secret_line(stdin, pw, n)) {
			sodium_memzero(pw, n);
			cli_error("no password on stdin (one line, at most %d "
				  "bytes)", NHIR_PASSWORD_MAX);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	if (tcgetattr(STDIN_FILENO, &old)) {
		cli_error("cannot read the terminal: %s", strerror(errno));
		return EXIT_ERROR;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	out_fprintf(stderr, "new password for %s: ", user);
	ok = read_secret_line(stdin, pw, n);
	if (ok) {
		out_fprintf(stderr, "again: ");
		ok = read_secret_line(stdin, again, sizeof(again));
	}
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	same = ok && !strcmp(pw, again);
	sodium_memzero(again, sizeof(again));
	if (!same) {
		sodium_memzero(pw, n);
		cli_error("%s", ok ? "the passwords differ" : "no password read");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_user(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "role", required_argument, NULL, 'r' },
		{ "deactivate", no_argument, NULL, 'D' },
		{ "activate", no_argument, NULL, 'A' },
		{ "remove", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_role role = NHIR_ROLE_NONE;
	int c, fmt = FMT_TEXT, active = -1, r;
	bool drop = false;
	const char *sub;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'r') {
			role = nhir_role_parse(optarg);
			if (role == NHIR_ROLE_NONE) {
				cli_error("unknown role '%s': observer, "
					  "responder, approver, lead or admin",
					  optarg);
				return EXIT_USAGE;
			}
		} else if (c == 'D' || c == 'A') {
			active = c == 'A';
		} else if (c == 'R') {
			drop = true;
		} else if ((r = common_opt(c, usage_user, &fmt)) >= 0) {
			return r;
		}
	}
	if (optind >= argc)
		return cli_usage(usage_user, false);
	sub = argv[optind++];
	if (ctx->remote && !strcmp(sub, "list") && optind == argc)
		return r_user_list(fmt);
	if (ctx->remote && strcmp(sub, "add") && strcmp(sub, "set")) {
		char what[64];

		snprintf(what, sizeof(what), "user %s", sub);
		return rmt_unoffered(what);
	}
	if (!strcmp(sub, "list") && optind == argc) {
		struct list_ctx l = { fmt, 0, NULL };
		cJSON *doc;

		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "user.list")))
			return r;
		if (fmt == FMT_JSON)
			return nhir_doc_users(ctx->st, &doc, &err)
				       ? cli_fail(&err) : cli_print_doc(doc);
		if (nhir_user_list(ctx->st, print_user, &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	if (!strcmp(sub, "add") && optind + 1 == argc) {
		if (role == NHIR_ROLE_NONE) {
			cli_error("'user add' needs --role");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_user_add(argv[optind], nhir_role_name(role));
		if (nhir_user_add(cli_lib(ctx), argv[optind], role, &err))
			return cli_fail(&err);
		out_printf("added %s (%s)\n", argv[optind], nhir_role_name(role));
		return EXIT_OK;
	}
	if (!strcmp(sub, "set") && optind + 1 == argc) {
		if (role == NHIR_ROLE_NONE && active < 0) {
			cli_error("'user set' needs --role, --deactivate or "
				  "--activate");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_user_set(argv[optind], role == NHIR_ROLE_NONE
					  ? NULL : nhir_role_name(role), active);
		if (active < 0) {
			struct nhir_user u;

			if (nhir_user_get(ctx->st, argv[optind], &u, &err))
				return cli_fail(&err);
			active = u.active;
		}
		if (nhir_user_set(cli_lib(ctx), argv[optind], role, active != 0,
				  &err))
			return cli_fail(&err);
		out_printf("updated %s\n", argv[optind]);
		return EXIT_OK;
	}
	if (!strcmp(sub, "passwd") && optind + 1 == argc) {
		char pw[NHIR_PASSWORD_MAX + 2];
		enum nhir_rc rc;

		if (!drop && (r = read_password(argv[optind], pw,
						   sizeof(pw))))
			return r;
		rc = nhir_password_set(cli_lib(ctx), argv[optind],
				       drop ? NULL : pw, &err);
		sodium_memzero(pw, sizeof(pw));
		if (rc)
			return cli_fail(&err);
		out_printf("%s the password of %s\n",
			   drop ? "removed" : "set", argv[optind]);
		return EXIT_OK;
	}
	return cli_usage(usage_user, false);
}

/* ---- nhir audit ---- */

static const char usage_audit[] =
	"usage: nhir audit log [--incident INC] [--format text|json]\n"
	"       nhir audit verify [--checkpoint FILE]... [--trust KEYS]\n"
	"                         [--witness URL [--witness-token-file F]]\n"
	"                         [--format text|json]\n"
	"       nhir audit checkpoint --key KEYFILE [-o FILE]\n"
	"                         [--witness URL [--witness-token-file F]]\n"
	"\n"
	"The audit log holds every change and every refusal, each entry\n"
	"chained to the one before by SHA-256.  'verify' recomputes the chain\n"
	"and names the first entry that was edited, removed or reordered.\n"
	"'checkpoint' signs the newest entry's number and hash with an\n"
	"Ed25519 key ('nhir report keygen'), records it, and writes it to\n"
	"FILE (or stdout): keep that file away from the database.  'verify\n"
	"--checkpoint FILE' then catches the log cut short, emptied, or\n"
	"rewritten up to that entry, even with every hash recomputed; the\n"
	"checkpoint's signer must be in KEYS (a KEYFILE.pub or a list of\n"
	"public keys; default $NHIR_TRUST).  With KEYS, the checkpoints\n"
	"recorded in the database are checked too.\n"
	"--witness URL: 'checkpoint' also sends it to the witness, another\n"
	"nhir server that keeps checkpoints append-only, and 'verify'\n"
	"checks the log against the newest one the witness holds of it, as\n"
	"with --checkpoint.  F holds the API token for the witness (mode\n"
	"0600).\n"
	"\n"
	"exit status: 0 ok (verify: intact), 1 error, 2 usage error,\n"
	"             3 verify found the log broken, 5 not authorized\n";

static int print_entry(const struct nhir_audit_entry *e, void *data)
{
	struct list_ctx *l = data;
	bool fixed = nhir_audit_on_fixed_clock(l->clock, e->seq);
	char t[40], inc[32] = "";

	cli_time(e->at, t, sizeof(t));
	if (e->incident)
		snprintf(inc, sizeof(inc), "INC-%" PRId64, e->incident);
	out_printf("%6" PRId64 "  %s%s  %-16s %-18s %-7s %s\n", e->seq, t,
		   fixed ? " [fixed clock]" : "", e->actor, e->action, inc,
		   e->detail);
	l->n++;
	return 0;
}

#define CP_MAX 16

struct cp_out {
	int fmt;
	size_t n, failed;
	const char *source;
	/* for the document: every check, kept */
	struct nhir_doc_checkpoint *cps;
	size_t cp_alloc;
	bool oom;
};

static int print_cp(const struct nhir_checkpoint_check *c, void *data)
{
	struct cp_out *o = data;

	if (!c->holds)
		o->failed++;
	if (o->fmt == FMT_JSON) {
		if (NHIR_ALLOC_GROW(o->cps, o->n + 1, o->cp_alloc)) {
			o->oom = true;
			return 1;
		}
		o->cps[o->n].source = o->source;
		o->cps[o->n].check = *c;
	} else if (c->holds) {
		out_printf("checkpoint %s holds: entry %" PRId64 " signed by %s"
		       "%s%s%s\n", o->source, c->seq, c->fingerprint,
		       c->label[0] ? " (" : "", c->label,
		       c->label[0] ? ")" : "");
	} else {
		out_printf("checkpoint %s FAILS: %s\n", o->source, c->why);
	}
	o->n++;
	return 0;
}

static char *read_small(const char *path, size_t *len)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	char chunk[4096];
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
		errno = EFBIG;
		return NULL;
	}
	*len = b.len - 1;
	return b.buf;
}

/* Checks each checkpoint file given and those recorded; exit code. */
static int verify_checkpoints(struct cli_ctx *ctx, const char *const *cps,
			      size_t nr, const char *trust, struct cp_out *o)
{
	struct nhir_err err = NHIR_ERR_INIT;

	for (size_t i = 0; i < nr; i++) {
		struct nhir_checkpoint_check c;
		size_t len = 0;
		char *doc = read_small(cps[i], &len);
		enum nhir_rc rc;

		if (!doc) {
			cli_error("cannot read '%s': %s", cps[i],
				  strerror(errno));
			return EXIT_ERROR;
		}
		rc = nhir_audit_check_checkpoint(ctx->st, doc, len, trust, &c,
						 &err);
		nhir_free(doc);
		if (rc) {
			cli_error("%s: %s", cps[i], err.msg);
			return EXIT_ERROR;
		}
		o->source = cps[i];
		print_cp(&c, o);
	}
	if (trust) {
		o->source = "recorded";
		if (nhir_audit_checkpoints(ctx->st, trust, print_cp, o, &err))
			return cli_fail(&err);
	}
	return EXIT_OK;
}

/* The witness's token from file (NULL: none) into token; exit code. */
static int witness_token(const char *file, char *token, size_t n)
{
	struct nhir_err err = NHIR_ERR_INIT;

	token[0] = '\0';
	if (file && nhir_witness_token_read(file, token, n, &err))
		return cli_fail(&err);
	return EXIT_OK;
}

/* The problem detail of a witness's answer, or "". */
static void answer_detail(const struct nhir_buf *b, char *out, size_t n)
{
	cJSON *d = b->len ? cJSON_ParseWithLength(b->buf, b->len) : NULL;
	const char *s = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(d, "detail"));

	snprintf(out, n, "%s", s ? s : "");
	cJSON_Delete(d);
}

/* Does a witness's 404 say it holds no checkpoint of the log? */
static bool held_nothing(const struct nhir_buf *b)
{
	cJSON *d = b->len ? cJSON_ParseWithLength(b->buf, b->len) : NULL;
	const char *t = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(d, "type"));
	bool yes = t && !strcmp(t, "urn:nhir:problem:no-checkpoint");

	cJSON_Delete(d);
	return yes;
}

/* Checks the log against the newest checkpoint the witness holds. */
static int verify_witness(struct cli_ctx *ctx, const char *url,
			  const char *tokfile, const char *trust,
			  struct cp_out *o)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct nhir_checkpoint_check c;
	char log[NHIR_LOG_ID_LEN], token[1024], detail[NHIR_ERR_MSG_MAX];
	long status = 0;
	enum nhir_rc rc;
	int r;

	if (nhir_log_id(ctx->st, log, &err))
		return cli_fail(&err);
	if ((r = witness_token(tokfile, token, sizeof(token))))
		return r;
	rc = nhir_witness_fetch(url, token[0] ? token : NULL, log, &status,
				&b, &err);
	sodium_memzero(token, sizeof(token));
	if (rc) {
		nhir_buf_release(&b);
		cli_error("witness: %s", err.msg);
		return EXIT_ERROR;
	}
	memset(&c, 0, sizeof(c));
	if (status == 404 && held_nothing(&b)) {
		/* unknown is not intact: nothing vouches for this log */
		snprintf(c.why, sizeof(c.why), "the witness holds no checkpoint "
			 "of log %s", log);
	} else if (status != 200) {
		answer_detail(&b, detail, sizeof(detail));
		nhir_buf_release(&b);
		cli_error("witness %s answered HTTP %ld%s%s", url, status,
			  detail[0] ? ": " : "", detail);
		return EXIT_ERROR;
	} else if (nhir_audit_check_checkpoint(ctx->st, b.buf, b.len, trust,
					       &c, &err)) {
		nhir_buf_release(&b);
		cli_error("witness %s: %s", url, err.msg);
		return EXIT_ERROR;
	} else if (strcmp(c.log, log)) {
		c.holds = false;
		snprintf(c.why, sizeof(c.why), "the witness answered a "
			 "checkpoint of log '%s', not of this log %s", c.log,
			 log);
	}
	nhir_buf_release(&b);
	o->source = url;
	print_cp(&c, o);
	return EXIT_OK;
}

static int audit_verify(struct cli_ctx *ctx, int fmt,
			const char *const *cps, size_t nr, const char *trust,
			const char *witness, const char *tokfile)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_audit_check chk;
	struct cp_out o = { fmt, 0, 0, NULL, NULL, 0, false };
	cJSON *doc;
	int r;

	if (nhir_audit_verify(ctx->st, &chk, &err))
		return cli_fail(&err);
	if (fmt == FMT_JSON) {
		/* the document follows the checks */
	} else if (chk.broken) {
		out_printf("audit log BROKEN at entry %" PRId64 ": %s\n"
		       "%" PRId64 " entries read; last intact head %s\n",
		       chk.broken, chk.why, chk.entries,
		       chk.head[0] ? chk.head : "(none)");
	} else {
		out_printf("audit log intact: %" PRId64 " entries, head %s\n",
		       chk.entries, chk.head[0] ? chk.head : "(empty)");
	}
	r = verify_checkpoints(ctx, cps, nr, trust, &o);
	if (!r && witness)
		r = verify_witness(ctx, witness, tokfile, trust, &o);
	if (!r && o.oom) {
		cli_error("out of memory");
		r = EXIT_ERROR;
	}
	if (!r && fmt == FMT_JSON)
		r = nhir_doc_audit_verify(&chk, o.cps, o.n, &doc, &err)
			    ? cli_fail(&err) : cli_print_doc(doc);
	nhir_free(o.cps);
	if (r)
		return r;
	if (o.failed && fmt == FMT_TEXT)
		out_printf("audit log does NOT match %zu checkpoint%s\n", o.failed,
		       o.failed == 1 ? "" : "s");
	return chk.broken || o.failed ? EXIT_FINDINGS : EXIT_OK;
}

/* Sends the checkpoint doc to the witness at url; exit code. */
static int send_witness(const char *doc, const char *url, const char *tokfile)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	struct nhir_witness_cp cp;
	char token[1024], detail[NHIR_ERR_MSG_MAX];
	long status = 0;
	enum nhir_rc rc;
	int r;

	if (nhir_witness_from_doc(doc, &cp, &err))
		return cli_fail(&err);
	if ((r = witness_token(tokfile, token, sizeof(token))))
		return r;
	rc = nhir_witness_send(url, token[0] ? token : NULL, &cp, &status, &b,
			       &err);
	sodium_memzero(token, sizeof(token));
	answer_detail(&b, detail, sizeof(detail));
	nhir_buf_release(&b);
	if (rc) {
		cli_error("witness: %s", err.msg);
		return EXIT_ERROR;
	}
	if (status != 200 && status != 201) {
		cli_error("witness %s refused the checkpoint of entry %" PRId64
			  " (HTTP %ld)%s%s", url, cp.seq, status,
			  detail[0] ? ": " : "", detail);
		return EXIT_ERROR;
	}
	out_fprintf(stderr, "audit checkpoint of entry %" PRId64 " %s by the "
		    "witness %s\n", cp.seq, status == 201 ? "taken" :
		    "already held", url);
	return EXIT_OK;
}

static int audit_checkpoint(struct cli_ctx *ctx, const char *key,
			    const char *out, const char *witness,
			    const char *tokfile)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char *doc = NULL;
	int rc;

	if (!key) {
		cli_error("'audit checkpoint' needs --key KEYFILE");
		return EXIT_USAGE;
	}
	if (out && cli_exists(out))
		return EXIT_ERROR;
	if (nhir_audit_checkpoint(ctx->st, key, &doc, &err))
		return cli_fail(&err);
	rc = out ? cli_write_new(out, doc) : EXIT_OK;
	if (!rc && witness)
		rc = send_witness(doc, witness, tokfile);
	if (!out) {
		/* a JSON document, exact: its strings are hex and numbers */
		out_raw(stdout, doc, strlen(doc));
		out_putchar('\n');
	}
	else if (!rc)
		out_fprintf(stderr, "audit checkpoint written to %s\n", out);
	nhir_free(doc);
	return rc;
}

int cmd_audit(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "incident", required_argument, NULL, 'i' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "trust", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "witness", required_argument, NULL, 'W' },
		{ "witness-token-file", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *cps[CP_MAX], *trust = getenv("NHIR_TRUST");
	const char *key = NULL, *out = NULL, *witness = NULL, *tokfile = NULL;
	size_t cp_nr = 0;
	int c, fmt = FMT_TEXT, r;
	int64_t inc = 0;
	const char *sub;

	if (trust && !*trust)
		trust = NULL;
	while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
		if (c == 'i') {
			inc = cli_incident(optarg);
			if (!inc)
				return EXIT_USAGE;
		} else if (c == 'c') {
			if (cp_nr == CP_MAX) {
				cli_error("at most %d checkpoints", CP_MAX);
				return EXIT_USAGE;
			}
			cps[cp_nr++] = optarg;
		} else if (c == 't') {
			trust = optarg;
		} else if (c == 'k') {
			key = optarg;
		} else if (c == 'o') {
			out = optarg;
		} else if (c == 'W') {
			witness = optarg;
		} else if (c == 'F') {
			tokfile = optarg;
		} else if ((r = common_opt(c, usage_audit, &fmt)) >= 0) {
			return r;
		}
	}
	if (optind + 1 != argc)
		return cli_usage(usage_audit, false);
	sub = argv[optind];
	if (tokfile && !witness) {
		cli_error("--witness-token-file goes with --witness URL");
		return EXIT_USAGE;
	}
	if (witness && !nhir_witness_url_ok(witness)) {
		cli_error("--witness '%s': want an https:// URL (plain http "
			  "only on loopback)", witness);
		return EXIT_USAGE;
	}
	if (ctx->remote) {
		if (!strcmp(sub, "log"))
			return r_audit_log(inc, fmt);
		if (!strcmp(sub, "verify") && !cp_nr && !witness)
			return r_audit_verify(fmt);
		return rmt_unoffered(!strcmp(sub, "verify")
				     ? "audit verify --checkpoint/--witness"
				     : "audit checkpoint");
	}
	if (!strcmp(sub, "checkpoint")) {
		/* any user may sign the head, with a key of their own */
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "audit.checkpoint")))
			return r;
		return audit_checkpoint(ctx, key, out, witness, tokfile);
	}
	if ((r = cli_authorize(ctx, NHIR_PERM_READ, "audit")))
		return r;
	if (!strcmp(sub, "log")) {
		struct nhir_clock_spans spans;
		struct list_ctx l = { fmt, 0, &spans };
		cJSON *doc;

		if (fmt == FMT_JSON) {
			if (nhir_doc_audit(ctx->st, inc, &doc, &err))
				return cli_fail(&err);
			return cli_print_doc(doc);
		}
		if (nhir_audit_clock_spans(ctx->st, &spans, &err))
			return cli_fail(&err);
		if (nhir_audit_each(ctx->st, inc, print_entry, &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	if (!strcmp(sub, "verify")) {
		if ((cp_nr || witness) && !trust) {
			cli_error("--%s needs --trust KEYS (or $NHIR_TRUST): "
				  "whose signature counts",
				  cp_nr ? "checkpoint" : "witness");
			return EXIT_USAGE;
		}
		return audit_verify(ctx, fmt, cps, cp_nr, trust, witness,
				    tokfile);
	}
	return cli_usage(usage_audit, false);
}

/* ---- nhir decide, note ---- */

static const char usage_decide[] =
	"usage: nhir decide INC WHAT --why RATIONALE [--risk-acceptance]\n"
	"\n"
	"Records a decision of the incident's lead with its rationale.  A\n"
	"risk acceptance lets the incident close although its recovery\n"
	"criteria are not met.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

int cmd_decide(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "why", required_argument, NULL, 'w' },
		{ "risk-acceptance", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *why = NULL, *kind = "decision";
	int c, fmt = FMT_TEXT, r;
	int64_t inc, id;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'w')
			why = optarg;
		else if (c == 'R')
			kind = "risk-acceptance";
		else if ((r = common_opt(c, usage_decide, &fmt)) >= 0)
			return r;
	}
	if (optind + 2 != argc)
		return cli_usage(usage_decide, false);
	if (!why) {
		cli_error("a decision needs --why");
		return EXIT_USAGE;
	}
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_decide(inc, kind, argv[optind + 1], why);
	if (nhir_decide(cli_lib(ctx), inc, kind, argv[optind + 1], why, &id,
			&err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 ": %s %" PRId64 " recorded\n", inc, kind, id);
	return EXIT_OK;
}

static const char usage_note[] =
	"usage: nhir note INC TEXT\n"
	"\n"
	"Adds a note to the incident's record (responders and leads).\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

int cmd_note(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	int c, fmt = FMT_TEXT, r;
	int64_t inc;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if ((r = common_opt(c, usage_note, &fmt)) >= 0)
			return r;
	if (optind + 2 != argc)
		return cli_usage(usage_note, false);
	inc = cli_incident(argv[optind]);
	if (!inc)
		return EXIT_USAGE;
	if (ctx->remote)
		return r_note(inc, argv[optind + 1]);
	if (nhir_note_add(cli_lib(ctx), inc, argv[optind + 1], &err))
		return cli_fail(&err);
	out_printf("INC-%" PRId64 ": note added\n", inc);
	return EXIT_OK;
}

/* ---- nhir task ---- */

static const char usage_task[] =
	"usage: nhir task INC add TITLE --owner NAME [--due TIME]\n"
	"       nhir task INC done ID\n"
	"       nhir task INC [list] [--format text|json]\n"
	"\n"
	"Tasks of an incident, each with an owner and a due time.  The lead\n"
	"adds them; the owner or the lead marks them done.  Open tasks keep\n"
	"an incident from closing.\n"
	"\n"
	"exit status: 0 ok, 1 error, 2 usage error, 5 not authorized\n";

static int print_task(const struct nhir_record_item *it, void *data)
{
	struct list_ctx *l = data;
	char due[40], done[40];

	cli_time(it->n1, due, sizeof(due));
	cli_time(it->n2, done, sizeof(done));
	out_printf("%4" PRId64 "  %-5s %-16s due %-20s %s\n", it->id, it->c,
		   it->b, due, it->a);
	l->n++;
	return 0;
}

int cmd_task(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "owner", required_argument, NULL, 'o' },
		{ "due", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *owner = NULL, *sub;
	int64_t inc, due = NHIR_TIME_UNSET, id;
	int c, fmt = FMT_TEXT, r;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'o') {
			owner = optarg;
		} else if (c == 'd') {
			if (!cli_parse_time(optarg, &due))
				return EXIT_USAGE;
		} else if ((r = common_opt(c, usage_task, &fmt)) >= 0) {
			return r;
		}
	}
	if (optind >= argc)
		return cli_usage(usage_task, false);
	inc = cli_incident(argv[optind++]);
	if (!inc)
		return EXIT_USAGE;
	sub = optind < argc ? argv[optind++] : "list";
	if (!strcmp(sub, "list") && optind == argc) {
		struct list_ctx l = { fmt, 0, NULL };
		cJSON *doc;
		struct nhir_incident i;

		if (ctx->remote)
			return r_task_list(inc, fmt);
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "task.list")))
			return r;
		if (nhir_incident_get(ctx->st, inc, &i, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			return nhir_doc_tasks(ctx->st, inc, &doc, &err)
				       ? cli_fail(&err) : cli_print_doc(doc);
		if (nhir_record_each(ctx->st, inc, "task", print_task, &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	if (!strcmp(sub, "add") && optind + 1 == argc) {
		if (!owner) {
			cli_error("a task needs --owner");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_task_add(inc, argv[optind], owner, due);
		if (nhir_task_add(cli_lib(ctx), inc, argv[optind], owner, due,
				  &id, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": task %" PRId64 " for %s\n", inc, id,
			   owner);
		return EXIT_OK;
	}
	if (!strcmp(sub, "done") && optind + 1 == argc) {
		char *end;

		id = strtoll(argv[optind], &end, 10);
		if (*end || id <= 0) {
			cli_error("'%s' is not a task number", argv[optind]);
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return r_task_done(inc, id);
		if (nhir_task_done(cli_lib(ctx), inc, id, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": task %" PRId64 " done\n", inc, id);
		return EXIT_OK;
	}
	return cli_usage(usage_task, false);
}

/* ---- nhir evidence ---- */

static const char usage_evidence[] =
	"usage: nhir evidence add INC FILE|- --source TEXT [--max-size SIZE]\n"
	"       nhir evidence list INC [--format text|json]\n"
	"       nhir evidence export ID --to PATH [--force]\n"
	"       nhir evidence verify ID\n"
	"\n"
	"Evidence is copied beside the database, named by its SHA-256 and\n"
	"read-only; its size, source, collector and time are recorded.  Every\n"
	"later export or check verifies the hash and adds a custody entry\n"
	"naming who accessed it and when.  FILE is a regular file, a pipe,\n"
	"or - for standard input, of at most SIZE bytes (K, M, G suffixes;\n"
	"default 2G).  export writes a new file only (--force replaces an\n"
	"existing one), never through a symbolic link, and never over the\n"
	"database, its side files or stored evidence.\n"
	"\n"
	"exit status: 0 ok, 1 error (or the evidence was altered),\n"
	"             2 usage error, 5 not authorized\n";

/* "100", "64K", "10M", "2G": bytes; false when not a size. */
static bool parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return false;
	if (*end == 'K' || *end == 'k')
		shift = 10;
	else if (*end == 'M' || *end == 'm')
		shift = 20;
	else if (*end == 'G' || *end == 'g')
		shift = 30;
	if (shift)
		end++;
	if (*end || !v || v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static int print_evidence(const struct nhir_record_item *it, void *data)
{
	struct list_ctx *l = data;
	char t[40];

	cli_time(it->at, t, sizeof(t));
	out_printf("%4" PRId64 "  %s  %s  %" PRId64 " bytes  %s by %s  from %s\n",
		   it->id, it->b, it->a, it->n1, t, it->actor, it->c);
	l->n++;
	return 0;
}

int cmd_evidence(int argc, char **argv, struct cli_ctx *ctx)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "format", required_argument, NULL, 'f' },
		{ "source", required_argument, NULL, 's' },
		{ "to", required_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'F' },
		{ "max-size", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct nhir_err err = NHIR_ERR_INIT;
	const char *source = NULL, *to = NULL, *sub;
	int c, fmt = FMT_TEXT, r;
	unsigned oflags = 0;
	uint64_t max = 0;
	int64_t inc, id;
	char sha[65], *end;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 's') {
			source = optarg;
		} else if (c == 't') {
			to = optarg;
		} else if (c == 'F') {
			oflags |= NHIR_OUT_FORCE;
		} else if (c == 'm') {
			if (!parse_size(optarg, &max)) {
				cli_error("bad size '%s' (bytes, or with K, "
					  "M or G)", optarg);
				return EXIT_USAGE;
			}
		} else if ((r = common_opt(c, usage_evidence, &fmt)) >= 0) {
			return r;
		}
	}
	if (optind + 2 > argc)
		return cli_usage(usage_evidence, false);
	sub = argv[optind++];
	if (!strcmp(sub, "add") && optind + 2 == argc) {
		if (!source) {
			cli_error("evidence needs --source");
			return EXIT_USAGE;
		}
		inc = cli_incident(argv[optind]);
		if (!inc)
			return EXIT_USAGE;
		if (ctx->remote && max)
			return rmt_unoffered("evidence add --max-size");
		if (ctx->remote)
			return r_evidence_add(inc, argv[optind + 1], source);
		if (nhir_evidence_add(cli_lib(ctx), inc, argv[optind + 1],
				      source, max, &id, sha, &err))
			return cli_fail(&err);
		out_printf("INC-%" PRId64 ": evidence %" PRId64 " sha256 %s\n", inc,
			   id, sha);
		return EXIT_OK;
	}
	if (!strcmp(sub, "list") && optind + 1 == argc) {
		struct list_ctx l = { fmt, 0, NULL };
		cJSON *doc;
		struct nhir_incident i;

		inc = cli_incident(argv[optind]);
		if (!inc)
			return EXIT_USAGE;
		if (ctx->remote)
			return r_evidence_list(inc, fmt);
		if ((r = cli_authorize(ctx, NHIR_PERM_READ, "evidence.list")))
			return r;
		if (nhir_incident_get(ctx->st, inc, &i, &err))
			return cli_fail(&err);
		if (fmt == FMT_JSON)
			return nhir_doc_evidence(ctx->st, inc, &doc, &err)
				       ? cli_fail(&err) : cli_print_doc(doc);
		if (nhir_record_each(ctx->st, inc, "evidence", print_evidence,
				     &l, &err))
			return cli_fail(&err);
		return EXIT_OK;
	}
	if ((!strcmp(sub, "export") || !strcmp(sub, "verify")) &&
	    optind + 1 == argc) {
		id = strtoll(argv[optind], &end, 10);
		if (*end || id <= 0) {
			cli_error("'%s' is not an evidence number",
				  argv[optind]);
			return EXIT_USAGE;
		}
		if (!strcmp(sub, "export") && !to) {
			cli_error("export needs --to PATH");
			return EXIT_USAGE;
		}
		if (ctx->remote)
			return rmt_unoffered(!strcmp(sub, "export")
					     ? "evidence export"
					     : "evidence verify");
		if (nhir_evidence_export(cli_lib(ctx), id,
					 !strcmp(sub, "export") ? to : NULL,
					 oflags, &err))
			return cli_fail(&err);
		if (!strcmp(sub, "export"))
			out_printf("evidence %" PRId64 " written to %s (hash "
				   "verified)\n", id, to);
		else
			out_printf("evidence %" PRId64 " intact\n", id);
		return EXIT_OK;
	}
	return cli_usage(usage_evidence, false);
}
