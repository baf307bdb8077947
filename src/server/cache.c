/*
 * Answers kept: a read whose answer is a function of its parameters and
 * of a version the store gives (the data's, or the graph's tag) is
 * built once and then sent again from memory until the version moves.
 *
 * The version is read before anything the answer is built from, in the
 * same snapshot: an answer is never kept under a version newer than
 * the data it was built from.  Every commit moves it, whichever process
 * makes it, so a kept answer is one the request would have been given
 * anyway.  A key holds one answer, the newest built; the cache holds at
 * most SRV_CACHE_ENTRIES answers and SRV_CACHE_BYTES bytes of bodies,
 * the least recently used going first.
 *
 * The kept answer is a whole libmicrohttpd response, headers and all,
 * queued again for every request it answers (libmicrohttpd counts its
 * users); only a plain 200 with no header of its own request is kept
 * or sent from here.
 */
#include "compat.h"
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include "nhir/token.h"
#include "server/server-internal.h"

/*
 * A token found good for reading at a data version: its keyed hash
 * (the key made at start, in memory only: no token value is kept), and
 * what the check gave.
 */
struct reader {
	unsigned char hash[32];
	bool set;
	uint64_t ver;
	int64_t id;
	char user[128];
	int64_t expires;	/* NHIR_TIME_UNSET: never */
	int64_t last_used;
	uint64_t used;
};

struct entry {
	uint64_t hash;		/* of the key; 0: an empty slot */
	char *key;
	size_t klen;
	uint64_t ver[SRV_CACHE_VER];
	struct MHD_Response *res;
	char etag[NHIR_ETAG_LEN];
	size_t size;
	uint64_t used;		/* the cache's clock at its last use */
};

struct srv_cache {
	pthread_mutex_t lock;
	struct entry v[SRV_CACHE_ENTRIES];
	size_t bytes;
	uint64_t clock;
	atomic_ulong hits, misses;
	unsigned char key[crypto_generichash_KEYBYTES];
	struct reader readers[SRV_CACHE_READERS];
	atomic_ulong reader_hits;
};

static uint64_t fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	return h ? h : 1;
}

struct srv_cache *srv_cache_new(void)
{
	struct srv_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (sodium_init() < 0) {
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	randombytes_buf(c->key, sizeof(c->key));
	return c;
}

static void drop(struct srv_cache *c, struct entry *e)
{
	if (e->res)
		MHD_destroy_response(e->res);
	free(e->key);
	c->bytes -= e->size;
	memset(e, 0, sizeof(*e));
}

void srv_cache_free(struct srv_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SRV_CACHE_ENTRIES; i++)
		if (c->v[i].hash)
			drop(c, &c->v[i]);
	pthread_mutex_destroy(&c->lock);
	sodium_memzero(c, sizeof(*c));
	free(c);
}

static void token_hash(const struct srv_cache *c, const char *value,
		       unsigned char h[32])
{
	crypto_generichash(h, 32, (const unsigned char *)value, strlen(value),
			   c->key, sizeof(c->key));
}

bool srv_reader_known(struct srv_cache *c, struct srv_req *r,
		      const char *value, uint64_t ver, int64_t now)
{
	unsigned char h[32];
	bool hit = false;

	if (!c)
		return false;
	token_hash(c, value, h);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < SRV_CACHE_READERS; i++) {
		struct reader *e = &c->readers[i];

		if (!e->set || sodium_memcmp(e->hash, h, sizeof(h)))
			continue;
		/*
		 * The same data: the token, its user and their role as they
		 * were.  Time alone ends it, and its last use is to be
		 * recorded again: the library's check does both.
		 */
		hit = e->ver == ver &&
		      (e->expires == NHIR_TIME_UNSET || now < e->expires) &&
		      e->last_used != NHIR_TIME_UNSET && now >= e->last_used &&
		      now - e->last_used < NHIR_TOKEN_USE_GRAIN;
		if (hit) {
			e->used = ++c->clock;
			snprintf(r->user, sizeof(r->user), "%s", e->user);
			r->token = e->id;
		}
		break;
	}
	pthread_mutex_unlock(&c->lock);
	if (hit)
		atomic_fetch_add(&c->reader_hits, 1);
	return hit;
}

void srv_reader_keep(struct srv_cache *c, const char *value, uint64_t ver,
		     const struct nhir_token *t)
{
	unsigned char h[32];
	struct reader *e = NULL, *lru = NULL;

	if (!c)
		return;
	token_hash(c, value, h);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < SRV_CACHE_READERS; i++) {
		struct reader *x = &c->readers[i];

		if (x->set && !sodium_memcmp(x->hash, h, sizeof(h))) {
			e = x;
			break;
		}
		if (!x->set && !e)
			e = x;
		if (x->set && (!lru || x->used < lru->used))
			lru = x;
	}
	if (!e)
		e = lru;
	memcpy(e->hash, h, sizeof(h));
	e->set = true;
	e->ver = ver;
	e->id = t->id;
	snprintf(e->user, sizeof(e->user), "%s", t->user);
	e->expires = t->expires;
	e->last_used = t->last_used;
	e->used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
}

