/*
 * Webhooks: one thread per server reads the audit log for the events
 * the configured hooks want (the library queues each as a delivery in
 * the database), POSTs what is due, signed, and records each attempt:
 * delivered on a 2xx, else again after a doubling wait, until the hook's
 * attempts run out.  A delivery survives a restart; a hook's cursor
 * says where in the log it stopped.
 *
 * The hooks' URLs and secrets are read when the configuration is
 * (start and SIGHUP) and held here only; the log names a hook, never
 * its address.
 */
#include "compat.h"
#include <pthread.h>
#include <sodium.h>
#include <time.h>
#include "nhir/version.h"
#include "nhir/webhook.h"
#include "server/server-internal.h"

#define HOOK_TIMEOUT 10L	/* seconds a receiver has to answer */
#define HOOK_POLL_MS 200	/* how often the thread looks, at most */
#define HOOK_DUE_BATCH 16	/* deliveries sent between two looks */
#define HOOK_COUNTED 64		/* hooks /metrics tells apart */

/* One configuration's hooks with what their files hold. */
struct srv_hookset {
	struct nhir_webhooks cfg;
	struct nhir_webhook_keys keys[NHIR_WEBHOOKS_MAX];
};

struct srv_hooks {
	struct srv *srv;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct srv_hookset *set;	/* the thread's */
	struct srv_hookset *next;	/* a reload's, for the thread to take */
	bool stop, started;
	pthread_t thread;
	int64_t base_ms;		/* the first wait before a retry */
	struct {
		char name[NHIR_WEBHOOK_NAME_MAX];
		unsigned long ok, failed;
	} counts[HOOK_COUNTED];
	size_t counts_nr;
};

/* A due delivery, copied out of the store. */
struct due {
	struct nhir_delivery d;
	char *hook, *event, *body;
};

struct due_list {
	struct due v[HOOK_DUE_BATCH];
	size_t nr;
	bool oom;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void srv_hookset_free(struct srv_hookset *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < NHIR_WEBHOOKS_MAX; i++)
		nhir_webhook_keys_wipe(&h->keys[i]);
	free(h);
}

struct srv_hookset *srv_hookset_new(struct srv *s,
				    const struct nhir_webhooks *cfg,
				    struct nhir_err *err)
{
	struct srv_hookset *h = calloc(1, sizeof(*h));
	struct nhir_store *st;
	enum nhir_rc rc = NHIR_OK;

	if (!h) {
		nhir_err_set(err, NHIR_ENOMEM, "out of memory");
		return NULL;
	}
	if (cfg)
		h->cfg = *cfg;
	for (size_t i = 0; !rc && i < h->cfg.nr; i++)
		rc = nhir_webhook_keys_read(&h->cfg.v[i], &h->keys[i], err);
	/* each new hook is told what happens from now on: its cursor now */
	if (!rc && h->cfg.nr) {
		st = srv_store(s, err);
		rc = st ? nhir_webhook_cursors_init(st, &h->cfg, err)
			: NHIR_ESTORE;
		srv_store_put(s, st);
	}
	if (rc) {
		srv_hookset_free(h);
		return NULL;
	}
	return h;
}

size_t srv_hookset_nr(const struct srv_hookset *h)
{
	return h ? h->cfg.nr : 0;
}

static void count(struct srv_hooks *hs, const char *name, bool ok)
{
	size_t i;

	pthread_mutex_lock(&hs->lock);
	for (i = 0; i < hs->counts_nr; i++)
		if (!strcmp(hs->counts[i].name, name))
			break;
	if (i == hs->counts_nr && i < HOOK_COUNTED) {
		snprintf(hs->counts[i].name, sizeof(hs->counts[i].name), "%s",
			 name);
		hs->counts_nr++;
	}
	if (i < hs->counts_nr) {
		if (ok)
			hs->counts[i].ok++;
		else
			hs->counts[i].failed++;
	}
	pthread_mutex_unlock(&hs->lock);
}

