#!/bin/sh
# Regenerate the build system: autoreconf, which also installs automake's
# tap-driver.sh (configure.ac asks for it).
set -e
cd "$(dirname "$0")"
mkdir -p build-aux m4
autoreconf -fi
