/*
 * The routing policy: parsed with libyaml into ordered rules of
 * conditions over facts, evaluated first match wins.  Facts come from the
 * finding and from the blast radius of its credential.
 */
#include "compat.h"
#include <ctype.h>
#include <sys/stat.h>
#include <yaml.h>
#include "nhir/blast.h"
#include "nhir/buf.h"
#include "nhir/finding.h"
#include "nhir/graph.h"
#include "nhir/record.h"
#include "nhir/route.h"
#include "core/yaml.h"
#include "record/record-internal.h"
#include "store/findings.h"

enum fact {
	F_KIND, F_DETECTOR, F_ENVIRONMENT, F_IDENTITY,	/* strings */
	F_VERIFIED, F_AGENT_PATH, F_SERVICE_ACCOUNT, F_MATCHED, /* booleans */
	F_PRIVILEGE,					/* level */
	F_LIVE_TOKENS, F_IDENTITIES, F_WORKLOADS, F_PROD_WORKLOADS, F_GRANTS,
	F_PERSISTENCE, F_LINEAGE_TOKENS, F_LINEAGE_CREATED, F_ENDED, /* counts */
	F_NR
};

static const char *const fact_names[F_NR] = {
	"kind", "detector", "environment", "identity",
	"verified", "agent_path", "service_account", "matched",
	"privilege",
	"live_tokens", "identities", "workloads", "prod_workloads", "grants",
	"persistence", "lineage_tokens", "lineage_created", "ended",
};

enum op { OP_ANY, OP_BOOL, OP_MIN, OP_MAX };

#define MAX_VALUES 16

struct cond {
	enum fact fact;
	enum op op;
	char *values[MAX_VALUES];	/* OP_ANY */
	size_t value_nr;
	int64_t num;			/* OP_BOOL (-1 unknown), MIN, MAX */
	int line;
};

struct rule {
	char *name;
	struct cond *conds;
	size_t cond_nr;
	const char *outcome;		/* static */
	char *to;
	int line;
};

struct nhir_route_policy {
	struct rule *rules;
	size_t nr, alloc;
};

size_t nhir_route_rule_count(const struct nhir_route_policy *p)
{
	return p->nr;
}

void nhir_route_free(struct nhir_route_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nr; i++) {
		struct rule *r = &p->rules[i];

		for (size_t c = 0; c < r->cond_nr; c++)
			for (size_t v = 0; v < r->conds[c].value_nr; v++)
				nhir_free(r->conds[c].values[v]);
		nhir_free(r->conds);
		nhir_free(r->name);
		nhir_free(r->to);
	}
	nhir_free(p->rules);
	nhir_free(p);
}

