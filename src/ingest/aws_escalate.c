/*
 * Privilege escalation from identity policies: which principal of an
 * account can gain another's access, or admin of the account.  The
 * escalations are those publicly catalogued for IAM (Rhino Security
 * Labs' list, PMapper's edge checks); doc/guide/escalation.md says
 * which are modelled and what is not evaluated.
 *
 * Two passes over every (source, target) pair: first the escalations
 * that yield another principal, then those that yield admin, by writing
 * policies on the source itself or on a principal it can become in one
 * step (a role it may assume, a user it can make keys for).
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/aws_escalate.h"
#include "ingest/json.h"

#define MAX_NOTES 16

/* A service that runs code with a role passed to it. */
struct service {
	const char *principal;		/* named in the role's trust */
	const char *run[3][4];		/* alternatives: all actions of one */
	bool profile;			/* the role goes in an instance profile */
};

static const struct service services[] = {
	{ "ec2.amazonaws.com",
	  { { "ec2:RunInstances" },
	    { "autoscaling:CreateLaunchConfiguration",
	      "autoscaling:CreateAutoScalingGroup" } }, true },
	{ "lambda.amazonaws.com",
	  { { "lambda:CreateFunction", "lambda:InvokeFunction" },
	    { "lambda:CreateFunction", "lambda:CreateEventSourceMapping" } },
	  false },
	{ "cloudformation.amazonaws.com",
	  { { "cloudformation:CreateStack" } }, false },
	{ "glue.amazonaws.com",
	  { { "glue:CreateDevEndpoint" },
	    { "glue:CreateJob", "glue:StartJobRun" } }, false },
	{ "codebuild.amazonaws.com",
	  { { "codebuild:CreateProject", "codebuild:StartBuild" },
	    { "codebuild:CreateProject", "codebuild:StartBuildBatch" } },
	  false },
	{ "sagemaker.amazonaws.com",
	  { { "sagemaker:CreateNotebookInstance",
	      "sagemaker:CreatePresignedNotebookInstanceUrl" },
	    { "sagemaker:CreateTrainingJob" },
	    { "sagemaker:CreateProcessingJob" } }, false },
	{ "datapipeline.amazonaws.com",
	  { { "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
	      "datapipeline:ActivatePipeline" } }, false },
	{ "ecs-tasks.amazonaws.com",
	  { { "ecs:RegisterTaskDefinition", "ecs:RunTask" },
	    { "ecs:RegisterTaskDefinition", "ecs:StartTask" },
	    { "ecs:RegisterTaskDefinition", "ecs:CreateService" } }, false },
};

/* Take over a user: its keys or its console password. */
static const char *const user_takeover[] = {
	"iam:CreateAccessKey", "iam:CreateLoginProfile",
	"iam:UpdateLoginProfile",
};

/* What one source gains over one target, gathered, then emitted. */
struct gain {
	cJSON *methods;
	cJSON *notes;
};

struct esc {
	struct nhir_import *imp;
	const struct nhir_esc_input *in;
	struct gain *gain;	/* by target; index in->nr: admin */
	uint8_t *reach;		/* bit src * nr + dst: one step */
	bool *admin;		/* already admin: nothing to escalate */
	struct nhir_buf buf;
	char text[NHIR_MAX_ID_LEN];
};

static bool bit(const uint8_t *bits, size_t i)
{
	return bits && (bits[i >> 3] & (1u << (i & 7)));
}

