#include "aws/ev_placement.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/ev_num.h"

/* Values travel in one space-separated line: none may be empty or hold a
 * space or a control character (IMDS values are validated the same way,
 * this keeps a bad cache from breaking the line). */
static bool token_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int ev_placement_facts_format(const struct ev_imds_info *m, const char *boot_id, int64_t now, char *out,
		    size_t cap)
{
	const char *pg = m->in_group && m->placement_group[0] ? m->placement_group : "-";
	int n;

	if (!boot_id || !ev_boot_id_valid(boot_id) || now <= 0 || !token_ok(m->availability_zone) ||
	    !token_ok(pg) || (m->instance_type[0] && !token_ok(m->instance_type)))
		return -EINVAL;
	n = snprintf(out, cap, EV_PLACEMENT_FACTS_PREFIX "az=%s pg=%s type=%s boot=%s at=%lld",
		     m->availability_zone, pg, m->instance_type[0] ? m->instance_type : "-", boot_id,
		     (long long)now);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Copy one value (up to the next space) into out; false if it does not fit. */
static bool copy_val(const char *v, size_t n, char *out, size_t cap)
{
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

bool ev_placement_facts_parse(const char *text, struct ev_peer *out)
{
	bool have_az = false, have_pg = false;
	const char *p;

	out->known = false;
	out->az[0] = out->group[0] = out->type[0] = out->boot_id[0] = '\0';
	out->written = 0;
	if (!text || strncmp(text, EV_PLACEMENT_FACTS_PREFIX, strlen(EV_PLACEMENT_FACTS_PREFIX)) != 0)
		return false;
	/* key=value tokens, one space apart, in any order; keys this version
	 * does not know are skipped, so a newer writer's line still reads. */
	for (p = text + strlen(EV_PLACEMENT_FACTS_PREFIX); *p;) {
		size_t len = strcspn(p, " "), klen;
		const char *eq = memchr(p, '=', len), *v;
		size_t vlen;
		bool ok = true;

		if (!eq)
			return false;
		klen = (size_t)(eq - p);
		v = eq + 1;
		vlen = len - klen - 1;
		if (klen == 2 && strncmp(p, "az", 2) == 0) {
			ok = copy_val(v, vlen, out->az, sizeof(out->az));
			have_az = ok;
		} else if (klen == 2 && strncmp(p, "pg", 2) == 0) {
			ok = copy_val(v, vlen, out->group, sizeof(out->group));
			have_pg = ok;
		} else if (klen == 4 && strncmp(p, "type", 4) == 0) {
			ok = copy_val(v, vlen, out->type, sizeof(out->type));
		} else if (klen == 4 && strncmp(p, "boot", 4) == 0) {
			ok = copy_val(v, vlen, out->boot_id, sizeof(out->boot_id)) &&
			     ev_boot_id_valid(out->boot_id);
		} else if (klen == 2 && strncmp(p, "at", 2) == 0) {
			char num[24];
			uint64_t t;

			ok = copy_val(v, vlen, num, sizeof(num)) && ev_parse_u64_strict(num, &t) &&
			     t > 0 && t <= (uint64_t)INT64_MAX;
			if (ok)
				out->written = (int64_t)t;
		}
		if (!ok)
			return false;
		p += len;
		if (*p == ' ')
			p++;
	}
	if (!have_az || !have_pg)
		return false;
	if (strcmp(out->group, "-") == 0)
		out->group[0] = '\0';
	if (strcmp(out->type, "-") == 0)
		out->type[0] = '\0';
	out->known = true;
	return true;
}

static void utc(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, cap, "@%lld", (long long)t);
}

int ev_placement_facts_fresh(const struct ev_peer *p, int64_t now, int64_t max_age, char *why, size_t cap)
{
	char w[32], b[32];

	if (cap)
		why[0] = '\0';
	if (!p->boot_id[0] || p->written <= 0) {
		snprintf(why, cap, "fact is from an older efa-verify (no boot id and time)");
		return -ESTALE;
	}
	utc(p->written, w, sizeof(w));
	/* The node's boot time comes from its own slurmd, on the same clock
	 * as the fact's time: comparing them needs no clock agreement. */
	if (p->node_boot > 0 && p->written < p->node_boot) {
		utc(p->node_boot, b, sizeof(b));
		snprintf(why, cap, "fact is from %s, before %s last booted (%s)", w, p->node, b);
		return -ESTALE;
	}
	if (p->written > now + EV_PLACEMENT_FACTS_MAX_SKEW) {
		snprintf(why, cap, "fact is from %s, %lld s ahead of this node's clock", w,
			 (long long)(p->written - now));
		return -ESTALE;
	}
	if (now - p->written > max_age) {
		snprintf(why, cap, "fact is from %s, older than %lld h", w, (long long)(max_age / 3600));
		return -ESTALE;
	}
	return 0;
}

bool ev_placement_facts_should_publish(const char *published, const char *fresh, int64_t max_age)
{
	struct ev_peer old, cur;

	if (!published || !*published)
		return true;
	/* Only our own text, or nothing, is ever replaced. */
	if (strncmp(published, EV_PLACEMENT_FACTS_PREFIX, strlen(EV_PLACEMENT_FACTS_PREFIX)) != 0)
		return false;
	if (!ev_placement_facts_parse(fresh, &cur))
		return false;
	if (!ev_placement_facts_parse(published, &old))
		return true;
	return strcmp(old.az, cur.az) != 0 || strcmp(old.group, cur.group) != 0 ||
	       strcmp(old.type, cur.type) != 0 || strcmp(old.boot_id, cur.boot_id) != 0 ||
	       old.written <= 0 || old.written > cur.written + EV_PLACEMENT_FACTS_MAX_SKEW ||
	       cur.written - old.written >= max_age / 2;
}

size_t ev_placement_drop_stale(struct ev_peer *peers, size_t n, int64_t now, int64_t max_age,
			       char *why, size_t cap)
{
	size_t dropped = 0;
	char w[256];

	if (cap)
		why[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (!peers[i].known || ev_placement_facts_fresh(&peers[i], now, max_age, w, sizeof(w)) == 0)
			continue;
		peers[i].known = false;
		if (!dropped++)
			snprintf(why, cap, "placement of %s not verified: %s", peers[i].node, w);
	}
	return dropped;
}

/* "n1 us-east-1a, n3 us-east-1b" for the first peer that differs. */
int ev_placement_consistent(const struct ev_peer *self, const struct ev_peer *peers, size_t n,
			    char *reason, size_t cap)
{
	if (cap)
		reason[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct ev_peer *p = &peers[i];

		if (!p->known || strcmp(p->node, self->node) == 0)
			continue;
		if (strcmp(p->az, self->az) != 0) {
			snprintf(reason, cap, "nodes of this job are in different availability zones: "
				 "%s %s, %s %s", self->node, self->az, p->node, p->az);
			return -EXDEV;
		}
		if (strcmp(p->group, self->group) != 0) {
			snprintf(reason, cap, "nodes of this job are in different placement groups: "
				 "%s %s, %s %s", self->node, self->group[0] ? self->group : "(none)",
				 p->node, p->group[0] ? p->group : "(none)");
			return -EXDEV;
		}
	}
	return 0;
}
