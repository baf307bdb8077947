/*
 * AWS "aws iam get-account-authorization-details" output: users, groups,
 * roles, managed and inline policies, instance profiles.  Users and roles
 * become identities; what their policies allow becomes "can" edges to
 * resource patterns with a privilege level; role trust policies become
 * "assumes" edges, following the rules in doc/formats/aws-authz.md.
 *
 * The whole document is read first, since users name policies and
 * groups that come later in it.
 */
#include "compat.h"
#include "nhir/buf.h"
#include "ingest/aws_escalate.h"
#include "ingest/common.h"
#include "ingest/iam.h"
#include "ingest/json.h"

#define MAX_EDGE_ACTIONS 64	/* actions listed per edge, then "..." */

struct item {
	cJSON *o;
	size_t off;
};

struct item_list {
	struct item *v;
	size_t nr, alloc;
};

struct principal {
	const cJSON *o;
	size_t off;
	const char *arn;
	bool is_role;
	struct nhir_iam_stmts stmts;
	struct nhir_iam_stmts boundary;
	bool has_boundary;
	const cJSON *trust;	/* a role's trust statements, or NULL */
	cJSON *policies;	/* managed policy ARNs, its own and its
				 * groups' (in keep) */
	cJSON *groups;		/* its groups' ARNs (in keep) */
};

struct authz {
	struct nhir_import *imp;
	const char *data;
	size_t len;
	struct item_list users, groups, roles, policies;
	struct principal *pr;
	size_t pr_nr;
	cJSON *keep;		/* decoded documents and labels */
	struct nhir_buf attrs, tmp;
	bool any_list;
	uint8_t *assumes;	/* bit src * pr_nr + dst: an assumes edge */
};

static bool key_is(const struct nhir_json_span *sp, const char *k)
{
	return sp->key && sp->key_len == strlen(k) &&
	       !memcmp(sp->key, k, sp->key_len);
}

static int collect_item(void *ctx, const struct nhir_json_span *sp)
{
	void **c = ctx;
	struct authz *a = c[0];
	struct item_list *l = c[1];
	size_t bad = 0;
	cJSON *o;

	o = nhir_json_parse(a->data + sp->off, sp->len, &bad,
			    &a->imp->res->utf8_replaced);
	if (!o) {
		nhir_import_error(a->imp, sp->off + bad, "%s",
				  nhir_json_why(a->data + sp->off, sp->len,
						bad));
		return 0;
	}
	if (!cJSON_IsObject(o)) {
		nhir_import_error(a->imp, sp->off, "list items must be objects");
		cJSON_Delete(o);
		return 0;
	}
	if (NHIR_ALLOC_GROW(l->v, l->nr + 1, l->alloc)) {
		cJSON_Delete(o);
		nhir_import_oom(a->imp);
		return 1;
	}
	l->v[l->nr].o = o;
	l->v[l->nr].off = sp->off;
	l->nr++;
	return 0;
}

static int top_member(void *ctx, const struct nhir_json_span *sp)
{
	struct authz *a = ctx;
	struct item_list *l = NULL;
	struct nhir_err e = NHIR_ERR_INIT;
	void *c[2];
	size_t bad = 0;

	if (key_is(sp, "UserDetailList"))
		l = &a->users;
	else if (key_is(sp, "GroupDetailList"))
		l = &a->groups;
	else if (key_is(sp, "RoleDetailList"))
		l = &a->roles;
	else if (key_is(sp, "Policies"))
		l = &a->policies;
	else
		return 0;	/* IsTruncated, Marker, ... */
	a->any_list = true;
	if (a->data[sp->off] != '[') {
		nhir_import_error(a->imp, sp->off, "'%.*s' must be an array",
				  (int)sp->key_len, sp->key);
		return 0;
	}
	c[0] = a;
	c[1] = l;
	if (nhir_json_children(a->data, a->len, sp->off, collect_item, c,
			       &bad, &e))
		nhir_import_error(a->imp, bad, "%s", e.msg);
	return nhir_import_stopped(a->imp);
}

/* A label string that lives as long as the run (kept in a->keep). */
static const char *label(struct authz *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *label(struct authz *a, const char *fmt, ...)
{
	va_list ap;
	cJSON *s;

	nhir_buf_reset(&a->tmp);
	va_start(ap, fmt);
	nhir_buf_vaddf(&a->tmp, fmt, ap);
	va_end(ap);
	if (a->tmp.err)
		return "?";
	s = cJSON_CreateString(a->tmp.buf);
	if (!s) {
		nhir_import_oom(a->imp);
		return "?";
	}
	cJSON_AddItemToArray(a->keep, s);
	return s->valuestring;
}

/* The default version's document of the managed policy arn, or NULL. */
static const cJSON *managed_doc(struct authz *a, const char *arn)
{
	for (size_t i = 0; i < a->policies.nr; i++) {
		const cJSON *p = a->policies.v[i].o, *v;
		const char *parn = nhir_json_str(p, "Arn");
		const char *def = nhir_json_str(p, "DefaultVersionId");

		if (!parn || strcmp(parn, arn))
			continue;
		cJSON_ArrayForEach(v, nhir_json_arr(p, "PolicyVersionList")) {
			const cJSON *isdef = cJSON_GetObjectItemCaseSensitive(
				v, "IsDefaultVersion");
			const char *vid = nhir_json_str(v, "VersionId");

			if (cJSON_IsTrue(isdef) ||
			    (def && vid && !strcmp(def, vid)))
				return cJSON_GetObjectItemCaseSensitive(
					v, "Document");
		}
		return NULL;
	}
	return NULL;
}

static void add_doc(struct authz *a, struct nhir_iam_stmts *st,
		    const cJSON *doc, const char *src, size_t off)
{
	bool oom = false;

	if (!nhir_iam_add_policy(st, doc, src, a->keep, &oom)) {
		if (oom)
			nhir_import_oom(a->imp);
		else
			nhir_import_warn(a->imp, off, "%s: not a policy "
					 "document I can read; skipped", src);
	}
}

/* Inline policies (list of {PolicyName, PolicyDocument}) of an entity. */
static void add_inline(struct authz *a, struct nhir_iam_stmts *st,
		       const cJSON *list, const char *who, size_t off)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, list) {
		const char *name = nhir_json_str(p, "PolicyName");

		add_doc(a, st, cJSON_GetObjectItemCaseSensitive(p,
								"PolicyDocument"),
			label(a, "%s inline policy %s", who,
			      name ? name : "?"), off);
	}
}

