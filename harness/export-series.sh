#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# export-series.sh OUTDIR: write the whole project as one git-format patch
# series against pristine Debian linux-source-6.1, as a distro kernel
# maintainer would apply it (git am, or quilt via OUTDIR/series):
#   0001     the project's new files (subsystem, uAPI, tests, docs, tools),
#            with the commit message in patches/new-files.msg, and the
#            MAINTAINERS entries from the top-level MAINTAINERS file;
#   0002..   the hook patches of patches/series, in order.
# The result is then applied to a second pristine checkout to prove that
# it applies.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${1:?usage: export-series.sh OUTDIR}
out=$(mkdir -p "$out" && cd "$out" && pwd)
"$HARNESS/prepare-tree.sh" > /dev/null
work=$CACHE/export-work
git -C "$SRC" worktree remove -f "$work" 2>/dev/null || rm -rf "$work"
git -C "$SRC" worktree prune
git -C "$SRC" worktree add -q --detach "$work" base

# New files, copied from the repository at their tree paths.
overlay_files | rsync -r --files-from=- "$REPO/" "$work/"
# MAINTAINERS: insert each of our entries where it sorts.
/usr/bin/python3 - "$REPO/MAINTAINERS" "$work/MAINTAINERS" <<'PY'
import sys
ours = open(sys.argv[1]).read().strip().split('\n\n')
ours = [e for e in ours if e and not e.startswith('#')]
text = open(sys.argv[2]).read()
head, sep, body = text.partition('\n\n3C59X NETWORK DRIVER')
entries = (sep.lstrip('\n') + body).split('\n\n')
# The file is only roughly sorted: insert before the first entry that
# starts with the same letter and sorts after ours.
for e in ours:
    title = e.split('\n')[0]
    at = next((i for i, x in enumerate(entries)
               if x[:1] == title[:1] and x.split('\n')[0] > title),
              len(entries))
    entries.insert(at, e)
open(sys.argv[2], 'w').write(head + '\n\n' + '\n\n'.join(entries))
PY
git -C "$work" add -A
git -C "$work" commit -q -F "$REPO/patches/new-files.msg"
series_patches "$REPO/patches" | while read -r p; do
	git -C "$work" am -q --keep-cr "$REPO/patches/$p"
done
rm -f "$out"/*.patch
git -C "$work" format-patch -q --zero-commit --no-signature -o "$out" base..HEAD
(cd "$out" && ls -1 *.patch) > "$out/series"

# Prove it: apply the exported series to another pristine checkout.
git -C "$work" checkout -q --detach base
for p in $(cat "$out/series"); do
	git -C "$work" am -q --keep-cr "$out/$p" ||
		die "exported patch $p does not apply to pristine base"
done
git -C "$SRC" worktree remove -f "$work"
echo "export: $(wc -l < "$out/series") patches in $out, verified to apply to" \
	"Debian $BASE_PKG $(cat "$SRC/.git/iommufd-base-version")"