static enum nhir_rc bad(struct nhir_yaml *p, const yaml_node_t *n,
			const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static enum nhir_rc bad(struct nhir_yaml *p, const yaml_node_t *n,
			const char *rule, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (rule)
		return nhir_yaml_error(p, n, "rule '%s': %s", rule, msg);
	return nhir_yaml_error(p, n, "%s", msg);
}

static int priv_level(const char *s)
{
	int v = s ? nhir_priv_parse(s) : -1;

	return v;
}

static bool parse_int(const char *s, int64_t *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return !*end && !errno;
}

static int parse_bool(const char *s)
{
	if (!s)
		return -2;
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		return 1;
	if (!strcmp(s, "false") || !strcmp(s, "no"))
		return 0;
	if (!strcmp(s, "unknown"))
		return -1;
	return -2;
}

/* One "fact: value" of a rule's when. */
static enum nhir_rc parse_cond(struct nhir_yaml *p, const char *rule,
			       const yaml_node_t *k, const yaml_node_t *v,
			       struct cond *c)
{
	const char *name = nhir_yaml_str(k), *s = nhir_yaml_str(v);
	int f;

	memset(c, 0, sizeof(*c));
	c->line = nhir_yaml_line(k);
	for (f = 0; f < F_NR; f++)
		if (name && !strcmp(name, fact_names[f]))
			break;
	if (f == F_NR)
		return bad(p, k, rule, "unknown fact '%s'", name ? name : "?");
	c->fact = (enum fact)f;
	if (f <= F_IDENTITY) {
		c->op = OP_ANY;
		if (s) {
			c->values[c->value_nr] = nhir_strdup(s);
			if (!c->values[c->value_nr++])
				return nhir_err_set(p->err, NHIR_ENOMEM,
						    "out of memory");
			return NHIR_OK;
		}
		if (!v || v->type != YAML_SEQUENCE_NODE)
			return bad(p, v, rule, "'%s' takes a string or a list "
				   "of strings", name);
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			const char *x = nhir_yaml_str(nhir_yaml_node(p, *it));

			if (!x)
				return bad(p, nhir_yaml_node(p, *it), rule, "'%s' takes "
					   "strings", name);
			if (c->value_nr >= MAX_VALUES)
				return bad(p, v, rule, "at most %d values",
					   MAX_VALUES);
			c->values[c->value_nr] = nhir_strdup(x);
			if (!c->values[c->value_nr++])
				return nhir_err_set(p->err, NHIR_ENOMEM,
						    "out of memory");
		}
		return NHIR_OK;
	}
	if (f <= F_MATCHED) {
		int b = parse_bool(s);

		if (b == -2 || (b == -1 && f != F_VERIFIED))
			return bad(p, v, rule, "'%s' takes true or false%s",
				   name, f == F_VERIFIED ? " or unknown" : "");
		c->op = OP_BOOL;
		c->num = b;
		return NHIR_OK;
	}
	/* a level or a count: "N" (at least), {min: N}, {max: N} */
	c->op = OP_MIN;
	if (!s && v && v->type == YAML_MAPPING_NODE &&
	    v->data.mapping.pairs.top - v->data.mapping.pairs.start == 1) {
		yaml_node_pair_t *pr = v->data.mapping.pairs.start;
		const char *op = nhir_yaml_str(nhir_yaml_node(p, pr->key));

		s = nhir_yaml_str(nhir_yaml_node(p, pr->value));
		if (op && !strcmp(op, "max"))
			c->op = OP_MAX;
		else if (!op || strcmp(op, "min"))
			return bad(p, v, rule, "'%s' takes min or max", name);
	}
	if (f == F_PRIVILEGE) {
		int lv = priv_level(s);

		if (lv < 0)
			return bad(p, v, rule, "privilege is none, read, write "
				   "or admin");
		c->num = lv;
	} else if (!parse_int(s, &c->num)) {
		return bad(p, v, rule, "'%s' takes a number, {min: N} or "
			   "{max: N}", name);
	}
	return NHIR_OK;
}

static enum nhir_rc parse_rule(struct nhir_yaml *p, const yaml_node_t *m,
			       struct rule *r)
{
	const yaml_node_t *when = NULL, *route = NULL, *to = NULL;
	const char *to_key = NULL, *rname;
	enum nhir_rc rc;

