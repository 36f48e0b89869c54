# shellcheck shell=bash
# shellcheck disable=SC2034  # the BASE_* names are for the scripts that source this
# Common helpers for the workbench scripts. Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
TREE=${TREE:-$BUILD/linux}
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.117-1~deb12u1
BASE_TARBALL=/usr/src/linux-source-6.12.tar.xz
BASE_SHA256=585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f
BASE_TAG=base

# ARCH is the kernel's name: x86_64 (default) or powerpc (ppc64le guest).
ARCH=${ARCH:-x86_64}
case "$ARCH" in
x86|x86_64) ARCH=x86_64 ;;
powerpc|ppc64le|ppc64) ARCH=powerpc ;;
*) echo "error: unknown ARCH '$ARCH' (use x86_64 or powerpc)" >&2; exit 2 ;;
esac

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Retry a command a few times: Debian mirrors are sometimes mid-sync.
retry() {
	local n
	for n in 1 2 3; do
		"$@" && return 0
		[ "$n" = 3 ] || { msg "'$*' failed (try $n of 3), retrying in $((n * 10))s"; sleep $((n * 10)); }
	done
	return 1
}

# The build flavour names one output directory: arch, base or series, debug.
flavour() {
	local f=$ARCH
	# Another tree (TREE=...) builds apart from the series' tree.
	[ "$TREE" = "$BUILD/linux" ] || f=$(basename "$TREE")-$f
	[ "${BASE:-0}" = 1 ] && f=$f-base
	[ "${DEBUG:-0}" = 1 ] && f=$f-debug
	[ "${KCSAN:-0}" = 1 ] && f=$f-kcsan
	echo "$f"
}
OUT=${OUT:-$BUILD/out/$(flavour)}

# Kernel make arguments for the chosen arch.
kmake_args() {
	if [ "$ARCH" = powerpc ]; then
		echo "ARCH=powerpc CROSS_COMPILE=powerpc64le-linux-gnu-"
	else
		echo "ARCH=x86_64"
	fi
}

# The tree a build uses: the series tree, or a worktree at the base tag.
src_tree() {
	if [ "${BASE:-0}" = 1 ]; then echo "$BUILD/linux-base"; else echo "$TREE"; fi
}

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# A hash of patches/ as it is now; tree.sh and export.sh record it in
# $BUILD/patches.stamp when build/linux and patches/ agree.
patches_hash() {
	(cd "$TOP/patches" 2>/dev/null && cat -- * 2>/dev/null) | sha256sum | cut -c1-16
}
