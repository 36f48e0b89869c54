// SPDX-License-Identifier: GPL-2.0
/*
 * faultbench - page-fault and mmap scalability microbenchmarks.
 *
 * Modelled on the ideas of the will-it-scale page_fault and mmap tests
 * (independent implementation): N tasks (forked processes or threads)
 * run the same loop, each bumping its own counter in a shared, cache-line
 * padded array; the parent samples the counters after a warm-up and again
 * after the measured interval, without touching the workers' memory.
 *
 * Tests (an "op" is one page faulted, or one mmap+munmap pair):
 *   page_fault1  private anonymous mapping, write one byte per page, munmap
 *   page_fault2  private mapping of a tmpfs file, write (COW), munmap
 *   page_fault3  shared mapping of a tmpfs file, write, munmap
 *   mmap1        anonymous mmap + munmap, no touching
 *   mmap2        file mmap + munmap, no touching
 *   contention   N fault threads on private regions (touch, MADV_DONTNEED)
 *                plus one thread doing mmap/mprotect/munmap elsewhere in
 *                the same address space; reports fault latency percentiles
 *
 * Output: one line, e.g.
 *   RESULT test=page_fault1 mode=threads tasks=2 ops=... seconds=... ops_per_sec=...
 *
 * Only libc and pthreads; the page size always comes from sysconf().
 * Exit codes: 0 success, 1 runtime failure, 2 bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_TASKS	1024
#define SLOT_BYTES	128	/* ppc64 cache line; also avoids x86 adjacent-line prefetch sharing */

#define PHASE_WARMUP	0
#define PHASE_MEASURE	1
#define PHASE_STOP	2

/* latency histogram: exact below 64 ns, then 32 sub-buckets per power of two */
#define HIST_LINEAR	64
#define HIST_SUB_BITS	5
#define HIST_SUB	(1 << HIST_SUB_BITS)
#define HIST_MAX_EXP	47
#define HIST_BUCKETS	(HIST_LINEAR + (HIST_MAX_EXP - 6 + 1) * HIST_SUB)

enum test_id { T_PF1, T_PF2, T_PF3, T_MMAP1, T_MMAP2, T_CONT };

static const struct test_desc {
	const char *name;
	enum test_id id;
	int needs_file;
	const char *what;
} tests[] = {
	{ "page_fault1", T_PF1, 0, "private anonymous mapping, write every page, munmap" },
	{ "page_fault2", T_PF2, 1, "private file mapping (tmpfs), write every page (COW), munmap" },
	{ "page_fault3", T_PF3, 1, "shared file mapping (tmpfs), write every page, munmap" },
	{ "mmap1",       T_MMAP1, 0, "anonymous mmap + munmap loop" },
	{ "mmap2",       T_MMAP2, 1, "file mmap + munmap loop" },
	{ "contention",  T_CONT, 0, "fault threads (touch, MADV_DONTNEED) + one mmap/mprotect/munmap thread" },
};

struct slot {
	volatile uint64_t ops;
	char pad[SLOT_BYTES - sizeof(uint64_t)];
};

/* shared between parent and workers (MAP_SHARED, survives fork) */
struct shared {
	volatile int phase;
	volatile int ready;
	volatile int go;
	volatile int failed;
	char errmsg[256];
	char pad[SLOT_BYTES];
	struct slot bg;			/* contention: background thread ops */
	struct slot slot[];		/* one per task */
};

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t max;
	uint64_t b[HIST_BUCKETS];
};

static struct {
	const struct test_desc *test;
	int threads;		/* 1 = threads, 0 = processes */
	int tasks;
	double seconds;
	double warmup;
	size_t size;
	const char *dir;
	size_t bg_size;
	int quiet;
	int thp;		/* 1 = leave THP policy alone (-H) */
} opt;