	memset(r, 0, sizeof(*r));
	r->line = nhir_yaml_line(m);
	if (m->type != YAML_MAPPING_NODE)
		return bad(p, m, NULL, "a rule is a mapping (name, when, route)");
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
	     pr < m->data.mapping.pairs.top; pr++) {
		const char *k = nhir_yaml_str(nhir_yaml_node(p, pr->key));

		if (k && !strcmp(k, "name") && nhir_yaml_str(nhir_yaml_node(p, pr->value))) {
			if (r->name)
				return bad(p, nhir_yaml_node(p, pr->key), r->name,
					   "name given twice");
			r->name = nhir_strdup(nhir_yaml_str(nhir_yaml_node(p, pr->value)));
			if (!r->name)
				return nhir_err_set(p->err, NHIR_ENOMEM,
						    "out of memory");
		}
	}
	if (!r->name)
		return bad(p, m, NULL, "a rule needs a name");
	rname = r->name;
	for (yaml_node_pair_t *pr = m->data.mapping.pairs.start;
	     pr < m->data.mapping.pairs.top; pr++) {
		const yaml_node_t *kn = nhir_yaml_node(p, pr->key);
		const yaml_node_t *vn = nhir_yaml_node(p, pr->value);
		const char *k = nhir_yaml_str(kn);

		if (!k)
			return bad(p, kn, rname, "keys are strings");
		if (!strcmp(k, "name"))
			continue;
		if (!strcmp(k, "when"))
			when = vn;
		else if (!strcmp(k, "route"))
			route = vn;
		else if (!strcmp(k, "queue") || !strcmp(k, "action") ||
			 !strcmp(k, "reason")) {
			if (to)
				return bad(p, kn, rname, "one of queue, action "
					   "or reason");
			to = vn;
			to_key = k;
		} else
			return bad(p, kn, rname, "unknown key '%s'", k);
	}
	if (!nhir_yaml_str(route))
		return bad(p, route ? route : m, rname, "needs route: dedicated, "
			   "automated or dismiss");
	if (!strcmp(nhir_yaml_str(route), "dedicated"))
		r->outcome = "dedicated";
	else if (!strcmp(nhir_yaml_str(route), "automated"))
		r->outcome = "automated";
	else if (!strcmp(nhir_yaml_str(route), "dismiss"))
		r->outcome = "dismiss";
	else
		return bad(p, route, rname, "unknown route '%s': dedicated, "
			   "automated or dismiss", nhir_yaml_str(route));
	{
		const char *need = !strcmp(r->outcome, "dedicated") ? "queue"
				 : !strcmp(r->outcome, "automated") ? "action"
								    : "reason";

		if (!to || !nhir_yaml_str(to) || strcmp(to_key, need))
			return bad(p, to ? to : route, rname, "route %s needs "
				   "%s", r->outcome, need);
		r->to = nhir_strdup(nhir_yaml_str(to));
		if (!r->to)
			return nhir_err_set(p->err, NHIR_ENOMEM,
					    "out of memory");
	}
	if (!when)
		return NHIR_OK;
	if (when->type != YAML_MAPPING_NODE)
		return bad(p, when, rname, "when is a mapping of facts");
	r->cond_nr = (size_t)(when->data.mapping.pairs.top -
			      when->data.mapping.pairs.start);
	r->conds = nhir_calloc(r->cond_nr ? r->cond_nr : 1, sizeof(*r->conds));
	if (!r->conds)
		return nhir_err_set(p->err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->cond_nr; i++) {
		yaml_node_pair_t *pr = &when->data.mapping.pairs.start[i];

		rc = parse_cond(p, rname, nhir_yaml_node(p, pr->key),
				nhir_yaml_node(p, pr->value), &r->conds[i]);
		if (rc) {
			r->cond_nr = i + 1;
			return rc;
		}
		for (size_t j = 0; j < i; j++)
			if (r->conds[j].fact == r->conds[i].fact)
				return bad(p, nhir_yaml_node(p, pr->key), rname,
					   "fact '%s' given twice",
					   fact_names[r->conds[i].fact]);
	}
	return NHIR_OK;
}

enum nhir_rc nhir_route_parse(const char *data, size_t len, const char *name,
			      struct nhir_route_policy **out,
			      struct nhir_err *err)
{
	struct nhir_route_policy *pol;
	struct nhir_yaml p;
	yaml_node_t *root, *rules = NULL, *version = NULL;
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_yaml_load(&p, data, len, name, err);
	if (rc)
		return rc;
	pol = nhir_calloc(1, sizeof(*pol));
	if (!pol) {
		nhir_yaml_free(&p);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	root = nhir_yaml_root(&p);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = bad(&p, root, NULL, "a policy is a mapping with version "
			 "and rules");
		goto out;
	}
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		const char *k = nhir_yaml_str(nhir_yaml_node(&p, pr->key));

