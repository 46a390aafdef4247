#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest-tests.sh [COLLECTION:TEST ...]
#
# Runs inside the test guest (via vm.sh): every test suite, each writing
# its TAP output to /run/hostout/tap/SUITE.tap and its exit status to
# SUITE.rc, for results.py on the host to count. The kselftests run
# through the standard run_kselftest.sh, which kills a program that hangs
# after the timeout of its settings file (its .rc then says 124); the
# few other suites here get 900 s each.
set -u
OUT=/run/hostout/tap
mkdir -p $OUT
KSFT_INSTALL=$IOMMUFD_OBJ/ksft-install

run_suite() {
	local name=$1
	shift
	echo "== $name"
	timeout -k 5 900 "$@" > $OUT/$name.tap 2>&1 < /dev/null
	echo $? > $OUT/$name.rc
	grep -E '^(not )?ok |^# Totals' $OUT/$name.tap | tail -n 1
}

# split_runner: read run_kselftest.sh's output and write each program's
# own TAP (the runner indents it with "# ") to kselftest-iommu-NAME.tap as
# it arrives, and its exit status, from the runner's result line, to
# NAME.rc: 0, 4 (skip), 124 (timeout) or the "exit=" it reports. A suite
# cut short by a dying guest keeps what it printed, with no .rc.
split_runner() {
	awk -v out="$OUT" '
	/^# selftests: iommu: / {
		name = $4
		sub(/\.sh$/, "", name)
		base = out "/kselftest-iommu-" name
		tap = base ".tap"
		printf "" > tap
		print "== kselftest-iommu-" name
		next
	}
	/^(not )?ok [0-9]+ selftests: iommu: / && tap != "" {
		rc = 0
		if ($0 ~ /# SKIP/)
			rc = 4
		else if ($0 ~ /# TIMEOUT/)
			rc = 124
		else if (match($0, /# exit=[0-9]+/))
			rc = substr($0, RSTART + 7, RLENGTH - 7)
		else if ($0 ~ /^not ok/)
			rc = 1
		print rc > (base ".rc")
		close(base ".rc")
		close(tap)
		print
		tap = ""
		next
	}
	tap != "" {
		sub(/^# ?/, "")
		print >> tap
		fflush(tap)
	}'
}

# Every program of the iommu collection, through the standard runner
# (timeouts from its settings file), as a kernel CI system runs them.
# The fault-injection setup of iommufd_fail_nth is the program's own.
# With arguments (COLLECTION:TEST ...), only those, and nothing else.
# The runner must report a result for every program it was given, or the
# programs it never ran would go unnoticed: that is checked as a test too.
run_runner() {
	local want=$1 got

	shift
	"$KSFT_INSTALL/run_kselftest.sh" "$@" < /dev/null 2>&1 |
		tee $OUT/run_kselftest.out | split_runner
	got=$(grep -cE '^(not )?ok [0-9]+ selftests: ' $OUT/run_kselftest.out)
	{
		echo "TAP version 13"
		echo "1..1"
		[ "$got" = "$want" ] || printf 'not '
		echo "ok 1 run_kselftest.sh reported $got of $want programs"
	} > $OUT/kselftest-runner.tap
	echo 0 > $OUT/kselftest-runner.rc
}

if [ $# -gt 0 ]; then
	only=()
	for t in "$@"; do
		only+=(-t "$t")
	done
	run_runner $# "${only[@]}"
	exit 0
fi
run_runner "$(grep -c '^iommu:' "$KSFT_INSTALL/kselftest-list.txt")" -c iommu

# KUnit suites ran at boot; debugfs keeps each suite's TAP results.
# Script tests (TEST_PROGS) run from the source tree
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
