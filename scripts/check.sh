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
# (ppc64le: a second boot with the hash MMU), CAT_TIMEOUT, TIMEOUT, SMP, MEM.
set -eu
. "$(dirname "$0")/lib.sh"

# Which categories run, and why the others do not: README.md, "Tests".
if [ "$ARCH" = powerpc ]; then
	CATEGORIES=${CATEGORIES:-"spf mmap gup_test madv_populate mremap cow mkdirty migration thp"}
	# The hash MMU run needs huge pages for run_vmtests.sh (README, Status).
	HASH_CATEGORIES=${HASH_CATEGORIES-""}
else
	CATEGORIES=${CATEGORIES:-"spf mmap gup_test madv_populate mremap cow hugevm mkdirty migration userfaultfd thp"}
	HASH_CATEGORIES=""
fi
CAT_TIMEOUT=${CAT_TIMEOUT:-900}
known=$TOP/tests/known-failures-$ARCH.txt
what="series"
[ "${BASE:-0}" = 1 ] && what="base (series not applied)"
start=$(date +%s)
step() { printf '\n==== [%s] %s\n' "$1" "$2"; }

step 1/4 "checkpatch --strict on patches/"
"$TOP/scripts/tree.sh"
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
logs=()
bootfail=()
run_guest() { # name, categories, extra env
	local name=$1 cats=$2 log=$OUT/check-$1.log rc=0
	shift 2
	logs+=("$name:$log")
	# Nothing of an earlier run may be judged as this one's.
	rm -f "$log"
	# The guest command exits 0 once the tests ran: their verdict is in the
	# results block, so any other boot status is a failure of the boot.
	env "$@" LOG="$log" "$TOP/scripts/boot.sh" "vmstat-summary; run-tests -T $CAT_TIMEOUT $cats; echo SPF-RUN-TESTS-STATUS: \$?; vmstat-summary; echo SPF-TAINTED: \$(cat /proc/sys/kernel/tainted); exit 0" || rc=$?
	[ "$rc" = 0 ] || bootfail+=("$name: boot.sh exited with status $rc (see $log)")
}
run_guest main "$CATEGORIES"
if [ -n "$HASH_CATEGORIES" ]; then
	step 3b/4 "second boot, hash MMU (disable_radix): $HASH_CATEGORIES"
	run_guest hash "$HASH_CATEGORIES" MMU=hash
fi

step 4/4 "results ($what, $ARCH)"
res=$(mktemp)
trap 'rm -f "$res"' EXIT
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
		sed -n '/^SPF-RESULTS-BEGIN/,/^SPF-RESULTS-END/p' "$log" |
			awk -v p="$prefix" '$1 == "SPF-RESULT" { c = $2; v = $3; $1 = $2 = $3 = ""; sub(/^ +/, ""); print p c, v, p c ": " $0 }
			                    $1 == "SPF-TIME" { print p $2, "time", $3 }' >>"$res"
	fi
	# The kernel's taint flags at the end: a WARN, an oops or a lockdep
	# report sets one even if its text did not reach the console.
	taint=$(sed -n 's/^SPF-TAINTED: \([0-9]*\)$/\1/p' "$log" | tail -1)
	if [ -z "$taint" ]; then
		echo "kernel fail ${prefix}kernel: the guest did not report /proc/sys/kernel/tainted" >>"$res"
	elif [ "$taint" != 0 ]; then
		echo "kernel fail ${prefix}kernel: tainted ($taint) at the end of the run" >>"$res"
	fi
	# Kernel complaints fail the run.  A kernel line may start anywhere in a
	# console line (a test's output interleaves with it), so its timestamp
	# is looked for anywhere, not only at the start.
	grep -E '\[ *[0-9]+\.[0-9]+\] .*(WARNING:|BUG:|Oops|general protection|Kernel panic|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|KASAN:|UBSAN:|INFO: task .* blocked|rcu: INFO|self-detected stall|list_(add|del) corruption)' "$log" |
		head -20 | while IFS= read -r k; do echo "kernel fail ${prefix}kernel log: ${k#*] }"; done >>"$res"
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
listed() { [ -f "$1" ] && sed 's/[[:space:]]*#.*//' "$1" | grep -qxF "$2"; }
flakyfile=$TOP/tests/flaky-$ARCH.txt
pass=0 fail=0 skip=0 tolerated=0 flaky=0
echo
printf '%-16s %6s %6s %6s %8s\n' category pass fail skip seconds
awk '{ c = $1; if ($2 == "time") t[c] = $3; else { n[c, $2]++; seen[c] = 1 } }
     END { for (c in seen) printf "%-16s %6d %6d %6d %8s\n", c, n[c, "pass"], n[c, "fail"], n[c, "skip"], (c in t ? t[c] : "-") }' "$res" | sort
echo
failed_list=()
while read -r cat v name; do
	case "$v" in
	pass) pass=$((pass + 1)) ;;
	skip) skip=$((skip + 1)) ;;
	fail)
		if listed "$known" "$name"; then
			tolerated=$((tolerated + 1))
			echo "KNOWN FAIL  $name"
		elif listed "$flakyfile" "$name"; then
			flaky=$((flaky + 1))
			echo "FLAKY       $name ($(grep -F "$name" "$flakyfile" | sed -n 's/.*# *//p' | head -1))"
			print_detail "$name"
		else
			fail=$((fail + 1))
			failed_list+=("$name")
			echo "FAIL        $name"
			print_detail "$name"
		fi ;;
	esac
done < <(grep -v ' time ' "$res")

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
	echo "base: $pass passed, $((fail + tolerated)) failed, $skip skipped in $(elapsed "$start")"
	[ "$stale" = 0 ] || die "$stale known failure(s) do not fail on the base: fix $known"
	echo "known-failure list verified against the base"
	exit 0
fi

echo "checkpatch: $cp_total warnings/checks in total, 0 errors"
echo "kernel config $(cat "$OUT/config.hash" 2>/dev/null || echo unknown) ($OUT/.config), guest accelerator: $(cat "$OUT/accel" 2>/dev/null || echo unknown)"
[ "$tolerated" = 0 ] || echo "$tolerated known failures tolerated (they fail on the base too: $known), counted as skipped"
echo "$ARCH $what, $(elapsed "$start")"
[ "$flaky" = 0 ] || echo "$flaky known-flaky tests failed this time (listed in $flakyfile), counted as skipped"
echo "$pass passed, $fail failed, $((skip + tolerated + flaky)) skipped"
[ "$fail" = 0 ]