		if (k && !strcmp(k, "rules"))
			rules = nhir_yaml_node(&p, pr->value);
		else if (k && !strcmp(k, "version"))
			version = nhir_yaml_node(&p, pr->value);
		else {
			rc = bad(&p, nhir_yaml_node(&p, pr->key), NULL, "unknown key '%s'",
				 k ? k : "?");
			goto out;
		}
	}
	if (!nhir_yaml_str(version) || strcmp(nhir_yaml_str(version), "1")) {
		rc = bad(&p, version ? version : root, NULL,
			 "version must be 1");
		goto out;
	}
	if (!rules || rules->type != YAML_SEQUENCE_NODE ||
	    rules->data.sequence.items.top == rules->data.sequence.items.start) {
		rc = bad(&p, rules ? rules : root, NULL,
			 "rules must be a non-empty list");
		goto out;
	}
	for (yaml_node_item_t *it = rules->data.sequence.items.start;
	     it < rules->data.sequence.items.top; it++) {
		if (NHIR_ALLOC_GROW(pol->rules, pol->nr + 1, pol->alloc)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			goto out;
		}
		rc = parse_rule(&p, nhir_yaml_node(&p, *it), &pol->rules[pol->nr++]);
		if (rc)
			goto out;
		for (size_t j = 0; j + 1 < pol->nr; j++)
			if (!strcmp(pol->rules[j].name,
				    pol->rules[pol->nr - 1].name)) {
				rc = bad(&p, nhir_yaml_node(&p, *it),
					 pol->rules[pol->nr - 1].name,
					 "the name is used twice");
				goto out;
			}
	}
out:
	nhir_yaml_free(&p);
	if (rc) {
		nhir_route_free(pol);
		return rc;
	}
	*out = pol;
	return NHIR_OK;
}

enum nhir_rc nhir_route_load(const char *path,
			     struct nhir_route_policy **out,
			     struct nhir_err *err)
{
	struct nhir_buf b;
	enum nhir_rc rc;

	*out = NULL;
	rc = nhir_read_small_file(path, &b, err);
	if (rc)
		return rc;
	rc = nhir_route_parse(b.buf ? b.buf : "", b.len, path, out, err);
	nhir_buf_release(&b);
	return rc;
}

/* ---- facts ---- */

static void attr_env(const char *attrs, char *out, size_t n)
{
	cJSON *o;
	const cJSON *v;

	if (!attrs || out[0])
		return;
	o = cJSON_Parse(attrs);
	v = cJSON_GetObjectItemCaseSensitive(o, "environment");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(o, "env");
	if (cJSON_IsString(v))
		snprintf(out, n, "%s", v->valuestring);
	cJSON_Delete(o);
}

static bool is_prod(const char *attrs)
{
	char env[64] = "";

	attr_env(attrs, env, sizeof(env));
	return !strcmp(env, "prod") || !strcmp(env, "production");
}

static bool agentish(const char *subtype, const char *attrs)
{
	cJSON *o;
	bool yes;

	if (subtype && strstr(subtype, "agent"))
		return true;
	if (!attrs)
		return false;
	o = cJSON_Parse(attrs);
	yes = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "agent"));
	cJSON_Delete(o);
	return yes;
}

static bool service_account_type(const char *s)
{
	return s && (strstr(s, "service-account") || strstr(s, "sa-token") ||
		     strstr(s, "service-principal") || strstr(s, "github-app"));
}

#define FACT_LOOKUPS 10000	/* nodes whose attributes are read */

/*
 * Is any policy known for identity n: an edge saying what it can do or
 * become?  Without one, what it reaches is unknown, not nothing.
 */
static bool has_policy(const struct nhir_graph *g, uint32_t n)
{
	for (uint64_t p = g->out_off[n]; p < g->out_off[n + 1]; p++) {
		enum nhir_edge_kind k = NHIR_EI_KIND(g->out_info[p]);

		if (k == NHIR_EDGE_CAN || k == NHIR_EDGE_ASSUMES ||
		    k == NHIR_EDGE_DELEGATES)
			return true;
	}
	return false;
}

