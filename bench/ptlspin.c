// SPDX-License-Identifier: GPL-2.0
/*
 * ptlspin: how long the speculative fault's bounded PTE-lock trylock loop
 * (spf_lock_pte() in mm/memory.c) spins before it gives up, on the CPU this
 * runs on.  The loop is the kernel's: a qspinlock trylock reads the lock
 * word and fails without writing it while the lock is held, then
 * cpu_relax(); SPF_PTL_SPINS times.  Here the lock word is a plain int that
 * another thread holds for the whole measurement, in two cases:
 *
 *   held       the holder only holds it: the line stays in this CPU's cache
 *   contended  the holder also keeps writing the line, as other CPUs'
 *              trylocks and queueing do on a contended lock
 *
 * Run it on real hardware (under QEMU TCG the figure says nothing about
 * any CPU).  It needs two CPUs.
 *
 *   ptlspin [-n spins] [-s samples]
 *
 * Prints a table of the loop's duration in nanoseconds: min, p50, p99, max.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__powerpc64__)
	/* the kernel's: HMT_low(), HMT_medium() */
	asm volatile("or 1,1,1\n\tor 2,2,2" ::: "memory");
#else
	asm volatile("" ::: "memory");
#endif
}

static struct {
	_Atomic int lock;
	_Atomic int noise;
} __attribute__((aligned(64))) line;

static _Atomic int mode;	/* 0: hold, 1: hold and write the line, 2: stop */
static _Atomic int ready;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* best effort: an unpinned run is still a measurement */
	sched_setaffinity(0, sizeof(set), &set);
}

static void *holder(void *arg)
{
	(void)arg;
	pin(1);
	atomic_store(&line.lock, 1);
	atomic_store(&ready, 1);
	for (;;) {
		int m = atomic_load_explicit(&mode, memory_order_relaxed);

		if (m == 2)
			break;
		if (m == 1)
			atomic_fetch_add_explicit(&line.noise, 1, memory_order_relaxed);
		else
			cpu_relax();
	}
	atomic_store(&line.lock, 0);
	return NULL;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One sample: the loop of spf_lock_pte() against a held lock. */
static double sample(unsigned int max_spins, unsigned int *spun)
{
	unsigned int spins = 0;
	double t0 = now_ns();

	while (atomic_load_explicit(&line.lock, memory_order_acquire)) {
		if (++spins > max_spins)
			break;
		cpu_relax();
	}
	*spun = spins;
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	unsigned int max_spins = 512, n = 20000, spun = 0;
	static const char *const names[] = { "held", "contended" };
	pthread_t t;
	double *d;
	int opt;

	while ((opt = getopt(argc, argv, "n:s:")) != -1) {
		switch (opt) {
		case 'n':
			max_spins = strtoul(optarg, NULL, 0);
			break;
		case 's':
			n = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: %s [-n spins] [-s samples]\n", argv[0]);
			return 2;
		}
	}
	if (!n || sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "ptlspin: needs -s > 0 and two online CPUs\n");
		return 2;
	}
	d = calloc(n, sizeof(*d));
	if (!d || pthread_create(&t, NULL, holder, NULL)) {
		perror("ptlspin");
		return 1;
	}
	pin(0);
	while (!atomic_load(&ready))
		cpu_relax();

	printf("%-10s %6s %8s %9s %9s %9s %9s\n", "case", "spins", "samples",
	       "min_ns", "p50_ns", "p99_ns", "max_ns");
	for (int m = 0; m < 2; m++) {
		atomic_store(&mode, m);
		for (unsigned int i = 0; i < n / 10 + 1; i++)	/* warm up */
			sample(max_spins, &spun);
		for (unsigned int i = 0; i < n; i++) {
			d[i] = sample(max_spins, &spun);
			if (spun <= max_spins) {
				fprintf(stderr, "ptlspin: the lock was free after %u spins\n", spun);
				return 1;
			}
		}
		qsort(d, n, sizeof(*d), cmp);
		printf("%-10s %6u %8u %9.0f %9.0f %9.0f %9.0f\n", names[m], max_spins, n,
		       d[0], d[n / 2], d[(size_t)(n * 0.99)], d[n - 1]);
	}
	atomic_store(&mode, 2);
	pthread_join(t, NULL);
	free(d);
	return 0;
}
