#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# run-bench.sh: in-guest runner for the speculative page fault benchmarks.
# POSIX sh (busybox ash is enough). For every benchmark, task count and
# mode of /proc/sys/vm/speculative_page_fault it runs one warm-up round and
# R measured rounds, rotating the order of the modes from round to round,
# and prints one BENCH line per run with the /proc/vmstat deltas around it.

# Lists (modes, task counts, tests) are split on purpose; restore_mode runs from traps.
# shellcheck disable=SC2086,SC2317

usage() {
	cat <<'EOF'
usage: run-bench.sh [options]

  -r R       measured repetitions per benchmark/tasks/mode (default 5),
             after one warm-up round (printed with rep=0, warmup=1)
  -d SEC     measured seconds per run (default 3)
  -w SEC     warm-up seconds inside each run before measuring (default 0.5)
  -s SIZE    region per task, as faultbench -s (default 16M)
  -t LIST    task counts (default "1 2 N", N = online CPUs; duplicates dropped)
  -b LIST    benchmarks (default: all), each TEST or TEST:KIND, e.g.
             "page_fault1:threads contention"; TEST is one of
             page_fault1 page_fault2 page_fault3 mmap1 mmap2 contention,
             KIND is threads or processes (default both; contention: threads)
  -m LIST    modes to compare (default "0 1 2"; "stock" if the sysctl is missing)
  -f DIR     directory for backing files (default /tmp; should be tmpfs)
  -c NAME=COMMAND
             also time COMMAND (run with sh -c) as benchmark NAME, kind
             "program": ops_per_sec = 1 / elapsed seconds (from
             /proc/timer_list in ns when readable, else 10 ms steps).
             "@N@" in COMMAND is replaced by the task count, and then it runs
             for every task count; without it, once, labelled tasks=1.
             May be given more than once.
  -B PATH    faultbench binary (default: next to this script, else in PATH)
  -h         this help

Output on stdout: comment lines starting with '#' (settings, kernel) and
  BENCH test=T kind=K mode=M tasks=N rep=R status=ok ops_per_sec=X ... k=v
with the RESULT fields of faultbench and the /proc/vmstat deltas (system-
wide) of pgfault, spf_*, mmap_lock_fault and vma_lock_* when they exist.
Progress goes to stderr. Feed stdout to report.sh.
EOF
}

die() { echo "run-bench: $*" >&2; exit 2; }

REPS=5
DUR=3
WARM=0.5
SIZE=16M
TASKS=
BENCHES=
MODES=
FDIR=/tmp
FB=
PROGS=
SYSCTL=${RUN_BENCH_SYSCTL:-/proc/sys/vm/speculative_page_fault}
NL='
'

while getopts r:d:w:s:t:b:m:f:c:B:h opt; do
	case $opt in
	r) REPS=$OPTARG ;;
	d) DUR=$OPTARG ;;
	w) WARM=$OPTARG ;;
	s) SIZE=$OPTARG ;;
	t) TASKS=$OPTARG ;;
	b) BENCHES=$OPTARG ;;
	m) MODES=$OPTARG ;;
	f) FDIR=$OPTARG ;;
	c) case $OPTARG in
	   ?*=?*) PROGS="$PROGS$OPTARG$NL" ;;
	   *) usage >&2; die "-c wants NAME=COMMAND" ;;
	   esac ;;
	B) FB=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; die "unexpected argument: $1"; }

isnum() { case $1 in ''|*[!0-9.]*|*.*.*|.) return 1 ;; *) return 0 ;; esac; }
case $REPS in ''|*[!0-9]*) die "-r wants a whole number, got '$REPS'" ;; esac
[ "$REPS" -ge 1 ] || die "-r must be at least 1"
isnum "$DUR" || die "-d wants seconds, got '$DUR'"
isnum "$WARM" || die "-w wants seconds, got '$WARM'"
awk -v d="$DUR" 'BEGIN { exit !(d > 0) }' || die "-d must be more than 0"

if [ -z "$FB" ]; then
	here=$(dirname "$0")
	if [ -x "$here/faultbench" ]; then FB=$here/faultbench
	else FB=$(command -v faultbench) || die "faultbench not found: use -B"
	fi
fi
[ -x "$FB" ] || die "$FB is not executable"

NCPU=$(nproc 2>/dev/null) || NCPU=$("$FB" nproc) || NCPU=1
[ -n "$TASKS" ] || TASKS="1 2 $NCPU"
t_list=
for t in $TASKS; do
	case $t in ''|*[!0-9]*) die "-t: bad task count '$t'" ;; esac
	[ "$t" -ge 1 ] || die "-t: bad task count '$t'"
	case " $t_list " in *" $t "*) ;; *) t_list="$t_list $t" ;; esac
