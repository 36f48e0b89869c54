#!/usr/bin/env bash
# make configs: build what the series touches on a matrix of kernel configs,
# with W=1, and fail on a build error or on a warning the base tree does not
# have.  The guest config is only one of many a user builds: options such as
# USERFAULTFD or KSM, on in the guest, are off in x86_64_defconfig.
#
# Each entry is a name, an architecture, a starting config and a fragment of
# overrides.  The overrides must hold in the final .config (a symbol Kconfig
# drops is an error), so an entry always builds what its name says.
#
# BASE=1 builds the base tree instead and writes the warnings it prints to
# tests/configs-base-warnings.txt: those are the base's, not ours.
#
# Environment: CONFIGS (names to build, default all), JOBS.
set -eu
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

# name arch start overrides ("start" is slim: the guest's fragments, or a
# defconfig target).  Overrides are space-separated SYMBOL=value.
MATRIX=(
	"slim x86_64 slim -"
	"spf-off x86_64 slim SPECULATIVE_PAGE_FAULT=n"
	"no-uffd-ksm x86_64 slim USERFAULTFD=n KSM=n"
	"small-mm x86_64 slim NUMA=n TRANSPARENT_HUGEPAGE=n MEMCG=n SWAP=n"
	"no-paravirt x86_64 slim PARAVIRT=n"
	"no-vma-stats x86_64 slim PER_VMA_LOCK_STATS=n"
	"defconfig x86_64 x86_64_defconfig SPECULATIVE_PAGE_FAULT=y"
	"ppc-slim powerpc slim -"
	"ppc-hash-only powerpc slim PPC_RADIX_MMU=n"
)
CONFIGS=${CONFIGS:-$(for m in "${MATRIX[@]}"; do printf '%s ' "${m%% *}"; done)}
JOBS=${JOBS:-$(( $(nproc) + 1 ))}
what=series
[ "${BASE:-0}" = 1 ] && what=base
"$TOP/scripts/tree.sh"
SRC=$(src_tree)
basefile=$TOP/tests/configs-base-warnings.txt

# The objects to build: every directory of .c files the series changes,
# outside tools/ and Documentation/, and kernel/fork.o (it copies VMAs).
# kernel/ itself is left out: fork.c is the series' only file there, and
# the whole directory would bring W=1 warnings (and, with defconfig, a
# -Werror in audit.c) the base-warnings file does not cover.  fs/ is left
# out for the same reason (eventpoll.c's kernel-doc): with a .config
# given, the changed fs/*.c files are built one by one, those the config
# builds at all (their obj-y or obj-$(CONFIG_...) line in fs/Makefile).
targets_for() { # arch [.config]
	local a=$1 cfg=${2:-} d f sym
	{
		git -C "$TREE" diff --name-only "$BASE_TAG"..HEAD -- '*.c' |
			grep -vE '^(tools|Documentation|samples)/' | xargs -r -n1 dirname
		echo mm
	} | sort -u | while read -r d; do
		case "$d" in
		arch/x86/*) [ "$a" = x86_64 ] || continue ;;
		arch/powerpc/*) [ "$a" = powerpc ] || continue ;;
		arch/*) continue ;;
		kernel | fs) continue ;;
		esac
		echo "$d/"
	done
	echo kernel/fork.o
	[ -n "$cfg" ] || return 0
	git -C "$TREE" diff --name-only "$BASE_TAG"..HEAD -- 'fs/*.c' | grep -E '^fs/[^/]+\.c$' |
		while read -r f; do
			f=${f#fs/}
			sym=$(sed -nE "s/^obj-(\\\$\((CONFIG_[A-Z0-9_]+)\)|y)[[:space:]]*[+:]?=.*[[:space:]]${f%.c}\.o([[:space:]].*)?\$/\2/p" "$SRC/fs/Makefile" | head -1)
			if [ -z "$sym" ] || grep -q "^$sym=y" "$cfg"; then echo "fs/${f%.c}.o"; fi
		done
}

# "path:line[:col]: warning: text [-Wflag]" -> "path: text [-Wflag]", with
# the path relative to the tree, so that a warning the base prints matches
# ours after the series moved its line.
normalize() {
	sed -nE 's#^([^ :]+):[0-9]+(:[0-9]+)?: warning: #\1: #p' |
		sed -E 's#^([^ :]*/)?linux(-[a-z]+)?/##' | sort -u
}

use_ccache=0
ccache_env && use_ccache=1

# The object tree of an entry.
config_out() { echo "$BUILD/out/configs${CONFIGS_TAG:+-$CONFIGS_TAG}/$what-$1"; }

