// The hostile suite inside the arm64 VM (scripts/arm64-vm.js bundles this with esbuild; the VM's
// arm64 Node runs it as root from /tsjail/test/fixtures/hostile, where helpers.ts finds the
// repository's layout). jest itself would cost minutes of TCG to start, so this runs the same
// attack functions (test/fixtures/hostile/attacks.ts, as planned by hostile-plan.ts) with the
// standalone expect package as the global jest gives them, a few at a time, and prints one line
// per run for the host:
//   TSJAIL-CHECK <TAB> ok|FAIL|skip <TAB> NAME <TAB> DETAIL (JSON: the error, the skip's reason)
// Usage: node hostile-runner.js LAUNCHERS every|slice CONCURRENCY   (LAUNCHERS: exec,api[,run])
import { expect } from 'expect';
import { WATCHDOG_SCALE, cleanupAll } from '../fixtures/hostile/helpers';
import { PlannedRun, vmPlan } from './hostile-plan';

(globalThis as unknown as { expect: typeof expect }).expect = expect;


function report(status: 'ok' | 'FAIL' | 'skip', name: string, detail: string): void {
  process.stdout.write(`TSJAIL-CHECK\t${status}\t${name}\t${JSON.stringify(detail)}\n`);
}

async function runOne(r: PlannedRun): Promise<void> {
  const skip = r.skip ?? r.launcher.skip ?? r.id.skip;
  if (skip) return report('skip', r.name, skip);
  const began = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${(r.attack.timeoutMs * WATCHDOG_SCALE) / 1000} s`)), r.attack.timeoutMs * WATCHDOG_SCALE);
  });
  try {
    await Promise.race([r.attack.run(r.launcher, r.id), timeout]);
    report('ok', r.name, `${((Date.now() - began) / 1000).toFixed(1)} s`);
  } catch (e) {
    report('FAIL', r.name, `${((Date.now() - began) / 1000).toFixed(1)} s: ${(e as Error).message ?? e}`.slice(0, 4000));
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const plan = vmPlan(process.argv[2].split(','), process.argv[3] === 'every');
  const concurrency = Number(process.argv[4]);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length) await runOne(plan[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await cleanupAll();
}

main().then(() => process.exit(0), (e) => {
  console.error(`hostile-runner: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
