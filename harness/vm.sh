#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh 'COMMAND': boot the built kernel of $PROFILE in QEMU and run
# COMMAND with bash inside the guest, in the current directory (the host's
# root filesystem is the guest's, read-only, so host-built binaries run
# there). Prints the command's output and exits with its status; 124 when
# the guest hangs (past VM_TIMEOUT seconds, or stalled: lib.sh's
# qemu_watched), 125 when it dies before the
# command finishes. Everything the run left (console log, full dmesg,
# kmemleak report, the command's output) stays in the run directory,
# printed at the end and kept in $RUNDIR_FILE when that is set.
#
# Machine, ARCH=x86_64: q35 with emulated Intel VT-d (interrupt remapping
# on, snoop control on unless VM_SNOOP=off; VM_IOMMU_OPTS adds properties
# such as x-scalable-mode=on). ARCH=arm64: virt with an SMMUv3 (stage 1,
# stage 2 and nesting: VM_SMMU_STAGE, default nested) and a GICv3 with
# an ITS (VM_GIC=2: GICv2, no MSI isolation), a "max" CPU; the guest's
# programs come from $ARM64_ROOT (build-arm64-root.sh). Both: QEMU's edu
# DMA test device alone on the root bus, and two edu functions in one
# multifunction slot behind a PCIe root port (they share an IOMMU group).
#
# Environment: VM_TIMEOUT (seconds, default 1200), VM_MEM (default 2G),
# VM_SMP (default 2), VM_APPEND (more kernel arguments), VM_KERNEL (boot
# this kernel image instead of $PROFILE's), KMEMLEAK=1 to clear kmemleak
# after boot and report after the command, VM_QUIET=1 to not print the
# command's output.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: vm.sh 'COMMAND'"
kernel=${VM_KERNEL:-$OBJ/$KIMAGE_PATH}
[ -f "$kernel" ] || die "no kernel at $kernel: build it first (make kernel)"

new_run_dir
printf '%s\n' "$*" > "$run/cmd.sh"
{
	printf 'GUEST_CWD=%q\n' "$PWD"
	printf 'KMEMLEAK=%q\n' "${KMEMLEAK:-0}"
	printf 'IOMMUFD_OBJ=%q\n' "$OBJ"
	printf 'IOMMUFD_REPO=%q\n' "$REPO"
	printf 'export IOMMUFD_OBJ IOMMUFD_REPO\n'
} > "$run/guest.env"
# Remove stale pieces of the cache so a full log cannot outlive its run.
ls -1dt "$RUNS"/*/ 2>/dev/null | tail -n +31 | xargs -r rm -rf

common="root=root rootfstype=9p"
common+=" rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose ro"
# A ring buffer that a whole run's messages fit in: dmesg.txt is then the
# complete log, which results.py scans beside the console's copy.
common+=" panic=-1 hung_task_panic=0 printk.devkmsg=on log_buf_len=32M"
# SysRq from the keyboard: lib.sh's qemu_watched uses it on a hung guest
common+=" sysrq_always_enabled"
common+=" ${VM_APPEND:-}"

case $ARCH in
x86_64)
	append="console=ttyS0 init=$HARNESS/guest-init intel_iommu=on $common" ;;
arm64)
	[ -x "$ARM64_ROOT/bin/bash" ] || die "no arm64 userspace: run harness/build-arm64-root.sh"
	# The static arm64 bash runs guest-init; words after "--" are its
	# arguments, and IOMMUFD_GUEST_BIN= lands in its environment.
	append="console=ttyAMA0 init=$ARM64_ROOT/bin/bash $common"
	append+=" IOMMUFD_GUEST_BIN=$ARM64_ROOT/bin -- $HARNESS/guest-init" ;;
esac

test_machine
set +e
qemu_watched "$run" "${VM_TIMEOUT:-1200}" "$run/tap" "${qemu[@]}" \
	-smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}" \
	-nodefaults -display none -no-reboot \
	-chardev file,id=con,path="$run/console.log" -serial chardev:con \
	-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=root,mount_tag=root \
	-fsdev local,id=out,path="$run",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=out,mount_tag=hostout \
	"${edu_devices[@]}" \
	-kernel "$kernel" -append "$append"
qrc=$?
set -e

[ "${VM_QUIET:-0}" = 1 ] || cat "$run/cmd.out" 2>/dev/null || true
if [ $qrc = 124 ]; then
	echo "vm: guest hung: $(cat "$run/hang") (log: $run/console.log, state: $run/hang-state.txt)" >&2
	exit 124
fi
if [ ! -f "$run/cmd.rc" ]; then
	echo "vm: guest died before the command finished (qemu exit $qrc; log: $run/console.log)" >&2
	tail -n 30 "$run/console.log" >&2
	exit 125
fi
echo "vm: logs in $run" >&2
exit "$(cat "$run/cmd.rc")"
