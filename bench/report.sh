#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# report.sh: turn run-bench.sh output (BENCH lines) into markdown tables and
# a gnuplot PNG of scaling by task count per mode. Needs only sh and awk
# (any awk: mawk, gawk, busybox); gnuplot for the PNG, skipped without it.

usage() {
	cat <<'EOF'
usage: report.sh [-o OUT.md] [-p PLOT.png] [-T TITLE] [-C CORES] [-A ACCEL] [FILE...]

Reads BENCH lines (from run-bench.sh; other lines are ignored except
'# ' comments, which are quoted as the run description) from FILEs or
standard input and writes a markdown report: per benchmark, ops/s per mode
as median (min-max) of the measured runs (warm-up runs, rep=0, and failed
runs are left out), the ratios of the medians mode2/mode1 and mode2/mode0,
and the mode-2 speculative fallback rate by reason (spf_abort_<reason> /
spf_attempt, summed over the mode-2 runs).

  -o OUT.md    write the markdown here (default: standard output)
  -p PLOT.png  write the scaling plot here (default: OUT.png next to OUT.md
               when -o is given, else no plot)
  -T TITLE     first heading (default "Speculative page fault benchmarks")
  -C CORES     host cores (default 2): rows with more tasks than this are
               marked, since their vCPUs time-share the host's cores
  -A ACCEL     the accelerator the guest ran with, as boot.sh recorded it
EOF
}

out='' png='' title="Speculative page fault benchmarks" cores=2 accel="an unrecorded accelerator"
while getopts o:p:T:C:A:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	p) png=$OPTARG ;;
	T) title=$OPTARG ;;
	A) accel=$OPTARG ;;
	C) cores=$OPTARG
	   case $cores in ''|*[!0-9]*) echo "report.sh: -C wants a number" >&2; exit 2 ;; esac ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for f in "$@"; do
	[ -r "$f" ] || { echo "report.sh: cannot read $f" >&2; exit 2; }
done
[ -n "$png" ] || [ -z "$out" ] || png=${out%.md}.png

