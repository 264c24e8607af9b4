/* The one place that absorbs differences between Slurm releases' public
 * headers (22.05 up to 26.05), decided by configure's feature tests, never
 * by SLURM_VERSION_NUMBER: a vendor's backport or a ParallelCluster build
 * then still gets the right answer. Include it instead of slurm/slurm.h.
 *
 *  - 23.11 turned the pointer typedefs List, ListIterator and hostlist_t
 *    into struct typedefs (list_t, list_itr_t, hostlist_t): code here
 *    always spells the pointer, as ev_list_t *, ev_list_itr_t * and
 *    ev_hostlist_t *.
 *  - 23.11 dropped slurm_get_errno(); libslurm sets errno itself.
 *  - 26.05 renamed slurm_free_ctl_conf() to slurm_free_conf(), and
 *    slurm_load_job() takes a slurm_step_id_t instead of a job id.
 *  - 26.05 dropped update_node_msg_t's reason_uid: slurmctld takes the
 *    reason's author from the request's credential.
 *  - Job updates name the job by job_id_str, which every release has
 *    (26.05 moved job_desc_msg_t's job_id into a step id).
 *  - The config libslurm read from slurm.conf is its global slurm_conf,
 *    exported by every release here but declared in a private header. */
#ifndef EV_SLURM_COMPAT_H
#define EV_SLURM_COMPAT_H

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#ifdef HAVE_LIST_T_P
typedef list_t ev_list_t;
typedef list_itr_t ev_list_itr_t;
#else
typedef struct xlist ev_list_t;
typedef struct listIterator ev_list_itr_t;
#endif

#ifdef EV_HOSTLIST_T_IS_POINTER
typedef struct hostlist ev_hostlist_t;
#else
typedef hostlist_t ev_hostlist_t;
#endif

static inline int ev_slurm_errno(void)
{
#if HAVE_DECL_SLURM_GET_ERRNO
	return slurm_get_errno();
#else
	return errno;
#endif
}

static inline void ev_slurm_free_conf(slurm_conf_t *conf)
{
#if HAVE_DECL_SLURM_FREE_CONF
	slurm_free_conf(conf);
#else
	slurm_free_ctl_conf(conf);
#endif
}

static inline void ev_slurm_reason_uid(update_node_msg_t *msg, uid_t uid)
{
#ifdef HAVE_UPDATE_NODE_MSG_T_REASON_UID
	msg->reason_uid = uid;
#else
	(void)msg;
	(void)uid;
#endif
}

/* SlurmUser's uid and AuthInfo (NULL: none, else malloc'ed) from the
 * slurm.conf libslurm read at slurm_init: its own copy where it exports
 * one, else slurmctld's (one REQUEST_BUILD_INFO). */
#ifdef EV_HAVE_SLURM_CONF_GLOBAL
extern slurm_conf_t slurm_conf;
#endif
static inline int ev_slurm_user(uid_t *uid, char **authinfo)
{
#ifdef EV_HAVE_SLURM_CONF_GLOBAL
	*uid = (uid_t)slurm_conf.slurm_user_id;
	*authinfo = slurm_conf.authinfo ? strdup(slurm_conf.authinfo) : NULL;
	return slurm_conf.authinfo && !*authinfo ? -ENOMEM : 0;
#else
	slurm_conf_t *conf = NULL;

	if (slurm_load_ctl_conf((time_t)0, &conf) != SLURM_SUCCESS || !conf) {
		if (conf)
			ev_slurm_free_conf(conf);
		return -EIO;
	}
	*uid = (uid_t)conf->slurm_user_id;
	*authinfo = conf->authinfo ? strdup(conf->authinfo) : NULL;
	ev_slurm_free_conf(conf);
	return 0;
#endif
}

/* SHOW_LOCAL always: without it slurm_load_job first asks slurmctld for the
 * federation (REQUEST_FED_INFO), one more RPC per call, and every node of
 * an enforce step calls it. The job asked for runs here, on this cluster. */
static inline int ev_slurm_load_job(job_info_msg_t **msg, uint32_t jobid, uint16_t flags)
{
	flags |= SHOW_LOCAL;
#ifdef EV_LOAD_JOB_TAKES_STEP_ID
	slurm_step_id_t id = { .job_id = jobid, .step_het_comp = NO_VAL, .step_id = NO_VAL };

	return slurm_load_job(msg, id, flags);
#else
	return slurm_load_job(msg, jobid, flags);
#endif
}

#endif
