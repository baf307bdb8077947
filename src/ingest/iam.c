#include "compat.h"
#include <ctype.h>
#include "ingest/iam.h"

bool nhir_iam_match(const char *pat, const char *s, bool nocase)
{
	const char *star = NULL, *mark = NULL;

	/* Iterative glob with single-star backtracking: linear-ish, no
	 * recursion on hostile patterns. */
	while (*s) {
		char p = *pat, c = *s;

		if (nocase) {
			p = (char)tolower((unsigned char)p);
			c = (char)tolower((unsigned char)c);
		}
		if (*pat == '*') {
			star = ++pat;
			mark = s;
			continue;
		}
		if (*pat && (*pat == '?' || p == c)) {
			pat++;
			s++;
			continue;
		}
		if (!star)
			return false;
		pat = star;
		s = ++mark;
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

void nhir_iam_stmts_release(struct nhir_iam_stmts *s)
{
	nhir_free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Decodes %XX and '+' in place-sized copy; returns owned string. */
static char *url_decode(const char *s)
{
	size_t n = strlen(s), j = 0;
	char *out = nhir_malloc(n + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], 0 };

			out[j++] = (char)strtol(hex, NULL, 16);
			i += 2;
		} else if (s[i] == '+') {
			out[j++] = ' ';
		} else {
			out[j++] = s[i];
		}
	}
	out[j] = 0;
	return out;
}

static bool str_or_array(const cJSON *v)
{
	const cJSON *c;

	if (cJSON_IsString(v))
		return true;
	if (!cJSON_IsArray(v))
		return false;
	cJSON_ArrayForEach(c, v)
		if (!cJSON_IsString(c))
			return false;
	return true;
}

static bool add_stmt(struct nhir_iam_stmts *out, const cJSON *st,
		     const char *source, bool *oom)
{
	const char *effect = NULL;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(st, "Effect");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(st, "Action");
	const cJSON *na = cJSON_GetObjectItemCaseSensitive(st, "NotAction");
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(st, "Resource");
	const cJSON *nr = cJSON_GetObjectItemCaseSensitive(st, "NotResource");
	struct nhir_iam_stmt *s;

	if (!cJSON_IsObject(st) || !cJSON_IsString(e))
		return false;
	effect = e->valuestring;
	if (strcmp(effect, "Allow") && strcmp(effect, "Deny"))
		return false;
	if ((a && !str_or_array(a)) || (na && !str_or_array(na)) ||
	    (!a == !na) || (r && !str_or_array(r)) ||
	    (nr && !str_or_array(nr)))
		return false;
	if (NHIR_ALLOC_GROW(out->v, out->nr + 1, out->alloc)) {
		*oom = true;
		return false;
	}
	s = &out->v[out->nr++];
	s->allow = !strcmp(effect, "Allow");
	s->not_action = na != NULL;
	s->actions = a ? a : na;
	s->not_resource = nr != NULL;
	s->resources = r ? r : nr;
	s->conditional = cJSON_GetObjectItemCaseSensitive(st, "Condition") !=
			 NULL;
	s->source = source;
	return true;
}

bool nhir_iam_add_policy(struct nhir_iam_stmts *out, const cJSON *doc,
			 const char *source, cJSON *keep, bool *oom)
{
	const cJSON *stmts, *st;

	if (cJSON_IsString(doc)) {
		char *dec = url_decode(doc->valuestring);
		cJSON *parsed;

		if (!dec) {
			*oom = true;
			return false;
		}
		parsed = cJSON_Parse(dec);
		nhir_free(dec);
		if (!parsed)
			return false;
		cJSON_AddItemToArray(keep, parsed);
		doc = parsed;
	}
	stmts = cJSON_GetObjectItemCaseSensitive(doc, "Statement");
	if (cJSON_IsObject(stmts))
		return add_stmt(out, stmts, source, oom);
	if (!cJSON_IsArray(stmts))
		return false;
	cJSON_ArrayForEach(st, stmts)
		if (!add_stmt(out, st, source, oom))
			return false;
	return true;
}

static bool list_matches(const cJSON *list, const char *s, bool nocase)
{
	NHIR_IAM_EACH(it, list)
		if (cJSON_IsString(it) &&
		    nhir_iam_match(it->valuestring, s, nocase))
			return true;
	return false;
}

/* Does statement st apply to action and resource (concrete names)? */
static bool applies(const struct nhir_iam_stmt *st, const char *action,
		    const char *resource)
{
	bool a = list_matches(st->actions, action, true);
	bool r = !st->resources || list_matches(st->resources, resource, false);

	if (st->not_action)
		a = !a;
	if (st->not_resource)
		r = !r;
	return a && r;
}

