/* MUNGE credentials, from the munged every node of a Slurm cluster with
 * auth/munge already runs: a payload encrypted with the cluster's munge
 * key that munged opens only for the reader named when it was made.
 *
 * libmunge.so.2 is loaded on first use (ev_dl.h), with the few functions
 * and constants used here declared by hand from munge's public header (its
 * ABI has kept them since 0.5): building needs no libmunge-dev, and a
 * process that never asks for a credential never maps the library. */
#ifndef EV_MUNGE_H
#define EV_MUNGE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/ev_err.h"

/* A credential whose payload buf[0..len) munged opens for reader's uid
 * only, into out (NUL-terminated text, "MUNGE:...:"), made to live ttl
 * seconds (0: munged's default). Always encrypted (AES-128), never
 * compressed, whatever munged's defaults: the payload is what must not
 * show, and a compressed payload's length says something of it.
 * socket: munged's socket, NULL for its default. 0, or -ELIBACC (no
 * libmunge), -ECONNREFUSED (munged not reached), -ENAMETOOLONG (out too
 * small), -EIO (munged refused). */
int ev_munge_encode(const char *socket, const void *buf, size_t len, uid_t reader, int ttl, char *out, size_t cap,
		    struct ev_err *err);

/* cred's payload into out (cap bytes; *len its length, a NUL after it),
 * and *from the uid of the process that made it. munged is asked as `as`:
 * a root process takes as's uid as its effective uid for the one request
 * (munged, as built by default, refuses root a credential restricted to
 * another uid), any other process asks as itself. A credential past its
 * time to live, older than its maker's clock or opened before still gives
 * its payload: munged decides who may read a credential before it judges
 * its age or replay, and says the latter only once the former passed.
 * 0, or -EACCES (munged will not open it for this reader), -EBADMSG (not
 * a credential of this cluster's key: corrupt, another key, not MUNGE),
 * -ELIBACC, -ECONNREFUSED, -ENAMETOOLONG, -EIO as above. */
int ev_munge_decode(const char *socket, const char *cred, uid_t as, void *out, size_t cap, size_t *len,
		    uid_t *from, struct ev_err *err);

#endif
