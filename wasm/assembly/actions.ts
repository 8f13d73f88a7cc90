// seccomp filter return values (include/uapi/linux/seccomp.h). An action is carried through
// the IR and codegen as the exact 32-bit value a BPF RET instruction returns. The values and
// their stable names are generated (abi.ts, from wasm/abi.json), shared with the host.

import { RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW, actionName } from './abi';

export { RET_KILL_PROCESS, RET_KILL_THREAD, RET_TRAP, RET_ERRNO, RET_USER_NOTIF, RET_TRACE, RET_LOG, RET_ALLOW, actionName };

export const RET_ACTION_FULL: u32 = 0xffff0000;
export const RET_DATA: u32 = 0x0000ffff;

/** Largest errno the kernel passes through (MAX_ERRNO); larger values are a policy error. */
export const MAX_ERRNO: u32 = 4095;

/** Human form: "allow", "errno 38", "trace 5". */
export function actionText(ret: u32): string {
  const k = ret & RET_ACTION_FULL;
  const data = ret & RET_DATA;
  if (k == RET_ERRNO) return 'errno ' + data.toString();
  if ((k == RET_TRACE || k == RET_TRAP) && data != 0) return actionName(ret) + ' ' + data.toString();
  return actionName(ret);
}
