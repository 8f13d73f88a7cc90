// STUB (replaced by the back end).
export function disassembleProgram(program: Uint8Array, arch: string): string { return ''; }
