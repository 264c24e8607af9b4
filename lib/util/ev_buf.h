/* A growing text buffer for the writers that build a file or a line in
 * memory first (start snapshots, JSON, Prometheus text). An allocation
 * failure is sticky: later calls do nothing and the caller checks oom once,
 * at the end, instead of after every append. */
#ifndef EV_BUF_H
#define EV_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct ev_buf {
	char *p;                      /* NUL-terminated while !oom; NULL before the first append */
	size_t len, cap;
	bool oom;
};

/* Room for need more bytes and the NUL; false after an allocation failure. */
bool ev_buf_reserve(struct ev_buf *b, size_t need);
void ev_buf_add(struct ev_buf *b, const char *s, size_t n);
void ev_buf_printf(struct ev_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (caller frees) and its length, or NULL after a failure; b is
 * emptied either way. */
char *ev_buf_take(struct ev_buf *b, size_t *len);
void ev_buf_free(struct ev_buf *b);

#endif
