/* Parent side: is the program static (no PT_INTERP) or dynamic, and which loader does it
 * name? Static programs get the exact filter before execve; dynamic glibc ones get the gate
 * and the preload. Reads only the ELF and program headers. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "jailfile.h"

/* 0, -ENOEXEC when the file ends first (not a whole ELF), or -errno. */
static int read_at(int fd, void *buf, size_t len, off_t off) {
  ssize_t n = pread(fd, buf, len, off);
  if (n < 0) return -errno;
  return n == (ssize_t)len ? 0 : -ENOEXEC;
}

int tsjail_elf_interp(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  unsigned char ident[EI_NIDENT];
  int rc = read_at(fd, ident, sizeof ident, 0);
  if (rc || memcmp(ident, ELFMAG, SELFMAG) != 0) {
    close(fd);
    return rc ? rc : -ENOEXEC;
  }
  uint64_t phoff;
  unsigned phnum, phentsize;
  if (ident[EI_CLASS] == ELFCLASS64) {
    Elf64_Ehdr eh;
    if ((rc = read_at(fd, &eh, sizeof eh, 0))) goto out;
    phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
  } else {
    Elf32_Ehdr eh;
    if ((rc = read_at(fd, &eh, sizeof eh, 0))) goto out;
    phoff = eh.e_phoff; phnum = eh.e_phnum; phentsize = eh.e_phentsize;
  }
  for (unsigned i = 0; i < phnum && i < 256; i++) {
    uint64_t type, off, size;
    if (ident[EI_CLASS] == ELFCLASS64) {
      Elf64_Phdr ph;
      if ((rc = read_at(fd, &ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)))) goto out;
      type = ph.p_type; off = ph.p_offset; size = ph.p_filesz;
    } else {
      Elf32_Phdr ph;
      if ((rc = read_at(fd, &ph, sizeof ph, (off_t)(phoff + (uint64_t)i * phentsize)))) goto out;
      type = ph.p_type; off = ph.p_offset; size = ph.p_filesz;
    }
    if (type != PT_INTERP) continue;
    if (size == 0 || size >= cap) { rc = -ENOEXEC; goto out; }
    if ((rc = read_at(fd, buf, (size_t)size, (off_t)off))) goto out;
    buf[size] = '\0';
    buf[strnlen(buf, (size_t)size)] = '\0';
    rc = 1;
    goto out;
  }
  rc = 0;
out:
  close(fd);
  return rc;
}

/* glibc's loader: ld-linux*.so with optional numeric suffixes (ld-linux-x86-64.so.2,
 * ld-linux-aarch64.so.1, ld-linux.so.2). */
static int is_glibc_loader(const char *interp) {
  const char *base = strrchr(interp, '/');
  base = base ? base + 1 : interp;
  if (strncmp(base, "ld-linux", 8) != 0) return 0;
  const char *so = strstr(base, ".so");
  if (!so) return 0;
  for (const char *p = so + 3; *p; p++) {
    /* Only ".N" groups may follow: a dot, then digits. */
    if (*p != '.' || !(p[1] >= '0' && p[1] <= '9')) return 0;
    while (p[1] >= '0' && p[1] <= '9') p++;
  }
  return 1;
}

/* The interpreter of root+path: tsjail_elf_interp's answer, or 2 when root+path does not fit or
 * is unreadable there (then the path itself is looked at). Apart, so that the common case's
 * frame does not carry the 8 KiB path: every page of a large frame is touched by the stack
 * probe, and every page the launcher touches is a copy-on-write fault while its jails share its
 * memory. */
__attribute__((noinline)) static int interp_under_root(const char *root, const char *path, char *interp, size_t cap) {
  char under[8192];
  int n = snprintf(under, sizeof under, "%s%s", root, path);
  if (n <= 0 || (size_t)n >= sizeof under) return 2;
  int rc = tsjail_elf_interp(under, interp, cap);
  return rc >= 0 || rc == -ENOEXEC ? rc : 2; /* read, ELF or not; unreadable there: try the path itself */
}

int tsjail_seccomp_timing(const char *path, const char *root, int asked, int *mode, char *detail, size_t cap) {
  if (cap) detail[0] = '\0';
  if (asked == TSJAIL_TIMING_EXEC) { *mode = TSJAIL_MODE_EXEC; return 0; }
  if (asked == TSJAIL_TIMING_PRELOAD) { *mode = TSJAIL_MODE_PRELOAD; return 0; }
  char interp[4096];
  /* Inside a new root the path names a file under it (before other mounts move it). */
  int rc = root ? interp_under_root(root, path, interp, sizeof interp) : 2;
  if (rc == 2) rc = tsjail_elf_interp(path, interp, sizeof interp);
  if (rc == 0) {
    *mode = TSJAIL_MODE_EXEC;
    return 0;
  }
  if (rc == 1 && !is_glibc_loader(interp)) {
    snprintf(detail, cap,
             "%s uses the non-glibc interpreter %s; the preload library cannot jail it: install the filter before "
             "exec instead (seccompTiming 'exec', tsjail run -T static), and the policy must then allow the "
             "loader's syscalls",
             path, interp);
    return ENOEXEC;
  }
  *mode = TSJAIL_MODE_PRELOAD;
  return 0;
}
