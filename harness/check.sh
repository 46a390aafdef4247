#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": for each architecture (x86_64 and arm64, or only $ARCH when
# it is set), build everything, boot the test-profile kernel, run every
# test suite inside the guest and the extra boots (check-arch.sh); then
# scan the guests' kernel logs and print the per-architecture subtotals and
# the totals. See README for what counts as a failure.
set -euo pipefail
export PROFILE=${PROFILE:-test}
arches=${ARCH:-x86_64 arm64}
. "$(dirname "$0")/lib.sh"

groups=()
first=1
for a in $arches; do
	out=$(mktemp)
	echo "== $a"
	# The checks that do not depend on the architecture run once.
	ARCH=$a LINT_ALL=$first "$HARNESS/check-arch.sh" "$out"
	first=0
	run= vmrc=
	. "$out"
	rm -f "$out"
	groups+=(--arch "$a" --guest-status "$vmrc" "$run" "$run/lint.tap" --)
done
unset 'groups[-1]'
echo "results:"
exec /usr/bin/python3 "$HARNESS/results.py" "${groups[@]}"
