#!/usr/bin/env bash
# Make build/linux: the pinned Debian 6.12 source as one git commit (tag
# "base"), with every patch named in patches/series applied by git am.
#
# An existing tree is kept if its commits above base match patches/; if they
# do not, it stops and says how to resolve it (make export or make retree).
# With BASE=1 it also makes build/linux-base, a worktree at the base tag.
set -eu
. "$(dirname "$0")/lib.sh"

check_base_package() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null || true)
	if [ "$v" != "$BASE_VERSION" ]; then
		[ -n "$v" ] && msg "$BASE_PKG is at version '$v', want $BASE_VERSION"
		[ "$(id -u)" = 0 ] || die "$BASE_PKG $BASE_VERSION is not installed and we are not root to install it"
		msg "installing $BASE_PKG=$BASE_VERSION"
		retry apt-get install -y --allow-downgrades --no-install-recommends \
			"$BASE_PKG=$BASE_VERSION" >&2 ||
			die "could not install $BASE_PKG=$BASE_VERSION (is it in the apt sources? run apt-get update)"
	fi
	[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL is missing although $BASE_PKG is installed"
	msg "checking sha256 of $BASE_TARBALL"
	echo "$BASE_SHA256  $BASE_TARBALL" | sha256sum -c --status ||
		die "$BASE_TARBALL does not have sha256 $BASE_SHA256: wrong base version"
}

git_t() { git -C "$TREE" "$@"; }

# Fixed identity and dates so that the base commit is the same on every machine.
make_base() {
	local tmp=$BUILD/linux.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	msg "unpacking $BASE_TARBALL (about a minute)"
	tar -xJf "$BASE_TARBALL" -C "$tmp" --strip-components=1
	msg "committing the base tree"
	(
		cd "$tmp"
		git init -q -b master
		git config user.name "SPF workbench"
		git config user.email "spf-workbench@localhost"
		git config core.autocrlf false
		git config gc.auto 0
		# Debian's tarball has .gitignore files: they keep build output out of status.
		git add -A -f .
		GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
			git commit -q -m "Linux $BASE_VERSION (Debian $BASE_PKG)"
		git tag "$BASE_TAG"
	)
	mv "$tmp" "$TREE"
}

series_files() {
	[ -f "$TOP/patches/series" ] || return 0
	grep -vE '^[[:space:]]*(#|$)' "$TOP/patches/series"
}

apply_series() {
	local p n=0 total
	total=$(series_files | wc -l)
	for p in $(series_files); do
		n=$((n + 1))
		[ -f "$TOP/patches/$p" ] || die "patches/series names $p, which does not exist"
		msg "applying [$n/$total] $p"
		if ! git_t am -q --whitespace=nowarn "$TOP/patches/$p" 2>"$BUILD/am.err"; then
			cat "$BUILD/am.err" >&2
			git_t am --abort >/dev/null 2>&1 || true
			die "patch $p does not apply to the base (git am said the above)"
		fi
	done
	msg "series applied: $total patches on $BASE_PKG $BASE_VERSION"
}

mkdir -p "$BUILD"
if [ "$TREE" != "$BUILD/linux" ]; then
	# TREE=... names another tree (e.g. a git worktree of a topic branch):
	# use it as it is; it is not compared with patches/.
	[ -f "$TREE/Makefile" ] || die "TREE=$TREE is not a kernel tree"
	msg "using TREE=$TREE as it is (not checked against patches/)"
	exit 0
fi
stamp=$BUILD/patches.stamp
if [ -e "$TREE/.git" ]; then
	if "$TOP/scripts/export.sh" --verify; then
		patches_hash >"$stamp"
		msg "using existing tree $TREE ($(git_t rev-list --count "$BASE_TAG"..HEAD) patches above base, as in patches/)"
	elif [ "${STRICT:-0}" != 1 ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(patches_hash)" ]; then
		# patches/ is as it was when the tree last matched it: the tree
		# has new work (the edit loop), which is what gets built.
		msg "build/linux has changes that are not in patches/ yet ('make export' saves them); building build/linux"
	elif [ "${STRICT:-0}" = 1 ]; then
		die "build/linux does not match patches/, and this step tests patches/: 'make export' saves the tree's commits into patches/, 'make retree' discards the tree and re-applies patches/"
	else
		die "patches/ changed since build/linux was made from it (a pull, or an edit), and the tree does not match it: 'make retree' re-applies patches/ (the tree's own commits are lost), 'make export' overwrites patches/ with the tree"
	fi
else
	check_base_package
	make_base
	apply_series
	patches_hash >"$stamp"
fi

if [ "${BASE:-0}" = 1 ] && [ ! -d "$BUILD/linux-base" ]; then
	msg "making worktree build/linux-base at tag $BASE_TAG"
	git_t worktree add -q --detach "$BUILD/linux-base" "$BASE_TAG"
fi
