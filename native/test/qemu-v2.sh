#!/bin/sh
# Checks the cgroup v2 path of native/parent/cgroup.c (and Landlock ABI handling on an older
# kernel) in a pure-v2 VM, which this hybrid development machine cannot provide.
# Needs: qemu-system-x86, busybox-static, cpio, and a Debian kernel:
#   apt-get install --no-install-recommends qemu-system-x86 busybox-static cpio
#   apt-get download linux-image-6.1.0-NN-cloud-amd64 && dpkg-deb -x linux-image-*.deb kern
# Usage: native/test/qemu-v2.sh path/to/vmlinuz   (prints the guest's console; exit 0
# when every check printed PASS).
set -eu
KERNEL=$1
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap "cp $WORK/console /tmp/qv2-console 2>/dev/null; rm -rf $WORK" EXIT
R=$WORK/root
mkdir -p $R/bin $R/proc $R/sys $R/dev $R/tmp $R/etc
cp /bin/busybox $R/bin/busybox
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox $R/bin/$a; done
gcc -static -O2 -o $R/jailfs-driver "$HERE/jailfs-driver.c" "$HERE/../child/mounts.c" "$HERE/../child/landlock.c" \
  "$HERE/../child/rlimits.c" "$HERE/../parent/cgroup.c"
gcc -static -O2 -o $R/fsprobe "$HERE/fsprobe.c"
echo 'root:x:0:0::/:/bin/sh' > $R/etc/passwd
echo 'nobody:x:65534:65534::/:/bin/sh' >> $R/etc/passwd
cat > $R/init <<'INIT'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /tmp
check() { if [ "$2" = "$3" ]; then echo "PASS $1"; else echo "FAIL $1: got [$2] want [$3]"; fi; }
echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
out=$(/jailfs-driver --memory 33554432 --pids 8 --cpu 0.5 -- /bin/sh -c \
  'd=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup); echo $(cat $d/memory.max $d/pids.max $d/cpu.max)')
