/* What each EC2 instance type should have: EFA device count, RDMA support,
 * minimum software versions. Built in, overridable from the config. */
#ifndef EV_INSTANCES_H
#define EV_INSTANCES_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_limits.h"

#define EV_VER_MAX 32

enum ev_sw {
	EV_SW_EFA_INSTALLER,
	EV_SW_LIBFABRIC,
	EV_SW_NCCL,
	EV_SW_AWS_OFI_NCCL,
	EV_SW_NVIDIA_DRIVER,
	EV_SW_CUDA,
	EV_SW__COUNT
};

struct ev_instance_type {
	char name[EV_NAME_MAX];          /* "p5.48xlarge" */
	unsigned efa_devices;            /* EFA interfaces the type supports at most */
	bool rdma_read;                  /* FI_EFA_USE_DEVICE_RDMA=1 is safe */
	bool rdma_write;
	char min_version[EV_SW__COUNT][EV_VER_MAX];   /* "" = no minimum */
	char recommended[EV_SW__COUNT][EV_VER_MAX];   /* "" = none */
};

/* Config key / display name of a software component: "efa_installer",
 * "libfabric", "nccl", "aws_ofi_nccl", "nvidia_driver", "cuda". */
const char *ev_sw_name(enum ev_sw sw);
/* -1 if unknown. */
int ev_sw_from_name(const char *name);

/* The built-in table (static storage). */
const struct ev_instance_type *ev_instances_builtin(size_t *n);

/* Exact name match; NULL if absent. */
const struct ev_instance_type *ev_instance_find(const struct ev_instance_type *tab,
						size_t n, const char *name);

#endif
