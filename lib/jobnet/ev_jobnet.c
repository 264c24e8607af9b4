#include "jobnet/ev_jobnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "config/ev_config.h"

/* nft's own type ids (its datatypes enum), kept in the set so that `nft
 * list` shows the sets as ipv4_addr and ipv6_addr. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
/* nftnl's table comment, in the table's user data (a TLV), shown by
 * `nft list` to an admin who wonders what the table is. */
#define NFTNL_UDATA_TABLE_COMMENT 0
#define PRIORITY 10
/* Elements per set-element message: a netlink attribute holds < 64 KiB. */
#define ELEMS_PER_MSG 1024
#define SWEEP_MAX 1024

static const char *const counter_names[4] = { "peer_tx", "peer_rx", "all_tx", "all_rx" };

/* ------------------------------------------------------------ names */

static bool plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int ev_jobnet_table_name(uint32_t jobid, const char *node, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o;
	int n;

	if (!jobid || !ev_valid_nodename(node))
		return -EINVAL;
	n = snprintf(out, cap, EV_JOBNET_PREFIX "%" PRIu32 "_", jobid);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	o = (size_t)n;
	for (const char *s = node; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + (plain(c) ? 1 : 3) >= cap)
			return -ENAMETOOLONG;
		if (plain(c)) {
			out[o++] = (char)c;
		} else {
			out[o++] = '_';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

bool ev_jobnet_table_job(const char *name, const char *node, uint32_t *jobid)
{
	char want[EV_JOBNET_TABLE_MAX];
	const char *p = name + strlen(EV_JOBNET_PREFIX);
	uint64_t v = 0;
	size_t digits = 0;

	if (strncmp(name, EV_JOBNET_PREFIX, strlen(EV_JOBNET_PREFIX)) != 0)
		return false;
	for (; *p >= '0' && *p <= '9' && digits < 11; p++, digits++)
		v = v * 10 + (uint64_t)(*p - '0');
	/* Only the canonical form ev_jobnet_table_name makes. */
	if (!digits || digits > 10 || *p != '_' || !v || v > UINT32_MAX)
		return false;
	if (ev_jobnet_table_name((uint32_t)v, node, want, sizeof(want)) != 0 || strcmp(want, name) != 0)
		return false;
	*jobid = (uint32_t)v;
	return true;
}

/* ------------------------------------------------------------ the table */

static void expr_begin(struct ev_nft_msgs *m, const char *name)
{
	ev_nft_nest_begin(m, NFTA_LIST_ELEM);
	ev_nft_put_str(m, NFTA_EXPR_NAME, name);
	ev_nft_nest_begin(m, NFTA_EXPR_DATA);
}

static void expr_end(struct ev_nft_msgs *m)
{
	ev_nft_nest_end(m);
	ev_nft_nest_end(m);
}

static void meta(struct ev_nft_msgs *m, uint32_t key)
{
	expr_begin(m, "meta");
	ev_nft_put_be32(m, NFTA_META_DREG, NFT_REG_1);
	ev_nft_put_be32(m, NFTA_META_KEY, key);
	expr_end(m);
}

/* data as the register holds it: host order for meta's integers. */
static void cmp(struct ev_nft_msgs *m, uint32_t op, const void *data, size_t len)
{
	expr_begin(m, "cmp");
	ev_nft_put_be32(m, NFTA_CMP_SREG, NFT_REG_1);
	ev_nft_put_be32(m, NFTA_CMP_OP, op);
	ev_nft_nest_begin(m, NFTA_CMP_DATA);
	ev_nft_put(m, NFTA_DATA_VALUE, data, len);
	ev_nft_nest_end(m);
	expr_end(m);
}

static void counter_ref(struct ev_nft_msgs *m, const char *name)
{
	expr_begin(m, "objref");
	ev_nft_put_be32(m, NFTA_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	ev_nft_put_str(m, NFTA_OBJREF_IMM_NAME, name);
	expr_end(m);
}

static void rule_begin(struct ev_nft_msgs *m, const char *table, const char *chain)
{
	ev_nft_msg_begin(m, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, NFPROTO_INET);
	ev_nft_put_str(m, NFTA_RULE_TABLE, table);
	ev_nft_put_str(m, NFTA_RULE_CHAIN, chain);
	ev_nft_nest_begin(m, NFTA_RULE_EXPRESSIONS);
}

static void rule_end(struct ev_nft_msgs *m)
{
	ev_nft_nest_end(m);
	ev_nft_msg_end(m);
}

/* meta oiftype|iiftype != loopback counter name all_tx|all_rx */
static void rule_all(struct ev_nft_msgs *m, const char *table, bool out)
{
	uint16_t lo = ARPHRD_LOOPBACK;

	rule_begin(m, table, out ? "output" : "input");
	meta(m, out ? NFT_META_OIFTYPE : NFT_META_IIFTYPE);
	cmp(m, NFT_CMP_NEQ, &lo, sizeof(lo));
	counter_ref(m, out ? "all_tx" : "all_rx");
	rule_end(m);
}

/* ip|ip6 daddr|saddr @set counter name peer_tx|peer_rx, with the protocol
 * check nft itself puts in front of a payload match in an inet table. */
static void rule_peer(struct ev_nft_msgs *m, const char *table, bool out, bool v6, uint32_t set_id)
{
	uint8_t proto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
	/* Offsets of the destination and source addresses in the header. */
	uint32_t off = v6 ? (out ? 24 : 8) : (out ? 16 : 12), len = v6 ? 16 : 4;

	rule_begin(m, table, out ? "output" : "input");
	meta(m, NFT_META_NFPROTO);
	cmp(m, NFT_CMP_EQ, &proto, sizeof(proto));
	expr_begin(m, "payload");
	ev_nft_put_be32(m, NFTA_PAYLOAD_DREG, NFT_REG_1);
	ev_nft_put_be32(m, NFTA_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
	ev_nft_put_be32(m, NFTA_PAYLOAD_OFFSET, off);
	ev_nft_put_be32(m, NFTA_PAYLOAD_LEN, len);
	expr_end(m);
	expr_begin(m, "lookup");
	ev_nft_put_str(m, NFTA_LOOKUP_SET, v6 ? "peers6" : "peers4");
	ev_nft_put_be32(m, NFTA_LOOKUP_SREG, NFT_REG_1);
	ev_nft_put_be32(m, NFTA_LOOKUP_SET_ID, set_id);
	expr_end(m);
	counter_ref(m, out ? "peer_tx" : "peer_rx");
	rule_end(m);
}

static size_t attr_len(size_t payload)
{
	return NLA_HDRLEN + NLA_ALIGN(payload);
}

/* A message's header and nfgenmsg: a batch's begin and end are no more. */
#define MSG_HEAD (NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)))

static const char *set_name(bool v6)
{
	return v6 ? "peers6" : "peers4";
}

/* size: the elements the set will hold, all batches together. */
static void set(struct ev_nft_msgs *m, const char *table, bool v6, uint32_t set_id, size_t size)
{
	ev_nft_msg_begin(m, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET);
	ev_nft_put_str(m, NFTA_SET_TABLE, table);
	ev_nft_put_str(m, NFTA_SET_NAME, set_name(v6));
	ev_nft_put_be32(m, NFTA_SET_FLAGS, 0);
	ev_nft_put_be32(m, NFTA_SET_KEY_TYPE, v6 ? NFT_TYPE_IP6ADDR : NFT_TYPE_IPADDR);
	ev_nft_put_be32(m, NFTA_SET_KEY_LEN, v6 ? sizeof(struct in6_addr) : sizeof(struct in_addr));
	ev_nft_put_be32(m, NFTA_SET_ID, set_id);
	/* Its size, known before the first element: the kernel then makes a
	 * hash of that size at once rather than a resizable one that grows
	 * as thousands of peers go in (its rehashing was a sixth of
	 * the prolog's CPU at 8,192 peers, bench/run --peers-only). */
	ev_nft_nest_begin(m, NFTA_SET_DESC);
	ev_nft_put_be32(m, NFTA_SET_DESC_SIZE, (uint32_t)size);
	ev_nft_nest_end(m);
	ev_nft_msg_end(m);
}

/* Peers *next.. of one family (their index counts the IPv4 ones first),
 * in element messages of at most *room bytes together; *next and *room
 * move past what went in. set_id 0: the set is found by name (made by an
 * earlier batch). */
static void set_elems(struct ev_nft_msgs *m, const char *table, const struct ev_jobnet_peers *p, bool v6,
		      uint32_t set_id, size_t *next, size_t *room)
{
	size_t size = v6 ? sizeof(struct in6_addr) : sizeof(struct in_addr);
	size_t base = v6 ? p->n4 : 0, end = v6 ? p->n4 + p->n6 : p->n4;
	const char *addrs = v6 ? (const char *)p->v6 : (const char *)p->v4;
	/* LIST_ELEM { KEY { DATA_VALUE } }. */
	size_t elem = 2 * NLA_HDRLEN + attr_len(size);
	size_t head = MSG_HEAD + attr_len(strlen(table) + 1) + attr_len(strlen(set_name(v6)) + 1) +
		      (set_id ? attr_len(sizeof(uint32_t)) : 0) + NLA_HDRLEN;

	while (*next < end && *room >= head + elem) {
		size_t k = *next, n = (*room - head) / elem;

		if (n > ELEMS_PER_MSG)
			n = ELEMS_PER_MSG;
		if (n > end - k)
			n = end - k;
		ev_nft_msg_begin(m, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET);
		ev_nft_put_str(m, NFTA_SET_ELEM_LIST_TABLE, table);
		ev_nft_put_str(m, NFTA_SET_ELEM_LIST_SET, set_name(v6));
		if (set_id)
			ev_nft_put_be32(m, NFTA_SET_ELEM_LIST_SET_ID, set_id);
		ev_nft_nest_begin(m, NFTA_SET_ELEM_LIST_ELEMENTS);
		for (; k < *next + n; k++) {
			ev_nft_nest_begin(m, NFTA_LIST_ELEM);
			ev_nft_nest_begin(m, NFTA_SET_ELEM_KEY);
			ev_nft_put(m, NFTA_DATA_VALUE, addrs + (k - base) * size, size);
			ev_nft_nest_end(m);
			ev_nft_nest_end(m);
		}
		ev_nft_nest_end(m);
		ev_nft_msg_end(m);
		*next += n;
		*room -= head + n * elem;
	}
}

static void chain(struct ev_nft_msgs *m, const char *table, bool out)
{
	ev_nft_msg_begin(m, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET);
	ev_nft_put_str(m, NFTA_CHAIN_TABLE, table);
	ev_nft_put_str(m, NFTA_CHAIN_NAME, out ? "output" : "input");
	ev_nft_nest_begin(m, NFTA_CHAIN_HOOK);
	ev_nft_put_be32(m, NFTA_HOOK_HOOKNUM, out ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN);
	ev_nft_put_be32(m, NFTA_HOOK_PRIORITY, PRIORITY);
	ev_nft_nest_end(m);
	ev_nft_put_be32(m, NFTA_CHAIN_POLICY, NF_ACCEPT);
	ev_nft_put_str(m, NFTA_CHAIN_TYPE, "filter");
	ev_nft_msg_end(m);
}

static void table_msg(struct ev_nft_msgs *m, uint16_t type, uint16_t flags, const char *table, bool comment)
{
	static const char text[] = "efa-verify: counts one job's inter-node traffic; its epilog removes it";
	uint8_t udata[2 + sizeof(text)] = { NFTNL_UDATA_TABLE_COMMENT, sizeof(text) };

	ev_nft_msg_begin(m, type, (uint16_t)(flags | NLM_F_ACK), NFPROTO_INET);
	ev_nft_put_str(m, NFTA_TABLE_NAME, table);
	if (comment) {
		memcpy(udata + 2, text, sizeof(text));
		ev_nft_put_be32(m, NFTA_TABLE_FLAGS, 0);
		ev_nft_put(m, NFTA_TABLE_USERDATA, udata, sizeof(udata));
	}
	ev_nft_msg_end(m);
}

/* The first batch: the table whole, with the peers that fit in room. */
static void build_table(struct ev_nft_msgs *m, const char *table, const struct ev_jobnet_peers *p, size_t room,
			size_t *next)
{
	ev_nft_batch_begin(m);
	/* add, delete, create: one transaction that replaces a table of the
	 * same name (the job's prolog run again) or makes it afresh. */
	table_msg(m, NFT_MSG_NEWTABLE, NLM_F_CREATE, table, false);
	table_msg(m, NFT_MSG_DELTABLE, 0, table, false);
	table_msg(m, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, table, true);
	for (size_t i = 0; i < 4; i++) {
		ev_nft_msg_begin(m, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_ACK, NFPROTO_INET);
		ev_nft_put_str(m, NFTA_OBJ_TABLE, table);
		ev_nft_put_str(m, NFTA_OBJ_NAME, counter_names[i]);
		ev_nft_put_be32(m, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
		ev_nft_nest_begin(m, NFTA_OBJ_DATA);
		ev_nft_put_be64(m, NFTA_COUNTER_BYTES, 0);
		ev_nft_put_be64(m, NFTA_COUNTER_PACKETS, 0);
		ev_nft_nest_end(m);
		ev_nft_msg_end(m);
	}
	if (p->n4) {
		set(m, table, false, 1, p->n4);
		set_elems(m, table, p, false, 1, next, &room);
	}
	if (p->n6) {
		set(m, table, true, 2, p->n6);
		if (*next >= p->n4)
			set_elems(m, table, p, true, 2, next, &room);
	}
	for (int out = 1; out >= 0; out--) {
		chain(m, table, out);
		rule_all(m, table, out);
		if (p->n4)
			rule_peer(m, table, out, false, 1);
		if (p->n6)
			rule_peer(m, table, out, true, 2);
	}
	ev_nft_batch_end(m);
}

int ev_jobnet_build(struct ev_nft_msgs *m, const char *table, const struct ev_jobnet_peers *p, size_t max,
		    size_t *next)
{
	size_t total = p->n4 + p->n6, room, from = *next;

	if (*next == 0) {
		struct ev_nft_msgs dry;
		size_t none = 0, fixed;

		/* What the table costs without its peers, measured by making
		 * it: the peers get the rest of max. */
		ev_nft_init(&dry, 0);
		build_table(&dry, table, p, 0, &none);
		fixed = dry.b.len;
		ev_nft_free(&dry);
		if (fixed > max)
			return -EMSGSIZE;
		room = max - fixed;
		build_table(m, table, p, room, next);
	} else {
		room = max >= 2 * MSG_HEAD ? max - 2 * MSG_HEAD : 0;
		ev_nft_batch_begin(m);
		set_elems(m, table, p, false, 0, next, &room);
		set_elems(m, table, p, true, 0, next, &room);
		ev_nft_batch_end(m);
	}
	/* A batch that took no peer would be sent again and again. */
	return *next == from && from < total ? -EMSGSIZE : 0;
}

void ev_jobnet_parse_counter(const struct nlmsghdr *h, const char *table, struct ev_net_counts *c,
			     unsigned *seen)
{
	uint64_t *dst[4] = { &c->peer_tx, &c->peer_rx, &c->all_tx, &c->all_rx };
	const struct nlattr *tb[NFTA_OBJ_MAX + 1], *cb[NFTA_COUNTER_MAX + 1];
	const char *t, *name;
	const void *data;
	uint32_t type;
	uint64_t bytes;
	size_t len;

	if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWOBJ || (h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
	    !ev_nft_msg_attrs(h, &data, &len) || ev_nft_attrs(data, len, tb, NFTA_OBJ_MAX) != 0)
		return;
	t = ev_nft_attr_str(tb[NFTA_OBJ_TABLE]);
	name = ev_nft_attr_str(tb[NFTA_OBJ_NAME]);
	if (!t || !name || strcmp(t, table) != 0 || !ev_nft_attr_be32(tb[NFTA_OBJ_TYPE], &type) ||
	    type != NFT_OBJECT_COUNTER || !tb[NFTA_OBJ_DATA] ||
	    ev_nft_attrs(ev_nft_attr_data(tb[NFTA_OBJ_DATA]), ev_nft_attr_len(tb[NFTA_OBJ_DATA]), cb,
			 NFTA_COUNTER_MAX) != 0 ||
	    !ev_nft_attr_be64(cb[NFTA_COUNTER_BYTES], &bytes))
		return;
	for (unsigned i = 0; i < 4; i++)
		if (strcmp(name, counter_names[i]) == 0) {
			*dst[i] = bytes;
			*seen |= 1u << i;
		}
}

/* ------------------------------------------------------------ kernel */

int ev_jobnet_open(struct ev_nft **n, struct ev_err *err)
{
	return ev_nft_open(n, EV_JOBNET_TIMEOUT_MS, err);
}

static int remove_table(struct ev_nft *n, const char *table, struct ev_err *err);

/* Old kernels' nf_tables took names of at most this many bytes, NUL
 * included, and refuse a longer one with ERANGE. */
#define NFT_OLD_NAMELEN 32

int ev_jobnet_start(struct ev_nft *n, uint32_t jobid, const char *node, const struct ev_jobnet_peers *p,
		    struct ev_err *err)
{
	char table[EV_JOBNET_TABLE_MAX];
	size_t next = 0, max = ev_nft_max_batch(n), batches = 0;
	struct ev_nft_msgs m;
	int rc;

	if (ev_jobnet_table_name(jobid, node, table, sizeof(table)) != 0)
		return ev_errf(err, -EINVAL, "no table name for job %" PRIu32 " on '%.64s'", jobid, node);
	/* A batch is one datagram, at most the socket's send buffer: a job
	 * of many thousand nodes takes several, the first making the table
	 * and the others adding peers to it, before the job starts. */
	do {
		ev_nft_init(&m, ev_nft_seq(n));
		rc = ev_jobnet_build(&m, table, p, max, &next);
		if (rc)
			ev_errf(err, rc, "%zu-byte batches cannot hold the table (an efa-verify bug)", max);
		else
			rc = ev_nft_commit(n, &m, err);
		ev_nft_free(&m);
		batches++;
	} while (!rc && next < p->n4 + p->n6);
	if (rc == -ERANGE && batches == 1 && strlen(table) >= NFT_OLD_NAMELEN)
		return ev_errf(err, rc,
			       "table inet %s: its %zu-byte name is longer than this kernel's nf_tables takes "
			       "(%d bytes before Linux 4.14)",
			       table, strlen(table), NFT_OLD_NAMELEN - 1);
	if (rc && batches > 1) {
		struct ev_err ignored;

		/* Half a peer set would count part of the job's traffic as
		 * the rest of the node's. */
		remove_table(n, table, &ignored);
	}
	return rc ? ev_err_prefix(err, rc, "table inet %s", table) : 0;
}

struct read_ctx {
	const char *table;
	struct ev_net_counts c;
	unsigned seen;
};

static int read_cb(const struct nlmsghdr *h, void *arg)
{
	struct read_ctx *r = arg;

	ev_jobnet_parse_counter(h, r->table, &r->c, &r->seen);
	return 0;
}

int ev_jobnet_read(struct ev_nft *n, uint32_t jobid, const char *node, struct ev_net_counts *out,
		   struct ev_err *err)
{
	char table[EV_JOBNET_TABLE_MAX];
	struct read_ctx r = { table, { 0 }, 0 };
	struct ev_nft_msgs m;
	int rc;

	memset(out, 0, sizeof(*out));
	if (ev_jobnet_table_name(jobid, node, table, sizeof(table)) != 0)
		return ev_errf(err, -EINVAL, "no table name for job %" PRIu32 " on '%.64s'", jobid, node);
	ev_nft_init(&m, ev_nft_seq(n));
	/* The kernel dumps only this table's counters where it can filter;
	 * read_cb looks at the table name either way. */
	ev_nft_msg_begin(&m, NFT_MSG_GETOBJ, NLM_F_DUMP, NFPROTO_INET);
	ev_nft_put_str(&m, NFTA_OBJ_TABLE, table);
	ev_nft_put_be32(&m, NFTA_OBJ_TYPE, NFT_OBJECT_COUNTER);
	ev_nft_msg_end(&m);
	rc = ev_nft_dump(n, &m, read_cb, &r, err);
	ev_nft_free(&m);
	if (rc)
		return ev_err_prefix(err, rc, "table inet %s", table);
	if (r.seen != 15)
		return ev_errf(err, -ENOENT, "table inet %s: %s", table, r.seen ? "counters missing" : "gone");
	*out = r.c;
	return 0;
}

static int remove_table(struct ev_nft *n, const char *table, struct ev_err *err)
{
	struct ev_nft_msgs m;
	int rc;

	ev_nft_init(&m, ev_nft_seq(n));
	ev_nft_batch_begin(&m);
	table_msg(&m, NFT_MSG_DELTABLE, 0, table, false);
	ev_nft_batch_end(&m);
	rc = ev_nft_commit(n, &m, err);
	ev_nft_free(&m);
	if (rc == -ENOENT)
		return 0;
	return rc ? ev_err_prefix(err, rc, "table inet %s", table) : 0;
}

int ev_jobnet_remove(struct ev_nft *n, uint32_t jobid, const char *node, struct ev_err *err)
{
	char table[EV_JOBNET_TABLE_MAX];

	if (ev_jobnet_table_name(jobid, node, table, sizeof(table)) != 0)
		return ev_errf(err, -EINVAL, "no table name for job %" PRIu32 " on '%.64s'", jobid, node);
	return remove_table(n, table, err);
}

struct sweep_ctx {
	const char *node;
	uint32_t jobs[SWEEP_MAX];
	size_t n;
};

static int sweep_cb(const struct nlmsghdr *h, void *arg)
{
	struct sweep_ctx *s = arg;
	const struct nlattr *tb[NFTA_TABLE_MAX + 1];
	const void *data;
	const char *name;
	uint32_t job;
	size_t len;

	if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWTABLE || !ev_nft_msg_attrs(h, &data, &len) ||
	    ev_nft_attrs(data, len, tb, NFTA_TABLE_MAX) != 0 || !(name = ev_nft_attr_str(tb[NFTA_TABLE_NAME])))
		return 0;
	if (s->n < SWEEP_MAX && ev_jobnet_table_job(name, s->node, &job))
		s->jobs[s->n++] = job;
	return 0;
}

int ev_jobnet_sweep(struct ev_nft *n, const char *node, ev_jobnet_running_fn running, void *arg, size_t *removed,
		    struct ev_err *err)
{
	struct sweep_ctx *s;
	struct ev_nft_msgs m;
	int rc;

	*removed = 0;
	if (!ev_valid_nodename(node))
		return ev_errf(err, -EINVAL, "node name refused");
	if (!(s = calloc(1, sizeof(*s))))
		return ev_errf(err, -ENOMEM, "out of memory");
	s->node = node;
	ev_nft_init(&m, ev_nft_seq(n));
	ev_nft_msg_begin(&m, NFT_MSG_GETTABLE, NLM_F_DUMP, NFPROTO_INET);
	ev_nft_msg_end(&m);
	rc = ev_nft_dump(n, &m, sweep_cb, s, err);
	ev_nft_free(&m);
	for (size_t i = 0; !rc && i < s->n; i++) {
		char table[EV_JOBNET_TABLE_MAX];
		bool yes = true;

		if (running(s->jobs[i], &yes, arg) != 0 || yes)
			continue;
		if (ev_jobnet_table_name(s->jobs[i], node, table, sizeof(table)) == 0 &&
		    (rc = remove_table(n, table, err)) == 0)
			(*removed)++;
	}
	free(s);
	return rc;
}
