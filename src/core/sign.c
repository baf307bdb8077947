/* Ed25519 keys, signatures and trust lists (core/sign.h, nhir/keys.h). */
#include "compat.h"
#include <sodium.h>
#include "core/sign.h"

void nhir_ed_hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

bool nhir_ed_unhex(const char *s, unsigned char *out, size_t n)
{
	size_t len = 0;

	if (!s || strlen(s) != 2 * n ||
	    sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) || len != n)
		return false;
	return true;
}

enum nhir_rc nhir_ed_load_secret(const char *path,
				 unsigned char sk[NHIR_ED_SK],
				 struct nhir_err *err)
{
	char line[512];
	FILE *f;
	bool ok;

	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	f = fopen(path, "r");
	if (!f)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	if (!fgets(line, (int)sizeof(line), f))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\r\n")] = 0;
	ok = nhir_ed_unhex(line, sk, NHIR_ED_SK);
	sodium_memzero(line, sizeof(line));
	if (!ok)
		return nhir_err_set(err, NHIR_EPARSE, "'%s' is not an nhir "
				    "signing key ('nhir report keygen')", path);
	return NHIR_OK;
}

void nhir_ed_public(const unsigned char sk[NHIR_ED_SK],
		    unsigned char pk[NHIR_ED_PK])
{
	/* the public half is the last 32 bytes of a libsodium secret key */
	memcpy(pk, sk + NHIR_ED_SK - NHIR_ED_PK, NHIR_ED_PK);
}

void nhir_ed_sign(const unsigned char sk[NHIR_ED_SK], const char *msg,
		  size_t len, unsigned char sig[NHIR_ED_SIG])
{
	crypto_sign_detached(sig, NULL, (const unsigned char *)msg, len, sk);
}

bool nhir_ed_verify(const unsigned char pk[NHIR_ED_PK], const char *msg,
		    size_t len, const unsigned char sig[NHIR_ED_SIG])
{
	if (sodium_init() < 0)
		return false;
	return !crypto_sign_verify_detached(sig, (const unsigned char *)msg,
					    len, pk);
}

void nhir_key_fingerprint(const char *pub_hex, char fp[NHIR_KEY_FP_LEN])
{
	unsigned char pk[NHIR_ED_PK], md[crypto_hash_sha256_BYTES];
	char hx[33];

	fp[0] = 0;
	if (sodium_init() < 0 || !nhir_ed_unhex(pub_hex, pk, sizeof(pk)))
		return;
	crypto_hash_sha256(md, pk, sizeof(pk));
	nhir_ed_hex(md, 16, hx);
	snprintf(fp, NHIR_KEY_FP_LEN, "sha256:%s", hx);
}

/* One line of a trust list: its key (hex) and label; false if blank. */
static bool trust_line(char *line, char **key, char **label)
{
	char *p = line + strspn(line, " \t");
	char *e;

	p[strcspn(p, "#\r\n")] = 0;
	e = p + strcspn(p, " \t");
	*key = p;
	if (*e) {
		*e++ = 0;
		e += strspn(e, " \t");
	}
	*label = e;
	for (size_t n = strlen(e); n && (e[n - 1] == ' ' || e[n - 1] == '\t');)
		e[--n] = 0;
	return **key != 0;
}

enum nhir_rc nhir_key_trusted(const char *path, const char *pub_hex,
			      bool *trusted, char *label, size_t label_len,
			      struct nhir_err *err)
{
	unsigned char want[NHIR_ED_PK], pk[NHIR_ED_PK];
	char line[1024];
	FILE *f;
	int nr = 0;

	*trusted = false;
	if (label_len)
		label[0] = 0;
	if (!nhir_ed_unhex(pub_hex, want, sizeof(want)))
		return nhir_err_set(err, NHIR_EPARSE, "'%s' is not an Ed25519 "
				    "public key", pub_hex ? pub_hex : "");
	f = fopen(path, "r");
	if (!f)
		return nhir_err_set(err, NHIR_EIO, "cannot open trust list "
				    "'%s': %s", path, strerror(errno));
	while (fgets(line, (int)sizeof(line), f)) {
		char *key, *lab;

		nr++;
		if (!trust_line(line, &key, &lab))
			continue;
		if (!nhir_ed_unhex(key, pk, sizeof(pk))) {
			fclose(f);
			return nhir_err_set(err, NHIR_EPARSE, "%s:%d: not an "
					    "Ed25519 public key (64 hex "
					    "digits)", path, nr);
		}
		if (!memcmp(pk, want, sizeof(pk)) && !*trusted) {
			*trusted = true;
			if (label_len)
				snprintf(label, label_len, "%s", lab);
		}
	}
	fclose(f);
	return NHIR_OK;
}
