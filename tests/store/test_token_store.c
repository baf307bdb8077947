/*
 * API tokens, passwords and sessions: the store interface
 * (src/store/token.h) and the rules of src/record/token.c and
 * src/record/session.c on top of it.
 */
#include <inttypes.h>
#include "lib/testlib.h"
#include "nhir/session.h"
#include "nhir/token.h"
#include "store/token.h"

struct fx {
	struct nhir_store *st;
	const struct nhir_token_store_ops *ops;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct nhir_err err = NHIR_ERR_INIT;

	f->st = tl_new_store(NULL);
	f->ops = nhir_token_store(f->st);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "root"), "root",
				       NHIR_ROLE_ADMIN, &err), NHIR_OK);
	assert_int_equal(nhir_user_add(TL_CTX(f->st, "root"), "rory",
				       NHIR_ROLE_RESPONDER, &err), NHIR_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	nhir_store_close(f->st);
	free(f);
	return 0;
}

static void test_key_made_once(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	unsigned char k1[NHIR_TOKEN_KEY_LEN], k2[NHIR_TOKEN_KEY_LEN];
	bool found = true;

	assert_int_equal(f->ops->key_read(f->st, k1, &found, &err), NHIR_OK);
	assert_false(found);
	memset(k1, 7, sizeof(k1));
	assert_int_equal(f->ops->key_insert(f->st, k1, &err), NHIR_OK);
	assert_int_equal(f->ops->key_insert(f->st, k1, &err), NHIR_ECONFLICT);
	assert_int_equal(f->ops->key_read(f->st, k2, &found, &err), NHIR_OK);
	assert_true(found);
	assert_memory_equal(k1, k2, sizeof(k1));
}

static void test_insert_find_revoke_use(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_token t, got;
	int64_t id = 0, other = 0;
	bool found = false;

	memset(&t, 0, sizeof(t));
	snprintf(t.user, sizeof(t.user), "rory");
	snprintf(t.created_by, sizeof(t.created_by), "root");
	t.scope = NHIR_TOKEN_READ;
	t.created = 1000;
	t.expires = 5000;
	assert_int_equal(f->ops->token_insert(f->st, &t, "aa", &id, &err),
			 NHIR_OK);
	assert_true(id > 0);
	assert_int_equal(f->ops->token_insert(f->st, &t, "aa", &other, &err),
			 NHIR_ECONFLICT);
	assert_int_equal(f->ops->token_by_hash(f->st, "aa", &got, &found,
					       &err), NHIR_OK);
	assert_true(found);
	assert_string_equal(got.user, "rory");
	assert_int_equal(got.scope, NHIR_TOKEN_READ);
	assert_int_equal(got.expires, 5000);
	assert_int_equal(got.last_used, NHIR_TIME_UNSET);
	assert_int_equal(got.revoked, NHIR_TIME_UNSET);
	assert_int_equal(f->ops->token_by_hash(f->st, "bb", &got, &found,
					       &err), NHIR_OK);
	assert_false(found);

	assert_int_equal(f->ops->token_used(f->st, id, 2000, 60, &err), NHIR_OK);
	assert_int_equal(f->ops->token_used(f->st, id, 2030, 60, &err), NHIR_OK);
	assert_int_equal(f->ops->token_read(f->st, id, &got, &found, &err),
			 NHIR_OK);
	assert_int_equal(got.last_used, 2000);	/* within the grain */
	assert_int_equal(f->ops->token_used(f->st, id, 2060, 60, &err), NHIR_OK);
	assert_int_equal(f->ops->token_read(f->st, id, &got, &found, &err),
			 NHIR_OK);
	assert_int_equal(got.last_used, 2060);

	assert_int_equal(f->ops->token_revoke(f->st, id, 3000, "root", &err),
			 NHIR_OK);
	assert_int_equal(f->ops->token_read(f->st, id, &got, &found, &err),
			 NHIR_OK);
	assert_int_equal(got.revoked, 3000);
	assert_string_equal(got.revoked_by, "root");
}

