// The arch maps exist twice: ts/jail/arch.ts (Node's arch -> the core's name and AUDIT_ARCH_*)
// and native/common/arch.h (the compiler's arch macros -> AUDIT_ARCH_*). Both must give the
// kernel's value for each of the five arches the policy core knows. The kernel's values come from
// the committed tables (wasm/assembly/tables, generated from the UAPI headers, read here through
// the core's archInfo and constantValue), so this needs no kernel headers of other arches.
//
// The header is read by the C preprocessor, not by a regular expression: for each arch it is
// preprocessed with that arch's predefined macros only (stub <linux/audit.h> and <stdint.h>),
// so the branch the compiler for that arch would take is the one checked.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { auditArch, coreArch } from '../ts/jail/arch';
import { archInfo, arches, constantValue } from '../ts/policy';

const REPO = path.resolve(__dirname, '..');
const ARCH_H = path.join(REPO, 'native', 'common', 'arch.h');
const hasCc = spawnSync('cc', ['--version']).status === 0;
const testCc = hasCc ? test : test.skip;

/** Each arch: Node's name for it, and what GCC and Clang predefine when compiling for it. */
const ARCHES = [
  { core: 'x86_64', node: 'x64', macros: ['__x86_64__'] },
  { core: 'aarch64', node: 'arm64', macros: ['__aarch64__'] },
  { core: 'arm', node: 'arm', macros: ['__arm__'] },
  { core: 'i386', node: 'ia32', macros: ['__i386__'] },
  { core: 'riscv64', node: 'riscv64', macros: ['__riscv', '__riscv_xlen=64'] },
];

let stubs = '';
beforeAll(() => {
  stubs = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-arch-'));
  fs.mkdirSync(path.join(stubs, 'linux'));
  fs.writeFileSync(path.join(stubs, 'linux', 'audit.h'), '');
  fs.writeFileSync(path.join(stubs, 'stdint.h'), '');
});
afterAll(() => {
  if (stubs) fs.rmSync(stubs, { recursive: true, force: true });
});

/** The AUDIT_ARCH_* name arch.h returns with these macros defined (and no others), or the preprocessor's error. */
function headerChoice(macros: string[]): { name?: string; error?: string } {
  const r = spawnSync('cc', ['-E', '-P', '-undef', '-nostdinc', '-I', stubs, ...macros.map((m) => `-D${m}`), ARCH_H], { encoding: 'utf8' });
  if (r.status !== 0) return { error: r.stderr };
  const m = /return\s+(AUDIT_ARCH_\w+)\s*;/.exec(r.stdout);
  return m ? { name: m[1] } : { error: `no return in:\n${r.stdout}` };
}

test('the policy core knows exactly these five arches', async () => {
  expect((await arches()).sort()).toEqual(ARCHES.map((a) => a.core).sort());
});

describe.each(ARCHES)('$core', ({ core, node, macros }) => {
  test("ts/jail/arch.ts: Node's name maps to the core's name and to the kernel's AUDIT_ARCH", async () => {
    expect(coreArch(node)).toBe(core);
    const kernel = (await archInfo(core))?.auditArch;
    expect(kernel).toBeDefined();
    expect(auditArch(node)).toBe(kernel);
  });

  testCc('native/common/arch.h picks the AUDIT_ARCH_* constant with the kernel\'s value', async () => {
    const choice = headerChoice(macros);
    expect(choice.error).toBeUndefined();
    const value = await constantValue(core, choice.name!);
    expect(value).toBeDefined();
    expect(Number(value)).toBe(auditArch(node));
  });
});

testCc('native/common/arch.h refuses an arch it does not know', () => {
  expect(headerChoice(['__mips__']).error).toMatch(/unsupported architecture/);
});

testCc('compiled for this machine, arch.h gives what auditArch() gives', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsjail-arch-cc-'));
  try {
    const src = path.join(dir, 'a.c');
    const exe = path.join(dir, 'a');
    fs.writeFileSync(src, '#include <stdio.h>\n#include "common/arch.h"\nint main(void) { printf("%u\\n", tsjail_audit_arch()); return 0; }\n');
    const cc = spawnSync('cc', ['-I', path.join(REPO, 'native'), '-o', exe, src], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    expect(spawnSync(exe, { encoding: 'utf8' }).stdout).toBe(`${auditArch()}\n`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
