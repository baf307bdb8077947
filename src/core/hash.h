/*
 * SHA-256 for provenance and file identity.  Through OpenSSL's libcrypto,
 * which uses the CPU's SHA extensions where present (about 1 GB/s on the
 * project's machines, five times libsodium's portable code): ingest
 * hashes every file it reads.
 */
#ifndef NHIR_CORE_HASH_H
#define NHIR_CORE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nhir_sha256 {
	void *ctx;	/* EVP_MD_CTX */
};

/* false on out of memory */
bool nhir_sha256_init(struct nhir_sha256 *h);
void nhir_sha256_update(struct nhir_sha256 *h, const void *p, size_t n);
void nhir_sha256_final(struct nhir_sha256 *h, unsigned char out[32]);
void nhir_sha256_release(struct nhir_sha256 *h);
/* One-shot, reusing h's context (which must be initialised). */
void nhir_sha256_once(struct nhir_sha256 *h, const void *p, size_t n,
		      unsigned char out[32]);
/*
 * FNV-1a of a NUL-terminated string: for the in-memory hash tables
 * (interned strings, keys seen, usage's key index), not for security.
 */
static inline uint64_t nhir_hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Mixes an integer key (store ids) for the same tables. */
static inline uint64_t nhir_hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Lowercase hex of 32 bytes into out (65 bytes). */
void nhir_hex32(const unsigned char in[32], char out[65]);

#endif
