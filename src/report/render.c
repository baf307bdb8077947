/*
 * Renderings of a report: Markdown, and one self-contained HTML file
 * (inline CSS, inline SVG of the blast radius and of the timeline) that
 * prints readably.  Both read only the JSON document.
 */
#include "compat.h"
#include "nhir/report.h"
#include "nhir/visible.h"

static const char *s_of(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, k));

	return s ? s : "-";
}

static const cJSON *a_of(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* ---- Markdown ---- */

/*
 * Strings in a report come from the incident (a title, a node name, a
 * file path, a note): each is shown as text and can never become
 * Markdown structure.  Control characters are escaped first
 * (nhir/visible.h), so no string holds a line break; then every
 * character that is inline syntax, and at the start of a string any
 * that begins a block inside a list item, is backslash-escaped.
 */
static void md_text(struct nhir_buf *b, const char *s)
{
	struct nhir_buf v = NHIR_BUF_INIT(0);
	size_t digits;

	if (!s)
		return;
	nhir_buf_add_visible(&v, s, strlen(s));
	digits = strspn(v.buf, "0123456789");
	for (size_t i = 0; i < v.len; i++) {
		char c = v.buf[i];

		if (strchr("\\`*_[]<#|~&", c) ||
		    (i == 0 && strchr("-+=>", c)) ||
		    (i == digits && digits && strchr(".)", c)))
			nhir_buf_addch(b, '\\');
		nhir_buf_addch(b, c);
	}
	if (v.err)
		b->err = v.err;
	nhir_buf_release(&v);
}

/* A code span: its fence is longer than any run of backticks in s. */
static void md_code(struct nhir_buf *b, const char *s)
{
	struct nhir_buf v = NHIR_BUF_INIT(0);
	size_t run = 0, longest = 0;
	bool pad;

	nhir_buf_add_visible(&v, s ? s : "", s ? strlen(s) : 0);
	for (size_t i = 0; i < v.len; i++) {
		run = v.buf[i] == '`' ? run + 1 : 0;
		longest = NHIR_MAX(longest, run);
	}
	pad = v.len && (v.buf[0] == '`' || v.buf[v.len - 1] == '`');
	for (size_t i = 0; i <= longest; i++)
		nhir_buf_addch(b, '`');
	if (pad)
		nhir_buf_addch(b, ' ');
	nhir_buf_add(b, v.buf, v.len);
	if (pad)
		nhir_buf_addch(b, ' ');
	for (size_t i = 0; i <= longest; i++)
		nhir_buf_addch(b, '`');
	if (v.err)
		b->err = v.err;
	nhir_buf_release(&v);
}

/*
 * The report's printf: each %s argument goes through md_text, or
 * through md_code when the format puts it in backticks ("`%s`"); %d
 * is an int.  Nothing else is accepted.
 */
static void md_addf(struct nhir_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void md_addf(struct nhir_buf *b, const char *fmt, ...)
{
	va_list ap;
	const char *p;

	va_start(ap, fmt);
	for (p = fmt; *p; p++) {
		if (*p != '%') {
			nhir_buf_addch(b, *p);
			continue;
		}
		p++;
		if (*p == 'd') {
			nhir_buf_addf(b, "%d", va_arg(ap, int));
		} else if (*p == 's' && p - 1 > fmt && p[-2] == '`' &&
			   p[1] == '`') {
			b->len--;	/* the opening backtick */
			md_code(b, va_arg(ap, const char *));
			p++;
		} else if (*p == 's') {
			md_text(b, va_arg(ap, const char *));
		} else {
			NHIR_BUG("md_addf: unsupported format '%s'", fmt);
		}
	}
	va_end(ap);
}

/* A table cell. */
static void md_cell(struct nhir_buf *b, const char *s)
{
	md_text(b, s);
}

static void md_row(struct nhir_buf *b, const char *const *cells, size_t n)
{
	nhir_buf_adds(b, "|");
	for (size_t i = 0; i < n; i++) {
		nhir_buf_adds(b, " ");
		md_cell(b, cells[i]);
		nhir_buf_adds(b, " |");
	}
	nhir_buf_adds(b, "\n");
}

static void md_head(struct nhir_buf *b, const char *const *cells, size_t n)
{
	md_row(b, cells, n);
	nhir_buf_adds(b, "|");
	for (size_t i = 0; i < n; i++)
		nhir_buf_adds(b, "---|");
	nhir_buf_adds(b, "\n");
}

void nhir_report_markdown(const cJSON *r, struct nhir_buf *b)
{
	const cJSON *inc = a_of(r, "incident"), *it, *x;
	const cJSON *res = a_of(r, "residual");

	md_addf(b, "# %s: %s\n\n", s_of(inc, "id"), s_of(inc, "title"));
	md_addf(b, "Severity **%s**, %s; lead %s.  Exposed %s, declared "
		      "%s by %s, closed %s.  Report as of %s, by %s.\n\n",
		      s_of(inc, "severity"), s_of(inc, "state"),
		      s_of(inc, "lead"), s_of(inc, "exposed_at"),
		      s_of(inc, "declared"), s_of(inc, "declared_by"),
		      s_of(inc, "closed"), s_of(r, "as_of"),
		      s_of(r, "generated_by"));
	nhir_buf_adds(b, cJSON_IsTrue(a_of(res, "contained"))
			 ? "## Residual access\n\nContained: nothing reachable "
			   "remains.\n\n"
			 : "## Residual access\n\n**Not contained.**\n\n");
	cJSON_ArrayForEach(it, a_of(res, "items"))
		md_addf(b, "- %s `%s` until %s: %s\n", s_of(it, "kind"),
			      s_of(it, "node"), s_of(it, "expires"),
			      s_of(it, "path"));
	if (cJSON_GetArraySize(a_of(res, "ended")))
		nhir_buf_adds(b, "\nEnded by logged events, not live:\n\n");
	cJSON_ArrayForEach(it, a_of(res, "ended"))
		md_addf(b, "- `%s` %s %s by %s (%s@%d): %s\n",
			      s_of(it, "node"), s_of(it, "how"), s_of(it, "at"),
			      s_of(it, "event"), s_of(it, "file"),
			      (int)cJSON_GetNumberValue(a_of(it, "offset")),
			      s_of(it, "path"));
	nhir_buf_adds(b, "\n## Scope\n\n");
	{
		static const char *const h[] = { "status", "kind", "node",
						  "how it came into scope",
						  "now" };
		md_head(b, h, 5);
	}
	cJSON_ArrayForEach(it, a_of(r, "scope")) {
		const char *c[] = { s_of(it, "status"), s_of(it, "kind"),
				    s_of(it, "node"), s_of(it, "path"),
				    s_of(it, "state") };
		md_row(b, c, 5);
	}
	nhir_buf_adds(b, "\n## Decisions\n\n");
	cJSON_ArrayForEach(it, a_of(r, "decisions"))
		md_addf(b, "- %s, %s (%s): **%s**. Why: %s\n",
			      s_of(it, "at"), s_of(it, "by"), s_of(it, "kind"),
			      s_of(it, "what"), s_of(it, "why"));
	nhir_buf_adds(b, "\n## Plan\n\n");
	{
		static const char *const h[] = { "step", "action", "target",
						  "status", "approvals",
						  "result" };
		md_head(b, h, 6);
	}
	cJSON_ArrayForEach(it, a_of(r, "plan")) {
		char step[16], appr[512] = "";
		size_t n = 0;

		snprintf(step, sizeof(step), "%d",
			 (int)cJSON_GetNumberValue(a_of(it, "step")));
		cJSON_ArrayForEach(x, a_of(it, "approvals")) {
			int k = snprintf(appr + n, sizeof(appr) - n, "%s%s %s",
					 n ? ", " : "", s_of(x, "by"),
					 s_of(x, "verdict"));

			if (k < 0 || (size_t)k >= sizeof(appr) - n)
				break;
			n += (size_t)k;
		}
		{
			const char *c[] = { step, s_of(it, "action"),
					    s_of(it, "target"), s_of(it, "status"),
					    appr, s_of(it, "result") };
			md_row(b, c, 6);
		}
	}
	nhir_buf_adds(b, "\n## Revocations\n\n");
	cJSON_ArrayForEach(it, a_of(r, "revocations"))
		md_addf(b, "- `%s` %s: requested %s, confirmed %s, "
			      "verified %s\n", s_of(it, "node"), s_of(it, "state"),
			      s_of(it, "requested"), s_of(it, "confirmed"),
			      s_of(it, "verified"));
	nhir_buf_adds(b, "\n## Evidence\n\n");
	cJSON_ArrayForEach(it, a_of(r, "evidence")) {
		md_addf(b, "- %s `sha256:%s` (%d bytes) from %s, collected "
			      "by %s at %s\n", s_of(it, "name"),
			      s_of(it, "sha256"),
			      (int)cJSON_GetNumberValue(a_of(it, "size")),
			      s_of(it, "source"), s_of(it, "by"), s_of(it, "at"));
		cJSON_ArrayForEach(x, a_of(it, "custody"))
			md_addf(b, "  - %s %s by %s\n", s_of(x, "at"),
				      s_of(x, "action"), s_of(x, "by"));
	}
	nhir_buf_adds(b, "\n## Follow-ups\n\n");
	cJSON_ArrayForEach(it, a_of(r, "follow_ups"))
		md_addf(b, "- %s (owner %s, due %s, %s)\n",
			      s_of(it, "title"), s_of(it, "owner"),
			      s_of(it, "due"), s_of(it, "status"));
	nhir_buf_adds(b, "\n## Timeline\n\n");
	cJSON_ArrayForEach(it, a_of(r, "timeline"))
		md_addf(b, "- %s %s: %s\n", s_of(it, "at"), s_of(it, "actor"),
			      s_of(it, "action"));
	nhir_buf_adds(b, "\n## Framework\n\nNIST CSF 2.0:\n\n");
	{
		static const char *const h[] = { "id", "status", "facts" };
		md_head(b, h, 3);
	}
	cJSON_ArrayForEach(it, a_of(a_of(r, "framework"), "nist_csf_2")) {
		const char *c[] = { s_of(it, "id"), s_of(it, "status"),
				    s_of(it, "facts") };
		md_row(b, c, 3);
	}
	nhir_buf_adds(b, "\nOWASP Non-Human Identities Top 10 (2025), root "
		      "causes:\n\n");
	cJSON_ArrayForEach(it, a_of(a_of(r, "framework"), "owasp_nhi_2025"))
		md_addf(b, "- %s %s: %s\n", s_of(it, "id"), s_of(it, "name"),
			      s_of(it, "why"));
}

/* ---- HTML ---- */

/* Text and attribute values: control characters shown escaped too. */
static void h_esc(struct nhir_buf *b, const char *s)
{
	struct nhir_buf v = NHIR_BUF_INIT(0);

	if (!s)
		return;
	nhir_buf_add_visible(&v, s, strlen(s));
	for (const char *p = v.buf; *p; p++) {
		switch (*p) {
		case '&': nhir_buf_adds(b, "&amp;"); break;
		case '<': nhir_buf_adds(b, "&lt;"); break;
		case '>': nhir_buf_adds(b, "&gt;"); break;
		case '"': nhir_buf_adds(b, "&quot;"); break;
		case '\'': nhir_buf_adds(b, "&#39;"); break;
		default: nhir_buf_addch(b, *p);
		}
	}
	if (v.err)
		b->err = v.err;
	nhir_buf_release(&v);
}

static void h_tag(struct nhir_buf *b, const char *tag, const char *text)
{
	nhir_buf_addf(b, "<%s>", tag);
	h_esc(b, text);
	nhir_buf_addf(b, "</%s>", tag);
}

static const char css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:"
	"60em;color:#111;padding:0 1em}h1{font-size:1.6em}h2{border-bottom:"
	"1px solid #ccc;margin-top:1.6em}table{border-collapse:collapse;"
	"width:100%;table-layout:fixed;overflow-wrap:anywhere}td,th{border:1px solid #ccc;padding:.25em .4em;text-align:"
	"left;vertical-align:top}th{background:#f2f2f2}code{font-size:.92em}"
	".met{color:#064}.gap{color:#a00;font-weight:bold}.bad{color:#a00;"
	"font-weight:bold}.ok{color:#064;font-weight:bold}svg{max-width:100%;"
	"height:auto}@media print{body{margin:0;max-width:none}h2{page-break-"
	"after:avoid}tr{page-break-inside:avoid}}";

/* Seeds on the left, then columns by how far each item is from them. */
static void svg_blast(struct nhir_buf *b, const cJSON *scope)
{
	int col_n[8] = { 0 }, n = 0, h;
	const cJSON *it;

	cJSON_ArrayForEach(it, scope) {
		const char *p = s_of(it, "path");
		int d = 0;

		for (const char *q = p; (q = strstr(q, "-> ")); q += 3)
			d++;
		if (d > 7)
			d = 7;
		col_n[d]++;
		n++;
	}
	h = 40;
	for (int i = 0; i < 8; i++)
		if (col_n[i] * 34 + 40 > h)
			h = col_n[i] * 34 + 40;
	nhir_buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		      "960 %d\" role=\"img\" aria-label=\"blast radius\">", h);
	memset(col_n, 0, sizeof(col_n));
	cJSON_ArrayForEach(it, scope) {
		const char *p = s_of(it, "path"), *st = s_of(it, "status");
		int d = 0, x, y;

		for (const char *q = p; (q = strstr(q, "-> ")); q += 3)
			d++;
		if (d > 7)
			d = 7;
		x = 10 + d * 120;
		y = 20 + col_n[d]++ * 34;
		if (d)
			nhir_buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2="
				      "\"%d\" stroke=\"#bbb\"/>", x - 10, y + 12,
				      x, y + 12);
		nhir_buf_addf(b, "<rect x=\"%d\" y=\"%d\" width=\"112\" height="
			      "\"24\" rx=\"4\" fill=\"%s\" stroke=\"#555\"/>"
			      "<text x=\"%d\" y=\"%d\" font-size=\"10\">", x, y,
			      !strcmp(st, "confirmed") ? "#fdd"
			      : !strcmp(st, "dismissed") ? "#eee" : "#ffd",
			      x + 4, y + 15);
		{
			/* an ARN's tail says more than its head */
			const char *node = s_of(it, "node");
			const char *tail = strrchr(node, '/');
			const char *colon = strrchr(node, ':');
			char label[24];

			if (colon && (!tail || colon > tail))
				tail = colon;
			if (strlen(node) <= 20 || !tail || !tail[1])
				tail = node;
			else
				tail++;
			snprintf(label, sizeof(label), "%.20s", tail);
			h_esc(b, label);
		}
		nhir_buf_adds(b, "<title>");
		h_esc(b, p);
		nhir_buf_adds(b, "</title></text>");
	}
	if (!n)
		nhir_buf_adds(b, "<text x=\"10\" y=\"24\">no scope</text>");
	nhir_buf_adds(b, "</svg>");
}

