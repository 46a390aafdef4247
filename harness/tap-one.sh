#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tap-one.sh NAME CMD...: run CMD and report it as a one-test TAP suite,
# with CMD's output as TAP comments.
name=$1
shift
echo "TAP version 13"
echo "1..1"
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
if [ $rc = 0 ]; then
	echo "ok 1 $name"
else
	echo "not ok 1 $name # exit status $rc"
fi
exit $rc