enum nhir_rc nhir_route_facts(struct nhir_store *st, int64_t finding,
			      struct nhir_route_facts *f,
			      struct nhir_err *err)
{
	struct nhir_findings_route_in in;
	struct nhir_graph *g = NULL;
	struct nhir_blast b = NHIR_BLAST_INIT;
	struct nhir_blast_opts o = { nhir_store_now(st), NHIR_TIME_UNSET, 0 };
	struct nhir_node n;
	int64_t cred = 0;
	uint32_t seed;
	size_t lookups = 0;
	bool found;
	enum nhir_rc rc;

	memset(f, 0, sizeof(*f));
	f->verified = -1;
	f->exposed_at = NHIR_TIME_UNSET;
	f->privilege_unknown = true;	/* until its identities are known */
	rc = nhir_findings_store(st)->route_input(st, finding, &in, &found, err);
	if (rc)
		return rc;
	if (!found)
		return nhir_err_set(err, NHIR_ENOTFOUND, "no finding %" PRId64,
				    finding);
	snprintf(f->kind, sizeof(f->kind), "%s", in.kind);
	snprintf(f->detector, sizeof(f->detector), "%s", in.detector);
	f->verified = in.verified;
	cred = in.credential;
	if (!cred)
		return NHIR_OK;
	/*
	 * A finding says when the secret was seen, not when its exposure
	 * began: its lineage is counted over all time (exposed_at unset).
	 */
	if (!nhir_store_get_node(st, cred, &n, NULL)) {
		attr_env(n.attrs, f->environment, sizeof(f->environment));
		f->service_account = service_account_type(n.subtype);
		f->agent_path = agentish(n.subtype, n.attrs);
		nhir_node_release(&n);
	}
	rc = nhir_store_load_graph(st, &g, err);
	if (rc)
		return rc;
	seed = nhir_graph_find(g, cred);
	if (seed == UINT32_MAX)
		goto out;
	rc = nhir_blast_run(g, &seed, 1, &o, &b, err);
	if (rc)
		goto out;
	f->privilege_unknown = false;
	for (size_t i = 0; i < b.nr; i++) {
		const struct nhir_blast_item *it = &b.items[i];
		bool look = false;
		bool since = o.exposed_at == NHIR_TIME_UNSET ||
			     (it->flags & NHIR_BI_SUSPECT);

		/* the lineage, live or not */
		if (it->via == NHIR_EDGE_ISSUED &&
		    g->node_kind[it->node] == NHIR_NODE_TOKEN && since)
			f->lineage_tokens++;
		if (it->via == NHIR_EDGE_CREATED && since)
			f->lineage_created++;
		/* an identity reached, or created and still there */
		if ((it->group == NHIR_BG_IDENTITY ||
		     (it->group == NHIR_BG_PERSISTENCE &&
		      g->node_kind[it->node] == NHIR_NODE_IDENTITY)) &&
		    !has_policy(g, it->node)) {
			f->privilege_unknown = true;
			f->unknown_identities++;
		}
		switch ((enum nhir_blast_group)it->group) {
		case NHIR_BG_ENDED:
			f->ended++;
			break;
		case NHIR_BG_TOKEN:
			f->live_tokens++;
			break;
		case NHIR_BG_PERSISTENCE:
			f->persistence++;
			break;
		case NHIR_BG_IDENTITY:
			f->identities++;
			look = true;
			break;
		case NHIR_BG_RESOURCE:
			if (it->priv > f->privilege)
				f->privilege = (enum nhir_priv)it->priv;
			break;
		case NHIR_BG_GRANT:
			f->grants++;
			break;
		case NHIR_BG_WORKLOAD:
			f->workloads++;
			look = true;
			break;
		default:
			break;
		}
		if (!look || lookups++ >= FACT_LOOKUPS ||
		    nhir_store_get_node(st, g->node_id[it->node], &n, NULL))
			continue;
		if (it->group == NHIR_BG_WORKLOAD && is_prod(n.attrs))
			f->prod_workloads++;
		if (agentish(n.subtype, n.attrs))
			f->agent_path = true;
		if (it->group == NHIR_BG_IDENTITY) {
			bool dup = false;

			if (service_account_type(n.subtype))
				f->service_account = true;
			attr_env(n.attrs, f->environment, sizeof(f->environment));
			for (size_t k = 0; n.subtype && k < f->identity_nr; k++)
				dup |= !strcmp(f->identity[k], n.subtype);
			if (n.subtype && !dup &&
			    f->identity_nr < NHIR_ROUTE_MAX_IDS)
				ir_copy(f->identity[f->identity_nr++],
					sizeof(f->identity[0]), n.subtype);
		}
		nhir_node_release(&n);
	}
	/* known: it reaches something of the identity graph */
	f->has_credential = f->identities || f->workloads || f->live_tokens ||
			    f->grants || f->persistence || f->privilege ||
			    f->lineage_tokens || f->lineage_created;
	/* a credential that reaches no identity: its reach is not known */
	if (!f->identities && !f->privilege)
		f->privilege_unknown = true;
out:
	nhir_blast_release(&b);
	nhir_graph_free(g);
	return rc;
}

