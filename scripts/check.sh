#!/usr/bin/env bash
# make check: checkpatch on the series, build, boot, run the mm selftests in
# the guest, and judge the results.
#
# A failing test fails the check unless tests/known-failures-$ARCH.txt lists
# it, and a listed test must also fail on the unpatched base: BASE=1 runs the
# same tests on the base tree and checks exactly that.  A kernel warning,
# BUG, oops, lockdep or KASAN report in the console fails the check too.
# The last line is "N passed, N failed, N skipped".
#
# Environment: CATEGORIES (run_vmtests.sh -t categories), HASH_CATEGORIES
# (ppc64le: a second boot with the hash MMU), IPI_CATEGORIES (ppc64le: a
# boot with disable_tlbie), CAT_TIMEOUT, TIMEOUT, SMP, MEM.
set -eu
. "$(dirname "$0")/lib.sh"

KNOB=/sys/kernel/mm/transparent_hugepage/khugepaged/collapse_read_lock
# Which categories run, and why the others do not: README.md, "Tests".
main_pre=""
if [ "$ARCH" = powerpc ]; then
	# thp in its own boot (below), unless categories were asked for
	ipi_default=""
	[ -n "${CATEGORIES:-}" ] || ipi_default="thp"
	CATEGORIES=${CATEGORIES:-"spf mmap gup_test madv_populate mremap cow mkdirty migration"}
	# The hash MMU run needs huge pages for run_vmtests.sh (README, Status).
	HASH_CATEGORIES=${HASH_CATEGORIES-""}
	# QEMU 7.2 does not make a broadcast tlbie wait for the other vCPUs,
	# and the read-locked collapse, which frees the old pages right after
	# its flush, then loses data (NOTES.md, session 9).  thp runs in a boot
	# whose kernel flushes other CPUs by IPI instead (disable_tlbie); the
	# main boot, whose speculative copies IPIs would slow, collapses under
	# the write lock.
	IPI_CATEGORIES=${IPI_CATEGORIES-$ipi_default}
	main_pre="if [ -w $KNOB ]; then echo 0 >$KNOB; fi; "
	# The IPI boot must be what it claims, or its tests prove nothing.
	ipi_pre="grep -qw disable_tlbie /proc/cmdline && grep -q 'MMU.*Radix' /proc/cpuinfo"
	[ "${BASE:-0}" = 1 ] || ipi_pre="$ipi_pre && [ \"\$(cat $KNOB)\" = 1 ]"
	ipi_pre="if ! { $ipi_pre; }; then echo 'SPF-IPI-BOOT: not radix with disable_tlbie and collapse_read_lock 1'; exit 1; fi; "
	# khugepaged's selftest maps at a fixed 1 GiB hint, and ppc64 places
	# the heap up to 1 GiB above the program: in this boot it was there
	# (twice: "Failed to allocate VMA at 0x40000000").  Heaps start right
	# after the program here (randomize_va_space 1: no brk randomization).
	ipi_pre="${ipi_pre}echo 1 >/proc/sys/kernel/randomize_va_space; "
	case " $CATEGORIES " in
	*" thp "*) msg "warning: thp in the main boot runs the read-locked collapse with tlbie, which QEMU 7.2 gets wrong (IPI_CATEGORIES)" ;;
	esac
	case " $CATEGORIES $IPI_CATEGORIES " in
	*" thp "*) ;;
	*) msg "note: the thp category does not run (IPI_CATEGORIES=thp runs it)" ;;
	esac
else
	CATEGORIES=${CATEGORIES:-"spf mmap gup_test madv_populate mremap cow hugevm mkdirty migration userfaultfd thp"}
	HASH_CATEGORIES=""
	IPI_CATEGORIES=""
