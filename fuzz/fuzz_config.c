/* libFuzzer target: the bytes are an efa-verify.yaml.
 *
 * The config is read by root (prolog, slurmstepd) and by any user (srun), so
 * a file an admin got wrong must give a clean error, never a crash. Beyond
 * "no crash", this checks what ev_config.h promises: an error message starts
 * with the file name and *c is left zeroed; a loaded config has every value
 * in range and every string terminated; ev_config_expand is all or nothing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ev_config.h"
#include "fuzz_check.h"

#define NAME "fuzz.yaml"

static bool terminated(const char *s, size_t cap)
{
	return strnlen(s, cap) < cap;
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Messages end up in syslog and Slurm's logs, one line each. */
static bool printable_line(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void check_loaded(const struct ev_config *c)
{
	CHECK(strcmp(c->path, NAME) == 0);
	CHECK(c->mode == EV_MODE_OFF || c->mode == EV_MODE_REPORT || c->mode == EV_MODE_ENFORCE);
	CHECK(terminated(c->sysfs_root, sizeof(c->sysfs_root)));
	CHECK(terminated(c->state_dir, sizeof(c->state_dir)));
	CHECK(terminated(c->software_root, sizeof(c->software_root)));
	CHECK(terminated(c->imds_endpoint, sizeof(c->imds_endpoint)));
	CHECK(terminated(c->expect_az, sizeof(c->expect_az)));
	CHECK(terminated(c->expect_group, sizeof(c->expect_group)));
	CHECK(terminated(c->prometheus_textfile_dir, sizeof(c->prometheus_textfile_dir)));
	CHECK(terminated(c->log_path, sizeof(c->log_path)));
	CHECK(c->imds_timeout_ms > 0);
	CHECK(c->n_tcp_ifaces <= EV_MAX_TCP_IFACES);
	for (size_t i = 0; i < c->n_tcp_ifaces; i++)
		CHECK(terminated(c->tcp_ifaces[i], EV_IFNAME_MAX) && c->tcp_ifaces[i][0]);
	CHECK(isfinite(c->verdict.tcp_fallback_fraction) && c->verdict.tcp_fallback_fraction >= 0.0 &&
	      c->verdict.tcp_fallback_fraction <= 1.0);
	CHECK(isfinite(c->verdict.idle_nic_fraction) && c->verdict.idle_nic_fraction >= 0.0 &&
	      c->verdict.idle_nic_fraction <= 1.0);
	CHECK(c->n_env_rules == 0 || c->env_rules);
	for (size_t i = 0; i < c->n_env_rules; i++) {
		const struct ev_env_rule *r = &c->env_rules[i];

		CHECK(terminated(r->instance_type, EV_NAME_MAX));
		CHECK(terminated(r->name, EV_NAME_MAX) && r->name[0]);
		CHECK(terminated(r->value, EV_ENV_VALUE_MAX));
	}
	CHECK(c->n_instance_types > 0 && c->instance_types);
	for (size_t i = 0; i < c->n_instance_types; i++) {
		const struct ev_instance_type *t = &c->instance_types[i];

		CHECK(terminated(t->name, EV_NAME_MAX) && t->name[0]);
		/* A lookup by name must find an entry of that name (overrides
		 * replace, they do not hide behind a stale built-in). */
		CHECK(ev_config_instance(c, t->name) != NULL);
		CHECK(strcmp(ev_config_instance(c, t->name)->name, t->name) == 0);
		for (int s = 0; s < EV_SW__COUNT; s++)
			CHECK(terminated(t->min_version[s], EV_VER_MAX) &&
			      terminated(t->recommended[s], EV_VER_MAX));
	}
	for (int k = 0; k < EV_CHECK__COUNT; k++)
		CHECK(c->checks[k] == EV_ACTION_OFF || c->checks[k] == EV_ACTION_WARN ||
		      c->checks[k] == EV_ACTION_FAIL);
	CHECK(c->on_not_ready == EV_NOT_READY_FAIL_STEP || c->on_not_ready == EV_NOT_READY_DRAIN);
}

/* The values ev_config_expand may rewrite, to see that a failed expansion
 * left every one of them alone. */
struct expandable {
	char sysfs_root[EV_PATH_MAX], state_dir[EV_PATH_MAX], software_root[EV_PATH_MAX];
	char imds_endpoint[EV_URL_MAX], prometheus[EV_PATH_MAX], log_path[EV_PATH_MAX];
};

static void save_expandable(const struct ev_config *c, struct expandable *e)
{
	memcpy(e->sysfs_root, c->sysfs_root, EV_PATH_MAX);
	memcpy(e->state_dir, c->state_dir, EV_PATH_MAX);
	memcpy(e->software_root, c->software_root, EV_PATH_MAX);
	memcpy(e->imds_endpoint, c->imds_endpoint, EV_URL_MAX);
	memcpy(e->prometheus, c->prometheus_textfile_dir, EV_PATH_MAX);
	memcpy(e->log_path, c->log_path, EV_PATH_MAX);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct ev_config c;
	struct ev_err err = { "" };
	int rc;

	rc = ev_config_load_string(&c, NAME, (const char *)data, size, &err);
	if (rc) {
		CHECK(rc < 0);
		CHECK(strncmp(err.msg, NAME ":", strlen(NAME ":")) == 0);
		CHECK(printable_line(err.msg));
		CHECK(all_zero(&c, sizeof(c)));
		ev_config_free(&c);   /* documented as safe after an error */
		return 0;
	}
	check_loaded(&c);

	{
		struct expandable before, after;

		save_expandable(&c, &before);
		err.msg[0] = '\0';
		rc = ev_config_expand(&c, "node-1", &err);
		save_expandable(&c, &after);
		if (rc) {
			CHECK(rc < 0 && err.msg[0]);
			CHECK(printable_line(err.msg));
			CHECK(memcmp(&before, &after, sizeof(before)) == 0);
		} else {
			check_loaded(&c);
		}
	}
	ev_config_free(&c);
	return 0;
}
