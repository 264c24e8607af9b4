/* The connection behind struct ev_dbd, shared by the parts of ev_dbd
 * (ev_dbd.c, ev_dbd_jobs.c) and no one else. */
#ifndef EV_DBD_PRIV_H
#define EV_DBD_PRIV_H

struct ev_dbd {
	void *conn;
	char *cluster;   /* ours: accounting may serve several clusters */
};

#endif
