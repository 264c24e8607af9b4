#!/bin/sh
# Regenerate the build system. automake ships tap-driver.sh but does not copy
# it by itself; take it from the installed automake rather than keeping a copy.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/tap-driver.sh
