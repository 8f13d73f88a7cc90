// Which runs of the hostile suite (test/fixtures/hostile/attacks.ts) and of the containment suite
// (test/fixtures/containment/suite.ts) the arm64 VM makes: the launchers they go through, and
// for each run the name it is reported under and, where it cannot run on arm64 or in the VM, why. Read by the VM's runner (hostile-runner.ts), by gen.ts (which
// writes the list the host checks the VM's report against) and by test/arm64-vm.test.ts (one
// jest test per run), so all three agree on the list without a copy of it.
import { ATTACKS, Attack, runName } from '../fixtures/hostile/attacks';
import { Identity, Launcher } from '../fixtures/hostile/helpers';
import * as containment from '../fixtures/containment/suite';

/** Launcher keys (words without spaces: the VM's runlist splits on them) -> launcher names. */
export const VM_LAUNCHERS: Record<string, Launcher['name']> = { exec: 'tsjail-exec', api: 'Node API', run: 'tsjail run' };

/** The launchers of `npm run test:arm64` (and `--full`, which adds `tsjail run`, the CLI). */
export const DEFAULT_LAUNCHERS = ['exec', 'api'];
export const FULL_LAUNCHERS = ['exec', 'api', 'run'];

export interface PlannedRun {
  name: string;
  attack: Attack;
  launcher: Launcher;
  id: Identity;
  /** Why this run cannot be made on arm64 in the VM: reported as a skip with the reason. */
  skip?: string;
}

/**
 * The runs through the launchers `keys`, in the table's order. every: each attack through every
 * launcher as every identity (`--full`); otherwise each attack once per identity, the launcher
 * taking turns (attack i as identity j goes through launcher (i + j) mod n): every attack as
 * root and as uid 65534, every launcher as both, in about half the VM time (the slice
 * `npm test` runs, deterministic).
 */
export function vmPlan(keys: string[], every: boolean): PlannedRun[] {
  const names = keys.map((k) => {
    if (!VM_LAUNCHERS[k]) throw new Error(`no launcher ${k} (${Object.keys(VM_LAUNCHERS).join(', ')})`);
    return VM_LAUNCHERS[k];
  });
  const runs: PlannedRun[] = [];
  ATTACKS.forEach((a, i) => {
    const launchers = names.map((n) => a.launchers.find((l) => l.name === n)).filter((l): l is Launcher => !!l);
    a.ids.forEach((id, j) => {
      const skip = a.only && a.only.arch !== 'arm64' ? `${a.only.why} (not built for arm64)`
        : [...a.tools, ...(id.tools ?? [])].length ? `needs ${[...a.tools, ...(id.tools ?? [])].join(' and ')}, which the VM does not have` : undefined;
      for (const launcher of every ? launchers : launchers.slice((i + j) % launchers.length).slice(0, 1)) {
        runs.push({ name: `${a.section} > ${runName(a, launcher, id)}`, attack: a, launcher, id, skip });
      }
    });
  });
  return runs;
}

export interface PlannedCheck {
  name: string;
  check: containment.ContainmentCheck;
  launcher: containment.Launcher;
  id: containment.Identity;
  skip?: string;
}

/**
 * The containment suite's runs: with every, each check through both of its launchers (tsjail
 * run, tsjail-exec on a saved jail) as both identities, named as jest names them; without (the
 * slice `npm test` runs), each check once per identity, the launcher taking turns as in vmPlan,
 * so every check runs as root and as uid 65534 and each launcher serves both.
 */
export function containmentPlan(every: boolean): PlannedCheck[] {
  const runs: PlannedCheck[] = [];
  containment.IDENTITIES.forEach((id, j) => {
    containment.CHECKS.filter((c) => containment.appliesTo(c, id)).forEach((check, i) => {
      const tools = check.tools(id);
      const skip = check.only && check.only.arch !== 'arm64' ? `${check.only.why} (not built for arm64)`
        : tools.length ? `needs ${tools.join(' and ')}, which the VM does not have` : undefined;
      const launchers = containment.LAUNCHERS;
      for (const launcher of every ? launchers : launchers.slice((i + j) % launchers.length).slice(0, 1)) {
        runs.push({ name: `containment through ${launcher.name} > as ${id.name} > ${check.title}`, check, launcher, id, skip });
      }
    });
  });
  // Grouped by launcher, as jest's describe blocks are.
  const order = (r: PlannedCheck) => containment.LAUNCHERS.indexOf(r.launcher);
  return runs.map((r, k) => ({ r, k })).sort((a, b) => order(a.r) - order(b.r) || a.k - b.k).map(({ r }) => r);
}
