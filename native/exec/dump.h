/* tsjail-exec --dump (dump.c). */
#ifndef TSJAIL_EXEC_DUMP_H
#define TSJAIL_EXEC_DUMP_H
#include <stdio.h>

#include "jailfile.h"

void tsjail_jailfile_dump(FILE *f, const struct tsjail_jailfile *jf);

#endif