tmp=$(mktemp -d "${TMPDIR:-/tmp}/report.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

cat -- "$@" >"$tmp/in" || exit 1
grep -q '^BENCH ' "$tmp/in" || { echo "report.sh: no BENCH lines in the input" >&2; exit 1; }

awk -v title="$title" -v cores="$cores" -v accel="$accel" -v datf="$tmp/plot.dat" -v gpf="$tmp/plot.gp" -v png="$png" '
function fmt(x) {
	if (x == "") return "n/a"
	if (x >= 1000) return sprintf("%.0f", x)
	if (x >= 10) return sprintf("%.1f", x)
	return sprintf("%.3g", x)
}
# median / min / max of vals[key, 1..cnt[key]]
function stats(key,   i, j, n, a, x) {
	n = cnt[key]
	for (i = 1; i <= n; i++) a[i] = vals[key, i] + 0
	for (i = 2; i <= n; i++) {
		x = a[i]
		for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
		a[j + 1] = x
	}
	S_min = a[1]; S_max = a[n]
	S_med = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	return n
}
function med(key) { return cnt[key] ? (stats(key) ? S_med : "") : "" }
function addval(key, v) { vals[key, ++cnt[key]] = v }
function modename(m) {
	return m == "0" ? "mode 0" : m == "1" ? "mode 1" : m == "2" ? "mode 2" : m
}
function sortnum(arr, n,   i, j, x) {
	for (i = 2; i <= n; i++) {
		x = arr[i]
		for (j = i - 1; j >= 1 && arr[j] + 0 > x + 0; j--) arr[j + 1] = arr[j]
		arr[j + 1] = x
	}
}
function sortstr(arr, n,   i, j, x) {
	for (i = 2; i <= n; i++) {
		x = arr[i]
		for (j = i - 1; j >= 1 && arr[j] > x; j--) arr[j + 1] = arr[j]
		arr[j + 1] = x
	}
}
/^# / { meta[++nmeta] = substr($0, 3); if ($2 == "run-bench:") nboots++; next }
$1 != "BENCH" { next }
{
	delete kv
	for (i = 2; i <= NF; i++) {
		p = index($i, "=")
		if (p) kv[substr($i, 1, p - 1)] = substr($i, p + 1)
	}
	if (kv["test"] == "" || kv["mode"] == "" || kv["tasks"] == "") next
	b = kv["test"] " (" kv["kind"] ")"
	if (!(b in seenb)) { seenb[b] = 1; border[++nb] = b; btest[b] = kv["test"] }
	t = kv["tasks"]; m = kv["mode"]
	if (!((b, t) in seent)) { seent[b, t] = 1; tl[b, ++nt[b]] = t }
	if (!(m in seenm)) { seenm[m] = 1 }
	bm[b, m] = 1
	if (kv["rep"] == "0" || kv["warmup"] == "1") { nwarm++; next }
	k = b SUBSEP t SUBSEP m
	if (kv["status"] != "ok" || kv["ops_per_sec"] == "NA" || kv["ops_per_sec"] == "") {
		fails[k]++; nfail++; next
	}
	nruns++
	addval(k, kv["ops_per_sec"])
	for (f in kv) {
		if (f ~ /^(spf_|pgfault$|mmap_lock_fault$|vma_lock_)/) {
			csum[k, f] += kv[f]; chave[k, f] = 1
			if (f ~ /^spf_abort_/ && !(f in seenr)) { seenr[f] = 1; reasons[++nr] = f }
		}
		if (f == "p50_ns" || f == "p99_ns" || f == "max_ns" || f == "bg_ops_per_sec")
			addval(k SUBSEP f, kv[f])
	}
}
END {
	sortstr(reasons, nr)
	nmo = 0
	split("0 1 2 stock", cand, " ")
	for (i = 1; i <= 4; i++) if (cand[i] in seenm) mo[++nmo] = cand[i]
	for (m in seenm) {
		known = 0
		for (i = 1; i <= nmo; i++) if (mo[i] == m) known = 1
		if (!known) mo[++nmo] = m
	}

	print "# " title
	print ""
	print "**QEMU with " accel ", " cores "-core host: compare ratios within this boot only.**"
	print "Absolute ops/s from a guest say little; the ratios between modes"
	print "measured in the same boot, interleaved run by run, are what counts."
	print ""
	print "Modes (`vm.speculative_page_fault`): 0 = mmap_lock only, 1 = per-VMA lock"
	print "(stock 6.12), 2 = speculative first; \"stock\" = kernel without the sysctl."
	print "An op is one page faulted (page_fault*, contention), one mmap+munmap pair"
	print "(mmap*), or one complete run of a program (ops/s = 1 / seconds)."
	printf "Cells: median ops/s (min–max) over %s measured runs", (nruns ? "the" : "no")
	print "; warm-up runs are left out."
	print "Ratios are of the medians; below 1 means mode 2 is slower."
	print "Fallback: speculative aborts by reason / `spf_attempt`, summed over the"
	print "mode-2 runs of that row (system-wide `/proc/vmstat` deltas); \"spf ok\" is"
	print "`spf_success` / `pgfault` in mode 2."
	if (nmeta) {
		print ""
		print "Run:"
		print ""
		for (i = 1; i <= nmeta; i++) print "    " meta[i]
	}
	if (nboots > 1) {
		print ""
		printf "**Warning: the input holds %d runner invocations; the medians below mix them.**\n", nboots
	}
	print ""
	printf "%d measured runs, %d warm-up runs, %d failed runs.\n", nruns, nwarm, nfail

	have2 = ("2" in seenm); have1 = ("1" in seenm); have0 = ("0" in seenm)
	printf "" > datf
	pi = 0
	for (bi = 1; bi <= nb; bi++) {
		b = border[bi]
		n = nt[b]
		for (i = 1; i <= n; i++) ts[i] = tl[b, i]
		sortnum(ts, n)
		print ""
		print "## " b
		print ""
		hdr = "| tasks |"; sep = "|---:|"
		for (j = 1; j <= nmo; j++) if ((b, mo[j]) in bm) {
			hdr = hdr " " modename(mo[j]) " ops/s |"; sep = sep "---|"
		}
		if (have2 && have1) { hdr = hdr " 2/1 |"; sep = sep "---:|" }
		if (have2 && have0) { hdr = hdr " 2/0 |"; sep = sep "---:|" }
		if (have2) { hdr = hdr " mode-2 fallback by reason | spf ok |"; sep = sep "---|---:|" }
		print hdr; print sep
		for (i = 1; i <= n; i++) {
			t = ts[i]
			row = "| " t (t + 0 > cores + 0 ? " †" : "") " |"
			if (t + 0 > cores + 0) over = 1
			for (j = 1; j <= nmo; j++) if ((b, mo[j]) in bm) {
				k = b SUBSEP t SUBSEP mo[j]
				if (cnt[k]) {
					stats(k)
					c = fmt(S_med) " (" fmt(S_min) "–" fmt(S_max) ")"
				} else c = "–"
				if (fails[k]) c = c " [" fails[k] " failed]"
				row = row " " c " |"
			}
			m2 = med(b SUBSEP t SUBSEP "2")
			if (have2 && have1) {
				m1 = med(b SUBSEP t SUBSEP "1")
				row = row " " ((m2 != "" && m1 > 0) ? sprintf("%.2f", m2 / m1) : "–") " |"
			}
			if (have2 && have0) {
				m0 = med(b SUBSEP t SUBSEP "0")
				row = row " " ((m2 != "" && m0 > 0) ? sprintf("%.2f", m2 / m0) : "–") " |"
			}
			if (have2) {
				k = b SUBSEP t SUBSEP "2"
				if (!((k, "spf_attempt") in chave)) fb = "n/a"
				else if (csum[k, "spf_attempt"] == 0) fb = "no attempts"
				else {
					att = csum[k, "spf_attempt"]; tot = 0; det = ""
					for (r = 1; r <= nr; r++) {
						x = csum[k, reasons[r]]
						if (x > 0) {
							tot += x
							det = det (det == "" ? "" : ", ") substr(reasons[r], 11) " " sprintf("%.1f%%", 100 * x / att)
						}
					}
					fb = sprintf("%.1f%%", 100 * tot / att) (det == "" ? "" : ": " det)
				}
				if ((k, "spf_success") in chave && csum[k, "pgfault"] > 0)
					ok = sprintf("%.1f%%", 100 * csum[k, "spf_success"] / csum[k, "pgfault"])
				else ok = "n/a"
				row = row " " fb " | " ok " |"
			}
			print row
		}
		if (over) {
			print ""
			printf "† more tasks than host cores (%d): they time-share the cores, so this row shows oversubscription, not parallel scaling.\n", cores
			over = 0
		}
		# latency (contention)
		lat = 0
		for (i = 1; i <= n; i++) for (j = 1; j <= nmo; j++)
			if (cnt[b SUBSEP ts[i] SUBSEP mo[j] SUBSEP "p50_ns"]) lat = 1
		if (lat) {
			print ""
			print "Fault latency, median over runs of each run'"'"'s percentile (ns), and the"
			print "background mmap/mprotect/munmap thread'"'"'s ops/s:"
			print ""
			print "| tasks | mode | p50 ns | p99 ns | max ns | background ops/s |"
			print "|---:|---|---:|---:|---:|---:|"
			for (i = 1; i <= n; i++) for (j = 1; j <= nmo; j++) {
				k = b SUBSEP ts[i] SUBSEP mo[j]
				if (!cnt[k SUBSEP "p50_ns"]) continue
				printf "| %s | %s | %s | %s | %s | %s |\n", ts[i], modename(mo[j]),
					fmt(med(k SUBSEP "p50_ns")), fmt(med(k SUBSEP "p99_ns")),
					fmt(med(k SUBSEP "max_ns")), fmt(med(k SUBSEP "bg_ops_per_sec"))
			}
		}
		# plot data: one gnuplot index per benchmark with data, columns tasks + modes
		any = 0
		for (i = 1; i <= n; i++) for (j = 1; j <= nmo; j++)
			if (cnt[b SUBSEP ts[i] SUBSEP mo[j]]) { any = 1; plotm[b, mo[j]] = 1 }
		if (!any) continue
		plotb[++np] = b
		if (pi++) printf "\n\n" >> datf
		printf "# %s\n", b >> datf
		for (i = 1; i <= n; i++) {
			line = ts[i]
			for (j = 1; j <= nmo; j++) {
				v = med(b SUBSEP ts[i] SUBSEP mo[j])
				line = line " " (v == "" ? "?" : v)
			}
			print line >> datf
		}
	}
	close(datf)

	# gnuplot script
	if (!np) { close(gpf); exit }
	cols = np < 3 ? np : 3
	rows = int((np + cols - 1) / cols)
	printf "set terminal pngcairo size %d,%d noenhanced font \",9\"\n", 420 * cols, 320 * rows + 40 > gpf
	printf "set output \"%s\"\n", png >> gpf
	print "set datafile missing \"?\"" >> gpf
	print "set key top left box opaque" >> gpf
	print "set grid" >> gpf
	print "set xlabel \"tasks\"" >> gpf
	print "set ylabel \"ops/s (median)\"" >> gpf
	print "set yrange [0:*]" >> gpf
	print "set format y \"%.1s%c\"" >> gpf
	printf "set multiplot layout %d,%d title \"%s: scaling by task count per mode\\nQEMU with %s, %d-core host: compare ratios within this boot only\"\n", rows, cols, title, accel, cores >> gpf
	for (bi = 1; bi <= np; bi++) {
		b = plotb[bi]
		n = nt[b]
		printf "set title \"%s\"\n", b >> gpf
		xt = ""
		for (i = 1; i <= n; i++) ts[i] = tl[b, i]
		sortnum(ts, n)
		for (i = 1; i <= n; i++) xt = xt (i > 1 ? ", " : "") ts[i]
		printf "set xtics (%s)\n", xt >> gpf
		printf "set xrange [%g:%g]\n", ts[1] - 0.5, ts[n] + 0.5 >> gpf
		pl = ""
		for (j = 1; j <= nmo; j++) if ((b, mo[j]) in plotm)
			pl = pl (pl == "" ? "" : ", ") sprintf("\"%s\" index %d using 1:%d with linespoints lw 2 pt 7 title \"%s\"", datf, bi - 1, j + 1, modename(mo[j]))
		print "plot " pl >> gpf
	}
	print "unset multiplot" >> gpf
	close(gpf)
}
' "$tmp/in" >"$tmp/report.md" || exit 1

if [ -n "$png" ]; then
	if ! [ -s "$tmp/plot.gp" ]; then
		printf '\n(no plot: no successful runs)\n' >>"$tmp/report.md"
	elif command -v gnuplot >/dev/null 2>&1; then
		# pngcairo looks better; plain png (libgd) where cairo is missing
		if ! gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1; then
			sed 's/^set terminal pngcairo \(size [0-9,]*\).*/set terminal png \1/' \
				"$tmp/plot.gp" >"$tmp/plot2.gp" && mv "$tmp/plot2.gp" "$tmp/plot.gp"
		fi
		if gnuplot "$tmp/plot.gp" 2>"$tmp/gp.err"; then
			printf '\n![scaling by task count per mode](%s)\n' "$(basename "$png")" >>"$tmp/report.md"
		else
			echo "report.sh: gnuplot failed:" >&2
			cat "$tmp/gp.err" >&2
			printf '\n(plot not generated: gnuplot failed)\n' >>"$tmp/report.md"
		fi
	else
		echo "report.sh: gnuplot not found, no plot" >&2
		printf '\n(plot not generated: gnuplot not installed)\n' >>"$tmp/report.md"
	fi
fi

if [ -n "$out" ]; then
	cp "$tmp/report.md" "$out" || exit 1
else
	cat "$tmp/report.md"
fi
