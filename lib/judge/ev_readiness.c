#include "judge/ev_readiness.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "node/ev_boot_id.h"
#include "node/ev_fabric_cache.h"
#include "aws/ev_dmi.h"
#include "aws/ev_imds_cache.h"

const char *ev_status_name(enum ev_status s)
{
	switch (s) {
	case EV_ST_OK: return "ok";
	case EV_ST_WARN: return "warn";
	case EV_ST_FAIL: return "FAIL";
	case EV_ST_SKIP: return "skip";
	}
	return "?";
}

/* A libfabric without a pkg-config file (Debian's libfabric1 without -dev)
 * still says its version to whoever loads it, major.minor only. That is
 * this machine's libfabric, so it is used only when software_root is the
 * real root, never for a simulated one. */
static void libfabric_from_probe(const struct ev_config *cfg, struct ev_node_facts *f)
{
	struct ev_sw_version *v = &f->versions.sw[EV_SW_LIBFABRIC];

	if (f->versions_rc != 0 || v->present || f->fabric_rc != 0 || strcmp(cfg->software_root, "/") != 0 ||
	    !f->fabric.version[0] || strcmp(f->fabric.version, "none") == 0)
		return;
	v->present = true;
	snprintf(v->version, sizeof(v->version), "%s", f->fabric.version);
	snprintf(v->source, sizeof(v->source), "fi_version()");
}

void ev_node_facts_gather(const struct ev_config *cfg, const struct ev_gather_opts *opts,
		     struct ev_node_facts *f)
{
	struct ev_err err;
	enum ev_imds_source src = EV_IMDS_FROM_NETWORK;

	memset(f, 0, sizeof(*f));

	/* Devices feed the device, port and rdma-core checks and the
	 * environment plan, so they are always read. */
	ev_err_clear(&err);
	f->devices_rc = ev_devices_discover(cfg->sysfs_root, &f->devices, &err);
	snprintf(f->devices_err, sizeof(f->devices_err), "%s", err.msg);

	/* Only probe what a check will look at: fi_getinfo and IMDS cost time. */
	if (cfg->checks[EV_CHECK_EFA_PROVIDER] != EV_ACTION_OFF) {
		char boot[EV_BOOT_ID_MAX] = "";
		uint64_t now = (uint64_t)time(NULL);
		bool cached = false;

		ev_err_clear(&err);
		if (opts && opts->fabric_cache && ev_boot_id_read(NULL, boot, NULL) == 0)
			cached = ev_fabric_cache_load(cfg->state_dir, boot, now, &f->fabric, NULL) == 0;
		if (!cached) {
			f->fabric_rc = ev_fabric_probe(&f->fabric, &err);
			/* A step that cannot keep it (read-only state_dir) still has its answer. */
			if (f->fabric_rc == 0 && boot[0])
				ev_fabric_cache_save(cfg->state_dir, boot, now, &f->fabric, NULL);
		}
		snprintf(f->fabric_err, sizeof(f->fabric_err), "%s", err.msg);
	} else {
		f->fabric_rc = -ENOTSUP;
	}

	/* rdma-core reads the real /sys; against a simulated tree its answer
	 * would describe another machine, so it is not asked. */
	if (cfg->checks[EV_CHECK_DEVICES] != EV_ACTION_OFF &&
	    strcmp(cfg->sysfs_root, "/sys") == 0 && f->devices_rc == 0) {
		ev_err_clear(&err);
		f->verbs_rc = ev_verbs_probe(&f->devices, &f->verbs, &err);
		snprintf(f->verbs_err, sizeof(f->verbs_err), "%s", err.msg);
	} else {
		f->verbs_rc = -ENOTSUP;
	}

	ev_err_clear(&err);
	f->imds_rc = ev_imds_get(cfg, opts ? opts->allow_imds_fetch : true, &f->imds, &src, &err);
	f->imds_cached = src == EV_IMDS_FROM_CACHE;
	snprintf(f->imds_err, sizeof(f->imds_err), "%s", err.msg);
	/* Without IMDS the type's device count, minimums and environment
	 * would go unjudged; DMI names it on Nitro instances, for one small
	 * read, paid only then. */
	if (f->imds_rc != 0 && ev_dmi_instance_type(cfg->sysfs_root, f->dmi_instance_type,
						    sizeof(f->dmi_instance_type), NULL) != 0)
		f->dmi_instance_type[0] = '\0';