fi
CAT_TIMEOUT=${CAT_TIMEOUT:-900}
known=$TOP/tests/known-failures-$ARCH.txt
what="series"
[ "${BASE:-0}" = 1 ] && what="base (series not applied)"
start=$(date +%s)
step() { printf '\n==== [%s] %s\n' "$1" "$2"; }
# Is $2 a line of list file $1 (comments and trailing blanks stripped)?
listed() { [ -f "$1" ] && sed 's/[[:space:]]*#.*//' "$1" | grep -qxF "$2"; }

step 1/4 "checkpatch --strict on patches/"
# make check judges patches/: the tree it builds must be exactly that.
STRICT=1 "$TOP/scripts/tree.sh"
# CHECKPATCH: the checkpatch to run (path in the tree, or absolute); the
# workbench's own test points it at one that fails.
CHECKPATCH=${CHECKPATCH:-scripts/checkpatch.pl}
cp_err=0
cp_total=0
for p in "$TOP"/patches/[0-9]*.patch; do
	[ -e "$p" ] || { echo "(the series is empty)"; break; }
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	# /usr/bin first: spdxcheck.py wants the python3 that has Debian's ply and git.
	# Not --terse: it drops the "total:" line, the proof that checkpatch ran.
	out=$(cd "$TREE" && PATH=/usr/bin:$PATH perl "$CHECKPATCH" --strict --emacs --show-types "$p" 2>&1) || true
	total=$(printf '%s\n' "$out" | grep -E '^total: [0-9]+ errors, [0-9]+ warnings, [0-9]+ checks' | tail -1)
	[ -n "$total" ] ||
		die "checkpatch did not check ${p##*/}: no 'total:' line in its output (last line: '$(printf '%s\n' "$out" | tail -1)')"
	# shellcheck disable=SC2086
	set -- $total
	e=$2 w=$4 c=$6
	printf '  %-70s %d errors, %d warnings, %d checks\n' "${p##*/}" "$e" "$w" "$c"
	printf '%s\n' "$out" | grep -E ': (ERROR|WARNING|CHECK):' | sed 's/^/      /' || true
	cp_err=$((cp_err + e))
	cp_total=$((cp_total + e + w + c))
done
[ "$cp_err" = 0 ] || die "checkpatch found $cp_err errors in patches/"

step 2/4 "build $ARCH kernel and guest image from the $what"
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/build-initramfs.sh"

step 3/4 "boot and run mm selftests: $CATEGORIES"
# KCSAN=1: the detector's own statistics after the tests, so that the
# verdict shows that it ran (enabled, watchpoints set up) and how many
# races it saw, reported or not (non-strict KCSAN reports a race only if
# the value changed, and rate-limits repeated reports).
kcsan_post=""
[ "${KCSAN:-0}" = 1 ] &&
	kcsan_post="sed 's/^/SPF-KCSAN: /' /sys/kernel/debug/kcsan || echo SPF-KCSAN: unreadable;"
logs=()
bootfail=()
run_guest() { # name, categories, guest command before the tests, extra env
	local name=$1 cats=$2 pre=$3 log=$OUT/check-$1.log rc=0
	shift 3
	logs+=("$name:$log")
	# Nothing of an earlier run may be judged as this one's.
	rm -f "$log"
	# The guest command exits 0 once the tests ran: their verdict is in the
	# results block, so any other boot status is a failure of the boot.
	env "$@" LOG="$log" "$TOP/scripts/boot.sh" "${pre}perf-check; echo SPF-PERF-CHECK: \$?; vmstat-summary; run-tests -T $CAT_TIMEOUT $cats; echo SPF-RUN-TESTS-STATUS: \$?; vmstat-summary; $kcsan_post echo SPF-TAINTED: \$(cat /proc/sys/kernel/tainted); exit 0" || rc=$?
	[ "$rc" = 0 ] || bootfail+=("$name: boot.sh exited with status $rc (see $log)")
}
run_guest main "$CATEGORIES" "$main_pre"
if [ -n "$IPI_CATEGORIES" ]; then
	step 3b/4 "second boot, TLB flushes by IPI (disable_tlbie): $IPI_CATEGORIES"
	run_guest ipi "$IPI_CATEGORIES" "$ipi_pre" APPEND=disable_tlbie
