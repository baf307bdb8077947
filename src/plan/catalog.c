/*
 * The action catalog (catalog/actions.yaml): what each containment and
 * recovery action does, parsed with the checks a hand-edited file needs.
 */
#include "compat.h"
#include <sys/stat.h>
#include "nhir/buf.h"
#include "nhir/plan.h"
#include "core/hash.h"
#include "core/yaml.h"

static const char *const phase_names[NHIR_PHASE_NR] = {
	"preserve", "notify", "rotate", "contain", "revoke", "cut", "recover",
	"verify",
};

static const char *const cut_names[NHIR_CUT_NR] = {
	NULL, "issued-before", "everything", "new-only",
};

const char *nhir_cut_name(enum nhir_cut c)
{
	return (unsigned)c < NHIR_CUT_NR ? cut_names[c] : NULL;
}

enum nhir_cut nhir_cut_parse(const char *s)
{
	for (int c = 1; s && c < NHIR_CUT_NR; c++)
		if (!strcmp(s, cut_names[c]))
			return (enum nhir_cut)c;
	return NHIR_CUT_NONE;
}

const char *nhir_phase_name(enum nhir_phase p)
{
	return (unsigned)p < NHIR_PHASE_NR ? phase_names[p] : "?";
}

/* One field of an entry's digest: its length, then its bytes. */
static void digest_str(struct nhir_sha256 *h, const char *s)
{
	char len[24];

	snprintf(len, sizeof(len), "%zu:", s ? strlen(s) : (size_t)0);
	nhir_sha256_update(h, len, strlen(len));
	if (s)
		nhir_sha256_update(h, s, strlen(s));
}

static void digest_int(struct nhir_sha256 *h, int64_t v)
{
	char x[32];

	snprintf(x, sizeof(x), "%" PRId64, v);
	digest_str(h, x);
}

bool nhir_action_digest(const struct nhir_action *a, char out[65])
{
	struct nhir_sha256 h;
	unsigned char md[32];

	out[0] = 0;
	if (!nhir_sha256_init(&h))
		return false;
	digest_str(&h, "nhir-action-v1");
	digest_str(&h, a->id);
	digest_str(&h, a->provider);
	digest_int(&h, a->kinds);
	digest_int(&h, (int64_t)a->subtype_nr);
	for (size_t i = 0; i < a->subtype_nr; i++)
		digest_str(&h, a->subtypes[i]);
	digest_int(&h, a->phase);
	digest_int(&h, a->cuts);
	digest_str(&h, a->kills);
	digest_str(&h, a->survives);
	digest_int(&h, a->kills_self);
	digest_int(&h, a->kills_children);
	digest_int(&h, a->reversible);
	digest_int(&h, a->destroys_evidence);
	digest_int(&h, a->privileged);
	digest_int(&h, a->delay);
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	nhir_hex32(md, out);
	return true;
}

bool nhir_catalog_digest(const struct nhir_catalog *c, char out[65])
{
	struct nhir_sha256 h;
	unsigned char md[32];
	char one[65];

	out[0] = 0;
	if (!nhir_sha256_init(&h))
		return false;
	for (size_t i = 0; i < c->nr; i++) {
		if (!nhir_action_digest(&c->v[i], one)) {
			nhir_sha256_release(&h);
			return false;
		}
		nhir_sha256_update(&h, one, 64);
	}
	nhir_sha256_final(&h, md);
	nhir_sha256_release(&h);
	nhir_hex32(md, out);
	return true;
}

void nhir_catalog_free(struct nhir_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr; i++) {
		struct nhir_action *a = &c->v[i];

		for (size_t k = 0; k < a->subtype_nr; k++)
			nhir_free(a->subtypes[k]);
		nhir_free(a->subtypes);
		nhir_free(a->id);
		nhir_free(a->provider);
		nhir_free(a->kills);
		nhir_free(a->survives);
	}
	nhir_free(c->v);
	nhir_free(c);
}

/* A scalar or a list of scalars, "; "-joined into *out. */
static enum nhir_rc text_list(struct nhir_yaml *y, const yaml_node_t *n,
			      const char *what, char **out, bool *self,
			      bool *children)
{
	struct nhir_buf b = NHIR_BUF_INIT(1 << 16);
	yaml_node_item_t *it;
	size_t nr;

	if (nhir_yaml_str(n)) {
		nhir_buf_adds(&b, nhir_yaml_str(n));
	} else if (nhir_yaml_is_seq(n)) {
		it = nhir_yaml_items(n, &nr);
		for (size_t i = 0; i < nr; i++) {
			const char *s = nhir_yaml_str(nhir_yaml_node(y, it[i]));

			if (!s) {
				nhir_buf_release(&b);
				return nhir_yaml_error(y, n, "%s: a list of "
						       "texts", what);
			}
			if (self && !strcmp(s, "self"))
				*self = true;
			if (children && !strcmp(s, "children"))
				*children = true;
			if (b.len)
				nhir_buf_adds(&b, "; ");
			nhir_buf_adds(&b, s);
		}
	} else {
		return nhir_yaml_error(y, n, "%s: a text or a list", what);
	}
	nhir_buf_addch(&b, 0);
	if (b.err) {
		nhir_buf_release(&b);
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	}
	*out = b.buf;
	return NHIR_OK;
}

