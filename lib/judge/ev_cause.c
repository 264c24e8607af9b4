#include "judge/ev_cause.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "judge/ev_verdict.h"

static const struct {
	const char *name, *evidence, *fix;
} causes[EV_CAUSE__COUNT] = {
	[EV_CAUSE_FI_PROVIDER] = {
		"fi_provider",
		"the step's FI_PROVIDER excludes efa",
		"unset FI_PROVIDER or set it to efa in the job script" },
	[EV_CAUSE_NCCL_NET] = {
		"nccl_net",
		"the step's NCCL_NET names a transport other than aws-ofi-nccl's (Socket, IB)",
		"unset NCCL_NET in the job script, so NCCL uses the aws-ofi-nccl plugin" },
	[EV_CAUSE_NCCL_NET_PLUGIN] = {
		"nccl_net_plugin",
		"the step's NCCL_NET_PLUGIN keeps NCCL from loading aws-ofi-nccl (none, or another plugin)",
		"unset NCCL_NET_PLUGIN or set it to ofi in the job script" },
	[EV_CAUSE_STALE_ENV] = {
		"stale_env",
		"the step sets an EFA variable that does not fit this node's instance type or software",
		"remove the variable from the job script or its modules; efa-verify sets what the node needs" },
	[EV_CAUSE_NO_EFA_DEVICE_IN_CONTAINER] = {
		"no_efa_device_in_container",
		"the step's container shows no /dev/infiniband/uverbs device, so nothing in it can open an EFA device",
		"give the container /dev/infiniband: for pyxis, enroot's device hook (99-mellanox.sh) or no "
		"ENROOT_RESTRICT_DEV; for --container, an OCI linux.devices entry per /dev/infiniband/uverbsN" },
	[EV_CAUSE_NO_EFA_PROVIDER_IN_CONTAINER] = {
		"no_efa_provider_in_container",
		"the step's container image has no libfabric with the efa provider, or no rdma-core libefa",
		"install the EFA software in the image: the EFA installer run with --skip-kmod --skip-limit-conf "
		"--no-verify (or a libfabric built with efa and rdma-core)" },
	[EV_CAUSE_MEMLOCK] = {
		"memlock",
		"the tasks' RLIMIT_MEMLOCK, as slurmstepd sets it, is below causes.memlock_min_bytes",
		"raise memlock to unlimited (slurmd's LimitMEMLOCK=infinity, PropagateResourceLimitsExcept=MEMLOCK "
		"or ulimit -l unlimited)" },
	[EV_CAUSE_SETUP_ERRORS] = {
		"setup_errors",
		"device-level error counters grew (ibv_reg_mr / QP / CQ creation failed)",
		"raise memlock to unlimited and run efa-verify check on the node; drain it if other jobs see the same" },
	[EV_CAUSE_UNREACHABLE_PEERS] = {
		"unreachable_peers",
		"packets sent, almost none received, peers unresponsive",
		"check the security group allows all traffic from itself (self-referencing rule) and that the peers "
		"are up" },
	[EV_CAUSE_VERSIONS] = {
		"versions",
		"EFA software on the node is below the instance type's minimum, or NCCL is there without aws-ofi-nccl",
		"upgrade the package named to at least the minimum shown (EFA installer)" },
	[EV_CAUSE_PLACEMENT] = {
		"placement",
		"the job's nodes are not in one availability zone and placement group",
		"run the job's nodes in one availability zone and placement group (the partition's nodes)" },
	[EV_CAUSE_NOT_READY] = {
		"not_ready",
		"a step found the node not ready (devices, ports, libfabric, rdma-core)",
		"drain the node and run efa-verify check on it; the failed check says what to repair" },
};

const char *ev_cause_name(enum ev_cause_name n)
{
	return (unsigned)n < EV_CAUSE__COUNT ? causes[n].name : "?";
}

int ev_cause_from_name(const char *s)
{
	for (int i = 0; s && i < EV_CAUSE__COUNT; i++)
		if (strcmp(s, causes[i].name) == 0)
			return i;
	return -1;
}

const char *ev_cause_fix(enum ev_cause_name n)
{
	return (unsigned)n < EV_CAUSE__COUNT ? causes[n].fix : "";
}

const char *ev_cause_evidence(enum ev_cause_name n)
{
	return (unsigned)n < EV_CAUSE__COUNT ? causes[n].evidence : "";
}

const char *ev_cause_certainty_name(enum ev_cause_certainty c)
{
	return c == EV_CAUSE_CERTAIN ? "certain" : "likely";
}

void ev_cause_say(const struct ev_cause *c, char *out, size_t cap)
{
	snprintf(out, cap, "%s(%s): %s; fix: %s", ev_cause_name(c->name), c->detail, ev_cause_evidence(c->name),
		 ev_cause_fix(c->name));
}

/* a goes before b: certain first, then enum order. */
static bool before(const struct ev_cause *a, const struct ev_cause *b)
{
	if (a->certainty != b->certainty)
		return a->certainty == EV_CAUSE_CERTAIN;
	return a->name < b->name;
}

/* The detail as a token: the job's environment may hold anything, and the
 * token stands in key=value text and between the record's delimiters. */
static void set_detail(struct ev_cause *c, const char *detail)
{
	size_t n = detail ? strlen(detail) : 0;

	if (n >= sizeof(c->detail))
		n = sizeof(c->detail) - 1;
	memcpy(c->detail, detail ? detail : "", n);
	c->detail[n] = '\0';
	ev_reason_clean(c->detail);
}

/* Move cs->c[i] forward to where the order wants it: it only ever moves
 * forward (added last, or a likely one made certain), the rest is in order. */