fi
if [ -n "$HASH_CATEGORIES" ]; then
	step 3c/4 "another boot, hash MMU (disable_radix): $HASH_CATEGORIES"
	run_guest hash "$HASH_CATEGORIES" "" MMU=hash
fi

step 4/4 "results ($what, $ARCH)"
# $res: "<category> <verdict> <category>: <program>" per program, and
# "<category> time <seconds>"; $subres: "<category> <verdict> <program> :: <subtest>".
res=$(mktemp)
subres=$(mktemp)
trap 'rm -f "$res" "$subres"' EXIT
for l in "${logs[@]}"; do
	name=${l%%:*}
	log=${l#*:}
	prefix=""
	[ "$name" = main ] || prefix="$name/"
	if [ ! -f "$log" ]; then
		echo "$name fail ${prefix}guest: no console log $log (the boot did not start)" >>"$res"
		continue
	fi
	if ! grep -q '^SPF-RESULTS-END' "$log"; then
		echo "$name fail ${prefix}guest: no results (crash, panic or timeout; see $log)" >>"$res"
	else
		# One pass: programs and times to $res, subtests to $subres.
		sed -n '/^SPF-RESULTS-BEGIN/,/^SPF-RESULTS-END/p' "$log" |
			awk -v p="$prefix" -v res="$res" -v subres="$subres" '
			    $1 == "SPF-TIME" { print p $2, "time", $3 >> res; next }
			    $1 == "SPF-RESULT" || $1 == "SPF-SUBTEST" {
				k = $1; c = $2; v = $3; $1 = $2 = $3 = ""; sub(/^ +/, "")
				print p c, v, p c ": " $0 >> (k == "SPF-RESULT" ? res : subres) }' 
	fi
	# The tracepoint counted by perf against /proc/vmstat (guest/bin/perf-check).
	# It runs first, on a quiet guest: its vmstat delta is system-wide, and
	# a process a test left behind would fault in perf's window too.
	pc=$(sed -n 's/^SPF-PERF-CHECK: \([0-9]*\)$/\1/p' "$log" | tail -1)
	case "$pc" in
	0) v=pass ;;
	4) v=skip ;;
	*) v=fail ;;
	esac
	echo "${prefix}perf $v ${prefix}perf: perf-check" >>"$res"
	echo "${prefix}perf $v ${prefix}perf: perf-check :: pagefault:spf_abort count = vmstat delta" >>"$subres"
	# The kernel's taint flags at the end: a WARN, an oops or a lockdep
	# report sets one even if its text did not reach the console.
	taint=$(sed -n 's/^SPF-TAINTED: \([0-9]*\)$/\1/p' "$log" | tail -1)
	if [ -z "$taint" ]; then
		echo "kernel fail ${prefix}kernel: the guest did not report /proc/sys/kernel/tainted" >>"$res"
	elif [ "$taint" != 0 ]; then
		echo "kernel fail ${prefix}kernel: tainted ($taint) at the end of the run" >>"$res"
	fi
	if [ "${KCSAN:-0}" = 1 ]; then
		kc=$(sed -n 's/^SPF-KCSAN: //p' "$log")
		kc_on=$(printf '%s\n' "$kc" | sed -n 's/^enabled: //p')
		kc_set=$(printf '%s\n' "$kc" | sed -n 's/^setup_watchpoints: //p')
		case "$kc_set" in '' | *[!0-9]*) kc_set=0 ;; esac
		if [ "$kc_on" != 1 ] || [ "$kc_set" = 0 ]; then
			echo "kernel fail ${prefix}kernel: KCSAN=1, but the guest did not show KCSAN enabled with watchpoints set up" >>"$res"
		else
			msg "KCSAN ($name boot): $(printf '%s\n' "$kc" | grep -E '^(setup_watchpoints|data_races|report_races|races_unknown_origin):' | tr '\n' ' ')"
		fi
	fi
	# Kernel complaints fail the run.  A kernel line may start anywhere in a
	# console line (a test's output interleaves with it), so its timestamp
	# is looked for anywhere, not only at the start.
	# A KCSAN report whose function pair tests/kcsan-tolerated.txt lists
	# (races in code the series does not change, each with its reason) is
	# printed as TOLERATED; any other fails.
	grep -E '\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|general protection|Kernel panic|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|KASAN:|UBSAN:|KCSAN:|INFO: task .* blocked|rcu: INFO|self-detected stall|list_(add|del) corruption)' "$log" |
		while IFS= read -r k; do
			k=${k#*] }
			pair=$(printf '%s\n' "$k" | sed -n 's/^BUG: KCSAN: data-race in //p')
			if [ -n "$pair" ] && listed "$TOP/tests/kcsan-tolerated.txt" "$pair"; then
				echo "TOLERATED   ${prefix}kernel log: $k (tests/kcsan-tolerated.txt)" >&2
				continue
			fi
			echo "kernel fail ${prefix}kernel log: $k"
		done | head -20 >>"$res"
done
for b in "${bootfail[@]}"; do
	echo "boot fail ${b%%:*}/boot: ${b#*: }" >>"$res"
done

# The failed test's own failure lines, as run-tests kept them.
print_detail() {
	local l
	for l in "${logs[@]}"; do
		grep -F "SPF-DETAIL $1 | " "${l#*:}" | cut -c1-200 |
			sed 's/^SPF-DETAIL .* | /              /' || true
	done
}
flakyfile=$TOP/tests/flaky-$ARCH.txt
pass=0 fail=0 skip=0 tolerated=0 flaky=0
echo
printf '%-16s %27s   %27s %8s\n' "" "------- programs --------" "------- subtests --------" ""
printf '%-16s %6s %6s %6s %6s   %6s %6s %6s %6s %8s\n' category pass fail skip flaky pass fail skip flaky seconds
{ sed 's/^/P /' "$res"; sed 's/^/S /' "$subres"; } |
	awk '{ k = $1; c = $2; if ($3 == "time") { t[c] = $4; next } n[k, c, $3]++; seen[c] = 1 }
	     END { for (c in seen) printf "%-16s %6d %6d %6d %6d   %6d %6d %6d %6d %8s\n", c,
	           n["P", c, "pass"], n["P", c, "fail"], n["P", c, "skip"], n["P", c, "flaky"],
	           n["S", c, "pass"], n["S", c, "fail"], n["S", c, "skip"], n["S", c, "flaky"], (c in t ? t[c] : "-") }' | sort
echo
failed_list=()
while read -r _ v name; do
	case "$v" in
	pass) pass=$((pass + 1)) ;;
	skip) skip=$((skip + 1)) ;;
	flaky)
		flaky=$((flaky + 1))
		echo "FLAKY       $name: failed as listed in ${flakyfile#"$TOP"/}, passed when run again"
		print_detail "$name" ;;
	fail)
		if listed "$known" "$name"; then
			tolerated=$((tolerated + 1))
			echo "KNOWN FAIL  $name"
		else
			fail=$((fail + 1))
			failed_list+=("$name")
			echo "FAIL        $name"
			print_detail "$name"
		fi ;;
	esac
