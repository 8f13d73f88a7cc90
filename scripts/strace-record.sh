# Sourced by the syscall-count recorders (scripts/record-syscall-prior.sh for the dispatch's
# prior, bench/data/syscall-counts/record.sh for the bench's weighted cost), which set $work (a
# scratch directory the commands run in) and $here (where the TSVs go).
#
# record NAME COMMAND [ARGS]: run COMMAND under `strace -c -f` (children and threads counted)
# and write $here/NAME.tsv: `syscall<TAB>calls`, most frequent first, with the command and the
# recording's date, kernel and strace version in header comments. A failing command still
# leaves what strace counted.
record() {
  name=$1; shift
  ( cd "$work" && strace -c -f -o "$work/$name.strace" "$@" > /dev/null 2>&1 ) || true
  {
    echo "# $name: strace -c -f $*"
    echo "# recorded $(date -u +%Y-%m-%d) on Linux $(uname -r), $(strace -V | head -1)"
    echo "syscall	calls"
    awk '/^-/ {n++; next} n == 1 && NF >= 5 { c = $4; s = $NF; print s "\t" c }' "$work/$name.strace" | sort -t '	' -k2,2nr -k1,1
  } > "$here/$name.tsv"
}
