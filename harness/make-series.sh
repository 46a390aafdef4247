#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate patches/ from the commits in $CACHE/src on top of "base".
#
# Workflow for changing a file that Debian's 6.1 tree already has:
#   make tree                      # base + series + new files in $CACHE/src
#   cd ~/.cache/iommufd/src; edit; git commit (or commit --amend, rebase -i)
#   make series                    # write the commits back to patches/
# One commit is one patch: subject "subsystem: imperative summary" and a
# body fit for LKML. Our new files are not part of these commits; they
# stay untracked there (git ignores them through .git/info/exclude).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -d "$SRC/.git" ] || die "no tree at $SRC: run 'make tree' first"
[ -z "$(git -C "$SRC" status --porcelain -uno)" ] ||
	die "uncommitted changes in $SRC: commit them first"

out=$REPO/patches
active() {
	series_patches "$out" 2>/dev/null
}
active | while read -r p; do rm -f "$out/$p"; done
names=$(git -C "$SRC" format-patch -N --zero-commit --no-signature -o "$out" base..HEAD)
{
	echo "# Patches against Debian's $BASE_PKG, applied in this order."
	echo "# Regenerate with 'make series'; see harness/make-series.sh."
	for p in $names; do basename "$p"; done
} > "$out/series"
ver=$(cat "$SRC/.git/iommufd-base-version")
printf 'package: %s\nversion: %s\n' "$BASE_PKG" "$ver" > "$out/BASE"

# The tree now is exactly base + series: record it as such.
git -C "$SRC" rev-parse HEAD > "$SRC/.git/iommufd-applied"
key=$( { echo "$ver"; cat "$out/series"; active | sed "s|^|$out/|" | xargs -r cat; } |
	sha256sum | cut -d' ' -f1)
echo "$key" > "$SRC/.git/iommufd-key"
echo "series: $(active | wc -l) patches written to patches/"