/* ---- evaluation ---- */

static const char *bool_text(int64_t v)
{
	return v > 0 ? "true" : v == 0 ? "false" : "unknown";
}

/* Does c hold?  why says what was needed and what is. */
static bool holds(const struct cond *c, const struct nhir_route_facts *f,
		  char *why, size_t n)
{
	const char *name = fact_names[c->fact];
	const char *s = NULL;
	int64_t v = 0;
	bool ok = false;

	switch (c->fact) {
	case F_KIND: s = f->kind; break;
	case F_DETECTOR: s = f->detector; break;
	case F_ENVIRONMENT: s = f->environment; break;
	case F_IDENTITY:
		for (size_t i = 0; !ok && i < f->identity_nr; i++)
			for (size_t k = 0; !ok && k < c->value_nr; k++)
				ok = !strcmp(f->identity[i], c->values[k]);
		snprintf(why, n, "identity %s %s (reached: %zu kinds%s%s)",
			 ok ? "is" : "is not", c->values[0], f->identity_nr,
			 f->identity_nr ? ", " : "",
			 f->identity_nr ? f->identity[0] : "");
		return ok;
	case F_VERIFIED: v = f->verified; break;
	case F_AGENT_PATH: v = f->agent_path; break;
	case F_SERVICE_ACCOUNT: v = f->service_account; break;
	case F_MATCHED: v = f->has_credential; break;
	case F_PRIVILEGE: v = f->privilege; break;
	case F_LIVE_TOKENS: v = f->live_tokens; break;
	case F_IDENTITIES: v = f->identities; break;
	case F_WORKLOADS: v = f->workloads; break;
	case F_PROD_WORKLOADS: v = f->prod_workloads; break;
	case F_GRANTS: v = f->grants; break;
	case F_PERSISTENCE: v = f->persistence; break;
	case F_LINEAGE_TOKENS: v = f->lineage_tokens; break;
	case F_LINEAGE_CREATED: v = f->lineage_created; break;
	case F_ENDED: v = f->ended; break;
	case F_NR: break;
	}
	if (c->fact == F_PRIVILEGE && f->privilege_unknown) {
		/* what is known is a floor: "at least" may hold, not "at most" */
		ok = c->op == OP_MIN && v >= c->num;
		snprintf(why, n, "privilege is unknown, at least %s (needs %s "
			 "%s)", nhir_priv_name((enum nhir_priv)v),
			 c->op == OP_MIN ? "at least" : "at most",
			 nhir_priv_name((enum nhir_priv)c->num));
		return ok;
	}
	switch (c->op) {
	case OP_ANY:
		for (size_t k = 0; !ok && k < c->value_nr; k++)
			ok = !strcmp(s, c->values[k]);
		snprintf(why, n, "%s is '%s'%s%s'%s'%s", name, s,
			 ok ? ", one of " : ", not ", "", c->values[0],
			 c->value_nr > 1 ? " ..." : "");
		return ok;
	case OP_BOOL:
		ok = c->num == v;
		snprintf(why, n, "%s is %s (needs %s)", name, bool_text(v),
			 bool_text(c->num));
		return ok;
	case OP_MIN:
		ok = v >= c->num;
		break;
	case OP_MAX:
		ok = v <= c->num;
		break;
	}
	if (c->fact == F_PRIVILEGE)
		snprintf(why, n, "privilege is %s (needs %s %s)",
			 nhir_priv_name((enum nhir_priv)v),
			 c->op == OP_MIN ? "at least" : "at most",
			 nhir_priv_name((enum nhir_priv)c->num));
	else
		snprintf(why, n, "%s is %" PRId64 " (needs %s %" PRId64 ")",
			 name, v, c->op == OP_MIN ? "at least" : "at most",
			 c->num);
	return ok;
}