bool nhir_iam_allows(const struct nhir_iam_stmts *s, const char *action,
		     const char *resource)
{
	bool allowed = false;

	for (size_t i = 0; i < s->nr; i++) {
		const struct nhir_iam_stmt *st = &s->v[i];

		if (!applies(st, action, resource))
			continue;
		if (!st->allow && !st->conditional)
			return false;
		if (st->allow)
			allowed = true;
	}
	return allowed;
}

/*
 * Does st apply to action on some resource?  An Allow needs one resource
 * it covers; a Deny must cover them all ("*", or no Resource).
 */
static bool applies_some(const struct nhir_iam_stmt *st, const char *action)
{
	bool a = list_matches(st->actions, action, true);
	bool all = !st->resources ||
		   list_matches(st->resources, "*", false);

	if (st->not_action)
		a = !a;
	if (!a)
		return false;
	if (st->allow)
		return !st->not_resource || !all;
	return !st->not_resource && all;
}

bool nhir_iam_eval(const struct nhir_iam_stmts *s, const char *action,
		   const char *resource, unsigned *ne)
{
	bool allowed = false, plain = false, deny_cond = false;

	for (size_t i = 0; i < s->nr; i++) {
		const struct nhir_iam_stmt *st = &s->v[i];

		if (resource ? !applies(st, action, resource)
			     : !applies_some(st, action))
			continue;
		if (!st->allow && !st->conditional)
			return false;
		if (!st->allow)
			deny_cond = true;
		else if (st->conditional)
			allowed = true;
		else
			allowed = plain = true;
	}
	if (!allowed)
		return false;
	if (!plain)
		*ne |= NHIR_IAM_NE_CONDITION;
	if (deny_cond)
		*ne |= NHIR_IAM_NE_DENY_CONDITION;
	return true;
}

bool nhir_iam_denied(const struct nhir_iam_stmts *s, const char *action_pat,
		     const char *resource_pat)
{
	for (size_t i = 0; i < s->nr; i++) {
		const struct nhir_iam_stmt *st = &s->v[i];

		/* The allowed pattern, read literally, must be covered. */
		if (st->allow || st->conditional ||
		    !applies(st, action_pat, resource_pat))
			continue;
		return true;
	}
	return false;
}

/*
 * IAM actions that let the holder grant itself any permission, so that
 * holding them on every resource is as good as admin.
 */
static const char *const escalation[] = {
	"iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
	"iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy",
	"iam:PutUserPolicy", "iam:PutGroupPolicy", "iam:PutRolePolicy",
	"iam:AddUserToGroup", "iam:UpdateAssumeRolePolicy",
	"iam:CreateAccessKey", "iam:CreateLoginProfile",
	"iam:UpdateLoginProfile",
};

static const char *const read_verbs[] = {
	"Get", "List", "Describe", "Head", "View", "Query", "Scan", "Search",
	"Select", "BatchGet", "Lookup", "Check", "Read",
};

enum nhir_priv nhir_iam_priv(const char *a, const char *r)
{
	const char *colon = strchr(a, ':');
	size_t rl = strlen(r);
	/* "*", or every name of a kind, as in role/ followed by "*" */
	bool every = !strcmp(r, "*") ||
		     (rl >= 2 && r[rl - 1] == '*' &&
		      (r[rl - 2] == '/' || r[rl - 2] == ':'));

	if (!strcmp(a, "*") || !strcmp(a, "*:*"))
		return NHIR_PRIV_ADMIN;
	if (!colon)
		return NHIR_PRIV_WRITE;
	if (every) {
		if (!strcasecmp(a, "iam:*"))
			return NHIR_PRIV_ADMIN;
		for (size_t i = 0; i < NHIR_ARRAY_SIZE(escalation); i++)
			if (nhir_iam_match(a, escalation[i], true))
				return NHIR_PRIV_ADMIN;
	}
	colon++;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(read_verbs); i++) {
		size_t n = strlen(read_verbs[i]);

		if (!strncasecmp(colon, read_verbs[i], n))
			return NHIR_PRIV_READ;
	}
	return NHIR_PRIV_WRITE;
}

enum nhir_priv nhir_iam_priv_not_action(const cJSON *not_actions)
{
	/* Everything except a list: admin unless IAM is excluded. */
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(escalation); i++)
		if (!list_matches(not_actions, escalation[i], true))
			return NHIR_PRIV_ADMIN;
	return NHIR_PRIV_WRITE;
}

const char *nhir_iam_arn_account(const char *arn, char *buf, size_t len)
{
	const char *p = arn;
	size_t n;

	/* arn:partition:service:region:account:resource */
	for (int field = 0; field < 4; field++) {
		p = strchr(p, ':');
		if (!p)
			return NULL;
		p++;
	}
	n = strcspn(p, ":");
	if (!n || n >= len || strncmp(arn, "arn:", 4))
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}
