/*
 * Benchmark helper: nanoseconds per syscall in a tight getppid(2) loop.
 * Built and run only by `npm run bench` (bench/spawn.ts).
 *
 * usage: getppid-loop ITERATIONS [FILTER.bpf]
 * With FILTER.bpf (struct sock_filter[], as `tsjail compile` writes it) the filter is installed
 * first (no_new_privs + seccomp(SECCOMP_SET_MODE_FILTER)), so the loop runs under it.
 * Prints one line: the mean ns per getppid call over the timed loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int load_filter(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) { fprintf(stderr, "%s: %s\n", file, strerror(errno)); return -1; }
	struct stat st;
	if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % 8 != 0 || st.st_size > 4096 * 8) {
		fprintf(stderr, "%s: not a sock_filter array\n", file);
		close(fd);
		return -1;
	}
	struct sock_filter *insns = malloc((size_t)st.st_size);
	if (!insns) { close(fd); return -1; }
	ssize_t n = read(fd, insns, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) { fprintf(stderr, "%s: short read\n", file); free(insns); return -1; }
	struct sock_fprog prog = { .len = (unsigned short)(st.st_size / 8), .filter = insns };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) { perror("PR_SET_NO_NEW_PRIVS"); free(insns); return -1; }
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) { perror("seccomp"); free(insns); return -1; }
	free(insns);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) { fprintf(stderr, "usage: %s ITERATIONS [FILTER.bpf]\n", argv[0]); return 2; }
	long iterations = strtol(argv[1], NULL, 10);
	if (iterations <= 0) { fprintf(stderr, "bad iteration count\n"); return 2; }
	if (argc == 3 && load_filter(argv[2]) != 0) return 1;
	/* Warm up caches and the branch predictor before timing. */
	for (long i = 0; i < iterations / 10; i++) syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < iterations; i++) syscall(SYS_getppid, 0, 0, 0, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("%.2f\n", ns / (double)iterations);
	return 0;
}
