#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint.sh TAPFILE: the project's code-quality checks, reported as TAP:
#   1. checkpatch.pl --strict on every C/header file we own and on every
#      patch of the series;
#   2. our kernel directories rebuilt with W=1 (extra warnings) and sparse
#      (C=2: every file checked), no warning allowed;
#   3. kernel-doc on the uAPI header and our exported-API headers;
#   4. the builds of configurations the test kernel does not boot: with
#      IOMMUFD_VFIO_CONTAINER, and (x86_64) with iommufd, VFIO and KVM as
#      modules, as distributions build them (modular_build below).
# Run after build-kernel.sh, with the same $PROFILE and $ARCH. The checks
# that do not depend on the architecture (1, 3, 4) run only when
# LINT_ALL=1 (default; make check sets it for x86_64 only); W=1 and
# sparse run for every architecture, on its own drivers too (arm64: the
# SMMUv3 driver's iommufd file).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tap=$1
n=0
fails=0
result() { # result OK NAME OUTPUT-FILE
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2" >> "$tap.body"
	else
		fails=$((fails + 1))
		sed 's/^/# /' "$3" | head -n 60 >> "$tap.body"
		echo "not ok $n $2" >> "$tap.body"
	fi
}
: > "$tap.body"
tmp=$(mktemp)
trap 'rm -f "$tmp" "$tap.body"' EXIT

all=${LINT_ALL:-1}

# Our files in the kernel tree that are C or headers.
mapfile -t cfiles < <(overlay_files | grep -E '\.(c|h)$')
cp=$SRC/scripts/checkpatch.pl
cpopts=(--strict --no-tree --quiet --show-types --ignore FILE_PATH_CHANGES,SPDX_LICENSE_TAG)
if [ "$all" = 1 ]; then
	(cd "$REPO" && "$cp" "${cpopts[@]}" -f "${cfiles[@]}") > "$tmp" 2>&1
	result $? "checkpatch --strict: ${#cfiles[@]} source files" "$tmp"
fi

mapfile -t pfiles < <(series_patches "$REPO/patches" | sed "s|^|$REPO/patches/|")
if [ "$all" = 1 ] && [ ${#pfiles[@]} -gt 0 ]; then
	"$cp" --strict --no-tree --quiet --show-types "${pfiles[@]}" > "$tmp" 2>&1
	result $? "checkpatch --strict: ${#pfiles[@]} series patches" "$tmp"
fi

# W=1 and sparse on our kernel directories, in an object directory of
# their own (same .config): building them with other flags in $OBJ would
# make the next kernel build compile them again and relink. C=2 checks
# every file, changed or not.
dirs=(drivers/iommu/iommufd/ drivers/vfio/device_cdev.o drivers/vfio/iommufd.o
      samples/vfio-mdev/mdma.o)
if [ "$ARCH" = arm64 ]; then
	dirs+=(drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.o)
else
	dirs+=(drivers/iommu/intel/iommufd.o)
fi
lobj=$OBJ-lint
mkdir -p "$lobj"
cmp -s "$OBJ/.config" "$lobj/.config" || cp "$OBJ/.config" "$lobj/.config"
# build_clean OBJDIR MAKE-ARGS...: build into OBJDIR with the output in
# $tmp; fails on a build error and on any warning (then $tmp holds them).
# Not counted: sparse's warnings about 6.1's own arm64 vDSO, which the
# "prepare" step compiles (and C=2 checks) before any directory asked for.
build_clean() {
	local obj=$1 rc
	shift
	make -C "$SRC" O="$obj" ARCH="$ARCH" -j"$JOBS" CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" "$@" > "$tmp" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -E 'warning:|error:' "$tmp" |
	   grep -v '/arch/arm64/kernel/vdso/.*: warning:' > "$tmp.w"; then
		rc=1
		mv "$tmp.w" "$tmp"
	fi
	rm -f "$tmp.w"
	return $rc
}

build_clean "$lobj" W=1 C=2 "${dirs[@]}"
result $? "W=1 and sparse: ${dirs[*]}" "$tmp"

# modular_build: the kernel of configs/modular.config (see there) in its
# own object directory, vmlinux and modules, then modules_install into a
# scratch directory so that depmod runs: fails on a build error, a
# warning, an undefined or unexported symbol (modpost) and a dependency
# cycle between modules (depmod). Output in $tmp.
modular_build() {
	local mobj=$CACHE/obj-$ARCH-modular inst frags=() f

	for f in base "$ARCH" perf modular "$ARCH-modular"; do
		[ ! -f "$HARNESS/configs/$f.config" ] ||
			frags+=("$HARNESS/configs/$f.config")
	done
	configure_fragments "$mobj" tinyconfig "${frags[@]}" > "$tmp" 2>&1 ||
		return 1
	build_clean "$mobj" vmlinux modules || return 1
	inst=$(mktemp -d)
	kmake_at "$mobj" INSTALL_MOD_PATH="$inst" modules_install > "$tmp" 2>&1
	f=$?
	rm -rf "$inst"
	[ $f = 0 ] && ! grep -qiE 'error|warning|cycle' "$tmp"
}

if [ "$all" = 1 ]; then
	# The configuration the test kernel does not boot: iommufd provides
	# /dev/vfio/vfio in place of VFIO's container (IOMMUFD_VFIO_CONTAINER).
	# Build what it changes, to catch code that only breaks there.
	cobj=$OBJ-lint-compat
	mkdir -p "$cobj"
	key=$(cat "$OBJ/.config" "$0" | sha256sum | cut -d' ' -f1)
	rc=0
	if [ "$(cat "$cobj/.iommufd-key" 2>/dev/null)" != "$key" ]; then
		cp "$OBJ/.config" "$cobj/.config"
		"$SRC/scripts/config" --file "$cobj/.config" -d VFIO_CONTAINER \
			-e IOMMUFD_VFIO_CONTAINER
		make -C "$SRC" O="$cobj" ARCH="$ARCH" CROSS_COMPILE="$CROSS" olddefconfig \
			> "$tmp" 2>&1 || rc=1
		grep -qx CONFIG_IOMMUFD_VFIO_CONTAINER=y "$cobj/.config" || {
			echo "config: IOMMUFD_VFIO_CONTAINER did not stick" >> "$tmp"
			rc=1
		}
		[ $rc = 0 ] && echo "$key" > "$cobj/.iommufd-key"
	fi
	if [ $rc = 0 ]; then
		build_clean "$cobj" drivers/vfio/ drivers/iommu/iommufd/
		rc=$?
	fi
	result $rc "build with IOMMUFD_VFIO_CONTAINER=y, VFIO_CONTAINER=n" "$tmp"

	if [ "$ARCH" = x86_64 ]; then
		modular_build
		result $? "modular build: iommufd, VFIO and KVM as modules (modpost, depmod)" "$tmp"
	fi

	mapfile -t hdrs < <(cd "$REPO" && ls include/uapi/linux/iommufd.h include/linux/iommufd.h 2>/dev/null)
	(cd "$REPO" && "$SRC/scripts/kernel-doc" -none -Werror "${hdrs[@]}") > "$tmp" 2>&1
	rc=$?
	[ -s "$tmp" ] && rc=1
	result $rc "kernel-doc: ${hdrs[*]}" "$tmp"
fi

{ echo "TAP version 13"; echo "1..$n"; cat "$tap.body"; } > "$tap"
echo "lint: $((n - fails)) of $n checks clean"
[ $fails = 0 ]
