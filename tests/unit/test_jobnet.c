/* The job's nftables table, its pure parts: table names, peer addresses,
 * the netlink batch that makes the table (read back attribute by
 * attribute), the counter replies, and the netlink attribute walker. The
 * kernel side is tests/integration/jobnet.sh. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "jobnet/ev_jobnet.h"
#include "jobnet/ev_nft.h"
#include "jobnet/ev_resolve.h"

/* ------------------------------------------------------------ names */

static void test_table_names(void **state)
{
	char t[EV_JOBNET_TABLE_MAX];
	char node[64];
	uint32_t job;

	(void)state;
	assert_int_equal(ev_jobnet_table_name(42, "n1", t, sizeof(t)), 0);
	assert_string_equal(t, "efa_verify_42_n1");
	/* Anything but letters and digits is _XX: one name per node, and an
	 * nft identifier. */
	assert_int_equal(ev_jobnet_table_name(4294967295u, "queue-st-p5.1_a", t, sizeof(t)), 0);
	assert_string_equal(t, "efa_verify_4294967295_queue_2dst_2dp5_2e1_5fa");
	assert_int_equal(ev_jobnet_table_name(7, "n-1", t, sizeof(t)), 0);
	assert_string_equal(t, "efa_verify_7_n_2d1");
	assert_int_equal(ev_jobnet_table_name(7, "n_2d1", t, sizeof(t)), 0);
	assert_string_equal(t, "efa_verify_7_n_5f2d1");
	/* The longest node name fits. */
	memset(node, 'x', 63);
	node[63] = '\0';
	node[1] = '.';
	assert_int_equal(ev_jobnet_table_name(4294967295u, node, t, sizeof(t)), 0);
	assert_true(strlen(t) < sizeof(t));
	/* Refused: job 0, names that are not plain host names, no room. */
	assert_int_equal(ev_jobnet_table_name(0, "n1", t, sizeof(t)), -EINVAL);
	assert_int_equal(ev_jobnet_table_name(1, "n1;drop", t, sizeof(t)), -EINVAL);
	assert_int_equal(ev_jobnet_table_name(1, "", t, sizeof(t)), -EINVAL);
	assert_int_equal(ev_jobnet_table_name(1, "../x", t, sizeof(t)), -EINVAL);
	assert_int_equal(ev_jobnet_table_name(1, "n1", t, 14), -ENAMETOOLONG);

	/* Back: only node's own tables, in the exact form made. */
	assert_true(ev_jobnet_table_job("efa_verify_42_n1", "n1", &job));
	assert_int_equal(job, 42);
	assert_true(ev_jobnet_table_job("efa_verify_9_n_2d1", "n-1", &job));
	assert_int_equal(job, 9);
	assert_false(ev_jobnet_table_job("efa_verify_42_n1", "n2", &job));
	assert_false(ev_jobnet_table_job("efa_verify_42_n12", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify_042_n1", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify_0_n1", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify_4294967296_n1", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify__n1", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify_42n1", "n1", &job));
	assert_false(ev_jobnet_table_job("hostfw", "n1", &job));
	assert_false(ev_jobnet_table_job("efa_verify_42_n-1", "n-1", &job));
}

/* ------------------------------------------------------------ addresses */

static void test_peer_addresses(void **state)
{
	struct ev_jobnet_peers p = { 0 }, local = { 0 };
	struct ev_err err = { "" };
	char text[INET6_ADDRSTRLEN];

	(void)state;
	/* Only literal addresses, never host names or text with more. */
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.2", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "2001:db8::2", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.1", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.2", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.2 ", &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not an IP address"));
	assert_int_equal(ev_jobnet_peers_add_text(&p, "n2", &err), -EINVAL);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0", &err), -EINVAL);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.2/32", &err), -EINVAL);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "fe80::1%eth0", &err), -EINVAL);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "1.2.3.4\n}; flush ruleset", &err), -EINVAL);
	assert_int_equal(p.n4, 3);
	assert_int_equal(p.n6, 1);
	/* Sorted, one of each. */
	assert_int_equal(ev_jobnet_peers_check(&p, NULL, &err), 0);
	assert_int_equal(p.n4, 2);
	assert_string_equal(inet_ntop(AF_INET, &p.v4[0], text, sizeof(text)), "198.18.0.1");
	assert_string_equal(inet_ntop(AF_INET, &p.v4[1], text, sizeof(text)), "198.18.0.2");

	/* An address of this node's own cannot tell a peer's traffic apart. */
	assert_int_equal(ev_jobnet_peers_add_text(&local, "198.18.0.1", &err), 0);
	assert_int_equal(ev_jobnet_peers_check(&p, &local, &err), -EADDRNOTAVAIL);
	assert_string_equal(err.msg, "peer address 198.18.0.1 is one of this node's own addresses: its traffic "
				     "cannot be told apart");
	ev_jobnet_peers_free(&local);
	assert_int_equal(ev_jobnet_peers_add_text(&local, "2001:db8::2", &err), 0);
	assert_int_equal(ev_jobnet_peers_check(&p, &local, &err), -EADDRNOTAVAIL);
	assert_non_null(strstr(err.msg, "2001:db8::2 is one of this node's own"));
	ev_jobnet_peers_free(&local);
	ev_jobnet_peers_free(&p);
	assert_int_equal(ev_jobnet_peers_check(&p, NULL, &err), 0);

	static const struct { const char *addr, *why; } bad[] = {
		{ "127.0.0.1", "a loopback address" }, { "127.1.2.3", "a loopback address" },
		{ "::1", "a loopback address" }, { "0.0.0.0", "the unspecified address" },
		{ "::", "the unspecified address" }, { "224.0.0.1", "a multicast or broadcast address" },
		{ "255.255.255.255", "a multicast or broadcast address" }, { "ff02::1", "a multicast address" },
		{ "::ffff:198.18.0.1", "an IPv4-mapped address" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.9", &err), 0);
		assert_int_equal(ev_jobnet_peers_add_text(&p, bad[i].addr, &err), 0);
		assert_int_equal(ev_jobnet_peers_check(&p, NULL, &err), -EADDRNOTAVAIL);
		assert_non_null(strstr(err.msg, bad[i].why));
		ev_jobnet_peers_free(&p);
	}
	/* Link-local and private addresses are fine. */
	assert_int_equal(ev_jobnet_peers_add_text(&p, "fe80::1", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "10.0.0.1", &err), 0);
	assert_int_equal(ev_jobnet_peers_check(&p, NULL, &err), 0);
	ev_jobnet_peers_free(&p);
}