done < <(grep -v ' time ' "$res")

# Subtests: a failed subtest of a tolerated program is tolerated with it.
spass=0 sfail=0 sskip=0 stol=0 sflaky=0
while read -r _ v name; do
	prog=${name% :: *}
	case "$v" in
	pass) spass=$((spass + 1)) ;;
	skip) sskip=$((sskip + 1)) ;;
	flaky) sflaky=$((sflaky + 1)) ;;
	fail) if listed "$known" "$prog"; then stol=$((stol + 1)); else sfail=$((sfail + 1)); fi ;;
	esac
done <"$subres"
# A failure without subtests (a boot, a kernel complaint, a category that
# timed out) is a failure of its own in the subtest count too.
extra=$(grep -v ' time ' "$res" | awk '$2 == "fail"' | while read -r c v n; do
	grep -qF " $n :: " "$subres" || echo x; done | wc -l)
sfail=$((sfail + extra))

if [ "${BASE:-0}" = 1 ]; then
	# Every listed known failure must fail on the base as well.
	stale=0
	if [ -f "$known" ]; then
		while IFS= read -r entry; do
			entry=$(printf '%s' "$entry" | sed 's/[[:space:]]*#.*//')
			[ -n "$entry" ] || continue
			if grep -v ' time ' "$res" | awk '{ $1 = ""; v = $2; $2 = ""; sub(/^ +/, ""); print v, $0 }' | grep -qxF "fail $entry"; then
				echo "verified: '$entry' fails on the base too"
			else
				echo "STALE: '$entry' is listed as a known failure but does not fail on the base"
				stale=$((stale + 1))
			fi
		done <"$known"
	fi
	# A flaky entry must name a program the base runs; whether it failed
	# this time is reported (a flake need not show in every run).
	if [ -f "$flakyfile" ]; then
		while IFS= read -r entry; do
			entry=${entry%%#*}
			case "$entry" in *"|"*) ;; *) continue ;; esac
			prog=$(printf '%s' "${entry%%|*}" | sed 's/ *$//')
			v=$(grep -v ' time ' "$res" | awk -v e="$prog" '{ c = $1; v = $2; $1 = $2 = ""; sub(/^ +/, ""); if ($0 == e) print v }' | head -1)
			# The guest retries only a failure with the listed signature.
			sig=no
			for l in "${logs[@]}"; do
				grep -qF "SPF-RETRY: ${prog%%:*}: ${prog#*: } failed as listed flaky" "${l#*:}" && sig=yes
			done
			case "$v:$sig" in
			:*) echo "STALE: flaky entry '$prog' names a program the base did not run"; stale=$((stale + 1)) ;;
			*:yes) echo "verified: flaky '$prog' failed on the base this run with the listed signature ($v after the retry)" ;;
			fail:no) echo "flaky '$prog' failed on the base this run, but not with the listed signature (see its output)" ;;
			*) echo "flaky '$prog' ran on the base and did not fail this run ($v)" ;;
			esac
		done <"$flakyfile"
	fi
	echo "base programs: $pass passed, $((fail + tolerated)) failed, $skip skipped, $flaky flaky"
	echo "base: $spass passed, $((sfail + stol)) failed, $((sskip + sflaky)) skipped (subtests) in $(elapsed "$start")"
	[ "$stale" = 0 ] || die "$stale stale known-failure or flaky entries: fix $known or $flakyfile"
	echo "known-failure and flaky lists verified against the base"
	exit 0
fi

echo "checkpatch: $cp_total warnings/checks in total, 0 errors"
echo "kernel config $(cat "$OUT/config.hash" 2>/dev/null || echo unknown) ($OUT/.config), guest accelerator: $(cat "$OUT/accel" 2>/dev/null || echo unknown)"
for l in "${logs[@]}"; do
	if head -1 "${l#*:}" 2>/dev/null | grep -q 'booted a second time'; then
		echo "note: the ${l%%:*} boot ran twice: $(head -1 "${l#*:}" | sed 's/.*booted a second time: //')"
	fi
done
[ "$tolerated" = 0 ] || echo "$tolerated known failures tolerated (they fail on the base too: $known), counted as skipped"
[ "$flaky" = 0 ] || echo "$flaky listed-flaky programs failed and then passed when run again (${flakyfile#"$TOP"/}), counted as skipped"
echo "$ARCH $what, $(elapsed "$start")"
echo "programs: $pass passed, $fail failed, $((skip + tolerated + flaky)) skipped"
echo "$spass passed, $sfail failed, $((sskip + stol + sflaky)) skipped"
[ "$fail" = 0 ] && [ "$sfail" = 0 ]
