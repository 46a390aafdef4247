# SPDX-License-Identifier: GPL-2.0
#
# Shared settings and helpers for the harness scripts. Sourced, not run.
#
# Paths. Everything heavy lives in a cache outside the repository so that
# fresh clones, CI runs and later sessions on the same machine reuse it:
#   $CACHE/src        the base tree, a git repository: commit "base" is the
#                     pristine Debian tree, one commit per series patch on
#                     top, our new files overlaid (untracked, excluded)
#   $CACHE/obj-$P     kbuild object directory of profile $P (test, perf)
#                     for x86_64; obj-arm64-$P for arm64
#   $CACHE/arm64-root static arm64 busybox and bash for the arm64 guest
#   $CACHE/deb-root   debootstrapped Debian 12 for the package boot
#   $CACHE/deb-$P     the Debian packages "make deb" built of profile $P
#   $CACHE/ccache     ccache's store
#   $CACHE/runs/      guest logs and outputs, one directory per VM run

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=$REPO/harness
CACHE=${IOMMUFD_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/iommufd}
SRC=$CACHE/src
PROFILE=${PROFILE:-test}
# ARCH: the architecture of the kernel and guest, x86_64 (the host's) or
# arm64 (cross-built, run under qemu-system-aarch64).
ARCH=${ARCH:-x86_64}
case $ARCH in
x86_64)
	OBJ=$CACHE/obj-$PROFILE
	CROSS=
	KIMAGE=bzImage
	KIMAGE_PATH=arch/x86/boot/bzImage ;;
arm64)
	OBJ=$CACHE/obj-arm64-$PROFILE
	CROSS=aarch64-linux-gnu-
	KIMAGE=Image
	KIMAGE_PATH=arch/arm64/boot/Image ;;
*)
	echo "error: unknown ARCH '$ARCH' (x86_64 or arm64)" >&2
	exit 1 ;;
esac
# Where build-tests.sh installs the kselftests, run_kselftest.sh included
KSFT_INSTALL=$OBJ/ksft-install
ARM64_ROOT=$CACHE/arm64-root
# Debian 12 root filesystem of the package boot (build-deb-root.sh)
DEB_ROOT=$CACHE/deb-root
RUNS=$CACHE/runs
BASE_TARBALL=/usr/src/linux-source-6.1.tar.xz
BASE_PKG=linux-source-6.1

export CCACHE_DIR=$CACHE/ccache
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Kernel objects embed no absolute paths that matter to us; keep the build
# reproducible enough that ccache hits across runs.
export KBUILD_BUILD_TIMESTAMP='2023-01-01'
export KBUILD_BUILD_USER=iommufd
export KBUILD_BUILD_HOST=harness

JOBS=${JOBS:-$(nproc)}
KMAKE=(make -C "$SRC" O="$OBJ" ARCH="$ARCH" -j"$JOBS" CROSS_COMPILE="$CROSS"
       CC="ccache ${CROSS}gcc")

T0=${T0:-$(date +%s.%N)}
export T0

die() {
	echo "error: $*" >&2
	exit 1
}

elapsed() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%6.1fs", b - a }'
}

# series_patches DIR: the patch files that DIR/series applies, in order,
# one name a line (DIR: normally the repository's patches/). Comment and
# blank lines are skipped; a series without patches is not an error.
series_patches() {
	{ grep -v '^\s*\(#\|$\)' "$1/series" || true; }
}

# overlay_files: the repository's files that are copied over the kernel
# tree as new files at the same path, in git's order, relative to $REPO:
# tracked or untracked (not ignored), present in the working tree, and not
# in harness/, patches/, .ci/ or the top directory.
overlay_files() {
	(cd "$REPO" && git ls-files --cached --others --exclude-standard) |
		grep -v -e '^harness/' -e '^patches/' -e '^\.ci/' -e '^[^/]*$' |
		while read -r f; do if [ -f "$REPO/$f" ]; then echo "$f"; fi; done
}

