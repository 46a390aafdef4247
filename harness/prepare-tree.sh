#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make $CACHE/src the tree we build: Debian's pristine linux-source-6.1,
# the patch series from patches/ applied as one commit per patch, and the
# project's new files overlaid. Only files whose content changes get a new
# mtime, so kbuild rebuilds exactly what changed.
#
# The tree is never used stale: its git state must equal base + series.
# Local commits or edits in $CACHE/src (made to work on a patch) stop the
# build with a hint to run "make series"; under CI they are discarded.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

want_base=$(sed -n 's/^version: *//p' "$REPO/patches/BASE")
have_base=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null) ||
	die "$BASE_PKG is not installed (run: make deps)"

series_files() {
	series_patches "$REPO/patches" | sed "s|^|$REPO/patches/|"
}

extract_base() {
	local tmp=$CACHE/src.new
	rm -rf "$tmp" "$CACHE/src.old"
	mkdir -p "$tmp"
	tar -C "$tmp" --strip-components=1 -xf "$BASE_TARBALL"
	git -C "$tmp" init -q -b pristine
	git -C "$tmp" config user.name "iommufd-6.1 maintainers"
	git -C "$tmp" config user.email "iommufd@localhost"
	git -C "$tmp" config core.autocrlf false
	git -C "$tmp" config gc.auto 0
	git -C "$tmp" add -A -f
	git -C "$tmp" commit -q -m "Debian $BASE_PKG $have_base (pristine)"
	git -C "$tmp" tag base
	echo "$have_base" > "$tmp/.git/iommufd-base-version"
	[ -d "$SRC" ] && mv "$SRC" "$CACHE/src.old"
	mv "$tmp" "$SRC"
	rm -rf "$CACHE/src.old"
}

apply_series() {
	local p
	git -C "$SRC" checkout -q -f -B work base
	git -C "$SRC" clean -q -fdx -e /.git
	for p in $(series_files); do
		git -C "$SRC" am -q --keep-cr "$p" || {
			git -C "$SRC" am --abort || true
			die "patch $(basename "$p") does not apply to Debian $BASE_PKG $have_base.
  The series was made against $want_base. Rebase it (make tree-edit, fix, make series)."
		}
	done
	git -C "$SRC" rev-parse HEAD > "$SRC/.git/iommufd-applied"
	: > "$SRC/.git/iommufd-overlay"
}

series_key() {
	{ echo "$have_base"; cat "$REPO/patches/series"; series_files | xargs -r cat; } |
		sha256sum | cut -d' ' -f1
}

mkdir -p "$CACHE"
if [ "$want_base" != "$have_base" ]; then
	echo "note: series made against $BASE_PKG $want_base, installed is $have_base;" \
		"checking that it still applies" >&2
fi

if [ ! -d "$SRC/.git" ] ||
   [ "$(cat "$SRC/.git/iommufd-base-version" 2>/dev/null)" != "$have_base" ]; then
	extract_base
fi

key=$(series_key)
if [ "$(cat "$SRC/.git/iommufd-key" 2>/dev/null)" = "$key" ] &&
   [ "$(git -C "$SRC" rev-parse HEAD)" = "$(cat "$SRC/.git/iommufd-applied" 2>/dev/null)" ] &&
   [ -z "$(git -C "$SRC" status --porcelain -uno)" ]; then
	: # tree is base + current series
else
	if [ -f "$SRC/.git/iommufd-key" ] && [ "${CI:-}" != true ] &&
	   [ "${FORCE:-0}" != 1 ] &&
	   { [ "$(git -C "$SRC" rev-parse HEAD)" != "$(cat "$SRC/.git/iommufd-applied")" ] ||
	     [ -n "$(git -C "$SRC" status --porcelain -uno)" ]; }; then
		die "$SRC has local changes or commits that are not in patches/.
  Save them with 'make series', or drop them with 'make tree FORCE=1'."
	fi
	rm -f "$SRC/.git/iommufd-key"
	apply_series
	echo "$key" > "$SRC/.git/iommufd-key"
fi

# Overlay: every file of the repository at a kernel-tree path. They must all
# be new files; changes to existing base files belong in patches/.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
overlay_files | sort > "$list"
clash=$(cd "$SRC" && xargs -r git ls-files -- < "$list" | head -5)
[ -z "$clash" ] || die "these files exist in the base tree; change them through patches/: $clash"
rsync -rc --files-from="$list" "$REPO/" "$SRC/"
comm -23 "$SRC/.git/iommufd-overlay" "$list" | while read -r f; do
	rm -f "$SRC/$f"
done
cp "$list" "$SRC/.git/iommufd-overlay"
sed 's|^|/|' "$list" > "$SRC/.git/info/exclude"
echo "tree: Debian $BASE_PKG $have_base + $(series_files | wc -l) patches + $(wc -l < "$list") new files"