static const char *prog = "faultbench";
static long pagesize;
static struct shared *sh;
static struct hist *hists;	/* contention: one per fault thread */

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: %s TEST [options]\n"
		"       %s list | nproc | help\n"
		"\n"
		"tests:\n", prog, prog);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		fprintf(f, "  %-12s %s\n", tests[i].name, tests[i].what);
	fprintf(f,
		"\n"
		"options:\n"
		"  -m MODE   threads | processes (default threads; contention: threads only)\n"
		"  -t N      number of tasks, 1..%d (default 1); contention: fault threads\n"
		"  -d SEC    measured seconds, > 0 (default 5; decimals allowed)\n"
		"  -w SEC    warm-up seconds before measuring, >= 0 (default 1)\n"
		"  -s SIZE   region size per task, suffix K/M/G allowed (default 128M;\n"
		"            rounded up to the page size)\n"
		"  -f DIR    directory for the backing files of page_fault2/3 and mmap2\n"
		"            (default /tmp; should be tmpfs; files are unlinked at once)\n"
		"  -b SIZE   contention: size of the background thread's mappings (default 1M)\n"
		"  -H        allow transparent huge pages (default: MADV_NOHUGEPAGE on the\n"
		"            faulted regions, so that one op is one page-table-entry fault)\n"
		"  -q        no progress messages on stderr\n"
		"\n"
		"An op is one page faulted (page_fault*, contention) or one mmap+munmap\n"
		"pair (mmap*). The result is one line on stdout starting with RESULT.\n"
		"Exit status: 0 ok, 1 runtime failure, 2 bad arguments.\n",
		MAX_TASKS);
}

static void __attribute__((noreturn)) bad_arg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	usage(stderr);
	exit(2);
}

static void msg(const char *fmt, ...)
{
	va_list ap;

	if (opt.quiet)
		return;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* Called from workers: record the first error and stop everybody. */
static void worker_fail(const char *what, int err)
{
	if (__atomic_exchange_n(&sh->failed, 1, __ATOMIC_SEQ_CST) == 0)
		snprintf(sh->errmsg, sizeof(sh->errmsg), "%s: %s", what, strerror(err));
	__atomic_store_n(&sh->phase, PHASE_STOP, __ATOMIC_SEQ_CST);
}

static inline int stopping(void)
{
	return __atomic_load_n(&sh->phase, __ATOMIC_RELAXED) == PHASE_STOP;
}

static inline void add_op(struct slot *s, uint64_t n)
{
	/* single writer per slot: plain load + atomic store is enough */
	__atomic_store_n(&s->ops, s->ops + n, __ATOMIC_RELAXED);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void sleep_until(double t)
{
	for (;;) {
		double left = t - now();
		struct timespec ts;

		if (left <= 0 || sh->failed)
			return;
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

/* ---------- argument parsing ---------- */

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v != v || v > 1e6 || v < -1e6)
		return -1;
	*out = v;
	return 0;
}

static int parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v, mul = 1;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	default: return -1;
	}
	if (mul > 1 && *end == 'i')	/* accept K, KB, KiB, ... */
		end++;
	if (mul > 1 && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || v == 0 || v > (1ull << 46) / mul)
		return -1;
	*out = (size_t)(v * mul);
	return 0;
}

static void parse_args(int argc, char **argv)
{
	size_t i;
	int c;
	long l;

	if (argc < 2)
		bad_arg("missing TEST");
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		exit(0);
	}
	if (!strcmp(argv[1], "list")) {
		for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
			printf("%s\n", tests[i].name);
		exit(0);
	}
	if (!strcmp(argv[1], "nproc")) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		printf("%ld\n", n > 0 ? n : 1);
		exit(0);
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(argv[1], tests[i].name))
			opt.test = &tests[i];
	if (!opt.test)
		bad_arg("unknown test '%s'", argv[1]);

	opt.threads = 1;
	opt.tasks = 1;
	opt.seconds = 5;
	opt.warmup = 1;
	opt.size = 128u << 20;
	opt.dir = "/tmp";
	opt.bg_size = 1u << 20;

	opterr = 0;
	optind = 2;
	while ((c = getopt(argc, argv, ":m:t:d:w:s:f:b:qHh")) != -1) {
		switch (c) {
		case 'm':
			if (!strcmp(optarg, "threads") || !strcmp(optarg, "thread"))
				opt.threads = 1;
			else if (!strcmp(optarg, "processes") || !strcmp(optarg, "process"))
				opt.threads = 0;
			else
				bad_arg("-m: expected threads or processes, got '%s'", optarg);
			break;
		case 't':
			if (parse_int(optarg, 1, MAX_TASKS, &l))
				bad_arg("-t: expected an integer 1..%d, got '%s'", MAX_TASKS, optarg);
			opt.tasks = (int)l;
			break;
		case 'd':
			if (parse_double(optarg, &opt.seconds) || opt.seconds <= 0)
				bad_arg("-d: expected seconds > 0, got '%s'", optarg);
			break;
		case 'w':
			if (parse_double(optarg, &opt.warmup) || opt.warmup < 0)
				bad_arg("-w: expected seconds >= 0, got '%s'", optarg);
			break;
		case 's':
			if (parse_size(optarg, &opt.size))
				bad_arg("-s: expected a size such as 4096, 512K, 16M, 1G; got '%s'", optarg);
			break;
		case 'b':
			if (parse_size(optarg, &opt.bg_size))
				bad_arg("-b: expected a size such as 64K or 1M; got '%s'", optarg);
			break;
		case 'f':
			if (!*optarg)
				bad_arg("-f: empty directory");
			opt.dir = optarg;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'H':
			opt.thp = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad_arg("option -%c needs an argument", optopt);
		default:
			bad_arg("unknown option -%c", optopt);
		}
	}
	if (optind < argc)
		bad_arg("unexpected argument '%s'", argv[optind]);
	if (opt.test->id == T_CONT && !opt.threads)
		bad_arg("contention runs in one address space: threads mode only");

	/* round sizes up to whole pages */
	opt.size = (opt.size + pagesize - 1) / pagesize * pagesize;
	opt.bg_size = (opt.bg_size + pagesize - 1) / pagesize * pagesize;
	if (opt.test->id == T_CONT && opt.bg_size < 2 * (size_t)pagesize)
		opt.bg_size = 2 * pagesize;	/* needs two pages for the mprotect split */
}

