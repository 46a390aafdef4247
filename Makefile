# SPDX-License-Identifier: GPL-2.0
#
# iommufd for Linux 6.1: build, boot and test in QEMU. See README.
#
#   make run              build, boot the test VM, run the demo
#   make check            build, boot, run every test suite; totals at the end
#   make vm CMD='...'     run any command inside the test VM
#   make kernel           build the kernel only (PROFILE=test|perf)
#   make tree             prepare the patched tree in the cache
#   make series           write the commits in the cached tree to patches/
#   make export OUT=dir   the whole project as a series against pristine 6.1
#   make deb              Debian packages of the kernel: Debian's own 6.1
#                         configuration plus ours (about 4 h); PROFILE=test for
#                         the small test configuration that make check boots
#   make deb-boot         boot those packages (same PROFILE rule) in Debian 12
#                         with systemd and run Debian's QEMU against them
#   make lint             checkpatch, W=1, sparse, kernel-doc on our code,
#                         and a build with iommufd and VFIO as modules
#   make bench            perf kernel: iommufd vs VFIO type1, table, CSV, chart
#   make fuzz             test kernel: the ioctl fuzzer for FUZZ_SECONDS (600)
#   make soak             test kernel: the stress test for SOAK_SECONDS (1800)
#   make deps             install what the harness needs (root)
#
# ARCH=x86_64 or ARCH=arm64 picks the kernel and guest machine (check: both
# unless ARCH is given; everything else: x86_64 unless ARCH is given).

PROFILE ?= test
export PROFILE

H := harness

.PHONY: run check vm kernel tests tree series export deb deb-boot lint deps \
	bench fuzz soak

run:
	@$(H)/run.sh

check:
	@$(H)/check.sh

vm: tests
	@test -n '$(CMD)' || { echo "usage: make vm CMD='command'"; exit 2; }
	@$(H)/vm.sh '$(subst ','\'',$(CMD))'

kernel: tree
	@$(H)/build-kernel.sh

tests: kernel
	@$(H)/build-tests.sh
	@[ "$(ARCH)" != arm64 ] || $(H)/build-arm64-root.sh

tree: deps
	@$(H)/prepare-tree.sh

series:
	@$(H)/make-series.sh

export:
	@test -n '$(OUT)' || { echo "usage: make export OUT=dir"; exit 2; }
	@$(H)/export-series.sh '$(OUT)'

# PROFILE=debian unless a PROFILE is given (on the command line or in the
# environment): "make deb" is the distribution kernel.
DEB_PROFILE := $(if $(filter file,$(origin PROFILE)),debian,$(PROFILE))

deb: tree
	@[ '$(DEB_PROFILE)' = debian ] || PROFILE='$(DEB_PROFILE)' $(H)/build-kernel.sh
	@PROFILE='$(DEB_PROFILE)' $(H)/deb.sh

# The test programs are the test profile's, whichever kernel boots; the
# results are counted as make check counts them (results.py: TAP, kernel
# log, kmemleak, taint).
deb-boot:
	@PROFILE=test $(MAKE) --no-print-directory tests
	@$(H)/build-deb-root.sh
	@f=$$(mktemp); PROFILE='$(DEB_PROFILE)' RUNDIR_FILE=$$f \
		$(H)/deb-boot.sh; r=$$(cat $$f); rm -f $$f; \
	[ -n "$$r" ] && $(H)/results.py "$$r"

lint: kernel
	@t=$$(mktemp); $(H)/lint.sh $$t; rc=$$?; cat $$t; rm -f $$t; exit $$rc

deps:
	@$(H)/install-deps.sh

# Always the perf profile (and the test one for the mock rows), whatever
# PROFILE says; not part of check: it takes long.
bench:
	@$(H)/bench.sh

# Long runs on the test kernel; not part of check. FUZZ_SECONDS, FUZZ_SEED,
# FUZZ_SEQS, SOAK_SECONDS, SOAK_THREADS, SOAK_AREAS, SOAK_SEED pass through.
fuzz:
	@$(H)/fuzz.sh

soak:
	@$(H)/soak.sh