/* A new array that lives as long as the run (kept in a->keep). */
static cJSON *kept_array(struct authz *a)
{
	cJSON *arr = cJSON_CreateArray();

	if (!arr) {
		nhir_import_oom(a->imp);
		return NULL;
	}
	cJSON_AddItemToArray(a->keep, arr);
	return arr;
}

static void add_attached(struct authz *a, struct nhir_iam_stmts *st,
			 const cJSON *list, const char *who, size_t off,
			 cJSON *arns)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, list) {
		const char *arn = nhir_json_str(p, "PolicyArn");
		const cJSON *doc;

		if (!arn)
			continue;
		if (arns)
			cJSON_AddItemToArray(arns, cJSON_CreateString(arn));
		doc = managed_doc(a, arn);
		if (!doc) {
			nhir_import_warn(a->imp, off, "%s: attached policy %s "
					 "is not in this file; its permissions "
					 "are not known", who, arn);
			continue;
		}
		add_doc(a, st, doc, label(a, "%s", arn), off);
	}
}

static const struct item *find_group(struct authz *a, const char *name)
{
	for (size_t i = 0; i < a->groups.nr; i++) {
		const char *g = nhir_json_str(a->groups.v[i].o, "GroupName");

		if (g && !strcmp(g, name))
			return &a->groups.v[i];
	}
	return NULL;
}

static void tags_attr(cJSON *attrs, const cJSON *tags)
{
	const cJSON *t;
	cJSON *o;

	if (!cJSON_IsArray(tags) || !tags->child)
		return;
	o = cJSON_AddObjectToObject(attrs, "tags");
	cJSON_ArrayForEach(t, tags) {
		const char *k = nhir_json_str(t, "Key");
		const char *v = nhir_json_str(t, "Value");

		if (o && k && v && !nhir_ingest_secret_name(k))
			cJSON_AddStringToObject(o, k, v);
	}
}

static bool emit_identity(struct authz *a, const cJSON *o, size_t off,
			  const char *arn, const char *name,
			  const char *subtype, cJSON *attrs)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	const char *created = nhir_json_str(o, "CreateDate");
	bool ok;

	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = arn;
	r.name = name;
	r.subtype = subtype;
	r.provider = "aws";
	if (created && nhir_time_parse(created, (size_t)-1, &r.created, NULL))
		nhir_import_warn(a->imp, off, "%s: bad CreateDate '%.40s'",
				 arn, created);
	nhir_json_print(&a->attrs, attrs);
	if (a->attrs.err) {
		nhir_import_oom(a->imp);
		return false;
	}
	r.attrs = a->attrs.buf;
	ok = nhir_import_node(a->imp, &r, off);
	return ok;
}

/* Identities, with their statements gathered for the later passes. */
static void load_principals(struct authz *a)
{
	size_t n = a->users.nr + a->roles.nr;

	a->pr = nhir_calloc(n + 1, sizeof(*a->pr));
	if (!a->pr) {
		nhir_import_oom(a->imp);
		return;
	}
	for (size_t i = 0; i < n && !nhir_import_stopped(a->imp); i++) {
		bool role = i >= a->users.nr;
		const struct item *it = role ? &a->roles.v[i - a->users.nr]
					     : &a->users.v[i];
		struct principal *p = &a->pr[a->pr_nr];
		const char *arn = nhir_json_str(it->o, "Arn");
		const char *name = nhir_json_str(it->o, role ? "RoleName"
							     : "UserName");
		const cJSON *b = nhir_json_obj(it->o, "PermissionsBoundary");
		const cJSON *g;
		cJSON *attrs;

		if (!arn || strncmp(arn, "arn:", 4)) {
			nhir_import_error(a->imp, it->off, "%s without an Arn",
					  role ? "role" : "user");
			continue;
		}
		p->o = it->o;
		p->off = it->off;
		p->arn = arn;
		p->is_role = role;
		p->policies = kept_array(a);
		p->groups = kept_array(a);
		if (!p->policies || !p->groups)
			return;
		add_inline(a, &p->stmts, nhir_json_arr(it->o, role
							       ? "RolePolicyList"
							       : "UserPolicyList"),
			   arn, it->off);
		add_attached(a, &p->stmts,
			     nhir_json_arr(it->o, "AttachedManagedPolicies"),
			     arn, it->off, p->policies);
		attrs = cJSON_CreateObject();
		if (!attrs) {
			nhir_import_oom(a->imp);
			return;
		}
		if (nhir_json_str(it->o, role ? "RoleId" : "UserId"))
			cJSON_AddStringToObject(attrs,
						role ? "role_id" : "user_id",
						nhir_json_str(it->o,
							      role ? "RoleId"
								   : "UserId"));
		if (nhir_json_str(it->o, "Path"))
			cJSON_AddStringToObject(attrs, "path",
						nhir_json_str(it->o, "Path"));
		cJSON_ArrayForEach(g, nhir_json_arr(it->o, "GroupList")) {
			const struct item *gi;
			const char *gname = cJSON_IsString(g) ? g->valuestring
							      : NULL;

			if (!gname)
				continue;
			gi = find_group(a, gname);
			if (!gi) {
				nhir_import_warn(a->imp, it->off, "%s: group "
						 "%s is not in this file", arn,
						 gname);
				continue;
			}
			if (nhir_json_str(gi->o, "Arn"))
				cJSON_AddItemToArray(p->groups, cJSON_CreateString(
					nhir_json_str(gi->o, "Arn")));
			add_inline(a, &p->stmts,
				   nhir_json_arr(gi->o, "GroupPolicyList"),
				   label(a, "group %s", gname), it->off);
			add_attached(a, &p->stmts,
				     nhir_json_arr(gi->o,
						   "AttachedManagedPolicies"),
				     label(a, "group %s", gname), it->off,
				     p->policies);
		}
		if (nhir_json_arr(it->o, "GroupList"))
			cJSON_AddItemToObject(attrs, "groups",
				cJSON_Duplicate(nhir_json_arr(it->o, "GroupList"),
						1));
		if (b && nhir_json_str(b, "PermissionsBoundaryArn")) {
			const char *barn = nhir_json_str(b,
							 "PermissionsBoundaryArn");
			const cJSON *doc = managed_doc(a, barn);

			cJSON_AddStringToObject(attrs, "permissions_boundary",
						barn);
			if (doc) {
				add_doc(a, &p->boundary, doc, barn, it->off);
				p->has_boundary = true;
			} else {
				nhir_import_warn(a->imp, it->off, "%s: "
						 "permissions boundary %s is not "
						 "in this file; ignored", arn,
						 barn);
			}
		}
		if (role) {
			const cJSON *lu = nhir_json_obj(it->o, "RoleLastUsed");

			if (lu && nhir_json_str(lu, "LastUsedDate"))
				cJSON_AddStringToObject(
					attrs, "last_used",
					nhir_json_str(lu, "LastUsedDate"));
		}
		tags_attr(attrs, nhir_json_arr(it->o, "Tags"));
		a->pr_nr++;
		emit_identity(a, it->o, it->off, arn, name,
			      role ? "aws-iam-role" : "aws-iam-user", attrs);
		cJSON_Delete(attrs);
	}
}

