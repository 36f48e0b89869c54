#!/usr/bin/env bash
# make cost: instructions per operation of the single-task benchmarks in
# every mode of vm.speculative_page_fault, and on the unpatched base kernel.
#
# Both guests run with one vCPU under QEMU's -icount shift=0 (ICOUNT=1 in
# boot.sh): guest time advances by one nanosecond per instruction, so
# ops/s = 10^9 / instructions per op, whatever the host is doing.  That
# makes the two boots independent of each other and of the host's load, and
# they run side by side.  The series' kernel runs modes 0, 1 and 2
# interleaved in one boot; the base kernel, built from the same config
# fragments, runs the same benchmarks in a second boot.
#
# bench/cost-report.sh turns the runs into bench/results/cost-<arch>-<date>.md
# and applies the gate (see there); the exit status is the gate's.
#
# Environment: COST_ARGS (run-bench.sh options, default "-r 2 -d 2"),
# COST_BENCHES (run-bench.sh -b list), GATE=0 (report only), TIMEOUT.
set -eu
. "$(dirname "$0")/lib.sh"

COST_ARGS=${COST_ARGS:--r 2 -d 2}
COST_BENCHES=${COST_BENCHES:-page_fault1:processes page_fault2:processes page_fault3:processes mmap1:processes mmap2:processes page_fault1:threads}
GATE=${GATE:-1}
export TIMEOUT=${TIMEOUT:-3600}
prog=
# x86_64's image carries xz: time it too, with one thread.
[ "$ARCH" = x86_64 ] && prog="-c 'xz=xz-bench 1'"
case " $COST_ARGS " in *" -t"*|*" -m"*|*" -b"*) die "COST_ARGS: -t, -m and -b are make cost's (one task; all modes; COST_BENCHES)" ;; esac
[ "${DEBUG:-0}" = 0 ] && [ "${KCSAN:-0}" = 0 ] && [ "${BASE:-0}" = 0 ] ||
	die "make cost builds its own two kernels: unset DEBUG, KCSAN and BASE"

date=$(date -u +%Y%m%d-%H%M)
res=$TOP/bench/results
mkdir -p "$res"
raw=$res/cost-$ARCH-$date.txt
md=$res/cost-$ARCH-$date.md

# Both kernels, built from the same fragments; BASE=1 is the tree without
# the series.  OUT is recomputed by each child from BASE.
for base in 0 1; do
	what=series; [ "$base" = 1 ] && what=base
	msg "building the $what kernel and its initramfs"
	env -u OUT BASE=$base "$TOP/scripts/tree.sh" >/dev/null
	env -u OUT BASE=$base "$TOP/scripts/build-kernel.sh"
	env -u OUT BASE=$base "$TOP/scripts/build-initramfs.sh"
done

guest_cmd="/opt/bench/run-bench.sh -t 1 $COST_ARGS -b '$COST_BENCHES' $prog >/tmp/cost.txt; rc=\$?; echo SPF-COST-BEGIN; cat /tmp/cost.txt; echo SPF-COST-END; exit \$rc"
pids=()
for base in 0 1; do
	what=series; [ "$base" = 1 ] && what=base
	log=$BUILD/out/cost-$ARCH-$what.log
	rm -f "$log"
	msg "booting the $what kernel with icount, 1 vCPU (console: $log)"
	# norandmaps: every run's mappings land at the same addresses, so the
	# maple tree and the page tables have the same shape from run to run.
	# EXT4=0: no scratch disk, so no journal work in the counted windows.
	env -u OUT BASE=$base ICOUNT=1 SMP=1 EXT4=0 LOG="$log" APPEND="norandmaps ${APPEND:-}" \
		"$TOP/scripts/boot.sh" "$guest_cmd" \
		> >(sed -u "s/^/[$what] /" >&2) 2>&1 &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done
[ "$fail" = 0 ] || die "a cost boot failed (consoles: $BUILD/out/cost-$ARCH-{series,base}.log)"

: >"$raw"
for what in series base; do
	log=$BUILD/out/cost-$ARCH-$what.log
	sed -n '/^SPF-COST-BEGIN/,/^SPF-COST-END/p' "$log" | tr -d '\r' |
		grep -E '^(BENCH |# )' | sed "s/^/$what /" >>"$raw"
	grep -q "^$what BENCH " "$raw" || die "no BENCH lines from the $what kernel (console: $log)"
done

{
	echo "# Instructions per operation, $ARCH, $date"
	echo
	echo "- command: \`make cost ARCH=$ARCH COST_ARGS='$COST_ARGS'\`"
	echo "- series: $(git -C "$TREE" describe --always --tags 2>/dev/null) ($(git -C "$TREE" rev-list --count "$BASE_TAG"..HEAD 2>/dev/null) patches on $BASE_PKG $BASE_VERSION); base: the same tree at $BASE_TAG"
	echo "- QEMU TCG with -icount shift=0, 1 vCPU, kernel command line norandmaps ${APPEND:-}, in two boots side by side; raw data: $(basename "$raw")"
	echo "- kernel configs: series $(cat "$BUILD/out/$ARCH/config.hash" 2>/dev/null || echo unknown), base $(cat "$BUILD/out/$ARCH-base/config.hash" 2>/dev/null || echo unknown)"
	echo
} >"$md"
rc=0
"$TOP/bench/cost-report.sh" -g "$GATE" "$raw" >>"$md" || rc=$?
cat "$md"
msg "report: $md"
[ "$rc" = 0 ] || [ "$rc" = 1 ] || die "cost-report.sh failed (exit $rc)"
[ "$rc" = 0 ] || die "the cost gate failed: see the table above"
msg "cost gate passed"
