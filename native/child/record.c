/* Records on the status socket (child side). See record.h. */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int tsjail_record_send(int sock, int step, int err, int phase, int index, int fd) {
  struct tsjail_record r = {step, err, phase, index};
  struct iovec iov = {&r, sizeof r};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  if (fd >= 0) {
    memset(&control, 0, sizeof control);
    m.msg_control = control.buf;
    m.msg_controllen = sizeof control.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  do n = sendmsg(sock, &m, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  if (n < 0) return errno;
  return n == (ssize_t)sizeof r ? 0 : EIO;
}

void tsjail_record_fail(int sock, int step, int err, int phase, int index) {
  tsjail_record_send(sock, step, err, phase, index, -1);
  _exit(127);
}