/* One resource a principal reaches, with what it may do there. */
struct reach {
	const char *resource;
	enum nhir_priv priv;
	bool conditional;
	cJSON *actions;		/* array of strings */
	cJSON *sources;
};

struct reach_set {
	struct reach *v;
	size_t nr, alloc;
};

static void add_unique(cJSON *arr, const char *s, size_t cap)
{
	const cJSON *c;
	int n = 0;

	cJSON_ArrayForEach(c, arr) {
		if (!strcmp(c->valuestring, s))
			return;
		n++;
	}
	if ((size_t)n < cap)
		cJSON_AddItemToArray(arr, cJSON_CreateString(s));
	else if ((size_t)n == cap)
		cJSON_AddItemToArray(arr, cJSON_CreateString("..."));
}

static struct reach *reach_get(struct authz *a, struct reach_set *rs,
			       const char *res)
{
	struct reach *r;

	for (size_t i = 0; i < rs->nr; i++)
		if (!strcmp(rs->v[i].resource, res))
			return &rs->v[i];
	if (NHIR_ALLOC_GROW(rs->v, rs->nr + 1, rs->alloc)) {
		nhir_import_oom(a->imp);
		return NULL;
	}
	r = &rs->v[rs->nr++];
	memset(r, 0, sizeof(*r));
	/* res may be a temporary: keep a copy for the run */
	r->resource = label(a, "%s", res);
	r->actions = cJSON_CreateArray();
	r->sources = cJSON_CreateArray();
	if (!r->actions || !r->sources) {
		nhir_import_oom(a->imp);
		return NULL;
	}
	return r;
}

/*
 * Does pat name one IAM user or role exactly ("arn:aws:iam::1:role/x")?
 * That ARN is the identity's own id, so what a policy allows on it
 * goes to a resource node of its own (see resource_id).
 */
static bool names_principal(const char *pat)
{
	const char *p = pat;

	if (strncmp(pat, "arn:", 4) || strpbrk(pat, "*?"))
		return false;
	for (int field = 0; field < 5; field++) {
		if (field == 2 && strncmp(p, "iam:", 4))
			return false;
		p = strchr(p, ':');
		if (!p)
			return false;
		p++;
	}
	return !strncmp(p, "user/", 5) || !strncmp(p, "role/", 5);
}

/*
 * The resource node for a pattern: "*" is everything in the account; a
 * user or role ARN is "ARN#resource", the principal acted upon (its
 * keys, policies, trust), kept apart from the identity itself.
 */
static const char *resource_id(struct authz *a, const char *pat,
			       const char *account)
{
	if (!strcmp(pat, "*"))
		return label(a, "aws:%s:*", account ? account : "unknown");
	if (names_principal(pat))
		return label(a, "%s#resource", pat);
	return pat;
}

static void emit_resource(struct authz *a, const char *id, const char *pat,
			  const char *account, size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	char svc[64] = "aws-resource";

	r.kind = NHIR_NODE_RESOURCE;
	r.ext_id = id;
	r.provider = "aws";
	if (!strcmp(pat, "*")) {
		r.name = label(a, "every resource in account %s",
			       account ? account : "unknown");
		r.subtype = "aws-account";
	} else if (names_principal(pat)) {
		r.name = label(a, "%s, acted upon", pat);
		r.subtype = "aws-iam-principal";
	} else {
		const char *p = strchr(pat, ':');

		/* arn:aws:SERVICE:... -> aws-SERVICE */
		if (p && (p = strchr(p + 1, ':'))) {
			size_t n = strcspn(p + 1, ":");

			if (n && n < 40 && !memchr(p + 1, '*', n))
				snprintf(svc, sizeof(svc), "aws-%.*s", (int)n,
					 p + 1);
		}
		r.subtype = label(a, "%s", svc);
	}
	nhir_import_node(a->imp, &r, off);
}

/*
 * What principal p may do: each Allow statement's actions on each of its
 * resources, less what an unconditional Deny covers, capped by the
 * permissions boundary.
 */
