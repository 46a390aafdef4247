#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build upstream Linux 6.12 from Debian's linux-source-6.12, unmodified,
# as the peer that "make bench" measures us against. It is a black box:
# the harness extracts, configures and builds it, and never patches or
# reads its sources. The config is "make tinyconfig" plus base.config,
# perf.config and upstream-6.12.config; options that 6.12 does not know
# are dropped by Kconfig, but every option of upstream-6.12.config and the
# iommu/VFIO options of base.config are checked to be set. The tree is
# extracted once to $CACHE/src-6.12 and built in $CACHE/obj-upstream-6.12
# with the same ccache as our kernels.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

UP_TARBALL=/usr/src/linux-source-6.12.tar.xz
UP_SRC=$CACHE/src-6.12
UP_OBJ=$CACHE/obj-upstream-6.12
UP_MAKE=(make -C "$UP_SRC" O="$UP_OBJ" ARCH=x86_64 -j"$JOBS" CC="ccache gcc")

[ -f "$UP_TARBALL" ] || die "$UP_TARBALL missing: run make deps"
if [ ! -f "$UP_SRC/.iommufd-extracted" ]; then
	rm -rf "$UP_SRC" "$UP_SRC.tmp"
	mkdir -p "$UP_SRC.tmp"
	tar -xf "$UP_TARBALL" -C "$UP_SRC.tmp"
	mv "$UP_SRC.tmp"/linux-source-6.12 "$UP_SRC"
	rmdir "$UP_SRC.tmp"
	touch "$UP_SRC/.iommufd-extracted"
fi

# The benchmark's machine is x86_64 with VT-d: its fragment too (without
# it the peer boots with no IOMMU and vfio-pci refuses the edu devices)
fragments=("$HARNESS/configs/base.config" "$HARNESS/configs/x86_64.config"
	   "$HARNESS/configs/perf.config"
	   "$HARNESS/configs/upstream-6.12.config")
mkdir -p "$UP_OBJ"
key=$(cat "${fragments[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$UP_OBJ/.config" ] ||
   [ "$(cat "$UP_OBJ/.iommufd-config-key" 2>/dev/null)" != "$key" ]; then
	"${UP_MAKE[@]}" tinyconfig > /dev/null
	(cd "$UP_OBJ" && "$UP_SRC/scripts/kconfig/merge_config.sh" -m \
		-O "$UP_OBJ" "$UP_OBJ/.config" "${fragments[@]}" > /dev/null)
	"${UP_MAKE[@]}" olddefconfig > /dev/null
	bad=0
	while IFS= read -r line; do
		grep -qxF "$line" "$UP_OBJ/.config" || {
			echo "config (6.12): wanted '$line'" >&2
			bad=1
		}
	done < <(grep -h -E '^CONFIG_(IOMMU|INTEL_IOMMU|IRQ_REMAP|VFIO|PCI|VIRTIO|9P|NET_9P|HUGETLBFS|TRANSPARENT_HUGEPAGE|MEMFD)' \
		 "${fragments[@]}")
	[ $bad = 0 ] || die "the upstream 6.12 config lost options; see above"
	echo "$key" > "$UP_OBJ/.iommufd-config-key"
fi
"${UP_MAKE[@]}" bzImage
