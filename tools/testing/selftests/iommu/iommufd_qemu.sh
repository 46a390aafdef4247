#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# QEMU as a real iommufd client: start QEMU with "-object iommufd" and a
# vfio-pci device (QEMU's edu device of this machine, through its VFIO
# device cdev), ask QEMU over QMP which PCI devices its guest sees, and
# quit; once with TCG and, where /dev/kvm works, once with KVM. QEMU
# binds the cdev, reads IOMMU_GET_HW_INFO, allocates an IOAS and a HWPT,
# attaches the device and maps all guest RAM into the IOAS; any failure
# there makes it exit instead of realizing the device.
#
# While QEMU runs, at least the guest's RAM must be pinned (gup's FOLL_PIN
# counters in /proc/vmstat); after it quits they must balance again and,
# on VT-d, the device's page table (debugfs dump) must map nothing (6.1's
# SMMUv3 driver has no dump: there the pins alone are checked).
#
# Then the same with QEMU's legacy VFIO path (no iommufd option): in a
# mount namespace of its own, /dev/vfio/vfio is /dev/iommu, which is what
# a kernel with IOMMUFD_VFIO_CONTAINER provides. QEMU uses the type1
# container ioctls on it and gives it to VFIO_GROUP_SET_CONTAINER; the
# pinned RAM is charged to QEMU's VmLck, as type1 charges it.
#
# While QEMU runs, lsiommufd (tools/iommufd, found through $LSIOMMUFD or
# $IOMMUFD_OBJ, else skipped) must list QEMU's iommufd file: the edu
# device and at least the RAM pinned; in the legacy run, charged to
# QEMU's locked memory.
#
# Output is TAP; skipped (exit 4) without QEMU or a free edu device.

# The arm64 test guest runs Debian's arm64 QEMU (machine virt, TCG only:
# no KVM there); its userspace is busybox, so only portable tool options
# are used here.
case $(uname -m) in
aarch64) QEMU=${QEMU:-qemu-system-aarch64} MACHINE=virt ;;
*) QEMU=${QEMU:-qemu-system-x86_64} MACHINE=q35 ;;
esac
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

echo "1..10"

LSIOMMUFD=${LSIOMMUFD:-${IOMMUFD_OBJ:+$IOMMUFD_OBJ/tools/iommufd/lsiommufd}}
[ -x "${LSIOMMUFD:-}" ] || LSIOMMUFD=$(command -v lsiommufd)

DUMP=/sys/kernel/debug/iommu/intel/domain_translation_struct
RAM_MIB=128
# What must be pinned for the device at least: all RAM but the first MiB,
# where the guest's firmware moves ROM and RAM mappings around
MIN_PINS=$(((RAM_MIB - 1) * 256))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# KiB mapped in the VT-d page table of device $1 (each leaf's size follows
# from the lowest level with an entry: PTE 4K, PDE 2M, PDPE 1G), or -1
# when the IOMMU has no such dump
mapped_kib() {
	[ -r "$DUMP" ] || { echo -1; return; }
	awk -v dev="$1" '
		$1 == "Device" { cur = ($2 == dev); next }
		cur && $2 == "|" {
			if ($7 != "0x0000000000000000") kib += 4
			else if ($6 != "0x0000000000000000") kib += 2048
			else if ($5 != "0x0000000000000000") kib += 1048576
		}
		END { print kib + 0 }' "$DUMP"
}

# Pages pinned with FOLL_PIN and not released, over the whole system
# (the per-CPU counter deltas folded in first)
foll_pins() {
	echo 1 > /proc/sys/vm/stat_refresh || return 1
	awk '$1 == "nr_foll_pin_acquired" { a = $2 }
	     $1 == "nr_foll_pin_released" { r = $2 }
	     END { print a - r }' /proc/vmstat
}

# The PID of the QEMU that has the edu device (busybox has no pgrep): the
# process whose arguments name it, other than the timeout watching it
# (busybox's timeout forks its watcher, so PID order does not tell) and
# this grep ("[e]")
qemu_pid() {
	local p arg0

	for p in /proc/[0-9]*; do
		grep -q 'id=[e]du0' "$p/cmdline" 2>/dev/null || continue
		read -r -d '' arg0 < "$p/cmdline"
		[ "${arg0##*/}" = timeout ] && continue
		echo "${p#/proc/}"
		return
	done
}

