#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the harness needs, from Debian's archive only:
# the 6.1 base tree, a short explicit list of kernel build tools, ccache,
# sparse, QEMU 10 (x86 and arm) and linux-source-6.12 from
# bookworm-backports (enabled here if missing), the arm64 cross compiler,
# and dpkg's arm64 architecture so that build-arm64-root.sh can fetch
# arm64 packages (nothing arm64 is installed on the host).
# Idempotent: a second run with everything present does no network work.
set -euo pipefail

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: run as root (apt-get is needed)" >&2
		exit 1
	fi
}

# Kernel build: compiler, kconfig parsers, libelf for objtool, openssl for
# certificate tooling, bc for timeconst, cpio/kmod for headers. Selftests:
# libcap (privilege dropping). Checks: sparse. Bench chart: gnuplot-nox.
# Bench peer: linux-source-6.12 (bookworm-backports), upstream's kernel,
# built unmodified by build-upstream.sh. arm64: the cross gcc and libc.
# make deb: dpkg-buildpackage and fakeroot (kbuild's bindeb-pkg), Debian's
# kernel configurations (linux-config-6.1) and pahole (dwarves; Debian's
# configuration has BTF); the package boot: debootstrap and mkfs.ext4.
PKGS="linux-source-6.1 build-essential bc bison flex libelf-dev libssl-dev
      cpio kmod rsync ccache sparse python3 libcap-dev libcap-ng-dev
      xz-utils gnuplot-nox pciutils busybox-static linux-source-6.12
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      dpkg-dev fakeroot debootstrap e2fsprogs linux-config-6.1 dwarves"
QEMU_PKGS="qemu-system-x86 qemu-system-arm"

BPO=/etc/apt/sources.list.d/iommufd-bookworm-backports.sources

missing() {
	local p out=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed" || out="$out $p"
	done
	echo "$out"
}

qemu_ok() {
	# QEMU must be the bookworm-backports 10.x build, for both machines.
	local q
	for q in qemu-system-x86_64 qemu-system-aarch64; do
		command -v $q >/dev/null &&
			$q --version | grep -Eq 'version (1[0-9])\.' || return 1
	done
}

arm64_ok() {
	dpkg --print-foreign-architectures | grep -qx arm64
}

m=$(missing $PKGS)
if [ -z "$m" ] && qemu_ok && arm64_ok; then
	exit 0
fi
need_root
export DEBIAN_FRONTEND=noninteractive
arm64_ok || dpkg --add-architecture arm64
if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat > "$BPO" <<EOT
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
fi
# Third-party sources configured on a machine may be unreachable; only
# Debian's archive matters here, so do not fail on their errors.
apt-get update -qq || true
# shellcheck disable=SC2086
[ -z "$m" ] || apt-get install -y -qq --no-install-recommends $m
qemu_ok || apt-get install -y -qq --no-install-recommends \
	-t bookworm-backports $QEMU_PKGS
qemu_ok || { echo "install-deps: QEMU 10 from bookworm-backports is required" >&2; exit 1; }
