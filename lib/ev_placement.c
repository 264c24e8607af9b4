#include "ev_placement.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int ev_facts_format(const struct ev_imds_info *m, char *out, size_t cap)
{
	int n = snprintf(out, cap, EV_FACTS_PREFIX "az=%s pg=%s type=%s", m->availability_zone,
			 m->in_group && m->placement_group[0] ? m->placement_group : "-",
			 m->instance_type);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static bool take(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, key);
	size_t n;

	if (!p)
		return false;
	p += strlen(key);
	n = strcspn(p, " ");
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

bool ev_facts_parse(const char *text, struct ev_peer *out)
{
	out->known = false;
	if (!text || strncmp(text, EV_FACTS_PREFIX, strlen(EV_FACTS_PREFIX)) != 0)
		return false;
	if (!take(text, " pg=", out->group, sizeof(out->group)) ||
	    !take(text, "az=", out->az, sizeof(out->az)))
		return false;
	if (strcmp(out->group, "-") == 0)
		out->group[0] = '\0';
	if (!take(text, " type=", out->type, sizeof(out->type)))
		out->type[0] = '\0';
	out->known = true;
	return true;
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
