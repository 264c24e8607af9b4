#include "jobnet/ev_nft.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>

#define NEST_MAX (sizeof(((struct ev_nft_msgs *)0)->nest) / sizeof(size_t))
/* A dump's replies come in datagrams of at most a page or two; one that
 * would not fit is reported (MSG_TRUNC), never half-read. */
#define RECV_BUF (64 * 1024)

struct ev_nft {
	int fd;
	uint32_t seq;       /* the next exchange's first sequence number */
	char *rbuf;
};

void ev_nft_init(struct ev_nft_msgs *m, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->seq = seq;
	m->start_seq = seq;
}

void ev_nft_free(struct ev_nft_msgs *m)
{
	ev_buf_free(&m->b);
	memset(m, 0, sizeof(*m));
}

/* n zero bytes; returns their offset (meaningless after oom). */
static size_t grow(struct ev_nft_msgs *m, size_t n)
{
	size_t off = m->b.len;

	if (!ev_buf_reserve(&m->b, n))
		return 0;
	memset(m->b.p + off, 0, n);
	m->b.len += n;
	return off;
}

static void put_u32_at(struct ev_nft_msgs *m, size_t off, uint32_t v)
{
	if (!m->b.oom)
		memcpy(m->b.p + off, &v, sizeof(v));
}

static void put_u16_at(struct ev_nft_msgs *m, size_t off, uint16_t v)
{
	if (!m->b.oom)
		memcpy(m->b.p + off, &v, sizeof(v));
}

static void header(struct ev_nft_msgs *m, uint16_t type, uint16_t flags, uint8_t family, uint16_t res_id)
{
	struct nlmsghdr h = { 0 };
	struct nfgenmsg g = { 0 };
	size_t off;

	if (m->depth) {
		m->bad = true;
		return;
	}
	off = grow(m, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(g)));
	h.nlmsg_type = type;
	h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	h.nlmsg_seq = m->seq++;
	g.nfgen_family = family;
	g.version = NFNETLINK_V0;
	g.res_id = htobe16(res_id);
	if (m->b.oom)
		return;
	memcpy(m->b.p + off, &h, sizeof(h));
	memcpy(m->b.p + off + NLMSG_HDRLEN, &g, sizeof(g));
	m->msg = off;
}

static void finish(struct ev_nft_msgs *m)
{
	if (m->depth)
		m->bad = true;
	put_u32_at(m, m->msg + offsetof(struct nlmsghdr, nlmsg_len), (uint32_t)(m->b.len - m->msg));
}

void ev_nft_batch_begin(struct ev_nft_msgs *m)
{
	header(m, NFNL_MSG_BATCH_BEGIN, 0, 0, NFNL_SUBSYS_NFTABLES);
	finish(m);
}

void ev_nft_batch_end(struct ev_nft_msgs *m)
{
	header(m, NFNL_MSG_BATCH_END, 0, 0, NFNL_SUBSYS_NFTABLES);
	finish(m);
}

void ev_nft_msg_begin(struct ev_nft_msgs *m, uint16_t type, uint16_t flags, uint8_t family)
{
	if (flags & NLM_F_ACK)
		m->n_acked++;
	header(m, (uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | type), flags, family, 0);
}

void ev_nft_msg_end(struct ev_nft_msgs *m)
{
	finish(m);
}

void ev_nft_put(struct ev_nft_msgs *m, uint16_t type, const void *data, size_t len)
{
	size_t off;

	if (len > 0xffff - NLA_HDRLEN) {
		m->bad = true;
		return;
	}
	off = grow(m, NLA_HDRLEN + NLA_ALIGN(len));
	put_u16_at(m, off + offsetof(struct nlattr, nla_len), (uint16_t)(NLA_HDRLEN + len));
	put_u16_at(m, off + offsetof(struct nlattr, nla_type), type);
	if (!m->b.oom && len)
		memcpy(m->b.p + off + NLA_HDRLEN, data, len);
}

void ev_nft_put_str(struct ev_nft_msgs *m, uint16_t type, const char *s)
{
	ev_nft_put(m, type, s, strlen(s) + 1);
}

void ev_nft_put_be32(struct ev_nft_msgs *m, uint16_t type, uint32_t v)
{
	v = htobe32(v);
	ev_nft_put(m, type, &v, sizeof(v));
}

void ev_nft_put_be64(struct ev_nft_msgs *m, uint16_t type, uint64_t v)
{
	v = htobe64(v);
	ev_nft_put(m, type, &v, sizeof(v));
}

