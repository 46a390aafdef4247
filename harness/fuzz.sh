#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make fuzz": build the test kernel and the kselftests, boot the guest and
# run the ioctl fuzzer (tools/testing/selftests/iommu/iommufd_fuzz.c) for
# a longer time than make check gives it; then count its results and scan
# the guest's kernel log (and kmemleak) as make check does. Not part of
# make check.
#
# Environment: FUZZ_SECONDS (default 600), FUZZ_SEED (master seed: replays
# an earlier run, or with FUZZ_SEQS=1 one sequence), FUZZ_SEQS (number of
# sequences instead of a time budget).
set -euo pipefail
export PROFILE=test
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECONDS:-600}
suite=kselftest-iommu-iommufd_fuzz

build_all

envs="IOMMUFD_FUZZ_SECONDS=$secs"
[ -z "${FUZZ_SEED:-}" ] || envs+=" IOMMUFD_FUZZ_SEED=$FUZZ_SEED"
[ -z "${FUZZ_SEQS:-}" ] || envs+=" IOMMUFD_FUZZ_SEQS=$FUZZ_SEQS"
cmd="mkdir -p /run/hostout/tap
env $envs $OBJ/kselftest/iommu/iommufd_fuzz > /run/hostout/tap/$suite.tap 2>&1 < /dev/null
echo \$? > /run/hostout/tap/$suite.rc"

run_guest_suite fuzz fuzzing "$secs" "$cmd"

tap=$run/tap/$suite.tap
if [ -f "$tap" ]; then
	# The seed, the totals, and any failure with its replay line
	grep -E '^# (master seed|[0-9]+ (sequences|regression)|FAIL|  )' "$tap" |
		head -n 200 || true
	sed -En '/^# command /,/^# +(OK|FAIL) /p' "$tap" | head -n 50
fi
guest_suite_results
