/* Built-in table of EFA-capable EC2 instance types.
 *
 * Sources (checked 2026):
 *  - EFA device count = network cards, since AWS allows one EFA (or EFA-only)
 *    interface per network card and one EFA per instance on single-card
 *    types: Amazon EC2 User Guide, "Elastic network interfaces / Network
 *    cards" (using-eni.html#network-cards): p5/p5e 32, p5en 16, p4d/p4de 4,
 *    trn1 8, trn1n 16, trn2/trn2u 16, hpc7a.* 2, hpc6id 2, p6-b200 8; types
 *    not in that table (hpc6a.48xlarge, c5n.*, p5.4xlarge) have one card.
 *    p6-b300 has 17 cards but card 0 is ENA only: MaximumEfaInterfaces 16.
 *  - RDMA read/write: EC2 User Guide, "Elastic Fabric Adapter / Supported
 *    instance types" (efa.html#efa-instance-types), per Nitro generation:
 *    Nitro v4-v6 (p5*, trn1*, trn2*, hpc6a, hpc7a, p6-*) read and write;
 *    Nitro v3: p4d/p4de read only, c5n neither.
 *  - Software minimums: AWS guidance for P5 (EFA installer 1.26.1, NCCL
 *    2.18.5, aws-ofi-nccl 1.7.3, NVIDIA driver 535.54.03, CUDA 11.8, 12.2
 *    recommended) and P4d (NCCL 2.15.1, aws-ofi-nccl 1.6.0, driver
 *    450.80.02, CUDA 11.4), EC2 User Guide "Get started with EFA and NCCL".
 *    p5e/p5en and p6 are newer than p5, so p5's minimums are a floor for
 *    them, not their full requirement. libfabric 1.7.0 is the first release
 *    with the EFA provider (efa.html, "Supported interfaces and libraries").
 * The config's instance_types key overrides or extends any entry. */
#include "config/ev_instances.h"

#include <string.h>

#include "util/ev_names.h"

static const char *const sw_names[EV_SW__COUNT] = {
	[EV_SW_EFA_INSTALLER] = "efa_installer",
	[EV_SW_LIBFABRIC] = "libfabric",
	[EV_SW_NCCL] = "nccl",
	[EV_SW_AWS_OFI_NCCL] = "aws_ofi_nccl",
	[EV_SW_NVIDIA_DRIVER] = "nvidia_driver",
	[EV_SW_CUDA] = "cuda",
};

const char *ev_sw_name(enum ev_sw sw)
{
	return ev_name_of(sw_names, EV_SW__COUNT, (int)sw);
}

int ev_sw_from_name(const char *name)
{
	return ev_name_find(sw_names, EV_SW__COUNT, name);
}

#define MIN_LIBFABRIC [EV_SW_LIBFABRIC] = "1.7.0"

/* GPU types newer than p5 inherit p5's floor. */
#define P5_MIN { [EV_SW_EFA_INSTALLER] = "1.26.1", MIN_LIBFABRIC, \
		 [EV_SW_NCCL] = "2.18.5", [EV_SW_AWS_OFI_NCCL] = "1.7.3", \
		 [EV_SW_NVIDIA_DRIVER] = "535.54.03", [EV_SW_CUDA] = "11.8" }
#define P5_REC { [EV_SW_CUDA] = "12.2" }
#define P4D_MIN { MIN_LIBFABRIC, [EV_SW_NCCL] = "2.15.1", [EV_SW_AWS_OFI_NCCL] = "1.6.0", \
		  [EV_SW_NVIDIA_DRIVER] = "450.80.02", [EV_SW_CUDA] = "11.4" }
#define CPU_MIN { MIN_LIBFABRIC }

static const struct ev_instance_type builtin[] = {
	{ "p5.48xlarge", 32, true, true, P5_MIN, P5_REC },
	{ "p5.4xlarge", 1, true, true, P5_MIN, P5_REC },
	{ "p5e.48xlarge", 32, true, true, P5_MIN, P5_REC },
	{ "p5en.48xlarge", 16, true, true, P5_MIN, P5_REC },
	{ "p6-b200.48xlarge", 8, true, true, P5_MIN, P5_REC },
	{ "p6-b300.48xlarge", 16, true, true, P5_MIN, P5_REC },
	{ "p4d.24xlarge", 4, true, false, P4D_MIN, { "" } },
	{ "p4de.24xlarge", 4, true, false, P4D_MIN, { "" } },
	{ "trn1.32xlarge", 8, true, true, CPU_MIN, { "" } },
	{ "trn1n.32xlarge", 16, true, true, CPU_MIN, { "" } },
	{ "trn2.48xlarge", 16, true, true, CPU_MIN, { "" } },
	{ "trn2u.48xlarge", 16, true, true, CPU_MIN, { "" } },
	{ "hpc7a.96xlarge", 2, true, true, CPU_MIN, { "" } },
	{ "hpc7a.48xlarge", 2, true, true, CPU_MIN, { "" } },
	{ "hpc7a.24xlarge", 2, true, true, CPU_MIN, { "" } },
	{ "hpc7a.12xlarge", 2, true, true, CPU_MIN, { "" } },
	{ "hpc6id.32xlarge", 2, true, true, CPU_MIN, { "" } },
	{ "hpc6a.48xlarge", 1, true, true, CPU_MIN, { "" } },
	{ "c5n.18xlarge", 1, false, false, CPU_MIN, { "" } },
	{ "c5n.9xlarge", 1, false, false, CPU_MIN, { "" } },
	{ "c5n.metal", 1, false, false, CPU_MIN, { "" } },
};

const struct ev_instance_type *ev_instances_builtin(size_t *n)
{
	if (n)
		*n = sizeof(builtin) / sizeof(builtin[0]);
	return builtin;
}

const struct ev_instance_type *ev_instance_find(const struct ev_instance_type *tab,
						size_t n, const char *name)
{
	if (!tab || !name)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].name, name) == 0)
			return &tab[i];
	return NULL;
}
