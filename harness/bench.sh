#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make bench": build the perf profile kernel (no debug options) and
# tools/iommufd/iommufd-bench, boot the guest with memory and hugetlb pages
# for the largest buffers, run the benchmark there, and on the host draw
# the chart (tools/iommufd/bench-plot.gp). The perf kernel has no
# IOMMU_TEST_CMD, so the mock-domain rows come from a second run on the
# test profile kernel (debug options on: its rows are labelled "test" and
# are not comparable with the others); BENCH_MOCK=0 skips that run.
#
# Results go to $CACHE/bench/DATE/ (bench.txt: machine, kernels and
# tables; bench.csv: every row of both runs; bench.png) and are copied to
# Documentation/iommufd-bench/ in the repository.
#
# The peer rows come from upstream Linux 6.12 (Debian's linux-source-6.12,
# built by build-upstream.sh, never modified) booted the same way, and a
# last table compares our perf rows with them (bench-compare.py).
#
# Environment: BENCH_MAX_SIZE (largest buffer, default 1G), BENCH_ARGS
# (more iommufd-bench options, e.g. "--reps 7"), BENCH_MEM (guest memory,
# default 6G), BENCH_TIMEOUT (seconds per guest run, default 5400),
# BENCH_MOCK (1, the default: mock rows from the test kernel if the perf
# kernel lacks them), BENCH_UPSTREAM (1, the default: the 6.12 peer rows).
set -euo pipefail
export PROFILE=perf
. "$(dirname "$0")/lib.sh"

max=${BENCH_MAX_SIZE:-1G}
case $max in
*G) mib=$((${max%G} * 1024)) ;;
*M) mib=${max%M} ;;
*) die "BENCH_MAX_SIZE must be like 1G or 64M, not '$max'" ;;
esac
# 2 MiB hugetlb pages for the largest hugetlb buffer, and a few more
hugepages=$((mib / 2 + 8))
date=$(date +%Y-%m-%d)
out=$CACHE/bench/$(date +%Y%m%d-%H%M%S)
doc=$REPO/Documentation/iommufd-bench
mkdir -p "$out"

# bench_in_guest LABEL ARGS...: run iommufd-bench in a guest of $PROFILE
# with ARGS; its table goes to $out/LABEL.txt, its CSV to $out/LABEL.csv.
# Returns the benchmark's exit status (vm.sh's for a dead guest). Call it
# as "bench_in_guest ... || rc=$?", so that a failure does not stop us.
bench_in_guest() {
	local label=$1 rundir_file rc run cmd t
	shift
	rundir_file=$(mktemp)
	# The guest sees the host's root read-only; the run directory is
	# the one place it can write (/run/hostout).
	cmd=$(printf '%q ' "$OBJ/tools/iommufd/iommufd-bench" --label "$label" \
		--max-size "$max" --csv /run/hostout/bench.csv "$@")
	echo "booting the $PROFILE kernel for the benchmark ($label; output at the end) ..."
	t=$(date +%s.%N)
	RUNDIR_FILE=$rundir_file VM_MEM=${BENCH_MEM:-6G} \
		VM_APPEND="hugepages=$hugepages" \
		VM_TIMEOUT=${BENCH_TIMEOUT:-5400} \
		"$HARNESS/vm.sh" "$cmd" | tee "$out/$label.txt"
	rc=${PIPESTATUS[0]}
	run=$(take_run_dir "$rundir_file")
	cp "$run/bench.csv" "$out/$label.csv" 2>/dev/null ||
		echo "bench: no CSV from the $label run (guest log: $run)" >&2
	printf '[%s | total %s] benchmark on the %s kernel (exit %d)\n' \
		"$(elapsed "$t")" "$(elapsed "$T0")" "$PROFILE" "$rc"
	return "$rc"
}

build_all
rc=0
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
bench_in_guest perf --pagesizes ${BENCH_ARGS:-} || rc=$?

