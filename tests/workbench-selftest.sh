#!/usr/bin/env bash
# The workbench's own test: make check must fail when checkpatch does not
# run, and when QEMU does not boot the guest, even with an old passing log
# left behind.  Each case must fail for its own reason, not another one.
#
# Needs a built x86_64 kernel (run after make check): the fake-QEMU case goes
# through the build step.  Usage: tests/workbench-selftest.sh
set -u
cd "$(dirname "$0")/.." || { echo "error: cannot cd to the repository"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect_fail name reason-regexp command...: the command must exit non-zero,
# print the reason, and never print a passing verdict.
expect_fail() {
	local name=$1 why=$2 rc=0
	shift 2
	echo "---- $name"
	"$@" >"$tmp/$name.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "FAIL $name: make check exited 0"
		fails=$((fails + 1))
	elif ! grep -qE "$why" "$tmp/$name.log"; then
		echo "FAIL $name: exit $rc, but not for the expected reason ('$why'); last lines:"
		tail -5 "$tmp/$name.log" | sed 's/^/    /'
		fails=$((fails + 1))
	elif grep -qE '^[0-9]+ passed, 0 failed' "$tmp/$name.log"; then
		echo "FAIL $name: a passing verdict was printed"
		fails=$((fails + 1))
	else
		echo "ok $name: exit $rc, $(grep -m1 -oE "$why" "$tmp/$name.log")"
	fi
}

# 1. A checkpatch that prints nothing and fails.
printf 'exit 1;\n' >"$tmp/fake-checkpatch.pl"
expect_fail fake-checkpatch "checkpatch did not check" \
	env CHECKPATCH="$tmp/fake-checkpatch.pl" make -s check ARCH=x86_64 CATEGORIES=spf

# 2. A QEMU that exits at once, with a passing log of an earlier run in place.
mkdir -p "$tmp/bin" build/out/x86_64
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/qemu-system-x86_64"
chmod +x "$tmp/bin/qemu-system-x86_64"
printf 'SPF-RESULTS-BEGIN\nSPF-RESULT spf pass spf_functional\nSPF-RESULTS-END\nSPF-TAINTED: 0\nSPF-GUEST-EXIT: 0\n' \
	>build/out/x86_64/check-main.log
expect_fail fake-qemu "boot.sh exited with status [1-9]" \
	env PATH="$tmp/bin:$PATH" ACCEL=tcg make -s check ARCH=x86_64 CATEGORIES=spf

echo
if [ "$fails" = 0 ]; then
	echo "workbench selftest: 2 of 2 faked failures fail make check"
else
	echo "workbench selftest: $fails of 2 cases did not fail make check as they must"
	exit 1
fi