/* ------------------------------------------------------------ the batch */

struct msg {
	uint16_t type;     /* NFT_MSG_*, or the batch's begin/end */
	uint16_t flags;
	uint8_t family;
	uint32_t seq;
	const void *data;  /* attributes */
	size_t len;
};

/* Split a batch into its messages. */
static size_t split(const struct ev_nft_msgs *m, struct msg *out, size_t cap)
{
	const char *p = m->b.p;
	size_t left = m->b.len, n = 0;

	while (left) {
		struct nlmsghdr h;
		struct nfgenmsg g;

		assert_true(left >= NLMSG_HDRLEN + sizeof(g));
		memcpy(&h, p, sizeof(h));
		memcpy(&g, p + NLMSG_HDRLEN, sizeof(g));
		assert_true(h.nlmsg_len <= left && h.nlmsg_len % 4 == 0);
		assert_true(h.nlmsg_flags & NLM_F_REQUEST);
		assert_int_equal(g.version, NFNETLINK_V0);
		assert_true(n < cap);
		out[n].type = h.nlmsg_type >= NLMSG_MIN_TYPE + 2 ? (uint16_t)(h.nlmsg_type & 0xff) : h.nlmsg_type;
		if (h.nlmsg_type >= NLMSG_MIN_TYPE + 2)
			assert_int_equal(h.nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		else
			assert_int_equal(be16toh(g.res_id), NFNL_SUBSYS_NFTABLES);
		out[n].flags = h.nlmsg_flags;
		out[n].family = g.nfgen_family;
		out[n].seq = h.nlmsg_seq;
		out[n].data = p + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(g));
		out[n].len = h.nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof(g));
		n++;
		p += h.nlmsg_len;
		left -= h.nlmsg_len;
	}
	return n;
}

