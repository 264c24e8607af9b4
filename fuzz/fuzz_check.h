/* Shared by the fuzz targets. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

/* An invariant a header promises. Not assert(): NDEBUG must never turn
 * these off, and libFuzzer saves the input of any abort() as a crash. */
#define CHECK(cond) do { \
		if (!(cond)) { \
			fprintf(stderr, "CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort(); \
		} \
	} while (0)

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#endif
