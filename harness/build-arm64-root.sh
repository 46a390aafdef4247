#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 guest's userspace, in $ARM64_ROOT/bin: Debian's static
# busybox and static bash for arm64 (busybox-static:arm64,
# bash-static:arm64, fetched with apt-get download, never installed on
# the host), and one symlink per busybox applet. The arm64 guest mounts
# the host's root filesystem as the x86 guest does, so the repository and
# the cache keep their paths; guest-init binds this directory over
# /usr/bin and /usr/sbin, where the host's x86 programs would not run.
# The test programs are cross-built and linked statically
# (build-tests.sh), so nothing else is needed. Rebuilt only when the
# package versions change.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="busybox-static:arm64 bash-static:arm64"
# shellcheck disable=SC2086
want=$(apt-cache policy $PKGS | sed -n 's/^ *Candidate: //p' | tr '\n' ' ')
case "$want" in
*none*|"") die "no arm64 package index: run make deps (dpkg --add-architecture arm64)" ;;
esac
if [ -x "$ARM64_ROOT/bin/bash" ] &&
   [ "$(cat "$ARM64_ROOT/.versions" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get downloads as its own unprivileged user when it may write there
chown _apt "$tmp" 2>/dev/null || true
# shellcheck disable=SC2086
(cd "$tmp" && apt-get download -qq $PKGS)
for deb in "$tmp"/*.deb; do
	dpkg-deb -x "$deb" "$tmp/x"
done
new=$ARM64_ROOT.new
rm -rf "$new"
mkdir -p "$new/bin"
cp "$tmp/x/bin/busybox" "$new/bin/busybox"
cp "$tmp/x/bin/bash-static" "$new/bin/bash"
# The applet list of the arm64 build is that of the host's busybox-static,
# the same Debian source and configuration (both are needed by make deps).
for a in $(busybox --list); do
	case $a in
	busybox|bash) ;;
	*) ln -s busybox "$new/bin/$a" ;;
	esac
done
# e_machine of the ELF header: 0xb7, EM_AARCH64
od -An -tx1 -j18 -N2 "$new/bin/busybox" | grep -q 'b7 00' ||
	die "$new/bin/busybox is not an arm64 program"
echo "$want" > "$new/.versions"
rm -rf "$ARM64_ROOT"
mv "$new" "$ARM64_ROOT"
