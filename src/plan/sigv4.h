/*
 * AWS Signature Version 4: the canonical request, the string to sign and
 * the Authorization header of one HTTP request, as AWS documents them
 * ("Create a signed AWS API request") and as its published test suite
 * checks them (tests/plan/test_sigv4.c).  Used by the AWS connector; the
 * secret access key and the keys derived from it never leave this file
 * and are wiped after use.
 */
#ifndef NHIR_PLAN_SIGV4_H
#define NHIR_PLAN_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include "nhir/error.h"

struct nhir_sigv4_header {
	const char *name, *value;
};

struct nhir_sigv4_request {
	const char *method;	/* "GET", "POST", ... */
	const char *path;	/* as sent, not percent-encoded: "/a b" */
	const char *query;	/* "k=v&k2=v2", not percent-encoded; or "" */
	/*
	 * Every header to sign, Host and X-Amz-Date among them, in the
	 * order sent; repeated names are joined with commas in that order.
	 */
	const struct nhir_sigv4_header *headers;
	size_t header_nr;
	const void *body;
	size_t body_len;
	bool normalize_path;	/* every service but S3 */
};

struct nhir_sigv4_key {
	const char *access_key_id, *secret_access_key;
	const char *region, *service;	/* "us-east-1", "iam" */
};

struct nhir_sigv4_result {
	char *canonical_request;	/* owned; nhir_sigv4_result_free */
	char *string_to_sign;
	char *authorization;		/* the Authorization header's value */
};

/*
 * Signs r with k.  The request time is its X-Amz-Date header
 * (YYYYMMDD'T'HHMMSS'Z'), which must be present, as must Host.
 */
enum nhir_rc nhir_sigv4_sign(const struct nhir_sigv4_request *r,
			     const struct nhir_sigv4_key *k,
			     struct nhir_sigv4_result *out,
			     struct nhir_err *err);
void nhir_sigv4_result_free(struct nhir_sigv4_result *out);

#endif