/* ---------- per-test setup ---------- */

/*
 * Create an unlinked file of opt.size bytes in opt.dir; returns fd or -1.
 * With prealloc, its blocks are allocated now, so a full tmpfs shows up
 * here as ENOSPC instead of as SIGBUS in the middle of the run.
 */
static int make_file(int prealloc)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/faultbench.XXXXXX", opt.dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (prealloc) {
		err = posix_fallocate(fd, 0, (off_t)opt.size);
		if (err) {
			close(fd);
			errno = err;
			return -1;
		}
	} else if (ftruncate(fd, (off_t)opt.size)) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* MemAvailable in bytes, or 0 if unknown */
static unsigned long long mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long long kb = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return kb << 10;
}

/* refuse runs that would end in the OOM killer or a full tmpfs */
static void check_memory(void)
{
	unsigned long long per_task = 0, need, avail;

	switch (opt.test->id) {
	case T_PF1: case T_PF3: case T_CONT: per_task = opt.size; break;
	case T_PF2: per_task = 2ull * opt.size; break;	/* file pages + COW copies */
	case T_MMAP1: case T_MMAP2: per_task = 0; break;	/* never touched */
	}
	need = per_task * opt.tasks;
	avail = mem_available();
	if (need && avail && need > avail / 10 * 9) {
		fprintf(stderr, "%s: %s needs about %llu MiB but only %llu MiB are available: "
			"lower -s or -t\n", prog, opt.test->name, need >> 20, avail >> 20);
		exit(1);
	}
}

static void fatal_signal(int sig)
{
	static const char m1[] = "faultbench: fatal SIGBUS (tmpfs full?)\n";
	static const char m2[] = "faultbench: fatal signal\n";

	if (sig == SIGBUS) {
		if (write(2, m1, sizeof(m1) - 1) < 0)
			_exit(1);
	} else if (write(2, m2, sizeof(m2) - 1) < 0) {
		_exit(1);
	}
	_exit(1);
}

static void check_dir(void)
{
	struct statfs sfs;

	if (statfs(opt.dir, &sfs)) {
		fprintf(stderr, "%s: %s: %s\n", prog, opt.dir, strerror(errno));
		exit(1);
	}
	/* TMPFS_MAGIC 0x01021994, RAMFS_MAGIC 0x858458f6 */
	if ((unsigned long)sfs.f_type != 0x01021994ul && (unsigned long)sfs.f_type != 0x858458f6ul)
		fprintf(stderr, "%s: warning: %s is not tmpfs/ramfs (f_type 0x%lx); "
			"results include that filesystem's costs\n",
			prog, opt.dir, (unsigned long)sfs.f_type);
}

/* ---------- workers ---------- */

/* one op = one PTE fault: keep THP out unless -H (errors ignored: !CONFIG_THP) */
static void no_thp(void *p, size_t len)
{
	if (!opt.thp)
		madvise(p, len, MADV_NOHUGEPAGE);
}