static void compute_can(struct authz *a, struct principal *p)
{
	struct reach_set rs = { NULL, 0, 0 };
	char acct_buf[32];
	const char *account = nhir_iam_arn_account(p->arn, acct_buf,
						   sizeof(acct_buf));

	for (size_t i = 0; i < p->stmts.nr; i++) {
		const struct nhir_iam_stmt *st = &p->stmts.v[i];
		const cJSON *star = NULL;
		cJSON *tmp = NULL;

		if (!st->allow)
			continue;
		if (!st->resources || st->not_resource) {
			tmp = cJSON_CreateString("*");
			star = tmp;
		}
		NHIR_IAM_EACH(res, star ? star : st->resources) {
			struct reach *r;

			if (!cJSON_IsString(res))
				continue;
			if (st->not_action) {
				r = reach_get(a, &rs, res->valuestring);
				if (!r)
					break;
				add_unique(r->actions, "* except NotAction",
					   MAX_EDGE_ACTIONS);
				r->priv = NHIR_MAX(r->priv,
					nhir_iam_priv_not_action(st->actions));
				r->conditional |= st->conditional;
				add_unique(r->sources, st->source, 32);
				continue;
			}
			NHIR_IAM_EACH(act, st->actions) {
				const char *an = act->valuestring;
				const char *rn = res->valuestring;

				if (!cJSON_IsString(act) ||
				    nhir_iam_denied(&p->stmts, an, rn))
					continue;
				if (p->has_boundary &&
				    !nhir_iam_allows(&p->boundary, an, rn))
					continue;
				r = reach_get(a, &rs, rn);
				if (!r)
					break;
				add_unique(r->actions, an, MAX_EDGE_ACTIONS);
				r->priv = NHIR_MAX(r->priv,
						   nhir_iam_priv(an, rn));
				r->conditional |= st->conditional;
				add_unique(r->sources, st->source, 32);
			}
		}
		cJSON_Delete(tmp);
	}
	for (size_t i = 0; i < rs.nr && !nhir_import_stopped(a->imp); i++) {
		struct reach *r = &rs.v[i];
		struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
		const char *id = resource_id(a, r->resource, account);
		cJSON *attrs = cJSON_CreateObject();

		emit_resource(a, id, r->resource, account, p->off);
		if (!attrs) {
			nhir_import_oom(a->imp);
			break;
		}
		cJSON_AddItemToObject(attrs, "actions", r->actions);
		cJSON_AddItemToObject(attrs, "policies", r->sources);
		r->actions = r->sources = NULL;
		if (r->conditional)
			cJSON_AddTrueToObject(attrs, "conditional");
		if (p->has_boundary)
			cJSON_AddTrueToObject(attrs, "bounded");
		nhir_json_print(&a->attrs, attrs);
		cJSON_Delete(attrs);
		e.kind = NHIR_EDGE_CAN;
		e.src = p->arn;
		e.dst = id;
		e.priv = r->priv ? r->priv : NHIR_PRIV_READ;
		e.attrs = a->attrs.err ? NULL : a->attrs.buf;
		nhir_import_edge(a->imp, &e, p->off);
	}
	for (size_t i = 0; i < rs.nr; i++) {
		cJSON_Delete(rs.v[i].actions);
		cJSON_Delete(rs.v[i].sources);
	}
	nhir_free(rs.v);
}

static struct principal *find_principal(struct authz *a, const char *arn)
{
	for (size_t i = 0; i < a->pr_nr; i++)
		if (!strcmp(a->pr[i].arn, arn))
			return &a->pr[i];
	return NULL;
}

/* Is arn in account acct?  The root of trust is one account only. */
static bool same_account(const char *arn, const char *acct)
{
	char buf[32];
	const char *mine = nhir_iam_arn_account(arn, buf, sizeof(buf));

	return mine && !strcmp(mine, acct);
}

static bool action_is_assume(const cJSON *actions)
{
	NHIR_IAM_EACH(act, actions)
		if (cJSON_IsString(act) &&
		    (nhir_iam_match(act->valuestring, "sts:AssumeRole", true) ||
		     nhir_iam_match(act->valuestring,
				    "sts:AssumeRoleWithWebIdentity", true) ||
		     nhir_iam_match(act->valuestring, "sts:AssumeRoleWithSAML",
				    true)))
			return true;
	return false;
}

/*
 * A role session named in a trust policy (arn:aws:sts::ACCT:
 * assumed-role/ROLE/SESSION, how Identity Center users appear): it is a
 * session of ROLE, so ROLE -assumes-> it, with whether a given session
 * of ROLE has that name left as not evaluated.  ROLE is the role of
 * that name in this file (whatever its path), else arn:aws:iam::ACCT:
 * role/ROLE, which the store matches to the role with its path.
 */
static void session_of_role(struct authz *a, const char *v, size_t off)
{
	const char *p = strstr(v, ":assumed-role/"), *name, *slash, *role = NULL;
	char acct[32];
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;
	cJSON *attrs, *ne;
	char *txt;
	size_t len;

	if (!p || !nhir_iam_arn_account(v, acct, sizeof(acct)))
		return;
	name = p + strlen(":assumed-role/");
	slash = strchr(name, '/');
	if (!slash || slash == name || !slash[1])
		return;
	len = (size_t)(slash - name);
	for (size_t i = 0; i < a->pr_nr && !role; i++) {
		const char *r = a->pr[i].arn, *last = strrchr(r, '/');

		if (a->pr[i].is_role && last && strlen(last + 1) == len &&
		    !strncmp(last + 1, name, len) && same_account(r, acct))
			role = r;
	}
	if (!role) {
		struct nhir_node_rec r = NHIR_NODE_REC_INIT;

		role = label(a, "arn:aws:iam::%s:role/%.*s", acct, (int)len,
			     name);
		r.kind = NHIR_NODE_IDENTITY;
		r.ext_id = role;
		r.subtype = "aws-iam-role";
		r.provider = "aws";
		if (!nhir_import_node(a->imp, &r, off))
			return;
	}
	attrs = cJSON_CreateObject();
	ne = cJSON_AddArrayToObject(attrs, "not_evaluated");
	if (!attrs || !ne || !cJSON_AddStringToObject(attrs, "via",
						     "a session of the role") ||
	    !cJSON_AddStringToObject(attrs, "session", slash + 1)) {
		cJSON_Delete(attrs);
		nhir_import_oom(a->imp);
		return;
	}
	cJSON_AddItemToArray(ne, cJSON_CreateString(label(a,
		"whether a session of %s is named %s", role, slash + 1)));
	txt = cJSON_PrintUnformatted(attrs);
	cJSON_Delete(attrs);
	if (!txt) {
		nhir_import_oom(a->imp);
		return;
	}
	e.kind = NHIR_EDGE_ASSUMES;
	e.src = role;
	e.dst = v;
	e.attrs = label(a, "%s", txt);
	cJSON_free(txt);
	nhir_import_edge(a->imp, &e, off);
}