static void settle(struct ev_causes *cs, size_t i)
{
	while (i > 0 && before(&cs->c[i], &cs->c[i - 1])) {
		struct ev_cause t = cs->c[i];

		cs->c[i] = cs->c[i - 1];
		cs->c[--i] = t;
	}
}

void ev_causes_add(struct ev_causes *cs, enum ev_cause_name n, enum ev_cause_certainty c, const char *detail)
{
	struct ev_cause x = { .name = n, .certainty = c == EV_CAUSE_CERTAIN ? EV_CAUSE_CERTAIN : EV_CAUSE_LIKELY };
	size_t i;

	if ((unsigned)n >= EV_CAUSE__COUNT || cs->n > EV_CAUSES_MAX)
		return;
	set_detail(&x, detail);
	for (i = 0; i < cs->n; i++)
		if (cs->c[i].name == n)
			break;
	if (i < cs->n) {
		/* Proof outranks a suggestion; otherwise the first word stands. */
		if (cs->c[i].certainty == EV_CAUSE_LIKELY && x.certainty == EV_CAUSE_CERTAIN) {
			cs->c[i] = x;
			settle(cs, i);
		}
		return;
	}
	if (cs->n == EV_CAUSES_MAX) {
		/* Full: the new one displaces the last only if it goes before it. */
		if (!before(&x, &cs->c[cs->n - 1]))
			return;
		cs->n--;
	}
	cs->c[cs->n++] = x;
	settle(cs, cs->n - 1);
}

const struct ev_cause *ev_causes_find(const struct ev_causes *cs, enum ev_cause_name n)
{
	for (size_t i = 0; i < cs->n && i < EV_CAUSES_MAX; i++)
		if (cs->c[i].name == n)
			return &cs->c[i];
	return NULL;
}

static bool detail_ok(const char *d)
{
	for (; *d; d++)
		if (!ev_reason_char(*d))
			return false;
	return true;
}

int ev_causes_format(const struct ev_causes *cs, char *out, size_t cap)
{
	unsigned seen = 0;
	size_t o = 0;

	if (!cap)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (cs->n > EV_CAUSES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < cs->n; i++) {
		const struct ev_cause *c = &cs->c[i];
		const char *name = ev_cause_name(c->name);
		size_t nl, dl = strnlen(c->detail, sizeof(c->detail));
		size_t need;

		if ((unsigned)c->name >= EV_CAUSE__COUNT || (unsigned)c->certainty > EV_CAUSE_LIKELY ||
		    dl >= sizeof(c->detail) || !detail_ok(c->detail) || (seen & (1u << c->name)) ||
		    (i && !before(&cs->c[i - 1], c))) {
			out[0] = '\0';
			return -EINVAL;
		}
		seen |= 1u << c->name;
		nl = strlen(name);
		need = (i ? 1 : 0) + nl + (c->certainty == EV_CAUSE_LIKELY) + (dl ? dl + 2 : 0);
		if (o + need >= cap) {
			out[0] = '\0';
			return -ENAMETOOLONG;
		}
		if (i)
			out[o++] = '+';
		memcpy(out + o, name, nl);
		o += nl;
		if (c->certainty == EV_CAUSE_LIKELY)
			out[o++] = '~';
		if (dl) {
			out[o++] = '(';
			memcpy(out + o, c->detail, dl);
			o += dl;
			out[o++] = ')';
		}
		out[o] = '\0';
	}
	return 0;
}

int ev_causes_parse(const char *s, struct ev_causes *cs, struct ev_err *err)
{
	const char *p = s;

	memset(cs, 0, sizeof(*cs));
	if (!s)
		return ev_errf(err, -EINVAL, "causes: none given");
	while (*p) {
		struct ev_cause c = { .certainty = EV_CAUSE_CERTAIN };
		char name[EV_CAUSE_NAME_MAX];
		size_t nl;
		int id;

		if (cs->n && *p++ != '+')
			goto bad;
		nl = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
		if (!nl || nl >= sizeof(name))
			goto bad;
		memcpy(name, p, nl);
		name[nl] = '\0';
		if ((id = ev_cause_from_name(name)) < 0) {
			memset(cs, 0, sizeof(*cs));
			return ev_errf(err, -EBADMSG, "causes: unknown cause '%s'", name);
		}
		c.name = (enum ev_cause_name)id;
		p += nl;
		if (*p == '~') {
			c.certainty = EV_CAUSE_LIKELY;
			p++;
		}
		if (*p == '(') {
			const char *close = strchr(++p, ')');
			size_t dl = close ? (size_t)(close - p) : 0;

			/* "()" is not what format writes for no detail. */
			if (!close || !dl || dl >= sizeof(c.detail))
				goto bad;
			memcpy(c.detail, p, dl);
			c.detail[dl] = '\0';
			if (!detail_ok(c.detail))
				goto bad;
			p = close + 1;
		}
		if (*p && *p != '+')
			goto bad;
		if (cs->n == EV_CAUSES_MAX) {
			memset(cs, 0, sizeof(*cs));
			return ev_errf(err, -EBADMSG, "causes: more than %d", EV_CAUSES_MAX);
		}
		/* Strictly in order and one name once: the text is canonical. */
		if ((cs->n && !before(&cs->c[cs->n - 1], &c)) || ev_causes_find(cs, c.name)) {
			memset(cs, 0, sizeof(*cs));
			return ev_errf(err, -EBADMSG, "causes: '%s' repeated or out of order", name);
		}
		cs->c[cs->n++] = c;
	}
	return 0;
bad:
	memset(cs, 0, sizeof(*cs));
	return ev_errf(err, -EBADMSG, "causes: malformed near '%.24s'", p);
}