	if (cfg->checks[EV_CHECK_VERSIONS] != EV_ACTION_OFF) {
		ev_err_clear(&err);
		f->versions_rc = ev_versions_detect(cfg->software_root, cfg->sysfs_root,
						    &f->versions, &err);
		snprintf(f->versions_err, sizeof(f->versions_err), "%s", err.msg);
		libfabric_from_probe(cfg, f);
	} else {
		f->versions_rc = -ENOTSUP;
	}
}

const char *ev_node_facts_instance_type(const struct ev_node_facts *f, enum ev_itype_source *src)
{
	enum ev_itype_source s = EV_ITYPE_NONE;
	const char *t = NULL;

	if (f->imds_rc == 0 && f->imds.instance_type[0]) {
		s = EV_ITYPE_IMDS;
		t = f->imds.instance_type;
	} else if (f->dmi_instance_type[0]) {
		s = EV_ITYPE_DMI;
		t = f->dmi_instance_type;
	}
	if (src)
		*src = s;
	return t;
}

const char *ev_itype_source_name(enum ev_itype_source s)
{
	return s == EV_ITYPE_IMDS ? "imds" : s == EV_ITYPE_DMI ? "dmi" : NULL;
}

void ev_node_facts_free(struct ev_node_facts *f)
{
	ev_devices_free(&f->devices);
}

/* What a check found, before the config's action decides how much it counts. */
enum finding { FOUND_OK, FOUND_PROBLEM, FOUND_UNVERIFIED };

#define SAY(buf, ...) snprintf((buf), sizeof(buf), __VA_ARGS__)

static enum finding check_devices(const struct ev_config *cfg, const struct ev_node_facts *f,
				  const struct ev_instance_type *it, struct ev_check_result *r)
{
	const struct ev_device_list *d = &f->devices;
	char rdma[160] = "";

	if (f->devices_rc != 0) {
		SAY(r->summary, "cannot list RDMA devices: %s", f->devices_err);
		SAY(r->fix, "check that %s/class/infiniband is readable", cfg->sysfs_root);
		return FOUND_PROBLEM;
	}
	if (d->n == 0) {
		SAY(r->summary, "no EFA device under %s/class/infiniband%s", cfg->sysfs_root,
		    d->n_rdma_other ? " (only RDMA devices of other drivers)" : "");
		SAY(r->fix, "attach EFA interfaces (ParallelCluster: Efa: Enabled: true) "
			    "and install the EFA driver (efa_installer.sh)");
		return FOUND_PROBLEM;
	}
	if (it && d->n != it->efa_devices) {
		SAY(r->summary, "%zu EFA device%s, %s has %u", d->n, d->n == 1 ? "" : "s",
		    it->name, it->efa_devices);
		SAY(r->fix, "launch with one EFA interface per network card "
			    "(%u on %s)", it->efa_devices, it->name);
		return FOUND_PROBLEM;
	}
	if (f->verbs_rc == 0 && f->verbs.n_opened < (int)d->n) {
		SAY(r->summary, "rdma-core opened %d of %zu EFA devices: %s", f->verbs.n_opened,
		    d->n, f->verbs.first_failure);
		SAY(r->fix, "install rdma-core with libefa (EFA installer) and check "
			    "/dev/infiniband/uverbs* permissions");
		return FOUND_PROBLEM;
	}
	if (f->verbs_rc == -ENOTSUP)
		SAY(rdma, "; rdma-core not asked (simulated sysfs)");
	else if (f->verbs_rc != 0)
		SAY(rdma, "; rdma-core: %s", f->verbs_err);
	else
		SAY(rdma, "; rdma-core opened %d", f->verbs.n_opened);
	if (it)
		SAY(r->summary, "%zu EFA devices (%s has %u)%s", d->n, it->name, it->efa_devices, rdma);
	else
		SAY(r->summary, "%zu EFA device%s (expected count unknown: %s)%s", d->n,
		    d->n == 1 ? "" : "s",
		    ev_node_facts_instance_type(f, NULL) ? "instance type not in the table" : "instance type not known",
		    rdma);
	return FOUND_OK;
}

static enum finding check_ports(const struct ev_node_facts *f, struct ev_check_result *r)
{
	const struct ev_device_list *d = &f->devices;
	size_t bad = 0, len = 0;
	char list[256] = "";