labels=(perf)
# Upstream Linux 6.12, unmodified, booted in the same VM with the same
# binary right after ours: the peer of the "x upstream" table.
up_kernel=$CACHE/obj-upstream-6.12/arch/x86/boot/bzImage
if [ "${BENCH_UPSTREAM:-1}" = 1 ]; then
	if (stage "build upstream 6.12 kernel (the peer)" \
		"$HARNESS/build-upstream.sh"); then
		# shellcheck disable=SC2086
		VM_KERNEL=$up_kernel PROFILE=upstream-6.12 \
			bench_in_guest upstream-6.12 --paths iommufd,type1 \
			--pagesizes ${BENCH_ARGS:-} || rc=$?
		labels+=(upstream-6.12)
	else
		echo "bench: no upstream rows: the 6.12 kernel did not build" >&2
		rc=1
	fi
fi

if [ "${BENCH_MOCK:-1}" = 1 ] && ! grep -qx 'CONFIG_IOMMUFD_TEST=y' "$OBJ/.config"; then
	export PROFILE=test
	OBJ=$CACHE/obj-$PROFILE
	# In a subshell: a failed stage exits, and the perf rows must stay
	if (stage "build kernel (test profile, for the mock rows)" \
		"$HARNESS/build-kernel.sh" &&
	    stage "build tests and tools (test profile)" \
		"$HARNESS/build-tests.sh"); then
		# shellcheck disable=SC2086
		bench_in_guest test --paths mock ${BENCH_ARGS:-} || rc=$?
		labels+=(test)
	else
		echo "bench: no mock rows: the test kernel did not build" >&2
		rc=1
	fi
fi

# One CSV (the header once), one text file, one chart
machine="$(nproc)-core $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
machine+=", $(awk '/^MemTotal/ { printf "%d GiB", $2 / 1048576 + 0.5 }' /proc/meminfo)"
machine+=", $(. /etc/os-release && echo "$PRETTY_NAME")"
machine=${machine//\'/}
qemu=$(qemu-system-x86_64 --version | head -n 1)
{
	echo "iommufd-bench, $date"
	echo "host: $machine"
	echo "guest: $qemu, TCG, q35, emulated VT-d, ${BENCH_MEM:-6G} RAM, hugepages=$hugepages"
	for l in "${labels[@]}"; do
		echo
		case $l in
		perf) echo "== perf profile kernel (no debug options)" ;;
		test) echo "== test profile kernel (KASAN, lockdep, kmemleak...): mock rows only, not comparable with the perf rows" ;;
		upstream-6.12) echo "== upstream Linux 6.12 (Debian's linux-source-6.12, unmodified; configured like the perf kernel where 6.12 knows the option)" ;;
		esac
		cat "$out/$l.txt"
	done
	if [ -f "$out/perf.csv" ] && [ -f "$out/upstream-6.12.csv" ]; then
		echo
		echo "== ours (perf) against upstream 6.12, row by row"
		python3 "$HARNESS/bench-compare.py" "$out/perf.csv" perf \
			upstream-6.12 "$out/upstream-6.12.csv"
	fi
} > "$out/bench.txt"
first=1
for l in "${labels[@]}"; do
	[ -f "$out/$l.csv" ] || continue
	if [ $first = 1 ]; then
		cat "$out/$l.csv"
		first=0
	else
		tail -n +2 "$out/$l.csv"
	fi
done > "$out/bench.csv"

if [ $first = 0 ]; then
	gnuplot -e "csv='$out/bench.csv'; png='$out/bench.png'" \
		-e "subtitle='$date; QEMU TCG on a $machine'" \
		"$REPO/tools/iommufd/bench-plot.gp" 2> "$out/gnuplot.log" ||
		{ cat "$out/gnuplot.log" >&2; rc=1; }
	mkdir -p "$doc"
	cp "$out/bench.txt" "$out/bench.csv" "$doc/"
	[ ! -f "$out/bench.png" ] || cp "$out/bench.png" "$doc/"
	echo "bench: results in $out, copied to $doc"
else
	echo "bench: no results (see the guest logs above)" >&2
	[ "$rc" != 0 ] || rc=1
fi
exit "$rc"
