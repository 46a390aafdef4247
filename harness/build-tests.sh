#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the userspace side against the headers of the kernel in $OBJ: the
# kselftests of tools/testing/selftests/iommu and the tools in
# tools/iommufd (demo, benchmark, lsiommufd). Outputs go under $OBJ, which
# the guest sees.
# For arm64 they are cross-compiled and linked statically: the arm64 guest
# has no C library of its own (see build-arm64-root.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

hdr="-isystem $OBJ/usr/include"
cross=()
if [ "$ARCH" != x86_64 ]; then
	cross=(CROSS_COMPILE="$CROSS" CC="${CROSS}gcc" LDFLAGS=-static)
fi
# The kselftests are built and installed as a kernel CI system does it,
# through the top-level selftests Makefile: programs in
# $OBJ/kselftest/iommu, and run_kselftest.sh with the list of tests and
# the settings file in $KSFT_INSTALL, from where the guest runs them.
# Both start empty, so that a test removed from the Makefile cannot run.
rm -rf "$OBJ/kselftest/iommu" "$KSFT_INSTALL"
mkdir -p "$OBJ/tools/iommufd"
make -C "$SRC/tools/testing/selftests" -j"$JOBS" O="$OBJ" TARGETS=iommu \
	INSTALL_PATH="$KSFT_INSTALL" KHDR_INCLUDES="$hdr" \
	CFLAGS="-Wall -Werror -O2 $hdr" "${cross[@]}" install
make -C "$SRC/tools/iommufd" -j"$JOBS" OUTPUT="$OBJ/tools/iommufd/" \
	KHDR_INCLUDES="$hdr" CFLAGS="-Wall -Wextra -Werror -O2 $hdr" "${cross[@]}"
