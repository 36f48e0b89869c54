# Workbench for the speculative page fault series on Debian's Linux 6.12.
# Every target is a thin wrapper around one script in scripts/.
#
# Variables: ARCH=x86_64|powerpc  BASE=1 (series not applied)  DEBUG=1
# (lockdep, PROVE_RCU, DEBUG_VM, KASAN on x86)  SMP  MEM  CMD  CATEGORIES
# MMU=hash  ICOUNT=1  TIMEOUT  BENCH_ARGS  COST_ARGS  CONFIGS (see README.md)

ARCH ?= x86_64
export ARCH
SHELL := /bin/bash
S := scripts

.PHONY: help deps tree retree export build run shell check configs bisect stress soak bench cost clean

## make help      this list
help:
	@sed -n 's/^## make /  /p' $(firstword $(MAKEFILE_LIST))

## make deps      install the packages the workbench needs (as root)
deps:
	$(S)/deps.sh

## make tree      build/linux: base + patches/series, as a git tree to hack in
tree: deps
	$(S)/tree.sh

## make retree    throw build/linux away and re-apply patches/
retree: deps
	rm -rf build/linux build/linux-base
	git -C . worktree prune 2>/dev/null || true
	$(S)/tree.sh

## make export    regenerate patches/ from the commits in build/linux
export:
	$(S)/export.sh

## make build     kernel + initramfs for ARCH
build: tree
	$(S)/build-kernel.sh
	$(S)/build-initramfs.sh

## make run       boot, print the kernel version and fault counters (or run CMD='...'; write $ as $$)
run: build
	$(S)/boot.sh "$${CMD:-uname -a; vmstat-summary}"

## make shell     boot to an interactive guest shell
shell: build
	$(S)/boot.sh

## make check     checkpatch + build + boot + mm selftests; last line N passed, N failed
check: deps
	$(S)/check.sh

## make configs   build what the series touches on a matrix of configs, W=1 (BASE=1 records the base's warnings)
configs: deps
	$(S)/configs.sh

## make bisect    every prefix of the series builds (make configs on each commit; slow, not in CI)
bisect: deps
	$(S)/bisect.sh

## make stress    stress-ng memory stressors with --verify, in every mode, in one boot
stress: build
	$(S)/boot.sh "stress-verify $${STRESS_ARGS:-}"

## make soak      spf_race and collapse_race in turn for SOAK_MINUTES (30) on the DEBUG=1 kernel
soak: export DEBUG ?= 1
soak: build
	TIMEOUT=$$(( $${SOAK_MINUTES:-30} * 60 + 900 )) $(S)/boot.sh "soak $${SOAK_MINUTES:-30}"

## make bench     benchmarks, three modes in one boot (see bench/)
bench: build
	$(S)/bench.sh

## make cost      instructions per op in every mode and on the base kernel, with icount; fails over the gate
cost: deps
	$(S)/cost.sh

## make clean     remove build/out (kernels, images, logs; not the tree)
clean:
	rm -rf build/out