static const char *str(const struct nlattr *a)
{
	const char *s = ev_nft_attr_str(a);

	assert_non_null(s);
	return s;
}

static uint32_t be32(const struct nlattr *a)
{
	uint32_t v;

	assert_true(ev_nft_attr_be32(a, &v));
	return v;
}

static void nested(const struct nlattr *a, const struct nlattr **tb, unsigned max)
{
	assert_non_null(a);
	assert_int_equal(ev_nft_attrs(ev_nft_attr_data(a), ev_nft_attr_len(a), tb, max), 0);
}

/* A rule's expressions by name, "meta cmp payload lookup objref"; the
 * payload's offset and length, the objref's counter. */
static void rule(const struct msg *m, char *names, size_t cap, uint32_t *off, uint32_t *len, char *counter)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1], *e[NFTA_LIST_ELEM + 1];
	const char *p;
	size_t left;

	names[0] = '\0';
	assert_int_equal(ev_nft_attrs(m->data, m->len, tb, NFTA_RULE_MAX), 0);
	assert_non_null(tb[NFTA_RULE_EXPRESSIONS]);
	p = ev_nft_attr_data(tb[NFTA_RULE_EXPRESSIONS]);
	left = ev_nft_attr_len(tb[NFTA_RULE_EXPRESSIONS]);
	while (left) {
		const struct nlattr *x[NFTA_EXPR_MAX + 1], *d[16];
		struct nlattr h;
		const char *name;

		memcpy(&h, p, sizeof(h));
		assert_int_equal(h.nla_type & NLA_TYPE_MASK, NFTA_LIST_ELEM);
		assert_int_equal(ev_nft_attrs(p, NLA_ALIGN(h.nla_len), e, NFTA_LIST_ELEM), 0);
		nested(e[NFTA_LIST_ELEM], x, NFTA_EXPR_MAX);
		name = str(x[NFTA_EXPR_NAME]);
		snprintf(names + strlen(names), cap - strlen(names), "%s%s", names[0] ? " " : "", name);
		nested(x[NFTA_EXPR_DATA], d, 15);
		if (strcmp(name, "payload") == 0) {
			assert_int_equal(be32(d[NFTA_PAYLOAD_BASE]), NFT_PAYLOAD_NETWORK_HEADER);
			*off = be32(d[NFTA_PAYLOAD_OFFSET]);
			*len = be32(d[NFTA_PAYLOAD_LEN]);
		} else if (strcmp(name, "objref") == 0) {
			assert_int_equal(be32(d[NFTA_OBJREF_IMM_TYPE]), NFT_OBJECT_COUNTER);
			strcpy(counter, str(d[NFTA_OBJREF_IMM_NAME]));
		} else if (strcmp(name, "lookup") == 0) {
			assert_non_null(d[NFTA_LOOKUP_SET]);
		}
		/* No verdict anywhere: an immediate is how one would be set. */
		assert_string_not_equal(name, "immediate");
		left -= NLA_ALIGN((size_t)h.nla_len) < left ? NLA_ALIGN((size_t)h.nla_len) : left;
		p += NLA_ALIGN(h.nla_len);
	}
}