# One QMP session: capabilities, KVM state, the guest's PCI devices, quit.
# $1: accelerator; $2: "cdev" (-object iommufd) or "legacy" (container).
# While QEMU runs, the most pages it had pinned at once go to $tmp/pinned
# and its highest VmLck (kB) to $tmp/vmlck.
run_qemu() {
	local dev=(-device vfio-pci,host="$bdf",id=edu0)

	[ "$2" = cdev ] && dev=(-object iommufd,id=iommufd0
				-device vfio-pci,host="$bdf",iommufd=iommufd0,id=edu0)
	local pins0 n lck max=0 maxlck=0 needlck=0

	[ "$2" = legacy ] && needlck=$((RAM_MIB * 1024))
	rm -f "$tmp/pinned" "$tmp/vmlck"
	pins0=$(foll_pins)
	{
		echo '{"execute": "qmp_capabilities"}'
		# QEMU pins and maps its RAM while it sets up the device,
		# which may take a while under TCG: wait for the pins (and,
		# legacy, the VmLck charge), at most 2 min. Keep the peaks:
		# the guest's firmware moves memory around (SMRAM, PAM), and
		# QEMU then unmaps a RAM section and maps it anew, so one
		# sample may fall into such a gap. (The page table itself is
		# not read now: 6.1's debugfs walks it without a lock.)
		for _ in $(seq 120); do
			n=$(($(foll_pins) - pins0))
			lck=$(awk '/^VmLck:/ { print $2 }' \
				"/proc/$(qemu_pid)/status" 2>/dev/null)
			[ "$n" -gt "$max" ] && max=$n
			[ "${lck:-0}" -gt "$maxlck" ] && maxlck=${lck:-0}
			[ "$max" -ge "$MIN_PINS" ] &&
				[ "$maxlck" -ge "$needlck" ] && break
			sleep 1
		done
		echo "$max" > "$tmp/pinned"
		echo "$maxlck" > "$tmp/vmlck"
		lsiommufd_qemu
		echo '{"execute": "query-kvm"}'
		echo '{"execute": "query-pci"}'
		sleep 1
		echo '{"execute": "quit"}'
	} | timeout 300 "$QEMU" -accel "$1" -machine "$MACHINE" -m $RAM_MIB \
		-nodefaults -display none -qmp stdio "${dev[@]}" 2>&1
}

# pinned_bytes of the first file in lsiommufd's JSON $1
json_pinned() {
	sed -n 's/.*"pinned_bytes": \([0-9]*\).*/\1/p' "$1" | head -n 1
}

# While QEMU runs: what lsiommufd says of it, to $tmp/ls.txt and
# $tmp/ls.json. Asked again for up to 10 s while it shows less than the
# RAM pinned, for the reason the pins are sampled more than once.
lsiommufd_qemu() {
	local pid

	rm -f "$tmp/ls.txt" "$tmp/ls.json"
	[ -x "$LSIOMMUFD" ] || return
	pid=$(qemu_pid)
	for _ in $(seq 20); do
		"$LSIOMMUFD" -o -p "$pid" > "$tmp/ls.txt" 2>&1
		"$LSIOMMUFD" --json -p "$pid" > "$tmp/ls.json" 2>&1
		[ "$(json_pinned "$tmp/ls.json")" -ge $((MIN_PINS * 4096)) ] &&
			break
		sleep 0.5
	done 2> /dev/null
	echo "$pid" > "$tmp/ls.pid"
}

# "ok" when lsiommufd listed QEMU (pid in $tmp/ls.pid) with an iommufd
# file, at least the RAM pinned, and the text $3 in its JSON;
# $1: test number, $2: name
check_lsiommufd() {
	local pid

	if [ ! -x "$LSIOMMUFD" ]; then
		echo "ok $1 $2 # SKIP no lsiommufd (set LSIOMMUFD)"
		return
	fi
	pid=$(cat "$tmp/ls.pid" 2>/dev/null)
	sed 's/^/# /' "$tmp/ls.txt" 2>/dev/null
	grep -q "^$pid " "$tmp/ls.txt" 2>/dev/null &&
		grep -q "\"pid\": $pid," "$tmp/ls.json" &&
		[ "$(json_pinned "$tmp/ls.json")" -ge $((MIN_PINS * 4096)) ] &&
		grep -q "$3" "$tmp/ls.json"
	result $? "$1" "$2"
}

