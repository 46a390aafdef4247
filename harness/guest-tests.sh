#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest (via vm.sh): every test suite, each writing
# its TAP output to /run/hostout/tap/SUITE.tap and its exit status to
# SUITE.rc, for results.py on the host to count. A suite that hangs is
# killed after SUITE_TIMEOUT seconds (its .rc then says 124).
set -u
OUT=/run/hostout/tap
mkdir -p $OUT
KSFT=$IOMMUFD_OBJ/kselftest/iommu
SUITE_TIMEOUT=${SUITE_TIMEOUT:-900}

run_suite() {
	local name=$1
	shift
	echo "== $name"
	timeout -k 5 "$SUITE_TIMEOUT" "$@" > $OUT/$name.tap 2>&1 < /dev/null
	echo $? > $OUT/$name.rc
	grep -E '^(not )?ok |^# Totals' $OUT/$name.tap | tail -n 1
}

# Fault injection knobs set as the fail-nth tests expect them: failures
# really fire for sleeping allocations too, and only the tasks that ask
# for them (through /proc/self/task/*/fail-nth) see them.
for f in failslab fail_page_alloc; do
	d=/sys/kernel/debug/$f
	[ -d $d ] || continue
	echo N > $d/ignore-gfp-wait
	echo 0 > $d/verbose
	echo Y > $d/task-filter
done
[ -d /sys/kernel/debug/fail_page_alloc ] && {
	echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
	echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
}

for t in "$KSFT"/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	run_suite "kselftest-iommu-$(basename "$t")" "$t"
done

# KUnit suites ran at boot; debugfs keeps each suite's TAP results.
# Script tests (TEST_PROGS) run from the source tree
for t in "$IOMMUFD_REPO"/tools/testing/selftests/iommu/*.sh; do
	[ -x "$t" ] || continue
	run_suite "kselftest-iommu-$(basename "$t" .sh)" "$t"
done

for r in /sys/kernel/debug/kunit/*/results; do
	[ -f "$r" ] || continue
	name=kunit-$(basename "$(dirname "$r")")
	echo "== $name"
	cat "$r" > $OUT/$name.tap
	echo 0 > $OUT/$name.rc
done

# The demo of "make run", as a smoke test: one TAP line for its exit status.
run_suite demo "$IOMMUFD_REPO/harness/tap-one.sh" iommufd-demo \
	"$IOMMUFD_OBJ/tools/iommufd/iommufd-demo"

# The benchmark program with tiny sizes, so that it cannot rot
run_suite bench-smoke "$IOMMUFD_REPO/harness/tap-one.sh" iommufd-bench-smoke \
	"$IOMMUFD_OBJ/tools/iommufd/iommufd-bench" --smoke
