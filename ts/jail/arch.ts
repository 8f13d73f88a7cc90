// The machine's architecture in the names each consumer uses: the policy core's (x86_64,
// aarch64, ...) and the kernel's AUDIT_ARCH_* (what a filter compares, what a jail file is
// stamped with). One map for TypeScript; native code has tsjail_audit_arch() in
// native/common/arch.h; test/arch-agree.test.ts checks the two against each other and the
// kernel's values. No dependencies, so the CLI and the jail API can both import it.

/** Node's process.arch -> the policy core's arch name. */
const CORE_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'arm', ia32: 'i386', riscv64: 'riscv64' };

/** Node's process.arch -> AUDIT_ARCH_* (linux/audit.h). */
const AUDIT_ARCH: Record<string, number> = {
  x64: 0xc000003e, arm64: 0xc00000b7, ia32: 0x40000003, arm: 0x40000028, riscv64: 0xc00000f3,
};

/** The policy core's name for a Node arch (default: this machine's), or undefined. */
export function coreArch(arch: string = process.arch): string | undefined {
  return CORE_ARCH[arch];
}

/** Node's name (process.arch) for a policy core arch name: coreArch's inverse; undefined if none. */
export function nodeArch(core: string): string | undefined {
  return Object.keys(CORE_ARCH).find((n) => CORE_ARCH[n] === core);
}

/** AUDIT_ARCH_* of a Node arch, or undefined for one tsjail does not know. */
export function knownAuditArch(arch: string): number | undefined {
  return AUDIT_ARCH[arch];
}

/** AUDIT_ARCH_* of a Node arch (default: this machine's); throws for one tsjail does not run on. */
export function auditArch(arch: string = process.arch): number {
  const a = knownAuditArch(arch);
  if (a === undefined) throw new Error(`tsjail: no AUDIT_ARCH known for ${arch}`);
  return a;
}
