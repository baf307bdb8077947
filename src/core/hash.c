#include "compat.h"
#include <openssl/evp.h>
#include "core/hash.h"

bool nhir_sha256_init(struct nhir_sha256 *h)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		return false;
	return EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) == 1;
}

void nhir_sha256_update(struct nhir_sha256 *h, const void *p, size_t n)
{
	EVP_DigestUpdate(h->ctx, p, n);
}

void nhir_sha256_final(struct nhir_sha256 *h, unsigned char out[32])
{
	unsigned int len = 32;

	EVP_DigestFinal_ex(h->ctx, out, &len);
}

void nhir_sha256_release(struct nhir_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

void nhir_sha256_once(struct nhir_sha256 *h, const void *p, size_t n,
		      unsigned char out[32])
{
	unsigned int len = 32;

	EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(h->ctx, p, n);
	EVP_DigestFinal_ex(h->ctx, out, &len);
}

void nhir_hex32(const unsigned char in[32], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[64] = 0;
}
