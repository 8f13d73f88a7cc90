// The hostile suite (and with --full the containment suite) inside the arm64 VM
// (scripts/arm64-vm.js bundles this with esbuild; the VM's
// arm64 Node runs it as root from /tsjail/test/fixtures/hostile, where helpers.ts finds the
// repository's layout). jest itself would cost minutes of TCG to start, so this runs the same
// attack functions (test/fixtures/hostile/attacks.ts, as planned by hostile-plan.ts) with the
// standalone expect package as the global jest gives them, a few at a time, and prints one line
// per run for the host:
//   TSJAIL-CHECK <TAB> ok|FAIL|skip <TAB> NAME <TAB> DETAIL (JSON: the error, the skip's reason)
// and after each suite TSJAIL-TIME <TAB> hostile|containment <TAB> SECONDS.
// Usage: node hostile-runner.js LAUNCHERS every|slice CONCURRENCY   (LAUNCHERS: exec,api[,run])
import { expect } from 'expect';
import { WATCHDOG_SCALE, cleanupAll } from '../fixtures/hostile/helpers';
import { PlannedCheck, PlannedRun, containmentPlan, vmPlan } from './hostile-plan';
import { contextFor, prepare, removeWorkRoot } from '../fixtures/containment/suite';

(globalThis as unknown as { expect: typeof expect }).expect = expect;


function report(status: 'ok' | 'FAIL' | 'skip', name: string, detail: string): void {
  process.stdout.write(`TSJAIL-CHECK\t${status}\t${name}\t${JSON.stringify(detail)}\n`);
}

/** Runs fn with a watchdog; reports ok, or FAIL with the error. */
async function runWatched(name: string, timeoutMs: number, fn: () => Promise<void>): Promise<void> {
  const began = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${(timeoutMs * WATCHDOG_SCALE) / 1000} s`)), timeoutMs * WATCHDOG_SCALE);
  });
  try {
    await Promise.race([fn(), timeout]);
    report('ok', name, `${((Date.now() - began) / 1000).toFixed(1)} s`);
  } catch (e) {
    report('FAIL', name, `${((Date.now() - began) / 1000).toFixed(1)} s: ${(e as Error).message ?? e}`.slice(0, 4000));
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(r: PlannedRun): Promise<void> {
  const skip = r.skip ?? r.launcher.skip ?? r.id.skip;
  if (skip) return report('skip', r.name, skip);
  await runWatched(r.name, r.attack.timeoutMs, () => r.attack.run(r.launcher, r.id));
}

async function runCheck(r: PlannedCheck, setupError: string | undefined): Promise<void> {
  const skip = r.skip ?? r.launcher.skip ?? r.id.skip;
  if (skip) return report('skip', r.name, skip);
  // jest.config.js's testTimeout, which the containment checks run under on the host.
  await runWatched(r.name, 120_000, async () => {
    if (setupError) throw new Error(setupError);
    await r.check.run(contextFor(r.launcher, r.id));
  });
}

/** Runs the jobs `concurrency` at a time. */
async function pool(jobs: Array<() => Promise<void>>, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function main(): Promise<void> {
  const every = process.argv[3] === 'every';
  const concurrency = Number(process.argv[4]);
  const began = Date.now();
  await pool(vmPlan(process.argv[2].split(','), every).map((r) => () => runOne(r)), concurrency);
  await cleanupAll();
  process.stdout.write(`TSJAIL-TIME\thostile\t${((Date.now() - began) / 1000).toFixed(1)}\n`);
  const checks = containmentPlan(every);
  if (checks.length) {
    const containmentBegan = Date.now();
    const setupError = prepare();
    await pool(checks.map((r) => () => runCheck(r, setupError)), concurrency);
    removeWorkRoot();
    process.stdout.write(`TSJAIL-TIME\tcontainment\t${((Date.now() - containmentBegan) / 1000).toFixed(1)}\n`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`hostile-runner: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
