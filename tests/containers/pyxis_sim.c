/* pyxis_sim.so: a test double of NVIDIA pyxis, for the cluster tests
 * (tests/cluster/containers.sh). pyxis is not packaged for Debian; what
 * efa-verify depends on is only what pyxis leaves behind before the user's
 * program runs: the task in a mount namespace of its own whose "/" is the
 * image, /dev/infiniband there only when something bound it, and the
 * image's name in the job's environment as pyxis's SPANK option
 * (_SLURM_SPANK_OPTION_pyxis_container_image). So the plugin is named
 * pyxis and takes pyxis's two options:
 *
 *   --container-image=NAME     NAME is a directory under images=DIR
 *                              (plugstack argument, root's): [A-Za-z0-9_.-]
 *                              (or PYXIS_CONTAINER_IMAGE, as pyxis reads it)
 *   --container-mounts=/dev/infiniband
 *                              bind the node's infiniband=DIR (plugstack
 *                              argument: the simulated /dev/infiniband) at
 *                              /dev/infiniband, as enroot's device hook does
 *
 * pyxis joins the container enroot made (a user namespace the user owns)
 * in task_init. This double needs no user namespace (none could be made in
 * the matrix roots while tests/roots/run chrooted into them): it does the
 * same as root one hook earlier, in task_init_privileged, which every
 * plugin's task_init follows:
 * a new mount namespace, private propagation, the image bind-mounted on a
 * directory of its own, the device directory bound in, /proc mounted (as
 * enroot mounts it), chroot. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/spank.h>

SPANK_PLUGIN(pyxis, 1);

static char images[PATH_MAX], infiniband[PATH_MAX];
static char image[128];
static int mount_ib;

static int opt_image(int val, const char *arg, int remote)
{
	(void)val;
	(void)remote;
	if (!arg || !*arg || strlen(arg) >= sizeof(image) || strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(arg) || arg[0] == '.') {
		slurm_error("pyxis_sim: --container-image=%s: not a plain image name", arg ? arg : "");
		return -1;
	}
	snprintf(image, sizeof(image), "%s", arg);
	return 0;
}

static int opt_mounts(int val, const char *arg, int remote)
{
	(void)val;
	(void)remote;
	if (!arg || strcmp(arg, "/dev/infiniband") != 0) {
		slurm_error("pyxis_sim: --container-mounts takes /dev/infiniband only");
		return -1;
	}
	mount_ib = 1;
	return 0;
}

static struct spank_option opts[] = {
	{ "container-image", "NAME", "[pyxis_sim] run the tasks in image NAME", 1, 0, opt_image },
	{ "container-mounts", "/dev/infiniband", "[pyxis_sim] bind /dev/infiniband in", 1, 0, opt_mounts },
	SPANK_OPTIONS_TABLE_END
};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	for (int i = 0; i < ac; i++) {
		if (strncmp(av[i], "images=", 7) == 0)
			snprintf(images, sizeof(images), "%s", av[i] + 7);
		else if (strncmp(av[i], "infiniband=", 11) == 0)
			snprintf(infiniband, sizeof(infiniband), "%s", av[i] + 11);
	}
	for (int i = 0; opts[i].name; i++)
		if (spank_option_register(sp, &opts[i]) != ESPANK_SUCCESS)
			return -1;
	return 0;
}

static int fail(const char *what, const char *path)
{
	slurm_error("pyxis_sim: %s %s: %s", what, path, strerror(errno));
	return -1;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	char root[PATH_MAX + 160], dev[PATH_MAX + 200];
	struct stat st;

	(void)ac;
	(void)av;
	if (!spank_remote(sp))
		return 0;
	if (!image[0]) {
		char env[sizeof(image)];

		if (spank_getenv(sp, "PYXIS_CONTAINER_IMAGE", env, sizeof(env)) != ESPANK_SUCCESS)
			return 0;
		if (opt_image(0, env, 1) != 0)
			return -1;
	}
	if (!images[0])
		return fail("no images= in plugstack for", image);
	snprintf(root, sizeof(root), "%s/%s", images, image);
	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode))
		return fail("image", root);
	if (unshare(CLONE_NEWNS) != 0)
		return fail("unshare", "CLONE_NEWNS");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return fail("make private", "/");
	/* Its own mount, so the device bind below stays in this namespace. */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) != 0)
		return fail("bind", root);
	if (mount_ib) {
		if (!infiniband[0])
			return fail("no infiniband= in plugstack for", image);
		snprintf(dev, sizeof(dev), "%s/dev/infiniband", root);
		if (mkdir(dev, 0755) != 0 && errno != EEXIST)
			return fail("mkdir", dev);
		if (mount(infiniband, dev, NULL, MS_BIND, NULL) != 0)
			return fail("bind", dev);
	}
	snprintf(dev, sizeof(dev), "%s/proc", root);
	if (mkdir(dev, 0555) != 0 && errno != EEXIST)
		return fail("mkdir", dev);
	if (mount("proc", dev, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0)
		return fail("mount proc on", dev);
	if (chdir(root) != 0 || chroot(".") != 0 || chdir("/") != 0)
		return fail("chroot", root);
	return 0;
}
