// seccomp filter return values (include/uapi/linux/seccomp.h). An action is carried through
// the IR and codegen as the exact 32-bit value a BPF RET instruction returns.

export const RET_KILL_PROCESS: u32 = 0x80000000;
export const RET_KILL_THREAD: u32 = 0x00000000;
export const RET_TRAP: u32 = 0x00030000;
export const RET_ERRNO: u32 = 0x00050000;
export const RET_USER_NOTIF: u32 = 0x7fc00000;
export const RET_TRACE: u32 = 0x7ff00000;
export const RET_LOG: u32 = 0x7ffc0000;
export const RET_ALLOW: u32 = 0x7fff0000;
export const RET_ACTION_FULL: u32 = 0xffff0000;
export const RET_DATA: u32 = 0x0000ffff;

/** Largest errno the kernel passes through (MAX_ERRNO); larger values are a policy error. */
export const MAX_ERRNO: u32 = 4095;

export function actionKind(ret: u32): u32 {
  return ret & RET_ACTION_FULL;
}

/** Stable action names, as in `tsjail simulate --json` and the disassembler. */
export function actionName(ret: u32): string {
  const k = ret & RET_ACTION_FULL;
  if (k == RET_KILL_PROCESS) return 'kill-process';
  if (k == RET_KILL_THREAD) return 'kill-thread';
  if (k == RET_TRAP) return 'trap';
  if (k == RET_ERRNO) return 'errno';
  if (k == RET_USER_NOTIF) return 'user-notify';
  if (k == RET_TRACE) return 'trace';
  if (k == RET_LOG) return 'log';
  if (k == RET_ALLOW) return 'allow';
  return 'unknown';
}

/** Human form: "allow", "errno 38", "trace 5". */
export function actionText(ret: u32): string {
  const k = ret & RET_ACTION_FULL;
  const data = ret & RET_DATA;
  if (k == RET_ERRNO) return 'errno ' + data.toString();
  if ((k == RET_TRACE || k == RET_TRAP) && data != 0) return actionName(ret) + ' ' + data.toString();
  return actionName(ret);
}