/* A principal named in a trust policy that is not a user or role here. */
static const char *external_principal(struct authz *a, const char *type,
				      const char *v, size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;
	char acct[32];

	r.kind = NHIR_NODE_IDENTITY;
	r.provider = "aws";
	if (!strcmp(type, "Service")) {
		r.ext_id = label(a, "aws-service:%s", v);
		r.subtype = "aws-service";
		r.name = v;
	} else if (!strcmp(type, "Federated")) {
		r.ext_id = strncmp(v, "arn:", 4) ? label(a, "aws-federated:%s", v)
						 : v;
		r.subtype = "aws-federated-provider";
		r.name = v;
	} else if (!strcmp(v, "*")) {
		r.ext_id = "aws:any-principal";
		r.subtype = "aws-any-principal";
		r.name = "any AWS principal";
	} else if (strspn(v, "0123456789") == strlen(v)) {
		r.ext_id = label(a, "arn:aws:iam::%s:root", v);
		r.subtype = "aws-account";
		r.name = label(a, "account %s", v);
	} else {
		r.ext_id = v;
		r.subtype = strstr(v, ":root") ? "aws-account"
			    : strstr(v, ":assumed-role/") ? "aws-role-session"
			    : strstr(v, ":role/") ? "aws-iam-role"
			    : strstr(v, ":user/") ? "aws-iam-user"
						  : "aws-principal";
		if (nhir_iam_arn_account(v, acct, sizeof(acct)))
			r.attrs = label(a, "{\"external\":true,\"account\":\"%s\"}",
					acct);
	}
	if (!nhir_import_node(a->imp, &r, off))
		return NULL;
	if (r.subtype && !strcmp(r.subtype, "aws-role-session"))
		session_of_role(a, r.ext_id, off);
	return r.ext_id;
}

static void assume_edge(struct authz *a, const char *from, const char *role,
			const char *how, bool conditional, size_t off)
{
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	e.kind = NHIR_EDGE_ASSUMES;
	e.src = from;
	e.dst = role;
	e.attrs = label(a, "{\"via\":\"%s\"%s}", how,
			conditional ? ",\"conditional\":true" : "");
	nhir_import_edge(a->imp, &e, off);
}

