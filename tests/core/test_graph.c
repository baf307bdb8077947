#include "lib/testlib.h"

static struct nhir_graph *small(void)
{
	struct nhir_graph_builder *b = NULL;
	struct nhir_graph *g = NULL;
	uint64_t tag[4] = { 7, 8, 9, 10 };

	assert_int_equal(nhir_graph_builder_new(&b, 0, 0, NULL), NHIR_OK);
	/* ids are sparse on purpose: exercises the search map */
	assert_int_equal(nhir_graph_builder_node(b, 10, NHIR_NODE_CREDENTIAL,
						 0, NHIR_TIME_UNSET,
						 NHIR_TIME_UNSET, NULL), 0);
	assert_int_equal(nhir_graph_builder_node(b, 2000, NHIR_NODE_IDENTITY,
						 0, 5, 100, NULL), 0);
	assert_int_equal(nhir_graph_builder_node(b, 900000, NHIR_NODE_WORKLOAD,
						 NHIR_NF_DISABLED,
						 NHIR_TIME_UNSET,
						 NHIR_TIME_UNSET, NULL), 0);
	assert_int_equal(nhir_graph_builder_edge(b, 10, 2000,
		NHIR_EI_MAKE(NHIR_EDGE_AUTHENTICATES, 0, 0), 50, 60, NULL), 0);
	assert_int_equal(nhir_graph_builder_edge(b, 900000, 10,
		NHIR_EI_MAKE(NHIR_EDGE_USES, 0, 0), NHIR_TIME_UNSET,
		NHIR_TIME_UNSET, NULL), 0);
	/* an edge to a node that is not there is dropped */
	assert_int_equal(nhir_graph_builder_edge(b, 10, 77,
		NHIR_EI_MAKE(NHIR_EDGE_ISSUED, 0, 0), NHIR_TIME_UNSET,
		NHIR_TIME_UNSET, NULL), 0);
	assert_int_equal(nhir_graph_builder_finish(b, tag, &g, NULL), 0);
	return g;
}

static void test_build(void **state)
{
	struct nhir_graph *g = small();
	int64_t c, e;

	(void)state;
	assert_int_equal(g->node_nr, 3);
	assert_int_equal(g->edge_nr, 2);
	assert_int_equal(g->rev_nr, 2);	/* uses and authenticates */
	assert_int_equal(g->timed_nr, 1);
	assert_int_equal(nhir_graph_find(g, 2000), 1);
	assert_int_equal(nhir_graph_find(g, 11), UINT32_MAX);
	assert_int_equal(g->out_off[1] - g->out_off[0], 1);
	assert_int_equal(g->out_dst[g->out_off[0]], 1);
	nhir_graph_edge_window(g, g->out_off[0], &c, &e);
	assert_int_equal(c, 50);
	assert_int_equal(e, 60);
	/* the uses edge is indexed in reverse on its target */
	assert_int_equal(g->rev_off[1] - g->rev_off[0], 1);
	assert_int_equal(g->rev_src[g->rev_off[0]], 2);
	/* and the authenticates edge on the identity, from the key */
	assert_int_equal(g->rev_off[2] - g->rev_off[1], 1);
	assert_int_equal(g->rev_src[g->rev_off[1]], 0);
	assert_int_equal(g->node_expires[0], NHIR_TIME_NEVER);
	assert_int_equal(g->node_flags[2], NHIR_NF_DISABLED);
	assert_int_equal(g->tag[0], 7);
	nhir_graph_free(g);
}

static void test_attach_roundtrip_and_damage(void **state)
{
	struct nhir_graph *g = small(), *h = NULL;
	size_t len = g->image_len;
	void *copy = NULL;

	(void)state;
	assert_int_equal(posix_memalign(&copy, 8, len), 0);
	memcpy(copy, g->image, len);
	assert_int_equal(nhir_graph_attach(copy, len, NULL, &h, NULL), 0);
	assert_int_equal(h->node_nr, 3);
	assert_int_equal(h->out_dst[0], g->out_dst[0]);
	h->image = NULL;	/* copy is freed below, not by h */
	nhir_graph_free(h);
	h = NULL;

	/* truncated */
	assert_int_equal(nhir_graph_attach(copy, len - 8, NULL, &h, NULL),
			 NHIR_EPARSE);
	/* bad magic */
	((char *)copy)[0] ^= 1;
	assert_int_equal(nhir_graph_attach(copy, len, NULL, &h, NULL),
			 NHIR_EPARSE);
	((char *)copy)[0] ^= 1;
	/* offsets that do not add up */
	{
		uint64_t *off = (uint64_t *)((char *)copy +
					     ((char *)g->out_off -
					      (char *)g->image));

		off[1] = 99;
		assert_int_equal(nhir_graph_attach(copy, len, NULL, &h, NULL),
				 NHIR_EPARSE);
		off[1] = g->out_off[1];
		assert_int_equal(nhir_graph_attach(copy, len, NULL, &h, NULL),
				 0);
		h->image = NULL;
		nhir_graph_free(h);
		h = NULL;
	}
	/* an edge target changed within bounds: only the checksum sees it */
	{
		uint32_t *dst = (uint32_t *)((char *)copy +
					     ((char *)g->out_dst -
					      (char *)g->image));

		dst[0] = (dst[0] + 1) % 3;
		assert_int_equal(nhir_graph_attach(copy, len, NULL, &h, NULL),
				 NHIR_EPARSE);
	}
	assert_null(h);
	free(copy);
	nhir_graph_free(g);
}

static void test_builder_order(void **state)
{
	struct nhir_graph_builder *b = NULL;

	(void)state;
	assert_int_equal(nhir_graph_builder_new(&b, 0, 0, NULL), 0);
	assert_int_equal(nhir_graph_builder_node(b, 5, NHIR_NODE_TOKEN, 0,
						 NHIR_TIME_UNSET,
						 NHIR_TIME_UNSET, NULL), 0);
	assert_int_equal(nhir_graph_builder_node(b, 5, NHIR_NODE_TOKEN, 0,
						 NHIR_TIME_UNSET,
						 NHIR_TIME_UNSET, NULL),
			 NHIR_EINVAL);
	nhir_graph_builder_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_attach_roundtrip_and_damage),
		cmocka_unit_test(test_builder_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
