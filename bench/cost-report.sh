#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# cost-report.sh: instructions per operation from icount runs (make cost),
# as a markdown table, and the cost gate.  Needs only sh and awk.

usage() {
	cat <<'EOF'
usage: cost-report.sh [-g 0|1] FILE...

Reads lines "series BENCH ..." and "base BENCH ..." (run-bench.sh output
from the series' kernel and from the base kernel, each prefixed with which
kernel it came from), as scripts/cost.sh collects them.  The guest ran with
-icount shift=0, so instructions per op = 10^9 / ops_per_sec.

For every benchmark it prints the median instructions per op of the
measured runs (warm-up runs and failed runs are left out) on the base
kernel and in modes 0, 1 and 2, the largest spread (max - min) / median of
any of them, the ratios (above 1: more instructions than the reference),
and in mode 2 the share of faults handled speculatively and the main
fallback reasons.

The gate (-g 1, the default) holds page_fault1, page_fault2 and
page_fault3 in processes mode with one task to:
  mode 2 / mode 1 <= 1.01, mode 2 / base <= 1.01, mode 1 / base <= 1.005
A gated benchmark without measured runs in one of the modes fails too.
Exit status: 0 gate passed (or -g 0), 1 gate failed, 2 bad input.
EOF
}

gate=1
while getopts g:h opt; do
	case $opt in
	g) case $OPTARG in 0|1) gate=$OPTARG ;; *) usage >&2; exit 2 ;; esac ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { usage >&2; exit 2; }
for f in "$@"; do
	[ -r "$f" ] || { echo "cost-report.sh: cannot read $f" >&2; exit 2; }
done

cat -- "$@" | awk -v gate="$gate" '
function median(list,   n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function spread(list,   n, a, i, lo, hi, m) {
	n = split(list, a, " ")
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) {
		if (a[i] + 0 < lo) lo = a[i] + 0
		if (a[i] + 0 > hi) hi = a[i] + 0
	}
	m = median(list)
	return m > 0 ? (hi - lo) / m * 100 : 0
}
function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.4f", a / b) : "n/a" }
function ipo(k) { return (k in runs) ? median(runs[k]) : "" }
function show(x) { return x == "" ? "n/a" : (x >= 1e7 ? sprintf("%.4e", x) : sprintf("%.1f", x)) }
$2 != "BENCH" { next }
$1 != "series" && $1 != "base" { next }
{
	delete f
	for (i = 3; i <= NF; i++) {
		eq = index($i, "=")
		if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
	}
	if (f["status"] != "ok" || f["warmup"] == "1" || f["rep"] == "0") next
	if (f["ops_per_sec"] == "" || f["ops_per_sec"] == "NA" || f["ops_per_sec"] <= 0) next
	m = $1 == "base" ? "base" : f["mode"]
	if ($1 == "base" && m != "base") next
	if ($1 == "series" && f["mode"] !~ /^[012]$/) next
	row = f["test"] ":" f["kind"]
	if (!(row in seen)) { seen[row] = 1; order[++nrows] = row }
	k = row SUBSEP m
	runs[k] = runs[k] (k in runs ? " " : "") 1e9 / f["ops_per_sec"]
	if (m == "2") {
		att[row] += f["spf_attempt"]; suc[row] += f["spf_success"]
		for (j in f)
			if (j ~ /^spf_abort_/) ab[row, substr(j, 11)] += f[j]
		if (!(row in reasons_seen)) reasons_seen[row] = 1
	}
}
END {
	if (!nrows) { print "cost-report.sh: no measured BENCH lines" > "/dev/stderr"; exit 2 }
	print "## Instructions per operation"
	print ""
	print "Medians of the measured runs, in instructions per op (10^9 / ops/s under"
	print "icount); ratios above 1 cost more than the reference.  Spread: the largest"
	print "(max - min) / median of the row'\''s columns."
	print ""
	print "| test | base | mode 0 | mode 1 | mode 2 | spread | 0/base | 1/base | 2/base | 2/1 | mode 2: speculative, main fallbacks |"
	print "|---|---|---|---|---|---|---|---|---|---|---|"
	for (r = 1; r <= nrows; r++) {
		row = order[r]
		b = ipo(row SUBSEP "base"); m0 = ipo(row SUBSEP "0")
		m1 = ipo(row SUBSEP "1"); m2 = ipo(row SUBSEP "2")
		sp = 0
		split("base 0 1 2", ms, " ")
		for (i = 1; i <= 4; i++)
			if ((row SUBSEP ms[i]) in runs) {
				s = spread(runs[row SUBSEP ms[i]])
				if (s > sp) sp = s
			}
		fb = "n/a"
		if (att[row] > 0) {
			fb = sprintf("%.1f%% of %d attempts", suc[row] / att[row] * 100, att[row])
			# the two largest abort reasons
			for (t = 1; t <= 2; t++) {
				best = ""; bv = 0
				for (key in ab) {
					split(key, kk, SUBSEP)
					if (kk[1] != row || (kk[2] in used)) continue
					if (ab[key] > bv) { bv = ab[key]; best = kk[2] }
				}
				if (best == "") break
				used[best] = 1
				fb = fb sprintf("; %s %.1f%%", best, bv / att[row] * 100)
			}
			delete used
		}
		printf "| %s | %s | %s | %s | %s | %.3f%% | %s | %s | %s | %s | %s |\n", \
			row, show(b), show(m0), show(m1), show(m2), sp, \
			ratio(m0, b), ratio(m1, b), ratio(m2, b), ratio(m2, m1), fb
		B[row] = b; M1[row] = m1; M2[row] = m2
	}
	if (!gate) exit 0
	print ""
	print "## Gate"
	print ""
	print "| test | check | ratio | limit | verdict |"
	print "|---|---|---|---|---|"
	failed = 0
	n = split("page_fault1 page_fault2 page_fault3", g, " ")
	for (i = 1; i <= n; i++) {
		row = g[i] ":processes"
		split("2/1 2/base 1/base", cs, " ")
		for (c = 1; c <= 3; c++) {
			if (cs[c] == "2/1") { num = M2[row]; den = M1[row]; lim = 1.01 }
			else if (cs[c] == "2/base") { num = M2[row]; den = B[row]; lim = 1.01 }
			else { num = M1[row]; den = B[row]; lim = 1.005 }
			if (num == "" || den == "") {
				v = "FAIL (no runs)"; rs = "n/a"; failed = 1
			} else {
				rs = sprintf("%.4f", num / den)
				v = num / den <= lim ? "pass" : "FAIL"
				if (v == "FAIL") failed = 1
			}
			printf "| %s | %s | %s | %.3f | %s |\n", g[i], cs[c], rs, lim, v
		}
	}
	print ""
	print (failed ? "Gate: FAILED" : "Gate: passed")
	exit failed
}'