static void svg_timeline(struct nhir_buf *b, const cJSON *tl)
{
	int n = cJSON_GetArraySize(tl), i = 0;
	const cJSON *it;

	nhir_buf_adds(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		      "960 70\" role=\"img\" aria-label=\"timeline\"><line x1=\""
		      "10\" y1=\"35\" x2=\"950\" y2=\"35\" stroke=\"#555\"/>");
	cJSON_ArrayForEach(it, tl) {
		int x = n > 1 ? 10 + i * 940 / (n - 1) : 480;
		const char *a = s_of(it, "action");

		nhir_buf_addf(b, "<circle cx=\"%d\" cy=\"35\" r=\"5\" fill=\"%s\">"
			      "<title>", x, !strcmp(a, "denied") ? "#a00"
				      : !strncmp(a, "execute", 7) ? "#064"
								   : "#246");
		h_esc(b, s_of(it, "at"));
		nhir_buf_adds(b, " ");
		h_esc(b, s_of(it, "actor"));
		nhir_buf_adds(b, " ");
		h_esc(b, a);
		nhir_buf_adds(b, "</title></circle>");
		i++;
	}
	nhir_buf_adds(b, "</svg>");
}

static void h_table(struct nhir_buf *b, const cJSON *arr,
		    const char *const *keys, const char *const *heads, size_t n)
{
	const cJSON *it;

	nhir_buf_adds(b, "<table><tr>");
	for (size_t i = 0; i < n; i++)
		h_tag(b, "th", heads[i]);
	nhir_buf_adds(b, "</tr>");
	cJSON_ArrayForEach(it, arr) {
		nhir_buf_adds(b, "<tr>");
		for (size_t i = 0; i < n; i++) {
			const cJSON *v = a_of(it, keys[i]);
			char num[32];

			if (cJSON_IsNumber(v)) {
				snprintf(num, sizeof(num), "%.0f", v->valuedouble);
				h_tag(b, "td", num);
			} else if (!strcmp(s_of(it, keys[i]), "gap") ||
				   !strcmp(s_of(it, keys[i]), "met")) {
				nhir_buf_addf(b, "<td class=\"%s\">",
					      s_of(it, keys[i]));
				h_esc(b, s_of(it, keys[i]));
				nhir_buf_adds(b, "</td>");
			} else {
				h_tag(b, "td", s_of(it, keys[i]));
			}
		}
		nhir_buf_adds(b, "</tr>");
	}
	nhir_buf_adds(b, "</table>");
}