static void test_build_table(void **state)
{
	struct ev_jobnet_peers p = { 0 };
	struct ev_nft_msgs m;
	struct msg v[64];
	struct ev_err err;
	char names[128], counter[32];
	uint32_t off = 0, len = 0;
	size_t n, i = 0, rules = 0, next = 0;
	const char *table = "efa_verify_42_n1";

	(void)state;
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.2", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "198.18.0.3", &err), 0);
	assert_int_equal(ev_jobnet_peers_add_text(&p, "2001:db8::2", &err), 0);
	ev_nft_init(&m, 1000);
	assert_int_equal(ev_jobnet_build(&m, table, &p, SIZE_MAX, &next), 0);
	assert_false(m.b.oom || m.bad || m.depth);
	n = split(&m, v, 64);
	/* begin, add+delete+create table, 4 counters, 2 sets with their
	 * elements, 2 chains with 3 rules each, end. */
	assert_int_equal(n, 1 + 3 + 4 + 4 + 2 * 4 + 1);
	assert_int_equal(v[0].type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(v[n - 1].type, NFNL_MSG_BATCH_END);
	assert_int_equal(m.n_acked, n - 2);
	for (size_t k = 1; k < n - 1; k++) {
		assert_int_equal(v[k].family, NFPROTO_INET);
		assert_true(v[k].flags & NLM_F_ACK);
		assert_int_equal(v[k].seq, v[k - 1].seq + 1);
	}
	i = 1;
	/* The table: add (no EXCL), delete, create (EXCL): one transaction
	 * that replaces a table of the same name. */
	{
		const struct nlattr *tb[NFTA_TABLE_MAX + 1];
		static const uint16_t type[] = { NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, NFT_MSG_NEWTABLE };

		for (int k = 0; k < 3; k++, i++) {
			assert_int_equal(v[i].type, type[k]);
			assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, tb, NFTA_TABLE_MAX), 0);
			assert_string_equal(str(tb[NFTA_TABLE_NAME]), table);
			assert_int_equal(!!(v[i].flags & NLM_F_EXCL), k == 2);
		}
		/* The comment an admin sees in `nft list`. */
		assert_non_null(tb[NFTA_TABLE_USERDATA]);
		assert_non_null(memmem(ev_nft_attr_data(tb[NFTA_TABLE_USERDATA]), ev_nft_attr_len(tb[NFTA_TABLE_USERDATA]),
				       "efa-verify", 10));
	}
	{
		static const char *const want[] = { "peer_tx", "peer_rx", "all_tx", "all_rx" };
		const struct nlattr *tb[NFTA_OBJ_MAX + 1];

		for (int k = 0; k < 4; k++, i++) {
			assert_int_equal(v[i].type, NFT_MSG_NEWOBJ);
			assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, tb, NFTA_OBJ_MAX), 0);
			assert_string_equal(str(tb[NFTA_OBJ_TABLE]), table);
			assert_string_equal(str(tb[NFTA_OBJ_NAME]), want[k]);
			assert_int_equal(be32(tb[NFTA_OBJ_TYPE]), NFT_OBJECT_COUNTER);
		}
	}
	for (int v6 = 0; v6 < 2; v6++) {
		const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1], *st[NFTA_SET_MAX + 1];

		assert_int_equal(v[i].type, NFT_MSG_NEWSET);
		assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, st, NFTA_SET_MAX), 0);
		assert_string_equal(str(st[NFTA_SET_NAME]), v6 ? "peers6" : "peers4");
		assert_int_equal(be32(st[NFTA_SET_KEY_LEN]), v6 ? 16 : 4);
		/* Its size up front: a hash of that size, none grown element by
		 * element (bench/run --peers). */
		{
			const struct nlattr *d[NFTA_SET_DESC_MAX + 1];

			assert_non_null(st[NFTA_SET_DESC]);
			nested(st[NFTA_SET_DESC], d, NFTA_SET_DESC_MAX);
			assert_int_equal(be32(d[NFTA_SET_DESC_SIZE]), v6 ? 1 : 2);
		}
		i++;
		assert_int_equal(v[i].type, NFT_MSG_NEWSETELEM);
		assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, tb, NFTA_SET_ELEM_LIST_MAX), 0);
		assert_string_equal(str(tb[NFTA_SET_ELEM_LIST_SET]), v6 ? "peers6" : "peers4");
		/* The addresses, as bytes: nothing went through text. */
		if (!v6) {
			struct in_addr a;

			inet_pton(AF_INET, "198.18.0.3", &a);
			assert_non_null(memmem(ev_nft_attr_data(tb[NFTA_SET_ELEM_LIST_ELEMENTS]),
					       ev_nft_attr_len(tb[NFTA_SET_ELEM_LIST_ELEMENTS]), &a, sizeof(a)));
		}
		i++;
	}
	for (int out = 1; out >= 0; out--) {
		const struct nlattr *tb[NFTA_CHAIN_MAX + 1], *hk[NFTA_HOOK_MAX + 1];

		assert_int_equal(v[i].type, NFT_MSG_NEWCHAIN);
		assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, tb, NFTA_CHAIN_MAX), 0);
		assert_string_equal(str(tb[NFTA_CHAIN_NAME]), out ? "output" : "input");
		assert_int_equal(be32(tb[NFTA_CHAIN_POLICY]), NF_ACCEPT);
		assert_string_equal(str(tb[NFTA_CHAIN_TYPE]), "filter");
		nested(tb[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX);
		assert_int_equal(be32(hk[NFTA_HOOK_HOOKNUM]), out ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN);
		assert_int_equal(be32(hk[NFTA_HOOK_PRIORITY]), 10);
		i++;
		assert_int_equal(v[i].type, NFT_MSG_NEWRULE);
		rule(&v[i++], names, sizeof(names), &off, &len, counter);
		assert_string_equal(names, "meta cmp objref");
		assert_string_equal(counter, out ? "all_tx" : "all_rx");
		rule(&v[i++], names, sizeof(names), &off, &len, counter);
		assert_string_equal(names, "meta cmp payload lookup objref");
		/* IPv4 destination at 16, source at 12. */
		assert_int_equal(off, out ? 16 : 12);
		assert_int_equal(len, 4);
		assert_string_equal(counter, out ? "peer_tx" : "peer_rx");
		rule(&v[i++], names, sizeof(names), &off, &len, counter);
		/* IPv6 destination at 24, source at 8. */
		assert_int_equal(off, out ? 24 : 8);
		assert_int_equal(len, 16);
		rules += 3;
	}
	assert_int_equal(rules, 6);
	ev_nft_free(&m);

	/* No peers (a one-node job): counters and the "all" rules only. */
	ev_jobnet_peers_free(&p);
	ev_nft_init(&m, 1);
	next = 0;
	assert_int_equal(ev_jobnet_build(&m, table, &p, SIZE_MAX, &next), 0);
	n = split(&m, v, 64);
	assert_int_equal(n, 1 + 3 + 4 + 2 * 2 + 1);
	for (size_t k = 0; k < n; k++)
		assert_true(v[k].type != NFT_MSG_NEWSET && v[k].type != NFT_MSG_NEWSETELEM);
	ev_nft_free(&m);
}

