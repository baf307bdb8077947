/*
 * The timeline document (doc/formats/documents.md#timeline): the events
 * of a set of keys, in order, each with the file and byte it came from.
 */
#include "compat.h"
#include "doc/doc-internal.h"
#include "nhir/event.h"
#include "nhir/model.h"

struct tl {
	struct doc *d;
	struct nhir_store *st;
	cJSON *arr;
	/* the path of the last file looked up */
	int64_t file;
	char *path;
};

/* The path of file ("file #N" when the store lost it), borrowed. */
static const char *path_of(struct tl *t, int64_t file)
{
	char buf[32], *p;

	if (file == t->file && t->path)
		return t->path;
	p = nhir_store_file_path(t->st, file);
	if (!p) {
		snprintf(buf, sizeof(buf), "file #%" PRId64, file);
		p = nhir_strdup(buf);
		if (!p)
			return "?";
	}
	nhir_free(t->path);
	t->path = p;
	t->file = file;
	return p;
}

static int event_cb(const struct nhir_event *e, void *data)
{
	struct tl *t = data;
	struct doc *d = t->d;
	cJSON *o = doc_obj(d, t->arr, NULL);
	char when[40];

	nhir_time_format(e->time, when, sizeof(when));
	doc_str(d, o, "time", when);
	doc_str(d, o, "key", e->actor_key);
	doc_str(d, o, "identity", e->identity);
	doc_str(d, o, "action", e->action);
	doc_str(d, o, "target", e->target);
	doc_str(d, o, "outcome", e->outcome);
	doc_str(d, o, "ip", e->src_ip);
	doc_str(d, o, "user_agent", e->user_agent);
	doc_u64(d, o, "flags", e->flags);
	doc_num(d, o, "file", e->file);
	doc_str(d, o, "path", path_of(t, e->file));
	doc_u64(d, o, "offset", e->offset);
	return d->oom;
}

enum nhir_rc nhir_doc_timeline(struct nhir_store *st,
			       const struct nhir_event_query *q, cJSON **out,
			       struct nhir_err *err)
{
	struct doc d;
	struct tl t = { &d, st, NULL, 0, NULL };
	enum nhir_rc rc = NHIR_OK;

	*out = NULL;
	if (!doc_init(&d))
		return doc_finish(&d, out, err);
	doc_u64(&d, d.root, "keys", q->key_nr);
	t.arr = doc_arr(&d, d.root, "events");
	if (q->key_nr && !d.oom)
		rc = nhir_store_events(st, q, event_cb, &t, err);
	nhir_free(t.path);
	if (rc)
		return doc_fail(&d, rc);
	return doc_finish(&d, out, err);
}
