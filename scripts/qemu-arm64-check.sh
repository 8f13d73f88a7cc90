#!/usr/bin/env bash
# Opt-in (not part of npm test): seccomp on a real aarch64 kernel. qemu-user cannot do this
# (no guest seccomp, no user namespaces; test/arm64.test.ts), so this boots Debian's arm64
# kernel in qemu-system-aarch64 with a small initramfs whose /init runs the cross-built
# seccomp-oracle on a policy compiled by tsjail for aarch64, and compares the kernel's answer
# for each case with the WASM simulator's (`tsjail simulate --arch aarch64`); then runs the
# cross-built tsjail-exec on a jail file (user, pid, mount, uts namespaces; an aarch64 seccomp
# policy installed before exec) around a static probe, and checks what the probe saw.
#
# Needs: qemu-system-aarch64 (apt-get install qemu-system-arm), cpio, the aarch64 cross
# compiler, a built tsjail (npm run build). Downloads the kernel .deb (~57 MiB) once with a
# private apt state (apt's -o options, so no dpkg --add-architecture) into build/qemu-arm64
# (TSJAIL_ARM64_VM_DIR overrides; TSJAIL_ARM64_KEEP=1 keeps the work files). Exit 0: every case agreed; 1: a disagreement or no result;
# 2: a missing tool. About 10-20 s per run once the kernel is there.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${TSJAIL_ARM64_VM_DIR:-$ROOT/build/qemu-arm64}
OUT=$ROOT/build/native-arm64/Release
SYSROOT=/usr/aarch64-linux-gnu
TSJAIL=$ROOT/bin/tsjail

say() { echo "qemu-arm64-check: $*" >&2; }
need() { command -v "$1" >/dev/null || { say "$1 not found ($2)"; exit 2; }; }
need qemu-system-aarch64 "apt-get install qemu-system-arm"
need cpio "apt-get install cpio"
need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu"
need apt-get "a Debian host"
[ -f "$ROOT/dist/cli.cjs" ] || { say "tsjail is not built (npm run build)"; exit 2; }

mkdir -p "$WORK"
node "$ROOT/scripts/cross-build.js" arm64 >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; say "cross build failed"; exit 2; }

