// SPDX-License-Identifier: GPL-2.0
/*
 * abortwork: a workload of speculative-fault aborts for checking that the
 * pagefault:spf_abort tracepoint, counted by perf, matches /proc/vmstat.
 *
 *   perf stat -a -D -1 --control fifo:CTL,ACK -e pagefault:spf_abort -x, \
 *       -- abortwork CTL ACK PAGES
 *
 * perf starts with its counters off, and filters out its own events
 * (common_pid, see guest/bin/perf-check).  abortwork prefaults everything
 * it touches later, then has perf enable the counters (through the control
 * fifo), waits for perf to settle, reads /proc/vmstat, reads PAGES pages of
 * a sparse tmpfs file (each read of a hole aborts as not_cached) and
 * writes PAGES pages of a private mapping after fork (the child's writes
 * abort as cow or are copied), writes its own stack as deep as it goes
 * later, reads /proc/vmstat again and has perf disable the counters.  It
 * prints the sum of the spf_abort_* deltas; on an otherwise idle machine
 * perf's count must be the same number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[64 * 1024];

static void die(const char *what)
{
	fprintf(stderr, "abortwork: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The sum of the spf_abort_* counters; read with no allocation. */
static unsigned long long aborts(int fd)
{
	unsigned long long sum = 0;
	ssize_t n;
	char *p;

	if (lseek(fd, 0, SEEK_SET) < 0)
		die("lseek /proc/vmstat");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		die("read /proc/vmstat");
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "spf_abort_")); p++) {
		char *v = strchr(p, ' ');

		if (!v)
			break;
		sum += strtoull(v + 1, NULL, 10);
	}
	return sum;
}

/*
 * After fork the stack's pages are shared with the child: the first write
 * to each is a write-protect fault, which may abort.  Make those writes
 * inside the window, for every page perf_ctl() may use after it.
 */
static void touch_stack(void)
{
	volatile char pad[16384];
	size_t i;

	for (i = 0; i < sizeof(pad); i += 256)
		pad[i] = 0;
}

static void perf_ctl(int ctl, int ack, const char *cmd)
{
	char reply[16];

	if (write(ctl, cmd, strlen(cmd)) < 0)
		die("write to perf's control fifo");
	if (read(ack, reply, sizeof(reply)) <= 0)
		die("read perf's ack");
}

int main(int argc, char **argv)
{
	unsigned long long before, after;
	long ps = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/abortwork.XXXXXX";
	int ctl, ack, vm, fd, i, status;
	volatile char sink = 0;
	long pages;
	char *file, *anon;
	pid_t pid;

	if (argc != 4) {
		fprintf(stderr, "usage: abortwork CTL-FIFO ACK-FIFO PAGES\n");
		return 2;
	}
	pages = atol(argv[3]);
	if (pages <= 0 || pages > 1 << 20) {
		fprintf(stderr, "abortwork: PAGES must be 1..%d\n", 1 << 20);
		return 2;
	}
	ctl = open(argv[1], O_WRONLY);
	ack = open(argv[2], O_RDONLY);
	vm = open("/proc/vmstat", O_RDONLY);
	if (ctl < 0 || ack < 0 || vm < 0)
		die("open");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	unlink(path);
	if (ftruncate(fd, pages * ps))
		die("ftruncate");
	file = mmap(NULL, pages * ps, PROT_READ, MAP_SHARED, fd, 0);
	anon = mmap(NULL, pages * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (file == MAP_FAILED || anon == MAP_FAILED)
		die("mmap");
	/* The anonymous pages exist and are shared with the child after fork */
	for (i = 0; i < pages; i++)
		anon[i * ps] = 1;
	aborts(vm);	/* fault in everything the reads touch */
	usleep(1);	/* and the code of usleep() */

	perf_ctl(ctl, ack, "enable");
	/* perf's own faults after its ack are filtered out, not counted */
	usleep(100000);
	before = aborts(vm);
	for (i = 0; i < pages; i++)
		sink += file[i * ps];
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		for (i = 0; i < pages; i++)
			anon[i * ps] = 2;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	touch_stack();
	after = aborts(vm);
	perf_ctl(ctl, ack, "disable");

	printf("%llu\n", after - before);
	return sink == 0 && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : 1;
}
