/* The signals a launcher passes on to the jail and the init passes on to the program: the
 * ones a supervisor sends to ask a service to stop or reload. One list for the init
 * (native/child/init.c), tsjail-exec (native/exec/main.c) and, through the addon's
 * forwardedSignals(), the TypeScript layer (ts/jail/signals.ts; a test compares the two). */
#ifndef TSJAIL_COMMON_SIGNALS_H
#define TSJAIL_COMMON_SIGNALS_H

#include <signal.h>

static const int tsjail_forwarded_signals[] __attribute__((unused)) = {SIGTERM, SIGINT, SIGHUP,
                                                                        SIGQUIT, SIGUSR1, SIGUSR2};
#define TSJAIL_N_FORWARDED_SIGNALS (sizeof tsjail_forwarded_signals / sizeof tsjail_forwarded_signals[0])

#endif