# --- the kernel: Debian's current arm64 image, through a private apt state -----------------
KERNEL=$WORK/vmlinuz
if [ ! -s "$KERNEL" ]; then
  D=$WORK/apt
  mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/deb"
  touch "$D/status"
  O=(-o APT::Architecture=arm64 -o APT::Architectures=arm64 -o "Dir::State::Lists=$D/lists"
     -o "Dir::Cache=$D/cache" -o "Dir::State::status=$D/status")
  apt-get "${O[@]}" -q update >/dev/null
  # linux-image-arm64 is the metapackage; it depends on the versioned image.
  PKG=$(apt-cache "${O[@]}" depends linux-image-arm64 | awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
  [ -n "$PKG" ] || { say "no linux-image-*-arm64 found through apt"; exit 1; }
  say "downloading $PKG"
  (cd "$D/deb" && apt-get "${O[@]}" -q download "$PKG" >/dev/null 2>&1)
  # Only /boot: the modules would unpack to ~350 MB and nothing here needs them.
  rm -rf "$D/x" && mkdir -p "$D/x"
  dpkg-deb --fsys-tarfile "$D"/deb/"${PKG}"_*.deb | tar -x -C "$D/x" --wildcards './boot/vmlinuz-*'
  cp "$D"/x/boot/vmlinuz-* "$KERNEL"
  rm -rf "$D"  # the lists and the .deb are not needed again
fi

# --- the policy, its filter, the cases and what the simulator expects ------------------------
# aarch64 numbers (asm-generic): getpid 172, getppid 173, gettid 178, openat 56, kill 129.
T=$(mktemp -d "${TMPDIR:-/tmp}/tsjail-arm64-vm.XXXXXX")
# TSJAIL_ARM64_KEEP=1 keeps the VM's inputs and console log for a look afterwards.
if [ -n "${TSJAIL_ARM64_KEEP:-}" ]; then say "keeping $T"; else trap 'rm -rf "$T"' EXIT; fi
cat >"$T/check.policy" <<'EOF'
getpid: return 1
getppid: 1
openat: arg2 == 0 || arg2 & 0x40
kill: arg1 == 0; return 13
gettid: trap
EOF
node "$TSJAIL" compile "$T/check.policy" --arch aarch64 --verify -o "$T/filter.bpf"
# name nr a0..a5
CASES=(
  "getpid 172 0 0 0 0 0 0"
  "getppid 173 0 0 0 0 0 0"
  "openat 56 0 0 0 0 0 0"
  "openat 56 0 0 0x41 0 0 0"
  "openat 56 0 0 1 0 0 0"
  "kill 129 1 0 0 0 0 0"
  "kill 129 1 9 0 0 0 0"
  "gettid 178 0 0 0 0 0 0"
  "uname 160 0 0 0 0 0 0"
)
: >"$T/cases"
: >"$T/expected"
for c in "${CASES[@]}"; do
  read -r name nr a0 a1 a2 a3 a4 a5 <<<"$c"
  echo "case $nr $a0 $a1 $a2 $a3 $a4 $a5" >>"$T/cases"
  sim=$(node "$TSJAIL" simulate "$T/check.policy" --arch aarch64 --syscall "$name" --args "$a0,$a1,$a2,$a3,$a4,$a5" --json)
  # The simulator's action -> the oracle's vocabulary (seccomp-oracle.c's header).
  node -e '
    const r = JSON.parse(process.argv[1]); const nr = process.argv[2];
    const m = { allow: "allow-class", log: "allow-class", "user-notify": "allow-class", trace: "allow-class",
      errno: `errno ${r.data}`, "kill-process": "kill-process", "kill-thread": "kill-thread",
      trap: `trap ${r.data} ${nr} 0xc00000b7` };
    if (!(r.action in m)) { console.error("unknown action " + r.action); process.exit(1); }
    console.log(m[r.action]);' "$sim" "$nr" >>"$T/expected"
done

# --- a jail file for tsjail-exec: the TS encoder, framed for aarch64 --------------------------
# The probe's getpid gets errno 7, gettid kills it, the rest is allowed (LOG: audited, runs).
printf 'getpid: return 7\ngettid: kill\n' >"$T/jail.policy"
node "$TSJAIL" compile "$T/jail.policy" --arch aarch64 --default-action log --verify -o "$T/jail.bpf"
cat >"$T/mkjail.ts" <<TSEOF
import * as fs from 'fs';
import { JAILFILE_HEADER_SIZE, auditArch, encodeJailFile, frameJailFile } from '$ROOT/ts/jail/jailfile';
const spec = {
  path: '/probe', argv: ['probe'], env: ['PATH=/'], cwd: '/', preserveFds: [],
  namespaces: { user: true, pid: true, mount: true, uts: true }, hostname: 'armjail', noNewPrivs: true,
  // Exec timing: the filter is installed right before execve (the probe is static; no preload).
  // names: aarch64 numbers, so the violation report names the call.
  seccomp: { bpf: new Uint8Array(fs.readFileSync('$T/jail.bpf')), names: { 172: 'getpid', 178: 'gettid' } },
  seccompTiming: 'exec',
} as any;
// Encoded on this host; only the header's AUDIT_ARCH names the target.
const payload = encodeJailFile(spec).subarray(JAILFILE_HEADER_SIZE);
fs.writeFileSync('$T/probe.jail', frameJailFile(payload, { arch: auditArch('arm64') }), { mode: 0o644 });
TSEOF
# Bundled into $WORK: the encoder finds the host addon (build/native) relative to itself.
"$ROOT/node_modules/.bin/esbuild" "$T/mkjail.ts" --bundle --platform=node --loader:.wasm=binary \
  --log-level=error --outfile="$WORK/mkjail.js"
node "$WORK/mkjail.js"
cat >"$T/probe.c" <<'CEOF'
/* Runs inside the jail in the VM: reports identity, hostname and the filtered getpid, then
 * calls gettid, which the policy kills. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void) {
  struct utsname u;
  if (uname(&u) != 0) { perror("probe: uname"); return 1; }
  printf("probe uid %d pid %d host %s\n", (int)getuid(), (int)syscall(SYS_getppid) == 0 ? 1 : 2, u.nodename);
  errno = 0;
  long r = syscall(SYS_getpid);
  printf("probe getpid %ld errno %d\n", r, errno);
  fflush(stdout);
  syscall(SYS_gettid);
  printf("probe survived gettid\n");
  return 0;
}
CEOF

# --- the initramfs: a static /init and probe, the oracle, tsjail-exec, two libraries ---------
R=$T/root
mkdir -p "$R/lib" "$R/dev" "$R/proc"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$R/probe" "$T/probe.c"
cat >"$T/init.c" <<'EOF'
/* /init of the check VM: run the oracle on /filter.bpf < /cases, then tsjail-exec on
 * /probe.jail, print their output between markers on the console, power off. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) == 0) {
    int con = open("/dev/console", O_RDWR);
    if (con >= 0) { dup2(con, 1); dup2(con, 2); if (con > 2) close(con); }
  }
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) perror("init: mount /proc");
  printf("\nTSJAIL-ORACLE-BEGIN\n");
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int in = open("/cases", O_RDONLY);
    if (in < 0 || dup2(in, 0) < 0) { perror("init: /cases"); _exit(127); }
    execl("/seccomp-oracle", "seccomp-oracle", "/filter.bpf", (char *)NULL);
    perror("init: exec /seccomp-oracle");
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) perror("init: fork/wait");
  printf("TSJAIL-ORACLE-END %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  printf("TSJAIL-EXEC-BEGIN\n");
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execl("/tsjail-exec", "tsjail-exec", "/probe.jail", (char *)NULL);
    perror("init: exec /tsjail-exec");
    _exit(127);
  }
  status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) perror("init: fork/wait");
  printf("TSJAIL-EXEC-END %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  fflush(stdout);
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
EOF
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$R/init" "$T/init.c"
cp "$OUT/seccomp-oracle" "$OUT/tsjail-exec" "$T/probe.jail" "$R/"
cp -L "$SYSROOT/lib/ld-linux-aarch64.so.1" "$SYSROOT/lib/libc.so.6" "$R/lib/"
cp "$T/filter.bpf" "$T/cases" "$R/"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$T/init.cpio.gz"

# --- boot --------------------------------------------------------------------------------------
say "booting $(basename "$KERNEL") (Debian arm64) under qemu-system-aarch64 (TCG)"
timeout 180 qemu-system-aarch64 -M virt -cpu max -smp 2 -m 512 -nographic -no-reboot \
  -kernel "$KERNEL" -initrd "$T/init.cpio.gz" -append "console=ttyAMA0 panic=-1 quiet loglevel=0" \
  </dev/null >"$T/console" 2>&1 || true
tr -d '\r' <"$T/console" | sed -n '/^TSJAIL-ORACLE-BEGIN$/,/^TSJAIL-ORACLE-END/p' >"$T/section"
if ! grep -q '^TSJAIL-ORACLE-END 0$' "$T/section"; then
  tail -40 "$T/console" >&2
  say "the oracle did not finish cleanly in the VM"
  exit 1
fi
sed -e '1d' -e '$d' "$T/section" >"$T/actual"

fail=0
i=0
while IFS= read -r want; do
  got=$(sed -n "$((i + 1))p" "$T/actual")
  if [ "$got" = "$want" ]; then echo "ok    ${CASES[$i]} -> $got"; else echo "FAIL  ${CASES[$i]}: kernel $got, simulator $want"; fail=1; fi
  i=$((i + 1))
done <"$T/expected"
[ "$(wc -l <"$T/actual")" = "$i" ] || { say "the oracle printed $(wc -l <"$T/actual") lines for $i cases"; fail=1; }
if [ "$fail" = 0 ]; then say "aarch64 kernel and simulator agree on all $i cases"; else say "disagreement"; fi

# The jail: uid 0 in the user namespace, pid 1 or 2 in its pid namespace (parent outside: 0),
# its own hostname, getpid answered with errno 7 by the filter, then killed by it at gettid
# (tsjail-exec exits 159 for a seccomp violation; docs/runtime.md "Exit conventions").
tr -d '\r' <"$T/console" | sed -n '/^TSJAIL-EXEC-BEGIN$/,/^TSJAIL-EXEC-END/p' >"$T/exec"
expect_line() {
  if grep -qx -- "$1" "$T/exec"; then echo "ok    jail: $1"; else echo "FAIL  jail: no line '$1'"; fail=1; fi
}
expect_line 'probe uid 0 pid [12] host armjail'
expect_line 'probe getpid -1 errno 7'
expect_line 'TSJAIL-EXEC-END 159'
grep -q 'seccomp violation.*gettid' "$T/exec" && echo "ok    jail: the violation report names gettid" ||
  { echo "FAIL  jail: no violation report naming gettid"; fail=1; }
if grep -q 'probe survived gettid' "$T/exec"; then echo "FAIL  jail: gettid was not killed"; fail=1; fi
if [ "$fail" != 0 ]; then cat "$T/exec" >&2; say "failed"; else say "tsjail-exec's jail behaves on aarch64"; fi
exit "$fail"
