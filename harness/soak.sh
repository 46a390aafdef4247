#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make soak": build the test kernel and the kselftests, boot the guest
# and run the multi-thread stress test of one /dev/iommu context
# (tools/testing/selftests/iommu/iommufd_stress.c) for a long time. Prints
# the calls made per operation, the objects created, and the guest's
# MemFree and Slab before and after (caches dropped both times), then
# counts the results and scans the kernel log and kmemleak as make check
# does. Not part of make check.
#
# Environment: SOAK_SECONDS (default 1800), SOAK_THREADS (worker threads,
# default 8), SOAK_AREAS (also run the many-areas test with that many
# areas; default 0, skipped), SOAK_SEED.
set -euo pipefail
export PROFILE=test
. "$(dirname "$0")/lib.sh"

secs=${SOAK_SECONDS:-1800}
suite=kselftest-iommu-iommufd_stress

build_all

envs="IOMMUFD_STRESS_SECONDS=$secs IOMMUFD_STRESS_AREAS=${SOAK_AREAS:-0}"
[ -z "${SOAK_THREADS:-}" ] || envs+=" IOMMUFD_STRESS_THREADS=$SOAK_THREADS"
[ -z "${SOAK_SEED:-}" ] || envs+=" IOMMUFD_STRESS_SEED=$SOAK_SEED"
cmd="out=/run/hostout
mkdir -p \$out/tap
meminfo() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
	grep -E '^(MemFree|Slab|SReclaimable|SUnreclaim):' /proc/meminfo > \$out/\$1
}
meminfo meminfo-before
env $envs $OBJ/kselftest/iommu/iommufd_stress > \$out/tap/$suite.tap 2>&1 < /dev/null
echo \$? > \$out/tap/$suite.rc
# RCU callbacks and deferred frees of the last objects
sleep 5
meminfo meminfo-after"

run_guest_suite soak stress "$secs" "$cmd"

tap=$run/tap/$suite.tap
if [ -f "$tap" ]; then
	# The per-operation table, the totals and any failure
	sed -n '/^# operation /,/^# objects outside/p' "$tap"
	grep -E '^# (thread [0-9]+:|.*failed with)' "$tap" | head -n 20 || true
fi
if [ -f "$run/meminfo-before" ] && [ -f "$run/meminfo-after" ]; then
	echo "guest memory (kB, caches dropped):"
	paste "$run/meminfo-before" "$run/meminfo-after" |
		awk '{ printf "  %-14s before %9d  after %9d  change %+9d\n",
			$1, $2, $5, $5 - $2 }'
fi
guest_suite_results
