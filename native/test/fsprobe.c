/* Tiny static probe for the qemu check (qemu-v2.sh), whose busybox guest has no python:
 *   fsprobe hog N        touch N MiB, then print "done" (the OOM victim)
 *   fsprobe truncate P   truncate(2) P to 0 by path: prints "ok" or the errno */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "hog") == 0) {
    long mib = atol(argv[2]);
    for (long i = 0; i < mib; i++) {
      char *p = malloc(1 << 20);
      if (!p) {
        puts("malloc failed");
        return 1;
      }
      memset(p, 1, 1 << 20);
    }
    puts("done");
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "truncate") == 0) {
    if (truncate(argv[2], 0) == 0) puts("ok");
    else printf("%d\n", errno);
    return 0;
  }
  fputs("usage: fsprobe hog N | truncate PATH\n", stderr);
  return 2;
}