/* Adds the text of fmt to the array notes, once. */
static void note(cJSON *notes, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void note(cJSON *notes, const char *fmt, ...)
{
	char s[NHIR_MAX_ID_LEN];
	const cJSON *c;
	va_list ap;

	if (!notes)
		return;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	cJSON_ArrayForEach(c, notes)
		if (!strcmp(c->valuestring, s))
			return;
	if (cJSON_GetArraySize(notes) < MAX_NOTES)
		cJSON_AddItemToArray(notes, cJSON_CreateString(s));
}

/*
 * Does a's policy, within its boundary, allow action on res (NULL: on
 * some resource)?  What rests on conditions goes to notes.
 */
static bool can(const struct nhir_esc_principal *a, const char *action,
		const char *res, cJSON *notes)
{
	unsigned ne = 0;

	if (!nhir_iam_eval(a->stmts, action, res, &ne) ||
	    (a->boundary && !nhir_iam_eval(a->boundary, action, res, &ne)))
		return false;
	if (ne & NHIR_IAM_NE_CONDITION)
		note(notes, "condition on %s", action);
	if (ne & NHIR_IAM_NE_DENY_CONDITION)
		note(notes, "conditional Deny on %s", action);
	return true;
}

static bool lists(const cJSON *list, const char *a, const char *b)
{
	NHIR_IAM_EACH(x, list)
		if (cJSON_IsString(x) && (!strcmp(x->valuestring, a) ||
					  (b && !strcmp(x->valuestring, b))))
			return true;
	return false;
}

bool nhir_esc_is_admin(const struct nhir_iam_stmts *s)
{
	bool all = false;

	for (size_t i = 0; i < s->nr; i++) {
		const struct nhir_iam_stmt *st = &s->v[i];

		if (!st->allow)
			return false;
		if (st->not_action || st->not_resource || st->conditional)
			continue;
		if (lists(st->actions, "*", "*:*") &&
		    (!st->resources || lists(st->resources, "*", NULL)))
			all = true;
	}
	return all;
}

static bool is_assume(const cJSON *actions)
{
	NHIR_IAM_EACH(a, actions)
		if (cJSON_IsString(a) &&
		    nhir_iam_match(a->valuestring, "sts:AssumeRole", true))
			return true;
	return false;
}

/* Does role r's trust let service svc assume it? */
static bool trusts_service(const struct nhir_esc_principal *r,
			   const char *svc, cJSON *notes)
{
	const cJSON *st;
	bool yes = false, plain = false;

	cJSON_ArrayForEach(st, r->trust) {
		const char *eff = nhir_json_str(st, "Effect");
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(st,
								  "Principal");
		bool cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");
		bool named = cJSON_IsString(pr) && !strcmp(pr->valuestring, "*");

		if (!eff || !pr || !is_assume(cJSON_GetObjectItemCaseSensitive(
					   st, "Action")))
			continue;
		NHIR_IAM_EACH(x, cJSON_IsObject(pr)
				      ? cJSON_GetObjectItemCaseSensitive(
						pr, "Service")
				      : NULL)
			if (cJSON_IsString(x) && (!strcmp(x->valuestring, svc) ||
						  !strcmp(x->valuestring, "*")))
				named = true;
		if (!named)
			continue;
		if (!strcmp(eff, "Deny") && !cond)
			return false;
		if (strcmp(eff, "Allow"))
			continue;
		yes = true;
		plain |= !cond;
	}
	if (yes && !plain)
		note(notes, "condition in the trust of %s", r->arn);
	return yes;
}

/* Records that source a gains target t (in->nr: admin) by method. */
static void gain(struct esc *e, size_t a, size_t t, const char *method,
		 const cJSON *notes)
{
	struct gain *g = &e->gain[t];
	const cJSON *n;

	if (!g->methods) {
		g->methods = cJSON_CreateArray();
		g->notes = cJSON_CreateArray();
		if (!g->methods || !g->notes) {
			nhir_import_oom(e->imp);
			return;
		}
	}
	note(g->methods, "%s", method);
	cJSON_ArrayForEach(n, notes)
		note(g->notes, "%s", n->valuestring);
	if (t < e->in->nr)
		e->reach[(a * e->in->nr + t) >> 3] |=
			(uint8_t)(1u << ((a * e->in->nr + t) & 7));
}

/* Roles are passed and users' keys made within one account only. */
static bool same_account(const char *x, const char *y)
{
	char bx[32], by[32];
	const char *ax = nhir_iam_arn_account(x, bx, sizeof(bx));
	const char *ay = nhir_iam_arn_account(y, by, sizeof(by));

	return ax && ay && !strcmp(ax, ay);
}

/* Tries one escalation: action on res gives t to a. */
static void try_action(struct esc *e, size_t a, size_t t, const char *action,
		       const char *res, const char *method)
{
	cJSON *notes = cJSON_CreateArray();

	if (!notes) {
		nhir_import_oom(e->imp);
		return;
	}
	if (can(&e->in->pr[a], action, res, notes))
		gain(e, a, t, method ? method : action, notes);
	cJSON_Delete(notes);
}

/* Can a run one of the alternatives of service s? */
static bool runs(const struct nhir_esc_principal *a, const struct service *s,
		 char *method, size_t len, cJSON *notes)
{
	for (size_t k = 0; k < NHIR_ARRAY_SIZE(s->run) && s->run[k][0]; k++) {
		size_t n = 0;
		bool all = true;

		n += (size_t)snprintf(method, len, "iam:PassRole");
		for (size_t j = 0; j < NHIR_ARRAY_SIZE(s->run[k]) &&
				   s->run[k][j]; j++) {
			all = all && can(a, s->run[k][j], NULL, NULL);
			if (n < len)
				n += (size_t)snprintf(method + n, len - n, "+%s",
						      s->run[k][j]);
		}
		if (!all)
			continue;
		/* again, now keeping the notes of the one that works */
		for (size_t j = 0; j < NHIR_ARRAY_SIZE(s->run[k]) &&
				   s->run[k][j]; j++)
			can(a, s->run[k][j], NULL, notes);
		return true;
	}
	return false;
}

/* Pass a role r (index t) to a service that runs code, then use it. */
static void pass_role(struct esc *e, size_t a, size_t t)
{
	const struct nhir_esc_principal *src = &e->in->pr[a];
	const struct nhir_esc_principal *r = &e->in->pr[t];

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(services); i++) {
		const struct service *s = &services[i];
		cJSON *notes = cJSON_CreateArray();

		if (!notes) {
			nhir_import_oom(e->imp);
			return;
		}
		if (trusts_service(r, s->principal, notes) &&
		    can(src, "iam:PassRole", r->arn, notes) &&
		    (!s->profile || r->instance_profile ||
		     (can(src, "iam:CreateInstanceProfile", NULL, notes) &&
		      can(src, "iam:AddRoleToInstanceProfile", NULL, notes))) &&
		    runs(src, s, e->text, sizeof(e->text), notes))
			gain(e, a, t, e->text, notes);
		cJSON_Delete(notes);
	}
}

