/*
 * Ingest needs a file's SHA-256 before it reads the file (a file
 * ingested before is skipped whole), and taking it on the thread that
 * stores the events held that thread up by a pass over every byte,
 * while the parsing thread had time to spare.  So while a file of a
 * directory is ingested, the next one is hashed on a thread of its own
 * (telemetry.c, ingest_path).  One file at a time; a file posted and
 * never asked for (a directory, a file rejected before its hash) is
 * dropped at the next post.
 */
#include "compat.h"
#include <pthread.h>
#include "core/hash.h"
#include "ingest/prehash.h"

#define CHUNK (1u << 20)

struct nhir_prehash {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *path;		/* posted; NULL: none */
	bool busy;		/* being hashed */
	bool done;		/* hashed: the results below */
	bool quit;
	char hex[65];
	uint64_t size;
	enum nhir_rc rc;
	struct nhir_err err;
};

enum nhir_rc nhir_file_sha(const char *path, char hex[65], uint64_t *size,
			   struct nhir_err *err)
{
	struct nhir_sha256 h = { NULL };
	unsigned char out[32];
	char *chunk = nhir_malloc(CHUNK);
	FILE *f = fopen(path, "rb");
	size_t n;

	*size = 0;
	if (!chunk || !f || !nhir_sha256_init(&h)) {
		if (f)
			fclose(f);
		nhir_free(chunk);
		nhir_sha256_release(&h);
		return f ? nhir_err_set(err, NHIR_ENOMEM, "out of memory")
			 : nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s",
					path, strerror(errno));
	}
	while ((n = fread(chunk, 1, CHUNK, f)) > 0) {
		nhir_sha256_update(&h, chunk, n);
		*size += n;
	}
	if (ferror(f)) {
		fclose(f);
		nhir_free(chunk);
		nhir_sha256_release(&h);
		return nhir_err_set(err, NHIR_EIO, "cannot read '%s': %s",
				    path, strerror(errno));
	}
	fclose(f);
	nhir_free(chunk);
	nhir_sha256_final(&h, out);
	nhir_sha256_release(&h);
	nhir_hex32(out, hex);
	return NHIR_OK;
}

static void *hasher(void *arg)
{
	struct nhir_prehash *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && (!p->path || p->done))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->quit)
			break;
		p->busy = true;
		pthread_mutex_unlock(&p->mu);
		/* p->path is not changed while busy */
		p->err = (struct nhir_err)NHIR_ERR_INIT;
		p->rc = nhir_file_sha(p->path, p->hex, &p->size, &p->err);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		p->done = true;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static struct nhir_prehash *start(void)
{
	struct nhir_prehash *p = nhir_calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	if (pthread_create(&p->th, NULL, hasher, p)) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		nhir_free(p);
		return NULL;
	}
	return p;
}

void nhir_prehash_post(struct nhir_prehash **pp, const char *path)
{
	struct nhir_prehash *p = *pp ? *pp : (*pp = start());
	char *copy;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	if (!p->busy && (!p->path || p->done)) {
		copy = nhir_strdup(path);
		if (copy) {
			nhir_free(p->path);	/* never asked for */
			p->path = copy;
			p->done = false;
			pthread_cond_broadcast(&p->cv);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

enum nhir_rc nhir_prehash_take(struct nhir_prehash *p, const char *path,
			       char hex[65], uint64_t *size,
			       struct nhir_err *err)
{
	enum nhir_rc rc;

	if (!p)
		return nhir_file_sha(path, hex, size, err);
	pthread_mutex_lock(&p->mu);
	if (!p->path || strcmp(p->path, path)) {
		pthread_mutex_unlock(&p->mu);
		return nhir_file_sha(path, hex, size, err);
	}
	while (!p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	rc = p->rc;
	memcpy(hex, p->hex, 65);
	*size = p->size;
	if (rc && err)
		*err = p->err;
	NHIR_FREE_AND_NULL(p->path);
	p->done = false;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void nhir_prehash_free(struct nhir_prehash *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	nhir_free(p->path);
	nhir_free(p);
}