void nhir_report_html(const cJSON *r, struct nhir_buf *b)
{
	const cJSON *inc = a_of(r, "incident"), *res = a_of(r, "residual");
	const cJSON *it;
	bool contained = cJSON_IsTrue(a_of(res, "contained"));

	nhir_buf_adds(b, "<!DOCTYPE html><html lang=\"en\"><head><meta charset="
		      "\"utf-8\"><title>");
	h_esc(b, s_of(inc, "id"));
	nhir_buf_adds(b, " ");
	h_esc(b, s_of(inc, "title"));
	nhir_buf_addf(b, "</title><style>%s</style></head><body><h1>", css);
	h_esc(b, s_of(inc, "id"));
	nhir_buf_adds(b, ": ");
	h_esc(b, s_of(inc, "title"));
	nhir_buf_adds(b, "</h1><p>Severity <b>");
	h_esc(b, s_of(inc, "severity"));
	nhir_buf_adds(b, "</b>, ");
	h_esc(b, s_of(inc, "state"));
	nhir_buf_adds(b, "; lead ");
	h_esc(b, s_of(inc, "lead"));
	nhir_buf_adds(b, ". Exposed ");
	h_esc(b, s_of(inc, "exposed_at"));
	nhir_buf_adds(b, ", declared ");
	h_esc(b, s_of(inc, "declared"));
	nhir_buf_adds(b, ", closed ");
	h_esc(b, s_of(inc, "closed"));
	nhir_buf_adds(b, ". Report as of ");
	h_esc(b, s_of(r, "as_of"));
	nhir_buf_addf(b, ".</p><h2>Residual access</h2><p class=\"%s\">%s</p>",
		      contained ? "ok" : "bad",
		      contained ? "Contained: nothing reachable remains."
				: "Not contained: access remains.");
	{
		static const char *const k[] = { "kind", "node", "expires", "path" };
		static const char *const h[] = { "kind", "node", "until", "path" };
		if (cJSON_GetArraySize(a_of(res, "items")))
			h_table(b, a_of(res, "items"), k, h, 4);
	}
	if (cJSON_GetArraySize(a_of(res, "ended"))) {
		static const char *const k[] = { "node", "how", "at", "event",
						  "file", "path" };
		static const char *const h[] = { "ended", "how", "at",
						  "by logged event", "record in",
						  "path" };

		nhir_buf_adds(b, "<p>Ended by logged events, not live:</p>");
		h_table(b, a_of(res, "ended"), k, h, 6);
	}
	nhir_buf_adds(b, "<h2>Blast radius and scope</h2>");
	svg_blast(b, a_of(r, "scope"));
	{
		static const char *const k[] = { "status", "kind", "node", "path",
						  "state" };
		static const char *const h[] = { "status", "kind", "node",
						  "how it came into scope",
						  "now" };
		h_table(b, a_of(r, "scope"), k, h, 5);
	}
	nhir_buf_adds(b, "<h2>Decisions</h2>");
	{
		static const char *const k[] = { "at", "by", "kind", "what", "why" };
		h_table(b, a_of(r, "decisions"), k, k, 5);
	}
	nhir_buf_adds(b, "<h2>Plan</h2>");
	{
		static const char *const k[] = { "step", "action", "target",
						  "status", "result" };
		h_table(b, a_of(r, "plan"), k, k, 5);
	}
	nhir_buf_adds(b, "<h2>Approvals</h2><ul>");
	cJSON_ArrayForEach(it, a_of(r, "plan")) {
		const cJSON *x;

		cJSON_ArrayForEach(x, a_of(it, "approvals")) {
			nhir_buf_addf(b, "<li>step %d: ",
				      (int)cJSON_GetNumberValue(a_of(it, "step")));
			h_esc(b, s_of(x, "by"));
			nhir_buf_adds(b, " ");
			h_esc(b, s_of(x, "verdict"));
			nhir_buf_adds(b, " at ");
			h_esc(b, s_of(x, "at"));
			nhir_buf_adds(b, ": ");
			h_esc(b, s_of(x, "why"));
			nhir_buf_adds(b, "</li>");
		}
	}
	nhir_buf_adds(b, "</ul><h2>Revocations</h2>");
	{
		static const char *const k[] = { "node", "state", "requested",
						  "confirmed", "verified" };
		h_table(b, a_of(r, "revocations"), k, k, 5);
	}
	nhir_buf_adds(b, "<h2>Evidence and custody</h2>");
	{
		static const char *const k[] = { "id", "name", "sha256", "size",
						  "source", "by", "at" };
		h_table(b, a_of(r, "evidence"), k, k, 7);
	}
	nhir_buf_adds(b, "<ul>");
	cJSON_ArrayForEach(it, a_of(r, "evidence")) {
		const cJSON *x;

		cJSON_ArrayForEach(x, a_of(it, "custody")) {
			nhir_buf_adds(b, "<li>");
			h_esc(b, s_of(it, "name"));
			nhir_buf_adds(b, ": ");
			h_esc(b, s_of(x, "action"));
			nhir_buf_adds(b, " by ");
			h_esc(b, s_of(x, "by"));
			nhir_buf_adds(b, " at ");
			h_esc(b, s_of(x, "at"));
			nhir_buf_adds(b, "</li>");
		}
	}
	nhir_buf_adds(b, "</ul><h2>Follow-ups</h2>");
	{
		static const char *const k[] = { "title", "owner", "due", "status" };
		h_table(b, a_of(r, "follow_ups"), k, k, 4);
	}
	nhir_buf_adds(b, "<h2>Timeline</h2>");
	svg_timeline(b, a_of(r, "timeline"));
	{
		static const char *const k[] = { "seq", "at", "actor", "action" };
		h_table(b, a_of(r, "timeline"), k, k, 4);
	}
	nhir_buf_adds(b, "<h2>Framework</h2><h3>NIST CSF 2.0</h3>");
	{
		static const char *const k[] = { "id", "status", "text", "facts" };
		h_table(b, a_of(a_of(r, "framework"), "nist_csf_2"), k, k, 4);
	}
	nhir_buf_adds(b, "<h3>OWASP Non-Human Identities Top 10 (2025)</h3>");
	{
		static const char *const k[] = { "id", "name", "why" };
		h_table(b, a_of(a_of(r, "framework"), "owasp_nhi_2025"), k, k, 3);
	}
	nhir_buf_adds(b, "</body></html>\n");
}
