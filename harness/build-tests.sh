#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the userspace side against the headers of the kernel in $OBJ: the
# kselftests of tools/testing/selftests/iommu and the tools in
# tools/iommufd (the demo). Outputs go under $OBJ, which the guest sees.
# For arm64 they are cross-compiled and linked statically: the arm64 guest
# has no C library of its own (see build-arm64-root.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hdr="-isystem $OBJ/usr/include"
cross=()
if [ "$ARCH" != x86_64 ]; then
	cross=(CROSS_COMPILE="$CROSS" CC="${CROSS}gcc" LDFLAGS=-static)
fi
# The guest runs every program in the kselftest directory: start it empty,
# so that a test removed from (or never in) the Makefile cannot run.
rm -rf "$OBJ/kselftest/iommu"
mkdir -p "$OBJ/kselftest/iommu" "$OBJ/tools/iommufd"
make -C "$SRC/tools/testing/selftests/iommu" -j"$JOBS" \
	OUTPUT="$OBJ/kselftest/iommu" KHDR_INCLUDES="$hdr" \
	CFLAGS="-Wall -Werror -O2 $hdr" "${cross[@]}"
make -C "$SRC/tools/iommufd" -j"$JOBS" OUTPUT="$OBJ/tools/iommufd/" \
	KHDR_INCLUDES="$hdr" CFLAGS="-Wall -Wextra -Werror -O2 $hdr" "${cross[@]}"
