/*
 * The nhir command-line front end.  Subcommands contain no business
 * logic: they parse options, call the library, and print.
 */
#ifndef NHIR_CLI_H
#define NHIR_CLI_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include "nhir/nhir.h"

/* Exit codes: stable, documented in every man page. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_ERROR = 1,		/* runtime error, or bad input data */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_FINDINGS = 3,	/* completed, findings present */
	EXIT_PARTIAL = 4,	/* completed, some input skipped */
	EXIT_DENIED = 5,	/* the acting user may not do this */
};

enum out_format { FMT_TEXT, FMT_JSON, FMT_DOT };

struct cli_ctx {
	const char *prog;
	const char *db;		/* --db, $NHIR_DB, ./nhir.db */
	const char *actor;	/* --as, $NHIR_USER, login name */
	char actor_name[sizeof(((struct nhir_user *)0)->name)];	/* as added */
	bool color;		/* stdout is a terminal and NO_COLOR unset */
	bool progress;		/* stderr is a terminal */
	struct nhir_store *st;	/* opened by dispatch for NEED_STORE */
	int64_t now;		/* $NHIR_NOW, or NHIR_TIME_UNSET */
	const char *tmpdir;	/* $TMPDIR, or /tmp: the library's scratch */
	bool fixing_clock;	/* init --fixed-clock: the store may be new */
	bool remote;		/* a server answers (remote.c), not ctx->st */
	const char *server;	/* its address, when remote */
	bool clock_fixed;	/* the database keeps time from $NHIR_NOW */
	struct nhir_ctx lib;	/* the library's context: cli_lib() */
};

enum cmd_flags {
	CMD_NEED_STORE = (1 << 0),
	CMD_READONLY = (1 << 1),
	CMD_REMOTE = (1 << 2),	/* also against a server (remote.c) */
};

int cmd_approve(int argc, char **argv, struct cli_ctx *ctx);
int cmd_audit(int argc, char **argv, struct cli_ctx *ctx);
int cmd_contain(int argc, char **argv, struct cli_ctx *ctx);
int cmd_execute(int argc, char **argv, struct cli_ctx *ctx);
int cmd_plan(int argc, char **argv, struct cli_ctx *ctx);
int cmd_reject(int argc, char **argv, struct cli_ctx *ctx);
int cmd_report(int argc, char **argv, struct cli_ctx *ctx);
int cmd_verify(int argc, char **argv, struct cli_ctx *ctx);
int cmd_config(int argc, char **argv, struct cli_ctx *ctx);
int cmd_db(int argc, char **argv, struct cli_ctx *ctx);
int cmd_blast(int argc, char **argv, struct cli_ctx *ctx);
int cmd_decide(int argc, char **argv, struct cli_ctx *ctx);
int cmd_evidence(int argc, char **argv, struct cli_ctx *ctx);
int cmd_findings(int argc, char **argv, struct cli_ctx *ctx);
int cmd_incident(int argc, char **argv, struct cli_ctx *ctx);
int cmd_route(int argc, char **argv, struct cli_ctx *ctx);
int cmd_triage(int argc, char **argv, struct cli_ctx *ctx);
int cmd_metrics(int argc, char **argv, struct cli_ctx *ctx);
int cmd_note(int argc, char **argv, struct cli_ctx *ctx);
int cmd_task(int argc, char **argv, struct cli_ctx *ctx);
int cmd_user(int argc, char **argv, struct cli_ctx *ctx);
int cmd_import(int argc, char **argv, struct cli_ctx *ctx);
int cmd_ingest(int argc, char **argv, struct cli_ctx *ctx);
int cmd_login(int argc, char **argv, struct cli_ctx *ctx);
int cmd_logout(int argc, char **argv, struct cli_ctx *ctx);
int cmd_init(int argc, char **argv, struct cli_ctx *ctx);
int cmd_serve(int argc, char **argv, struct cli_ctx *ctx);
int cmd_show(int argc, char **argv, struct cli_ctx *ctx);
int cmd_token(int argc, char **argv, struct cli_ctx *ctx);
int cmd_timeline(int argc, char **argv, struct cli_ctx *ctx);
int cmd_usage(int argc, char **argv, struct cli_ctx *ctx);
int cmd_hunt(int argc, char **argv, struct cli_ctx *ctx);
int cmd_watch(int argc, char **argv, struct cli_ctx *ctx);
/* Prints what nhir usage prints for ref; returns the exit code. */
struct nhir_usage_opts;
int cli_usage_opts(int argc, char **argv, const char *usage,
		   struct nhir_usage_opts *o, int *fmt);