/* Commands on an instance that runs with role r (index t). */
static void instance_commands(struct esc *e, size_t a, size_t t)
{
	static const char *const acts[] = { "ssm:SendCommand",
					    "ssm:StartSession" };
	const struct nhir_esc_principal *r = &e->in->pr[t];

	if (!r->instance_profile)
		return;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(acts); i++) {
		cJSON *notes = cJSON_CreateArray();

		if (!notes) {
			nhir_import_oom(e->imp);
			return;
		}
		if (trusts_service(r, "ec2.amazonaws.com", notes) &&
		    can(&e->in->pr[a], acts[i], NULL, notes)) {
			note(notes, "whether an instance runs with %s", r->arn);
			gain(e, a, t, acts[i], notes);
		}
		cJSON_Delete(notes);
	}
}

/* What a source may do on some resource: a cheap filter on targets. */
enum may_flags {
	MAY_USER = (1 << 0),	/* take over a user */
	MAY_TRUST = (1 << 1),	/* rewrite a trust */
	MAY_PASS = (1 << 2),	/* pass a role */
	MAY_SSM = (1 << 3),	/* run commands on instances */
};

static unsigned may(const struct nhir_esc_principal *a)
{
	unsigned m = 0;

	for (size_t i = 0; i < NHIR_ARRAY_SIZE(user_takeover); i++)
		if (can(a, user_takeover[i], NULL, NULL))
			m |= MAY_USER;
	if (can(a, "iam:UpdateAssumeRolePolicy", NULL, NULL))
		m |= MAY_TRUST;
	if (can(a, "iam:PassRole", NULL, NULL))
		m |= MAY_PASS;
	if (can(a, "ssm:SendCommand", NULL, NULL) ||
	    can(a, "ssm:StartSession", NULL, NULL))
		m |= MAY_SSM;
	return m;
}