void srv_hooks_metrics(struct srv_hooks *hs, struct nhir_buf *b)
{
	if (!hs)
		return;
	nhir_buf_addf(b, "# HELP nhir_webhook_attempts_total Webhook "
		      "delivery attempts, by hook and result.\n# TYPE "
		      "nhir_webhook_attempts_total counter\n");
	pthread_mutex_lock(&hs->lock);
	/* hook names are letters, digits, '.', '_' and '-': no escaping */
	for (size_t i = 0; i < hs->counts_nr; i++)
		nhir_buf_addf(b, "nhir_webhook_attempts_total{hook=\"%s\","
			      "result=\"ok\"} %lu\n"
			      "nhir_webhook_attempts_total{hook=\"%s\","
			      "result=\"failed\"} %lu\n", hs->counts[i].name,
			      hs->counts[i].ok, hs->counts[i].name,
			      hs->counts[i].failed);
	pthread_mutex_unlock(&hs->lock);
}

static int due_cb(const struct nhir_delivery *d, void *data)
{
	struct due_list *l = data;
	struct due *u;

	if (l->nr == HOOK_DUE_BATCH)
		return 1;
	u = &l->v[l->nr];
	u->d = *d;
	u->hook = strdup(d->hook ? d->hook : "");
	u->event = strdup(d->event ? d->event : "");
	u->body = strdup(d->body ? d->body : "");
	if (!u->hook || !u->event || !u->body) {
		free(u->hook);
		free(u->event);
		free(u->body);
		l->oom = true;
		return 1;
	}
	u->d.hook = u->hook;
	u->d.event = u->event;
	u->d.body = u->body;
	l->nr++;
	return 0;
}

/* POSTs delivery u to hook k: true on a 2xx; why into why otherwise. */
static bool send_one(const struct due *u, const struct nhir_webhook_keys *k,
		     long *status, char *why, size_t n)
{
	struct nhir_err err = NHIR_ERR_INIT;
	char sig[NHIR_WEBHOOK_SIG_SIZE], h_sig[128], h_id[64], h_ev[96];
	char h_ua[64];
	const char *hdrs[4] = { h_sig, h_id, h_ev, h_ua };
	size_t len = strlen(u->body);

	nhir_webhook_sign(k->secret, k->secret_len, (int64_t)time(NULL),
			  u->body, len, sig);
	snprintf(h_sig, sizeof(h_sig), "X-Nhir-Signature: %s", sig);
	snprintf(h_id, sizeof(h_id), "X-Nhir-Delivery: %" PRId64, u->d.id);
	snprintf(h_ev, sizeof(h_ev), "X-Nhir-Event: %s", u->event);
	snprintf(h_ua, sizeof(h_ua), "User-Agent: nhir/%s", NHIR_VERSION);
	why[0] = '\0';
	if (nhir_http_post(k->url, hdrs, NHIR_ARRAY_SIZE(hdrs), u->body, len,
			   HOOK_TIMEOUT, status, &err)) {
		snprintf(why, n, "%s", err.msg);
		return false;
	}
	if (*status >= 200 && *status < 300)
		return true;
	snprintf(why, n, "the receiver answered HTTP %ld", *status);
	return false;
}

/* Sends what is due now to the hooks of set. */
static void send_due(struct srv_hooks *hs, const struct srv_hookset *set)
{
	struct nhir_err err = NHIR_ERR_INIT;
	struct due_list l;
	struct nhir_store *st;

	memset(&l, 0, sizeof(l));
	st = srv_store(hs->srv, &err);
	if (!st || nhir_webhook_due(st, now_ms(), HOOK_DUE_BATCH, due_cb, &l,
				    &err))
		srv_log("webhooks: %s", err.msg);
	srv_store_put(hs->srv, st);
	for (size_t i = 0; i < l.nr; i++) {
		const struct due *u = &l.v[i];
		const struct nhir_webhook *h = NULL;
		enum nhir_delivery_state state;
		char why[300];
		long status = 0;
		size_t k;
		bool ok = false, stopping;
		int max = 1;

		for (k = 0; k < set->cfg.nr; k++)
			if (!strcmp(set->cfg.v[k].name, u->hook)) {
				h = &set->cfg.v[k];
				break;
			}
		pthread_mutex_lock(&hs->lock);
		stopping = hs->stop;
		pthread_mutex_unlock(&hs->lock);
		if (stopping)
			break;	/* the rest waits for the next start */
		if (h) {
			ok = send_one(u, &set->keys[k], &status, why,
				      sizeof(why));
			max = h->attempts;
			count(hs, h->name, ok);
		} else {
			snprintf(why, sizeof(why), "hook '%s' is no longer "
				 "configured", u->hook);
		}
		err = (struct nhir_err)NHIR_ERR_INIT;
		st = srv_store(hs->srv, &err);
		if (!st || nhir_webhook_attempted(st, &u->d, ok, status, why,
						  now_ms(), hs->base_ms, max,
						  &state, &err)) {
			srv_log("webhooks: delivery %" PRId64 ": %s", u->d.id,
				err.msg);
			srv_store_put(hs->srv, st);
			continue;
		}
		srv_store_put(hs->srv, st);
		srv_log("webhook %s: delivery %" PRId64 " (%s, entry %" PRId64
			") attempt %d: %s%s%s", u->hook, u->d.id, u->event,
			u->d.seq, u->d.attempts + 1,
			nhir_delivery_state_name(state), ok ? "" : ": ",
			ok ? "" : why);
	}
	for (size_t i = 0; i < l.nr; i++) {
		free(l.v[i].hook);
		free(l.v[i].event);
		free(l.v[i].body);
	}
}

