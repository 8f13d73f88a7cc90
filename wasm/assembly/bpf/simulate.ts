// STUB (replaced by the back end).
export function simulateProgram(program: Uint8Array, data: Uint8Array): string { return '{"ok":false,"error":"not implemented"}'; }