/* The escalations of a (which may do m) that yield principal t. */
static void to_principal(struct esc *e, size_t a, size_t t, unsigned m)
{
	const struct nhir_esc_principal *dst = &e->in->pr[t];

	if (!dst->is_role) {
		for (size_t i = 0; (m & MAY_USER) &&
				   i < NHIR_ARRAY_SIZE(user_takeover); i++)
			try_action(e, a, t, user_takeover[i], dst->arn, NULL);
		return;
	}
	if (m & MAY_TRUST)
		try_action(e, a, t, "iam:UpdateAssumeRolePolicy", dst->arn,
			   NULL);
	if (m & MAY_PASS)
		pass_role(e, a, t);
	if (m & MAY_SSM)
		instance_commands(e, a, t);
}

/* "ACTION" on the source itself, else "ACTION(RESOURCE)". */
static const char *method_on(struct esc *e, const char *action,
			     const char *res, bool self)
{
	if (self)
		snprintf(e->text, sizeof(e->text), "%s", action);
	else
		snprintf(e->text, sizeof(e->text), "%s(%s)", action, res);
	return e->text;
}

/*
 * a writes the permissions of p (a itself, or one it can become): a
 * policy on p or on its groups, a new default version of a customer
 * managed policy attached to it, p put in an admin group.
 */
static void rewrite(struct esc *e, size_t a, size_t p)
{
	static const char *const user_acts[] = { "iam:AttachUserPolicy",
						 "iam:PutUserPolicy" };
	static const char *const role_acts[] = { "iam:AttachRolePolicy",
						 "iam:PutRolePolicy" };
	static const char *const group_acts[] = { "iam:AttachGroupPolicy",
						  "iam:PutGroupPolicy" };
	const struct nhir_esc_principal *pp = &e->in->pr[p];
	const char *const *acts = pp->is_role ? role_acts : user_acts;
	size_t admin = e->in->nr;
	bool self = a == p;
	const cJSON *x;

	for (size_t i = 0; i < 2; i++)
		try_action(e, a, admin, acts[i], pp->arn,
			   method_on(e, acts[i], pp->arn, self));
	cJSON_ArrayForEach(x, pp->groups)
		for (size_t i = 0; i < 2 && same_account(pp->arn,
							 x->valuestring); i++)
			try_action(e, a, admin, group_acts[i], x->valuestring,
				   method_on(e, group_acts[i], x->valuestring,
					     false));
	cJSON_ArrayForEach(x, pp->policies) {
		/* AWS managed, or another account's: cannot be changed */
		if (!same_account(pp->arn, x->valuestring))
			continue;
		try_action(e, a, admin, "iam:CreatePolicyVersion", x->valuestring,
			   method_on(e, "iam:CreatePolicyVersion",
				     x->valuestring, false));
		if (can(&e->in->pr[a], "iam:SetDefaultPolicyVersion",
			x->valuestring, NULL)) {
			try_action(e, a, admin, "iam:SetDefaultPolicyVersion",
				   x->valuestring,
				   method_on(e, "iam:SetDefaultPolicyVersion",
					     x->valuestring, false));
			note(e->gain[admin].notes, "what the other versions of "
			     "%s allow", x->valuestring);
		}
	}
	for (size_t g = 0; !pp->is_role && g < e->in->group_nr; g++)
		if (e->in->groups[g].admin &&
		    same_account(pp->arn, e->in->groups[g].arn))
			try_action(e, a, admin, "iam:AddUserToGroup",
				   e->in->groups[g].arn,
				   method_on(e, "iam:AddUserToGroup",
					     e->in->groups[g].arn, false));
}

