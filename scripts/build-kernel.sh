#!/usr/bin/env bash
# Configure and build the guest kernel for $ARCH out of tree, in $OUT.
#
# The config is tinyconfig plus config/common.config, config/$ARCH.config
# (and config/debug*.config with DEBUG=1), merged by the kernel's own
# scripts/kconfig/merge_config.sh.  Any symbol a fragment asks for that the
# final .config does not hold stops the build with its name.
set -eu
. "$(dirname "$0")/lib.sh"

SRC=$(src_tree)
[ -f "$SRC/Makefile" ] || die "no kernel tree at $SRC: run 'make tree' first"
# shellcheck disable=SC2046
set -- $(kmake_args)
cc=$(kernel_cc)
if [ "$ARCH" = powerpc ]; then
	command -v "$cc" >/dev/null ||
		die "$cc not found: install gcc-powerpc64le-linux-gnu (make deps ARCH=powerpc)"
	image=vmlinux
else
	image=arch/x86/boot/bzImage
fi
ccache_env && cc="ccache $cc"
jobs=$(( $(nproc) + 1 ))

mapfile -t frags < <(guest_frags "$SRC" "$ARCH")
if [ "${KCSAN:-0}" = 1 ]; then
	[ "$ARCH" = x86_64 ] || die "KCSAN=1 is for x86_64 only"
	[ "${DEBUG:-0}" = 1 ] && die "KCSAN=1 and DEBUG=1 do not go together (KCSAN excludes KASAN)"
	frags+=("$TOP/config/kcsan.config")
fi
if [ "${DEBUG:-0}" = 1 ]; then
	frags+=("$TOP/config/debug.config")
	[ -f "$TOP/config/debug-$ARCH.config" ] && frags+=("$TOP/config/debug-$ARCH.config")
fi

mkdir -p "$OUT"
start=$(date +%s)
msg "configuring $ARCH in $OUT: tinyconfig + ${frags[*]##*/}"
make_config "$SRC" "$OUT" "$ARCH" "${frags[@]}" ||
	{ tail -20 "$OUT/config.log" >&2; die "make tinyconfig or merge_config.sh failed"; }

# merge_config only warns about a dropped symbol; here it is an error.
missing=0
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*}; want=$line ;;
		"# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *}; want=$line ;;
		*) continue ;;
		esac
		have=$(grep -E "^($sym=|# $sym is not set)" "$OUT/.config" || true)
		if [ "$want" != "$have" ] && ! { [ -z "$have" ] && [ "${want#\# }" != "$want" ]; }; then
			printf 'error: %s asks for %s, final .config has %s\n' "${f##*/}" "$want" "${have:-nothing}" >&2
			missing=$((missing + 1))
		fi
	done <"$f"
done
[ "$missing" = 0 ] || die "$missing config symbol(s) dropped by Kconfig (see above; $OUT/config.log has merge_config's output)"

# The config's identity: a hash of its CONFIG_ lines, which every check
# summary and bench report carries.  config/expected/<flavour>.config is
# the recorded config of a flavour; a difference is printed, so that a
# changed fragment or Kconfig shows up in the log and not only in numbers.
grep '^CONFIG_' "$OUT/.config" | sort >"$OUT/config.final"
sha256sum <"$OUT/config.final" | cut -c1-12 >"$OUT/config.hash"
expected=$TOP/config/expected/$(flavour).config
if [ -f "$expected" ]; then
	if diff -u "$expected" "$OUT/config.final" >"$OUT/config.diff"; then
		msg "config $(cat "$OUT/config.hash") is the recorded config/expected/${expected##*/}"
	else
		msg "warning: config $(cat "$OUT/config.hash") differs from config/expected/${expected##*/}:"
		grep '^[-+]CONFIG' "$OUT/config.diff" | head -40 >&2
	fi
else
	msg "config $(cat "$OUT/config.hash") (no config/expected/${expected##*/} to compare with)"
fi
[ "${CONFIG_ONLY:-0}" = 1 ] && { msg "config checked: $OUT/.config"; exit 0; }

msg "building $image with $jobs jobs ($cc); log in $OUT/build.log"
if ! make -C "$SRC" O="$OUT" "$@" CC="$cc" -j"$jobs" "${image#arch/x86/boot/}" >"$OUT/build.log" 2>&1; then
	grep -E 'error|Error' "$OUT/build.log" | head -20 >&2
	die "kernel build failed (full log: $OUT/build.log)"
fi
warn=$(grep -c 'warning:' "$OUT/build.log" || true)
[ "$warn" = 0 ] || msg "the build printed $warn compiler warnings (see $OUT/build.log)"
ln -sf "$OUT/$image" "$OUT/kernel-image"
msg "built $(make -s -C "$SRC" O="$OUT" "$@" kernelrelease 2>/dev/null) in $(elapsed "$start")"
