/* Helpers shared by subcommands. */
#include "compat.h"
#include "cli/cli.h"

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "nhir: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	fputs(usage, help ? stdout : stderr);
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

bool cli_parse_time(const char *s, int64_t *out)
{
	if (!strcmp(s, "now")) {
		*out = nhir_time_now();
		return true;
	}
	return !nhir_time_parse(s, (size_t)-1, out, NULL);
}

int cli_open_store(struct nhir_ctx *ctx, unsigned flags)
{
	struct nhir_err err = NHIR_ERR_INIT;

	if (nhir_store_open(&ctx->st, ctx->db, flags, &err)) {
		cli_error("%s", err.msg);
		return EXIT_ERROR;
	}
	return EXIT_OK;
}

const char *cli_color(const struct nhir_ctx *ctx, const char *sgr)
{
	static char buf[4][16];
	static int slot;
	char *b;

	if (!ctx->color)
		return "";
	b = buf[slot++ % 4];
	snprintf(b, sizeof(buf[0]), "\033[%sm", sgr);
	return b;
}

void cli_json_str(FILE *f, const char *s)
{
	struct nhir_buf b = NHIR_BUF_INIT(0);

	if (!s) {
		fputs("null", f);
		return;
	}
	nhir_buf_add_json_str(&b, s, strlen(s));
	fwrite(b.buf, 1, b.len, f);
	nhir_buf_release(&b);
}
