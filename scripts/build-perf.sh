#!/usr/bin/env bash
# Build tools/perf from the kernel tree for the x86_64 guest, with
# tracepoint support (Debian's libtraceevent), into $OUT/perf.  The guest
# image then carries it, with Debian's trace-cmd, at their host paths.
# Rebuilt only when the tree's tools/perf or the kernel headers it uses
# change (make decides).  ppc64le: not built (it would need ppc64el
# development libraries); the guest has tracefs there.
set -eu
. "$(dirname "$0")/lib.sh"

[ "$ARCH" = x86_64 ] || { msg "perf: not built for $ARCH (tracefs only in the guest)"; exit 0; }
SRC=$(src_tree)
[ -f "$SRC/tools/perf/Makefile" ] || die "no tools/perf in $SRC"
pkg-config --exists libtraceevent 2>/dev/null ||
	die "libtraceevent not found: install libtraceevent-dev (make deps)"
mkdir -p "$OUT/perf"
start=$(date +%s)
msg "building tools/perf into $OUT/perf (log in $OUT/perf.log)"
# Only what "perf stat", "perf trace" and "perf record/report" of
# tracepoints need: no scripting, GUI, BPF, unwinding or demangling.
if ! make -C "$SRC/tools/perf" O="$OUT/perf" -j"$(( $(nproc) + 1 ))" \
	NO_LIBPYTHON=1 NO_LIBPERL=1 NO_LIBBPF=1 BUILD_BPF_SKEL=0 NO_SLANG=1 NO_GTK2=1 \
	NO_LIBUNWIND=1 NO_LIBDW_DWARF_UNWIND=1 NO_LIBDW=1 NO_DWARF=1 NO_LIBNUMA=1 \
	NO_LIBCAP=1 NO_LIBBABELTRACE=1 NO_DEMANGLE=1 NO_LIBLLVM=1 NO_JEVENTS=1 \
	NO_LIBCRYPTO=1 NO_LIBZSTD=1 NO_LZMA=1 NO_ZLIB=1 NO_LIBPFM4=1 NO_AUXTRACE=1 \
	NO_SDT=1 WERROR=0 >"$OUT/perf.log" 2>&1; then
	grep -E 'error|Error' "$OUT/perf.log" | head -20 >&2
	die "tools/perf did not build (full log: $OUT/perf.log)"
fi
[ -x "$OUT/perf/perf" ] || die "tools/perf built, but $OUT/perf/perf is missing"
"$OUT/perf/perf" version --build-options 2>/dev/null | grep -q 'libtraceevent: \[ on' ||
	die "perf was built without libtraceevent: tracepoints would not work (see $OUT/perf.log)"
msg "perf: $("$OUT/perf/perf" version) in $(elapsed "$start")"