# Run directories: vm.sh makes one per guest boot, and hands its path to
# the caller through the file named by $RUNDIR_FILE.
# new_run_dir: make a new run directory under $RUNS, named after the time,
# leave its path in $run and write it to $RUNDIR_FILE when that is set.
new_run_dir() {
	mkdir -p "$RUNS"
	run=$(mktemp -d "$RUNS/$(date +%Y%m%d-%H%M%S)-XXXX")
	[ -z "${RUNDIR_FILE:-}" ] || echo "$run" > "$RUNDIR_FILE"
}

# take_run_dir FILE: print the run directory that vm.sh wrote to FILE,
# then remove FILE. Fails, as cat does, when vm.sh stopped before that.
take_run_dir() {
	local ret=0
	cat "$1" || ret=$?
	rm -f "$1"
	return "$ret"
}

# merge_fragments BASE FRAGMENT...: $OBJ/.config from the configuration
# BASE with the fragments merged on top (kbuild's merge_config.sh), then
# olddefconfig. Fails, naming each, when an option that a fragment sets
# or unsets did not end up so: Kconfig silently drops an option whose
# dependencies are missing. As in merge_config.sh, a later fragment's
# setting of an option overrides an earlier one's.
merge_fragments() {
	local base=$1 line opt bad=0
	local -A want=()
	local order=()
	shift

	(cd "$OBJ" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
		"$base" "$@" > /dev/null) || return 1
	kmake_at "$OBJ" olddefconfig > /dev/null || return 1
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*} ;;
		"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *} ;;
		*) continue ;;
		esac
		[ -n "${want[$opt]+set}" ] || order+=("$opt")
		want[$opt]=$line
	done < <(cat "$@")
	for opt in "${order[@]}"; do
		line=${want[$opt]}
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$OBJ/.config" || {
				echo "config: wanted '$line', got '$(grep "^$opt=" "$OBJ/.config" || echo unset)'" >&2
				bad=1
			} ;;
		*)
			! grep -q "^$opt=" "$OBJ/.config" || {
				echo "config: wanted $opt unset" >&2
				bad=1
			} ;;
		esac
	done
	return $bad
}

# kmake_at OBJDIR ARGS...: KMAKE, with OBJDIR as the object directory in
# place of $OBJ.
kmake_at() {
	local objdir=$1

	shift
	"${KMAKE[@]/#O=*/O=$objdir}" "$@"
}

# configure_fragments OBJDIR START FRAGMENT...: OBJDIR/.config becomes
# START with the FRAGMENTs merged on top and checked (merge_fragments).
# START is a kconfig make target (tinyconfig) or an xz-compressed config
# file (Debian's). Done again only when START's file or a fragment
# changes: the hash of their contents is kept in OBJDIR/.iommufd-config-key.
configure_fragments() {
	local OBJ=$1 start=$2 key base
	local inputs=()

	shift 2
	[ ! -f "$start" ] || inputs+=("$start")
	inputs+=("$@")
	mkdir -p "$OBJ"
	key=$(cat "${inputs[@]}" | sha256sum | cut -d' ' -f1)
	[ ! -f "$OBJ/.config" ] ||
		[ "$(cat "$OBJ/.iommufd-config-key" 2>/dev/null)" != "$key" ] ||
		return 0
	base=$OBJ/config.start
	case $start in
	*.xz) xzcat "$start" > "$base" ;;
	*) kmake_at "$OBJ" "$start" > /dev/null && base=$OBJ/.config ;;
	esac || return 1
	merge_fragments "$base" "$@" || return 1
	echo "$key" > "$OBJ/.iommufd-config-key"
}