void ev_nft_nest_begin(struct ev_nft_msgs *m, uint16_t type)
{
	if (m->depth == NEST_MAX) {
		m->bad = true;
		return;
	}
	m->nest[m->depth++] = grow(m, NLA_HDRLEN);
	put_u16_at(m, m->nest[m->depth - 1] + offsetof(struct nlattr, nla_type), (uint16_t)(NLA_F_NESTED | type));
}

void ev_nft_nest_end(struct ev_nft_msgs *m)
{
	size_t off, len;

	if (!m->depth) {
		m->bad = true;
		return;
	}
	off = m->nest[--m->depth];
	len = m->b.len - off;
	if (len > 0xffff)
		m->bad = true;
	put_u16_at(m, off + offsetof(struct nlattr, nla_len), (uint16_t)len);
}

/* ------------------------------------------------------------ parsing */

int ev_nft_attrs(const void *data, size_t len, const struct nlattr **tb, unsigned max)
{
	const char *p = data;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= NLA_HDRLEN) {
		struct nlattr a;
		size_t step;

		memcpy(&a, p, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
			return -EBADMSG;
		if ((a.nla_type & NLA_TYPE_MASK) <= max)
			tb[a.nla_type & NLA_TYPE_MASK] = (const struct nlattr *)p;
		step = NLA_ALIGN(a.nla_len);
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return len ? -EBADMSG : 0;
}

const void *ev_nft_attr_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

size_t ev_nft_attr_len(const struct nlattr *a)
{
	struct nlattr h;

	memcpy(&h, a, sizeof(h));
	return h.nla_len - NLA_HDRLEN;
}

const char *ev_nft_attr_str(const struct nlattr *a)
{
	size_t n;
	const char *s;

	if (!a || !(n = ev_nft_attr_len(a)))
		return NULL;
	s = ev_nft_attr_data(a);
	return s[n - 1] == '\0' ? s : NULL;
}

bool ev_nft_attr_be32(const struct nlattr *a, uint32_t *v)
{
	if (!a || ev_nft_attr_len(a) != sizeof(*v))
		return false;
	memcpy(v, ev_nft_attr_data(a), sizeof(*v));
	*v = be32toh(*v);
	return true;
}

bool ev_nft_attr_be64(const struct nlattr *a, uint64_t *v)
{
	if (!a || ev_nft_attr_len(a) != sizeof(*v))
		return false;
	memcpy(v, ev_nft_attr_data(a), sizeof(*v));
	*v = be64toh(*v);
	return true;
}

bool ev_nft_msg_attrs(const struct nlmsghdr *h, const void **data, size_t *len)
{
	size_t skip = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));

	if (h->nlmsg_len < skip)
		return false;
	*data = (const char *)h + skip;
	*len = h->nlmsg_len - skip;
	return true;
}

/* ------------------------------------------------------------ kernel */

int ev_nft_open(struct ev_nft **out, long timeout_ms, struct ev_err *err)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
	struct timespec ts;
	struct ev_nft *n;
	int rc;

	*out = NULL;
	if (!(n = calloc(1, sizeof(*n))) || !(n->rbuf = malloc(RECV_BUF))) {
		free(n);
		return ev_errf(err, -ENOMEM, "out of memory");
	}
	n->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (n->fd < 0) {
		rc = -errno;
		ev_nft_close(&n);
		return ev_errf(err, rc, "netfilter netlink socket: %s", strerror(-rc));
	}
	/* Sequence numbers go on from one exchange to the next, so a late
	 * reply to an earlier one is never taken for an answer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n->seq = (uint32_t)ts.tv_nsec ^ ((uint32_t)ts.tv_sec << 20);
	/* Not bound: the kernel gives the socket its port at the first send. */
	if (setsockopt(n->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		rc = -errno;
		ev_nft_close(&n);
		return ev_errf(err, rc, "netfilter netlink socket: %s", strerror(-rc));
	}
	*out = n;
	return 0;
}

size_t ev_nft_max_batch(const struct ev_nft *n)
{
	int v = 0;
	socklen_t l = sizeof(v);

	/* The kernel's floor for a send buffer is a few KiB. */
	if (getsockopt(n->fd, SOL_SOCKET, SO_SNDBUF, &v, &l) != 0 || v < 4096)
		return 4096 - 32;
	return (size_t)v - 32;
}

uint32_t ev_nft_seq(const struct ev_nft *n)
{
	return n->seq;
}

void ev_nft_close(struct ev_nft **n)
{
	if (!*n)
		return;
	if ((*n)->fd >= 0)
		close((*n)->fd);
	free((*n)->rbuf);
	free(*n);
	*n = NULL;
}

