/* Bytes and rates as people read them: report's tables and the step-end
 * line. Exact numbers are in the JSON outputs. */
#ifndef EV_UNITS_H
#define EV_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* 1536 -> "1.5 KiB", 12 -> "12 B" (powers of 1024). Returns buf. */
const char *ev_bytes_human(uint64_t bytes, char *buf, size_t cap);

/* bytes over ns in Gb/s (10^9 bits per second, as links are rated); 0 for
 * no time. */
double ev_gbps(uint64_t bytes, uint64_t ns);

/* A rate with three significant digits where it matters: "3200", "12.3",
 * "1.23", "0.00". Returns buf. */
const char *ev_gbps_text(double gbps, char *buf, size_t cap);

#endif
