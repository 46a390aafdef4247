#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The arm64 guest's userspace, in $ARM64_ROOT/bin: Debian's static
# busybox and static bash for arm64 (busybox-static:arm64,
# bash-static:arm64, fetched with apt-get download, never installed on
# the host), and one symlink per busybox applet (timeout: a wrapper, see
# below). The arm64 guest mounts
# the host's root filesystem as the x86 guest does, so the repository and
# the cache keep their paths; guest-init binds this directory over
# /usr/bin and /usr/sbin, where the host's x86 programs would not run.
# The test programs are cross-built and linked statically
# (build-tests.sh).
#
# QEMU for the QEMU-as-client test: Debian's qemu-system-arm:arm64 from
# bookworm-backports (10.0, as on the host) and the shared libraries it
# needs (the lib* packages of its dependency closure and zlib1g), unpacked
# in $ARM64_ROOT/qemu, and a qemu-system-aarch64 wrapper in bin/ that
# starts it through that tree's own dynamic loader and libraries.
#
# Rebuilt only when a package version changes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS="busybox-static:arm64 bash-static:arm64"
# What qemu-system-aarch64 needs to run: its package and the libraries
# of its dependency closure (not the maintainer-script tools)
QEMU_PKGS=$(apt-cache depends -t bookworm-backports --recurse --no-recommends \
	--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	qemu-system-arm:arm64 2>/dev/null |
	grep -E '^(lib[^ ]*|zlib1g|qemu-system-arm):arm64$' | sort -u | tr '\n' ' ')
# shellcheck disable=SC2086
want=$(apt-cache policy $PKGS | sed -n 's/^ *Candidate: //p' | tr '\n' ' ')
case "$want" in
*none*|"") die "no arm64 package index: run make deps (dpkg --add-architecture arm64)" ;;
esac
want="$want $(echo "$QEMU_PKGS" | sha256sum | cut -c1-16)"
# Bumped when what this script puts in the tree changes
want="$want layout-2"
want="$want $(apt-cache policy -t bookworm-backports qemu-system-arm:arm64 |
	sed -n 's/^ *Candidate: //p')"
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
mkdir "$tmp/q"
# shellcheck disable=SC2086
(cd "$tmp/q" && chown _apt . 2>/dev/null;
 apt-get download -qq -t bookworm-backports $QEMU_PKGS)
for deb in "$tmp"/q/*.deb; do
	dpkg-deb -x "$deb" "$tmp/qx"
done
new=$ARM64_ROOT.new
rm -rf "$new"
mkdir -p "$new/bin" "$new/qemu/usr/bin" "$new/qemu/usr/lib"
cp "$tmp/x/bin/busybox" "$new/bin/busybox"
cp "$tmp/x/bin/bash-static" "$new/bin/bash"
cp -a "$tmp/qx/lib" "$new/qemu/lib"
cp -a "$tmp/qx/usr/lib/aarch64-linux-gnu" "$new/qemu/usr/lib/"
cp "$tmp/qx/usr/bin/qemu-system-aarch64" "$new/qemu/usr/bin/"
q=$ARM64_ROOT/qemu
cat > "$new/bin/qemu-system-aarch64" <<EOT
#!/bin/sh
# Debian's arm64 QEMU with the loader and libraries unpacked beside it
exec $q/lib/ld-linux-aarch64.so.1 \\
	--library-path $q/lib/aarch64-linux-gnu:$q/usr/lib/aarch64-linux-gnu \\
	$q/usr/bin/qemu-system-aarch64 "\$@"
EOT
chmod +x "$new/bin/qemu-system-aarch64"
# The applet list of the arm64 build is that of the host's busybox-static,
# the same Debian source and configuration (both are needed by make deps).
for a in $(busybox --list); do
	case $a in
	busybox|bash|qemu-system-aarch64|timeout) ;;
	*) ln -s busybox "$new/bin/$a" ;;
	esac
done
# kselftest's run_kselftest.sh calls /usr/bin/timeout --foreground, which
# busybox's timeout does not know; it keeps the command in the
# foreground anyway.
cat > "$new/bin/timeout" <<'EOT'
#!/bin/sh
# busybox timeout, accepting (and ignoring) coreutils' --foreground
[ "$1" = --foreground ] && shift
exec busybox timeout "$@"
EOT
chmod +x "$new/bin/timeout"
# e_machine of the ELF header: 0xb7, EM_AARCH64
od -An -tx1 -j18 -N2 "$new/bin/busybox" | grep -q 'b7 00' ||
	die "$new/bin/busybox is not an arm64 program"
echo "$want" > "$new/.versions"
rm -rf "$ARM64_ROOT"
mv "$new" "$ARM64_ROOT"
