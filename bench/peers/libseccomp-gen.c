/*
 * Benchmark peer: compile a rule set with libseccomp and write the BPF it generates.
 * Built and run only by `npm run bench` (needs Debian's libseccomp-dev).
 *
 * usage: libseccomp-gen OPTIMIZE(1|2) OUT.bpf < RULES
 * RULES, one per line (numbers in hex without 0x, except counts):
 *   default RET          action for unlisted calls
 *   badarch RET          action for a foreign arch
 *   rule NR RET N [ARG OP VALUE MASK]*N
 * OP: eq ne lt le gt ge meq (masked equality: (arg & MASK) == VALUE).
 * The filter is for the native arch (x86_64 here); libseccomp adds its own x32 handling.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int parse_op(const char *s, enum scmp_compare *op)
{
	static const struct { const char *name; enum scmp_compare op; } ops[] = {
		{"eq", SCMP_CMP_EQ}, {"ne", SCMP_CMP_NE}, {"lt", SCMP_CMP_LT}, {"le", SCMP_CMP_LE},
		{"gt", SCMP_CMP_GT}, {"ge", SCMP_CMP_GE}, {"meq", SCMP_CMP_MASKED_EQ},
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(s, ops[i].name) == 0) { *op = ops[i].op; return 0; }
	return -1;
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: %s OPTIMIZE OUT.bpf < RULES\n", argv[0]); return 2; }
	char line[8192];
	unsigned long def = SCMP_ACT_KILL_PROCESS, badarch = SCMP_ACT_KILL_PROCESS;
	/* The default must be known before seccomp_init: read everything first. */
	char **lines = NULL; size_t n = 0;
	while (fgets(line, sizeof line, stdin)) {
		if (sscanf(line, "default %lx", &def) == 1) continue;
		if (sscanf(line, "badarch %lx", &badarch) == 1) continue;
		lines = realloc(lines, (n + 1) * sizeof *lines);
		if (!lines) return 1;
		lines[n++] = strdup(line);
	}
	scmp_filter_ctx ctx = seccomp_init((uint32_t)def);
	if (!ctx) { fprintf(stderr, "seccomp_init failed\n"); return 1; }
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, (uint32_t)badarch);
	if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, (uint32_t)atoi(argv[1]));
	if (rc) { fprintf(stderr, "seccomp_attr_set: %s\n", strerror(-rc)); return 1; }
	for (size_t i = 0; i < n; i++) {
		char *save = NULL, *tok = strtok_r(lines[i], " \n", &save);
		if (!tok || strcmp(tok, "rule") != 0) continue;
		int nr = (int)strtol(strtok_r(NULL, " \n", &save), NULL, 16);
		uint32_t ret = (uint32_t)strtoul(strtok_r(NULL, " \n", &save), NULL, 16);
		unsigned count = (unsigned)strtoul(strtok_r(NULL, " \n", &save), NULL, 10);
		struct scmp_arg_cmp cmps[6];
		if (count > 6) { fprintf(stderr, "too many comparisons\n"); return 1; }
		for (unsigned c = 0; c < count; c++) {
			cmps[c].arg = (unsigned)strtoul(strtok_r(NULL, " \n", &save), NULL, 10);
			if (parse_op(strtok_r(NULL, " \n", &save), &cmps[c].op)) { fprintf(stderr, "bad op\n"); return 1; }
			cmps[c].datum_a = strtoull(strtok_r(NULL, " \n", &save), NULL, 16);
			cmps[c].datum_b = strtoull(strtok_r(NULL, " \n", &save), NULL, 16);
			if (cmps[c].op == SCMP_CMP_MASKED_EQ) {
				/* libseccomp's MASKED_EQ takes (mask, value). */
				uint64_t v = cmps[c].datum_a;
				cmps[c].datum_a = cmps[c].datum_b;
				cmps[c].datum_b = v;
			}
		}
		rc = seccomp_rule_add_exact_array(ctx, ret, nr, count, cmps);
		if (rc) { fprintf(stderr, "rule for %d: %s\n", nr, strerror(-rc)); return 3; }
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) { perror(argv[2]); return 1; }
	rc = seccomp_export_bpf(ctx, fd);
	if (rc) { fprintf(stderr, "seccomp_export_bpf: %s\n", strerror(-rc)); return 1; }
	close(fd);
	seccomp_release(ctx);
	return 0;
}
