#!/usr/bin/env bash
# Regenerate patches/ from the commits of build/linux above the base tag.
#
#   export.sh           write patches/*.patch and patches/series
#   export.sh --verify  only compare: exit 1 if patches/ differs from the tree
#
# The cover letter's subject and text are kept from the existing
# patches/0000-cover-letter.patch; its shortlog and diffstat are regenerated.
# Output is stable: exporting twice in a row changes nothing.
set -eu
. "$(dirname "$0")/lib.sh"

verify=0
[ "${1:-}" = --verify ] && verify=1
[ -d "$TREE/.git" ] || die "no tree at $TREE: run 'make tree' first"

new=$(mktemp -d)
trap 'rm -rf "$new"' EXIT
n=$(git -C "$TREE" rev-list --count "$BASE_TAG"..HEAD)
if [ "$n" -gt 0 ]; then
	git -C "$TREE" format-patch -q --zero-commit --no-signature --cover-letter \
		--subject-prefix=PATCH -o "$new" "$BASE_TAG"..HEAD
fi

cover=$new/0000-cover-letter.patch
old=$TOP/patches/0000-cover-letter.patch
if [ -f "$cover" ]; then
	date=$(git -C "$TREE" log -1 --format=%aD HEAD)
	title='*** SUBJECT HERE ***'
	blurb=$(mktemp)
	printf '*** BLURB HERE ***\n' >"$blurb"
	if [ -f "$old" ]; then
		title=$(sed -n 's/^Subject: \[[^]]*\] //p' "$old" | head -1)
		# The text between the headers and the shortlog's first "Name (N):" line.
		awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
		     body { print }
		     !body && /^$/ { body = 1 }' "$old" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$blurb"
	fi
	awk -v date="$date" -v title="$title" -v blurbf="$blurb" '
		/^Date: / && !done_date { print "Date: " date; done_date = 1; next }
		/^Subject: / && !done_subj { sub(/\*\*\* SUBJECT HERE \*\*\*/, title); print; done_subj = 1; next }
		/^\*\*\* BLURB HERE \*\*\*$/ { while ((getline l < blurbf) > 0) print l; next }
		{ print }' "$cover" >"$cover.new"
	mv "$cover.new" "$cover"
	rm -f "$blurb"
fi
for f in "$new"/[0-9]*.patch; do
	[ -e "$f" ] || continue
	[ "${f##*/}" = 0000-cover-letter.patch ] || echo "${f##*/}"
done >"$new/series"

if [ "$verify" = 1 ]; then
	if [ -n "$(git -C "$TREE" status --porcelain --untracked-files=no)" ]; then
		msg "warning: $TREE has uncommitted changes; they are built but are not in patches/"
	fi
	diff -r -q "$new" "$TOP/patches" >/dev/null 2>&1 || exit 1
	exit 0
fi
mkdir -p "$TOP/patches"
rm -f "$TOP"/patches/[0-9]*.patch "$TOP/patches/series"
cp "$new"/* "$TOP/patches/" 2>/dev/null || true
[ -f "$TOP/patches/series" ] || : >"$TOP/patches/series"
patches_hash >"$BUILD/patches.stamp"
msg "exported $n patches to patches/ ($(wc -l <"$TOP/patches/series") in series)"
