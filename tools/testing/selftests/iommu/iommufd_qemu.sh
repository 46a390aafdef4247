#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU as a real iommufd client: start QEMU with "-object iommufd" and a
# vfio-pci device (QEMU's edu device of this machine, through its VFIO
# device cdev), ask QEMU over QMP which PCI devices its guest sees, and
# quit; once with TCG and, where /dev/kvm works, once with KVM. QEMU binds the cdev, reads IOMMU_GET_HW_INFO, allocates an IOAS
# and a HWPT, attaches the device and maps all guest RAM into the IOAS;
# any failure there makes it exit instead of realizing the device.
# Output is TAP; skipped (exit 4) without QEMU or a free edu device.

QEMU=${QEMU:-qemu-system-x86_64}
SYS=/sys/bus/pci/devices

echo "TAP version 13"

skip() {
	echo "1..0 # SKIP $*"
	exit 4
}

find_edu() {
	local d
	for d in "$SYS"/*; do
		[ "$(cat "$d/vendor")" = 0x1234 ] || continue
		[ "$(cat "$d/device")" = 0x11e8 ] || continue
		[ "$(ls "$d/iommu_group/devices" | wc -l)" = 1 ] || continue
		basename "$d"
		return 0
	done
	return 1
}

command -v "$QEMU" > /dev/null || skip "$QEMU not installed"
bdf=$(find_edu) || skip "no edu device alone in its IOMMU group"
echo vfio-pci > "$SYS/$bdf/driver_override"
[ -e "$SYS/$bdf/driver" ] || echo "$bdf" > /sys/bus/pci/drivers_probe
[ -d "$SYS/$bdf/vfio-dev" ] || skip "$bdf has no VFIO device cdev"

echo "1..4"

# One QMP session: capabilities, KVM state, the guest's PCI devices, quit
run_qemu() {
	{
		echo '{"execute": "qmp_capabilities"}'
		sleep 1
		echo '{"execute": "query-kvm"}'
		echo '{"execute": "query-pci"}'
		sleep 1
		echo '{"execute": "quit"}'
	} | timeout 300 "$QEMU" -accel "$1" -machine q35 -m 128 -nodefaults \
		-display none -qmp stdio -object iommufd,id=iommufd0 \
		-device vfio-pci,host="$bdf",iommufd=iommufd0,id=edu0 2>&1
}

# The edu device (vendor 0x1234 = 4660, device 0x11e8 = 4584) is on
# the guest's bus under the id given on the command line
sees_edu() {
	local fields

	fields=$(printf '%s' "$1" | tr ',{}' '\n\n\n')
	printf '%s\n' "$fields" | grep -q '"qdev_id": "edu0"' &&
	printf '%s\n' "$fields" | grep -q '"device": 4584$' &&
	printf '%s\n' "$fields" | grep -q '"vendor": 4660$'
}

result() {
	if [ "$1" = 0 ]; then
		echo "ok $2 $3"
	else
		echo "not ok $2 $3"
	fi
}

out=$(run_qemu tcg)
rc=$?
printf '%s\n' "$out" | grep -v '^{"return": {}}' | cut -c1-200 | sed 's/^/# /'
result $rc 1 "qemu (TCG) starts and quits with an iommufd-backed vfio-pci device"
sees_edu "$out"
result $? 2 "the TCG guest sees the assigned edu device"

# With KVM, QEMU also hands the device cdev to kvm-vfio
# (KVM_DEV_VFIO_FILE_ADD) and fails if that is refused
if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then
	out=$(run_qemu kvm)
	rc=$?
	printf '%s\n' "$out" | grep -v '^{"return": {}}' | cut -c1-200 |
		sed 's/^/# /'
	printf '%s' "$out" | grep -q '"enabled": true' || rc=1
	result $rc 3 "qemu (KVM) starts with the cdev given to kvm-vfio"
	sees_edu "$out"
	result $? 4 "the KVM guest sees the assigned edu device"
else
	echo "ok 3 qemu (KVM) # SKIP no usable /dev/kvm"
	echo "ok 4 the KVM guest sees the assigned edu device # SKIP no usable /dev/kvm"
fi