static void test_create_check_revoke(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	char value[NHIR_TOKEN_SIZE], was;
	struct nhir_token t;
	int64_t id = 0, now = nhir_time_now();

	assert_int_equal(nhir_token_create(TL_CTX(f->st, "rory"), "rory",
					   NHIR_TOKEN_WRITE, 3600, value, &id,
					   &err), NHIR_EDENIED);
	assert_int_equal(value[0], '\0');
	assert_int_equal(nhir_token_create(TL_CTX(f->st, "root"), "rory",
					   NHIR_TOKEN_WRITE, 3600, value, &id,
					   &err), NHIR_OK);
	assert_int_equal(strlen(value), NHIR_TOKEN_SIZE - 1);
	assert_memory_equal(value, "nhir_", 5);
	assert_int_equal(nhir_token_check(f->st, value, now, &t, &err),
			 NHIR_OK);
	assert_int_equal(t.id, id);
	assert_string_equal(t.user, "rory");
	assert_int_equal(t.last_used, now);
	/* one character off is unknown, and the message quotes nothing */
	was = value[10];
	value[10] = was == 'A' ? 'B' : 'A';
	assert_int_equal(nhir_token_check(f->st, value, now, &t, &err),
			 NHIR_EDENIED);
	assert_null(strstr(err.msg, value + 5));
	assert_int_equal(t.id, 0);
	value[10] = was;
	assert_int_equal(nhir_token_check(f->st, value, now + 7200, &t, &err),
			 NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "expired"));
	assert_int_equal(t.id, id);
	assert_int_equal(nhir_token_revoke(TL_CTX(f->st, "rory"), id,
					   &err), NHIR_OK);
	assert_int_equal(nhir_token_revoke(TL_CTX(f->st, "rory"), id, &err),
			 NHIR_ECONFLICT);
	assert_int_equal(nhir_token_check(f->st, value, now, &t, &err),
			 NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "revoked"));
	assert_int_equal(nhir_token_check(f->st, "nhir_short", now, &t, &err),
			 NHIR_EDENIED);
}

static void test_durations(void **state)
{
	int64_t s = 0;

	(void)state;
	assert_true(nhir_duration_parse("90d", &s));
	assert_int_equal(s, 90 * 86400);
	assert_true(nhir_duration_parse("12h", &s));
	assert_int_equal(s, 12 * 3600);
	assert_true(nhir_duration_parse("3600", &s));
	assert_int_equal(s, 3600);
	assert_false(nhir_duration_parse("", &s));
	assert_false(nhir_duration_parse("h", &s));
	assert_false(nhir_duration_parse("1hh", &s));
	assert_false(nhir_duration_parse("-1h", &s));
	assert_false(nhir_duration_parse("99999999999999999999d", &s));
}

static void test_password_rows(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	char hash[NHIR_PWHASH_MAX];
	bool found = true;

	assert_int_equal(f->ops->password_read(f->st, "rory", hash, &found,
					       &err), NHIR_OK);
	assert_false(found);
	assert_int_equal(f->ops->password_write(f->st, "rory", "h1", 1, "root",
						&err), NHIR_OK);
	assert_int_equal(f->ops->password_write(f->st, "rory", "h2", 2, "root",
						&err), NHIR_OK);
	assert_int_equal(f->ops->password_read(f->st, "rory", hash, &found,
					       &err), NHIR_OK);
	assert_true(found);
	assert_string_equal(hash, "h2");
	assert_int_equal(f->ops->password_write(f->st, "rory", NULL, 3, "root",
						&err), NHIR_OK);
	assert_int_equal(f->ops->password_read(f->st, "rory", hash, &found,
					       &err), NHIR_OK);
	assert_false(found);
}