/* A big job's addresses go in several element messages: an attribute
 * holds less than 64 KiB. */
static void test_build_many_peers(void **state)
{
	struct ev_jobnet_peers p = { 0 };
	struct ev_nft_msgs m;
	struct msg *v = calloc(64, sizeof(*v));
	struct ev_err err;
	size_t n, elems = 0, msgs = 0, next = 0;

	(void)state;
	for (uint32_t k = 0; k < 5000; k++) {
		struct in_addr a = { htonl(0xc6120000u + k + 1) };

		assert_int_equal(ev_jobnet_peers_add(&p, AF_INET, &a, &err), 0);
	}
	ev_nft_init(&m, 1);
	assert_int_equal(ev_jobnet_build(&m, "efa_verify_1_n1", &p, SIZE_MAX, &next), 0);
	assert_false(m.b.oom || m.bad);
	n = split(&m, v, 64);
	for (size_t k = 0; k < n; k++) {
		const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1];
		const char *q;
		size_t left;

		if (v[k].type != NFT_MSG_NEWSETELEM)
			continue;
		msgs++;
		assert_int_equal(ev_nft_attrs(v[k].data, v[k].len, tb, NFTA_SET_ELEM_LIST_MAX), 0);
		q = ev_nft_attr_data(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		left = ev_nft_attr_len(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		while (left) {
			struct nlattr h;

			memcpy(&h, q, sizeof(h));
			elems++;
			q += NLA_ALIGN(h.nla_len);
			left -= NLA_ALIGN(h.nla_len);
		}
	}
	assert_int_equal(msgs, 5);
	assert_int_equal(elems, 5000);
	ev_nft_free(&m);
	ev_jobnet_peers_free(&p);
	free(v);
}

/* Peers (and their count) in one batch's element messages, checking each
 * address is the one at its place: IPv4 198.18.x.y from 1 up, then IPv6. */
static size_t batch_peers(const struct ev_nft_msgs *m, struct msg *v, size_t cap, size_t first, bool made)
{
	size_t n = split(m, v, cap), k = first;

	assert_int_equal(v[0].type, NFNL_MSG_BATCH_BEGIN);
	assert_int_equal(v[n - 1].type, NFNL_MSG_BATCH_END);
	for (size_t i = 1; i + 1 < n; i++) {
		const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1];
		const char *q;
		size_t left;

		/* After the first, a batch only adds peers, to the set by its
		 * name (a set id means nothing outside its transaction). */
		if (made) {
			assert_int_equal(v[i].type, NFT_MSG_NEWSETELEM);
		} else if (v[i].type != NFT_MSG_NEWSETELEM) {
			continue;
		}
		assert_int_equal(ev_nft_attrs(v[i].data, v[i].len, tb, NFTA_SET_ELEM_LIST_MAX), 0);
		assert_int_equal(!!tb[NFTA_SET_ELEM_LIST_SET_ID], !made);
		q = ev_nft_attr_data(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		left = ev_nft_attr_len(tb[NFTA_SET_ELEM_LIST_ELEMENTS]);
		while (left) {
			const struct nlattr *e[NFTA_SET_ELEM_MAX + 1], *d[NFTA_DATA_MAX + 1];
			struct nlattr h;
			bool v6 = strcmp(str(tb[NFTA_SET_ELEM_LIST_SET]), "peers6") == 0;

			memcpy(&h, q, sizeof(h));
			nested((const struct nlattr *)q, e, NFTA_SET_ELEM_MAX);
			nested(e[NFTA_SET_ELEM_KEY], d, NFTA_DATA_MAX);
			if (!v6) {
				uint32_t a;

				assert_true(k < 16000);
				assert_int_equal(ev_nft_attr_len(d[NFTA_DATA_VALUE]), 4);
				memcpy(&a, ev_nft_attr_data(d[NFTA_DATA_VALUE]), 4);
				assert_int_equal(ntohl(a), 0xc6120000u + k + 1);
			} else {
				assert_true(k >= 16000);
				assert_int_equal(ev_nft_attr_len(d[NFTA_DATA_VALUE]), 16);
				assert_int_equal(((const uint8_t *)ev_nft_attr_data(d[NFTA_DATA_VALUE]))[15],
						 (uint8_t)(k - 16000 + 1));
			}
			k++;
			q += NLA_ALIGN(h.nla_len);
			left -= NLA_ALIGN(h.nla_len);
		}
	}
	return k - first;
}

/* A job of 16k nodes: its table would be one datagram far larger than a
 * netlink socket sends by default (212992 bytes less 32). It goes in
 * batches that each fit, the first making the whole table, every peer in
 * exactly one of them, in order. */
static void test_build_16k_peers_in_batches(void **state)
{
	const size_t max = 212992 - 32;
	struct ev_jobnet_peers p = { 0 };
	struct msg *v = calloc(256, sizeof(*v));
	struct ev_nft_msgs m;
	struct ev_err err;
	size_t next = 0, seen = 0, batches = 0;

	(void)state;
	for (uint32_t k = 0; k < 16000; k++) {
		struct in_addr a = { htonl(0xc6120000u + k + 1) };

		assert_int_equal(ev_jobnet_peers_add(&p, AF_INET, &a, &err), 0);
	}
	for (unsigned k = 0; k < 200; k++) {
		struct in6_addr a6 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8 } };

		a6.s6_addr[15] = (uint8_t)(k + 1);
		assert_int_equal(ev_jobnet_peers_add(&p, AF_INET6, &a6, &err), 0);
	}
	do {
		size_t from = next;

		ev_nft_init(&m, 1);
		assert_int_equal(ev_jobnet_build(&m, "efa_verify_1_n1", &p, max, &next), 0);
		assert_false(m.b.oom || m.bad || m.depth);
		assert_true(m.b.len <= max);
		assert_int_equal(batch_peers(&m, v, 256, from, batches > 0), next - from);
		seen += next - from;
		batches++;
		ev_nft_free(&m);
	} while (next < p.n4 + p.n6 && batches < 10);
	assert_int_equal(seen, 16200);
	assert_int_equal(next, 16200);
	assert_int_equal(batches, 2);

	/* Room for the table but not for one peer more: said, not looped on. */
	next = 0;
	ev_nft_init(&m, 1);
	assert_int_equal(ev_jobnet_build(&m, "efa_verify_1_n1", &p, 600, &next), -EMSGSIZE);
	ev_nft_free(&m);
	ev_jobnet_peers_free(&p);
	free(v);
}

