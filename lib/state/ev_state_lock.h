#ifndef EV_STATE_LOCK_H
#define EV_STATE_LOCK_H

#include "util/ev_err.h"

/* An exclusive lock on state_dir/<name>.lock (created 0600, never through a
 * symlink, refused unless ours); returns the fd to close, or -errno. Serialises
 * read-modify-write steps among concurrent prologs and epilogs of a node. */
int ev_state_lock(const char *state_dir, const char *name, struct ev_err *err);

/* The same on state_dir/name as it is, with state_dir already checked: the
 * node's own lock ("lock") among them. */
int ev_state_lock_file(const char *state_dir, const char *name, struct ev_err *err);

#endif