check "v2 limits written" "$out" "33554432 8 50000 100000"
check "v2 cgroup removed" "$(ls /sys/fs/cgroup | grep -c tsjail)" "0"
/jailfs-driver --memory 33554432 -- /fsprobe hog 200 >/tmp/o 2>&1; rc=$?
check "v2 memory.max OOM-kills" "$rc" "137"
out=$(/jailfs-driver --pids 4 -- /bin/sh -c 'for i in 1 2 3 4 5 6; do sleep 1 & done 2>&1; wait' 2>&1 | grep -c "can't fork")
check "v2 pids.max stops fork" "$([ $out -ge 1 ] && echo yes)" "yes"
/jailfs-driver --pids 10 -- /bin/sh -c 'sleep 100 & echo started' >/dev/null
check "v2 leftovers killed (cgroup.kill) and cgroup removed" "$(ls /sys/fs/cgroup | grep -c tsjail)" "0"
# The pool: reused by the next run when nothing is left (cgroup.events, memory.current); not
# reused when a process or 16 MiB of tmpfs is left; nothing left once drained.
out=$(/jailfs-driver --pool-runs 3 --print-cgroup --memory 67108864 --pids 8 -- /bin/true 2>&1)
check "v2 pool: one cgroup for three runs" "$(echo "$out" | grep cgroup-dir | sort -u | wc -l) $(echo "$out" | grep pool-drained)" "1 pool-drained: 1"
out=$(/jailfs-driver --pool-runs 2 --print-cgroup --pids 8 -- /bin/sh -c 'sleep 100 </dev/null >/dev/null 2>&1 &' 2>&1)
check "v2 pool: a process left behind: not reused, killed" "$(echo "$out" | grep cgroup-dir | sort -u | wc -l) $(pgrep -x sleep | wc -l)" "2 0"
out=$(/jailfs-driver --pool-runs 2 --print-cgroup --memory 67108864 -- /bin/sh -c 'head -c 16777216 /dev/zero > /tmp/charge.$$' 2>&1)
check "v2 pool: 16 MiB left charged: not reused" "$(echo "$out" | grep cgroup-dir | sort -u | wc -l)" "2"
rm -f /tmp/charge.*
check "v2 pool: nothing left" "$(ls /sys/fs/cgroup | grep -c tsjail)" "0"
chmod 755 /jailfs-driver
# busybox has no setpriv --reuid: su keeps the process (and so its cgroup) and drops to nobody.
su -s /bin/sh nobody -c '/jailfs-driver --userns --pids 4 -- /bin/true' >/tmp/u 2>&1
out=$(grep -c 'not delegated to uid 65534' /tmp/u)
check "v2 undelegated: clear error" "$out" "1"
# Delegation as systemd does it (Delegate=yes): a cgroup owned by the user, the caller in it.
mkdir /sys/fs/cgroup/deleg
echo +pids > /sys/fs/cgroup/cgroup.subtree_control
chown 65534:65534 /sys/fs/cgroup/deleg /sys/fs/cgroup/deleg/cgroup.procs /sys/fs/cgroup/deleg/cgroup.subtree_control
JAIL='/jailfs-driver --userns --pids 3 -- /bin/sh -c "for i in 1 2 3 4; do sleep 1 & done 2>&1; wait"'
# Another process shares the delegated cgroup: the no-internal-processes rule, explained.
sh -c 'echo $$ > /sys/fs/cgroup/deleg/cgroup.procs; exec sleep 30' & SLEEPER=$!
sleep 0.2
out=$(sh -c "echo \$\$ > /sys/fs/cgroup/deleg/cgroup.procs; exec su -s /bin/sh nobody -c '$JAIL'" 2>&1)
echo "$out" | head -2
check "v2 delegated cgroup shared with another process: clear error" "$(echo "$out" | grep -c 'other process(es) share it')" "1"
kill $SLEEPER; wait $SLEEPER 2>/dev/null
# tsjail alone in it: it moves itself to deleg/tsjail-leaf and the jail goes to deleg/tsjail-*.
out=$(sh -c "echo \$\$ > /sys/fs/cgroup/deleg/cgroup.procs; exec su -s /bin/sh nobody -c '$JAIL'" 2>&1)
echo "$out" | head -2
check "v2 delegated cgroup: the jail is limited, unprivileged" "$(echo "$out" | grep -c "can't fork" | sed 's/^[1-9][0-9]*$/yes/')" "yes"
check "v2 delegated cgroup: jail cgroup removed, caller's leaf kept" "$(ls /sys/fs/cgroup/deleg | grep tsjail)" "tsjail-leaf"
out=$(sh -c "echo \$\$ > /sys/fs/cgroup/deleg/tsjail-leaf/cgroup.procs; exec su -s /bin/sh nobody -c '$JAIL'" 2>&1 | grep -c "can't fork" | sed 's/^[1-9][0-9]*$/yes/')
check "v2 caller already in tsjail-leaf: jails go next to it" "$out" "yes"
abi=$(/jailfs-driver --abi)
echo "landlock abi $abi"
echo data > /tmp/f; chmod 666 /tmp/f
out=$(/jailfs-driver --ll-rx / -- /fsprobe truncate /tmp/f)
if [ "$abi" -ge 3 ]; then want=13; else want=ok; fi
check "landlock ABI $abi: truncate(2) governed only from ABI 3" "$out" "$want"
out=$(/jailfs-driver --ll-rx / -- /bin/sh -c 'echo x 2>/dev/null > /tmp/f && echo written || echo denied')
check "landlock ABI $abi: rx denies writes" "$out" "denied"
poweroff -f
INIT
chmod 755 $R/init
(cd $R && find . | cpio -o -H newc 2>/dev/null | gzip) > $WORK/initrd.gz
# TCG: a small initramfs boots in seconds, and nested KVM hung on the development VM.
timeout 300 qemu-system-x86_64 -m 512 -smp 2 -nographic -no-reboot -kernel "$KERNEL" -initrd $WORK/initrd.gz \
  -append "console=ttyS0 panic=-1 quiet" | tee $WORK/console | grep -E 'PASS|FAIL|controllers|landlock abi'
! grep -q FAIL $WORK/console && grep -q PASS $WORK/console
