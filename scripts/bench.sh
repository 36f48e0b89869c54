#!/usr/bin/env bash
# make bench: boot once, run bench/run-bench.sh in the guest (all modes of
# vm.speculative_page_fault, interleaved), and write the report to
# bench/results/<arch>-<date>.md with a PNG plot beside it.
#
# Environment: BENCH_ARGS (arguments for run-bench.sh, default "-r 5 -d 3",
# plus "-c 'xz=xz-bench @N@'" on x86_64),
# SMP (guest vCPUs, default 2), MEM, TIMEOUT.
set -eu
. "$(dirname "$0")/lib.sh"

# x86_64 also times the real program, xz -T (its image carries xz).
default_args="-r 5 -d 3"
[ "$ARCH" = x86_64 ] && default_args="$default_args -c 'xz=xz-bench @N@'"
BENCH_ARGS=${BENCH_ARGS:-$default_args}
SMP=${SMP:-2}
TIMEOUT=${TIMEOUT:-10800}
export SMP TIMEOUT
date=$(date -u +%Y%m%d-%H%M)
res=$TOP/bench/results
mkdir -p "$res"
log=$OUT/bench-console.log
raw=$res/$ARCH-$date.txt
md=$res/$ARCH-$date.md

msg "running the benchmarks in one boot: run-bench.sh $BENCH_ARGS (progress below)"
LOG=$log "$TOP/scripts/boot.sh" "vmstat-summary; /opt/bench/run-bench.sh $BENCH_ARGS > /tmp/bench.txt; rc=\$?; echo SPF-BENCH-BEGIN; cat /tmp/bench.txt; echo SPF-BENCH-END; exit \$rc" ||
	die "the benchmark run failed (console: $log)"
sed -n '/^SPF-BENCH-BEGIN/,/^SPF-BENCH-END/p' "$log" | grep -E '^(BENCH |# )' >"$raw" ||
	die "no BENCH lines in the guest's output (console: $log)"

SRC=$(src_tree)
{
	echo "# Benchmark run $date, $ARCH"
	echo
	echo "- command: \`make bench ARCH=$ARCH SMP=$SMP BENCH_ARGS='$BENCH_ARGS'\`"
	echo "- kernel: $(git -C "$SRC" describe --always --tags 2>/dev/null) ($(git -C "$SRC" rev-list --count "$BASE_TAG"..HEAD 2>/dev/null) patches on $BASE_PKG $BASE_VERSION)"
	echo "- QEMU: accelerator $(cat "$OUT/accel" 2>/dev/null || echo unknown), $SMP vCPUs on a $(nproc)-core host, ${MEM:-2G}; raw data: $(basename "$raw")"
	echo "- kernel config: $(cat "$OUT/config.hash" 2>/dev/null || echo unknown) (hash of the CONFIG_ lines of $OUT/.config)"
	echo
} >"$md.head"
"$TOP/bench/report.sh" -C "$(nproc)" -A "$(cat "$OUT/accel" 2>/dev/null || echo 'an unrecorded accelerator')" -o "$md.body" -p "${md%.md}.png" "$raw"
cat "$md.head" "$md.body" >"$md"
rm -f "$md.head" "$md.body"
msg "report: $md"