	if (f->devices_rc != 0 || d->n == 0) {
		SAY(r->summary, "no EFA device to check");
		return FOUND_UNVERIFIED;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct ev_device *dev = &d->devs[i];
		int w;

		if (ev_device_active(dev))
			continue;
		bad++;
		if (len < sizeof(list) - 1) {
			w = snprintf(list + len, sizeof(list) - len, "%s%s port 1 is %s", bad > 1 ? ", " : "",
				     dev->name, dev->port_state_name[0] ? dev->port_state_name : "unreadable");
			len += w > 0 ? (size_t)w : 0;
		}
	}
	if (bad) {
		if (bad == 1)
			SAY(r->summary, "%s", list);
		else
			SAY(r->summary, "%zu of %zu ports not ACTIVE: %s", bad, d->n, list);
		SAY(r->fix, "check the EFA interface's attachment in EC2, then reboot the node");
		return FOUND_PROBLEM;
	}
	SAY(r->summary, "%zu/%zu ports ACTIVE%s%s%s", d->n, d->n, d->devs[0].link_rate[0] ? " (" : "",
	    d->devs[0].link_rate, d->devs[0].link_rate[0] ? ")" : "");
	return FOUND_OK;
}

static enum finding check_provider(const struct ev_node_facts *f, struct ev_check_result *r)
{
	const char *fabs;

	if (f->fabric_rc != 0) {
		SAY(r->summary, "cannot ask libfabric: %s", f->fabric_err);
		SAY(r->fix, "install libfabric from the EFA installer (/opt/amazon/efa)");
		return FOUND_PROBLEM;
	}
	if (!f->fabric.have_efa) {
		SAY(r->summary, "libfabric %s has no efa provider%s%s", f->fabric.version,
		    f->fabric.detail[0] ? ": " : "", f->fabric.detail);
		SAY(r->fix, "use the EFA installer's libfabric (/opt/amazon/efa/lib on "
			    "LD_LIBRARY_PATH) and check FI_PROVIDER_PATH");
		return FOUND_PROBLEM;
	}
	/* Devices, not fi_info entries: libfabric 2 lists each NIC under both
	 * the efa and efa-direct fabrics. */
	fabs = f->fabric.fabrics;
	SAY(r->summary, "libfabric %s: efa provider, %d device%s (%s)%s%s", f->fabric.version,
	    f->fabric.n_efa_devices, f->fabric.n_efa_devices == 1 ? "" : "s", f->fabric.first_device,
	    !fabs[0] ? "" : strchr(fabs, ',') ? ", fabrics " : ", fabric ", fabs);
	return FOUND_OK;
}

/* The queue names where its nodes go (zone, group) and this one is elsewhere;
 * fix_fmt takes the place expected. */
static enum finding misplaced(struct ev_check_result *r, const char *what, const char *have,
			      const char *want, const char *fix_fmt)
{
	SAY(r->summary, "%s %s, expected %s", what, have, want);
	SAY(r->fix, fix_fmt, want);
	return FOUND_PROBLEM;
}

static enum finding check_placement(const struct ev_config *cfg, const struct ev_node_facts *f,
				    struct ev_check_result *r)
{
	const struct ev_imds_info *m = &f->imds;

	if (f->imds_rc != 0) {
		/* An IMDS outage says nothing about the placement itself, so it
		 * does not make the node unready; it is said, though. */
		SAY(r->summary, "placement not verified: %s", f->imds_err);
		SAY(r->fix, "check that IMDS is reachable (%s, IMDSv2 hop limit)", cfg->imds_endpoint);
		return FOUND_UNVERIFIED;
	}
	if (cfg->expect_az[0] && strcmp(cfg->expect_az, m->availability_zone) != 0)
		return misplaced(r, "availability zone", m->availability_zone, cfg->expect_az,
				 "launch the queue's instances in %s (its subnet)");
	if (!m->in_group) {
		if (cfg->require_group || cfg->expect_group[0]) {
			SAY(r->summary, "not in a placement group (%s)", m->availability_zone);
			SAY(r->fix, "launch the queue with PlacementGroup: Enabled: true "
				    "(or a cluster placement group in the launch template)");
			return FOUND_PROBLEM;
		}
		SAY(r->summary, "%s, no placement group (not required)", m->availability_zone);
		return FOUND_OK;
	}
	if (cfg->expect_group[0] && strcmp(cfg->expect_group, m->placement_group) != 0)
		return misplaced(r, "placement group", m->placement_group, cfg->expect_group,
				 "launch the queue in placement group %s");
	SAY(r->summary, "%s, placement group %s", m->availability_zone, m->placement_group);
	return FOUND_OK;
}

