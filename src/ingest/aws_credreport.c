/*
 * AWS IAM credential report: the CSV that "aws iam get-credential-report"
 * returns (as is, or the command's JSON with the CSV base64-encoded in
 * "Content").  Each user becomes an identity; each of its access keys and
 * signing certificates that exists becomes a credential that
 * authenticates it, with its active state, last rotation and last use.
 *
 * The report does not carry access key ids, so a key is named by its
 * user and slot: "<user ARN>#access_key_1".
 */
#include "compat.h"
#include <sodium.h>
#include <cjson/cJSON.h>
#include "nhir/buf.h"
#include "ingest/common.h"
#include "ingest/csv.h"
#include "ingest/json.h"

enum col {
	C_USER, C_ARN, C_CREATED, C_PW_ENABLED, C_PW_LAST_USED, C_MFA,
	C_K1_ACTIVE, C_K1_ROTATED, C_K1_USED, C_K1_REGION, C_K1_SERVICE,
	C_K2_ACTIVE, C_K2_ROTATED, C_K2_USED, C_K2_REGION, C_K2_SERVICE,
	C_C1_ACTIVE, C_C1_ROTATED, C_C2_ACTIVE, C_C2_ROTATED,
	C_NR
};

static const char *const col_names[C_NR] = {
	"user", "arn", "user_creation_time", "password_enabled",
	"password_last_used", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated",
	"access_key_1_last_used_date", "access_key_1_last_used_region",
	"access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated",
	"access_key_2_last_used_date", "access_key_2_last_used_region",
	"access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active",
	"cert_2_last_rotated",
};

struct report {
	struct nhir_import *imp;
	struct nhir_csv csv;
	int col[C_NR];		/* field index, or -1 */
	size_t base;		/* offset of the CSV in the input */
	bool decoded;		/* the CSV was base64 inside JSON */
	struct nhir_buf attrs, id;
};

/*
 * Reports an error at offset off of the CSV.  When the CSV was decoded
 * from the JSON form, offsets into it mean nothing in the file: the
 * error is put at "Content" and names the report's own line.
 */
static void rep_error(struct report *r, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rep_error(struct report *r, size_t off, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->decoded)
		nhir_import_error(r->imp, r->base, "report line %u: %s",
				  r->csv.line, msg);
	else
		nhir_import_error(r->imp, off, "%s", msg);
}

static const char *field(struct report *r, enum col c)
{
	int i = r->col[c];

	return i >= 0 && (size_t)i < r->csv.nr ? r->csv.field[i] : NULL;
}

/* "N/A", "no_information", "not_supported" and "" mean unknown. */
static bool known(const char *v)
{
	return v && *v && strcmp(v, "N/A") && strcmp(v, "no_information") &&
	       strcmp(v, "not_supported");
}

/* Parses a time field; false (reported) if it is neither time nor unknown. */
static bool time_field(struct report *r, enum col c, int64_t *out)
{
	const char *v = field(r, c);

	*out = NHIR_TIME_UNSET;
	if (!known(v))
		return true;
	if (!nhir_time_parse(v, (size_t)-1, out, NULL))
		return true;
	rep_error(r, r->csv.field_off[r->col[c]],
			  "%s: bad time '%.40s'", col_names[c], v);
	return false;
}

static bool bool_field(struct report *r, enum col c, int *out)
{
	const char *v = field(r, c);

	*out = -1;
	if (!known(v))
		return true;
	if (!strcmp(v, "true") || !strcmp(v, "false")) {
		*out = !strcmp(v, "true");
		return true;
	}
	rep_error(r, r->csv.field_off[r->col[c]],
			  "%s: expected true or false, not '%.40s'",
			  col_names[c], v);
	return false;
}

static void add_time_attr(cJSON *o, const char *k, int64_t t)
{
	char buf[32];

	if (t == NHIR_TIME_UNSET)
		return;
	nhir_time_format(t, buf, sizeof(buf));
	cJSON_AddStringToObject(o, k, buf);
}

/*
 * One access key or certificate slot.  A slot that was never used holds
 * "false" and "N/A": no credential exists there.
 */
