/* What a container's root file system holds for EFA: the software versions,
 * whether libfabric there has its efa provider, rdma-core's libefa, and,
 * in a live container, the RDMA devices it can see. Read under the
 * image's "/" confined to it (util/ev_rootfs.h): an unpacked image, a
 * bundle's rootfs, or "/" inside a container task.
 *
 * Why these are evidence:
 *  - libfabric is looked for as the loader finds libfabric.so.1: the EFA
 *    installer's /opt/amazon/efa/lib{,64} (its ld.so.conf.d entry), then
 *    /usr/local/lib, /usr/lib/<multiarch>, /usr/lib64, /usr/lib. The first
 *    one found is what a task in the image loads.
 *  - Its efa provider is either built into that file (the EFA installer's
 *    libfabric always; Debian 12's 1.17 and Debian 13's 2.1 too) or a
 *    provider of its own next to it, libfabric/libefa-fi.so (libfabric
 *    built with --enable-efa=dl). Either way the provider's code is in the
 *    file, and with it the text it was compiled with: the names of its
 *    FI_EFA_* environment variables in its messages and help (every efa
 *    provider since libfabric 1.9), or its help text for the receive
 *    window (since 1.8, its first release, before the FI_EFA_ names).
 *    Outside prov/efa no libfabric source holds either (every release from
 *    1.0 to 2.6 checked), so a libfabric built without efa holds neither.
 *    The file must also be an ELF object, as the loader wants it.
 *  - The efa provider drives the device through rdma-core's libefa
 *    (libefa.so.1, linked by the provider): without it libfabric's efa
 *    provider cannot load, so no EFA traffic.
 *  - A process reaches an EFA device through /dev/infiniband/uverbsN; in a
 *    container without one, nothing in it can use EFA. */
#ifndef EV_IMAGE_H
#define EV_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"
#include "node/ev_versions.h"

enum ev_fabric_efa {
	EV_FABRIC_UNKNOWN,   /* not judged: a libfabric that could not be read */
	EV_FABRIC_NONE,      /* no libfabric found */
	EV_FABRIC_NO_EFA,    /* libfabric without the efa provider */
	EV_FABRIC_EFA,
};

struct ev_image_facts {
	struct ev_versions sw;     /* found under the image's "/" */
	bool libefa;               /* rdma-core's libefa.so.1 (EFA's verbs provider) found */
	enum ev_fabric_efa fabric;
	int uverbs;                /* /dev/infiniband/uverbsN visible in the image; -1 not looked */
};

/* Look at ROOT/dev/infiniband: a live container's "/" only (an unpacked
 * image has no devices). */
#define EV_IMAGE_DEVICES 1u
/* Every software version (efa-verify check --root); else all but NCCL,
 * whose search lists whole library directories: this runs in every task
 * of a container step. EV_IMAGE_SW_STEP holds what the environment plan
 * and the minimums of every instance type need but NCCL. */
#define EV_IMAGE_ALL_SW 2u
#define EV_IMAGE_SW_STEP (EV_SW_ALL & ~EV_SW_BIT(EV_SW_NCCL))

/* A libfabric (or its provider file) larger than this is not one: the
 * largest real ones are a few MiB. */
#define EV_IMAGE_LIB_MAX (64u << 20)

/* root: the image's "/"; sysfs_root: for the NVIDIA driver's version (the
 * host's kernel module, which a container gets; NULL: not looked at, as
 * for an unpacked image judged on its own). 0: *out filled; a part that could not be judged
 * (libfabric unreadable: fabric EV_FABRIC_UNKNOWN) leaves a note in
 * err->msg, "" otherwise. A negative errno where root cannot be read as a
 * root at all (ev_rootfs_open's: absent, not a directory, no openat2). */
int ev_image_inspect(const char *root, const char *sysfs_root, unsigned flags, struct ev_image_facts *out,
		     struct ev_err *err);

/* One printable line of space-separated key=value tokens, for a pipe from
 * the task to root: every key always, in one order, "-" for a version not
 * found or devices not looked at:
 *   efa_installer=1.26.1 libfabric=1.18.1amzn1.0 nccl=- aws_ofi_nccl=1.7.3-aws
 *   nvidia_driver=535.54.03 cuda=12.2.2 libefa=1 fabric=efa uverbs=4
 * 0, -ENAMETOOLONG (cap; EV_IMAGE_FACTS_LINE_MAX always fits), -EINVAL (a
 * field that is not valid, which format never writes). The versions'
 * sources are not carried. */
#define EV_IMAGE_FACTS_LINE_MAX 512
#define EV_IMAGE_UVERBS_MAX 4096
int ev_image_facts_format(const struct ev_image_facts *f, char *out, size_t cap);

/* The strict inverse: anything format would not write (an unknown key, a
 * key twice or missing, keys out of order, an over-long or malformed
 * value, a byte that is not printable, extra spaces) is -EBADMSG, *f
 * zeroed (uverbs -1). */
int ev_image_facts_parse(const char *line, struct ev_image_facts *f, struct ev_err *err);

const char *ev_fabric_efa_name(enum ev_fabric_efa e);   /* "unknown", "none", "no_efa", "efa" */

#endif