/* ------------------------------------------------------------ replies */

/* A NEWOBJ reply as the kernel sends it. */
static struct nlmsghdr *obj_reply(struct ev_nft_msgs *m, const char *table, const char *name, uint32_t type,
				  uint64_t bytes)
{
	ev_nft_init(m, 7);
	ev_nft_msg_begin(m, NFT_MSG_NEWOBJ, 0, NFPROTO_INET);
	ev_nft_put_str(m, NFTA_OBJ_TABLE, table);
	ev_nft_put_str(m, NFTA_OBJ_NAME, name);
	ev_nft_put_be32(m, NFTA_OBJ_TYPE, type);
	ev_nft_nest_begin(m, NFTA_OBJ_DATA);
	ev_nft_put_be64(m, NFTA_COUNTER_BYTES, bytes);
	ev_nft_put_be64(m, NFTA_COUNTER_PACKETS, bytes / 1000);
	ev_nft_nest_end(m);
	ev_nft_msg_end(m);
	return (struct nlmsghdr *)m->b.p;
}

static void test_parse_counters(void **state)
{
	static const char *const names[] = { "peer_tx", "peer_rx", "all_tx", "all_rx" };
	struct ev_net_counts c = { 0 };
	struct ev_nft_msgs m;
	unsigned seen = 0;

	(void)state;
	for (int i = 0; i < 4; i++) {
		ev_jobnet_parse_counter(obj_reply(&m, "efa_verify_1_n1", names[i], NFT_OBJECT_COUNTER,
						  1000u * (uint64_t)(i + 1) + (UINT64_C(1) << 40)),
					"efa_verify_1_n1", &c, &seen);
		ev_nft_free(&m);
	}
	assert_int_equal(seen, 15);
	assert_true(c.peer_tx == 1000 + (UINT64_C(1) << 40));
	assert_true(c.all_rx == 4000 + (UINT64_C(1) << 40));

	/* Another table's, another type's, another name's: not ours. */
	seen = 0;
	ev_jobnet_parse_counter(obj_reply(&m, "efa_verify_1_n2", "peer_tx", NFT_OBJECT_COUNTER, 5), "efa_verify_1_n1",
				&c, &seen);
	ev_nft_free(&m);
	ev_jobnet_parse_counter(obj_reply(&m, "efa_verify_1_n1", "peer_tx", 2, 5), "efa_verify_1_n1", &c, &seen);
	ev_nft_free(&m);
	ev_jobnet_parse_counter(obj_reply(&m, "efa_verify_1_n1", "peer", NFT_OBJECT_COUNTER, 5), "efa_verify_1_n1",
				&c, &seen);
	ev_nft_free(&m);
	assert_int_equal(seen, 0);

	/* A reply cut short is ignored, never read past its end. */
	{
		struct nlmsghdr *h = obj_reply(&m, "efa_verify_1_n1", "peer_tx", NFT_OBJECT_COUNTER, 5);

		h->nlmsg_len -= 8;
		ev_jobnet_parse_counter(h, "efa_verify_1_n1", &c, &seen);
		assert_int_equal(seen, 0);
		ev_nft_free(&m);
	}
}