# Legacy: /dev/vfio/vfio is /dev/iommu inside a private mount namespace
run_qemu_legacy() {
	export -f run_qemu foll_pins qemu_pid lsiommufd_qemu json_pinned
	export QEMU MACHINE bdf tmp DUMP RAM_MIB MIN_PINS LSIOMMUFD
	unshare -m bash -c 'mount -o bind /dev/iommu /dev/vfio/vfio &&
		run_qemu tcg legacy'
}

# "ok" when QEMU had at least its RAM pinned for the device at some time
# while it ran,
# and after it quit nothing stayed pinned or mapped in the device's page
# table; $1: pins before, $2: test number, $3: name
check_mappings() {
	local pinned after pins

	pinned=$(cat "$tmp/pinned" 2>/dev/null || echo -1)
	after=$(mapped_kib "$bdf")
	pins=$(foll_pins)
	echo "# pinned while running: $pinned pages; after quit: $((pins - $1))" \
		"pages pinned, $after KiB mapped (-1: no page-table dump)"
	# VT-d's dump must show nothing mapped (0). Without a dump (-1) only
	# the pins tell: 6.1's SMMUv3 has none, and VT-d has it only with
	# INTEL_IOMMU_DEBUGFS, which distribution kernels leave off
	[ "$pinned" -ge "$MIN_PINS" ] && [ "$after" -le 0 ] &&
		[ "$pins" = "$1" ]
	result $? "$2" "$3"
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

pins=$(foll_pins)
out=$(run_qemu tcg cdev)
rc=$?
printf '%s\n' "$out" | grep -v '^{"return": {}}' | cut -c1-200 | sed 's/^/# /'
result $rc 1 "qemu (TCG) starts and quits with an iommufd-backed vfio-pci device"
sees_edu "$out"
result $? 2 "the TCG guest sees the assigned edu device"
check_mappings "$pins" 3 "qemu's RAM was mapped for the device, and unmapped and unpinned at exit"
check_lsiommufd 4 "lsiommufd lists qemu's iommufd: its RAM pinned, the edu device" \
	"\"devices\": \[\"$bdf\"\]"

pins=$(foll_pins)
out=$(run_qemu_legacy)
rc=$?
printf '%s\n' "$out" | grep -v '^{"return": {}}' | cut -c1-200 | sed 's/^/# /'
sees_edu "$out" || rc=1
result $rc 5 "qemu (TCG, legacy VFIO container on iommufd) starts, its guest sees edu"
check_mappings "$pins" 6 "legacy: RAM mapped, then unmapped and unpinned at exit"
vmlck=$(cat "$tmp/vmlck" 2>/dev/null || echo 0)
echo "# QEMU's highest VmLck while running: $vmlck kB"
[ "${vmlck:-0}" -ge $((RAM_MIB * 1024)) ]
result $? 7 "legacy: the pinned RAM is charged to QEMU's VmLck, as type1 does"
check_lsiommufd 8 "lsiommufd lists the legacy container: RAM pinned, charged to qemu's VmLck" \
	"\"charged\": \"pid-locked:$(cat "$tmp/ls.pid" 2>/dev/null)\""

# With KVM, QEMU also hands the device cdev to kvm-vfio
# (KVM_DEV_VFIO_FILE_ADD) and fails if that is refused
if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then
	out=$(run_qemu kvm cdev)
	rc=$?
	printf '%s\n' "$out" | grep -v '^{"return": {}}' | cut -c1-200 |
		sed 's/^/# /'
	printf '%s' "$out" | grep -q '"enabled": true' || rc=1
	result $rc 9 "qemu (KVM) starts with the cdev given to kvm-vfio"
	sees_edu "$out"
	result $? 10 "the KVM guest sees the assigned edu device"
else
	echo "ok 9 qemu (KVM) # SKIP no usable /dev/kvm"
	echo "ok 10 the KVM guest sees the assigned edu device # SKIP no usable /dev/kvm"
fi
