/*
 * Everything the front end writes goes through here.  Strings in nhir's
 * output come from the incident (a userAgent sent with a stolen key, a
 * scanner's file path, a title typed by someone): the text writers show
 * their control characters as visible escapes (nhir/visible.h), so that
 * nothing nhir prints can move the cursor, clear the screen or forge a
 * line.  Only out_raw() writes bytes as they are: machine formats that
 * are escaped by their own rules (JSON, DOT, a rendered report), and the
 * terminal control nhir itself means.  tools/checksrc.sh refuses stdio
 * writes anywhere else in src/cli/.
 */
#include "compat.h"
#include "cli/cli.h"

/* The colour sequences cli_color() hands out, indexed by their SGR code. */
static const struct {
	const char *sgr;
	const char *seq;
} colors[] = {
	{ C_RESET, "\033[0m" },
	{ C_BOLD, "\033[1m" },
	{ C_DIM, "\033[2m" },
	{ C_RED, "\033[31m" },
	{ C_GREEN, "\033[32m" },
	{ C_YELLOW, "\033[33m" },
};

const char *cli_color(const struct cli_ctx *ctx, const char *sgr)
{
	if (!ctx->color)
		return "";
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(colors); i++)
		if (!strcmp(colors[i].sgr, sgr))
			return colors[i].seq;
	NHIR_BUG("unknown colour '%s'", sgr);
}

/* A %s argument that is one of our colour sequences (by address). */
static bool is_color(const char *s)
{
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(colors); i++)
		if (s == colors[i].seq)
			return true;
	return false;
}

void out_raw(FILE *f, const char *s, size_t len)
{
	if (len)
		fwrite(s, 1, len, f);
}

void out_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	static struct nhir_buf b = NHIR_BUF_INIT(0);

	nhir_buf_reset(&b);
	nhir_buf_vaddf_visible(&b, is_color, fmt, ap);
	if (b.err == NHIR_EINVAL)
		NHIR_BUG("cannot format output '%s'", fmt);
	if (b.err) {
		fputs("nhir: error: out of memory\n", stderr);
		exit(EXIT_ERROR);
	}
	out_raw(f, b.buf, b.len);
	/* keep a line's worth, not the largest thing ever printed */
	if (b.alloc > 65536)
		nhir_buf_release(&b);
}

void out_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vfprintf(f, fmt, ap);
	va_end(ap);
}

void out_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	out_vfprintf(stdout, fmt, ap);
	va_end(ap);
}

void out_fputs(const char *s, FILE *f)
{
	out_fprintf(f, "%s", s);
}

void out_puts(const char *s)
{
	out_fprintf(stdout, "%s\n", s);
}

void out_putchar(char c)
{
	if (c == '\n')
		fputc(c, stdout);
	else
		out_fprintf(stdout, "%c", c);
}
