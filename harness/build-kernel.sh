#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build the kernel of $PROFILE (test or perf) in $OBJ.
#
# The config is "make tinyconfig" plus fragments: harness/configs/base.config,
# harness/configs/$ARCH.config (the machine), harness/configs/$PROFILE.config,
# harness/configs/$ARCH-$PROFILE.config if there is one and, for the test
# profile, what the
# selftests declare they need (tools/testing/selftests/iommu/config). It is
# regenerated only when a fragment changes, and every option a fragment
# sets is checked afterwards: Kconfig silently drops options whose
# dependencies are missing, and a dropped debug option would make the test
# run meaningless.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

fragments=("$HARNESS/configs/base.config" "$HARNESS/configs/$ARCH.config"
	   "$HARNESS/configs/$PROFILE.config")
[ -f "${fragments[2]}" ] || die "unknown profile '$PROFILE'"
[ ! -f "$HARNESS/configs/$ARCH-$PROFILE.config" ] ||
	fragments+=("$HARNESS/configs/$ARCH-$PROFILE.config")
if [ "$PROFILE" = test ]; then
	fragments+=("$SRC/tools/testing/selftests/iommu/config")
fi

configure_fragments "$OBJ" tinyconfig "${fragments[@]}" ||
	die "the $PROFILE config lost options; see above"

"${KMAKE[@]}" "$KIMAGE"
"${KMAKE[@]}" headers
