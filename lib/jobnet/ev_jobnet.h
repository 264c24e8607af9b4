/* The job's own nftables table, which counts its inter-node traffic.
 *
 * Interface counters cannot tell a job's traffic between its nodes from
 * storage, Slurm's RPCs or ssh. So the prolog makes, per job and node,
 *
 *   table inet efa_verify_<jobid>_<node> {
 *     counter peer_tx, peer_rx, all_tx, all_rx
 *     set peers4 { type ipv4_addr }  set peers6 { type ipv6_addr }
 *     chain output { type filter hook output priority 10; policy accept;
 *       meta oiftype != loopback counter name all_tx
 *       ip daddr @peers4 counter name peer_tx    (ip6 likewise) }
 *     chain input  { ... saddr ..., iiftype ... rx }
 *   }
 *
 * and the epilog reads the counters and deletes it. The chains only
 * count: their policy is accept and no rule has a verdict, so the host's
 * own firewall decides as before (a later base chain still sees a packet
 * another accepted; ours at priority 10 comes after the usual filter
 * chains, so what they drop is not counted). Peers are never this node's
 * own or loopback addresses (ev_jobnet_peers_check), so their traffic
 * never crosses lo and all >= peer.
 *
 * The node is in the name because several simulated nodes may share a
 * network namespace; it is encoded so that the name is an nft identifier
 * and one name belongs to one node: [A-Za-z0-9] stay, any other byte is
 * "_XX" (lowercase hex). A table whose job is no longer running on the node
 * (a prolog or epilog that crashed) is removed by ev_jobnet_sweep. */
#ifndef EV_JOBNET_H
#define EV_JOBNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>

#include "node/ev_counters.h"
#include "util/ev_err.h"
#include "jobnet/ev_nft.h"

#define EV_JOBNET_PREFIX "efa_verify_"
/* "efa_verify_" + 10 digits + "_" + 63 node characters, each up to 3.
 * nf_tables takes names of up to 255 bytes since Linux 4.14 (31 before;
 * ev_jobnet_start says so where a kernel refuses one). */
#define EV_JOBNET_TABLE_MAX 224
_Static_assert(EV_JOBNET_TABLE_MAX <= 256, "a table name nf_tables takes");
/* How long one netlink exchange may take. */
#define EV_JOBNET_TIMEOUT_MS 1000

/* The job's other nodes' addresses; sorted and unique after
 * ev_jobnet_peers_check. */
struct ev_jobnet_peers {
	struct in_addr *v4;
	size_t n4, cap4;
	struct in6_addr *v6;
	size_t n6, cap6;
};

/* family AF_INET (addr: struct in_addr) or AF_INET6 (struct in6_addr). */
int ev_jobnet_peers_add(struct ev_jobnet_peers *p, int family, const void *addr, struct ev_err *err);
/* A literal IPv4 or IPv6 address (inet_pton); -EINVAL for anything else. */
int ev_jobnet_peers_add_text(struct ev_jobnet_peers *p, const char *text, struct ev_err *err);
void ev_jobnet_peers_free(struct ev_jobnet_peers *p);

/* Sort and drop repeats, then refuse (-EADDRNOTAVAIL, naming it) any
 * address that cannot tell a peer's traffic from the node's own: loopback,
 * unspecified, multicast or broadcast, and any address in local[] (this
 * node's, from ev_jobnet_local_addrs: several simulated nodes in one
 * network namespace). */
int ev_jobnet_peers_check(struct ev_jobnet_peers *p, const struct ev_jobnet_peers *local, struct ev_err *err);
/* This network namespace's own addresses (getifaddrs). */
int ev_jobnet_local_addrs(struct ev_jobnet_peers *out, struct ev_err *err);

/* "efa_verify_<jobid>_<encoded node>"; -EINVAL for job 0 or a node that is
 * not a plain host name. */
int ev_jobnet_table_name(uint32_t jobid, const char *node, char *out, size_t cap);
/* The job id of name if it is node's table, else false. */
bool ev_jobnet_table_job(const char *name, const char *node, uint32_t *jobid);

/* The batches that (re)create table for peers, each at most max bytes.
 * With *next 0, the first: the table whole (an existing table of that
 * name is replaced in the same transaction: a prolog run again) with as
 * many peers as fit; while *next is below the peers' count, each further
 * call makes a batch that adds the next ones to it. *next counts the
 * peers placed so far, IPv4 first. -EMSGSIZE where max cannot hold the
 * table or a peer. Pure. */
int ev_jobnet_build(struct ev_nft_msgs *m, const char *table, const struct ev_jobnet_peers *p, size_t max,
		    size_t *next);
/* One reply of a counter dump: if it is one of table's four counters, its
 * bytes go into c and its bit (1 peer_tx, 2 peer_rx, 4 all_tx, 8 all_rx)
 * into *seen. Pure. */
void ev_jobnet_parse_counter(const struct nlmsghdr *h, const char *table, struct ev_net_counts *c,
			     unsigned *seen);

/* The kernel side, on one netlink socket per program run (each socket
 * costs system calls the prolog and epilog count):
 * ev_jobnet_open it, ev_nft_close it. Fails where there is no netfilter
 * netlink. */
int ev_jobnet_open(struct ev_nft **n, struct ev_err *err);
/* Make the job's table (prolog), in as many batches as its peers need;
 * a table left half made is removed. Fails where nftables cannot be used:
 * no CAP_NET_ADMIN (-EPERM), no nf_tables, a kernel that takes no name
 * this long (-ERANGE). */
int ev_jobnet_start(struct ev_nft *n, uint32_t jobid, const char *node, const struct ev_jobnet_peers *p,
		    struct ev_err *err);
/* Read the job's counters (epilog): -ENOENT if its table is gone or
 * incomplete. */
int ev_jobnet_read(struct ev_nft *n, uint32_t jobid, const char *node, struct ev_net_counts *out,
		   struct ev_err *err);
/* Delete the job's table; 0 also if it was not there. */
int ev_jobnet_remove(struct ev_nft *n, uint32_t jobid, const char *node, struct ev_err *err);

/* Delete node's tables of jobs that running() says are no longer running
 * (it returns 0 and sets *yes, or an error, which keeps the table). The
 * tables are listed before running() is asked: a job's prolog marks it
 * running before it makes its table, so a table listed is never one of a
 * job that started unseen. *removed counts the tables deleted. */
typedef int (*ev_jobnet_running_fn)(uint32_t jobid, bool *yes, void *arg);
int ev_jobnet_sweep(struct ev_nft *n, const char *node, ev_jobnet_running_fn running, void *arg, size_t *removed,
		    struct ev_err *err);

#endif
