/* Parent side: is the program static (no PT_INTERP) or dynamic, and which loader does it
 * name? Static programs get the exact filter before execve; dynamic glibc ones get the gate
 * and the preload. Reads only the ELF and program headers. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"

static int read_at(int fd, void *buf, size_t len, off_t off) {
  ssize_t n = pread(fd, buf, len, off);
  if (n < 0) return -errno;
  return n == (ssize_t)len ? 0 : -2;
}

int tsjail_elf_interp(const char *path, char *buf, size_t cap) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  unsigned char ident[EI_NIDENT];
  int rc = read_at(fd, ident, sizeof ident, 0);
  if (rc || memcmp(ident, ELFMAG, SELFMAG) != 0) {
    close(fd);
    return rc < 0 && rc != -2 ? rc : -2;
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
    if (size == 0 || size >= cap) { rc = -2; goto out; }
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