# test_machine: the QEMU command of the test machine of $ARCH in the
# array qemu (the machine, CPU and IOMMU: vm.sh's header says which), and
# its edu devices in the array edu_devices, to come after the disks (PCI
# slots are assigned in command-line order). VM_SNOOP, VM_IOMMU_OPTS,
# VM_GIC and VM_SMMU_STAGE apply.
test_machine() {
	case $ARCH in
	x86_64)
		qemu=(qemu-system-x86_64
		      -machine q35,accel=tcg,kernel-irqchip=split -cpu max
		      -device "intel-iommu,intremap=on,snoop-control=${VM_SNOOP:-on}${VM_IOMMU_OPTS:+,$VM_IOMMU_OPTS}") ;;
	arm64)
		# pauth-impdef: QEMU's cheap pointer-authentication
		# algorithm instead of QARMA, which costs TCG much time at
		# every function entry
		qemu=(qemu-system-aarch64
		      -machine "virt,accel=tcg,iommu=smmuv3,gic-version=${VM_GIC:-3},its=on"
		      -global "arm-smmuv3.stage=${VM_SMMU_STAGE:-nested}"
		      -cpu max,pauth-impdef=on) ;;
	esac
	# The edu DMA test device alone on the root bus, and two edu
	# functions in one multifunction slot behind a PCIe root port
	edu_devices=(-device edu
		     -device pcie-root-port,id=rp1,chassis=1
		     -device edu,bus=rp1,addr=0.0,multifunction=on
		     -device edu,bus=rp1,addr=0.1)
}

# qemu_watched RUN LIMIT PROGRESS QEMU-COMMAND...: run the guest with
# QEMU's output in RUN/qemu.log and its human monitor on RUN/monitor.sock,
# and stop it when it hangs: after LIMIT seconds, or once its console has
# reported an RCU stall and nothing in the directory PROGRESS (the guest's
# results; "" when the caller has none) has changed for 300 s. A guest in
# that state never recovers, and waiting out LIMIT costs a CI run up to
# 40 minutes. Before stopping it, the state of the emulated machine (local
# APICs, registers of every CPU) goes to RUN/hang-state.txt, the reason
# to RUN/hang, and on x86 the guest is asked with SysRq keys (q, l, w) to
# print its timers, CPU backtraces and blocked tasks on its console.
# Returns QEMU's status, 124 when it was stopped. An RCU stall fails the
# run anyway (results.py counts it), so stopping early loses no verdict.
qemu_watched() {
	local run=$1 limit=$2 progress=$3 start=$SECONDS now last qpid
	local why= stall= i cmds

	shift 3
	"$@" -monitor "unix:$run/monitor.sock,server=on,wait=off" \
		> "$run/qemu.log" 2>&1 < /dev/null &
	qpid=$!
	last=$start
	while kill -0 "$qpid" 2>/dev/null; do
		now=$SECONDS
		if [ $((now - start)) -ge "$limit" ]; then
			why="no power-off within ${limit}s"
			break
		fi
		if [ -z "$stall" ] && [ -f "$run/console.log" ] &&
		   grep -q 'rcu: INFO: .*detected stall' "$run/console.log"; then
			stall=$now
		fi
		if [ -n "$progress" ] && [ -d "$progress" ] &&
		   [ -n "$(find "$progress" -newermt "300 seconds ago" -print -quit)" ]; then
			last=$now
		fi
		if [ -n "$stall" ] && [ $((now - stall)) -ge 300 ] &&
		   [ $((now - last)) -ge 300 ]; then
			why="RCU stall, and no progress for 300s"
			break
		fi
		sleep 5
	done
	if [ -z "$why" ]; then
		wait "$qpid"
		return
	fi
	echo "$why" > "$run/hang"
	{
		case $ARCH in
		x86_64)
			cmds=("info cpus")
			for ((i = 0; i < ${VM_SMP:-2}; i++)); do
				cmds+=("info lapic $i")
			done
			cmds+=("info pic" "info registers -a") ;;
		*)
			cmds=("info cpus" "info registers -a") ;;
		esac
		timeout 60 python3 "$HARNESS/qemu-hmp.py" "$run/monitor.sock" \
			"${cmds[@]}"
		# And the guest's own view, on its console, if a CPU still
		# takes the keyboard's interrupt: timers and clock event
		# devices, backtraces of all CPUs, blocked tasks.
		[ "$ARCH" != x86_64 ] ||
			timeout 60 python3 "$HARNESS/qemu-hmp.py" \
				"$run/monitor.sock" "sendkey alt-sysrq-q" \
				"sendkey alt-sysrq-l" "sendkey alt-sysrq-w"
	} > "$run/hang-state.txt" 2>&1 || true
	[ "$ARCH" != x86_64 ] || sleep 30
	kill -TERM "$qpid" 2>/dev/null || true
	for ((i = 0; i < 10; i++)); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 1
	done
	kill -KILL "$qpid" 2>/dev/null || true
	wait "$qpid" || true
	return 124
}