size_t nhir_route_unknown(const struct nhir_route_facts *f,
			  const char **out, size_t max)
{
	size_t nr = 0;

	if (f->privilege_unknown && nr < max)
		out[nr++] = "privilege";
	if (f->verified < 0 && nr < max)
		out[nr++] = "verified";
	if (!f->environment[0] && nr < max)
		out[nr++] = "environment";
	return nr;
}

static bool fact_unknown(enum fact fact, const struct nhir_route_facts *f)
{
	switch (fact) {
	case F_PRIVILEGE: return f->privilege_unknown;
	case F_VERIFIED: return f->verified < 0;
	case F_ENVIRONMENT: return !f->environment[0];
	default: return false;
	}
}

/*
 * Automated remediation acts without a person: never on a fact nhir
 * does not know, whether the rule names it or not (privilege).  NULL
 * when r may act on f, else the unknown fact's name.
 */
static const char *unsafe_automation(const struct rule *r,
				     const struct nhir_route_facts *f)
{
	if (strcmp(r->outcome, "automated"))
		return NULL;
	if (f->privilege_unknown)
		return "privilege";
	for (size_t c = 0; c < r->cond_nr; c++)
		if (fact_unknown(r->conds[c].fact, f))
			return fact_names[r->conds[c].fact];
	return NULL;
}

bool nhir_route_decide(const struct nhir_route_policy *p,
		       const struct nhir_route_facts *f,
		       struct nhir_route_decision *d,
		       nhir_route_explain_cb cb, void *data)
{
	char why[256], all[1024];

	for (size_t i = 0; i < p->nr; i++) {
		const struct rule *r = &p->rules[i];
		bool ok = true;

		all[0] = 0;
		for (size_t c = 0; c < r->cond_nr; c++) {
			bool h = holds(&r->conds[c], f, why, sizeof(why));
			size_t used = strlen(all);

			if (!h) {
				ok = false;
				snprintf(all, sizeof(all), "%s", why);
				break;
			}
			snprintf(all + used, sizeof(all) - used, "%s%s",
				 used ? "; " : "", why);
		}
		if (!r->cond_nr)
			snprintf(all, sizeof(all), "no conditions");
		if (ok && unsafe_automation(r, f)) {
			ok = false;
			snprintf(all, sizeof(all), "%s is unknown: automated "
				 "remediation is never chosen on an unknown "
				 "fact", unsafe_automation(r, f));
		}
		if (cb)
			cb(r->name, r->line, ok, all, data);
		if (ok) {
			d->rule = r->name;
			d->outcome = r->outcome;
			d->to = r->to;
			d->line = r->line;
			return true;
		}
	}
	d->rule = NULL;
	d->outcome = "dedicated";
	d->to = "unrouted";
	d->line = 0;
	return false;
}

