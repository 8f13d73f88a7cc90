/* Parent side: what an executable asks for to run (its ELF interpreter), and so when the
 * jail's seccomp filter can go in. */
#ifndef TSJAIL_PARENT_ELF_H
#define TSJAIL_PARENT_ELF_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* PT_INTERP of an ELF file into buf: 1 = dynamic (buf set), 0 = static,
 * -ENOEXEC = not an ELF file, -errno = unreadable. */
int tsjail_elf_interp(const char *path, char *buf, size_t cap);

/* Where the filter goes in: before execve (the policy must allow the program's start-up), or
 * through the preload library (a gate before execve, the exact filter before main). */
enum tsjail_seccomp_mode { TSJAIL_MODE_EXEC = 1, TSJAIL_MODE_PRELOAD = 2 };

/* The one decision of the seccomp timing, for both launchers. `asked` is the jail's
 * enum tsjail_timing (parent/jailfile.h): exec or preload are taken as asked; auto looks at the
 * program (under `root` first when the jail has one, else or then at `path` itself): a static
 * ELF gets exec, glibc's loader (ld-linux*.so[.N]) gets preload, and so does anything else
 * that is not an ELF file or cannot be read here (a script runs its dynamic interpreter; a
 * missing program fails at exec with the right step). Another ELF interpreter (musl's
 * ld-musl-*) is refused: 0 with *mode set, or ENOEXEC with the reason in detail. */
int tsjail_seccomp_timing(const char *path, const char *root, int asked, int *mode, char *detail, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
