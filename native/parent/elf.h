/* Parent side: what an executable asks for to run (its ELF interpreter). */
#ifndef TSJAIL_PARENT_ELF_H
#define TSJAIL_PARENT_ELF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PT_INTERP of an ELF file into buf: 1 = dynamic (buf set), 0 = static,
 * -2 = not ELF, -errno = unreadable. */
int tsjail_elf_interp(const char *path, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