/* ------------------------------------------------------------ attributes */

static void test_attributes(void **state)
{
	const struct nlattr *tb[8];
	struct ev_nft_msgs m;
	uint32_t v32;
	uint64_t v64;
	char buf[64];

	(void)state;
	ev_nft_init(&m, 1);
	ev_nft_put_str(&m, 1, "abc");
	ev_nft_put_be32(&m, 2, 0x01020304);
	ev_nft_put_be64(&m, 3, UINT64_C(0x0102030405060708));
	ev_nft_put(&m, 4, "xy", 2);            /* not terminated */
	ev_nft_put(&m, 9, "z", 1);             /* beyond max: skipped */
	assert_int_equal(ev_nft_attrs(m.b.p, m.b.len, tb, 7), 0);
	assert_string_equal(ev_nft_attr_str(tb[1]), "abc");
	assert_true(ev_nft_attr_be32(tb[2], &v32));
	assert_int_equal(v32, 0x01020304);
	assert_true(ev_nft_attr_be64(tb[3], &v64));
	assert_true(v64 == UINT64_C(0x0102030405060708));
	assert_null(ev_nft_attr_str(tb[4]));
	assert_false(ev_nft_attr_be32(tb[4], &v32));
	assert_false(ev_nft_attr_be64(tb[2], &v64));
	assert_null(tb[5]);
	assert_false(ev_nft_attr_be32(NULL, &v32));
	/* An attribute that claims more than there is. */
	assert_true(m.b.len < sizeof(buf));
	memcpy(buf, m.b.p, m.b.len);
	buf[0] = 100;
	assert_int_equal(ev_nft_attrs(buf, m.b.len, tb, 7), -EBADMSG);
	buf[0] = 2;   /* shorter than a header */
	assert_int_equal(ev_nft_attrs(buf, m.b.len, tb, 7), -EBADMSG);
	ev_nft_free(&m);

	/* Nests must balance; one left open makes the batch unsendable. */
	ev_nft_init(&m, 1);
	ev_nft_msg_begin(&m, NFT_MSG_NEWTABLE, NLM_F_ACK, NFPROTO_INET);
	ev_nft_nest_begin(&m, 1);
	ev_nft_msg_end(&m);
	assert_true(m.bad);
	ev_nft_free(&m);
	ev_nft_init(&m, 1);
	ev_nft_nest_end(&m);
	assert_true(m.bad);
	ev_nft_free(&m);
	/* Too long for one attribute. */
	{
		char *big = calloc(1, 70000);

		ev_nft_init(&m, 1);
		ev_nft_put(&m, 1, big, 70000);
		assert_true(m.bad);
		ev_nft_free(&m);
		free(big);
	}
}