done

ALL_TESTS="page_fault1 page_fault2 page_fault3 mmap1 mmap2 contention"
[ -n "$BENCHES" ] || BENCHES=$ALL_TESTS
b_list=
for b in $BENCHES; do
	test=${b%%:*}
	case " $ALL_TESTS " in *" $test "*) ;; *) die "-b: unknown test '$test'" ;; esac
	if [ "$test" = "$b" ]; then
		if [ "$test" = contention ]; then kinds=threads; else kinds="processes threads"; fi
	else
		kinds=${b#*:}
		case $kinds in threads|processes) ;; *) die "-b: bad kind in '$b'" ;; esac
		[ "$test" != contention ] || [ "$kinds" = threads ] ||
			die "-b: contention runs in threads only"
	fi
	for k in $kinds; do b_list="$b_list $test:$k"; done
done

# modes
SAVED_MODE=
if [ -r "$SYSCTL" ]; then
	SAVED_MODE=$(cat "$SYSCTL")
	[ -n "$MODES" ] || MODES="0 1 2"
	for m in $MODES; do
		case $m in 0|1|2) ;; *) die "-m: mode '$m' is not 0, 1 or 2" ;; esac
	done
	[ -w "$SYSCTL" ] || die "$SYSCTL is not writable (not root?)"
else
	[ -z "$MODES" ] || [ "$MODES" = stock ] ||
		echo "run-bench: $SYSCTL missing: ignoring -m '$MODES'" >&2
	MODES=stock
fi
set -- $MODES
NMODES=$#

restore_mode() {
	[ -n "$SAVED_MODE" ] && echo "$SAVED_MODE" >"$SYSCTL" 2>/dev/null
}
trap 'restore_mode; exit 130' INT TERM
trap 'restore_mode' EXIT

set_mode() {
	[ "$1" = stock ] && return 0
	echo "$1" >"$SYSCTL" 2>/dev/null || return 1
	[ "$(cat "$SYSCTL")" = "$1" ]
}

# modes in the order for a round: round 0 (warm-up) and 1 start with the
# first mode, each later round starts one further along
rotate() {	# rotate ROUND
	r=$1
	[ "$r" -ge 1 ] && r=$((r - 1))
	off=$((r % NMODES))
	set -- $MODES
	i=0; head=; tail=
	for m in "$@"; do
		if [ $i -lt $off ]; then tail="$tail $m"; else head="$head $m"; fi
		i=$((i + 1))
	done
	echo $head $tail
}

# fault-path counters of /proc/vmstat that matter here
snap() {
	grep -E '^(pgfault|spf_[a-z0-9_]+|mmap_lock_fault|vma_lock_(success|abort|retry|miss)) ' \
		/proc/vmstat 2>/dev/null
}

# deltas as "k=v k=v" (vmstat order) from two snap outputs
delta() {	# delta BEFORE AFTER
	{ printf '%s\n' "$1" | sed 's/^/B /'; printf '%s\n' "$2" | sed 's/^/A /'; } |
	awk '$1 == "B" { b[$2] = $3; next }
	     $1 == "A" && ($2 in b) { o = o sep $2 "=" ($3 - b[$2]); sep = " " }
	     END { print o }'
}

# Seconds since boot, for timing -c programs: from the "now at N nsecs"
# line of /proc/timer_list (root only) when it can be read, else from
# /proc/uptime, which has 10 ms steps.
now_s() {
	awk '/^now at [0-9]+ nsecs/ { printf "%.9f\n", $3 / 1e9; found = 1; exit }
	     END { if (!found) exit 1 }' /proc/timer_list 2>/dev/null && return
	read -r u _ </proc/uptime 2>/dev/null && echo "$u" || echo 0
}

# limit for one faultbench run: TCG is slow, be generous
LIMIT=$(awk -v d="$DUR" -v w="$WARM" 'BEGIN { printf "%d", d + w + 120 }')
if command -v timeout >/dev/null 2>&1; then TO="timeout -s KILL $LIMIT"; else TO=; fi

# task counts for a -c program
prog_tasks() {
	case $1 in *@N@*) echo $t_list ;; *) echo 1 ;; esac
}

count_runs() {
	n=0
	for b in $b_list; do for t in $t_list; do n=$((n + 1)); done; done
	set -f; oldifs=$IFS; IFS=$NL
	for p in $PROGS; do
		IFS=$oldifs
		for t in $(prog_tasks "${p#*=}"); do n=$((n + 1)); done
		IFS=$NL
	done
	IFS=$oldifs; set +f
	echo $((n * (REPS + 1) * NMODES))
}
TOTAL=$(count_runs)
RUN=0

