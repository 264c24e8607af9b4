/* IMDS answers do not change while an instance runs, so ask once per boot:
 * the answer is kept in state_dir/imds.cache (root-only, written atomically),
 * keyed by the kernel's boot_id. A failure is remembered briefly too, so a
 * node whose IMDS is down does not pay the timeout on every step. */
#ifndef EV_IMDS_CACHE_H
#define EV_IMDS_CACHE_H

#include <stdbool.h>
#include <time.h>

#include "config/ev_config.h"
#include "util/ev_err.h"
#include "aws/ev_imds.h"

#define EV_IMDS_NEGATIVE_TTL_S 60


/* 0 and *out filled; -ENOENT no cache; -ESTALE other boot; -EAGAIN a recent
 * remembered failure (err has its message); other negative errno on a bad file. */
int ev_imds_cache_load(const char *state_dir, const char *boot_id,
		       struct ev_imds_info *out, struct ev_err *err);
/* The same, judging the age of a remembered failure against now (tests). */
int ev_imds_cache_load_at(const char *state_dir, const char *boot_id, time_t now,
			  struct ev_imds_info *out, struct ev_err *err);
int ev_imds_cache_store(const char *state_dir, const char *boot_id,
			const struct ev_imds_info *info, struct ev_err *err);
int ev_imds_cache_store_failure(const char *state_dir, const char *boot_id,
				const char *why, struct ev_err *err);

enum ev_imds_source { EV_IMDS_FROM_CACHE, EV_IMDS_FROM_NETWORK };

/* Cache first; on a miss fetch (if allow_fetch) and store. */
int ev_imds_get(const struct ev_config *cfg, bool allow_fetch, struct ev_imds_info *out,
		enum ev_imds_source *src, struct ev_err *err);

#endif