/* Names to addresses, bounded: what does not answer in time is simply
 * not resolved. */
static void test_resolve(void **state)
{
	char *names[] = { "198.18.0.7", "2001:db8::7", "localhost", "no-such-host.invalid", "198.18.0.7" };
	bool res[5];
	struct ev_jobnet_peers p = { 0 };
	struct ev_err err;
	struct timespec a, b;
	char text[INET6_ADDRSTRLEN];

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(ev_resolve_names(names, 5, 300, &p, res, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 2);
	assert_true(res[0] && res[1] && res[4]);
	assert_false(res[3]);
	assert_int_equal(ev_jobnet_peers_check(&p, NULL, &err), -EADDRNOTAVAIL);   /* localhost */
	assert_string_equal(inet_ntop(AF_INET, &p.v4[p.n4 - 1], text, sizeof(text)), "198.18.0.7");
	ev_jobnet_peers_free(&p);
	assert_int_equal(ev_resolve_names(names, 0, 300, &p, res, &err), 0);
	assert_int_equal(p.n4 + p.n6, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_names),
		cmocka_unit_test(test_peer_addresses),
		cmocka_unit_test(test_build_table),
		cmocka_unit_test(test_build_many_peers),
		cmocka_unit_test(test_build_16k_peers_in_batches),
		cmocka_unit_test(test_parse_counters),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