/*
 * Report set-up done, then wait for the start signal: nobody starts its
 * loop while the parent is still creating tasks (with hundreds of mmap
 * loops running, creating the rest could starve on mmap_lock).
 */
static void mark_ready(void)
{
	struct timespec ts = { 0, 1000000 };

	__atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE) && !stopping())
		nanosleep(&ts, NULL);
}

/* page_fault1/2/3: map, write one byte per page, unmap, repeat */
static void run_page_fault(struct slot *s)
{
	int fd = -1, flags = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t off;

	if (opt.test->id != T_PF1) {
		fd = make_file(1);
		if (fd < 0) {
			worker_fail("creating the backing file", errno);
			mark_ready();
			return;
		}
		flags = opt.test->id == T_PF2 ? MAP_PRIVATE : MAP_SHARED;
	}
	mark_ready();
	while (!stopping()) {
		char *p = mmap(NULL, opt.size, PROT_READ | PROT_WRITE, flags, fd, 0);

		if (p == MAP_FAILED) {
			worker_fail("mmap", errno);
			break;
		}
		no_thp(p, opt.size);
		for (off = 0; off < opt.size; off += pagesize) {
			((volatile char *)p)[off] = 1;
			add_op(s, 1);
			if (stopping())
				break;
		}
		if (munmap(p, opt.size)) {
			worker_fail("munmap", errno);
			break;
		}
	}
	if (fd >= 0)
		close(fd);
}

/* mmap1/2: map and unmap, never touching */
static void run_mmap(struct slot *s)
{
	int fd = -1, flags = MAP_PRIVATE | MAP_ANONYMOUS;

	if (opt.test->id == T_MMAP2) {
		fd = make_file(0);
		if (fd < 0) {
			worker_fail("creating the backing file", errno);
			mark_ready();
			return;
		}
		flags = MAP_SHARED;
	}
	mark_ready();
	while (!stopping()) {
		void *p = mmap(NULL, opt.size, PROT_READ | PROT_WRITE, flags, fd, 0);

		if (p == MAP_FAILED) {
			worker_fail("mmap", errno);
			break;
		}
		if (munmap(p, opt.size)) {
			worker_fail("munmap", errno);
			break;
		}
		add_op(s, 1);
	}
	if (fd >= 0)
		close(fd);
}