static struct entry *find(struct srv_cache *c, const struct srv_cache_key *k,
			  uint64_t h)
{
	for (size_t i = 0; i < SRV_CACHE_ENTRIES; i++) {
		struct entry *e = &c->v[i];

		if (e->hash == h && e->klen == k->len &&
		    !memcmp(e->key, k->key, k->len))
			return e;
	}
	return NULL;
}

/* May r be answered by, or give, a response shared with others? */
static bool plain(const struct srv_req *r)
{
	return !r->set_cookie[0] && !r->set_cookie2[0] && !r->redirect &&
	       !r->too_big && !r->close && !r->hold && !r->location[0] &&
	       !srv_stopping(r->srv);
}

bool srv_cache_reply(struct srv_cache *c, struct srv_req *r,
		     const struct srv_cache_key *k, enum MHD_Result *ok)
{
	uint64_t h = fnv(k->key, k->len);
	struct entry *e;

	if (!c || !plain(r))
		return false;
	pthread_mutex_lock(&c->lock);
	e = find(c, k, h);
	if (!e || memcmp(e->ver, k->ver, sizeof(e->ver))) {
		pthread_mutex_unlock(&c->lock);
		atomic_fetch_add(&c->misses, 1);
		return false;
	}
	e->used = ++c->clock;
	memcpy(r->etag, e->etag, sizeof(r->etag));
	/* queued while held: an eviction cannot free it first */
	*ok = srv_queue_shared(r, 200, e->res);
	pthread_mutex_unlock(&c->lock);
	atomic_fetch_add(&c->hits, 1);
	return true;
}

enum MHD_Result srv_cache_put(struct srv_cache *c, struct srv_req *r,
			      const struct srv_cache_key *k, const char *body,
			      size_t len)
{
	uint64_t h = fnv(k->key, k->len);
	struct MHD_Response *res;
	struct entry *e, *lru = NULL;
	char *key;
	enum MHD_Result ok;

	if (!c || !plain(r) || len > SRV_CACHE_BYTES / 8)
		return srv_respond(r, 200, "application/json", body, len);
	res = MHD_create_response_from_buffer(len, (void *)body,
					      MHD_RESPMEM_MUST_COPY);
	key = malloc(k->len ? k->len : 1);
	if (!res || !key) {
		if (res)
			MHD_destroy_response(res);
		free(key);
		return srv_respond(r, 200, "application/json", body, len);
	}
	memcpy(key, k->key, k->len);
	srv_headers(r, 200, "application/json", res);
	pthread_mutex_lock(&c->lock);
	e = find(c, k, h);
	if (e)
		drop(c, e);
	/* room: an empty slot, else the least recently used */
	for (size_t i = 0; !e && i < SRV_CACHE_ENTRIES; i++)
		if (!c->v[i].hash)
			e = &c->v[i];
		else if (!lru || c->v[i].used < lru->used)
			lru = &c->v[i];
	if (!e) {
		e = lru;
		drop(c, e);
	}
	while (c->bytes + len > SRV_CACHE_BYTES) {
		lru = NULL;
		for (size_t i = 0; i < SRV_CACHE_ENTRIES; i++)
			if (c->v[i].hash && (!lru || c->v[i].used < lru->used))
				lru = &c->v[i];
		if (!lru)
			break;
		drop(c, lru);
	}
	e->hash = h;
	e->key = key;
	e->klen = k->len;
	memcpy(e->ver, k->ver, sizeof(e->ver));
	e->res = res;
	memcpy(e->etag, r->etag, sizeof(e->etag));
	e->size = len;
	e->used = ++c->clock;
	c->bytes += len;
	ok = srv_queue_shared(r, 200, res);
	pthread_mutex_unlock(&c->lock);
	return ok;
}

void srv_cache_metrics(struct srv_cache *c, struct nhir_buf *b)
{
	size_t nr = 0, bytes;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < SRV_CACHE_ENTRIES; i++)
		nr += c->v[i].hash != 0;
	bytes = c->bytes;
	pthread_mutex_unlock(&c->lock);
	nhir_buf_addf(b, "# HELP nhir_answer_cache_total Reads answered from "
		      "answers kept (hit) or built (miss).\n"
		      "# TYPE nhir_answer_cache_total counter\n"
		      "nhir_answer_cache_total{result=\"hit\"} %lu\n"
		      "nhir_answer_cache_total{result=\"miss\"} %lu\n"
		      "# HELP nhir_answer_cache_entries Answers kept.\n"
		      "# TYPE nhir_answer_cache_entries gauge\n"
		      "nhir_answer_cache_entries %zu\n"
		      "# HELP nhir_answer_cache_bytes Bytes of the answers "
		      "kept.\n# TYPE nhir_answer_cache_bytes gauge\n"
		      "nhir_answer_cache_bytes %zu\n"
		      "# HELP nhir_token_checks_kept_total Reads whose token "
		      "was known good for the data as it is.\n"
		      "# TYPE nhir_token_checks_kept_total counter\n"
		      "nhir_token_checks_kept_total %lu\n",
		      atomic_load(&c->hits), atomic_load(&c->misses), nr,
		      bytes, atomic_load(&c->reader_hits));
}
