// The signals a launcher passes on to the jail (whose init passes them on to the program):
// native/common/signals.h's list, by name. test/jail-spawn.test.ts checks that it equals the
// addon's forwardedSignals().
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
