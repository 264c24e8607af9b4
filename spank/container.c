/* The plugin for a step whose tasks run in a container (pyxis/enroot,
 * Slurm's OCI --container): what the tasks load and see is the image's,
 * not the host's that slurmstepd judged. Three moments, three processes:
 *
 * user_init (slurmstepd, root, before the tasks exist): note slurmstepd's
 * own "/" and open a pipe, close-on-exec, whose write end each task
 * inherits. The image's name comes from the job's environment here.
 * task_init (each task, as the user, after every plugin's
 * task_init_privileged and, with efa-verify after pyxis in plugstack,
 * after pyxis's task_init): a task whose "/" is not slurmstepd's is in a
 * container. It reads the image from its own "/" (container/ev_image.h),
 * changes the variables the image's versions call for, and in enforce
 * mode stops before the program when the image certainly keeps EFA out.
 * Task 0 writes what it found, one line, to the pipe.
 * task_exit of task 0 (slurmstepd, root): reads that line, at most a
 * pipe's buffer, without waiting, as data about this job only: it is
 * parsed strictly (ev_image_facts_parse), judged again by root, and kept
 * for the epilog as findings (causes and the image's name). Root opens no
 * path the task named and follows nothing into the image. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "plugin.h"

#include "container/ev_image.h"
#include "container/ev_oci_bundle.h"
#include "container/ev_root_name.h"
#include "judge/ev_cause_container.h"
#include "judge/ev_container_plan.h"
#include "record/ev_containers.h"
#include "record/ev_value.h"
#include "state/ev_findings.h"
#include "util/ev_printable.h"

/* The tasks' exit status when an enforce step is refused (as stepd.c's). */
#define EV_EXIT_NOT_READY 1
#define LINE_MAX_BYTES 1024

static struct {
	bool armed;
	dev_t root_dev;
	ino_t root_ino;
	int pipe[2];
	char image[EV_IMAGE_LABEL_MAX];
} cs = { .pipe = { -1, -1 } };

void ev_container_reset(void)
{
	for (int i = 0; i < 2; i++)
		if (cs.pipe[i] >= 0)
			close(cs.pipe[i]);
	memset(&cs, 0, sizeof(cs));
	cs.pipe[0] = cs.pipe[1] = -1;
}

/* The image's name, from the job's environment as slurmstepd got it:
 * before user_init, as Slurm takes the other plugins' options
 * (_SLURM_SPANK_OPTION_pyxis_*) out of it once they are handed to
 * their plugins. */
void ev_container_name(spank_t sp)
{
	char **job_env = NULL;

	if (spank_get_item(sp, S_JOB_ENV, &job_env) == ESPANK_SUCCESS)
		ev_container_label((const char *const *)job_env, cs.image, sizeof(cs.image));
}