static enum nhir_rc parse_applies(struct nhir_yaml *y, const yaml_node_t *n,
				  struct nhir_action *a)
{
	static const char *const keys[] = { "kind", "subtype", NULL };
	yaml_node_t *kind, *sub;
	yaml_node_item_t *it;
	size_t nr;
	enum nhir_rc rc = nhir_yaml_keys(y, n, "applies", keys);

	if (rc)
		return rc;
	kind = nhir_yaml_get(y, n, "kind");
	sub = nhir_yaml_get(y, n, "subtype");
	if (!kind)
		return nhir_yaml_error(y, n, "action '%s': applies needs kind",
				       a->id);
	if (nhir_yaml_str(kind)) {
		const char *s = nhir_yaml_str(kind);
		int k = strcmp(s, "any") ? (int)nhir_node_kind_parse(s) : 0;

		if (k <= 0 && strcmp(s, "any"))
			return nhir_yaml_error(y, kind, "action '%s': unknown "
					       "kind '%s'", a->id, s);
		a->kinds = k ? 1u << k : 0;
	} else {
		it = nhir_yaml_items(kind, &nr);
		for (size_t i = 0; i < nr; i++) {
			const char *s = nhir_yaml_str(nhir_yaml_node(y, it[i]));
			int k = s ? (int)nhir_node_kind_parse(s) : -1;

			if (k <= 0)
				return nhir_yaml_error(y, kind, "action '%s': "
						       "unknown kind '%s'",
						       a->id, s ? s : "?");
			a->kinds |= 1u << k;
		}
		if (!nr)
			return nhir_yaml_error(y, kind, "action '%s': kind is a "
					       "name or a list", a->id);
	}
	if (!sub)
		return NHIR_OK;
	it = nhir_yaml_items(sub, &nr);
	if (!nhir_yaml_is_seq(sub))
		return nhir_yaml_error(y, sub, "action '%s': subtype is a list",
				       a->id);
	a->subtypes = nhir_calloc(nr ? nr : 1, sizeof(*a->subtypes));
	if (!a->subtypes)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	for (size_t i = 0; i < nr; i++) {
		const char *s = nhir_yaml_str(nhir_yaml_node(y, it[i]));

		if (!s)
			return nhir_yaml_error(y, sub, "action '%s': subtypes "
					       "are names", a->id);
		a->subtypes[a->subtype_nr] = nhir_strdup(s);
		if (!a->subtypes[a->subtype_nr++])
			return nhir_err_set(y->err, NHIR_ENOMEM,
					    "out of memory");
	}
	return NHIR_OK;
}

static enum nhir_rc parse_action(struct nhir_yaml *y, const yaml_node_t *n,
				 struct nhir_action *a)
{
	static const char *const keys[] = {
		"id", "provider", "applies", "phase", "cuts", "kills",
		"survives", "reversible", "evidence", "privileged", "delay",
		NULL,
	};
	static const char *const flags[] = { "reversible", "evidence",
					     "privileged" };
	bool *dst[] = { &a->reversible, &a->destroys_evidence,
			&a->privileged };
	const char *id, *ph;
	enum nhir_rc rc;
	int p;

	a->line = nhir_yaml_line(n);
	rc = nhir_yaml_keys(y, n, "an action", keys);
	if (rc)
		return rc;
	id = nhir_yaml_str(nhir_yaml_get(y, n, "id"));
	if (!id || !*id)
		return nhir_yaml_error(y, n, "an action needs an id");
	a->id = nhir_strdup(id);
	a->provider = nhir_strdup(nhir_yaml_str(nhir_yaml_get(y, n, "provider"))
				  ? nhir_yaml_str(nhir_yaml_get(y, n, "provider"))
				  : "any");
	if (!a->id || !a->provider)
		return nhir_err_set(y->err, NHIR_ENOMEM, "out of memory");
	ph = nhir_yaml_str(nhir_yaml_get(y, n, "phase"));
	for (p = 0; ph && p < NHIR_PHASE_NR; p++)
		if (!strcmp(ph, phase_names[p]))
			break;
	if (!ph || p == NHIR_PHASE_NR)
		return nhir_yaml_error(y, nhir_yaml_get(y, n, "phase")
					      ? nhir_yaml_get(y, n, "phase") : n,
				       "action '%s': phase is one of preserve, "
				       "notify, rotate, contain, revoke, cut, "
				       "recover, verify", id);
	a->phase = (enum nhir_phase)p;
	/* a cut says what it cuts; nothing else does */
	a->cuts = nhir_cut_parse(nhir_yaml_str(nhir_yaml_get(y, n, "cuts")));
	if (a->phase == NHIR_PHASE_CUT && !a->cuts)
		return nhir_yaml_error(y, nhir_yaml_get(y, n, "cuts")
					      ? nhir_yaml_get(y, n, "cuts") : n,
				       "action '%s': a cut needs cuts: "
				       "issued-before, everything or new-only",
				       id);
	if (a->phase != NHIR_PHASE_CUT && nhir_yaml_get(y, n, "cuts"))
		return nhir_yaml_error(y, nhir_yaml_get(y, n, "cuts"),
				       "action '%s': only a cut has cuts", id);
	if (!nhir_yaml_get(y, n, "applies"))
		return nhir_yaml_error(y, n, "action '%s' needs applies", id);
	rc = parse_applies(y, nhir_yaml_get(y, n, "applies"), a);
	if (rc)
		return rc;
	for (size_t i = 0; i < NHIR_ARRAY_SIZE(flags); i++) {
		yaml_node_t *v = nhir_yaml_get(y, n, flags[i]);

		if (!v || !nhir_yaml_bool(v, dst[i]))
			return nhir_yaml_error(y, v ? v : n, "action '%s': %s "
					       "must be true or false", id,
					       flags[i]);
	}
	if (!nhir_yaml_get(y, n, "delay") ||
	    !nhir_yaml_int(nhir_yaml_get(y, n, "delay"), &a->delay))
		return nhir_yaml_error(y, nhir_yaml_get(y, n, "delay")
					      ? nhir_yaml_get(y, n, "delay") : n,
				       "action '%s': delay is seconds", id);
	rc = text_list(y, nhir_yaml_get(y, n, "kills"), "kills", &a->kills,
		       &a->kills_self, &a->kills_children);
	if (!rc)
		rc = text_list(y, nhir_yaml_get(y, n, "survives"), "survives",
			       &a->survives, NULL, NULL);
	return rc;
}