static int send_msgs(struct ev_nft *n, struct ev_nft_msgs *m, struct ev_err *err)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t w;

	if (m->b.oom)
		return ev_errf(err, -ENOMEM, "out of memory");
	if (m->bad || m->depth || !m->b.len)
		return ev_errf(err, -EINVAL, "netlink message malformed (an efa-verify bug)");
	n->seq = m->seq;
	do
		w = sendto(n->fd, m->b.p, m->b.len, 0, (struct sockaddr *)&sa, sizeof(sa));
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return ev_errf(err, -errno, "netlink send: %s", strerror(errno));
	if ((size_t)w != m->b.len)
		return ev_errf(err, -EIO, "netlink send: short write");
	return 0;
}

/* One datagram from the kernel into n->rbuf; its length or -errno. */
static ssize_t recv_one(struct ev_nft *n, struct ev_err *err)
{
	struct sockaddr_nl sa;
	socklen_t sl = sizeof(sa);
	ssize_t r;

	do
		r = recvfrom(n->fd, n->rbuf, RECV_BUF, MSG_TRUNC, (struct sockaddr *)&sa, &sl);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return ev_errf(err, -ETIMEDOUT, "netlink: no answer from the kernel in time");
		return ev_errf(err, -errno, "netlink receive: %s", strerror(errno));
	}
	if (r > RECV_BUF)
		return ev_errf(err, -EMSGSIZE, "netlink receive: reply larger than %d bytes", RECV_BUF);
	/* Only the kernel speaks to us. */
	if (sa.nl_pid != 0)
		return 0;
	return r;
}

/* The error code of an NLMSG_ERROR message (0 = ack), or -EBADMSG. */
static int nl_error(const struct nlmsghdr *h)
{
	struct nlmsgerr e;

	if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(e))
		return -EBADMSG;
	memcpy(&e, NLMSG_DATA(h), sizeof(e));
	return e.error;
}

/* Send m, then hand each reply message to each() until it says done (1)
 * or fails (< 0). */
typedef int (*each_fn)(const struct nlmsghdr *h, void *arg, struct ev_err *err);
static int exchange(struct ev_nft *n, struct ev_nft_msgs *m, each_fn each, void *arg, struct ev_err *err)
{
	int rc;

	if ((rc = send_msgs(n, m, err)))
		return rc;
	for (;;) {
		ssize_t r = recv_one(n, err);
		size_t left;

		if (r < 0)
			return (int)r;
		left = (size_t)r;
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rbuf; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
			if ((rc = each(h, arg, err)) != 0)
				return rc < 0 ? rc : 0;
	}
}

static int nl_failed(int rc, const char *what, struct ev_err *err)
{
	return ev_errf(err, rc < 0 ? rc : -EPROTO, "%s: %s", what, strerror(rc < 0 ? -rc : EPROTO));
}

struct commit_ctx {
	const struct ev_nft_msgs *m;
	unsigned acked;
};

static int commit_each(const struct nlmsghdr *h, void *arg, struct ev_err *err)
{
	struct commit_ctx *c = arg;
	int rc;

	/* Any message of the batch may fail, the batch's begin too (-EPERM
	 * without CAP_NET_ADMIN); only those asked for acks are acked. */
	if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq - c->m->start_seq >= c->m->seq - c->m->start_seq)
		return 0;
	if ((rc = nl_error(h)) != 0)
		return nl_failed(rc, "nf_tables", err);
	return ++c->acked == c->m->n_acked;
}

int ev_nft_commit(struct ev_nft *n, struct ev_nft_msgs *m, struct ev_err *err)
{
	struct commit_ctx c = { m, 0 };

	if (!m->n_acked)
		return ev_errf(err, -EINVAL, "netlink batch without acks (an efa-verify bug)");
	return exchange(n, m, commit_each, &c, err);
}

struct dump_ctx {
	uint32_t seq;
	ev_nft_dump_cb cb;
	void *arg;
};

static int dump_each(const struct nlmsghdr *h, void *arg, struct ev_err *err)
{
	struct dump_ctx *d = arg;
	int rc;

	if (h->nlmsg_seq != d->seq)
		return 0;
	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR)
		return (rc = nl_error(h)) ? nl_failed(rc, "nf_tables dump", err) : 0;
	return (rc = d->cb(h, d->arg)) ? (rc < 0 ? rc : -ECANCELED) : 0;
}

int ev_nft_dump(struct ev_nft *n, struct ev_nft_msgs *m, ev_nft_dump_cb cb, void *arg, struct ev_err *err)
{
	struct dump_ctx d = { m->start_seq, cb, arg };

	return exchange(n, m, dump_each, &d, err);
}
