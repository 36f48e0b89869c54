#!/usr/bin/env bash
# Boot the built kernel in QEMU (TCG) and run a command in the guest.
#
#   boot.sh 'command'   run it under the guest's /bin/sh, power off, and exit
#                       with the command's exit status
#   boot.sh             interactive shell on the console (Ctrl-A X quits)
#
# Environment: SMP (vCPUs, default 2), MEM (default 2G, 4G with DEBUG=1), TIMEOUT (seconds,
# default 1800), APPEND (extra kernel parameters), MMU=hash (ppc64le: hash
# MMU instead of radix), ICOUNT=1 (instruction-counted time, see README),
# LOG (console log file, default $OUT/console.log).
#
# A guest that panics, or that has not finished within TIMEOUT, ends the run:
# the tail of its console is printed and the exit status is non-zero.
set -eu
. "$(dirname "$0")/lib.sh"

SMP=${SMP:-2}
APPEND=${APPEND:-}
# A debug kernel (KASAN shadow, DEBUG_PAGEALLOC) leaves too little of 2G
# for mremap_test's 2GB mappings: give it 4G unless told otherwise.
if [ "${DEBUG:-0}" = 1 ]; then MEM=${MEM:-4G}; else MEM=${MEM:-2G}; fi
TIMEOUT=${TIMEOUT:-1800}
LOG=${LOG:-$OUT/console.log}
[ -e "$OUT/kernel-image" ] || die "no kernel in $OUT: run 'make build' (or make run) first"
[ -f "$OUT/initramfs.cpio" ] || die "no initramfs in $OUT: run 'make build' first"

if [ "$ARCH" = powerpc ]; then
	command -v qemu-system-ppc64 >/dev/null || die "qemu-system-ppc64 not found: install qemu-system-ppc"
	qemu=(qemu-system-ppc64 -M pseries -cpu power9)
	console=hvc0
	# tinyconfig leaves PPC_RADIX_MMU_DEFAULT off: ask for the MMU explicitly.
	if [ "${MMU:-radix}" = hash ]; then APPEND="$APPEND disable_radix"; else APPEND="$APPEND disable_radix=no"; fi
	# Two NUMA nodes, for the migration tests.
	half=$(( ${MEM%G} * 512 ))M
	numa=(-object "memory-backend-ram,id=m0,size=$half" -object "memory-backend-ram,id=m1,size=$half"
		-numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1)
else
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found: install qemu-system-x86"
	qemu=(qemu-system-x86_64 -M pc -cpu max)
	console=ttyS0
	numa=()
	APPEND="numa=fake=2 ${APPEND:-}"
fi
if [ "${ICOUNT:-0}" = 1 ]; then
	qemu+=(-icount shift=0,align=off,sleep=off)
fi

initrd=$(mktemp "$BUILD/initrd.XXXXXX")
trap 'rm -rf "$initrd" "$initrd.d"' EXIT
cp "$OUT/initramfs.cpio" "$initrd"
interactive=1
if [ $# -gt 0 ]; then
	interactive=0
	# The command travels as /cmd in a second cpio archive appended to the first.
	mkdir -p "$initrd.d"
	printf '%s\n' "$*" >"$initrd.d/cmd"
	(cd "$initrd.d" && echo cmd | cpio -o -H newc --quiet -R 0:0) >>"$initrd"
fi

args=(-smp "$SMP" -m "$MEM" "${numa[@]}" -kernel "$OUT/kernel-image" -initrd "$initrd"
	-append "console=$console panic=-1 loglevel=6 $APPEND" -no-reboot)
# Only TCG for now; the choice is recorded for the check summary and reports.
echo tcg >"$OUT/accel"
msg "booting $(basename "$(readlink -f "$OUT/kernel-image")") from $OUT: $ARCH, $SMP vCPUs, $MEM, TCG${ICOUNT:+ icount}; timeout ${TIMEOUT}s"
if [ "$interactive" = 1 ]; then
	exec "${qemu[@]}" "${args[@]}" -nographic
fi

start=$(date +%s)
set +e
# tr is line-buffered (stdbuf -oL) so that the console shows as the guest
# prints it; without it a run printed nothing until 4 KiB had gathered.
timeout --foreground -k 10 "$TIMEOUT" "${qemu[@]}" "${args[@]}" -display none -nodefaults \
	-serial stdio -monitor none </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$LOG"
qrc=${PIPESTATUS[0]}
set -e
rc=$(sed -n 's/^SPF-GUEST-EXIT: \([0-9]*\)$/\1/p' "$LOG" | tail -1)
if [ -n "$rc" ]; then
	msg "guest finished in $(elapsed "$start"), command exit status $rc (console log: $LOG)"
	exit "$rc"
fi
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	why="guest did not finish within ${TIMEOUT}s (hung?)"
elif grep -q 'Kernel panic' "$LOG"; then
	why="guest kernel panicked: $(grep -m1 'Kernel panic' "$LOG")"
else
	why="QEMU exited with status $qrc before the guest finished"
fi
echo "---- last 40 lines of the console ($LOG) ----" >&2
tail -40 "$LOG" >&2
die "$why"
