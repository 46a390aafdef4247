#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make run": build the kernel and the demo, boot the guest, run the demo.
set -euo pipefail
export PROFILE=${PROFILE:-test}
. "$(dirname "$0")/lib.sh"

build_all
case $ARCH in
x86_64) echo "booting the guest (q35, emulated Intel VT-d, edu devices) ..." ;;
arm64) echo "booting the guest (arm64 virt, emulated SMMUv3, edu devices) ..." ;;
esac
t=$(date +%s.%N)
set +e
"$HARNESS/vm.sh" "$OBJ/tools/iommufd/iommufd-demo"
rc=$?
set -e
printf '[%s | total %s] boot guest and run the demo (exit %d)\n' \
	"$(elapsed "$t")" "$(elapsed "$T0")" "$rc"
exit $rc
