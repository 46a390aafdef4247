#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make deb": Debian binary packages (linux-image, linux-headers,
# linux-libc-dev; kbuild's bindeb-pkg) of the patched tree in $CACHE/src,
# written to $CACHE/deb-$PROFILE/.
#
# PROFILE=debian (what "make deb" builds unless PROFILE is given): Debian's
# own configuration of 6.1 for $ARCH, from Debian's linux-config-6.1
# package, with harness/configs/debian-package.config merged on top; every
# option that differs from Debian's configuration afterwards is listed in
# config-changes.txt beside the packages and printed. A distribution
# kernel: several thousand modules, hours on two cores.
#
# PROFILE=test or perf: the harness's own small configuration of that
# profile (build-kernel.sh, the same object directory), which CI
# packages and boots in a Debian 12 root filesystem (deb-boot.sh).
#
# Assumes the tree is prepared (prepare-tree.sh); for test and perf, the
# kernel is built by build-kernel.sh first. DEB_CONFIG_ONLY=1 (debian):
# write and print the configuration and its changes, build nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$CACHE/deb-$PROFILE
case $ARCH in
x86_64) debarch=amd64 ;;
arm64) debarch=arm64 ;;
esac

pkgmake=("${KMAKE[@]}")
if [ "$PROFILE" = debian ]; then
	orig=/usr/src/linux-config-6.1/config.${debarch}_none_${debarch}.xz
	[ -f "$orig" ] || die "no $orig: install linux-config-6.1 (make deps)"
	configure_fragments "$OBJ" "$orig" "$HARNESS/configs/debian-package.config" ||
		die "the Debian configuration lost options; see above"
	# Not through ccache: the distribution kernel's objects would take
	# the whole cache, and the test kernels' builds would start cold
	export CCACHE_DISABLE=1
	# The release is 6.1.N-iommufd (CONFIG_LOCALVERSION), without the
	# "+" that kbuild appends for a git tree with commits on top
	pkgmake+=(LOCALVERSION=)
	mkdir -p "$out"
	"$SRC/scripts/diffconfig" <(xzcat "$orig") "$OBJ/.config" \
		> "$out/config-changes.txt"
	echo "configuration: Debian's $debarch config; changed options" \
		"(scripts/diffconfig):"
	cat "$out/config-changes.txt"
	[ "${DEB_CONFIG_ONLY:-0}" = 0 ] || exit 0
else
	[ -f "$OBJ/$KIMAGE_PATH" ] ||
		die "no $PROFILE kernel in $OBJ: run build-kernel.sh first"
fi

krel=$("${pkgmake[@]}" -s kernelrelease)
ver=$krel-1
mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
# dpkg-buildpackage leaves the packages in the object directory's parent
# (the cache), with its .buildinfo and .changes; move them into $out.
rm -f "$CACHE"/linux-*_"$ver"_*.deb "$CACHE"/linux-upstream_"$ver"_*
"${pkgmake[@]}" KDEB_PKGVERSION="$ver" bindeb-pkg
mv "$CACHE"/linux-*_"$ver"_*.deb "$CACHE"/linux-upstream_"$ver"_* "$out/"
echo "$krel" > "$out/kernelrelease"
ls -l "$out"
