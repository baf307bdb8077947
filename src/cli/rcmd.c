/*
 * The commands against a server (remote.c): each sends the request of
 * doc/guide/server.md's routes and prints what the server answers as
 * the command prints it on a database: --format json the document as
 * it came, text from the document's members, line for line.
 */
#include "compat.h"
#include <dirent.h>
#include <sys/stat.h>
#include <sodium.h>
#include "nhir/usage.h"
#include "nhir/blast.h"
#include "nhir/model.h"
#include "nhir/record.h"
#include "cli/cli.h"
#include "cli/remote.h"

/* "/api/v1/incidents/INC-N" + rest into b. */
static void inc_path(struct nhir_buf *b, int64_t inc, const char *rest)
{
	nhir_buf_addf(b, "/api/v1/incidents/INC-%" PRId64 "%s", inc, rest);
	nhir_buf_addch(b, 0);
}

static const char *str_or(const cJSON *o, const char *k, const char *dflt);

static int oom(void)
{
	cli_error("out of memory");
	return EXIT_ERROR;
}

/* The number of "INC-12". */
static int64_t inc_num(const char *ref)
{
	return ref ? nhir_incident_ref(ref) : 0;
}

/* ---- incident ---- */

int r_inc_declare(const struct nhir_declare *d)
{
	char at[40];
	struct nhir_req_field f[] = {
		{ "title", NHIR_REQ_STR, d->title, 0, false, NULL, NULL, 0 },
		{ "severity", NHIR_REQ_STR, d->severity, 0, false, NULL, NULL,
		  0 },
		{ "lead", NHIR_REQ_STR, d->lead, 0, false, NULL, NULL, 0 },
		{ "seeds", NHIR_REQ_STRS, NULL, 0, false, d->seeds, NULL,
		  d->seed_nr },
		{ "findings", NHIR_REQ_NUMS, NULL, 0, false, NULL, d->findings,
		  d->finding_nr },
		{ "exposed_at", NHIR_REQ_STR, NULL, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r;

	if (d->exposed_at != NHIR_TIME_UNSET) {
		nhir_time_format(d->exposed_at, at, sizeof(at));
		f[5].str = at;
	}
	r = rmt_fields("POST", "/api/v1/incidents", f, NHIR_ARRAY_SIZE(f),
		       &doc);
	if (r)
		return r;
	out_printf("INC-%" PRId64 " declared: %s (lead %s)\n",
		   inc_num(rmt_str(doc, "id")), d->title, d->lead);
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_inc_list(int state, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	nhir_buf_addf(&p, "/api/v1/incidents");
	if (state >= 0)
		nhir_buf_addf(&p, "?state=%s",
			      nhir_inc_state_name((enum nhir_inc_state)state));
	nhir_buf_addch(&p, 0);
	if (p.err)
		return oom();
	r = rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "incidents"))
		out_printf("INC-%-4" PRId64 " %-8s %-13s %-16s %s  %s\n",
			   inc_num(rmt_str(it, "id")), rmt_str(it, "severity"),
			   rmt_str(it, "state"), rmt_str(it, "lead"),
			   rmt_time(it, "declared"), rmt_str(it, "title"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

static void scope_line(const cJSON *it)
{
	const char *ext = rmt_str(it, "node"), *name = rmt_str(it, "name");
	bool both = name && ext && strcmp(name, ext);

	out_printf("  %-10s %-11s %-6s %s%s%s%s\n", rmt_str(it, "status"),
		   rmt_str(it, "kind"), rmt_str(it, "origin"), ext,
		   both ? " (" : "", both ? name : "", both ? ")" : "");
}

/* One item of a section of the incident document, as show prints it. */
static void record_line(const char *type, const cJSON *it)
{
	const char *t = rmt_time(it, "at"), *by = rmt_str(it, "by");
	const char *detail = rmt_str(it, "detail");

	if (!strcmp(type, "decisions"))
		out_printf("  %s  %s %s: %s\n      why: %s\n", t, by,
			   rmt_str(it, "kind"), rmt_str(it, "what"),
			   rmt_str(it, "why"));
	else if (!strcmp(type, "notes"))
		out_printf("  %s  %s: %s\n", t, by, rmt_str(it, "text"));
	else if (!strcmp(type, "tasks"))
		out_printf("  %3" PRId64 "  %-5s %-16s due %-20s %s\n",
			   rmt_num(it, "id"), rmt_str(it, "status"),
			   rmt_str(it, "owner"), rmt_time(it, "due"),
			   rmt_str(it, "title"));
	else if (!strcmp(type, "members"))
		out_printf("  %s (since %s)\n", by, t);
	else if (!strcmp(type, "evidences"))
		out_printf("  %3" PRId64 "  %s  %s  %" PRId64 " bytes, from %s, "
			   "collected by %s at %s\n", rmt_num(it, "id"),
			   rmt_str(it, "sha256"), rmt_str(it, "name"),
			   rmt_num(it, "size"), rmt_str(it, "source"), by, t);
	else if (!strcmp(type, "custodys"))
		out_printf("  %s  %-9s evidence %" PRId64 " (%s) by %s%s%s\n", t,
			   rmt_str(it, "action"), rmt_num(it, "evidence"),
			   rmt_str(it, "name"), by, detail ? ": " : "",
			   detail ? detail : "");
}

int r_inc_show(int64_t inc, int fmt)
{
	static const char *const sections[][2] = {
		{ "members", "People" },
		{ "decisions", "Decisions" },
		{ "tasks", "Tasks" },
		{ "notes", "Notes" },
		{ "evidences", "Evidence" },
		{ "custodys", "Custody" },
	};
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	inc_path(&p, inc, "");
	r = p.err ? oom() : rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	out_printf("INC-%" PRId64 "  %s\n", inc, rmt_str(doc, "title"));
	out_printf("severity %s, %s, lead %s; declared %s by %s\n",
		   rmt_str(doc, "severity"), rmt_str(doc, "state"),
		   rmt_str(doc, "lead"), rmt_time(doc, "declared"),
		   rmt_str(doc, "declared_by"));
	if (rmt_str(doc, "exposed_at"))
		out_printf("exposed at %s\n", rmt_str(doc, "exposed_at"));
	if (rmt_str(doc, "to_close") &&
	    strcmp(str_or(doc, "state", ""), "closed"))
		out_printf("to close: %s\n", rmt_str(doc, "to_close"));
	out_printf("\nScope\n");
	cJSON_ArrayForEach(it, rmt_arr(doc, "scope"))
		scope_line(it);
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(sections); k++) {
		size_t n = 0;

		out_printf("\n%s\n", sections[k][1]);
		cJSON_ArrayForEach(it, rmt_arr(doc, sections[k][0])) {
			record_line(sections[k][0], it);
			n++;
		}
		if (!n)
			out_puts("  (none)");
	}
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_inc_scope_list(int64_t inc, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	inc_path(&p, inc, "/scope");
	r = p.err ? oom() : rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "scope"))
		scope_line(it);
	cJSON_Delete(doc);
	return EXIT_OK;
}

/* POST INC's rest with the fields f; the incident after into *doc. */
static int inc_post(int64_t inc, const char *rest,
		    const struct nhir_req_field *f, size_t nr, cJSON **doc)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	int r;

	inc_path(&p, inc, rest);
	r = p.err ? oom() : rmt_fields("POST", p.buf, f, nr, doc);
	nhir_buf_release(&p);
	return r;
}

int r_inc_scope_change(int64_t inc, const char *op, const char *done,
		       char **refs, const char *why)
{
	for (char **ref = refs; *ref; ref++) {
		struct nhir_req_field f[] = {
			{ "op", NHIR_REQ_STR, op, 0, false, NULL, NULL, 0 },
			{ "ref", NHIR_REQ_STR, *ref, 0, false, NULL, NULL, 0 },
			{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
		};
		cJSON *doc;
		int r = inc_post(inc, "/scope", f, NHIR_ARRAY_SIZE(f), &doc);

		if (r)
			return r;
		cJSON_Delete(doc);
		out_printf("INC-%" PRId64 ": %s %s\n", inc, done, *ref);
	}
	return EXIT_OK;
}

int r_inc_assign(int64_t inc, const char *lead, const char *const *resp,
		 size_t resp_nr)
{
	struct nhir_req_field f[] = {
		{ "lead", NHIR_REQ_STR, lead, 0, false, NULL, NULL, 0 },
		{ "responders", NHIR_REQ_STRS, NULL, 0, false, resp, NULL,
		  resp_nr },
	};
	cJSON *doc;
	int r = inc_post(inc, "/assign", f, NHIR_ARRAY_SIZE(f), &doc);

	if (r)
		return r;
	cJSON_Delete(doc);
	out_printf("INC-%" PRId64 " assigned\n", inc);
	return EXIT_OK;
}

int r_inc_state(int64_t inc, const char *to, const char *why)
{
	struct nhir_req_field f[] = {
		{ "to", NHIR_REQ_STR, to, 0, false, NULL, NULL, 0 },
		{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r = inc_post(inc, "/state", f, NHIR_ARRAY_SIZE(f), &doc);

	if (r)
		return r;
	cJSON_Delete(doc);
	out_printf("INC-%" PRId64 " is now %s\n", inc, to);
	return EXIT_OK;
}

/* The largest "id" of the incident document's section. */
static int64_t last_id(const cJSON *doc, const char *section)
{
	const cJSON *it;
	int64_t id = 0;

	cJSON_ArrayForEach(it, rmt_arr(doc, section))
		if (rmt_num(it, "id") > id)
			id = rmt_num(it, "id");
	return id;
}

/* ---- decide, note, task, evidence ---- */

int r_decide(int64_t inc, const char *kind, const char *what,
	     const char *why)
{
	struct nhir_req_field f[] = {
		{ "kind", NHIR_REQ_STR, kind, 0, false, NULL, NULL, 0 },
		{ "what", NHIR_REQ_STR, what, 0, false, NULL, NULL, 0 },
		{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r = inc_post(inc, "/decisions", f, NHIR_ARRAY_SIZE(f), &doc);

	if (r)
		return r;
	out_printf("INC-%" PRId64 ": %s %" PRId64 " recorded\n", inc, kind,
		   last_id(doc, "decisions"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_note(int64_t inc, const char *text)
{
	struct nhir_req_field f[] = {
		{ "text", NHIR_REQ_STR, text, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r = inc_post(inc, "/notes", f, NHIR_ARRAY_SIZE(f), &doc);

	if (r)
		return r;
	cJSON_Delete(doc);
	out_printf("INC-%" PRId64 ": note added\n", inc);
	return EXIT_OK;
}

int r_task_list(int64_t inc, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	inc_path(&p, inc, "/tasks");
	r = p.err ? oom() : rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "tasks"))
		out_printf("%4" PRId64 "  %-5s %-16s due %-20s %s\n",
			   rmt_num(it, "id"), rmt_str(it, "status"),
			   rmt_str(it, "owner"), rmt_time(it, "due"),
			   rmt_str(it, "title"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_task_add(int64_t inc, const char *title, const char *owner,
	       int64_t due)
{
	char at[40];
	struct nhir_req_field f[] = {
		{ "title", NHIR_REQ_STR, title, 0, false, NULL, NULL, 0 },
		{ "owner", NHIR_REQ_STR, owner, 0, false, NULL, NULL, 0 },
		{ "due", NHIR_REQ_STR, NULL, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r;

	if (due != NHIR_TIME_UNSET) {
		nhir_time_format(due, at, sizeof(at));
		f[2].str = at;
	}
	r = inc_post(inc, "/tasks", f, NHIR_ARRAY_SIZE(f), &doc);
	if (r)
		return r;
	out_printf("INC-%" PRId64 ": task %" PRId64 " for %s\n", inc,
		   last_id(doc, "tasks"), owner);
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_task_done(int64_t inc, int64_t id)
{
	char rest[64];
	cJSON *doc;
	int r;

	snprintf(rest, sizeof(rest), "/tasks/%" PRId64 "/done", id);
	r = inc_post(inc, rest, NULL, 0, &doc);
	if (r)
		return r;
	cJSON_Delete(doc);
	out_printf("INC-%" PRId64 ": task %" PRId64 " done\n", inc, id);
	return EXIT_OK;
}

int r_evidence_list(int64_t inc, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	inc_path(&p, inc, "/evidence");
	r = p.err ? oom() : rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "evidence"))
		out_printf("%4" PRId64 "  %s  %s  %" PRId64 " bytes  %s by %s  "
			   "from %s\n", rmt_num(it, "id"), rmt_str(it, "sha256"),
			   rmt_str(it, "name"), rmt_num(it, "size"),
			   rmt_time(it, "collected"),
			   rmt_str(it, "collected_by"), rmt_str(it, "source"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

/* The last path component of file, as the server records its name. */
static const char *base_name(const char *file)
{
	const char *s = strrchr(file, '/');

	return s && s[1] ? s + 1 : file;
}

int r_evidence_add(int64_t inc, const char *file, const char *source)
{
	struct nhir_buf p = NHIR_BUF_INIT(8192);
	struct rmt_ans a;
	const cJSON *it, *last = NULL;
	cJSON *doc = NULL;
	int r;

	nhir_buf_addf(&p, "/api/v1/incidents/INC-%" PRId64 "/evidence?name=",
		      inc);
	rmt_esc(&p, strcmp(file, "-") ? base_name(file) : "stdin");
	nhir_buf_addf(&p, "&source=");
	rmt_esc(&p, source);
	nhir_buf_addch(&p, 0);
	if (p.err)
		return oom();
	r = rmt_request("POST", p.buf, NULL, file, &a);
	if (!r) {
		r = rmt_doc("POST", p.buf, &a, &doc);
		rmt_ans_release(&a);
	}
	nhir_buf_release(&p);
	if (r)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "evidence"))
		if (!last || rmt_num(it, "id") > rmt_num(last, "id"))
			last = it;
	out_printf("INC-%" PRId64 ": evidence %" PRId64 " sha256 %s\n", inc,
		   rmt_num(last, "id"), rmt_str(last, "sha256"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

/* ---- audit ---- */

int r_audit_log(int64_t inc, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it;
	cJSON *doc;
	int r;

	nhir_buf_addf(&p, "/api/v1/audit");
	if (inc)
		nhir_buf_addf(&p, "?incident=INC-%" PRId64, inc);
	nhir_buf_addch(&p, 0);
	r = p.err ? oom() : rmt_get(p.buf, fmt, &doc);
	nhir_buf_release(&p);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "entries")) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(it, "detail");
		const char *ref = rmt_str(it, "incident");
		char *detail = cJSON_IsNull(d) || !d ? NULL
						     : cJSON_PrintUnformatted(d);

		out_printf("%6" PRId64 "  %s%s  %-16s %-18s %-7s %s\n",
			   rmt_num(it, "seq"), rmt_time(it, "at"),
			   rmt_bool(it, "fixed_clock") ? " [fixed clock]" : "",
			   rmt_str(it, "actor"), rmt_str(it, "action"),
			   ref ? ref : "", detail ? detail : "(null)");
		cJSON_free(detail);
	}
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_audit_verify(int fmt)
{
	struct rmt_ans a;
	cJSON *doc;
	int r = rmt_request("GET", "/api/v1/audit/verify", NULL, NULL, &a);
	bool intact;

	if (r)
		return r;
	r = rmt_doc("GET", "/api/v1/audit/verify", &a, &doc);
	if (r) {
		rmt_ans_release(&a);
		return r;
	}
	intact = rmt_bool(doc, "intact");
	if (fmt == FMT_JSON) {
		rmt_print(&a);
	} else {
		const char *head = rmt_str(doc, "head");

		rmt_ans_release(&a);
		if (!intact)
			out_printf("audit log BROKEN at entry %" PRId64 ": %s\n"
				   "%" PRId64 " entries read; last intact head "
				   "%s\n", rmt_num(doc, "first_broken"),
				   rmt_str(doc, "why"), rmt_num(doc, "entries"),
				   head && *head ? head : "(none)");
		else
			out_printf("audit log intact: %" PRId64 " entries, "
				   "head %s\n", rmt_num(doc, "entries"),
				   head && *head ? head : "(empty)");
	}
	cJSON_Delete(doc);
	return intact ? EXIT_OK : EXIT_FINDINGS;
}

/* ---- token list ---- */

int r_token_list(int fmt)
{
	const cJSON *it;
	cJSON *doc;
	size_t n = 0;
	int r = rmt_get("/api/v1/tokens", fmt, &doc);

	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "tokens")) {
		const char *rev = rmt_str(it, "revoked");

		out_printf("%4" PRId64 "  %-16s %-5s created %s by %s, expires "
			   "%s, last used %s%s%s\n", rmt_num(it, "id"),
			   rmt_str(it, "user"), rmt_str(it, "scope"),
			   rmt_time(it, "created"), rmt_str(it, "created_by"),
			   rmt_time(it, "expires"),
			   rmt_str(it, "last_used") ? rmt_str(it, "last_used")
						     : "never",
			   rev ? ", revoked " : "", rev ? rev : "");
		n++;
	}
	if (!n)
		out_puts("no tokens");
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_token_create(const char *user, const char *scope, const char *expires,
		   int fmt)
{
	struct nhir_req_field f[] = {
		{ "user", NHIR_REQ_STR, user, 0, false, NULL, NULL, 0 },
		{ "scope", NHIR_REQ_STR, scope, 0, false, NULL, NULL, 0 },
		{ "expires", NHIR_REQ_STR, expires, 0, false, NULL, NULL, 0 },
	};
	char *json = nhir_request_json(f, NHIR_ARRAY_SIZE(f));
	const cJSON *t;
	struct rmt_ans a;
	cJSON *doc;
	int r;

	if (!json)
		return oom();
	r = rmt_request("POST", "/api/v1/tokens", json, NULL, &a);
	cJSON_free(json);
	if (r)
		return r;
	if (fmt == FMT_JSON)
		r = rmt_print(&a);
	else if (!(r = rmt_doc("POST", "/api/v1/tokens", &a, &doc))) {
		t = cJSON_GetObjectItemCaseSensitive(doc, "token");
		out_fprintf(stderr, "token %" PRId64 " for %s (%s), expires "
			    "%s; shown this once\n", rmt_num(t, "id"),
			    rmt_str(t, "user"), rmt_str(t, "scope"),
			    rmt_time(t, "expires"));
		out_printf("%s\n", rmt_str(doc, "value"));
		cJSON_Delete(doc);
	}
	if (a.body.buf)
		sodium_memzero(a.body.buf, a.body.alloc);
	rmt_ans_release(&a);
	return r;
}

int r_token_revoke(int64_t id, int fmt)
{
	char path[64];
	struct rmt_ans a;
	int r;

	snprintf(path, sizeof(path), "/api/v1/tokens/%" PRId64, id);
	r = rmt_request("DELETE", path, NULL, NULL, &a);
	if (r)
		return r;
	if (fmt == FMT_JSON)
		return rmt_print(&a);
	rmt_ans_release(&a);
	out_printf("token %" PRId64 " revoked\n", id);
	return EXIT_OK;
}

/* ---- plan, approve, reject, contain ---- */

/* One step of a plan document, as nhir plan prints it. */
static size_t plan_step(const cJSON *s)
{
	const char *tgt = rmt_str(s, "target"), *br = rmt_str(s, "breaks");
	const char *sv = rmt_str(s, "survives"), *res = rmt_str(s, "result");
	struct nhir_buf after = NHIR_BUF_INIT(4096);
	const cJSON *it;
	int64_t voids = rmt_num(s, "void_approvals");

	cJSON_ArrayForEach(it, rmt_arr(s, "after"))
		nhir_buf_addf(&after, "%s%" PRId64, after.len ? "," : "",
			      (int64_t)it->valuedouble);
	nhir_buf_addch(&after, 0);
	out_printf("%3" PRId64 "  %-8s %-32s %s\n", rmt_num(s, "step"),
		   rmt_str(s, "status"), rmt_str(s, "action"), tgt ? tgt : "-");
	out_printf("       %s\n", rmt_str(s, "why"));
	if (br && *br)
		out_printf("       breaks: %s\n", br);
	if (sv && *sv)
		out_printf("       survives: %s\n", sv);
	out_printf("       %s%s, delay %" PRId64 " s, approvals %d/%d%s%s%s\n",
		   rmt_bool(s, "reversible") ? "reversible" : "IRREVERSIBLE",
		   rmt_bool(s, "destroys_evidence") ? ", destroys evidence" : "",
		   rmt_num(s, "delay"), (int)rmt_num(s, "approvals"),
		   (int)rmt_num(s, "approvals_needed"),
		   rmt_bool(s, "rejected") ? ", REJECTED" : "",
		   after.len > 1 ? ", after " : "",
		   after.len > 1 && after.buf ? after.buf : "");
	nhir_buf_release(&after);
	if (res && *res)
		out_printf("       result: %s\n", res);
	if (voids > 0) {
		cJSON_ArrayForEach(it, rmt_arr(s, "not_counted")) {
			const char *st = rmt_str(it, "state");
			const char *v = rmt_str(it, "verdict");

			if (!st || !strcmp(st, "expired"))
				continue;
			out_printf("       %s: %s by %s at %s (%s)\n", st,
				   v && !strcmp(v, "reject") ? "rejection"
							     : "approval",
				   rmt_str(it, "actor"), rmt_time(it, "at"),
				   rmt_str(it, "reason"));
		}
	}
	return voids > 0 ? (size_t)voids : 0;
}

static const char *field(const cJSON *o, const char *k)
{
	const char *v = rmt_str(o, k);

	return v && *v ? v : "?";
}

static void plan_text(int64_t inc, const cJSON *doc)
{
	const cJSON *it, *gone = rmt_arr(doc, "not_planned_ended");
	size_t void_nr = 0;

	out_printf("plan of INC-%" PRId64 "\n", inc);
	cJSON_ArrayForEach(it, rmt_arr(doc, "steps"))
		void_nr += plan_step(it);
	if (cJSON_GetArraySize(gone) > 0) {
		out_printf("not planned, ended by logged events:\n");
		cJSON_ArrayForEach(it, gone)
			out_printf("  %-36s %s %s by %s\n", field(it, "node"),
				   field(it, "how"), field(it, "at"),
				   field(it, "event"));
	}
	if (void_nr)
		out_printf("%zu approval%s or rejection%s no longer count%s "
			   "(void)\n", void_nr, void_nr == 1 ? "" : "s",
			   void_nr == 1 ? "" : "s", void_nr == 1 ? "s" : "");
}

int r_plan(int64_t inc, bool rebuild, const char *why, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	struct rmt_ans a;
	cJSON *doc = NULL;
	int r;

	inc_path(&p, inc, "/plan");
	if (p.err)
		return oom();
	r = rmt_request("GET", p.buf, NULL, NULL, &a);
	if (!r)
		r = rmt_doc("GET", p.buf, &a, &doc);
	if (!r && (rebuild || !cJSON_GetArraySize(rmt_arr(doc, "steps")))) {
		struct nhir_req_field f[] = {
			{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
		};
		char *json = nhir_request_json(f, NHIR_ARRAY_SIZE(f));

		rmt_ans_release(&a);
		cJSON_Delete(doc);
		doc = NULL;
		r = json ? rmt_request("POST", p.buf, json, NULL, &a) : oom();
		cJSON_free(json);
		if (!r)
			r = rmt_doc("POST", p.buf, &a, &doc);
	}
	nhir_buf_release(&p);
	if (!r && fmt == FMT_JSON)
		r = rmt_print(&a);
	else if (!r)
		plan_text(inc, doc);
	rmt_ans_release(&a);
	cJSON_Delete(doc);
	return r;
}

/* POST one verdict on step of inc; exit code. */
static int verdict(int64_t inc, int64_t step, bool approve, const char *why,
		   int64_t ttl)
{
	char rest[64];
	struct nhir_req_field f[] = {
		{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
		{ "ttl", NHIR_REQ_NUM, NULL, ttl, ttl > 0, NULL, NULL, 0 },
	};
	cJSON *doc;
	int r;

	snprintf(rest, sizeof(rest), "/steps/%" PRId64 "/%s", step,
		 approve ? "approve" : "reject");
	r = inc_post(inc, rest, f, NHIR_ARRAY_SIZE(f), &doc);
	cJSON_Delete(doc);
	return r;
}

int r_reject_withdraw(int64_t inc, int64_t step, const char *why)
{
	struct nhir_req_field f[] = {
		{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
		{ "withdraw", NHIR_REQ_TRUE, NULL, 0, true, NULL, NULL, 0 },
	};
	char rest[64];
	cJSON *doc = NULL;
	int r;

	snprintf(rest, sizeof(rest), "/steps/%" PRId64 "/reject", step);
	r = inc_post(inc, rest, f, NHIR_ARRAY_SIZE(f), &doc);
	cJSON_Delete(doc);
	if (!r)
		out_printf("INC-%" PRId64 ": %s withdrew the rejection of step %"
			   PRId64 "\n", inc, rmt_user(), step);
	return r;
}

int r_plan_edit(int64_t inc, const char *op, const char *action,
		const char *target, int64_t step, int64_t after,
		int64_t before, const char *why, const char *accept)
{
	struct nhir_req_field f[] = {
		{ "op", NHIR_REQ_STR, op, 0, false, NULL, NULL, 0 },
		{ "action", NHIR_REQ_STR, action, 0, false, NULL, NULL, 0 },
		{ "target", NHIR_REQ_STR, target, 0, false, NULL, NULL, 0 },
		{ "after", NHIR_REQ_NUM, NULL, after, after > 0, NULL, NULL, 0 },
		{ "step", NHIR_REQ_NUM, NULL, step, step > 0, NULL, NULL, 0 },
		{ "before", NHIR_REQ_NUM, NULL, before, before > 0, NULL, NULL,
		  0 },
		{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
		{ "accept_risk", NHIR_REQ_STR, accept, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc = NULL;
	int r = inc_post(inc, "/plan/edit", f, NHIR_ARRAY_SIZE(f), &doc);

	if (r)
		return r;
	step = rmt_num(doc, "step");
	cJSON_Delete(doc);
	if (!strcmp(op, "add"))
		out_printf("INC-%" PRId64 ": step %" PRId64 " added\n", inc,
			   step);
	else if (!strcmp(op, "skip"))
		out_printf("INC-%" PRId64 ": step %" PRId64 " skipped\n", inc,
			   step);
	else
		out_printf("INC-%" PRId64 ": step %" PRId64 " moved before %"
			   PRId64 "\n", inc, step, before);
	return EXIT_OK;
}

int r_verdict(int64_t inc, bool approve, bool all, char **steps,
	      const char *why, int64_t ttl)
{
	const char *user;
	int r;

	if (all) {
		struct nhir_req_field f[] = {
			{ "why", NHIR_REQ_STR, why, 0, false, NULL, NULL, 0 },
			{ "ttl", NHIR_REQ_NUM, NULL, ttl, ttl > 0, NULL, NULL,
			  0 },
		};
		cJSON *doc = NULL, *done;

		r = inc_post(inc, "/approve", f, NHIR_ARRAY_SIZE(f), &doc);
		if (!r) {
			r = cli_approvals_text(inc, doc);
			cJSON_Delete(doc);
			return r;
		}
		/* failed part way: what was approved before, then why */
		done = rmt_problem_result();
		if (done)
			cli_approvals_text(inc, done);
		cJSON_Delete(done);
		return r;
	}
	user = rmt_user();
	for (char **s = steps; *s; s++) {
		char *end;
		int64_t step = strtoll(*s, &end, 10);

		r = verdict(inc, step, approve, why, ttl);
		if (r)
			return r;
		out_printf("INC-%" PRId64 ": step %" PRId64 " %s by %s\n", inc,
			   step, approve ? "approved" : "rejected", user);
	}
	return EXIT_OK;
}

int r_contain(int64_t inc, int64_t at, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	const cJSON *it, *res;
	struct rmt_ans a;
	cJSON *doc = NULL, *plan = NULL;
	size_t n[2] = { 0, 0 }, nr;
	char t[40];
	int r;

	nhir_buf_addf(&p, "/api/v1/incidents/INC-%" PRId64 "/contain", inc);
	if (at != NHIR_TIME_UNSET) {
		nhir_time_format(at, t, sizeof(t));
		nhir_buf_addf(&p, "?at=");
		rmt_esc(&p, t);
	}
	nhir_buf_addch(&p, 0);
	if (p.err)
		return oom();
	r = rmt_request("GET", p.buf, NULL, NULL, &a);
	if (!r)
		r = rmt_doc("GET", p.buf, &a, &doc);
	nhir_buf_release(&p);
	if (r) {
		rmt_ans_release(&a);
		return r;
	}
	res = rmt_arr(doc, "residual");
	nr = (size_t)cJSON_GetArraySize(res);
	if (fmt == FMT_JSON) {
		rmt_print(&a);
		cJSON_Delete(doc);
		return nr ? EXIT_FINDINGS : EXIT_OK;
	}
	rmt_ans_release(&a);
	out_printf("INC-%" PRId64 " at %s: ", inc, rmt_time(doc, "at"));
	if (!nr)
		out_puts("contained: no residual access");
	else if (rmt_str(doc, "contained_at"))
		out_printf("NOT contained yet: %zu paths remain; all end by "
			   "themselves by %s\n", nr, rmt_str(doc, "contained_at"));
	else
		out_printf("NOT contained: %zu paths remain, some do not "
			   "end by themselves\n", nr);
	cJSON_ArrayForEach(it, res) {
		const char *path = rmt_str(it, "path");

		out_printf("  %-11s %-36s until %s\n      %s\n",
			   rmt_str(it, "kind"), rmt_str(it, "node"),
			   rmt_str(it, "expires") ? rmt_str(it, "expires")
						  : "it is revoked",
			   path ? path : "");
	}
	nr = (size_t)cJSON_GetArraySize(rmt_arr(doc, "ended"));
	if (nr)
		out_printf("ended by logged events (%zu):\n", nr);
	cJSON_ArrayForEach(it, rmt_arr(doc, "ended")) {
		const char *node = rmt_str(it, "node"), *ev = rmt_str(it, "event");
		const char *file = rmt_str(it, "file"), *path = rmt_str(it, "path");

		out_printf("  %-36s ended by logged event %s (%s) at %s",
			   node ? node : "?", ev ? ev : "?", rmt_str(it, "how"),
			   rmt_time(it, "at"));
		if (file)
			out_printf(", %s@%" PRIu64, file,
				   (uint64_t)rmt_num(it, "offset"));
		out_printf("\n      %s\n", path ? path : "");
	}
	nr = (size_t)cJSON_GetArraySize(res);
	cJSON_Delete(doc);
	/* the plan's void approvals, in one line, as nhir contain says */
	p = (struct nhir_buf)NHIR_BUF_INIT(4096);
	inc_path(&p, inc, "/plan");
	if (!p.err && !rmt_get(p.buf, FMT_TEXT, &plan)) {
		cJSON_ArrayForEach(it, rmt_arr(plan, "steps"))
			if (rmt_num(it, "void_approvals") > 0) {
				n[0] += (size_t)rmt_num(it, "void_approvals");
				n[1]++;
			}
		if (n[0])
			out_printf("plan: %zu approval%s or rejection%s of %zu "
				   "step%s void (changed since); see 'nhir "
				   "plan INC-%" PRId64 "'\n", n[0],
				   n[0] == 1 ? "" : "s", n[0] == 1 ? "" : "s",
				   n[1], n[1] == 1 ? "" : "s", inc);
	}
	cJSON_Delete(plan);
	nhir_buf_release(&p);
	return nr ? EXIT_FINDINGS : EXIT_OK;
}

/* ---- reads of the graph, the findings, the report ---- */

static uint64_t u64(const cJSON *o, const char *k);
static const char *str_or(const cJSON *o, const char *k, const char *dflt);

/* Appends "?k=v" or "&k=v" to the path in b (not yet terminated). */
static void q_add(struct nhir_buf *b, const char *k, const char *v)
{
	bool first = !b->buf || !memchr(b->buf, '?', b->len);

	nhir_buf_addf(b, "%c%s=", first ? '?' : '&', k);
	rmt_esc(b, v);
}

static void q_time(struct nhir_buf *b, const char *k, int64_t t)
{
	char s[40];

	if (t == NHIR_TIME_UNSET)
		return;
	nhir_time_format(t, s, sizeof(s));
	q_add(b, k, s);
}

/* GET the path in b (terminated here, released): a document or JSON. */
static int read_doc(struct nhir_buf *b, int fmt, cJSON **doc)
{
	int r;

	*doc = NULL;
	nhir_buf_addch(b, 0);
	r = b->err ? oom() : rmt_get(b->buf, fmt, doc);
	nhir_buf_release(b);
	return r;
}

/* A JSON member printed compactly, as the store keeps it. */
static void raw(bool edge, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	if (s && strcmp(s, "{}") && edge)
		out_printf("\n       %s", s);
	else if (s && strcmp(s, "{}"))
		out_printf("  attrs:    %s\n", s);
	cJSON_free(s);
}

int r_show(const struct cli_ctx *ctx, const char *ref, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	const cJSON *it, *o;
	cJSON *doc;
	size_t n = 0;
	int r;

	nhir_buf_addf(&b, "/api/v1/node");
	q_add(&b, "ref", ref);
	r = read_doc(&b, fmt, &doc);
	if (r || !doc)
		return r;
	out_printf("%s%s%s (%s) #%" PRId64 "\n", cli_color(ctx, C_BOLD),
		   rmt_str(doc, "ref"), cli_color(ctx, C_RESET),
		   rmt_str(doc, "kind"), rmt_num(doc, "id"));
	if (rmt_str(doc, "name"))
		out_printf("  name:     %s\n", rmt_str(doc, "name"));
	if (rmt_str(doc, "subtype"))
		out_printf("  subtype:  %s\n", rmt_str(doc, "subtype"));
	if (rmt_str(doc, "provider"))
		out_printf("  provider: %s\n", rmt_str(doc, "provider"));
	if (rmt_str(doc, "created"))
		out_printf("  created:  %s\n", rmt_str(doc, "created"));
	if (rmt_str(doc, "expires"))
		out_printf("  expires:  %s\n", rmt_str(doc, "expires"));
	if (rmt_bool(doc, "disabled"))
		out_printf("  state:    disabled\n");
	raw(false, cJSON_GetObjectItemCaseSensitive(doc, "attrs"));
	cJSON_ArrayForEach(it, rmt_arr(doc, "ended")) {
		out_printf("  %-9s %s %s by %s", n++ ? "" : "ended:",
			   rmt_str(it, "how"), rmt_str(it, "at"),
			   str_or(it, "event", "(null)"));
		if (rmt_str(it, "cause"))
			out_printf(" (%s)", rmt_str(it, "cause"));
		if (rmt_str(it, "file"))
			out_printf(", %s@%" PRIu64, rmt_str(it, "file"),
				   u64(it, "offset"));
		out_putchar('\n');
	}
	out_printf("edges:\n");
	n = 0;
	cJSON_ArrayForEach(it, rmt_arr(doc, "edges")) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(it, "cascade");

		o = cJSON_GetObjectItemCaseSensitive(it, "node");
		out_printf("  %s %-13s %s (%s)",
			   strcmp(str_or(it, "direction", ""), "out") ? "<-"
								       : "->",
			   rmt_str(it, "kind"), rmt_str(o, "ref"),
			   rmt_str(o, "kind"));
		if (rmt_str(it, "privilege"))
			out_printf(" privilege=%s", rmt_str(it, "privilege"));
		if (cJSON_IsBool(c))
			out_printf(" cascade=%s", cJSON_IsTrue(c) ? "yes" : "no");
		if (rmt_str(it, "created"))
			out_printf(" from %s", rmt_str(it, "created"));
		if (rmt_str(it, "expires"))
			out_printf(" until %s", rmt_str(it, "expires"));
		raw(true, cJSON_GetObjectItemCaseSensitive(it, "attrs"));
		out_putchar('\n');
		n++;
	}
	if (!n)
		out_printf("  (none)\n");
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_timeline(char **refs, int nr, int64_t since, int64_t until, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	const cJSON *e;
	cJSON *doc;
	int r;

	nhir_buf_addf(&b, "/api/v1/timeline");
	for (int i = 0; i < nr; i++)
		q_add(&b, "ref", refs[i]);
	q_time(&b, "since", since);
	q_time(&b, "until", until);
	r = read_doc(&b, fmt, &doc);
	if (r || !doc)
		return r;
	cJSON_ArrayForEach(e, rmt_arr(doc, "events"))
		out_printf("%s  %-20s %-40s %-10s %-15s %s  (%s, byte %" PRIu64
			   ")\n", rmt_str(e, "time"), str_or(e, "key", "-"),
			   str_or(e, "action", "-"), str_or(e, "outcome", "-"),
			   str_or(e, "ip", "-"), str_or(e, "target", "-"),
			   str_or(e, "path", "?"), u64(e, "offset"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

/* A u64 member as the text prints it. */
static uint64_t u64(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble
						       : 0;
}

static const char *str_or(const cJSON *o, const char *k, const char *dflt)
{
	const char *s = rmt_str(o, k);

	return s ? s : dflt;
}

/*
 * The keys of one usage (breadth first, each after the key that minted
 * it) in depth-first order, as nhir usage prints them: each key's
 * parent is the nearest earlier key it was minted by, one level up.
 */
static size_t *usage_order(const cJSON **k, size_t nr)
{
	size_t *parent = nhir_calloc(nr + 1, sizeof(*parent));
	size_t *order = nhir_calloc(nr + 1, sizeof(*order));
	size_t *stack = nhir_calloc(nr + 1, sizeof(*stack));
	size_t n = 0, top = 0;

	if (!parent || !order || !stack) {
		nhir_free(order);
		order = NULL;
		goto out;
	}
	for (size_t j = 1; j < nr; j++) {
		const char *by = rmt_str(k[j], "minted_by");

		for (size_t i = j; by && i-- > 0;)
			if (rmt_num(k[i], "depth") + 1 == rmt_num(k[j], "depth") &&
			    rmt_str(k[i], "key") &&
			    !strcmp(rmt_str(k[i], "key"), by)) {
				parent[j] = i;
				break;
			}
	}
	if (nr)
		stack[top++] = 0;
	while (top) {
		size_t i = stack[--top];

		order[n++] = i;
		/* children in key order: pushed last first */
		for (size_t c = nr; c-- > i + 1;)
			if (parent[c] == i && c)
				stack[top++] = c;
	}
out:
	nhir_free(parent);
	nhir_free(stack);
	return order;
}

static void usage_key(const struct cli_ctx *ctx, const cJSON *k)
{
	const char *b = cli_color(ctx, C_BOLD), *z = cli_color(ctx, C_RESET);
	const char *r = cli_color(ctx, C_RED);
	int in = (int)rmt_num(k, "depth") * 2;
	const cJSON *it, *ua;
	char kd[64];
	size_t len = 0;

	out_printf("%*s%s%s", in, "", b, rmt_str(k, "key"));
	if (rmt_str(k, "minted_by")) {
		out_printf("%s  (%s by %s", z, str_or(k, "via", "(null)"),
			   rmt_str(k, "minted_by"));
		if (rmt_str(k, "minted_at"))
			out_printf(" at %s", rmt_str(k, "minted_at"));
		out_printf(")");
	}
	out_printf("%s\n", z);
	if (!u64(k, "events")) {
		out_printf("%*s  no events\n", in, "");
		return;
	}
	if (!rmt_bool(k, "detail")) {
		kd[0] = 0;
		cJSON_ArrayForEach(it, rmt_arr(k, "notable_kinds"))
			if (cJSON_IsString(it) && len < sizeof(kd))
				len += (size_t)snprintf(kd + len, sizeof(kd) - len,
							"%s%s", len ? ", " : "",
							it->valuestring);
		out_printf("%*s  %" PRIu64 " events, %" PRIu64 " failed, "
			   "first %s, last %s", in, "", u64(k, "events"),
			   u64(k, "failed"), rmt_time(k, "first"),
			   rmt_time(k, "last"));
		if (u64(k, "notable_calls"))
			out_printf("; %" PRIu64 " notable (%s)",
				   u64(k, "notable_calls"), kd);
		if (u64(k, "concurrent"))
			out_printf("; %sconcurrent use %" PRIu64 " times%s", r,
				   u64(k, "concurrent"), z);
		out_printf("\n");
		return;
	}
	out_printf("%*s  %" PRIu64 " events, %" PRIu64 " failed, first %s, "
		   "last %s\n", in, "", u64(k, "events"), u64(k, "failed"),
		   rmt_time(k, "first"), rmt_time(k, "last"));
	if (u64(k, "concurrent"))
		out_printf("%*s  %sconcurrent use from different addresses: "
			   "%" PRIu64 " times, first at %s%s\n", in, "", r,
			   u64(k, "concurrent"), rmt_time(k, "concurrent_first"),
			   z);
	out_printf("%*s  sources, by address:\n", in, "");
	cJSON_ArrayForEach(it, rmt_arr(k, "addresses")) {
		bool after = rmt_bool(it, "after_exposure");

		out_printf("%*s    %s%-15s first %s  %6" PRIu64 " calls%s%s\n",
			   in, "", after ? r : "", str_or(it, "ip", "-"),
			   rmt_time(it, "first"), u64(it, "count"),
			   after ? "  [new after exposure]"
			   : rmt_bool(it, "internal") ? "  (the provider's own: "
							"not the caller's "
							"address)" : "",
			   after ? z : "");
		cJSON_ArrayForEach(ua, rmt_arr(it, "user_agents"))
			out_printf("%*s      first %s  %6" PRIu64 " calls  %s\n",
				   in, "", rmt_time(ua, "first"),
				   u64(ua, "count"),
				   str_or(ua, "user_agent", "-"));
	}
	out_printf("%*s  actions:\n", in, "");
	cJSON_ArrayForEach(it, rmt_arr(k, "actions"))
		out_printf("%*s    %6" PRIu64 "  %s%s\n", in, "",
			   u64(it, "count"), rmt_str(it, "action"),
			   u64(it, "failed") ? " (some failed)" : "");
	len = (size_t)cJSON_GetArraySize(rmt_arr(k, "notable"));
	if (len < u64(k, "notable_calls"))
		out_printf("%*s  notable (the first %zu of %" PRIu64 "):\n", in,
			   "", len, u64(k, "notable_calls"));
	else if (len)
		out_printf("%*s  notable:\n", in, "");
	cJSON_ArrayForEach(it, rmt_arr(k, "notable"))
		out_printf("%*s    %s  %-11s %s %s -> %s\n", in, "",
			   rmt_time(it, "time"), rmt_str(it, "kind"),
			   rmt_str(it, "action"), str_or(it, "target", ""),
			   str_or(it, "outcome", ""));
}

/* One credential's keys, as nhir usage prints them. */
static int usage_keys(const struct cli_ctx *ctx, const cJSON *keys)
{
	size_t nr = (size_t)cJSON_GetArraySize(keys), i = 0, brief = 0;
	const cJSON **k = nhir_calloc(nr + 1, sizeof(*k));
	const cJSON *it;
	size_t *order;

	if (!k)
		return oom();
	cJSON_ArrayForEach(it, keys)
		k[i++] = it;
	order = usage_order(k, nr);
	if (!order) {
		nhir_free(k);
		return oom();
	}
	for (size_t o = 0; o < nr; o++) {
		const cJSON *key = k[order[o]];

		if (o && (rmt_bool(key, "detail") ||
			  rmt_bool(k[order[o - 1]], "detail")))
			out_printf("\n");
		brief += !rmt_bool(key, "detail");
		usage_key(ctx, key);
	}
	if (brief)
		out_printf("\n%zu minted keys in summary; --all shows each one's "
			   "sources, actions and notable calls\n", brief);
	nhir_free(order);
	nhir_free(k);
	return EXIT_OK;
}

int r_usage(const struct cli_ctx *ctx, const char *ref,
	    const struct nhir_usage_opts *o, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	const cJSON *it, *creds;
	cJSON *doc = NULL;
	const char *id;
	int r;
	size_t n;

	nhir_buf_addf(&b, "/api/v1/usage");
	q_add(&b, "ref", ref);
	q_time(&b, "since", o->since);
	q_time(&b, "until", o->until);
	q_time(&b, "exposed_at", o->exposed_at);
	if (o->all)
		q_add(&b, "all", "true");
	nhir_buf_addch(&b, 0);
	r = b.err ? oom() : rmt_get(b.buf, fmt, &doc);
	nhir_buf_release(&b);
	if (r || !doc)
		return r;
	id = rmt_str(doc, "identity");
	creds = rmt_arr(doc, "credentials");
	n = (size_t)cJSON_GetArraySize(creds);
	if (!id) {
		r = usage_keys(ctx, rmt_arr(doc, "keys"));
	} else {
		if (!n)
			out_printf("%s: an identity; no credential is known to "
				   "act as it (none authenticates it, none "
				   "signed its events)\n", id);
		else
			out_printf("%s: an identity; %zu credential%s act%s as "
				   "it\n", id, n, n == 1 ? "" : "s",
				   n == 1 ? "s" : "");
		cJSON_ArrayForEach(it, creds) {
			out_putchar('\n');
			if ((r = usage_keys(ctx, rmt_arr(it, "keys"))))
				break;
		}
	}
	cJSON_Delete(doc);
	return r;
}

static bool has_flag(const cJSON *it, const char *flag)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, rmt_arr(it, "flags"))
		if (cJSON_IsString(f) && !strcmp(f->valuestring, flag))
			return true;
	return false;
}

/* The path that put an item in scope, as nhir blast prints it. */
static void blast_path(const struct cli_ctx *ctx, const cJSON *it)
{
	const char *d = cli_color(ctx, C_DIM), *z = cli_color(ctx, C_RESET);
	const cJSON *path = rmt_arr(it, "path"), *x, *e;
	size_t k = 0;

	out_printf("      %spath:%s ", d, z);
	if (cJSON_GetArraySize(path) >= 64)
		out_printf("... ");
	cJSON_ArrayForEach(x, path) {
		const char *edge = rmt_str(x, "edge");

		if (k++ && edge) {
			if (rmt_bool(x, "reverse")) {
				out_printf(" %s<-%s-%s ", d, edge, z);
			} else if (!strcmp(edge, "can")) {
				out_printf(" %s-can(%s)->%s ", d,
					   str_or(x, "privilege", "?"), z);
			} else if (!strcmp(edge, "escalates")) {
				const cJSON *m = rmt_arr(x, "escalation");
				int n = 0, total = cJSON_GetArraySize(m);

				out_printf(" %s-escalates", d);
				out_putchar('(');
				cJSON_ArrayForEach(e, m) {
					if (n == 2) {
						out_printf(", +%d more", total - n);
						break;
					}
					if (cJSON_IsString(e))
						out_printf("%s%s", n++ ? ", " : "",
							   e->valuestring);
				}
				if (!total)
					out_printf("?");
				out_putchar(')');
				out_printf("->%s ", z);
			} else {
				out_printf(" %s-%s->%s ", d, edge, z);
			}
		}
		out_printf("%s", rmt_str(x, "ref"));
		if (rmt_str(x, "state"))
			out_printf(" (%s)", rmt_str(x, "state"));
	}
	out_putchar('\n');
}

static void blast_item(const struct cli_ctx *ctx, int g, const cJSON *it)
{
	const char *y = cli_color(ctx, C_YELLOW), *r = cli_color(ctx, C_RED);
	const char *z = cli_color(ctx, C_RESET);
	const char *ref = rmt_str(it, "ref"), *name = rmt_str(it, "name");
	const char *sub = rmt_str(it, "subtype"), *st = rmt_str(it, "state");
	const cJSON *end = cJSON_GetObjectItemCaseSensitive(it, "ended"), *x;
	const cJSON *ne = rmt_arr(it, "not_evaluated");
	int n = 0;

	out_printf("  ");
	if (g == NHIR_BG_RESOURCE)
		out_printf("%-5s ", str_or(it, "privilege",
					   nhir_priv_name(NHIR_PRIV_NONE)));
	out_printf("%s", ref);
	if (name && strcmp(name, ref))
		out_printf(" \"%s\"", name);
	out_printf(" (%s%s%s)", rmt_str(it, "kind"), sub ? ", " : "",
		   sub ? sub : "");
	if (rmt_str(it, "expires") && !has_flag(it, "not_live"))
		out_printf(" until %s", rmt_str(it, "expires"));
	if (st && !strcmp(st, "expired")) {
		out_printf(" [expired %s]", rmt_time(it, "expires"));
	} else if (st && !strcmp(st, "ended")) {
		const char *ev = rmt_str(end, "event");

		out_printf(" [ended %s: %s%s by %s", rmt_time(end, "at"),
			   str_or(end, "whose", ""), rmt_str(end, "how"),
			   ev && *ev ? ev : "a logged event");
		if (rmt_str(end, "file"))
			out_printf(", %s@%" PRIu64, rmt_str(end, "file"),
				   u64(end, "offset"));
		out_printf("]");
	}
	if (has_flag(it, "survives_parent_revocation"))
		out_printf(" %s[survives revocation of its parent]%s", y, z);
	if (has_flag(it, "cascade_unknown"))
		out_printf(" [unknown whether revoking its parent kills it]");
	if (has_flag(it, "minted_after_exposure"))
		out_printf(" %s[minted after exposure]%s", r, z);
	if (has_flag(it, "inactive"))
		out_printf(" [inactive]");
	if (has_flag(it, "not_valid_at_time"))
		out_printf(" [not valid at this time]");
	if (has_flag(it, "depth_limit"))
		out_printf(" [depth limit]");
	if (cJSON_GetArraySize(ne) > 0) {
		out_printf(" %s[not evaluated: ", y);
		cJSON_ArrayForEach(x, ne) {
			if (n == 3) {
				out_printf("; and %d more",
					   cJSON_GetArraySize(ne) - n);
				break;
			}
			out_printf("%s%s", n++ ? "; " : "", x->valuestring);
		}
		out_printf("]%s", z);
	}
	out_putchar('\n');
	if (g != NHIR_BG_SEED)
		blast_path(ctx, it);
}

static void blast_text(const struct cli_ctx *ctx, const cJSON *doc,
		       size_t limit)
{
	const char *bold = cli_color(ctx, C_BOLD), *z = cli_color(ctx, C_RESET);
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(doc, "counts");
	const cJSON *groups = cJSON_GetObjectItemCaseSensitive(doc, "groups");
	const cJSON *it;
	uint64_t seeds = u64(counts, nhir_blast_group_name(NHIR_BG_SEED));
	uint64_t total = 0;

	cJSON_ArrayForEach(it, counts)
		total += cJSON_IsNumber(it) ? (uint64_t)it->valuedouble : 0;
	out_printf("%sBlast radius%s of %" PRIu64 " seed%s at %s", bold, z,
		   seeds, seeds == 1 ? "" : "s", rmt_time(doc, "at"));
	if (rmt_str(doc, "exposed_at"))
		out_printf(", exposed at %s", rmt_str(doc, "exposed_at"));
	if (u64(doc, "max_depth"))
		out_printf(", depth %u", (unsigned)u64(doc, "max_depth"));
	out_printf("\n  %" PRIu64 " in scope:", total - seeds);
	for (int g = 1; g < NHIR_BG_NR; g++)
		if (u64(counts, nhir_blast_group_name(g)))
			out_printf(" %" PRIu64 " %s",
				   u64(counts, nhir_blast_group_name(g)),
				   nhir_blast_group_name(g));
	if (u64(doc, "skipped_invalid"))
		out_printf("; %" PRIu64 " expired or not yet valid, left out",
			   u64(doc, "skipped_invalid"));
	out_putchar('\n');
	for (int g = 0; g < NHIR_BG_NR; g++) {
		const char *name = nhir_blast_group_name(g);
		uint64_t nr = u64(counts, name);
		size_t shown = 0, gates = 0;

		if (!nr)
			continue;
		out_printf("\n%s%s (%" PRIu64 ")%s\n", bold,
			   nhir_blast_group_title(g), nr, z);
		cJSON_ArrayForEach(it, rmt_arr(groups, name)) {
			if (has_flag(it, "dead_gate")) {
				gates++;
				continue;
			}
			if (limit && shown >= limit)
				continue;
			shown++;
			blast_item(ctx, g, it);
		}
		if (shown + gates < nr)
			out_printf("  ... and %" PRIu64 " more (--limit 0 shows "
				   "all)\n", nr - shown - gates);
		if (gates)
			out_printf("  (%zu trust gates leading nowhere, not "
				   "shown: roles of other accounts not "
				   "imported, or whose trust does not admit it; "
				   "--format json lists them)\n", gates);
	}
}

int r_blast(const struct cli_ctx *ctx, char **refs, int nr, int64_t at,
	    int64_t exposed_at, uint32_t depth, size_t limit, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 20);
	cJSON *doc;
	char n[32];
	int r;

	if (fmt == FMT_DOT)
		return rmt_unoffered("blast --format dot");
	nhir_buf_addf(&b, "/api/v1/blast");
	for (int i = 0; i < nr; i++)
		q_add(&b, "ref", refs[i]);
	q_time(&b, "at", at);
	q_time(&b, "exposed_at", exposed_at);
	if (depth) {
		snprintf(n, sizeof(n), "%u", depth);
		q_add(&b, "depth", n);
	}
	/* the text counts the trust gates it leaves out: it takes all */
	snprintf(n, sizeof(n), "%zu", fmt == FMT_JSON ? limit : 0);
	q_add(&b, "limit", n);
	r = read_doc(&b, fmt, &doc);
	if (r || !doc)
		return r;
	blast_text(ctx, doc, limit);
	cJSON_Delete(doc);
	return EXIT_OK;
}

/* One finding as nhir findings and nhir triage print it. */
static void finding_line(const cJSON *f, bool detail)
{
	const cJSON *route = cJSON_GetObjectItemCaseSensitive(f, "route");
	const char *out = rmt_str(route, "outcome"), *to = rmt_str(route, "to");
	const char *rule = rmt_str(route, "rule"), *inc = rmt_str(f, "incident");
	const char *cred = rmt_str(f, "credential");
	int64_t n = rmt_num(f, "sightings");

	out_printf("%4" PRId64 "  %-22s %-28s %-10s %2" PRId64 " place%s  "
		   "%s %s%s%s%s\n", rmt_num(f, "id"), rmt_str(f, "kind"),
		   rmt_str(f, "preview"), rmt_str(f, "verified"), n,
		   n == 1 ? " " : "s", out ? out : "unrouted", to ? to : "",
		   rule ? " (" : "", rule ? rule : "", rule ? ")" : "");
	if (inc)
		out_printf("      in %s\n", inc);
	if (detail)
		out_printf("      credential %s\n      fingerprint %s\n"
			   "      detector %s; first seen %s, last seen %s\n",
			   cred ? cred : "-", rmt_str(f, "fingerprint"),
			   rmt_str(f, "detector"), rmt_time(f, "first_seen"),
			   rmt_time(f, "last_seen"));
}

static bool dedicated(const cJSON *f)
{
	const char *out = rmt_str(cJSON_GetObjectItemCaseSensitive(f, "route"),
				  "outcome");
	const char *st = rmt_str(f, "status");

	return out && st && !strcmp(out, "dedicated") && !strcmp(st, "open");
}

int r_findings_list(bool all, bool triage, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(4096);
	const cJSON *it;
	struct rmt_ans a;
	cJSON *doc = NULL;
	size_t n = 0, ded = 0;
	int r;

	nhir_buf_addf(&b, triage ? "/api/v1/triage" : "/api/v1/findings");
	if (all)
		q_add(&b, "all", "true");
	nhir_buf_addch(&b, 0);
	if (b.err)
		return oom();
	r = rmt_request("GET", b.buf, NULL, NULL, &a);
	if (!r)
		r = rmt_doc("GET", b.buf, &a, &doc);
	nhir_buf_release(&b);
	if (r) {
		rmt_ans_release(&a);
		return r;
	}
	cJSON_ArrayForEach(it, rmt_arr(doc, "findings"))
		ded += dedicated(it);
	if (fmt == FMT_JSON) {
		rmt_print(&a);
	} else {
		rmt_ans_release(&a);
		cJSON_ArrayForEach(it, rmt_arr(doc, "findings")) {
			finding_line(it, false);
			n++;
		}
		if (triage && !n)
			out_puts("no open findings");
	}
	cJSON_Delete(doc);
	return triage && ded ? EXIT_FINDINGS : EXIT_OK;
}

int r_findings_show(int64_t id, int fmt)
{
	char path[64];
	const cJSON *it;
	cJSON *doc = NULL;
	int r;

	snprintf(path, sizeof(path), "/api/v1/findings/%" PRId64, id);
	r = rmt_get(path, fmt, &doc);
	if (r || !doc)
		return r;
	finding_line(cJSON_GetObjectItemCaseSensitive(doc, "finding"), true);
	out_printf("sightings:\n");
	cJSON_ArrayForEach(it, rmt_arr(doc, "sightings")) {
		const char *repo = rmt_str(it, "repository");
		const char *commit = rmt_str(it, "commit");
		const char *rep = rmt_str(it, "report");

		repo = repo ? repo : "";
		commit = commit ? commit : "";
		out_printf("  %s  %s%s%s:%" PRId64 "%s%.12s  (%s, %s)\n",
			   rmt_time(it, "at"), repo, repo[0] ? " " : "",
			   rmt_str(it, "file"), rmt_num(it, "line"),
			   commit[0] ? " @" : "", commit, rmt_str(it, "format"),
			   rep ? rep : "");
	}
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_route_explain(int64_t id, int fmt)
{
	struct nhir_buf b = NHIR_BUF_INIT(4096);
	const cJSON *facts, *it, *dec;
	cJSON *doc;
	char *s;
	int r, k = 0;

	nhir_buf_addf(&b, "/api/v1/findings/%" PRId64 "/route", id);
	r = read_doc(&b, fmt, &doc);
	if (r || !doc)
		return r;
	facts = cJSON_GetObjectItemCaseSensitive(doc, "facts");
	s = facts ? cJSON_PrintUnformatted(facts) : NULL;
	out_printf("finding %" PRId64 "\nfacts: %s\nunknown facts:", id,
		   s ? s : "?");
	cJSON_free(s);
	cJSON_ArrayForEach(it, rmt_arr(doc, "unknown"))
		if (cJSON_IsString(it))
			out_printf("%s %s", k++ ? "," : "", it->valuestring);
	if (!k)
		out_printf(" none");
	if (!strcmp(str_or(facts, "privilege", ""), "unknown"))
		out_printf(" (privilege: %s)", rmt_num(facts, "unknown_identities")
			   ? "an identity it reaches has no policy imported"
			   : "it reaches no identity known");
	out_printf("\nrules, in order:\n");
	cJSON_ArrayForEach(it, rmt_arr(doc, "rules"))
		out_printf("  %-3s %-24s line %-4d %s\n",
			   rmt_bool(it, "matched") ? "=>" : "no",
			   str_or(it, "rule", "(null)"), (int)rmt_num(it, "line"),
			   str_or(it, "because", "(null)"));
	dec = cJSON_GetObjectItemCaseSensitive(doc, "decision");
	out_printf("decision: %s %s%s%s%s\n", str_or(dec, "outcome", "(null)"),
		   str_or(dec, "to", "(null)"),
		   rmt_str(dec, "rule") ? " (rule " : " (no rule matched)",
		   str_or(dec, "rule", ""), rmt_str(dec, "rule") ? ")" : "");
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_user_list(int fmt)
{
	const cJSON *it;
	cJSON *doc = NULL;
	int r = rmt_get("/api/v1/users", fmt, &doc);

	if (r || !doc)
		return r;
	cJSON_ArrayForEach(it, rmt_arr(doc, "users"))
		out_printf("%-24s %-10s %-8s added %s by %s\n",
			   rmt_str(it, "name"), rmt_str(it, "role"),
			   rmt_bool(it, "active") ? "active" : "inactive",
			   rmt_time(it, "created"), rmt_str(it, "created_by"));
	cJSON_Delete(doc);
	return EXIT_OK;
}

int r_report(int64_t inc, const char *format, int64_t at,
	     struct nhir_buf *out)
{
	struct nhir_buf b = NHIR_BUF_INIT(4096);
	struct rmt_ans a;
	int r;

	nhir_buf_addf(&b, "/api/v1/incidents/INC-%" PRId64 "/report", inc);
	q_add(&b, "format", format);
	q_time(&b, "at", at);
	nhir_buf_addch(&b, 0);
	if (b.err)
		return oom();
	r = rmt_request("GET", b.buf, NULL, NULL, &a);
	nhir_buf_release(&b);
	if (r)
		return r;
	nhir_buf_add(out, a.body.buf, a.body.len);
	if (!a.body.len || a.body.buf[a.body.len - 1] != '\n')
		nhir_buf_addch(out, '\n');
	rmt_ans_release(&a);
	return out->err ? oom() : EXIT_OK;
}

int r_user_add(const char *name, const char *role)
{
	struct nhir_req_field f[] = {
		{ "name", NHIR_REQ_STR, name, 0, false, NULL, NULL, 0 },
		{ "role", NHIR_REQ_STR, role, 0, false, NULL, NULL, 0 },
	};
	cJSON *doc = NULL;
	int r = rmt_fields("POST", "/api/v1/users", f, NHIR_ARRAY_SIZE(f),
			   &doc);

	cJSON_Delete(doc);
	if (!r)
		out_printf("added %s (%s)\n", name, role);
	return r;
}

int r_user_set(const char *name, const char *role, int active)
{
	struct nhir_buf p = NHIR_BUF_INIT(4096);
	struct nhir_req_field f[] = {
		{ "role", NHIR_REQ_STR, role, 0, false, NULL, NULL, 0 },
		{ "active", NHIR_REQ_BOOL, NULL, active > 0, active >= 0, NULL,
		  NULL, 0 },
	};
	char *json = nhir_request_json(f, NHIR_ARRAY_SIZE(f));
	cJSON *doc = NULL;
	int r;

	nhir_buf_adds(&p, "/api/v1/users/");
	rmt_esc(&p, name);
	nhir_buf_addch(&p, 0);
	if (p.err || !json) {
		nhir_buf_release(&p);
		cJSON_free(json);
		return oom();
	}
	r = rmt_send("POST", p.buf, json, &doc);
	nhir_buf_release(&p);
	cJSON_free(json);
	cJSON_Delete(doc);
	if (!r)
		out_printf("updated %s\n", name);
	return r;
}

/* ---- uploads: import, ingest, findings import ---- */

struct upl {
	const char *kind, *format, *cluster;
	int fmt;
	cJSON *sum;		/* the documents so far, as one */
	int status;
};

/* The text line of one file's upload, as the local command prints it. */
static void upload_text(struct upl *u, const char *path, const cJSON *doc)
{
	const cJSON *f;

	if (!strcmp(u->kind, "import")) {
		f = cJSON_GetArrayItem(rmt_arr(doc, "files"), 0);
		if (!strcmp(rmt_str(f, "status") ? rmt_str(f, "status") : "",
			    "ok"))
			out_printf("%s: %" PRId64 " added, %" PRId64 " updated, "
				   "%" PRId64 " unchanged, 0 rejected%s\n", path,
				   rmt_num(f, "added"), rmt_num(f, "updated"),
				   rmt_num(f, "unchanged"),
				   rmt_num(f, "warnings") ? " (with warnings)"
							  : "");
		else
			out_printf("%s: rejected, nothing stored (%" PRId64
				   " error%s)\n", path, rmt_num(f, "rejected"),
				   rmt_num(f, "rejected") == 1 ? "" : "s");
	} else if (!strcmp(u->kind, "findings")) {
		f = cJSON_GetArrayItem(rmt_arr(doc, "reports"), 0);
		if (f && !strcmp(rmt_str(f, "status") ? rmt_str(f, "status")
						      : "", "ok"))
			out_printf("%s: %" PRId64 " entries, %" PRId64 " new "
				   "findings, %" PRId64 " new sightings, %" PRId64
				   " matched known credentials, %" PRId64
				   " skipped\n", path, rmt_num(f, "entries"),
				   rmt_num(f, "new_findings"),
				   rmt_num(f, "new_sightings"),
				   rmt_num(f, "matched"), rmt_num(f, "skipped"));
	}
}

/* Folds the document of one upload into u->sum. */
static void upload_sum(struct upl *u, cJSON *doc)
{
	if (!u->sum) {
		u->sum = doc;
		return;
	}
	if (!strcmp(u->kind, "ingest"))
		nhir_doc_ingest_sum(u->sum, doc);
	else
		nhir_doc_append(u->sum, doc, !strcmp(u->kind, "import")
					     ? "files" : "reports");
	cJSON_Delete(doc);
}

/* Uploads one file; its document into u; an exit code. */
static int upload_one(struct upl *u, const char *path)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	struct rmt_ans a;
	cJSON *doc = NULL;
	int r;

	nhir_buf_addf(&b, "/api/v1/%s", !strcmp(u->kind, "findings")
					? "findings/import" : u->kind);
	q_add(&b, "format", u->format);
	q_add(&b, "name", strcmp(path, "-") ? base_name(path) : "stdin");
	if (u->cluster)
		q_add(&b, "cluster", u->cluster);
	nhir_buf_addch(&b, 0);
	if (b.err)
		return oom();
	r = rmt_request("POST", b.buf, NULL, path, &a);
	if (!r)
		r = rmt_doc("POST", b.buf, &a, &doc);
	else
		doc = rmt_problem_result();	/* a 422: what was rejected */
	rmt_ans_release(&a);
	nhir_buf_release(&b);
	if (doc && u->fmt != FMT_JSON)
		upload_text(u, path, doc);
	if (doc && !strcmp(u->kind, "ingest") &&
	    !rmt_bool(doc, "complete") && !r)
		r = EXIT_PARTIAL;
	if (doc && !strcmp(u->kind, "findings") && !r) {
		const cJSON *f = cJSON_GetArrayItem(rmt_arr(doc, "reports"), 0);

		if (rmt_num(f, "skipped"))
			r = EXIT_PARTIAL;
	}
	if (doc)
		upload_sum(u, doc);
	return r;
}

/* The files of a directory, sorted, hidden ones left out, as ingest. */
static int walk(struct upl *u, const char *dir, int depth);

static int upload_path(struct upl *u, const char *path, int depth)
{
	struct stat sb;

	if (strcmp(path, "-") && !stat(path, &sb) && S_ISDIR(sb.st_mode)) {
		if (strcmp(u->kind, "ingest")) {
			cli_error("'%s' is a directory", path);
			return EXIT_ERROR;
		}
		return walk(u, path, depth + 1);
	}
	return upload_one(u, path);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct upl *u, const char *dir, int depth)
{
	char **names = NULL;
	size_t nr = 0, alloc = 0;
	struct dirent *de;
	DIR *d;
	int r = EXIT_OK, s;

	if (depth > 32) {
		cli_error("'%s': directories nested too deep", dir);
		return EXIT_ERROR;
	}
	d = opendir(dir);
	if (!d) {
		cli_error("cannot read '%s': %s", dir, strerror(errno));
		return EXIT_ERROR;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (NHIR_ALLOC_GROW(names, nr + 1, alloc)) {
			r = oom();
			break;
		}
		names[nr] = nhir_malloc(strlen(dir) + strlen(de->d_name) + 2);
		if (!names[nr]) {
			r = oom();
			break;
		}
		snprintf(names[nr], strlen(dir) + strlen(de->d_name) + 2,
			 "%s/%s", dir, de->d_name);
		nr++;
	}
	closedir(d);
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_names);
	for (size_t i = 0; !r && i < nr; i++) {
		s = upload_path(u, names[i], depth);
		if (s == EXIT_DENIED)
			r = s;
		else if (s && (!u->status || u->status == EXIT_PARTIAL))
			u->status = s;
	}
	for (size_t i = 0; i < nr; i++)
		nhir_free(names[i]);
	nhir_free(names);
	return r;
}

int r_upload(const char *kind, const char *format, const char *cluster,
	     char **files, int nr, int fmt)
{
	struct upl u = { kind, format, cluster, fmt, NULL, EXIT_OK };
	int r;

	for (int i = 0; i < nr; i++) {
		r = upload_path(&u, files[i], 0);
		if (r == EXIT_DENIED) {
			u.status = r;
			break;
		}
		if (r && (!u.status || u.status == EXIT_PARTIAL))
			u.status = r;
	}
	if (u.sum && fmt == FMT_JSON) {
		char *s = cJSON_PrintUnformatted(u.sum);

		if (s) {
			out_raw(stdout, s, strlen(s));
			out_raw(stdout, "\n", 1);
		}
		cJSON_free(s);
	} else if (u.sum && !strcmp(kind, "ingest")) {
		const cJSON *d = u.sum;

		out_printf("%" PRId64 " files ingested, %" PRId64 " already "
			   "ingested, %" PRId64 " rejected", rmt_num(d, "files"),
			   rmt_num(d, "files_already_ingested"),
			   rmt_num(d, "files_rejected"));
		if (rmt_num(d, "files_skipped"))
			out_printf(", %" PRId64 " skipped (not read)",
				   rmt_num(d, "files_skipped"));
		if (rmt_num(d, "digests_skipped"))
			out_printf(", %" PRId64 " digest files skipped",
				   rmt_num(d, "digests_skipped"));
		out_printf("; %" PRId64 " events (%" PRId64 " stored before",
			   rmt_num(d, "events"), rmt_num(d, "duplicates"));
		if (rmt_num(d, "duplicates_in_run"))
			out_printf(", %" PRId64 " also in another file read now",
				   rmt_num(d, "duplicates_in_run"));
		if (rmt_num(d, "repeated"))
			out_printf(", %" PRId64 " repeated in their file",
				   rmt_num(d, "repeated"));
		out_printf("), %" PRId64 " records skipped, %" PRId64 " lineage "
			   "changes\n", rmt_num(d, "skipped"),
			   rmt_num(d, "lineage_changes"));
	}
	cJSON_Delete(u.sum);
	return u.status;
}

/* A POST whose answer is printed as it came (FMT_JSON) or read. */
static int post_doc(const char *path, const char *json, int fmt,
		    cJSON **doc)
{
	struct rmt_ans a;
	int r = rmt_request("POST", path, json, NULL, &a);

	if (!r)
		r = rmt_doc("POST", path, &a, doc);
	if (r) {
		rmt_ans_release(&a);
		return r;
	}
	if (fmt == FMT_JSON)
		return rmt_print(&a);
	rmt_ans_release(&a);
	return EXIT_OK;
}

int r_execute(int64_t inc, int64_t step, bool confirm, const char *resolve,
	      const char *why, int fmt)
{
	struct nhir_buf p = NHIR_BUF_INIT(256);
	struct nhir_req_field f[] = {
		{ "confirm", NHIR_REQ_TRUE, NULL, 0, confirm && !resolve,
		  NULL, NULL, 0 },
		{ "resolve", NHIR_REQ_STR, resolve, 0, false, NULL, NULL, 0 },
		{ "why", NHIR_REQ_STR, resolve ? why : NULL, 0, false, NULL,
		  NULL, 0 },
	};
	char *json = nhir_request_json(f, NHIR_ARRAY_SIZE(f));
	const char *status;
	cJSON *doc = NULL;
	int r;

	if (step)
		nhir_buf_addf(&p, "/api/v1/incidents/INC-%" PRId64 "/steps/%"
			      PRId64 "/execute", inc, step);
	else	/* the next step ready: the server's library chooses */
		nhir_buf_addf(&p, "/api/v1/incidents/INC-%" PRId64 "/execute",
			      inc);
	nhir_buf_addch(&p, 0);
	if (p.err || !json) {
		nhir_buf_release(&p);
		cJSON_free(json);
		return oom();
	}
	r = post_doc(p.buf, json, resolve ? FMT_TEXT : fmt, &doc);
	nhir_buf_release(&p);
	cJSON_free(json);
	if (r)
		return r;
	if (resolve) {
		cJSON_Delete(doc);
		out_printf("INC-%" PRId64 " step %" PRId64 ": %s, decided by "
			   "%s\n", inc, step, !strcmp(resolve, "done")
			   ? "taken as done" : "to be run again", rmt_user());
		return EXIT_OK;
	}
	if (fmt != FMT_JSON)
		cli_print_execute(inc, doc);
	status = rmt_str(doc, "status");
	r = status && !strcmp(status, "failed") ? EXIT_ERROR : EXIT_OK;
	cJSON_Delete(doc);
	return r;
}

int r_verify(int64_t inc, int fmt)
{
	char path[96];
	cJSON *doc = NULL;
	int r;

	snprintf(path, sizeof(path), "/api/v1/incidents/INC-%" PRId64
		 "/verify", inc);
	r = post_doc(path, "{}", fmt, &doc);
	if (r)
		return r;
	if (fmt != FMT_JSON)
		cli_print_verify(inc, doc);
	r = cli_verify_exit(doc);
	cJSON_Delete(doc);
	return r;
}