build_one() { # name arch start overrides...
	local name=$1 arch=$2 start=$3 out cc kargs f sym val have
	shift 3
	out=$(config_out "$name")
	mkdir -p "$out"
	read -ra kargs <<<"$(kmake_args "$arch")"
	cc=$(kernel_cc "$arch")
	command -v "$cc" >/dev/null || { echo "error: $cc not found (make deps ARCH=$arch)"; return 1; }
	[ "$use_ccache" = 1 ] && cc="ccache $cc"
	f=$out/overrides.config
	: >"$f"
	for o in "$@"; do
		[ "$o" = - ] && continue
		sym=${o%%=*} val=${o#*=}
		if [ "$val" = n ]; then echo "# CONFIG_$sym is not set"; else echo "CONFIG_$o"; fi
	done >"$f"
	if [ "$start" = slim ]; then
		# The guest's own config, made as build-kernel.sh makes it.
		local frags
		mapfile -t frags < <(guest_frags "$SRC" "$arch")
		make_config "$SRC" "$out" "$arch" "${frags[@]}" "$f" || return 1
	else
		make -s -C "$SRC" O="$out" "${kargs[@]}" "$start" >"$out/config.log" 2>&1 || return 1
		cp "$out/.config" "$out/start.config"
		(cd "$out" && env "${kargs[@]}" "$SRC/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/start.config" "$f") >>"$out/config.log" 2>&1 &&
			make -s -C "$SRC" O="$out" "${kargs[@]}" olddefconfig >>"$out/config.log" 2>&1 || return 1
	fi
	# An override Kconfig refused would make the entry a lie.
	for o in "$@"; do
		[ "$o" = - ] && continue
		sym=${o%%=*} val=${o#*=}
		# The base has no SPECULATIVE_PAGE_FAULT: nothing to check there.
		[ "$what" = base ] && [ "$sym" = SPECULATIVE_PAGE_FAULT ] && continue
		have=$(sed -n "s/^CONFIG_$sym=//p" "$out/.config")
		[ -n "$have" ] || have=n
		[ "$have" = "$val" ] || { echo "error: $name asks for $sym=$val, the final .config has $sym=$have"; return 1; }
	done
	# Every target object is compiled again, so that its warnings are in
	# this run's log and not only in the run that first built it (ccache
	# replays a hit's warnings, so this costs little with it).
	local targets
	targets=$(targets_for "$arch" "$out/.config")
	for t in $targets; do
		case "$t" in
		*/) [ -d "$out/$t" ] && find "$out/$t" -name '*.o' -delete ;;
		*) rm -f "$out/$t" ;;
		esac
	done
	# shellcheck disable=SC2086
	make -C "$SRC" O="$out" "${kargs[@]}" CC="$cc" W=1 -j"$JOBS" $targets >"$out/build.log" 2>&1 ||
		{ grep -E 'error' "$out/build.log" | head -10; echo "error: $name: build failed (full log: $out/build.log)"; return 1; }
	normalize <"$out/build.log" >"$out/warnings.txt"
}

mkdir -p "$BUILD/out/configs"
[ "$what" = base ] && : >"$basefile.new"
fails=0
results=()
n=0 total=$(wc -w <<<"$CONFIGS")
for name in $CONFIGS; do
	entry=
	for m in "${MATRIX[@]}"; do [ "${m%% *}" = "$name" ] && entry=$m; done
	[ -n "$entry" ] || die "unknown config '$name' (known: $(for m in "${MATRIX[@]}"; do printf '%s ' "${m%% *}"; done))"
	n=$((n + 1))
	t0=$(date +%s)
	# shellcheck disable=SC2086
	set -- $entry
	msg "[$n/$total] $name ($2, $3 + ${*:4}): building $(targets_for "$2" | tr '\n' ' ')and the changed fs/ objects the config builds, on the $what"
	if ! build_one "$@"; then
		results+=("$(printf '%-14s %-8s %-6s %s' "$name" "$2" FAIL "build failed, $(elapsed "$t0")")")
		fails=$((fails + 1))
		continue
	fi
	out=$(config_out "$name")
	if [ "$what" = base ]; then
		sed "s|^|$name	|" "$out/warnings.txt" >>"$basefile.new"
		results+=("$(printf '%-14s %-8s %-6s %s' "$name" "$2" ok "$(wc -l <"$out/warnings.txt") base warnings recorded, $(elapsed "$t0")")")
		continue
	fi
	new=$( (grep -F "$name	" "$basefile" 2>/dev/null || true) | cut -f2- | comm -13 - "$out/warnings.txt")
	if [ -n "$new" ]; then
		printf '%s\n' "$new" | sed "s/^/  new W=1 warning ($name): /"
		results+=("$(printf '%-14s %-8s %-6s %s' "$name" "$2" FAIL "$(printf '%s\n' "$new" | wc -l) new warnings, $(elapsed "$t0")")")
		fails=$((fails + 1))
	else
		results+=("$(printf '%-14s %-8s %-6s %s' "$name" "$2" ok "no new W=1 warnings ($(wc -l <"$out/warnings.txt") in all, all the base's), $(elapsed "$t0")")")
	fi
done
echo
printf '%-14s %-8s %-6s %s\n' config arch result detail
printf '%s\n' "${results[@]}"
if [ "$what" = base ]; then
	sort -u "$basefile.new" >"$basefile"
	rm -f "$basefile.new"
	msg "wrote $(wc -l <"$basefile") base warnings to ${basefile#"$TOP"/}"
fi
[ "$fails" = 0 ] || die "$fails of $total configs failed"
echo "configs: $total of $total built ($what), no new warnings"
