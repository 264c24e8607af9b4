#!/bin/bash
# Build the libFuzzer targets into OUTDIR (default: ./fuzz-out).
#
# The lib/*/*.c files a target needs are compiled straight into it, not taken
# from the libtool library: every line of the parsers must carry the
# fuzzer's coverage instrumentation and the sanitizers, which a normal build
# does not have. Needs clang and its libFuzzer runtime (Debian:
# libclang-rt-14-dev). Exit 77 (automake's "skip") when they are missing.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=${1:-fuzz-out}
mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
CC=${FUZZ_CC:-clang}

command -v "$CC" >/dev/null 2>&1 || { echo "fuzz/build.sh: $CC not found" >&2; exit 77; }
# The runtime is a separate package from the compiler: probe a tiny link.
probe="$out/obj/probe"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	>"$probe.c"
"$CC" -fsanitize=fuzzer "$probe.c" -o "$probe" 2>/dev/null ||
	{ echo "fuzz/build.sh: $CC cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)" >&2; exit 77; }

deps_cflags=$(pkg-config --cflags yaml-0.1 libcurl)
deps_libs=$(pkg-config --libs yaml-0.1 libcurl)
# Same language and warnings as the project (configure.ac's EV_CFLAGS), so
# the fuzzers cannot rot into something the real build would reject.
# -fno-sanitize-recover: a UBSan report must stop the run, or libFuzzer
# would count it as an ordinary input.
cflags="-std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral
	-fno-strict-aliasing -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fno-sanitize-recover=all -I$top/lib $deps_cflags
	-DEV_SYSCONFDIR=\"/etc\" -DEV_DEFAULT_CONFIG=\"/etc/slurm/efa-verify.yaml\""
san="address,undefined"

# Every lib/*/*.c that stands alone, into one archive: a target pulls in
# just the members it uses, so a parser gaining a dependency inside lib/
# needs no change here. Files that include configure's config.h are left
# out; no parser uses them. Each file is recompiled only when it changed.
objs=()
for src in "$top"/lib/*/*.c; do
	grep -q '^#include "config.h"' "$src" && continue
	f=$(basename "$src" .c)
	o="$out/obj/$f.o"
	if [ ! -e "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find "$top/lib" -name '*.h' -newer "$o")" ]; then
		# shellcheck disable=SC2086
		"$CC" $cflags -fsanitize=fuzzer-no-link,$san -c "$src" -o "$o"
	fi
	objs+=("$o")
done
rm -f "$out/obj/libev_fuzz.a"
ar rcs "$out/obj/libev_fuzz.a" "${objs[@]}"

targets=${FUZZ_TARGETS:-"config imds counters record sofar oci image"}
for t in $targets; do
	# shellcheck disable=SC2086
	"$CC" $cflags -fsanitize=fuzzer,$san "$here/fuzz_$t.c" "$out/obj/libev_fuzz.a" $deps_libs -ldl -lpthread -lm \
		-o "$out/fuzz_$t"
	echo "built $out/fuzz_$t"
done