static void test_session_rows(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	struct nhir_session s = { 0, "rory", "password", "127.0.0.1", 100,
				  200, NHIR_TIME_UNSET }, got;
	int64_t id = 0;
	bool found = false;

	assert_int_equal(f->ops->session_insert(f->st, &s, "aa", &id, &err),
			 NHIR_OK);
	assert_true(id > 0);
	assert_int_equal(f->ops->session_insert(f->st, &s, "aa", &id, &err),
			 NHIR_ECONFLICT);
	assert_int_equal(f->ops->session_by_hash(f->st, "aa", &got, &found,
						 &err), NHIR_OK);
	assert_true(found);
	assert_string_equal(got.user, "rory");
	assert_string_equal(got.address, "127.0.0.1");
	assert_int_equal(got.expires, 200);
	assert_int_equal(got.ended, NHIR_TIME_UNSET);
	assert_int_equal(f->ops->session_end(f->st, got.id, 150, &err),
			 NHIR_OK);
	assert_int_equal(f->ops->session_end(f->st, got.id, 160, &err),
			 NHIR_OK);
	assert_int_equal(f->ops->session_by_hash(f->st, "aa", &got, &found,
						 &err), NHIR_OK);
	assert_int_equal(got.ended, 150);
	assert_int_equal(f->ops->sessions_purge(f->st, 150, &err), NHIR_OK);
	assert_int_equal(f->ops->session_by_hash(f->st, "aa", &got, &found,
						 &err), NHIR_OK);
	assert_true(found);
	assert_int_equal(f->ops->sessions_purge(f->st, 151, &err), NHIR_OK);
	assert_int_equal(f->ops->session_by_hash(f->st, "aa", &got, &found,
						 &err), NHIR_OK);
	assert_false(found);
}

static int count_session(const struct nhir_session *s, void *data)
{
	char *seen = data;
	size_t n = strlen(seen);

	snprintf(seen + n, 64 - n, "%s%" PRId64 ":%s", n ? "," : "", s->id,
		 s->user);
	return 0;
}

static void test_session_list_end(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	/* live for long: ending one checks the real clock */
	struct nhir_session s = { 0, "rory", "password", "127.0.0.1", 100,
				  4102444800, NHIR_TIME_UNSET }, got;
	int64_t a, b, c;
	char seen[64] = "";

	assert_int_equal(f->ops->session_insert(f->st, &s, "h1", &a, &err),
			 NHIR_OK);
	snprintf(s.user, sizeof(s.user), "root");
	assert_int_equal(f->ops->session_insert(f->st, &s, "h2", &b, &err),
			 NHIR_OK);
	s.expires = 50;		/* expired: never listed */
	assert_int_equal(f->ops->session_insert(f->st, &s, "h3", &c, &err),
			 NHIR_OK);
	assert_int_equal(f->ops->sessions_read(f->st, NULL, 100,
					       count_session, seen, &err),
			 NHIR_OK);
	{
		char want[64];

		snprintf(want, sizeof(want), "%" PRId64 ":rory,%" PRId64
			 ":root", a, b);
		assert_string_equal(seen, want);
	}
	seen[0] = 0;
	assert_int_equal(f->ops->sessions_read(f->st, "rory", 100,
					       count_session, seen, &err),
			 NHIR_OK);
	assert_non_null(strstr(seen, ":rory"));
	assert_null(strstr(seen, ":root"));
	/* a responder sees only their own, and may not ask for another's */
	seen[0] = 0;
	assert_int_equal(nhir_session_list(TL_CTX(f->st, "rory"), NULL, 100,
					   count_session, seen, &err), NHIR_OK);
	assert_null(strstr(seen, ":root"));
	assert_int_equal(nhir_session_list(TL_CTX(f->st, "rory"), "root", 100,
					   count_session, seen, &err),
			 NHIR_EDENIED);
	/* nor end it; its owner and an admin may */
	assert_int_equal(nhir_session_end(TL_CTX(f->st, "rory"), b, &got, &err),
			 NHIR_EDENIED);
	assert_int_equal(nhir_session_end(TL_CTX(f->st, "root"), a, &got, &err),
			 NHIR_OK);
	assert_string_equal(got.user, "rory");
	assert_int_equal(nhir_session_end(TL_CTX(f->st, "root"), a, &got, &err),
			 NHIR_ENOTFOUND);
	assert_int_equal(nhir_session_end(TL_CTX(f->st, "root"), c, &got, &err),
			 NHIR_ENOTFOUND);
	assert_int_equal(f->ops->session_read(f->st, a, &got, &(bool){ 0 },
					      &err), NHIR_OK);
	assert_int_not_equal(got.ended, NHIR_TIME_UNSET);
	seen[0] = 0;
	assert_int_equal(f->ops->sessions_read(f->st, NULL, 100,
					       count_session, seen, &err),
			 NHIR_OK);
	assert_null(strstr(seen, ":rory"));
}

