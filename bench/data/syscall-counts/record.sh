#!/bin/sh
# Records the syscall counts of a few real programs with `strace -c -f` (children and threads
# counted), one TSV per program: `syscall<TAB>calls`, most frequent first, with the command in
# a header comment. Re-run from this directory to refresh; the bench reads the TSVs. The
# programs are whatever PATH finds: where python3 is a pyenv shim (a shell script that execs
# the interpreter), the shim's calls are counted with it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#include <stdio.h>\nint main(void) { printf("hello\\n"); return 0; }\n' > "$work/hello.c"
cat > "$work/script.sh" <<'SH'
for f in /etc/passwd /etc/group /etc/hostname /etc/os-release; do
  n=$(wc -l < "$f"); echo "$f $n" >> out.txt
done
ls -la /usr/bin | grep -c x > /dev/null
find /etc -maxdepth 1 -name '*.conf' | sort | head -5 > /dev/null
sed -n 1,5p out.txt | tr a-z A-Z > /dev/null
SH
. "$(dirname "$0")/../../../scripts/strace-record.sh"
record sh sh script.sh
record python3 python3 -c 'import json, os, re, hashlib; d = {p: sorted(os.listdir(p)) for p in ("/usr/lib", "/etc")}; s = json.dumps(d); [hashlib.sha256(s.encode()).hexdigest() for _ in range(100)]; open("out.json", "w").write(s); print(len(re.findall("py", s)))'
record node node -e 'const fs = require("fs"); const d = fs.readdirSync("/usr/lib"); fs.writeFileSync("out.json", JSON.stringify(d)); require("crypto").createHash("sha256").update(fs.readFileSync("out.json")).digest("hex"); setTimeout(() => {}, 50)'
record cc cc -O2 -o hello hello.c