int cli_usage_show(struct cli_ctx *ctx, const char *ref,
		   const struct nhir_usage_opts *o, int fmt);

/*
 * Output (out.c).  The text writers show control characters in every
 * %s and %c argument as visible escapes (nhir/visible.h); the format is
 * trusted program text.  Colour sequences from cli_color() pass as they
 * are.  out_raw() writes bytes unchanged: only for formats escaped by
 * their own rules (JSON, DOT, a rendered report) and for terminal
 * control nhir itself sends.
 */
void out_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_fprintf(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void out_vfprintf(FILE *f, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void out_fputs(const char *s, FILE *f);
void out_puts(const char *s);
/* A newline is written as it is; any other control is escaped. */
void out_putchar(char c);
void out_raw(FILE *f, const char *s, size_t len);

/* Diagnostics on stderr, "nhir: " prefixed, escaped like out_printf. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints usage text to stdout (help) or stderr (error); returns code. */
int cli_usage(const char *usage, bool help);
/* Parses "text", "json" (and "dot" when allowed); -1 if unknown. */
int cli_parse_format(const char *s, bool allow_dot);
/* --format text|json: sets *fmt, or says why not (false). */
bool cli_format_arg(const char *s, int *fmt);
/*
 * Parses a time for --at and friends: ISO 8601, epoch, or "now"; else
 * says why not (false).
 */
bool cli_parse_time(const char *s, int64_t *out);
/*
 * The command line's clock: $NHIR_NOW (set by main() with
 * cli_set_now(); cli_now_fixed() is it or NHIR_TIME_UNSET), else the
 * system clock.  A database takes its time from it only when its
 * 'clock' setting is 'fixed' (cli_check_clock()).
 */
void cli_set_now(int64_t t);
int64_t cli_now_fixed(void);
int64_t cli_now(void);
/*
 * The library's context of an operation, made from ctx: its store and
 * acting user, the clock ($NHIR_NOW only for a database on a fixed
 * clock), $TMPDIR, and the process environment as the connectors'
 * lookup.  The files' paths are left NULL: a command resolves the
 * catalog, policy or connectors it was given and passes what it
 * loaded.
 */
const struct nhir_ctx *cli_lib(struct cli_ctx *ctx);
/* The process environment (getenv), as a library context's lookup. */
const char *cli_getenv(void *data, const char *name);
/* Opens the store named by ctx->db. */
int cli_open_store(struct cli_ctx *ctx, unsigned flags);
int cli_check_clock(struct cli_ctx *ctx);
/* path if given, else $NHIR_CATALOG, else catalog/actions.yaml if any */
const char *cli_catalog_path(const char *path);
/* path if given, else $NHIR_CONNECTORS; NULL when neither */
const char *cli_connectors_path(const char *path);
/* path if given, else $NHIR_POLICY, else policy/routing.yaml if any */
const char *cli_policy_path(const char *path);
/* ANSI SGR sequence when colour is on, else "" (out.c). */
const char *cli_color(const struct cli_ctx *ctx, const char *sgr);
/* Prints a library document (include/nhir/doc.h) and frees it; exit code. */
struct cJSON;
int cli_print_doc(struct cJSON *doc);
/* Reports a failed library call; returns the exit code for its rc. */
int cli_fail(const struct nhir_err *err);
/*
 * Reports that ref failed to resolve (err): for a reference nhir has
 * never seen, "unknown credential" and the nearest known ids.  Returns
 * the exit code (1).
 */
int cli_unknown_ref(struct cli_ctx *ctx, const char *ref,
		    const struct nhir_err *err);
/* Checks that ctx->actor may do perm (records a refusal); exit code. */
int cli_authorize(struct cli_ctx *ctx, int perm, const char *op);
/*
 * Writes text and a newline to a new file at path (never over an
 * existing file or through a symlink); reports failure, exit code.
 */
int cli_write_new(const char *path, const char *text);
/* Says so when something is at path already (true). */
bool cli_exists(const char *path);
/* Parses an incident reference (INC-12 or 12); 0 after an error. */
int64_t cli_incident(const char *s);
/* A time as ISO 8601 into buf ("-" when unset). */
const char *cli_time(int64_t t, char *buf, size_t len);

#define C_BOLD "1"
#define C_DIM "2"
#define C_RED "31"
#define C_YELLOW "33"
#define C_GREEN "32"
#define C_RESET "0"

#endif