void ev_container_prepare(spank_t sp, const struct ev_stepd_view *v)
{
	struct stat st;

	(void)sp;
	cs.armed = false;
	if (!v->plan->have_efa || v->plan->refuse || stat("/", &st) != 0)
		return;
	if (pipe2(cs.pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		slurm_error(PFX "%s: a container's findings will not reach the record: pipe: %s", v->node,
			    strerror(errno));
		cs.pipe[0] = cs.pipe[1] = -1;
		return;
	}
	cs.root_dev = st.st_dev;
	cs.root_ino = st.st_ino;
	cs.armed = true;
}

static bool in_container(void)
{
	struct stat st;

	return stat("/", &st) == 0 && (st.st_dev != cs.root_dev || st.st_ino != cs.root_ino);
}

static int local_task(spank_t sp)
{
	int id = -1;

	return spank_get_item(sp, S_TASK_ID, &id) == ESPANK_SUCCESS ? id : -1;
}

static void apply_env(spank_t sp, const struct ev_stepd_view *v, const struct ev_container_plan *p)
{
	for (size_t i = 0; i < p->n_ops; i++) {
		const struct ev_env_op *o = &p->ops[i];
		spank_err_t rc = o->unset ? spank_unsetenv(sp, o->name)
					  : spank_setenv(sp, o->name, o->value, o->force ? 1 : 0);

		if (rc != ESPANK_SUCCESS && rc != ESPANK_ENV_EXISTS)
			slurm_error(PFX "%s: container: cannot %s %s: %s", v->node, o->unset ? "unset" : "set",
				    o->name, spank_strerror(rc));
	}
}

/* Slurm's --container: the task is still on the node, as the user, and
 * becomes the OCI runtime after the hooks. The bundle is the job's
 * (SLURM_CONTAINER), read as the user, confined to it; what reaches the
 * container is what its config.json says. Slurm 22.05 runs BUNDLE/rootfs
 * whatever root.path says (docs/slurm.md, Containers). */
static int oci_facts(const char *bundle, struct ev_image_facts *f, struct ev_err *err)
{
	struct ev_oci_bundle b;
	struct ev_image_facts node;
	char rootfs[EV_PATH_MAX + 16];
	int rc = ev_oci_bundle_read(bundle, &b, err);

	if (rc != 0)
		return rc;
#if SLURM_VERSION_NUMBER < SLURM_VERSION_NUM(23, 2, 0)
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
#else
	snprintf(rootfs, sizeof(rootfs), "%s", b.rootfs);
#endif
	rc = ev_image_inspect(rootfs, NULL, 0, f, err);
	if (rc != 0)
		return rc;
	/* The node's own devices where the bundle binds them in; else the
	 * device entries it names. */
	if (b.infiniband_mounted || b.dev_all)
		f->uverbs = ev_image_inspect("/", NULL, EV_IMAGE_DEVICES, &node, err) == 0 ? node.uverbs : -1;
	else
		f->uverbs = b.uverbs_devices;
	return 0;
}

int ev_container_task(spank_t sp, const struct ev_stepd_view *v)
{
	struct ev_image_facts f;
	struct ev_container_plan p;
	struct ev_err err = { "" };
	char line[LINE_MAX_BYTES], name[EV_IMAGE_LABEL_MAX] = "", bundle[EV_PATH_MAX];
	int task, rc;
	struct ev_container_in in = {
		.cfg = v->cfg, .mode = v->mode, .instance_type = v->instance_type, .host = v->plan,
		.facts = &f, .image = cs.image,
	};

	if (!cs.armed)
		return 0;
	task = local_task(sp);
	if (in_container()) {
		/* No sysfs here: the host's is slurmstepd's to read, and the
		 * image's /sys (if any) says nothing the host does not. */
		rc = ev_image_inspect("/", NULL, EV_IMAGE_DEVICES, &f, &err);
		if (rc == 0 && !cs.image[0] && ev_root_name("/proc/self/mountinfo", name, sizeof(name), &err) == 0)
			in.image = name;
	} else if (spank_getenv(sp, "SLURM_CONTAINER", bundle, sizeof(bundle)) == ESPANK_SUCCESS && bundle[0]) {
		rc = oci_facts(bundle, &f, &err);
	} else {
		return 0;
	}
	if (rc != 0) {
		if (task == 0)
			dprintf(STDERR_FILENO, PFX "%s: container %s not judged: %s\n", v->node,
				cs.image[0] ? cs.image : "(unnamed)", err.msg);
		return 0;
	}
	if (ev_container_plan(&in, &p, &err) != 0 && task == 0)
		dprintf(STDERR_FILENO, PFX "%s: container %s: environment not changed: %s\n", v->node,
			in.image[0] ? in.image : "(unnamed)", err.msg);
	if (task == 0 && ev_image_facts_format(&f, line, sizeof(line) - 1) == 0) {
		size_t n = strlen(line);

		line[n++] = '\n';
		/* The job named no image: the container's own mount table
		 * names its root, a second line. */
		if (!cs.image[0] && name[0] && n + 7 + 3 * sizeof(name) < sizeof(line)) {
			memcpy(line + n, "label ", 6);
			n += 6;
			n += ev_value_encode(name, line + n, sizeof(line) - n - 1);
			line[n++] = '\n';
		}
		/* One write below PIPE_BUF: whole or not at all. */
		if (write(cs.pipe[1], line, n) != (ssize_t)n)
			slurm_error(PFX "%s: a container's findings will not reach the record", v->node);
	}
	if (p.refuse) {
		if (task == 0)
			dprintf(STDERR_FILENO, PFX "%s: step refused: %s\n", v->node, p.reason);
		_exit(EV_EXIT_NOT_READY);
	}
	if (p.warn[0] && task == 0)
		dprintf(STDERR_FILENO, PFX "%s: %s\n", v->node, p.warn);
	apply_env(sp, v, &p);
	return 0;
}

static void step_token(spank_t sp, char *out, size_t cap)
{
	uint32_t step = 0;

	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		snprintf(out, cap, "unknown");
	else if (step == SLURM_BATCH_SCRIPT)
		snprintf(out, cap, "batch");
	else if (step == SLURM_EXTERN_CONT)
		snprintf(out, cap, "extern");
	else
		snprintf(out, cap, "%u", step);
}

/* slurmstepd, root: what task 0 found, if it ran in a container. */
void ev_container_collect(spank_t sp, const struct ev_stepd_view *v, struct ev_causes *step_causes)
{
	struct ev_image_facts f;
	struct ev_causes causes = { .n = 0 };
	struct ev_err err = { "" };
	char buf[LINE_MAX_BYTES + 1], finding[EV_FINDINGS_LINE_MAX], step[16], *second;
	uint32_t jobid = 0;
	ssize_t n;

	if (!cs.armed || local_task(sp) != 0)
		return;
	n = read(cs.pipe[0], buf, sizeof(buf) - 1);
	if (n <= 0)
		return;         /* not in a container, or it said nothing */
	buf[n] = '\0';
	if (!memchr(buf, '\n', (size_t)n)) {
		slurm_error(PFX "%s: a container task's findings are cut or garbled: ignored", v->node);
		return;
	}
	second = strchr(buf, '\n');
	*second++ = '\0';
	if (ev_image_facts_parse(buf, &f, &err) != 0) {
		slurm_error(PFX "%s: a container task's findings: %s: ignored", v->node, err.msg);
		return;
	}
	/* The root's name from the task, where the job named none: the
	 * user's word about their own step, decoded and shown printable. */
	if (!cs.image[0] && strncmp(second, "label ", 6) == 0) {
		char raw[EV_IMAGE_LABEL_MAX];
		size_t l = strcspn(second + 6, "\n");

		if (ev_value_decode(second + 6, l, raw, sizeof(raw)) == 0)
			ev_printable(cs.image, sizeof(cs.image), raw, sizeof(cs.image) - 1);
	}
	/* Root's own judgement of the facts: the causes alone (the
	 * environment was the task's to change). */
	ev_cause_container(&f, v->instance_type[0] ? ev_config_instance(v->cfg, v->instance_type) : NULL, &causes);
	if (spank_get_item(sp, S_JOB_ID, &jobid) != ESPANK_SUCCESS || !jobid)
		return;
	step_token(sp, step, sizeof(step));
	if (ev_containers_finding(step, cs.image[0] ? cs.image : "unnamed", finding, sizeof(finding)) == 0 &&
	    ev_findings_add_within(v->cfg->state_dir, jobid, finding, EV_CONTAINERS_FINDINGS_ROOM, &err) != 0)
		slurm_error(PFX "%s: the container's name will not reach the job record: %s", v->node, err.msg);
	for (size_t i = 0; i < causes.n; i++)
		ev_causes_add(step_causes, causes.c[i].name, causes.c[i].certainty, causes.c[i].detail);
	if (causes.n && ev_causes_format(&causes, finding, sizeof(finding)) == 0 &&
	    ev_findings_add(v->cfg->state_dir, jobid, finding, &err) != 0)
		slurm_error(PFX "%s: the container's findings will not reach the job record: %s", v->node, err.msg);
}
