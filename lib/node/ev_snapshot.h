/* A snapshot: every counter of a node's EFA devices and TCP interfaces at
 * one moment, and its text form (what a job's start file holds). */
#ifndef EV_SNAPSHOT_H
#define EV_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "config/ev_config.h"
#include "node/ev_counters.h"
#include "node/ev_devices.h"
#include "util/ev_buf.h"
#include "util/ev_err.h"

/* The most a snapshot's text, or a file wrapping it, may hold. */
#define EV_SNAPSHOT_TEXT_MAX (4u << 20)
/* The most TCP interfaces a snapshot holds: far above the ENA interfaces
 * any instance has (a few dozen), and a node with more is refused with
 * their names rather than counted in part. */
#define EV_SNAPSHOT_MAX_IFACES 1024

struct ev_snapshot {
	uint64_t time_ns;             /* CLOCK_REALTIME when taken */
	struct ev_dev_counters *efa;
	size_t n_efa;
	struct ev_tcp_counters *tcp;
	size_t n_tcp;
	unsigned n_bad;               /* counters that were unreadable or garbage */
	uint32_t job_nodes;           /* kept with a job's start snapshot; 0 = unknown */
	/* ev_snapshot_take says INTERFACE (tcp[] is read either way); the
	 * prolog and epilog make it NFTABLES with net when the job's table
	 * counted. */
	enum ev_tcp_source tcp_source;
	struct ev_net_counts net;
};

/* Snapshot the devices in devs and the TCP interfaces the config names
 * (tcp_auto: ENA netdevs). names NULL: every port and device counter file
 * there is (efa-verify snapshot); else only the counters named there,
 * sorted as ev_job_counters is, from ports/1/hw_counters, or from the
 * device's hw_counters where a driver has no port-level directory; and
 * those in dev_names (sorted, may be NULL; ev_job_device_counters) from the
 * device's hw_counters. */
int ev_snapshot_take(const struct ev_config *cfg, const struct ev_device_list *devs,
		     const char *const *names, const char *const *dev_names, struct ev_snapshot *out,
		     struct ev_err *err);
void ev_snapshot_free(struct ev_snapshot *s);

/* Device name's counters in snapshot s (NULL: no such device, or no s). */
const struct ev_dev_counters *ev_snapshot_dev(const struct ev_snapshot *s, const char *name);
/* Likewise an interface's TCP counters. */
const struct ev_tcp_counters *ev_snapshot_if(const struct ev_snapshot *s, const char *name);

/* The text form, "efa-verify-snapshot 1" on its own. A file that wraps it
 * (the job start file) has a first line of its own and header lines
 * before the snapshot's; this says how to read them. */
struct ev_snapshot_wrap {
	const char *magic;            /* its first line */
	char **tok;                   /* room for the tokens of its longest line */
	int max_tok;
	/* One of its header lines: 0 if taken, -1 if not its own or bad. */
	int (*header)(void *ctx, char **tok, int n);
	/* At the end: what its header lines lack, or NULL. */
	const char *(*missing)(void *ctx);
	void *ctx;
};

char *ev_snapshot_serialize(const struct ev_snapshot *s, size_t *len);
/* The snapshot's lines, those after any header, and the end marker. */
void ev_snapshot_text_append(struct ev_buf *b, const struct ev_snapshot *s);
int ev_snapshot_deserialize(const char *text, size_t len, struct ev_snapshot *out,
			    struct ev_err *err);
/* With w NULL as ev_snapshot_deserialize; else a format 1 text or one that
 * w wraps. out is zeroed on an error. */
int ev_snapshot_parse(const char *text, size_t len, const struct ev_snapshot_wrap *w,
		      struct ev_snapshot *out, struct ev_err *err);

#endif