static void *run(void *arg)
{
	struct srv_hooks *hs = arg;
	int64_t seen = -1;	/* the log's newest entry scanned */
	long poll = hs->base_ms < HOOK_POLL_MS ? (long)hs->base_ms
					       : HOOK_POLL_MS;

	for (;;) {
		struct nhir_err err = NHIR_ERR_INIT;
		struct srv_hookset *old = NULL;
		struct nhir_store *st;
		struct timespec ts;
		int64_t newest = 0;
		size_t queued = 0;

		pthread_mutex_lock(&hs->lock);
		if (hs->stop) {
			pthread_mutex_unlock(&hs->lock);
			break;
		}
		if (hs->next) {
			old = hs->set;
			hs->set = hs->next;
			hs->next = NULL;
			seen = -1;
		}
		pthread_mutex_unlock(&hs->lock);
		srv_hookset_free(old);
		if (hs->set && hs->set->cfg.nr) {
			st = srv_store(hs->srv, &err);
			if (st && !nhir_audit_newest(st, &newest, &err) &&
			    newest != seen &&
			    !nhir_webhook_scan(st, &hs->set->cfg, 0, &queued,
					       &err))
				seen = newest;
			if (err.rc)
				srv_log("webhooks: %s", err.msg);
			srv_store_put(hs->srv, st);
			send_due(hs, hs->set);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += poll * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&hs->lock);
		if (!hs->stop && !hs->next)
			pthread_cond_timedwait(&hs->wake, &hs->lock, &ts);
		pthread_mutex_unlock(&hs->lock);
	}
	return NULL;
}

struct srv_hooks *srv_hooks_start(struct srv *s, struct srv_hookset *set,
				  int64_t base_ms)
{
	struct srv_hooks *hs = calloc(1, sizeof(*hs));

	if (!hs) {
		srv_hookset_free(set);
		return NULL;
	}
	hs->srv = s;
	hs->set = set;
	hs->base_ms = base_ms > 0 ? base_ms : NHIR_WEBHOOK_BACKOFF_MS;
	pthread_mutex_init(&hs->lock, NULL);
	pthread_cond_init(&hs->wake, NULL);
	if (pthread_create(&hs->thread, NULL, run, hs)) {
		pthread_cond_destroy(&hs->wake);
		pthread_mutex_destroy(&hs->lock);
		srv_hookset_free(set);
		free(hs);
		return NULL;
	}
	hs->started = true;
	return hs;
}

void srv_hooks_swap(struct srv_hooks *hs, struct srv_hookset *set)
{
	struct srv_hookset *old;

	if (!hs) {
		srv_hookset_free(set);
		return;
	}
	pthread_mutex_lock(&hs->lock);
	old = hs->next;
	hs->next = set;
	pthread_cond_signal(&hs->wake);
	pthread_mutex_unlock(&hs->lock);
	srv_hookset_free(old);
}

void srv_hooks_stop(struct srv_hooks *hs)
{
	if (!hs)
		return;
	pthread_mutex_lock(&hs->lock);
	hs->stop = true;
	pthread_cond_signal(&hs->wake);
	pthread_mutex_unlock(&hs->lock);
	if (hs->started)
		pthread_join(hs->thread, NULL);
	srv_hookset_free(hs->set);
	srv_hookset_free(hs->next);
	pthread_cond_destroy(&hs->wake);
	pthread_mutex_destroy(&hs->lock);
	free(hs);
}