cJSON *nhir_route_facts_json(const struct nhir_route_facts *f)
{
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "kind", f->kind);
	cJSON_AddStringToObject(o, "detector", f->detector);
	cJSON_AddStringToObject(o, "environment", f->environment);
	cJSON_AddStringToObject(o, "verified", bool_text(f->verified));
	cJSON_AddStringToObject(o, "privilege", f->privilege_unknown
				? "unknown" : nhir_priv_name(f->privilege));
	if (f->privilege_unknown)
		cJSON_AddStringToObject(o, "privilege_at_least",
					nhir_priv_name(f->privilege));
	cJSON_AddNumberToObject(o, "unknown_identities",
				(double)f->unknown_identities);
	cJSON_AddNumberToObject(o, "live_tokens", (double)f->live_tokens);
	cJSON_AddNumberToObject(o, "identities", (double)f->identities);
	cJSON_AddNumberToObject(o, "workloads", (double)f->workloads);
	cJSON_AddNumberToObject(o, "prod_workloads", (double)f->prod_workloads);
	cJSON_AddNumberToObject(o, "grants", (double)f->grants);
	cJSON_AddNumberToObject(o, "persistence", (double)f->persistence);
	cJSON_AddNumberToObject(o, "lineage_tokens", (double)f->lineage_tokens);
	cJSON_AddNumberToObject(o, "lineage_created",
				(double)f->lineage_created);
	cJSON_AddNumberToObject(o, "ended", (double)f->ended);
	cJSON_AddBoolToObject(o, "agent_path", f->agent_path);
	cJSON_AddBoolToObject(o, "service_account", f->service_account);
	cJSON_AddBoolToObject(o, "matched", f->has_credential);
	a = cJSON_AddArrayToObject(o, "identity");
	for (size_t i = 0; a && i < f->identity_nr; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(f->identity[i]));
	return o;
}

static int collect_open(const struct nhir_finding *fd, void *data)
{
	struct nhir_findings_result *r = data;

	if (NHIR_ALLOC_GROW(r->ids, r->id_nr + 1, r->id_alloc))
		return 1;
	r->ids[r->id_nr++] = fd->id;
	return 0;
}

enum nhir_rc nhir_route_apply(const struct nhir_ctx *ctx,
			      const struct nhir_route_policy *p,
			      const int64_t *ids, size_t nr, size_t *changed,
			      struct nhir_err *err)
{
	struct nhir_store *st = ctx->st;
	struct nhir_findings_result all;
	enum nhir_rc rc = NHIR_OK;

	*changed = 0;
	memset(&all, 0, sizeof(all));
	rc = nhir_authorize_audited(ctx, NHIR_PERM_DATA, 0, "route", err);
	if (rc)
		return rc;
	if (!nr) {
		rc = nhir_finding_each(st, 0, false, collect_open, &all, err);
		if (rc) {
			nhir_findings_result_release(&all);
			return rc;
		}
		ids = all.ids;
		nr = all.id_nr;
	}
	for (size_t i = 0; !rc && i < nr; i++) {
		struct nhir_route_facts f;
		struct nhir_route_decision d;
		struct nhir_findings_route old;
		cJSON *detail;

		rc = nhir_route_facts(st, ids[i], &f, err);
		if (rc)
			break;
		nhir_route_decide(p, &f, &d, NULL, NULL);
		rc = ir_begin(ctx, NHIR_PERM_DATA, 0, "route", err);
		if (rc)
			break;
		rc = nhir_findings_store(st)->route_of(st, ids[i], &old, err);
		if (!rc && !strcmp(old.rule, d.rule ? d.rule : "") &&
		    !strcmp(old.outcome, d.outcome) && !strcmp(old.to, d.to)) {
			nhir_store_rollback(st);
			continue;
		}
		if (!rc)
			rc = nhir_findings_store(st)->route_set(st, ids[i], d.rule,
								d.outcome, d.to,
								err);
		detail = cJSON_CreateObject();
		if (detail) {
			cJSON_AddNumberToObject(detail, "finding", (double)ids[i]);
			if (d.rule)
				cJSON_AddStringToObject(detail, "rule", d.rule);
			cJSON_AddStringToObject(detail, "outcome", d.outcome);
			cJSON_AddStringToObject(detail, "to", d.to);
			cJSON_AddItemToObject(detail, "facts",
					      nhir_route_facts_json(&f));
		}
		rc = ir_end(ctx, rc, "route", 0, detail, err);
		if (!rc)
			(*changed)++;
	}
	nhir_findings_result_release(&all);
	return rc;
}
