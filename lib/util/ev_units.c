#include "util/ev_units.h"

#include <inttypes.h>
#include <stdio.h>

const char *ev_bytes_human(uint64_t bytes, char *buf, size_t cap)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%" PRIu64 " B", bytes);
	else
		snprintf(buf, cap, "%.1f %s", v, unit[u]);
	return buf;
}

double ev_gbps(uint64_t bytes, uint64_t ns)
{
	return ns ? (double)bytes * 8.0 / (double)ns : 0.0;
}

const char *ev_gbps_text(double gbps, char *buf, size_t cap)
{
	snprintf(buf, cap, gbps >= 100 ? "%.0f" : gbps >= 10 ? "%.1f" : "%.2f", gbps);
	return buf;
}
