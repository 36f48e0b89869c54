#!/usr/bin/env bash
# Build the guest's initramfs for $ARCH in $OUT/initramfs.cpio: busybox, bash
# (run_vmtests.sh needs it), the mm selftests built from the patched tree,
# the benchmarks in bench/, stress-ng, and guest/init.
set -eu
. "$(dirname "$0")/lib.sh"

SRC=$(src_tree)
[ -f "$OUT/.config" ] || die "no kernel config in $OUT: run scripts/build-kernel.sh first"
# shellcheck disable=SC2046
set -- $(kmake_args)
ROOT=$OUT/rootfs
rm -rf "$ROOT"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,lib,lib64,opt/mm,opt/bench,proc,sys,dev,tmp,etc}

if [ "$ARCH" = powerpc ]; then
	cross=powerpc64le-linux-gnu-
	debarch=ppc64el
else
	cross=
	debarch=amd64
fi
jobs=$(( $(nproc) + 1 ))
start=$(date +%s)

# Debian binaries for the guest: the host's for amd64, downloaded for ppc64el.
debs=$BUILD/debs/$debarch
fetch_debs() {
	mkdir -p "$debs"
	if ! dpkg --print-foreign-architectures | grep -qx "$debarch"; then
		[ "$(id -u)" = 0 ] || die "need root to add the $debarch architecture to dpkg"
		msg "adding dpkg architecture $debarch"
		dpkg --add-architecture "$debarch"
	fi
	if ! apt-cache show "busybox-static:$debarch" >/dev/null 2>&1; then
		msg "apt-get update for $debarch"
		# A mirror mid-sync can fail one index; what matters is that the
		# packages below can be found afterwards.
		retry apt-get update -q >&2 || msg "apt-get update reported errors; trying the download anyway"
	fi
	(cd "$debs" && retry apt-get download -q "$@" >&2) ||
		die "could not download $* for $debarch"
	local d
	for d in "$debs"/*.deb; do dpkg -x "$d" "$debs/root"; done
}

st_cflags=
st_ldflags=-static
if [ "$ARCH" = powerpc ]; then
	# libnuma for the cross-built selftests (migration, ksm_tests, ...):
	# unpacked from Debian's ppc64el packages, as busybox and bash are.
	[ -f "$debs/root/usr/lib/powerpc64le-linux-gnu/libnuma.a" ] && [ -x "$debs/root/bin/bash" ] ||
		fetch_debs "busybox-static:$debarch" "bash:$debarch" "libtinfo6:$debarch" "libc6:$debarch" \
			"libnuma-dev:$debarch" "libnuma1:$debarch"
	# stress-ng (make stress) and the libraries it and they link, none
	# of which the host has for ppc64el.  The list is stress-ng's NEEDED
	# closure, worked out with readelf -d; the check below names any
	# library a newer package would add.
	[ -x "$debs/root/usr/bin/stress-ng" ] ||
		fetch_debs "stress-ng:$debarch" "libapparmor1:$debarch" "libbsd0:$debarch" \
			"libcrypt1:$debarch" "libegl1:$debarch" "libgbm1:$debarch" "libgles2:$debarch" \
			"libjpeg62-turbo:$debarch" "libjudydebian1:$debarch" "libkmod2:$debarch" \
			"libsctp1:$debarch" "libxxhash0:$debarch" "zlib1g:$debarch" "libglvnd0:$debarch" \
			"libssl3:$debarch" "libdrm2:$debarch" "libexpat1:$debarch" "liblzma5:$debarch" \
			"libmd0:$debarch" "libwayland-server0:$debarch" "libzstd1:$debarch" "libffi8:$debarch"
	st_cflags="-I$debs/root/usr/include"
	st_ldflags="-static -L$debs/root/usr/lib/powerpc64le-linux-gnu"
fi

msg "installing kernel headers for the selftests"
make -s -C "$SRC" O="$OUT" "$@" headers >"$OUT/headers.log" 2>&1 ||
	{ tail "$OUT/headers.log" >&2; die "make headers failed"; }

msg "building tools/testing/selftests/mm (static, ${cross:-native}); log in $OUT/selftests.log"
st=$OUT/selftests/mm
mkdir -p "$st"
# -k: one test that does not build must not hide the others; they are listed.
make -k -C "$SRC/tools/testing/selftests/mm" "$@" CROSS_COMPILE="$cross" \
	OUTPUT="$st" KHDR_INCLUDES="-isystem $OUT/usr/include" \
	EXTRA_CFLAGS="$st_cflags" LDFLAGS="$st_ldflags" -j"$jobs" >"$OUT/selftests.log" 2>&1 || true
want=$(make -s -C "$SRC/tools/testing/selftests/mm" "$@" CROSS_COMPILE="$cross" \
	OUTPUT="$st" --eval 'spf-list-tests: ; @echo $(notdir $(TEST_GEN_FILES))' spf-list-tests)
nbuilt=0; notbuilt=()
for t in $want; do
	# A binary older than its source is what an earlier build left
	# behind after this build failed to compile it: not this tree's test.
	src_c=$SRC/tools/testing/selftests/mm/$t.c
	if [ -x "$st/$t" ] && [ -f "$src_c" ] && [ "$st/$t" -ot "$src_c" ]; then
		rm -f "$st/$t"
	fi
	if [ -x "$st/$t" ]; then nbuilt=$((nbuilt + 1)); else notbuilt+=("$t"); fi
done
msg "selftests: $nbuilt built${notbuilt:+, not built: ${notbuilt[*]}}"
[ "$nbuilt" -gt 0 ] || { tail -30 "$OUT/selftests.log" >&2; die "no mm selftest built"; }
cp -a "$st"/. "$ROOT/opt/mm/"
cp -a "$SRC"/tools/testing/selftests/mm/*.sh "$ROOT/opt/mm/"
rm -rf "$ROOT/opt/mm"/*.o
# run-tests retries a failure that this list names (case and signature).
if [ -f "$TOP/tests/flaky-$ARCH.txt" ]; then cp "$TOP/tests/flaky-$ARCH.txt" "$ROOT/opt/flaky.txt"; fi

if [ -f "$TOP/bench/Makefile" ]; then
	msg "building bench/"
	make -s -C "$TOP/bench" CROSS_COMPILE="$cross" OUTPUT="$OUT/bench" >"$OUT/bench.log" 2>&1 ||
		{ tail "$OUT/bench.log" >&2; die "bench/ does not build for $ARCH"; }
	cp -a "$OUT/bench"/. "$ROOT/opt/bench/"
	for f in "$TOP"/bench/*.sh "$TOP"/bench/spf-stat "$TOP"/bench/xz-bench; do
		[ -f "$f" ] && cp "$f" "$ROOT/opt/bench/"
	done
fi

if [ "$ARCH" = powerpc ]; then
	cp "$debs/root/bin/busybox" "$ROOT/bin/busybox"
	cp "$debs/root/bin/bash" "$ROOT/bin/bash"
	cp -a "$debs"/root/lib/powerpc64le-linux-gnu "$ROOT/lib/" 2>/dev/null ||
		cp -a "$debs"/root/usr/lib/powerpc64le-linux-gnu "$ROOT/lib/"
	cp -a "$debs"/root/usr/lib/powerpc64le-linux-gnu/. "$ROOT/lib/powerpc64le-linux-gnu/" 2>/dev/null || true
	cp -a "$debs"/root/lib64/. "$ROOT/lib64/" 2>/dev/null || true
	[ -e "$ROOT/lib64/ld64.so.2" ] || ln -sf /lib/powerpc64le-linux-gnu/ld64.so.2 "$ROOT/lib64/ld64.so.2"
	mkdir -p "$ROOT/usr/bin"
	cp "$debs/root/usr/bin/stress-ng" "$ROOT/usr/bin/stress-ng"
	# Every library the image's dynamic binaries need must be in it.
	missing=$(for f in "$ROOT/usr/bin/stress-ng" "$ROOT"/lib/powerpc64le-linux-gnu/*.so*; do
		readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
	done | sort -u | while read -r so; do
		[ -e "$ROOT/lib/powerpc64le-linux-gnu/$so" ] || [ -e "$ROOT/lib64/$so" ] || echo "$so"
	done)
	[ -z "$missing" ] || die "the ppc64le image lacks $(echo $missing) (needed by stress-ng or its libraries)"
else
	[ -x /bin/busybox ] || die "/bin/busybox not found: install busybox-static"
	cp /bin/busybox "$ROOT/bin/busybox"
	# Dynamic host binaries and the libraries they need, each at its host
	# path.  xz (multi-threaded, -T) is the benchmarks' real program: in
	# /usr/bin, busybox's decompress-only xz applet in /bin does not hide it.
	# perf from the tree and Debian's trace-cmd, for the tracepoints.
	"$TOP/scripts/build-perf.sh"
	for b in /bin/bash /usr/bin/stress-ng /usr/bin/xz /usr/bin/trace-cmd "$OUT/perf/perf"; do
		[ -x "$b" ] || { msg "$b not found, left out of the image"; continue; }
		for f in $(ldd "$b" | grep -oE '/[^ ]+'); do
			mkdir -p "$ROOT$(dirname "$f")"
			cp -L "$f" "$ROOT$f"
		done
		# The binary at its host path; perf, built in $OUT, in /usr/bin.
		case "$b" in "$OUT"/*) dst=/usr/bin/${b##*/} ;; *) dst=$b ;; esac
		mkdir -p "$ROOT$(dirname "$dst")"
		cp -L "$b" "$ROOT$dst"
	done
fi
ln -sf bash "$ROOT/bin/sh.bash"
# Tests such as va_high_addr_switch.sh read the kernel's config from /boot.
mkdir -p "$ROOT/boot"
cp "$OUT/.config" "$ROOT/boot/config-$(make -s -C "$SRC" O="$OUT" "$@" kernelrelease)"
cp "$TOP/guest/init" "$ROOT/init"
cp "$TOP/guest/vmstat-summary" "$ROOT/bin/"
[ -d "$TOP/guest/bin" ] && cp "$TOP"/guest/bin/* "$ROOT/bin/"
echo "root:x:0:0:root:/:/bin/sh" >"$ROOT/etc/passwd"
echo "nobody:x:65534:65534:nobody:/:/bin/sh" >>"$ROOT/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$ROOT/etc/group"

(cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$OUT/initramfs.cpio"
msg "initramfs: $(du -h "$OUT/initramfs.cpio" | cut -f1) in $(elapsed "$start")"
