#include "record/ev_result.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config/ev_config.h"
#include "record/ev_value.h"

void ev_result_fill(struct ev_node_result *r, const struct ev_verdict_cfg *c, const struct ev_node_delta *d)
{
	uint64_t busiest = 0, min = UINT64_MAX, max = 0;
	uint32_t busy = 0, total = 0;

	if (!d)
		return;
	r->efa_bytes = d->efa_bytes;
	r->tcp_bytes = d->tcp_bytes;
	r->tcp_source = d->tcp_source;
	r->other_tcp_bytes = d->other_tcp_bytes;
	for (size_t i = 0; i < d->n; i++)
		if (d->devs[i].state == EV_DEV_OK && d->devs[i].bytes > busiest)
			busiest = d->devs[i].bytes;
	for (size_t i = 0; i < d->n && total < 4096; i++) {
		uint64_t b = d->devs[i].bytes;

		if (d->devs[i].state != EV_DEV_OK)
			continue;
		total++;
		if (b && (double)b >= c->idle_nic_fraction * (double)busiest)
			busy++;
		min = b < min ? b : min;
		max = b > max ? b : max;
	}
	r->nics_busy = busy;
	r->nics_total = total;
	r->nic_min_bytes = total ? min : 0;
	r->nic_max_bytes = max;
}

/* " containers=..." after line[0..n), within EV_RESULT_LINE_MAX however
 * long the rest is: what does not fit is counted, not lost. */
static int add_containers(const struct ev_containers *c, char *line, size_t n, size_t cap)
{
	static const char key[] = " containers=";
	size_t room = cap < EV_RESULT_LINE_MAX ? cap : EV_RESULT_LINE_MAX;

	if (!c->n && !c->more)
		return 0;
	if (n + strlen(key) + EV_CONTAINERS_TEXT_MIN > room)
		return -ENAMETOOLONG;
	memcpy(line + n, key, sizeof(key));
	n += strlen(key);
	return ev_containers_format(c, line + n, room - n);
}

int ev_result_format(const struct ev_node_result *r, char *out, size_t cap)
{
	char enc[EV_REASON_MAX], job[24] = "", nodes[24] = "", reason[EV_REASON_MAX + 8] = "", nics[80] = "";
	char tcp[64] = "", causes[EV_CAUSES_MAX * (EV_CAUSE_DETAIL_MAX + 24) + 8] = " cause=";
	int n;

	if (!ev_valid_nodename(r->node) || !ev_verdict_valid(r->verdict) || r->nics_busy > r->nics_total ||
	    r->nic_min_bytes > r->nic_max_bytes || (unsigned)r->tcp_source > EV_TCP_SRC_NFTABLES ||
	    (r->tcp_source == EV_TCP_SRC_NONE && r->other_tcp_bytes) || !ev_containers_valid(&r->containers))
		return -EINVAL;
	if (!r->causes.n)
		causes[0] = '\0';
	else if (ev_causes_format(&r->causes, causes + 7, sizeof(causes) - 7) != 0)
		return -EINVAL;
	if (r->tcp_source != EV_TCP_SRC_NONE)
		snprintf(tcp, sizeof(tcp), " other_tcp_bytes=%" PRIu64 " tcp_source=%s", r->other_tcp_bytes,
			 ev_tcp_source_name(r->tcp_source));
	if (r->nics_total)
		snprintf(nics, sizeof(nics), " nics=%" PRIu32 "/%" PRIu32 " nic_min=%" PRIu64 " nic_max=%" PRIu64,
			 r->nics_busy, r->nics_total, r->nic_min_bytes, r->nic_max_bytes);
	if (r->jobid)
		snprintf(job, sizeof(job), "job=%" PRIu32 " ", r->jobid);
	if (r->job_nodes)
		snprintf(nodes, sizeof(nodes), " nodes=%" PRIu32, r->job_nodes);
	if (r->reason[0] && ev_value_encode(r->reason, enc, sizeof(enc)))
		snprintf(reason, sizeof(reason), " reason=%s", enc);
	n = snprintf(out, cap, "%snode=%s%s verdict=%s efa_bytes=%" PRIu64 " tcp_bytes=%" PRIu64 "%s shared=%d%s%s%s",
		     job, r->node, nodes, ev_verdict_name(r->verdict), r->efa_bytes, r->tcp_bytes, tcp,
		     r->shared ? 1 : 0, nics, reason, causes);
	if (n < 0 || (size_t)n >= cap)
		return -ENAMETOOLONG;
	return add_containers(&r->containers, out, (size_t)n, cap);
}

/* "B/T" with 0 < T <= 4096 and B <= T. */
static bool parse_ratio(const char *s, uint32_t *busy, uint32_t *total)
{
	char a[24];
	const char *slash = strchr(s, '/');
	uint64_t b, t;

	if (!slash || (size_t)(slash - s) >= sizeof(a))
		return false;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	if (!ev_value_u64(a, &b) || !ev_value_u64(slash + 1, &t) || !t || t > 4096 || b > t)
		return false;
	*busy = (uint32_t)b;
	*total = (uint32_t)t;
	return true;
}

