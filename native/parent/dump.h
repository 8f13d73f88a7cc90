/* A decoded jail as JSON (tsjail-exec --dump, the addon's dumpJailFile), for tests and for
 * looking at what a jail file will do: the C structures the launch will read, not the bytes,
 * plus the seccomp mode the launch would decide for its program now. */
#ifndef TSJAIL_PARENT_DUMP_H
#define TSJAIL_PARENT_DUMP_H
#include <stdio.h>

#include "jailfile.h"

#ifdef __cplusplus
extern "C" {
#endif

void tsjail_spec_dump(FILE *f, const struct tsjail_spec *spec);

#ifdef __cplusplus
}
#endif
#endif