static void credential(struct report *r, const char *arn, const char *user,
		       const char *kind, int slot, enum col c_active,
		       enum col c_rot, int c_used, int c_region, int c_service)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	int64_t rotated, used = NHIR_TIME_UNSET;
	int active;
	cJSON *attrs;
	size_t off = r->csv.row_off;

	if (!bool_field(r, c_active, &active) || !time_field(r, c_rot, &rotated))
		return;
	if (c_used >= 0 && !time_field(r, (enum col)c_used, &used))
		return;
	if (active != 1 && rotated == NHIR_TIME_UNSET)
		return;
	attrs = cJSON_CreateObject();
	if (!attrs) {
		nhir_import_oom(r->imp);
		return;
	}
	cJSON_AddNumberToObject(attrs, "slot", slot);
	add_time_attr(attrs, "last_rotated", rotated);
	add_time_attr(attrs, "last_used", used);
	if (c_region >= 0 && known(field(r, (enum col)c_region)))
		cJSON_AddStringToObject(attrs, "last_used_region",
					field(r, (enum col)c_region));
	if (c_service >= 0 && known(field(r, (enum col)c_service)))
		cJSON_AddStringToObject(attrs, "last_used_service",
					field(r, (enum col)c_service));
	nhir_json_print(&r->attrs, attrs);
	cJSON_Delete(attrs);
	nhir_buf_reset(&r->id);
	nhir_buf_addf(&r->id, "%s#%s_%d", arn, kind, slot);
	if (r->attrs.err || r->id.err) {
		rep_error(r, off, "row too large");
		return;
	}
	n.kind = NHIR_NODE_CREDENTIAL;
	n.ext_id = r->id.buf;
	n.subtype = !strcmp(kind, "access_key") ? "aws-access-key"
						: "aws-signing-certificate";
	n.provider = "aws";
	n.created = rotated;
	n.disabled = active == 1 ? 0 : 1;
	n.attrs = r->attrs.buf;
	{
		char name[256];

		snprintf(name, sizeof(name), "%s %d of %s",
			 !strcmp(kind, "access_key") ? "access key"
						     : "signing certificate",
			 slot, user);
		n.name = name;
		if (!nhir_import_node(r->imp, &n, off))
			return;
	}
	e.kind = NHIR_EDGE_AUTHENTICATES;
	e.src = r->id.buf;
	e.dst = arn;
	nhir_import_edge(r->imp, &e, off);
}

static void row(struct report *r)
{
	struct nhir_node_rec n = NHIR_NODE_REC_INIT;
	const char *user = field(r, C_USER), *arn = field(r, C_ARN);
	int pw, mfa;
	int64_t pw_used;
	cJSON *attrs;
	bool root;

	if (!user || !arn || !*arn) {
		rep_error(r, r->csv.row_off, "row has no user or arn");
		return;
	}
	if (strncmp(arn, "arn:", 4)) {
		rep_error(r, r->csv.field_off[r->col[C_ARN]],
			  "arn '%.60s' is not an ARN", arn);
		return;
	}
	if (!time_field(r, C_CREATED, &n.created) ||
	    !bool_field(r, C_PW_ENABLED, &pw) || !bool_field(r, C_MFA, &mfa) ||
	    !time_field(r, C_PW_LAST_USED, &pw_used))
		return;
	root = !strcmp(user, "<root_account>");
	attrs = cJSON_CreateObject();
	if (!attrs) {
		nhir_import_oom(r->imp);
		return;
	}
	if (pw >= 0)
		cJSON_AddBoolToObject(attrs, "password_enabled", pw);
	if (mfa >= 0)
		cJSON_AddBoolToObject(attrs, "mfa_active", mfa);
	add_time_attr(attrs, "password_last_used", pw_used);
	nhir_json_print(&r->attrs, attrs);
	cJSON_Delete(attrs);
	n.kind = NHIR_NODE_IDENTITY;
	n.ext_id = arn;
	n.name = root ? "root account" : user;
	n.subtype = root ? "aws-root" : "aws-iam-user";
	n.provider = "aws";
	n.attrs = r->attrs.err ? NULL : r->attrs.buf;
	if (!nhir_import_node(r->imp, &n, r->csv.row_off))
		return;
	credential(r, arn, user, "access_key", 1, C_K1_ACTIVE, C_K1_ROTATED,
		   C_K1_USED, C_K1_REGION, C_K1_SERVICE);
	credential(r, arn, user, "access_key", 2, C_K2_ACTIVE, C_K2_ROTATED,
		   C_K2_USED, C_K2_REGION, C_K2_SERVICE);
	credential(r, arn, user, "cert", 1, C_C1_ACTIVE, C_C1_ROTATED, -1, -1,
		   -1);
	credential(r, arn, user, "cert", 2, C_C2_ACTIVE, C_C2_ROTATED, -1, -1,
		   -1);
}

