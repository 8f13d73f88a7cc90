// THE containment suite: a jailed program tries, and fails, to
//   see host processes; signal or ptrace a process outside; write outside its rw binds; read a
//   path Landlock denies; gain capabilities or become root through setuid; call a denied
//   syscall (it dies of SIGSYS and the violation is named); use a leaked fd; outlive its time
//   limit; exceed its memory or pids limit.
// Every check runs twice: with the restriction (the action must fail) and as a control
// without it (the same action must succeed), so no check passes by accident.
//
// One suite, a table of launchers (`tsjail run`, and tsjail-exec with saved jail files: it takes
// the same flags), each run as root and again as uid 65534 (setpriv), where the unprivileged
// runs get their namespaces from a user namespace (-U). The kernel is the oracle: real
// processes, real syscalls; the probe is test/fixtures/containment/probe.c.

// The launchers, identities and checks: test/fixtures/containment/suite.ts (the arm64 VM runs
// them too).

import { CHECKS, IDENTITIES, LAUNCHERS, appliesTo, contextFor, prepare, removeWorkRoot } from './fixtures/containment/suite';

let setupError: string | undefined;

beforeAll(() => {
  setupError = prepare();
});

afterAll(removeWorkRoot);

describe.each(LAUNCHERS)('containment through $name', (launcher) => {
  describe.each(IDENTITIES)('as $name', (id) => {
    for (const c of CHECKS.filter((x) => appliesTo(x, id))) {
      const skip = (c.only && c.only.arch !== process.arch ? c.only.why : undefined) ?? launcher.skip ?? id.skip;
      if (skip) {
        test.skip(`${c.title} [skipped: ${skip}]`, () => undefined);
        continue;
      }
      test(c.title, async () => {
        if (setupError) throw new Error(setupError);
        await c.run(contextFor(launcher, id));
      });
    }
  });
});
