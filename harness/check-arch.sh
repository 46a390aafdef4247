#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-arch.sh RESULT: "make check" for one architecture ($ARCH): build
# everything, boot the test-profile kernel once and run every test suite
# inside the guest, then the short extra boots of that architecture and,
# on x86_64, the Debian package boot (deb_boot below). Writes
# the shell assignments "run=RUNDIR" and "vmrc=STATUS" to RESULT for
# check.sh, which counts the results of all architectures at once. Stops
# (non-zero) only when something cannot be built.
set -euo pipefail
export PROFILE=${PROFILE:-test}
. "$(dirname "$0")/lib.sh"

result=$1

build_all
hosttap=$(mktemp -d)/lint.tap
trap 'rm -rf "$(dirname "$hosttap")"' EXIT
# Lint findings are counted as test failures, not a stop here.
what="checkpatch, W=1, sparse, kernel-doc"
[ "$ARCH" != x86_64 ] || what+=", modular build"
stage "lint ($ARCH: $what)" \
	bash -c "'$HARNESS/lint.sh' '$hosttap' || true"

rundir_file=$(mktemp)
set +e
RUNDIR_FILE=$rundir_file KMEMLEAK=1 VM_QUIET=1 VM_TIMEOUT=${VM_TIMEOUT:-2400} \
	stage "boot guest ($ARCH) and run test suites" \
	bash -c "'$HARNESS/vm.sh' '$HARNESS/guest-tests.sh'; echo \$? > '$rundir_file.rc'; true"
set -e
run=$(take_run_dir "$rundir_file")
vmrc=$(cat "$rundir_file.rc")
rm -f "$rundir_file.rc"

# join_boot NAME RUN2 SRC:DEST...: the results of a further boot whose
# run directory is RUN2 join the main run's: its tap/SRC.tap (and .rc) as
# tap/DEST.tap, or a failing DEST when there is none, and its kernel log,
# taint flags and kmemleak report as extra-NAME.*, which results.py scans.
join_boot() {
	local name=$1 run2=$2 t src dest
	shift 2

	for t in "$@"; do
		src=${t%%:*} dest=${t#*:}
		if [ -n "$run2" ] && [ -f "$run2/tap/$src.rc" ]; then
			cp "$run2/tap/$src.tap" "$run/tap/$dest.tap"
			cp "$run2/tap/$src.rc" "$run/tap/$dest.rc"
		else
			# Not a test result: the harness records a boot that
			# failed.
			printf 'TAP version 13\n1..1\nnot ok 1 the %s boot did not finish (%s)\n' \
				"$name" "${run2:-no run}" > "$run/tap/$dest.tap"
		fi
	done
	[ -n "$run2" ] || return 0
	# An empty .dmesg if the guest died before dmesg: the console has it
	cp "$run2/dmesg.txt" "$run/extra-$name.dmesg" 2>/dev/null ||
		: > "$run/extra-$name.dmesg"
	local f
	for f in console.log:console tainted:tainted kmemleak.txt:kmemleak; do
		[ ! -f "$run2/${f%%:*}" ] ||
			cp "$run2/${f%%:*}" "$run/extra-$name.${f#*:}"
	done
}

# extra_boot NAME VAR=VALUE TITLE TEST [ENV=VALUE...]: a further short
# boot, with VAR set for vm.sh, that runs the kselftest iommu:TEST through
# the standard runner (guest-tests.sh), with ENV set for it. Its TAP joins
# the main run's as TEST-NAME, with its kernel log.
extra_boot() {
	local name=$1 var=$2 title=$3 test=$4 run2
	local env=("${@:5}")

	local -x "$var"
	set +e
	RUNDIR_FILE=$rundir_file VM_QUIET=1 VM_TIMEOUT=600 \
		stage "$title" \
		bash -c "'$HARNESS/vm.sh' 'env ${env[*]} $HARNESS/guest-tests.sh iommu:$test'; true"
	set -e
	run2=$(take_run_dir "$rundir_file" 2>/dev/null)
	join_boot "$name" "$run2" \
		"kselftest-iommu-$test:kselftest-iommu-$test-$name"
}

# deb_boot: the Debian packages of the test kernel ("make deb
# PROFILE=test"), installed with dpkg in a Debian 12 root filesystem made
# by debootstrap, booted with systemd; Debian's QEMU 10 runs
# iommufd_qemu.sh there (deb-boot.sh).
deb_boot() {
	local run2

	stage "Debian packages of the test kernel (make deb PROFILE=test)" \
		"$HARNESS/deb.sh"
	stage "Debian 12 root filesystem (debootstrap, cached)" \
		"$HARNESS/build-deb-root.sh"
	set +e
	RUNDIR_FILE=$rundir_file VM_TIMEOUT=1200 \
		stage "boot the packages in Debian 12 with systemd, run QEMU" \
		bash -c "'$HARNESS/deb-boot.sh'; true"
	set -e
	run2=$(take_run_dir "$rundir_file" 2>/dev/null)
	join_boot deb "$run2" deb-boot:deb-boot \
		kselftest-iommu-iommufd_qemu.sh:kselftest-iommu-iommufd_qemu.sh-deb
}

case $ARCH in
x86_64)
	# Interrupt remapping off: binding a device must then fail unless
	# iommufd.allow_unsafe_interrupts is set.
	extra_boot intremap-off VM_APPEND=intremap=off \
		"boot guest with intremap=off, run the unsafe-interrupt test" \
		iommufd_msi_unsafe IOMMUFD_EXPECT_UNSAFE_MSI=1
	# VT-d in scalable mode with first-stage translation (QEMU's
	# x-scalable-mode, x-pasid-mode, x-flts): the same VFIO cdev tests,
	# with real edu DMA through first-stage tables and scalable-mode
	# PASID entries (RID_PASID) instead of legacy context entries.
	extra_boot scalable VM_IOMMU_OPTS=x-scalable-mode=on,x-pasid-mode=on,x-flts=on \
		"boot guest with VT-d scalable mode, run the edu tests" \
		iommufd_vfio_edu KSELFTEST_IOMMUFD_VFIO_EDU_ARGS=--expect-scalable
	deb_boot ;;
arm64)
	# A GICv2 has no ITS: MSIs are not isolated, and binding a device
	# must fail unless iommufd.allow_unsafe_interrupts is set.
	extra_boot gicv2 VM_GIC=2 \
		"boot guest with a GICv2 (no ITS), run the unsafe-interrupt test" \
		iommufd_msi_unsafe IOMMUFD_EXPECT_UNSAFE_MSI=1 ;;
esac
cp "$hosttap" "$run/lint.tap"
boot=$(cat "$run/boot-uptime" 2>/dev/null || echo '?')
echo "guest ($ARCH): booted to tests in ${boot}s (guest clock); vm.sh exit $vmrc"
echo "guest log: $run/console.log (full kernel log: $run/dmesg.txt)"
case $vmrc in
124) echo "guest: HUNG (no power-off in time)" ;;
125) echo "guest: DIED before the tests finished" ;;
esac
printf 'run=%q\nvmrc=%q\n' "$run" "$vmrc" > "$result"