unsigned ev_traffic_parse(const char *key, const char *v, const struct ev_traffic_fields *f)
{
	if (strcmp(key, "efa_bytes") == 0 && ev_value_u64(v, f->efa_bytes))
		return EV_TRAFFIC_EFA;
	if (strcmp(key, "tcp_bytes") == 0 && ev_value_u64(v, f->tcp_bytes))
		return EV_TRAFFIC_TCP;
	if (strcmp(key, "other_tcp_bytes") == 0 && ev_value_u64(v, f->other_tcp_bytes))
		return EV_TRAFFIC_OTHER;
	if (strcmp(key, "tcp_source") == 0 && ev_tcp_source_parse(v, f->tcp_source) == 0)
		return EV_TRAFFIC_SOURCE;
	return 0;
}

int ev_result_parse(const char *line, struct ev_node_result *r, struct ev_err *err)
{
	enum { K_EFA = EV_TRAFFIC_EFA, K_TCP = EV_TRAFFIC_TCP, K_OTHER = EV_TRAFFIC_OTHER,
	       K_SOURCE = EV_TRAFFIC_SOURCE, K_JOB = 16, K_NODE = 32, K_NODES = 64, K_VERDICT = 128,
	       K_SHARED = 256, K_REASON = 512, K_NICS = 1024, K_NIC_MIN = 2048, K_NIC_MAX = 4096,
	       K_CAUSE = 8192, K_CONTAINERS = 16384 };
	const struct ev_traffic_fields traffic = { &r->efa_bytes, &r->tcp_bytes, &r->other_tcp_bytes,
						   &r->tcp_source };
	char buf[EV_RESULT_LINE_MAX], *save = NULL;
	size_t len = strlen(line);
	unsigned seen = 0;

	memset(r, 0, sizeof(*r));
	if (len >= sizeof(buf))
		return ev_errf(err, -EMSGSIZE, "node result longer than %d bytes", EV_RESULT_LINE_MAX - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return ev_errf(err, -EBADMSG, "node result: control character");
	memcpy(buf, line, len + 1);
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *v = strchr(t, '=');
		unsigned key = 0;
		uint64_t x;
		int vd;

		if (!v) {
			memset(r, 0, sizeof(*r));
			return ev_errf(err, -EBADMSG, "node result: '%.32s' is not key=value", t);
		}
		*v++ = '\0';
		if (strcmp(t, "node") == 0 && ev_valid_nodename(v)) {
			memcpy(r->node, v, strlen(v) + 1);
			key = K_NODE;
		} else if (strcmp(t, "verdict") == 0 && (vd = ev_verdict_from_name(v)) >= 0) {
			r->verdict = (enum ev_verdict)vd;
			key = K_VERDICT;
		} else if ((key = ev_traffic_parse(t, v, &traffic))) {
			/* K_EFA, K_TCP, K_OTHER or K_SOURCE */
		} else if ((strcmp(t, "job") == 0 || strcmp(t, "nodes") == 0) && ev_value_u64(v, &x) && x &&
			   x <= UINT32_MAX) {
			*(t[0] == 'j' ? &r->jobid : &r->job_nodes) = (uint32_t)x;
			key = t[0] == 'j' ? K_JOB : K_NODES;
		} else if (strcmp(t, "shared") == 0 && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
			r->shared = v[0] == '1';
			key = K_SHARED;
		} else if (strcmp(t, "nics") == 0 && parse_ratio(v, &r->nics_busy, &r->nics_total)) {
			key = K_NICS;
		} else if (strcmp(t, "nic_min") == 0 && ev_value_u64(v, &r->nic_min_bytes)) {
			key = K_NIC_MIN;
		} else if (strcmp(t, "nic_max") == 0 && ev_value_u64(v, &r->nic_max_bytes)) {
			key = K_NIC_MAX;
		} else if (strcmp(t, "reason") == 0 && *v &&
			   ev_value_decode(v, strlen(v), r->reason, sizeof(r->reason)) == 0) {
			key = K_REASON;
		} else if (strcmp(t, "cause") == 0 && *v && !(seen & K_CAUSE) &&
			   ev_causes_parse(v, &r->causes, NULL) == 0) {
			key = K_CAUSE;
		} else if (strcmp(t, "containers") == 0 && !(seen & K_CONTAINERS) &&
			   ev_containers_parse(v, &r->containers, NULL) == 0) {
			key = K_CONTAINERS;
		}
		if (!key || (seen & key)) {
			memset(r, 0, sizeof(*r));
			return ev_errf(err, -EBADMSG, "node result: bad, unknown or repeated field '%.32s'", t);
		}
		seen |= key;
	}
	if ((seen & (K_NODE | K_VERDICT | K_EFA | K_TCP)) != (K_NODE | K_VERDICT | K_EFA | K_TCP)) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: node, verdict, efa_bytes and tcp_bytes are required");
	}
	/* The balance comes whole or not at all, and consistent. */
	if (((seen & (K_NICS | K_NIC_MIN | K_NIC_MAX)) && (seen & (K_NICS | K_NIC_MIN | K_NIC_MAX)) !=
	     (K_NICS | K_NIC_MIN | K_NIC_MAX)) || r->nic_min_bytes > r->nic_max_bytes) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: nics, nic_min and nic_max go together, min <= max");
	}
	if (!(seen & K_OTHER) != !(seen & K_SOURCE)) {
		memset(r, 0, sizeof(*r));
		return ev_errf(err, -EBADMSG, "node result: other_tcp_bytes and tcp_source go together");
	}
	return 0;
}