static void parse_csv(struct report *r, const char *data, size_t len)
{
	struct nhir_err e = NHIR_ERR_INIT;
	size_t bad = 0;
	size_t header_nr;
	int rc;

	nhir_csv_init(&r->csv, data, len);
	rc = nhir_csv_next(&r->csv, &bad, &e);
	if (rc <= 0) {
		if (rc < 0)
			rep_error(r, bad, "%s", e.msg);
		else
			rep_error(r, 0, "empty credential report");
		goto out;
	}
	for (int c = 0; c < C_NR; c++) {
		r->col[c] = -1;
		for (size_t f = 0; f < r->csv.nr; f++)
			if (!strcmp(r->csv.field[f], col_names[c]))
				r->col[c] = (int)f;
	}
	if (r->col[C_USER] < 0 || r->col[C_ARN] < 0) {
		rep_error(r, 0, "not an IAM credential report (no 'user' "
			  "and 'arn' columns in the header)");
		goto out;
	}
	header_nr = r->csv.nr;
	while (!nhir_import_stopped(r->imp)) {
		rc = nhir_csv_next(&r->csv, &bad, &e);
		if (rc < 0) {
			rep_error(r, bad, "%s", e.msg);
			break;
		}
		if (!rc)
			break;
		if (r->csv.nr != header_nr) {
			rep_error(r, r->csv.row_off,
				  "row has %zu fields, the header %zu",
				  r->csv.nr, header_nr);
			continue;
		}
		row(r);
	}
out:
	nhir_csv_release(&r->csv);
}

static void report_run(struct nhir_import *imp, const char *data, size_t len)
{
	struct report r;
	size_t i = 0;

	memset(&r, 0, sizeof(r));
	r.imp = imp;
	nhir_buf_init(&r.attrs, NHIR_MAX_ATTRS_LEN);
	nhir_buf_init(&r.id, NHIR_MAX_ID_LEN);
	while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r'))
		i++;
	if (i < len && data[i] == '{') {
		/* The CLI's JSON: {"Content": base64 CSV, "ReportFormat"...} */
		size_t bad = 0;
		cJSON *o = nhir_json_parse(data + i, len - i, &bad,
					   &imp->res->utf8_replaced);
		const char *content = o ? nhir_json_str(o, "Content") : NULL;
		const char *fmt = o ? nhir_json_str(o, "ReportFormat") : NULL;
		unsigned char *csv = NULL;
		size_t csv_len = 0, clen;

		if (!o)
			nhir_import_error(imp, i + bad, "%s",
					  nhir_json_why(data + i, len - i,
							bad));
		else if (!content || (fmt && strcmp(fmt, "text/csv")))
			nhir_import_error(imp, i, "JSON input must be the "
					  "output of 'aws iam "
					  "get-credential-report' (a text/csv "
					  "\"Content\")");
		else if (!(csv = nhir_malloc((clen = strlen(content)) + 1)) ||
			 sodium_base642bin(csv, clen, content, clen, "\n\r ",
					   &csv_len, NULL,
					   sodium_base64_VARIANT_ORIGINAL))
			nhir_import_error(imp, i, "\"Content\" is not base64");
		else {
			r.decoded = true;
			r.base = i;
			parse_csv(&r, (const char *)csv, csv_len);
		}
		nhir_free(csv);
		cJSON_Delete(o);
	} else {
		parse_csv(&r, data, len);
	}
	nhir_buf_release(&r.attrs);
	nhir_buf_release(&r.id);
}

const struct nhir_importer nhir_importer_aws_credreport = {
	.name = "aws-credential-report",
	.summary = "aws iam get-credential-report (CSV, or its JSON)",
	.run = report_run,
};
