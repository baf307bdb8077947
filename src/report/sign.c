/*
 * Signed reports: Ed25519 (libsodium) over the canonical JSON of the
 * report, so that the signature survives reformatting but not a change
 * of one byte of content.
 */
#include "compat.h"
#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include "nhir/record.h"
#include "nhir/report.h"
#include "core/hash.h"

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static bool unhex(const char *s, unsigned char *out, size_t n)
{
	size_t len;

	if (!s || sodium_hex2bin(out, n, s, strlen(s), NULL, &len, NULL) ||
	    len != n)
		return false;
	return true;
}

static enum nhir_rc write_file(const char *path, const char *text, int mode,
			       struct nhir_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	size_t n = strlen(text);

	if (fd < 0)
		return nhir_err_set(err, NHIR_EIO, "cannot create '%s': %s",
				    path, strerror(errno));
	if (write(fd, text, n) != (ssize_t)n || close(fd)) {
		unlink(path);
		return nhir_err_set(err, NHIR_EIO, "cannot write '%s'", path);
	}
	return NHIR_OK;
}

/* The first line of a small file, trimmed. */
static enum nhir_rc read_line(const char *path, char *buf, size_t n,
			      struct nhir_err *err)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return nhir_err_set(err, NHIR_EIO, "cannot open '%s': %s", path,
				    strerror(errno));
	if (!fgets(buf, (int)n, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\r\n")] = 0;
	return NHIR_OK;
}

enum nhir_rc nhir_report_keygen(const char *path, struct nhir_err *err)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char skh[2 * crypto_sign_SECRETKEYBYTES + 2], pkh[2 * crypto_sign_PUBLICKEYBYTES + 2];
	char pub[4096];
	size_t n;
	enum nhir_rc rc;

	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	crypto_sign_keypair(pk, sk);
	hex(sk, sizeof(sk), skh);
	hex(pk, sizeof(pk), pkh);
	n = strlen(skh);
	skh[n] = '\n';
	skh[n + 1] = 0;
	n = strlen(pkh);
	pkh[n] = '\n';
	pkh[n + 1] = 0;
	snprintf(pub, sizeof(pub), "%s.pub", path);
	rc = write_file(path, skh, 0600, err);
	if (!rc)
		rc = write_file(pub, pkh, 0644, err);
	if (rc)
		unlink(path);
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(skh, sizeof(skh));
	return rc;
}

enum nhir_rc nhir_report_sign(const cJSON *r, const char *keyfile,
			      char **out, struct nhir_err *err)
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES], sig[crypto_sign_BYTES];
	char line[512], sigh[2 * crypto_sign_BYTES + 1];
	char pkh[2 * crypto_sign_PUBLICKEYBYTES + 1];
	char *canon, *s;
	cJSON *doc, *o;
	enum nhir_rc rc;

	*out = NULL;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	rc = read_line(keyfile, line, sizeof(line), err);
	if (rc)
		return rc;
	if (!unhex(line, sk, sizeof(sk))) {
		sodium_memzero(line, sizeof(line));
		return nhir_err_set(err, NHIR_EPARSE, "'%s' is not an nhir "
				    "signing key ('nhir report keygen')", keyfile);
	}
	sodium_memzero(line, sizeof(line));
	canon = nhir_json_canonical(r);
	if (!canon) {
		sodium_memzero(sk, sizeof(sk));
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	}
	crypto_sign_detached(sig, NULL, (const unsigned char *)canon,
			     strlen(canon), sk);
	hex(sig, sizeof(sig), sigh);
	/* the public half is the last 32 bytes of a libsodium secret key */
	hex(sk + crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES,
	    crypto_sign_PUBLICKEYBYTES, pkh);
	sodium_memzero(sk, sizeof(sk));
	nhir_free(canon);
	doc = cJSON_CreateObject();
	cJSON_AddItemToObject(doc, "report", cJSON_Duplicate(r, 1));
	o = cJSON_AddObjectToObject(doc, "signature");
	cJSON_AddStringToObject(o, "algorithm", "Ed25519");
	cJSON_AddStringToObject(o, "over", "canonical JSON of report");
	cJSON_AddStringToObject(o, "public_key", pkh);
	cJSON_AddStringToObject(o, "signature", sigh);
	s = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!s)
		return nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	*out = nhir_strdup(s);
	cJSON_free(s);
	return *out ? NHIR_OK : nhir_err_set(err, NHIR_ENOMEM, "out of memory");
}

enum nhir_rc nhir_report_verify(const char *data, size_t len,
				const char *pubfile, char signer[65],
				struct nhir_err *err)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
	const char *end = NULL;
	cJSON *doc, *r, *s;
	const char *pkh, *sigh;
	char *canon;
	char line[512];
	enum nhir_rc rc = NHIR_OK;

	signer[0] = 0;
	if (sodium_init() < 0)
		return nhir_err_set(err, NHIR_EIO, "libsodium failed to start");
	doc = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (!doc)
		return nhir_err_set(err, NHIR_EPARSE, "not JSON (byte %zu)",
				    end && end >= data ? (size_t)(end - data) : 0);
	r = cJSON_GetObjectItemCaseSensitive(doc, "report");
	s = cJSON_GetObjectItemCaseSensitive(doc, "signature");
	pkh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "public_key"));
	sigh = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "signature"));
	if (!cJSON_IsObject(r) || !pkh || !sigh || !unhex(pkh, pk, sizeof(pk)) ||
	    !unhex(sigh, sig, sizeof(sig))) {
		cJSON_Delete(doc);
		return nhir_err_set(err, NHIR_EPARSE, "not a signed nhir report "
				    "(report and signature)");
	}
	snprintf(signer, 65, "%s", pkh);
	if (pubfile) {
		unsigned char want[crypto_sign_PUBLICKEYBYTES];

		rc = read_line(pubfile, line, sizeof(line), err);
		if (!rc && !unhex(line, want, sizeof(want)))
			rc = nhir_err_set(err, NHIR_EPARSE, "'%s' is not a "
					  "public key", pubfile);
		if (!rc && sodium_memcmp(want, pk, sizeof(pk)))
			rc = nhir_err_set(err, NHIR_ECONFLICT, "signed with "
					  "another key (%.16s...), not %s", pkh,
					  pubfile);
	}
	canon = rc ? NULL : nhir_json_canonical(r);
	if (!rc && !canon)
		rc = nhir_err_set(err, NHIR_ENOMEM, "out of memory");
	if (!rc && crypto_sign_verify_detached(sig, (const unsigned char *)canon,
					       strlen(canon), pk))
		rc = nhir_err_set(err, NHIR_ECONFLICT, "the signature does not "
				  "match: the report was changed after it was "
				  "signed");
	nhir_free(canon);
	cJSON_Delete(doc);
	return rc;
}
