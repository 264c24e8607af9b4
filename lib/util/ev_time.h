/* The monotonic clock, for timeouts and intervals (never for what a
 * person reads: that is the wall clock), and sleeps that last. */
#ifndef EV_TIME_H
#define EV_TIME_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds and milliseconds. */
uint64_t ev_mono_ns(void);
uint64_t ev_mono_ms(void);
/* Sleep ms milliseconds, through any signal that interrupts it. */
void ev_sleep_ms(unsigned ms);

#endif