# stage NAME CMD...: run one stage with its output in a log file, then
# print one line: elapsed time of the stage and of the whole command. On
# failure, show the end of the log and stop.
stage() {
	local name=$1 log t ret
	shift
	mkdir -p "$CACHE/logs"
	log=$CACHE/logs/$(echo "$name" | tr -c 'a-zA-Z0-9\n' '-').log
	t=$(date +%s.%N)
	"$@" >"$log" 2>&1 && ret=0 || ret=$?
	if [ "$ret" = 0 ]; then
		printf '[%s | total %s] %s\n' "$(elapsed "$t")" "$(elapsed "$T0")" "$name"
		return 0
	fi
	printf '[%s | total %s] %s: FAILED (exit %d)\n' "$(elapsed "$t")" \
		"$(elapsed "$T0")" "$name" "$ret"
	echo "---- last lines of $log ----"
	tail -n 40 "$log"
	exit "$ret"
}

# The stages every VM command starts with: dependencies, tree, kernel of
# $PROFILE, and the userspace built against it.
build_all() {
	stage "install dependencies (Debian archive)" "$HARNESS/install-deps.sh"
	stage "prepare tree (base + series + new files)" "$HARNESS/prepare-tree.sh"
	stage "build kernel ($ARCH, $PROFILE profile)" "$HARNESS/build-kernel.sh"
	stage "build tests and tools ($ARCH)" "$HARNESS/build-tests.sh"
	[ "$ARCH" = x86_64 ] ||
		stage "arm64 guest userspace (Debian's static busybox, bash)" \
			"$HARNESS/build-arm64-root.sh"
}

# run_guest_suite NAME DOING SECONDS CMD: boot the test kernel with
# kmemleak on and run CMD (bash) in the guest, which gets SECONDS and 20
# minutes more before it counts as hung. Prints "booting the guest, DOING
# for SECONDSs ..." and, when the guest is off, the stage line "boot guest
# and NAME" with vm.sh's exit status. Leaves the run directory in $run and
# that status in $vmrc; guest_suite_results then gives the verdict.
run_guest_suite() {
	local name=$1 doing=$2 secs=$3 cmd=$4 t
	rundir_file=$(mktemp)
	trap 'rm -f "$rundir_file"' EXIT
	echo "booting the guest, $doing for ${secs}s ..."
	t=$(date +%s.%N)
	set +e
	RUNDIR_FILE=$rundir_file KMEMLEAK=1 VM_QUIET=1 \
		VM_TIMEOUT=$((secs + 1200)) "$HARNESS/vm.sh" "$cmd"
	vmrc=$?
	set -e
	# The file goes now: the trap would not run after guest_suite_results'
	# exec
	run=$(take_run_dir "$rundir_file")
	printf '[%s | total %s] boot guest and %s (vm.sh exit %d)\n' \
		"$(elapsed "$t")" "$(elapsed "$T0")" "$name" "$vmrc"
}

# guest_suite_results: after run_guest_suite, print where the guest log
# is, then count the results and scan the kernel log and kmemleak
# (results.py, which replaces the shell and gives the exit status).
guest_suite_results() {
	echo "guest log: $run/console.log (full kernel log: $run/dmesg.txt)"
	echo "results:"
	exec /usr/bin/python3 "$HARNESS/results.py" --guest-status "$vmrc" "$run"
}
