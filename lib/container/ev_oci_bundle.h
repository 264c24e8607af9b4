/* An OCI bundle, as Slurm's `srun --container=BUNDLE` runs it: what its
 * config.json (runtime-spec) says of the root filesystem and of the RDMA
 * devices the container will have.
 *
 * The job's user writes the bundle. The reader never blocks (a FIFO in
 * place of config.json), never follows a symbolic link at config.json
 * (one could name any file; none is followed, in the bundle or out of it),
 * reads at most EV_OCI_CONFIG_MAX bytes, and bounds the nesting; so root
 * may run it. It reads what its caller may read, though: one acting for a
 * user runs it as that user. */
#ifndef EV_OCI_BUNDLE_H
#define EV_OCI_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/ev_err.h"
#include "util/ev_limits.h"

/* config.json larger than this is refused: runtimes' own are ~5 KiB. */
#define EV_OCI_CONFIG_MAX (1024 * 1024)
/* The bundle's path in messages: printable, cut to fit, with its NUL. */
#define EV_OCI_LABEL_MAX 128

struct ev_oci_bundle {
	char bundle[EV_PATH_MAX];     /* the bundle's directory, as given */
	char label[EV_OCI_LABEL_MAX]; /* the same, printable and bounded, for messages */
	/* root.path: as written when absolute, else BUNDLE/root.path (the
	 * runtime reads it relative to the bundle, as Slurm does). Slurm
	 * 22.05 runs BUNDLE/rootfs whatever root.path says (docs/slurm.md,
	 * Containers): a caller there looks in BUNDLE/rootfs. */
	char rootfs[EV_PATH_CAP];
	/* The host's /dev/infiniband reaches the container through a bind
	 * mount: of /dev/infiniband on /dev/infiniband, or of /dev on /dev
	 * (dev_all), not hidden by a later mount on /dev or /dev/infiniband.
	 * Every uverbs device the node has is then there. */
	bool infiniband_mounted;
	bool dev_all;
	/* /dev/infiniband/uverbsN the config names one at a time, each N once:
	 * linux.devices[] entries, and bind mounts of one such file onto
	 * itself (not hidden by a later mount on /dev or /dev/infiniband). */
	int uverbs_devices;
};

/* Read BUNDLE_DIR/config.json. 0, or a negative errno with err saying
 * what, naming LABEL or LABEL/config.json (and LINE:COL for bad JSON):
 * -ENOENT (no such directory, or no config.json), -ENOTDIR, -ELOOP
 * (config.json a symbolic link), -EINVAL (not a regular file, not JSON, or
 * not a config the runtime could start: no root.path, a field of the wrong
 * type), -EFBIG (over EV_OCI_CONFIG_MAX), -ENAMETOOLONG, another errno. out
 * is zeroed first; on an error only label is set. */
int ev_oci_bundle_read(const char *bundle_dir, struct ev_oci_bundle *out, struct ev_err *err);

/* The same on config.json's text, read by the caller (the fuzzer). */
int ev_oci_bundle_parse(const char *bundle_dir, const char *text, size_t len, struct ev_oci_bundle *out,
			struct ev_err *err);

#endif
