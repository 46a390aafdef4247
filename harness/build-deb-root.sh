#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian 12 root filesystem of the package boot (deb-boot.sh), made
# once with debootstrap from Debian's archive and cached in $DEB_ROOT: a
# minimal bookworm with systemd as init and udev, QEMU 10 for x86 from
# bookworm-backports (the QEMU a Debian 12 user runs against /dev/iommu),
# and what the test inside needs (bash, coreutils, util-linux, procps,
# pciutils). No kernel: deb-boot.sh installs our package into a copy.
#
# Rebuilt when this script changes; the downloaded packages stay in
# $CACHE/deb-root-debs, so a rebuild fetches nothing again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
key=$(sha256sum "$0" | cut -d' ' -f1)
[ "$(cat "$DEB_ROOT/.iommufd-key" 2>/dev/null)" = "$key" ] && exit 0
[ "$(id -u)" = 0 ] || die "build-deb-root.sh: debootstrap and chroot need root"
command -v debootstrap > /dev/null || die "no debootstrap: run make deps"

tmp=$DEB_ROOT.new
debs=$CACHE/deb-root-debs
umount_all() {
	umount "$tmp/proc" 2>/dev/null || true
}
trap umount_all EXIT
rm -rf "$tmp"
mkdir -p "$debs"
debootstrap --variant=minbase --cache-dir="$debs" \
	--include=systemd-sysv,udev,kmod,procps,pciutils,util-linux \
	bookworm "$tmp" "$MIRROR"

cat > "$tmp/etc/apt/sources.list.d/bookworm-backports.sources" <<EOT
Types: deb
URIs: $MIRROR
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
# The chroot's apt keeps its packages in the shared cache as well.
mkdir -p "$tmp/var/cache/apt/archives"
mount -t proc proc "$tmp/proc"
mount_debs() {
	mount --bind "$debs" "$tmp/var/cache/apt/archives"
}
mount_debs
trap 'umount "$tmp/var/cache/apt/archives" 2>/dev/null || true; umount_all' EXIT
chroot "$tmp" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$tmp" apt-get install -y -qq \
	--no-install-recommends -t bookworm-backports qemu-system-x86
umount "$tmp/var/cache/apt/archives"
umount_all
trap - EXIT
rm -rf "$tmp"/var/lib/apt/lists/*

# The machine: root on the virtio disk, a hostname, no root password
# (nothing logs in: a unit runs the test and powers off)
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$tmp/etc/fstab"
echo iommufd-deb > "$tmp/etc/hostname"
chroot "$tmp" passwd -d root > /dev/null
# A test machine without network: nothing waits for it
chroot "$tmp" systemctl mask systemd-networkd-wait-online.service \
	> /dev/null 2>&1 || true

rm -rf "$DEB_ROOT"
mv "$tmp" "$DEB_ROOT"
echo "$key" > "$DEB_ROOT/.iommufd-key"
du -sh "$DEB_ROOT"
