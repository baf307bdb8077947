/*
 * The clock of an operation is its context's (struct nhir_ctx, field
 * now): two contexts with different clocks in one process, on one
 * store, stamp their changes' audit entries each with its own time,
 * whatever the system clock says; a context on the system clock
 * stamps the time it is now.  A time other than the system's goes on
 * the record only of a database whose 'clock' setting is 'fixed'.
 */
#include "lib/testlib.h"
#include <time.h>

struct seen {
	int64_t at[16];
	char action[16][32];
	char actor[16][32];
	size_t nr;
};

static int on_entry(const struct nhir_audit_entry *e, void *data)
{
	struct seen *s = data;

	if (s->nr < NHIR_ARRAY_SIZE(s->at)) {
		s->at[s->nr] = e->at;
		snprintf(s->action[s->nr], sizeof(s->action[0]), "%s",
			 e->action);
		snprintf(s->actor[s->nr], sizeof(s->actor[0]), "%s", e->actor);
	}
	s->nr++;
	return 0;
}

static void test_two_clocks(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	/* 2024-05-01T10:00:00Z and 2031-01-02T03:04:05Z */
	struct nhir_ctx past = { .st = st, .actor = "ada", .now = 1714557600 };
	struct nhir_ctx future = { .st = st, .actor = "lee",
				   .now = 1925089445 };
	struct nhir_ctx real = { .st = st, .actor = "ada",
				 .now = NHIR_TIME_UNSET };
	struct seen s;
	int64_t before, after;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(nhir_user_add(&real, "ada", NHIR_ROLE_ADMIN, NULL),
			 0);
	assert_int_equal(nhir_setting_set(&real, "clock", "fixed", NULL), 0);
	assert_int_equal(nhir_user_add(&past, "lee", NHIR_ROLE_LEAD, NULL),
			 0);
	assert_int_equal(nhir_setting_set(&past, "approval-ttl-max", "600",
					  NULL), 0);
	/* interleaved: each keeps its own time */
	assert_int_equal(nhir_setting_set(&future, "approval-ttl-max", "7200",
					  NULL), NHIR_EDENIED);
	assert_int_equal(nhir_setting_set(&past, "approval-ttl-max", "7200",
					  NULL), 0);
	before = (int64_t)time(NULL);
	assert_int_equal(nhir_setting_set(&real, "approval-ttl-max", "3600",
					  NULL), 0);
	after = (int64_t)time(NULL);
	assert_int_equal(nhir_audit_each(st, 0, on_entry, &s, NULL), 0);
	assert_int_equal(s.nr, 7);
	assert_string_equal(s.action[2], "user.add");
	assert_int_equal(s.at[2], past.now);
	assert_int_equal(s.at[3], past.now);
	/* the refusal is on the record at the refused context's time */
	assert_string_equal(s.actor[4], "lee");
	assert_int_equal(s.at[4], future.now);
	assert_int_equal(s.at[5], past.now);
	assert_string_equal(s.action[5], s.action[6]);
	assert_true(s.at[6] >= before && s.at[6] <= after);
	assert_int_equal(nhir_ctx_now(&past), past.now);
	assert_int_equal(nhir_ctx_now(&future), future.now);
	nhir_store_close(st);
}

/*
 * A context without a clock of its own takes its store's: fixed by
 * nhir_store_set_clock() (what the command line does for a database on
 * a fixed clock), else the system's; the system clock is not moved.
 */
static void test_store_clock(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ctx c = { .st = st, .actor = "ada",
			      .now = NHIR_TIME_UNSET };
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(nhir_user_add(&c, "ada", NHIR_ROLE_ADMIN, NULL), 0);
	assert_int_equal(nhir_setting_set(&c, "clock", "fixed", NULL), 0);
	nhir_store_set_clock(st, 1714557600);
	assert_int_equal(nhir_store_now(st), 1714557600);
	assert_int_equal(nhir_ctx_now(&c), 1714557600);
	assert_true(nhir_time_now() > 1714557600 + 86400);
	assert_int_equal(nhir_user_add(&c, "lee", NHIR_ROLE_LEAD, NULL), 0);
	nhir_store_set_clock(st, NHIR_TIME_UNSET);
	assert_true(nhir_ctx_now(&c) > 1714557600 + 86400);
	assert_int_equal(nhir_audit_each(st, 0, on_entry, &s, NULL), 0);
	assert_int_equal(s.nr, 3);
	assert_int_equal(s.at[2], 1714557600);
	nhir_store_close(st);
}

/*
 * A database that keeps real time takes no entry at a time a caller
 * gives, through its context or its store's clock: the change is
 * refused and nothing of it is stored.
 */
static void test_real_time_kept(void **state)
{
	struct nhir_store *st = tl_new_store(NULL);
	struct nhir_ctx real = { .st = st, .actor = "ada",
				 .now = NHIR_TIME_UNSET };
	struct nhir_ctx past = { .st = st, .actor = "ada", .now = 1714557600 };
	struct nhir_err err = NHIR_ERR_INIT;
	struct seen s;
	char v[16];
	bool found = true;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(nhir_user_add(&real, "ada", NHIR_ROLE_ADMIN, NULL),
			 0);
	assert_int_equal(nhir_setting_set(&past, "approval-ttl-max", "600",
					  &err), NHIR_EDENIED);
	assert_non_null(strstr(err.msg, "keeps real time"));
	nhir_store_set_clock(st, 1714557600);
	assert_int_equal(nhir_user_add(&real, "lee", NHIR_ROLE_LEAD, NULL),
			 NHIR_EDENIED);
	nhir_store_set_clock(st, NHIR_TIME_UNSET);
	assert_int_equal(nhir_setting_get(st, "approval-ttl-max", v, sizeof(v),
					  &found, NULL), 0);
	assert_false(found);
	assert_int_equal(nhir_audit_each(st, 0, on_entry, &s, NULL), 0);
	assert_int_equal(s.nr, 1);
	assert_true(s.at[0] > 1714557600 + 86400);
	nhir_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_clocks),
		cmocka_unit_test(test_store_clock),
		cmocka_unit_test(test_real_time_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
