/* The little of nf_tables' netlink protocol efa-verify speaks: build a
 * batch of messages, commit it, dump tables or objects, walk attributes.
 *
 * Spoken directly rather than through libnftables: the prolog and epilog
 * run at every job start and end, and libnftables costs more than the rest
 * of them together (bench/run measured it: its dlopen alone, BIND_NOW with
 * libgmp, libxtables and libjansson, is 1.2 M instructions, and parsing and
 * evaluating the job's table another 0.7-1.1 M, ~2 ms of CPU against a
 * 5 ms budget). The messages here are a few hundred bytes built in memory
 * and one round trip, and the kernel's nf_tables netlink interface is
 * stable UAPI. No text is ever parsed as a command: names and addresses
 * travel as netlink attributes.
 *
 * Building is pure (unit-tested on bytes); ev_nft_open/commit/dump talk to
 * the kernel, bounded by a receive timeout. */
#ifndef EV_NFT_H
#define EV_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "util/ev_buf.h"
#include "util/ev_err.h"

/* One batch (or one dump request) under construction. Allocation failures
 * are sticky in b.oom, checked once when sending. */
struct ev_nft_msgs {
	struct ev_buf b;
	uint32_t start_seq;    /* of the first message */
	uint32_t seq;          /* of the next message */
	unsigned n_acked;      /* messages that ask for an ack */
	size_t msg;            /* offset of the open message */
	size_t nest[8];        /* offsets of open nests */
	unsigned depth;
	bool bad;              /* nests unbalanced, too deep, or an attribute too long */
};

/* seq: where this batch's sequence numbers start (any value; replies are
 * matched against it). */
void ev_nft_init(struct ev_nft_msgs *m, uint32_t seq);
void ev_nft_free(struct ev_nft_msgs *m);

/* NFNL_MSG_BATCH_BEGIN/END around the messages of a transaction. */
void ev_nft_batch_begin(struct ev_nft_msgs *m);
void ev_nft_batch_end(struct ev_nft_msgs *m);
/* A message of nf_tables (type NFT_MSG_*), for family (NFPROTO_*), with
 * flags besides NLM_F_REQUEST; NLM_F_ACK is counted for ev_nft_commit. */
void ev_nft_msg_begin(struct ev_nft_msgs *m, uint16_t type, uint16_t flags, uint8_t family);
void ev_nft_msg_end(struct ev_nft_msgs *m);

void ev_nft_put(struct ev_nft_msgs *m, uint16_t type, const void *data, size_t len);
void ev_nft_put_str(struct ev_nft_msgs *m, uint16_t type, const char *s);   /* with its NUL */
void ev_nft_put_be32(struct ev_nft_msgs *m, uint16_t type, uint32_t v);
void ev_nft_put_be64(struct ev_nft_msgs *m, uint16_t type, uint64_t v);
void ev_nft_nest_begin(struct ev_nft_msgs *m, uint16_t type);
void ev_nft_nest_end(struct ev_nft_msgs *m);

/* ---------------------------------------------------------------- parsing */

/* The attributes of one level, by type (tb[0..max]; later repeats win).
 * -EBADMSG if an attribute overruns data. */
int ev_nft_attrs(const void *data, size_t len, const struct nlattr **tb, unsigned max);
const void *ev_nft_attr_data(const struct nlattr *a);
size_t ev_nft_attr_len(const struct nlattr *a);
/* A NUL-terminated string attribute; NULL if absent or not terminated. */
const char *ev_nft_attr_str(const struct nlattr *a);
/* A big-endian 32/64-bit attribute; false if absent or of another size. */
bool ev_nft_attr_be32(const struct nlattr *a, uint32_t *v);
bool ev_nft_attr_be64(const struct nlattr *a, uint64_t *v);

/* The attributes of an nf_tables message (after its nfgenmsg); false if
 * it is too short. */
bool ev_nft_msg_attrs(const struct nlmsghdr *h, const void **data, size_t *len);

/* ---------------------------------------------------------------- kernel */

struct ev_nft;

/* A NETLINK_NETFILTER socket with a receive timeout of timeout_ms. Fails
 * (-EPROTONOSUPPORT, -EAFNOSUPPORT, -EPERM...) where netfilter's netlink
 * is not there or not allowed. */
int ev_nft_open(struct ev_nft **out, long timeout_ms, struct ev_err *err);
void ev_nft_close(struct ev_nft **n);
/* The largest batch the socket sends: a netlink datagram must fit its
 * send buffer, less 32 bytes (netlink_sendmsg). */
size_t ev_nft_max_batch(const struct ev_nft *n);
/* Where the next batch or request's sequence numbers start
 * (ev_nft_init): after those of every exchange before it. */
uint32_t ev_nft_seq(const struct ev_nft *n);

/* Send a batch and wait for every ack: 0, or the first error the kernel
 * reported (-EPERM without CAP_NET_ADMIN, -EEXIST, -ENOENT...), or
 * -ETIMEDOUT. The kernel applies a batch whole or not at all. */
int ev_nft_commit(struct ev_nft *n, struct ev_nft_msgs *m, struct ev_err *err);

/* Send one dump request (a message with NLM_F_DUMP) and hand each reply
 * message to cb until the dump ends; cb returns 0 to go on, a negative
 * errno to stop with it. */
typedef int (*ev_nft_dump_cb)(const struct nlmsghdr *h, void *arg);
int ev_nft_dump(struct ev_nft *n, struct ev_nft_msgs *m, ev_nft_dump_cb cb, void *arg, struct ev_err *err);

#endif