/*
 * Tries role name pat (an ARN pattern of a's statements, or "*") for a
 * role a may both create and write the policies of; see new_role.
 */
static bool try_new_role(struct esc *e, size_t a, const char *acct,
			 const char *pat)
{
	static const char *const writes[] = { "iam:AttachRolePolicy",
					      "iam:PutRolePolicy" };
	static const char pre[] = "arn:aws:iam::";
	const struct nhir_esc_principal *src = &e->in->pr[a];
	char cand[NHIR_MAX_ID_LEN], field[32], method[NHIR_MAX_ID_LEN];
	const char *colon, *rp;
	size_t n;

	if (!strcmp(pat, "*")) {
		snprintf(cand, sizeof(cand), "%s%s:role/x", pre, acct);
	} else {
		/* the account field: a's own, or a pattern matching it */
		if (strncmp(pat, pre, sizeof(pre) - 1))
			return false;
		colon = strchr(pat + sizeof(pre) - 1, ':');
		n = colon ? (size_t)(colon - pat) - (sizeof(pre) - 1) : 0;
		if (!colon || n >= sizeof(field))
			return false;
		memcpy(field, pat + sizeof(pre) - 1, n);
		field[n] = '\0';
		if (!nhir_iam_match(field, acct, false))
			return false;
		/* its wildcards filled in: one name the pattern admits */
		rp = colon + 1;
		n = (size_t)snprintf(cand, sizeof(cand), "%s%s:", pre, acct);
		for (const char *c = rp; *c && n + 1 < sizeof(cand); c++)
			cand[n++] = *c == '*' || *c == '?' ? 'x' : *c;
		cand[n] = '\0';
		if (strncmp(cand + strlen(pre) + strlen(acct) + 1, "role/", 5)) {
			if (!nhir_iam_match(rp, "role/x", false))
				return false;
			snprintf(cand, sizeof(cand), "%s%s:role/x", pre, acct);
		}
	}
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(writes); i++) {
		cJSON *notes = cJSON_CreateArray();
		bool ok;

		if (!notes) {
			nhir_import_oom(e->imp);
			return true;
		}
		ok = can(src, "iam:CreateRole", cand, notes) &&
		     can(src, writes[i], cand, notes);
		if (ok) {
			if (!strcmp(pat, "*"))
				snprintf(method, sizeof(method),
					 "iam:CreateRole+%s", writes[i]);
			else
				snprintf(method, sizeof(method),
					 "iam:CreateRole(%s)+%s", pat,
					 writes[i]);
			gain(e, a, e->in->nr, method, notes);
		}
		cJSON_Delete(notes);
		if (ok)
			return true;
	}
	return false;
}

/*
 * a creates a role whose trust names a itself, then attaches or puts a
 * policy on it: admin of the account.  The names tried are the role
 * patterns of a's statements, each with its wildcards filled in; the
 * first name a may both create and write gives the edge.
 */
static void new_role(struct esc *e, size_t a)
{
	const struct nhir_esc_principal *src = &e->in->pr[a];
	const struct nhir_iam_stmts *s = src->stmts;
	char acct[32];
	const char *id = nhir_iam_arn_account(src->arn, acct, sizeof(acct));

	if (!id || !can(src, "iam:CreateRole", NULL, NULL))
		return;
	for (size_t i = 0; i < s->nr; i++) {
		const struct nhir_iam_stmt *st = &s->v[i];

		if (!st->allow || st->not_resource)
			continue;
		if (!st->resources) {
			if (try_new_role(e, a, id, "*"))
				return;
			continue;
		}
		NHIR_IAM_EACH(x, st->resources)
			if (cJSON_IsString(x) &&
			    try_new_role(e, a, id, x->valuestring))
				return;
	}
}