/* The catalog in a loaded document; y is freed. */
static enum nhir_rc from_doc(struct nhir_yaml *y, struct nhir_catalog **out,
			     struct nhir_err *err)
{
	static const char *const keys[] = { "version", "actions", NULL };
	struct nhir_catalog *c = nhir_calloc(1, sizeof(*c));
	yaml_node_t *root = nhir_yaml_root(y), *acts = NULL;
	yaml_node_item_t *it = NULL;
	size_t nr = 0;
	enum nhir_rc rc;

	if (!c) {
		nhir_yaml_free(y);
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	rc = nhir_yaml_keys(y, root, "the catalog", keys);
	if (!rc && (!nhir_yaml_str(nhir_yaml_get(y, root, "version")) ||
		    strcmp(nhir_yaml_str(nhir_yaml_get(y, root, "version")),
			   "1")))
		rc = nhir_yaml_error(y, root, "version must be 1");
	if (!rc) {
		acts = nhir_yaml_get(y, root, "actions");
		if (!nhir_yaml_is_seq(acts))
			rc = nhir_yaml_error(y, acts ? acts : root,
					     "actions must be a list");
		else
			it = nhir_yaml_items(acts, &nr);
	}
	for (size_t i = 0; !rc && i < nr; i++) {
		struct nhir_action *a;

		if (NHIR_ALLOC_GROW(c->v, c->nr + 1, c->alloc)) {
			rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
			break;
		}
		a = &c->v[c->nr++];
		memset(a, 0, sizeof(*a));
		rc = parse_action(y, nhir_yaml_node(y, it[i]), a);
		for (size_t j = 0; !rc && j + 1 < c->nr; j++)
			if (!strcmp(c->v[j].id, a->id))
				rc = nhir_yaml_error(y, nhir_yaml_node(y, it[i]),
						     "action '%s' is defined "
						     "twice", a->id);
	}
	nhir_yaml_free(y);
	if (rc) {
		nhir_catalog_free(c);
		return rc;
	}
	*out = c;
	return NHIR_OK;
}

enum nhir_rc nhir_catalog_parse(const char *data, size_t len,
				const char *name, struct nhir_catalog **out,
				struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc = nhir_yaml_load(&y, data, len, name, err);

	*out = NULL;
	return rc ? rc : from_doc(&y, out, err);
}

enum nhir_rc nhir_catalog_load(const char *path, struct nhir_catalog **out,
			       struct nhir_err *err)
{
	struct nhir_yaml y;
	enum nhir_rc rc = nhir_yaml_load_file(&y, path, err);

	*out = NULL;
	return rc ? rc : from_doc(&y, out, err);
}

const struct nhir_action *nhir_catalog_find(const struct nhir_catalog *c,
					    const char *id)
{
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->v[i].id, id))
			return &c->v[i];
	return NULL;
}

const struct nhir_action *nhir_catalog_pick(const struct nhir_catalog *c,
					    enum nhir_node_kind kind,
					    const char *subtype,
					    enum nhir_phase phase)
{
	const struct nhir_action *any = NULL;

	for (size_t i = 0; i < c->nr; i++) {
		const struct nhir_action *a = &c->v[i];

		if (a->phase != phase || (a->kinds && !(a->kinds & (1u << kind))))
			continue;
		if (!a->subtype_nr) {
			if (!any)
				any = a;
			continue;
		}
		for (size_t k = 0; subtype && k < a->subtype_nr; k++)
			if (!strcmp(a->subtypes[k], subtype))
				return a;
	}
	return any;
}
