/* Helpers shared by subcommands. */
#include "compat.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/record.h"
#include "nhir/usage.h"
#include "cli/cli.h"

static void vmsg(const char *kind, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	out_fprintf(stderr, "nhir: %s", kind);
	out_vfprintf(stderr, fmt, ap);
	out_fprintf(stderr, "\n");
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

int cli_usage(const char *usage, bool help)
{
	/* program text, with its own newlines */
	out_raw(help ? stdout : stderr, usage, strlen(usage));
	return help ? EXIT_OK : EXIT_USAGE;
}

int cli_parse_format(const char *s, bool allow_dot)
{
	if (!strcmp(s, "text"))
		return FMT_TEXT;
	if (!strcmp(s, "json"))
		return FMT_JSON;
	if (allow_dot && !strcmp(s, "dot"))
		return FMT_DOT;
	return -1;
}

bool cli_format_arg(const char *s, int *fmt)
{
	int f = cli_parse_format(s, false);

	if (f < 0) {
		cli_error("unknown format '%s': text or json", s);
		return false;
	}
	*fmt = f;
	return true;
}

/* $NHIR_NOW as main() read it, or NHIR_TIME_UNSET */
static int64_t fixed_now = NHIR_TIME_UNSET;

void cli_set_now(int64_t t)
{
	fixed_now = t;
}

int64_t cli_now_fixed(void)
{
	return fixed_now;
}

int64_t cli_now(void)
{
	return fixed_now != NHIR_TIME_UNSET ? fixed_now : nhir_time_now();
}

bool cli_parse_time(const char *s, int64_t *out)
{
	if (!strcmp(s, "now")) {
		*out = cli_now();
		return true;
	}
	if (nhir_time_parse(s, (size_t)-1, out, NULL)) {
		cli_error("bad time '%s' (use ISO 8601, e.g. "
			  "2024-05-01T10:00:00Z)", s);
		return false;
	}
	return true;
}

int cli_open_store(struct cli_ctx *ctx, unsigned flags)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_user u;
	const char *env = getenv("NHIR_BUSY_TIMEOUT");
	char *end = NULL;
	long secs = 0;

	if (env && *env) {
		errno = 0;
		secs = strtol(env, &end, 10);
		if (errno || *end || secs < 0 || secs > 86400) {
			cli_error("NHIR_BUSY_TIMEOUT is '%s': seconds to wait "
				  "for the database, 0 to 86400", env);
			return EXIT_USAGE;
		}
	}
	if (nhir_store_open(&ctx->st, ctx->db, flags, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	/* checked against the database's setting below (cli_check_clock) */
	if (ctx->now != NHIR_TIME_UNSET && !ctx->fixing_clock)
		nhir_store_set_clock(ctx->st, ctx->now);
	if (env && *env)
		nhir_store_set_busy_timeout(ctx->st, (unsigned)secs * 1000u);
	/*
	 * A user is one person whatever the case they type: the record
	 * names them as they were added, so that 'Alex' and 'alex' are
	 * never two approvers.
	 */
	if (ctx->actor && !nhir_user_get(ctx->st, ctx->actor, &u, NULL) &&
	    strcmp(u.name, ctx->actor)) {
		snprintf(ctx->actor_name, sizeof(ctx->actor_name), "%s",
			 u.name);
		ctx->actor = ctx->actor_name;
	}
	return cli_check_clock(ctx);
}

const char *cli_getenv(void *data, const char *name)
{
	(void)data;
	return getenv(name);
}

const struct nhir_ctx *cli_lib(struct cli_ctx *ctx)
{
	ctx->lib = (struct nhir_ctx){
		.st = ctx->st,
		.actor = ctx->actor,
		.now = ctx->clock_fixed ? ctx->now : NHIR_TIME_UNSET,
		.tmpdir = ctx->tmpdir,
		.env = cli_getenv,
	};
	return &ctx->lib;
}

/*
 * $NHIR_NOW moves the clock only for a database kept on a fixed clock
 * (setting 'clock', an admin's decision on the audit log): otherwise an
 * environment variable could revive an expired approval or backdate an
 * entry of the record.
 */
int cli_check_clock(struct cli_ctx *ctx)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char v[16];
	bool found = false;

	if (ctx->now == NHIR_TIME_UNSET || ctx->fixing_clock)
		return EXIT_OK;
	if (nhir_setting_get(ctx->st, "clock", v, sizeof(v), &found, &err)) {
		nhir_store_close(ctx->st);
		ctx->st = NULL;
		return cli_fail(&err);
	}
	if (found && !strcmp(v, "fixed")) {
		ctx->clock_fixed = true;
		return EXIT_OK;
	}
	nhir_store_close(ctx->st);
	ctx->st = NULL;
	cli_error("NHIR_NOW is set, but '%s' keeps the real clock: only a "
		  "database made with 'nhir init --fixed-clock' (or 'nhir "
		  "config set clock fixed') takes its time from NHIR_NOW",
		  ctx->db);
	return EXIT_USAGE;
}

int cli_print_doc(cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	cJSON_Delete(doc);
	if (!s) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	out_raw(stdout, s, strlen(s));
	out_putchar('\n');
	cJSON_free(s);
	return EXIT_OK;
}

int cli_fail(const struct nhir_err *err)
{
	cli_error("%s", err->msg[0] ? err->msg : nhir_strerror(err->rc));
	return err->rc == NHIR_EDENIED ? EXIT_DENIED : EXIT_ERROR;
}

int cli_unknown_ref(struct cli_ctx *ctx, const char *ref,
		    const struct nhir_err *err)
{
	char near[5][NHIR_SUGGEST_LEN];
	struct nhir_err why = NHIR_ERR_INIT;
	size_t nr = 0;
	bool events_only = false;

	if (err->rc != NHIR_ENOTFOUND)
		return cli_fail(err);
	if (nhir_ref_unknown(ctx->st, ref, near, NHIR_ARRAY_SIZE(near), &nr,
			     &events_only, &why) != NHIR_ENOTFOUND)
		return cli_fail(&why);
	cli_error("%s", why.msg);
	if (events_only)
		return EXIT_ERROR;
	if (!nr) {
		out_fprintf(stderr, "no known id is near it; a reference is "
			    "a key id, an identity (ARN, user name) or #ID\n");
		return EXIT_ERROR;
	}
	out_fprintf(stderr, "the nearest known:\n");
	for (size_t i = 0; i < nr; i++)
		out_fprintf(stderr, "  %s\n", near[i]);
	return EXIT_ERROR;
}

int cli_authorize(struct cli_ctx *ctx, int perm, const char *op)
{
	struct nhir_err err = NHIR_ERR_INIT;
	enum nhir_rc rc;

	rc = nhir_authorize_audited(cli_lib(ctx), (enum nhir_perm)perm, 0, op,
				    &err);
	return rc ? cli_fail(&err) : EXIT_OK;
}

int64_t cli_incident(const char *s)
{
	int64_t id = nhir_incident_ref(s);

	if (!id)
		cli_error("'%s' is not an incident (use INC-N)", s ? s : "");
	return id;
}

const char *cli_time(int64_t t, char *buf, size_t len)
{
	if (t == NHIR_TIME_UNSET || t == 0)
		snprintf(buf, len, "-");
	else
		nhir_time_format(t, buf, len);
	return buf;
}

int cli_write_new(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		      O_CLOEXEC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	bool ok;

	if (!f) {
		cli_error("cannot create '%s': %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(path);
		}
		return EXIT_ERROR;
	}
	out_raw(f, text, strlen(text));
	out_raw(f, "\n", 1);
	ok = !ferror(f);
	if (fclose(f))
		ok = false;
	if (!ok) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		unlink(path);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

bool cli_exists(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb))
		return false;
	cli_error("'%s' exists; not writing over it", path);
	return true;
}

/*
 * Which files a command uses when not told: the front end's business
 * (flags, environment, working directory), never the library's.
 */
static const char *chosen(const char *path, const char *var,
			  const char *here)
{
	const char *env = getenv(var);
	struct stat sb;

	if (path)
		return path;
	if (env && *env)
		return env;
	if (here && !stat(here, &sb))
		return here;
	return NULL;
}

const char *cli_catalog_path(const char *path)
{
	return chosen(path, "NHIR_CATALOG", "catalog/actions.yaml");
}

const char *cli_connectors_path(const char *path)
{
	return chosen(path, "NHIR_CONNECTORS", NULL);
}

const char *cli_policy_path(const char *path)
{
	return chosen(path, "NHIR_POLICY", "policy/routing.yaml");
}