# run_one TEST KIND TASKS MODE REP [COMMAND]
run_one() {
	r_test=$1 r_kind=$2 r_t=$3 r_m=$4 r_rep=$5 r_cmd=$6
	RUN=$((RUN + 1))
	tag="test=$r_test kind=$r_kind mode=$r_m tasks=$r_t rep=$r_rep"
	[ "$r_rep" -eq 0 ] && tag="$tag warmup=1"
	if ! set_mode "$r_m"; then
		echo "BENCH $tag status=fail error=set_mode ops_per_sec=NA"
		echo "run-bench: could not set $SYSCTL to $r_m" >&2
		return
	fi
	before=$(snap)
	if [ "$r_kind" = program ]; then
		t0=$(now_s)
		sh -c "$r_cmd" </dev/null >/dev/null 2>&1
		rc=$?
		t1=$(now_s)
		res=$(awk -v a="$t0" -v b="$t1" 'BEGIN { s = b - a; if (s < 0.000001) s = 0.000001
			printf "seconds=%.6f ops_per_sec=%.6f", s, 1 / s }')
	else
		out=$($TO "$FB" "$r_test" -m "$r_kind" -t "$r_t" -d "$DUR" -w "$WARM" \
			-s "$SIZE" -f "$FDIR" -q </dev/null; echo "rc=$?")
		rc=$(printf '%s\n' "$out" | sed -n 's/^rc=//p')
		# the RESULT fields, less those the BENCH tag already has
		res=$(printf '%s\n' "$out" | sed -n -e 's/^RESULT test=[^ ]* mode=[^ ]* tasks=[^ ]* //p')
		[ -n "$res" ] || [ "$rc" -ne 0 ] || rc=1
	fi
	after=$(snap)
	d=$(delta "$before" "$after")
	if [ "$rc" -eq 0 ]; then
		echo "BENCH $tag status=ok $res $d"
		ops=$(printf '%s\n' "$res" | awk '{ for (i = 1; i <= NF; i++)
			if ($i ~ /^ops_per_sec=/) { print substr($i, 13); exit } }')
		echo "run-bench: [$RUN/$TOTAL] $r_test $r_kind tasks=$r_t mode=$r_m rep=$r_rep: $ops ops/s" >&2
	else
		echo "BENCH $tag status=fail rc=$rc ops_per_sec=NA $d"
		echo "run-bench: [$RUN/$TOTAL] $r_test $r_kind tasks=$r_t mode=$r_m rep=$r_rep: FAILED (rc $rc)" >&2
	fi
}

echo "# run-bench: $(date -u '+%Y-%m-%dT%H:%M:%SZ' 2>/dev/null) kernel=$(uname -r) machine=$(uname -m) nproc=$NCPU"
echo "# settings: reps=$REPS duration=$DUR warmup=$WARM size=$SIZE tasks=\"${t_list# }\" modes=\"$MODES\" dir=$FDIR"
echo "# cmdline: $(cat /proc/cmdline 2>/dev/null)"
echo "# clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
if [ "$MODES" = stock ]; then
	echo "# note: $SYSCTL missing: stock kernel, mode \"stock\" (per-VMA lock as in 6.12) only"
	echo "run-bench: $SYSCTL missing: running mode \"stock\" only" >&2
fi
snap | grep -q '^spf_' || echo "# note: no spf_* counters in /proc/vmstat"

for b in $b_list; do
	test=${b%%:*} kind=${b#*:}
	for t in $t_list; do
		rep=0
		while [ $rep -le "$REPS" ]; do
			for m in $(rotate $rep); do
				run_one "$test" "$kind" "$t" "$m" "$rep"
			done
			rep=$((rep + 1))
		done
	done
done

set -f; oldifs=$IFS; IFS=$NL
for p in $PROGS; do
	IFS=$oldifs; set +f
	name=${p%%=*} cmd=${p#*=}
	for t in $(prog_tasks "$cmd"); do
		c=$(printf '%s\n' "$cmd" | sed "s/@N@/$t/g")
		rep=0
		while [ $rep -le "$REPS" ]; do
			for m in $(rotate $rep); do
				run_one "$name" program "$t" "$m" "$rep" "$c"
			done
			rep=$((rep + 1))
		done
	done
	set -f; IFS=$NL
done
IFS=$oldifs; set +f
exit 0
