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

# Kernel make arguments for an arch (default: the chosen one).
kmake_args() {
	if [ "${1:-$ARCH}" = powerpc ]; then
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

# The C compiler of an arch's kernel (without ccache).
kernel_cc() {
	if [ "${1:-$ARCH}" = powerpc ]; then echo powerpc64le-linux-gnu-gcc; else echo gcc; fi
}

# Use ccache, if present, for kernel builds.  CCACHE_DIR is outside build/,
# so that a fresh clone (CI) on this machine reuses it; the tree's path is
# part of the objects (__FILE__), and CCACHE_BASEDIR lets ccache map it.
ccache_env() {
	command -v ccache >/dev/null || return 1
	export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/spf-workbench-ccache}
	export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
	export CCACHE_BASEDIR=$BUILD
}

# The guest's config fragments for an arch, one path a line; spf.config only
# where the tree has the symbol (tinyconfig would turn the prompt off).
guest_frags() { # src arch
	echo "$TOP/config/common.config"
	echo "$TOP/config/$2.config"
	if grep -q '^config SPECULATIVE_PAGE_FAULT$' "$1/mm/Kconfig"; then
		echo "$TOP/config/spf.config"
	fi
}

# tinyconfig plus fragments, merged by the kernel's merge_config.sh, in out;
# its output goes to out/config.log.
make_config() { # src out arch fragment...
	local src=$1 out=$2 arch=$3 kargs
	shift 3
	read -ra kargs <<<"$(kmake_args "$arch")"
	# No file in out may be named after a make target: "make tinyconfig"
	# runs the pattern rule %.config for tiny.config, and a file of that
	# name in the object tree (earlier workbench versions left one) makes
	# it skip the kernel's tiny fragment, so a later build got another
	# config than the first.
	rm -f "$out/tiny.config"
	make -s -C "$src" O="$out" "${kargs[@]}" tinyconfig >"$out/config.log" 2>&1 || return 1
	cp "$out/.config" "$out/tinyconfig.base"
	# merge_config.sh runs make from the environment: pass ARCH and
	# CROSS_COMPILE there, or compiler-dependent symbols come from the
	# host gcc.
	(cd "$out" && env "${kargs[@]}" "$src/scripts/kconfig/merge_config.sh" -n -O "$out" \
		"$out/tinyconfig.base" "$@") >>"$out/config.log" 2>&1
}
