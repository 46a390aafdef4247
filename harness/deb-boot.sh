#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deb-boot.sh: boot our Debian packages the way a user of them would.
# A copy of the Debian 12 root filesystem (build-deb-root.sh) gets the
# packages of $PROFILE ("make deb", in $CACHE/deb-$PROFILE) installed with
# dpkg in a chroot, plus a systemd unit that runs the test
# (deb-guest/run-tests: the kselftest iommufd_qemu.sh with Debian's QEMU
# 10, and checks of the packages). The copy becomes an ext4 disk image;
# QEMU boots the kernel that dpkg installed in it (/boot/vmlinuz-RELEASE;
# there is no boot loader in the image), with the root on that disk and
# systemd as init, on the test machine of vm.sh (x86_64 only). The unit
# leaves its results on a second disk as a tar archive and powers off.
# PROFILE=debian (Debian's configuration, modules where Debian has them)
# boots through the initramfs that initramfs-tools makes at install.
#
# Writes a run directory like vm.sh's (console.log, qemu.log, cmd.rc
# when the guest finished, and from
# the guest tap/deb-boot.tap, tap/kselftest-iommu-iommufd_qemu.sh.tap and
# their .rc, dmesg.txt, tainted, kmemleak.txt) and leaves its path in
# $RUNDIR_FILE. Exits 0 when the guest finished, 124 when it hung past
# VM_TIMEOUT (default 1200 s), 125 when it powered off without results.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$ARCH" = x86_64 ] || die "deb-boot.sh: x86_64 only"
debs=$CACHE/deb-$PROFILE
krel=$(cat "$debs/kernelrelease" 2>/dev/null) ||
	die "no packages in $debs: run PROFILE=$PROFILE harness/deb.sh"
[ -f "$DEB_ROOT/.iommufd-key" ] || die "no $DEB_ROOT: run build-deb-root.sh"
# The test programs are userspace and fit any kernel: Debian's
# configuration (PROFILE=debian) builds none, so it takes the test
# profile's
tests=$OBJ
[ "$PROFILE" != debian ] || tests=$CACHE/obj-test
ksft=$tests/ksft-install/iommu/iommufd_qemu.sh
lsiommufd=$tests/tools/iommufd/lsiommufd
[ -f "$ksft" ] && [ -x "$lsiommufd" ] || die "tests not built: run build-tests.sh"

new_run_dir
work=$run/root
cleanup() {
	umount "$work/var/cache/apt/archives" 2>/dev/null || true
	umount "$work/proc" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The root filesystem: Debian's, our packages installed by dpkg (their
# maintainer scripts run, as on any Debian machine), the test and its unit
cp -a "$DEB_ROOT" "$work"
rm -f "$work/.iommufd-key"
mkdir -p "$work/tmp/debs"
cp "$debs"/linux-image-"$krel"_*.deb "$debs"/linux-headers-"$krel"_*.deb \
	"$debs"/linux-libc-dev_*.deb "$work/tmp/debs/"
mount -t proc proc "$work/proc"
if [ "$PROFILE" = debian ]; then
	# Debian's configuration has the virtio disk and ext4 as modules, so
	# the machine needs an initramfs: initramfs-tools (from Debian's
	# archive, packages kept in the root's cache) makes it when dpkg
	# installs the kernel, as on any Debian machine
	mount --bind "$CACHE/deb-root-debs" "$work/var/cache/apt/archives"
	{ chroot "$work" apt-get update -qq &&
	  DEBIAN_FRONTEND=noninteractive chroot "$work" apt-get install \
		-y -qq --no-install-recommends initramfs-tools; } \
		> "$run/apt.log" 2>&1 ||
		{ cat "$run/apt.log"; die "could not install initramfs-tools"; }
	umount "$work/var/cache/apt/archives"
fi
chroot "$work" sh -c 'dpkg -i /tmp/debs/*.deb' > "$run/dpkg.log" 2>&1 ||
	{ cat "$run/dpkg.log"; die "dpkg could not install the packages"; }
umount "$work/proc"
rm -rf "$work/tmp/debs"
lib=$work/usr/local/lib/iommufd-test
mkdir -p "$lib"
install -m 755 "$HARNESS/deb-guest/run-tests" "$ksft" "$lib/"
install -m 755 "$lsiommufd" "$work/usr/local/bin/"
install -m 644 "$HARNESS/deb-guest/iommufd-test.service" "$work/etc/systemd/system/"
chroot "$work" systemctl enable iommufd-test.service > /dev/null 2>&1
# Debian raises kernel.pid_max to 4194304 (sysctl.d/50-pid-max.conf); the
# test profile is tinyconfig-based, and without BASE_FULL the kernel's
# limit is 32768, so systemd-sysctl would fail on it. A distribution
# configuration (PROFILE=debian) has BASE_FULL.
[ "$PROFILE" = debian ] ||
	echo 'kernel.pid_max = 32768' > "$work/etc/sysctl.d/50-pid-max.conf"
kernel=$run/vmlinuz-$krel
cp "$work/boot/vmlinuz-$krel" "$kernel"
initrd=()
if [ -f "$work/boot/initrd.img-$krel" ]; then
	cp "$work/boot/initrd.img-$krel" "$run/"
	initrd=(-initrd "$run/initrd.img-$krel")
fi
mkfs.ext4 -q -F -L root -d "$work" "$run/root.img" 2G > /dev/null
truncate -s 64M "$run/out.img"
cleanup
trap - EXIT

test_machine
append="root=/dev/vda rw console=ttyS0 intel_iommu=on panic=-1"
append+=" hung_task_panic=0 log_buf_len=32M sysrq_always_enabled ${VM_APPEND:-}"
set +e
qemu_watched "$run" "${VM_TIMEOUT:-1200}" "" "${qemu[@]}" \
	-smp "${VM_SMP:-2}" -m "${VM_MEM:-2G}" \
	-nodefaults -display none -no-reboot \
	-chardev file,id=con,path="$run/console.log" -serial chardev:con \
	-drive file="$run/root.img",if=virtio,format=raw \
	-drive file="$run/out.img",if=virtio,format=raw \
	"${edu_devices[@]}" \
	-kernel "$kernel" "${initrd[@]}" -append "$append"
qrc=$?
set -e

mkdir -p "$run/tap" "$run/guest"
tar -xf "$run/out.img" -C "$run/guest" 2>/dev/null || true
rm -f "$run/root.img" "$run/out.img" "$run/initrd.img-$krel"
for f in dmesg.txt tainted kmemleak.txt; do
	[ ! -f "$run/guest/$f" ] || mv "$run/guest/$f" "$run/"
done
for t in deb:deb-boot qemu:kselftest-iommu-iommufd_qemu.sh; do
	[ -f "$run/guest/${t%%:*}.tap" ] || continue
	mv "$run/guest/${t%%:*}.tap" "$run/tap/${t#*:}.tap"
	mv "$run/guest/${t%%:*}.rc" "$run/tap/${t#*:}.rc"
done
if [ $qrc = 124 ]; then
	echo "deb-boot: guest hung: $(cat "$run/hang") (log: $run/console.log, state: $run/hang-state.txt)" >&2
	exit 124
fi
if [ ! -f "$run/tap/deb-boot.tap" ]; then
	echo "deb-boot: the guest left no results (qemu exit $qrc; log: $run/console.log)" >&2
	tail -n 30 "$run/console.log" >&2
	exit 125
fi
# What vm.sh leaves when the guest's runner finished (results.py reads it)
echo 0 > "$run/cmd.rc"
echo "deb-boot: logs in $run" >&2