/* "aws:ACCOUNT:*", every resource in a's account, as a node. */
static const char *admin_node(struct esc *e, size_t a)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	char acct[32], name[64];
	const char *id = nhir_iam_arn_account(e->in->pr[a].arn, acct,
					      sizeof(acct));

	snprintf(e->text, sizeof(e->text), "aws:%s:*", id ? id : "unknown");
	snprintf(name, sizeof(name), "every resource in account %s",
		 id ? id : "unknown");
	r.kind = NHIR_NODE_RESOURCE;
	r.ext_id = e->text;
	r.name = name;
	r.subtype = "aws-account";
	r.provider = "aws";
	if (!nhir_import_node(e->imp, &r, e->in->pr[a].off))
		return NULL;
	return e->text;
}

/* Emits and clears the gains of source a. */
static void emit(struct esc *e, size_t a)
{
	for (size_t t = 0; t <= e->in->nr; t++) {
		struct gain *g = &e->gain[t];
		struct nhir_edge_rec r = NHIR_EDGE_REC_INIT;
		cJSON *attrs;

		if (!g->methods)
			continue;
		attrs = cJSON_CreateObject();
		if (attrs) {
			cJSON_AddItemToObject(attrs, "escalation", g->methods);
			if (cJSON_GetArraySize(g->notes))
				cJSON_AddItemToObject(attrs, "not_evaluated",
						      g->notes);
			else
				cJSON_Delete(g->notes);
			g->methods = g->notes = NULL;
			nhir_json_print(&e->buf, attrs);
			cJSON_Delete(attrs);
		}
		if (!attrs || e->buf.err) {
			nhir_import_oom(e->imp);
			return;
		}
		r.kind = NHIR_EDGE_ESCALATES;
		r.src = e->in->pr[a].arn;
		r.dst = t < e->in->nr ? e->in->pr[t].arn : admin_node(e, a);
		r.priv = t < e->in->nr ? NHIR_PRIV_NONE : NHIR_PRIV_ADMIN;
		r.attrs = e->buf.buf;
		if (!r.dst || !nhir_import_edge(e->imp, &r, e->in->pr[a].off))
			return;
	}
}

static void release_gains(struct esc *e)
{
	for (size_t t = 0; e->gain && t <= e->in->nr; t++) {
		cJSON_Delete(e->gain[t].methods);
		cJSON_Delete(e->gain[t].notes);
	}
	nhir_free(e->gain);
}

void nhir_esc_run(struct nhir_import *imp, const struct nhir_esc_input *in)
{
	struct esc e;
	size_t nr = in->nr;

	memset(&e, 0, sizeof(e));
	e.imp = imp;
	e.in = in;
	nhir_buf_init(&e.buf, NHIR_MAX_ATTRS_LEN);
	e.gain = nhir_calloc(nr + 1, sizeof(*e.gain));
	e.reach = nhir_calloc((nr * nr + 7) / 8 + 1, 1);
	e.admin = nhir_calloc(nr + 1, sizeof(bool));
	if (!e.gain || !e.reach || !e.admin) {
		nhir_import_oom(imp);
		goto out;
	}
	for (size_t a = 0; a < nr; a++)
		e.admin[a] = nhir_esc_is_admin(in->pr[a].stmts) &&
			     (!in->pr[a].boundary ||
			      nhir_esc_is_admin(in->pr[a].boundary));
	for (size_t a = 0; a < nr && !nhir_import_stopped(imp); a++) {
		unsigned m = e.admin[a] ? 0 : may(&in->pr[a]);

		for (size_t t = 0; t < nr && m; t++)
			if (t != a && same_account(in->pr[a].arn, in->pr[t].arn))
				to_principal(&e, a, t, m);
		emit(&e, a);
	}
	for (size_t a = 0; a < nr && !nhir_import_stopped(imp); a++) {
		for (size_t p = 0; p < nr && !e.admin[a]; p++)
			if (p == a || bit(e.reach, a * nr + p) ||
			    bit(in->assumes, a * nr + p))
				rewrite(&e, a, p);
		if (!e.admin[a])
			new_role(&e, a);
		emit(&e, a);
	}
out:
	release_gains(&e);
	nhir_free(e.reach);
	nhir_free(e.admin);
	nhir_buf_release(&e.buf);
}