/* Records that p may assume role, for the escalations found later. */
static void mark_assumes(struct authz *a, const struct principal *p,
			 const struct principal *role)
{
	size_t i = (size_t)(p - a->pr) * a->pr_nr + (size_t)(role - a->pr);

	if (a->assumes)
		a->assumes[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* Is principal value v (in trust of role) denied by a Deny statement? */
static bool trust_denied(const cJSON *stmts, const char *type, const char *v)
{
	const cJSON *st;

	cJSON_ArrayForEach(st, stmts) {
		const char *eff = nhir_json_str(st, "Effect");
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(st, "Principal");
		const cJSON *list;

		if (!eff || strcmp(eff, "Deny") || !pr ||
		    cJSON_GetObjectItemCaseSensitive(st, "Condition"))
			continue;
		if (cJSON_IsString(pr) && !strcmp(pr->valuestring, "*"))
			return true;
		list = cJSON_GetObjectItemCaseSensitive(pr, type);
		NHIR_IAM_EACH(x, list)
			if (cJSON_IsString(x) &&
			    (!strcmp(x->valuestring, v) ||
			     !strcmp(x->valuestring, "*")))
				return true;
	}
	return false;
}

/*
 * Across accounts both sides decide: the role's trust must admit the
 * caller (its account, or it by name) and the caller's identity policy
 * must allow sts:AssumeRole on the role.  Each account's file holds one
 * side, and an import never reads the database, so the two meet at a
 * gate node, "ROLE#from:WHO": the trust side adds gate -assumes-> role,
 * the caller's side adds caller -assumes-> gate.  A caller allowed
 * sts:AssumeRole on any role of any account goes through
 * "aws:any-role#from:WHO" instead, which the trust side links to its
 * gate.  Only with both files is there a path.  See doc/guide/escalation.md.
 */
static bool emit_gate_node(struct authz *a, const char *id, const char *name,
			   size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;

	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = id;
	r.name = name;
	r.subtype = "aws-trust-gate";
	r.provider = "aws";
	return nhir_import_node(a->imp, &r, off);
}

/* The gate of role as reached by who; NULL when it cannot be added. */
static const char *gate(struct authz *a, const char *role, const char *who,
			size_t off)
{
	const char *id = label(a, "%s#from:%s", role, who);

	if (!emit_gate_node(a, id, label(a, "%s, if its trust admits %s",
					 role, who), off))
		return NULL;
	return id;
}

static const char *any_gate(struct authz *a, const char *who, size_t off)
{
	const char *id = label(a, "aws:any-role#from:%s", who);

	if (!emit_gate_node(a, id, label(a, "any role of another account whose "
					 "trust admits %s", who), off))
		return NULL;
	return id;
}

/* An assumes edge whose attributes are built as JSON (names escaped). */
static void cross_edge(struct authz *a, const char *from, const char *to,
		       cJSON *attrs, bool conditional, size_t off)
{
	struct nhir_edge_rec e = NHIR_EDGE_REC_INIT;

	if (!attrs) {
		nhir_import_oom(a->imp);
		return;
	}
	cJSON_AddTrueToObject(attrs, "cross_account");
	if (conditional)
		cJSON_AddTrueToObject(attrs, "conditional");
	nhir_json_print(&a->attrs, attrs);
	cJSON_Delete(attrs);
	if (a->attrs.err) {
		nhir_import_oom(a->imp);
		return;
	}
	e.kind = NHIR_EDGE_ASSUMES;
	e.src = from;
	e.dst = to;
	e.attrs = a->attrs.buf;
	nhir_import_edge(a->imp, &e, off);
}

static cJSON *via(const char *how)
{
	cJSON *o = cJSON_CreateObject();

	if (o && !cJSON_AddStringToObject(o, "via", how)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The trust side: who (an account's root ARN or a principal) admitted. */
static void trust_gate(struct authz *a, const struct principal *role,
		       const char *who, bool cond)
{
	const char *g = gate(a, role->arn, who, role->off);
	const char *any = any_gate(a, who, role->off);
	cJSON *attrs = via("trust admits it");

	if (!g || !any) {
		cJSON_Delete(attrs);
		return;
	}
	if (attrs)
		cJSON_AddStringToObject(attrs, "admits", who);
	cross_edge(a, g, role->arn, attrs, cond, role->off);
	cross_edge(a, any, g, via("any role of another account"), false,
		   role->off);
}

/* Does p's policy, within its boundary, allow it to assume role? */
static bool may_assume(const struct principal *p, const char *role)
{
	return nhir_iam_allows(&p->stmts, "sts:AssumeRole", role) &&
	       (!p->has_boundary ||
		nhir_iam_allows(&p->boundary, "sts:AssumeRole", role));
}

/*
 * Trust naming another account, acct: its principals in this file whose
 * policies allow it may assume the role; its root may (the root user is
 * not bound by identity policies); the rest of that account is unknown
 * until its file is imported, and meets the role at the gate.
 */
static void trust_other_account(struct authz *a, struct principal *role,
				const char *acct, bool cond)
{
	const char *root = label(a, "arn:aws:iam::%s:root", acct);
	bool here = false;
	const char *ext;
	cJSON *attrs;

	for (size_t i = 0; i < a->pr_nr; i++) {
		struct principal *p = &a->pr[i];

		if (!same_account(p->arn, acct))
			continue;
		here = true;
		if (p == role || !may_assume(p, role->arn))
			continue;
		attrs = via("trust admits its account and identity policy "
			    "allows");
		if (attrs)
			cJSON_AddStringToObject(attrs, "identity_policy",
						"allows");
		cross_edge(a, p->arn, role->arn, attrs, cond, role->off);
		mark_assumes(a, p, role);
	}
	ext = external_principal(a, "AWS", root, role->off);
	if (!ext)
		return;
	attrs = via("trust admits the account");
	if (attrs && !here) {
		cJSON *ne = cJSON_AddArrayToObject(attrs, "not_evaluated");

		cJSON_AddItemToArray(ne, cJSON_CreateString(label(a,
			"which other principals of account %s may assume it: "
			"their identity policies are not in the imported data",
			acct)));
	}
	cross_edge(a, ext, role->arn, attrs, cond, role->off);
	trust_gate(a, role, root, cond);
}

/*
 * Trust naming a principal of another account, v: in this file, its
 * policy decides; otherwise it meets the role at the gate, and the
 * trust side alone links it there, as unknown (doc/guide/escalation.md).
 */
static void trust_other_principal(struct authz *a, struct principal *role,
				  const char *v, bool cond)
{
	struct principal *p = find_principal(a, v);
	const char *ext, *g;
	cJSON *attrs;

	if (p) {
		if (!may_assume(p, role->arn))
			return;
		attrs = via("trust names it and identity policy allows");
		if (attrs)
			cJSON_AddStringToObject(attrs, "identity_policy",
						"allows");
		cross_edge(a, p->arn, role->arn, attrs, cond, role->off);
		mark_assumes(a, p, role);
		return;
	}
	ext = external_principal(a, "AWS", v, role->off);
	if (!ext)
		return;
	trust_gate(a, role, ext, cond);
	g = gate(a, role->arn, ext, role->off);
	attrs = via("trust names it");
	if (attrs)
		cJSON_AddStringToObject(attrs, "trust", ext);
	if (g)
		cross_edge(a, ext, g, attrs, false, role->off);
	else
		cJSON_Delete(attrs);
}

/* Is arn a role of an account other than acct, named exactly? */
static bool foreign_role(const char *arn, const char *acct)
{
	return names_principal(arn) && strstr(arn, ":role/") &&
	       !same_account(arn, acct);
}

/* Does pattern pat name roles of every account ("*" and the like)? */
static bool any_account_role(const char *pat)
{
	return nhir_iam_match(pat, "arn:aws:iam::000000000001:role/x", false) &&
	       nhir_iam_match(pat, "arn:aws:iam::999999999998:role/y", false);
}

/* The caller's side: p allowed sts:AssumeRole on role (or any role). */
static void caller_gates(struct authz *a, const struct principal *p,
			 const char *role, const char *acct)
{
	const char *root = label(a, "arn:aws:iam::%s:root", acct);
	const char *whos[2];

	whos[0] = root;
	whos[1] = p->arn;
	for (int i = 0; i < 2; i++) {
		const char *g = role ? gate(a, role, whos[i], p->off)
				     : any_gate(a, whos[i], p->off);
		cJSON *attrs = via(role ? "identity policy allows "
					  "sts:AssumeRole on it"
					: "identity policy allows "
					  "sts:AssumeRole on any role");

		if (attrs)
			cJSON_AddStringToObject(attrs, "identity_policy",
						"allows");
		if (g)
			cross_edge(a, p->arn, g, attrs, false, p->off);
		else
			cJSON_Delete(attrs);
	}
}

static void emit_foreign_role(struct authz *a, const char *arn, size_t off)
{
	struct nhir_node_rec r = NHIR_NODE_REC_INIT;

	r.kind = NHIR_NODE_IDENTITY;
	r.ext_id = arn;
	r.subtype = "aws-iam-role";
	r.provider = "aws";
	nhir_import_node(a->imp, &r, off);
}

/* Roles of other accounts that p's policy lets it ask to assume. */
static void assume_other_accounts(struct authz *a, const struct principal *p)
{
	char buf[32];
	const char *acct = nhir_iam_arn_account(p->arn, buf, sizeof(buf));
	bool any = false;

	if (!acct)
		return;
	for (size_t i = 0; i < p->stmts.nr; i++) {
		const struct nhir_iam_stmt *st = &p->stmts.v[i];
		cJSON *star = NULL;

		if (!st->allow || st->not_action || st->not_resource ||
		    !action_is_assume(st->actions))
			continue;
		if (!st->resources)
			star = cJSON_CreateString("*");
		NHIR_IAM_EACH(r, star ? star : st->resources) {
			const char *res = cJSON_IsString(r) ? r->valuestring
							    : NULL;

			if (!res)
				continue;
			if (any_account_role(res)) {
				any = true;
			} else if (foreign_role(res, acct) &&
				   !find_principal(a, res) &&
				   may_assume(p, res)) {
				emit_foreign_role(a, res, p->off);
				caller_gates(a, p, res, acct);
			}
		}
		cJSON_Delete(star);
	}
	if (any && may_assume(p, "arn:aws:iam::000000000001:role/x"))
		caller_gates(a, p, NULL, acct);
}

/*
 * A role's trust policy.  A principal ARN named directly may assume the
 * role.  The role's own account named as "ACCOUNT" or ":root" grants
 * nothing by itself: principals of that account whose identity policies
 * allow sts:AssumeRole on the role may.  Another account named is an
 * external principal that may delegate further.
 */
static void trust(struct authz *a, struct principal *role)
{
	const cJSON *doc = cJSON_GetObjectItemCaseSensitive(role->o,
							   "AssumeRolePolicyDocument");
	const cJSON *stmts, *st;
	cJSON *single = NULL;
	char racct[32], acct[32];
	const char *role_acct = nhir_iam_arn_account(role->arn, racct,
						     sizeof(racct));

	if (cJSON_IsString(doc)) {
		struct nhir_iam_stmts tmp = { NULL, 0, 0 };
		bool oom = false;

		/* decode through the policy reader, keep the parsed copy */
		nhir_iam_add_policy(&tmp, doc, "trust", a->keep, &oom);
		nhir_iam_stmts_release(&tmp);
		doc = cJSON_GetArrayItem(a->keep, cJSON_GetArraySize(a->keep) - 1);
	}
	stmts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
	if (cJSON_IsObject(stmts)) {
		single = kept_array(a);
		if (!single)
			return;
		cJSON_AddItemReferenceToArray(single, (cJSON *)stmts);
		stmts = single;
	}
	if (!cJSON_IsArray(stmts)) {
		if (doc)
			nhir_import_warn(a->imp, role->off, "%s: trust policy "
					 "has no statements", role->arn);
		return;
	}
	role->trust = stmts;
	cJSON_ArrayForEach(st, stmts) {
		static const char *const types[] = { "AWS", "Service",
						     "Federated" };
		const char *eff = nhir_json_str(st, "Effect");
		const cJSON *pr = cJSON_GetObjectItemCaseSensitive(st, "Principal");
		bool cond = cJSON_GetObjectItemCaseSensitive(st, "Condition");

		if (!eff || strcmp(eff, "Allow") || !pr ||
		    !action_is_assume(cJSON_GetObjectItemCaseSensitive(st,
								      "Action")))
			continue;
		if (cJSON_IsString(pr) && !strcmp(pr->valuestring, "*")) {
			const char *any = external_principal(a, "AWS", "*",
							     role->off);

			if (any)
				assume_edge(a, any, role->arn, "trust: any "
					    "principal", cond, role->off);
			continue;
		}
		for (size_t t = 0; t < NHIR_ARRAY_SIZE(types); t++) {
			const cJSON *list = cJSON_GetObjectItemCaseSensitive(
				pr, types[t]);

			NHIR_IAM_EACH(x, list) {
				const char *v = cJSON_IsString(x) ? x->valuestring
								  : NULL;
				const char *acct_of;
				struct principal *p;

				if (!v || trust_denied(stmts, types[t], v))
					continue;
				acct_of = strspn(v, "0123456789") == strlen(v)
						  ? v
						  : strstr(v, ":root")
						  ? nhir_iam_arn_account(
							    v, acct, sizeof(acct))
						  : NULL;
				if (t == 0 && acct_of && role_acct &&
				    strcmp(acct_of, role_acct)) {
					trust_other_account(a, role, acct_of,
							    cond);
					continue;
				}
				if (t == 0 && !acct_of && role_acct &&
				    !strncmp(v, "arn:", 4) &&
				    !same_account(v, role_acct)) {
					trust_other_principal(a, role, v, cond);
					continue;
				}
				if (t == 0 && acct_of && role_acct &&
				    !strcmp(acct_of, role_acct)) {
					/* own account: identity policy decides */
					for (size_t i = 0; i < a->pr_nr; i++) {
						p = &a->pr[i];
						if (p == role ||
						    !same_account(p->arn,
								  role_acct) ||
						    !nhir_iam_allows(&p->stmts,
								     "sts:AssumeRole",
								     role->arn))
							continue;
						assume_edge(a, p->arn, role->arn,
							    "account trust and "
							    "identity policy",
							    cond, role->off);
						mark_assumes(a, p, role);
					}
					continue;
				}
				p = t == 0 ? find_principal(a, v) : NULL;
				if (p) {
					assume_edge(a, p->arn, role->arn,
						    "trust names principal",
						    cond, role->off);
					mark_assumes(a, p, role);
					continue;
				}
				v = external_principal(a, types[t], v,
						       role->off);
				if (v)
					assume_edge(a, v, role->arn,
						    t == 1 ? "trust: service"
						    : t == 2 ? "trust: federation"
							     : "trust names "
							       "principal",
						    cond, role->off);
			}
		}
	}
}

static void instance_profiles(struct authz *a, struct principal *role)
{
	const cJSON *ip;

	cJSON_ArrayForEach(ip, nhir_json_arr(role->o, "InstanceProfileList")) {
		struct nhir_node_rec r = NHIR_NODE_REC_INIT;
		const char *arn = nhir_json_str(ip, "Arn");

		if (!arn)
			continue;
		r.kind = NHIR_NODE_IDENTITY;
		r.ext_id = arn;
		r.name = nhir_json_str(ip, "InstanceProfileName");
		r.subtype = "aws-instance-profile";
		r.provider = "aws";
		if (nhir_import_node(a->imp, &r, role->off))
			assume_edge(a, arn, role->arn, "instance profile",
				    false, role->off);
	}
}

/* The statements of group g: inline and attached, quietly (users warn). */
static bool group_admin(struct authz *a, const struct item *g)
{
	struct nhir_iam_stmts st = { NULL, 0, 0 };
	const cJSON *p;
	bool oom = false, admin;

	cJSON_ArrayForEach(p, nhir_json_arr(g->o, "GroupPolicyList"))
		nhir_iam_add_policy(&st, cJSON_GetObjectItemCaseSensitive(
					    p, "PolicyDocument"),
				    "group", a->keep, &oom);
	cJSON_ArrayForEach(p, nhir_json_arr(g->o, "AttachedManagedPolicies")) {
		const char *arn = nhir_json_str(p, "PolicyArn");
		const cJSON *doc = arn ? managed_doc(a, arn) : NULL;

		if (doc)
			nhir_iam_add_policy(&st, doc, arn, a->keep, &oom);
	}
	if (oom)
		nhir_import_oom(a->imp);
	admin = nhir_esc_is_admin(&st);
	nhir_iam_stmts_release(&st);
	return admin;
}

/* Hands the principals to the escalation model (aws_escalate.c). */
static void escalations(struct authz *a)
{
	struct nhir_esc_input in = { NULL, a->pr_nr, NULL, 0, a->assumes };
	struct nhir_esc_principal *ep = nhir_calloc(a->pr_nr + 1, sizeof(*ep));
	struct nhir_esc_group *eg = nhir_calloc(a->groups.nr + 1, sizeof(*eg));

	if (!ep || !eg) {
		nhir_import_oom(a->imp);
		goto out;
	}
	for (size_t i = 0; i < a->pr_nr; i++) {
		const struct principal *p = &a->pr[i];
		const cJSON *ip = nhir_json_arr(p->o, "InstanceProfileList");

		ep[i].arn = p->arn;
		ep[i].off = p->off;
		ep[i].is_role = p->is_role;
		ep[i].instance_profile = ip && ip->child;
		ep[i].stmts = &p->stmts;
		ep[i].boundary = p->has_boundary ? &p->boundary : NULL;
		ep[i].trust = p->trust;
		ep[i].policies = p->policies;
		ep[i].groups = p->groups;
	}
	for (size_t i = 0; i < a->groups.nr; i++) {
		const char *arn = nhir_json_str(a->groups.v[i].o, "Arn");

		if (!arn)
			continue;
		eg[in.group_nr].arn = arn;
		eg[in.group_nr].admin = group_admin(a, &a->groups.v[i]);
		in.group_nr++;
	}
	in.pr = ep;
	in.groups = eg;
	nhir_esc_run(a->imp, &in);
out:
	nhir_free(ep);
	nhir_free(eg);
}

static void authz_run(struct nhir_import *imp, const char *data, size_t len)
{
	struct authz a;
	struct nhir_err e = NHIR_ERR_INIT;
	size_t bad = 0, i = 0;
	struct item_list *lists[4];

	memset(&a, 0, sizeof(a));
	a.imp = imp;
	a.data = data;
	a.len = len;
	nhir_buf_init(&a.attrs, NHIR_MAX_ATTRS_LEN);
	nhir_buf_init(&a.tmp, NHIR_MAX_ID_LEN * 4);
	a.keep = cJSON_CreateArray();
	if (!a.keep) {
		nhir_import_oom(imp);
		return;
	}
	while (i < len && (data[i] == ' ' || data[i] == '\n' ||
			   data[i] == '\r' || data[i] == '\t'))
		i++;
	if (i >= len || data[i] != '{') {
		nhir_import_error(imp, i, "not an 'aws iam "
				  "get-account-authorization-details' document "
				  "(expected a JSON object)");
		goto out;
	}
	if (nhir_json_children(data, len, i, top_member, &a, &bad, &e)) {
		nhir_import_error(imp, bad, "%s", e.msg);
		goto out;
	}
	if (!a.any_list) {
		nhir_import_error(imp, i, "not an 'aws iam "
				  "get-account-authorization-details' document "
				  "(no UserDetailList, GroupDetailList, "
				  "RoleDetailList or Policies)");
		goto out;
	}
	if (imp->res->rejected)
		goto out;
	load_principals(&a);
	for (size_t k = 0; k < a.pr_nr && !nhir_import_stopped(imp); k++)
		compute_can(&a, &a.pr[k]);
	a.assumes = nhir_calloc((a.pr_nr * a.pr_nr + 7) / 8 + 1, 1);
	if (!a.assumes) {
		nhir_import_oom(imp);
		goto out;
	}
	for (size_t k = 0; k < a.pr_nr && !nhir_import_stopped(imp); k++) {
		if (!a.pr[k].is_role)
			continue;
		trust(&a, &a.pr[k]);
		instance_profiles(&a, &a.pr[k]);
	}
	for (size_t k = 0; k < a.pr_nr && !nhir_import_stopped(imp); k++)
		assume_other_accounts(&a, &a.pr[k]);
	if (!nhir_import_stopped(imp))
		escalations(&a);
out:
	lists[0] = &a.users;
	lists[1] = &a.groups;
	lists[2] = &a.roles;
	lists[3] = &a.policies;
	for (int l = 0; l < 4; l++) {
		for (size_t k = 0; k < lists[l]->nr; k++)
			cJSON_Delete(lists[l]->v[k].o);
		nhir_free(lists[l]->v);
	}
	for (size_t k = 0; k < a.pr_nr; k++) {
		nhir_iam_stmts_release(&a.pr[k].stmts);
		nhir_iam_stmts_release(&a.pr[k].boundary);
	}
	nhir_free(a.pr);
	nhir_free(a.assumes);
	cJSON_Delete(a.keep);
	nhir_buf_release(&a.attrs);
	nhir_buf_release(&a.tmp);
}

const struct nhir_importer nhir_importer_aws_authz = {
	.name = "aws-authz",
	.summary = "aws iam get-account-authorization-details (JSON)",
	.run = authz_run,
};