static inline void hist_add(struct hist *h, uint64_t v)
{
	unsigned int idx;

	if (v < HIST_LINEAR) {
		idx = (unsigned int)v;
	} else {
		int e = 63 - __builtin_clzll(v);	/* >= 6 */

		if (e > HIST_MAX_EXP) {
			e = HIST_MAX_EXP;
			v = (2ull << HIST_MAX_EXP) - 1;
		}
		idx = HIST_LINEAR + (e - 6) * HIST_SUB +
		      (unsigned int)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
	}
	h->b[idx]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* representative value (middle) of a bucket */
static uint64_t hist_value(unsigned int idx)
{
	unsigned int e, sub;
	uint64_t lo, width;

	if (idx < HIST_LINEAR)
		return idx;
	e = (idx - HIST_LINEAR) / HIST_SUB + 6;
	sub = (idx - HIST_LINEAR) % HIST_SUB;
	width = 1ull << (e - HIST_SUB_BITS);
	lo = (1ull << e) + sub * width;
	return lo + width / 2;
}

static uint64_t hist_percentile(const struct hist *h, double pct)
{
	uint64_t want, cum = 0;
	unsigned int i;

	if (!h->count)
		return 0;
	want = (uint64_t)(pct / 100.0 * h->count);
	if (want < 1)
		want = 1;
	if ((double)want < pct / 100.0 * h->count)
		want++;
	for (i = 0; i < HIST_BUCKETS; i++) {
		cum += h->b[i];
		if (cum >= want) {
			uint64_t v = hist_value(i);

			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* contention: fault thread */
static void run_contention_faulter(struct slot *s, struct hist *h)
{
	char *p = mmap(NULL, opt.size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	if (p == MAP_FAILED) {
		worker_fail("mmap", errno);
		mark_ready();
		return;
	}
	no_thp(p, opt.size);
	mark_ready();
	while (!stopping()) {
		for (off = 0; off < opt.size; off += pagesize) {
			uint64_t t0, t1;

			t0 = now_ns();
			__asm__ __volatile__("" ::: "memory");
			((volatile char *)p)[off] = 1;
			__asm__ __volatile__("" ::: "memory");
			t1 = now_ns();
			if (__atomic_load_n(&sh->phase, __ATOMIC_RELAXED) == PHASE_MEASURE)
				hist_add(h, t1 - t0);
			add_op(s, 1);
			if (stopping())
				break;
		}
		if (madvise(p, opt.size, MADV_DONTNEED)) {
			worker_fail("madvise(MADV_DONTNEED)", errno);
			break;
		}
	}
	munmap(p, opt.size);
}

/* contention: background thread changing the address space elsewhere */
static void run_contention_bg(void)
{
	size_t half = opt.bg_size / pagesize / 2 * pagesize;

	mark_ready();
	while (!stopping()) {
		char *p = mmap(NULL, opt.bg_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED) {
			worker_fail("background mmap", errno);
			break;
		}
		/* split the VMA, then merge it back */
		if (mprotect(p, half, PROT_READ) || mprotect(p, half, PROT_READ | PROT_WRITE)) {
			worker_fail("background mprotect", errno);
			break;
		}
		if (munmap(p, opt.bg_size)) {
			worker_fail("background munmap", errno);
			break;
		}
		add_op(&sh->bg, 1);
	}
}

struct targ {
	int idx;
	int bg;
};

static void *thread_main(void *a)
{
	struct targ *ta = a;

	if (opt.test->id == T_CONT) {
		if (ta->bg)
			run_contention_bg();
		else
			run_contention_faulter(&sh->slot[ta->idx], &hists[ta->idx]);
	} else if (opt.test->id == T_MMAP1 || opt.test->id == T_MMAP2) {
		run_mmap(&sh->slot[ta->idx]);
	} else {
		run_page_fault(&sh->slot[ta->idx]);
	}
	return NULL;
}

/* ---------- main ---------- */

/* snapshot every task's counter into snap[]; returns the sum */
static uint64_t read_ops(uint64_t *snap)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < opt.tasks; i++) {
		snap[i] = __atomic_load_n(&sh->slot[i].ops, __ATOMIC_RELAXED);
		t += snap[i];
	}
	return t;
}

int main(int argc, char **argv)
{
	int nworkers, i, rc = 0, started = 0;
	size_t shsize;
	pthread_t *tids = NULL;
	pid_t *pids = NULL;
	struct targ *targs = NULL;
	uint64_t ops0, ops1, bg0 = 0, bg1 = 0;
	double t0, t1, tstart, elapsed;
	uint64_t *ops_a, *ops_b;
	pthread_attr_t attr;

	pagesize = sysconf(_SC_PAGESIZE);
	if (pagesize <= 0)
		pagesize = 4096;
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(argc, argv);

	if (opt.test->needs_file)
		check_dir();
	check_memory();
	signal(SIGBUS, fatal_signal);
	signal(SIGSEGV, fatal_signal);

	nworkers = opt.tasks + (opt.test->id == T_CONT);
	shsize = sizeof(struct shared) + (size_t)opt.tasks * sizeof(struct slot);
	sh = mmap(NULL, shsize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ops_a = calloc(opt.tasks, sizeof(*ops_a));
	ops_b = calloc(opt.tasks, sizeof(*ops_b));
	targs = calloc(nworkers, sizeof(*targs));
	tids = calloc(nworkers, sizeof(*tids));
	pids = calloc(nworkers, sizeof(*pids));
	if (opt.test->id == T_CONT)
		hists = calloc(opt.tasks, sizeof(*hists));
	if (sh == MAP_FAILED || !ops_a || !ops_b || !targs || !tids || !pids ||
	    (opt.test->id == T_CONT && !hists)) {
		fprintf(stderr, "%s: out of memory setting up\n", prog);
		return 1;
	}
	memset(sh, 0, shsize);	/* pre-fault the counters before any fork */

	msg("%s: %s x%d, size %zu KiB/task, page %ld, warm-up %.2fs, measure %.2fs",
	    opt.test->name, opt.threads ? "threads" : "processes", opt.tasks,
	    opt.size >> 10, pagesize, opt.warmup, opt.seconds);

	/* small stacks: the workers need little, and the guest is small */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < nworkers; i++) {
		targs[i].idx = i;
		targs[i].bg = i == opt.tasks;
		if (opt.threads) {
			int err = pthread_create(&tids[i], &attr, thread_main, &targs[i]);

			if (err) {
				fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
				rc = 1;
				break;
			}
		} else {
			pid_t pid = fork();

			if (pid < 0) {
				fprintf(stderr, "%s: fork: %s\n", prog, strerror(errno));
				rc = 1;
				break;
			}
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() == 1)
					_exit(1);
				thread_main(&targs[i]);
				_exit(0);
			}
			pids[i] = pid;
		}
		started++;
	}

	if (!rc) {
		/* wait for every worker to have set up (bounded: 60 s) */
		tstart = now();
		while (__atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) < nworkers &&
		       !sh->failed && now() - tstart < 60) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
		if (sh->ready < nworkers && !sh->failed) {
			fprintf(stderr, "%s: workers did not start within 60 s\n", prog);
			rc = 1;
		}
	}

	__atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
	t0 = t1 = now();
	ops0 = ops1 = 0;
	if (!rc && !sh->failed) {
		sleep_until(t0 + opt.warmup);
		t0 = now();
		ops0 = read_ops(ops_a);
		bg0 = sh->bg.ops;
		__atomic_store_n(&sh->phase, PHASE_MEASURE, __ATOMIC_SEQ_CST);
		sleep_until(t0 + opt.seconds);
		t1 = now();
		ops1 = read_ops(ops_b);
		bg1 = sh->bg.ops;
	}
	__atomic_store_n(&sh->phase, PHASE_STOP, __ATOMIC_SEQ_CST);

	for (i = 0; i < started; i++) {
		if (opt.threads) {
			pthread_join(tids[i], NULL);
		} else {
			int status;

			while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
				;
			if (WIFSIGNALED(status)) {
				fprintf(stderr, "%s: worker %d killed by signal %d%s\n", prog, i,
					WTERMSIG(status),
					WTERMSIG(status) == SIGKILL ? " (out of memory?)" : "");
				rc = 1;
			} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
				rc = 1;
			}
		}
	}
	if (sh->failed) {
		fprintf(stderr, "%s: worker failed: %s\n", prog, sh->errmsg);
		rc = 1;
	}
	if (rc) {
		fprintf(stderr, "%s: %s failed, no result\n", prog, opt.test->name);
		goto out;
	}

	elapsed = t1 - t0;
	{
		uint64_t ops = ops1 - ops0, mn = UINT64_MAX, mx = 0;

		for (i = 0; i < opt.tasks; i++) {
			uint64_t d = ops_b[i] - ops_a[i];

			if (d < mn)
				mn = d;
			if (d > mx)
				mx = d;
		}
		printf("RESULT test=%s mode=%s tasks=%d ops=%llu seconds=%.2f ops_per_sec=%.1f "
		       "task_min=%llu task_max=%llu pagesize=%ld size_kib=%zu thp=%d",
		       opt.test->name, opt.threads ? "threads" : "processes", opt.tasks,
		       (unsigned long long)ops, elapsed, ops / elapsed,
		       (unsigned long long)mn, (unsigned long long)mx,
		       pagesize, opt.size >> 10, opt.thp);
	}
	if (opt.test->id == T_CONT) {
		struct hist *all = calloc(1, sizeof(*all));
		unsigned int b;

		if (!all) {
			printf("\n");
			fprintf(stderr, "%s: out of memory merging histograms\n", prog);
			rc = 1;
			goto out;
		}
		for (i = 0; i < opt.tasks; i++) {
			for (b = 0; b < HIST_BUCKETS; b++)
				all->b[b] += hists[i].b[b];
			all->count += hists[i].count;
			all->sum += hists[i].sum;
			if (hists[i].max > all->max)
				all->max = hists[i].max;
		}
		printf(" samples=%llu mean_ns=%.0f p50_ns=%llu p99_ns=%llu max_ns=%llu "
		       "bg_ops=%llu bg_ops_per_sec=%.1f",
		       (unsigned long long)all->count,
		       all->count ? (double)all->sum / all->count : 0.0,
		       (unsigned long long)hist_percentile(all, 50),
		       (unsigned long long)hist_percentile(all, 99),
		       (unsigned long long)all->max,
		       (unsigned long long)(bg1 - bg0), (bg1 - bg0) / elapsed);
		free(all);
	}
	printf("\n");
out:
	pthread_attr_destroy(&attr);
	free(ops_a);
	free(ops_b);
	free(targs);
	free(tids);
	free(pids);
	free(hists);
	return rc;
}