static void test_login_session_logout(void **state)
{
	struct fx *f = *state;
	struct nhir_err err = NHIR_ERR_INIT;
	char value[NHIR_SESSION_SIZE], csrf[NHIR_CSRF_SIZE];
	struct nhir_session s, c;

	assert_int_equal(nhir_password_set(TL_CTX(f->st, "root"), "rory",
					   "short", &err), NHIR_EINVAL);
	assert_int_equal(nhir_password_set(TL_CTX(f->st, "rory"), "root",
					   "correct horse battery", &err),
			 NHIR_EDENIED);
	assert_int_equal(nhir_password_set(TL_CTX(f->st, "rory"), "RORY",
					   "correct horse battery", &err),
			 NHIR_OK);
	/* a wrong password, an unknown user: one answer */
	assert_int_equal(nhir_login_password(f->st, "rory", "wrong horse "
					     "battery", "::1", 0, value, &s,
					     &err), NHIR_EDENIED);
	assert_string_equal(err.msg, "wrong user name or password");
	assert_string_equal(value, "");
	assert_int_equal(nhir_login_password(f->st, "nobody", "correct horse "
					     "battery", "::1", 0, value, &s,
					     &err), NHIR_EDENIED);
	assert_string_equal(err.msg, "wrong user name or password");
	assert_int_equal(nhir_login_password(f->st, "Rory", "correct horse "
					     "battery", "::1", 0, value, &s,
					     &err), NHIR_OK);
	assert_string_equal(s.user, "rory");
	assert_int_equal(strlen(value), NHIR_SESSION_SIZE - 1);
	assert_int_equal(nhir_session_check(f->st, value, s.created, &c, &err),
			 NHIR_OK);
	assert_int_equal(c.id, s.id);
	assert_int_equal(nhir_session_check(f->st, value, s.expires, &c, &err),
			 NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "expired"));
	assert_int_equal(nhir_session_csrf(f->st, value, csrf, &err), NHIR_OK);
	assert_int_equal(strlen(csrf), NHIR_CSRF_SIZE - 1);
	assert_true(nhir_session_csrf_ok(f->st, value, csrf));
	csrf[3] = csrf[3] == 'A' ? 'B' : 'A';
	assert_false(nhir_session_csrf_ok(f->st, value, csrf));
	assert_false(nhir_session_csrf_ok(f->st, value, NULL));
	assert_false(nhir_session_csrf_ok(f->st, value, ""));
	assert_int_equal(nhir_logout(f->st, value, &err), NHIR_OK);
	assert_int_equal(nhir_logout(f->st, value, &err), NHIR_EDENIED);
	assert_int_equal(nhir_session_check(f->st, value, s.created, &c, &err),
			 NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "ended"));
	/* turned off by an admin */
	assert_int_equal(nhir_setting_set(TL_CTX(f->st, "root"), "passwords",
					  "off", &err), NHIR_OK);
	assert_int_equal(nhir_login_password(f->st, "rory", "correct horse "
					     "battery", "::1", 0, value, &s,
					     &err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "turned off"));
	/* a session for a user an identity provider vouched for */
	assert_int_equal(nhir_session_open(f->st, "nobody", "oidc", "::1", 0,
					   value, &s, &err), NHIR_EDENIED);
	assert_int_equal(nhir_session_open(f->st, "rory", "oidc", "::1", 60,
					   value, &s, &err), NHIR_OK);
	assert_string_equal(s.method, "oidc");
	assert_int_equal(s.expires - s.created, 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
		T(test_key_made_once),
		T(test_insert_find_revoke_use),
		T(test_create_check_revoke),
		T(test_password_rows),
		T(test_session_rows),
		T(test_login_session_logout),
		T(test_session_list_end),
		cmocka_unit_test(test_durations),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