static enum finding check_versions(const struct ev_node_facts *f, const struct ev_instance_type *it,
				   struct ev_check_result *r)
{
	char low[256] = "", seen[256] = "";
	size_t nlow = 0, nseen = 0, lenl = 0, lens = 0;

	if (f->versions_rc != 0) {
		SAY(r->summary, "cannot read versions: %s", f->versions_err);
		return FOUND_UNVERIFIED;
	}
	for (int i = 0; i < EV_SW__COUNT; i++) {
		const struct ev_sw_version *v = &f->versions.sw[i];
		int w;

		if (!v->present)
			continue;
		if (lens < sizeof(seen) - 1) {
			w = snprintf(seen + lens, sizeof(seen) - lens, "%s%s %s", nseen ? ", " : "",
				     ev_sw_name(i), v->version);
			lens += w > 0 ? (size_t)w : 0;
		}
		nseen++;
		if (!it || !it->min_version[i][0] || ev_version_cmp(v->version, it->min_version[i]) >= 0)
			continue;
		if (lenl < sizeof(low) - 1) {
			w = snprintf(low + lenl, sizeof(low) - lenl, "%s%s %s < %s", nlow ? ", " : "",
				     ev_sw_name(i), v->version, it->min_version[i]);
			lenl += w > 0 ? (size_t)w : 0;
		}
		nlow++;
	}
	if (nlow) {
		SAY(r->summary, "below the minimum for %s: %s", it->name, low);
		SAY(r->fix, "upgrade with the latest EFA installer, NCCL and aws-ofi-nccl");
		return FOUND_PROBLEM;
	}
	if (!nseen)
		SAY(r->summary, "no EFA/NCCL/CUDA software found");
	else if (!it)
		SAY(r->summary, "%s (minimums unknown: instance type not known)", seen);
	else
		SAY(r->summary, "%s", seen);
	return FOUND_OK;
}

void ev_readiness_evaluate(const struct ev_config *cfg, const struct ev_node_facts *f,
			   struct ev_readiness *out)
{
	memset(out, 0, sizeof(*out));
	out->ready = true;
	if (ev_node_facts_instance_type(f, NULL))
		out->itype = ev_config_instance(cfg, ev_node_facts_instance_type(f, NULL));

	for (int i = 0; i < EV_CHECK__COUNT; i++) {
		struct ev_check_result *r = &out->checks[i];
		enum finding found = FOUND_OK;

		r->id = (enum ev_check_id)i;
		if (cfg->checks[i] == EV_ACTION_OFF) {
			r->status = EV_ST_SKIP;
			SAY(r->summary, "off in the config");
			continue;
		}
		switch ((enum ev_check_id)i) {
		case EV_CHECK_DEVICES: found = check_devices(cfg, f, out->itype, r); break;
		case EV_CHECK_PORTS: found = check_ports(f, r); break;
		case EV_CHECK_EFA_PROVIDER: found = check_provider(f, r); break;
		case EV_CHECK_PLACEMENT: found = check_placement(cfg, f, r); break;
		case EV_CHECK_VERSIONS: found = check_versions(f, out->itype, r); break;
		case EV_CHECK__COUNT: break;
		}
		if (found == FOUND_OK) {
			r->status = EV_ST_OK;
			r->fix[0] = '\0';
		} else if (found == FOUND_UNVERIFIED) {
			r->status = (i == EV_CHECK_PORTS) ? EV_ST_SKIP : EV_ST_WARN;
		} else {
			r->status = cfg->checks[i] == EV_ACTION_FAIL ? EV_ST_FAIL : EV_ST_WARN;
		}
		if (r->status == EV_ST_FAIL)
			out->ready = false;
	}
}

void ev_readiness_reason(const struct ev_readiness *r, char *buf, size_t cap)
{
	if (!cap)
		return;
	buf[0] = '\0';
	for (int i = 0; i < EV_CHECK__COUNT; i++) {
		const struct ev_check_result *c = &r->checks[i];

		if (c->status != EV_ST_FAIL)
			continue;
		if (c->fix[0])
			snprintf(buf, cap, "%s: %s (fix: %s)", ev_check_name(c->id), c->summary, c->fix);
		else
			snprintf(buf, cap, "%s: %s", ev_check_name(c->id), c->summary);
		return;
	}
}
