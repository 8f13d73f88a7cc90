#!/bin/sh
# Records the syscall counts behind the dispatch's built-in frequency prior
# (scripts/gen-syscall-prior.js turns them into wasm/assembly/tables/prior.ts).
#
# The programs are deliberately NOT the ones the bench's weighted cost is measured with
# (bench/data/syscall-counts: dash, python3, node, cc): git, tar with gzip, xz, perl, make with
# bash recipes, a bash loop and coreutils that the bench's shell script does not run. A prior
# fitted on the evaluation programs would make the weighted figure meaningless.
#
# One TSV per program, `syscall<TAB>calls`, most frequent first, with the command in a header
# comment. `strace -c -f` counts children and threads. Run from anywhere; writes next to the
# other recordings in scripts/data/syscall-prior/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)/data/syscall-prior
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
cp -r /usr/include/linux "$work/src/linux"

cat > "$work/git.sh" <<'SH'
set -e
g() { git -c user.name=t -c user.email=t@t -c init.defaultBranch=main "$@"; }
g init -q repo
cp -r src/linux repo/
cd repo
g add -A
g commit -q -m one
sed -i 's/#define/# define/' linux/a*.h
g status --short > /dev/null
g diff --stat > /dev/null
g commit -q -am two
g log --oneline > /dev/null
g gc -q
SH

cat > "$work/tar.sh" <<'SH'
tar -czf out.tgz -C src linux
tar -tzf out.tgz > /dev/null
mkdir x && tar -xzf out.tgz -C x
SH

cat > "$work/prog.pl" <<'PL'
use strict; use warnings;
my %words;
opendir(my $d, "src/linux") or die;
for my $f (sort readdir $d) {
  next unless $f =~ /\.h$/;
  open(my $fh, "<", "src/linux/$f") or next;
  while (my $l = <$fh>) { $words{$1}++ while $l =~ /\b([A-Z_]{4,})\b/g; }
  close $fh;
}
open(my $o, ">", "words.txt") or die;
print $o "$_ $words{$_}\n" for sort { $words{$b} <=> $words{$a} || $a cmp $b } keys %words;
close $o;
PL

cat > "$work/Makefile" <<'MK'
SHELL := /bin/bash
HDRS := $(wildcard src/linux/*.h)
OUT := $(patsubst src/linux/%.h,build/%.len,$(HDRS))
all: build/total
build/%.len: src/linux/%.h | build
	@echo $${#$$(< $<)} > $@
build:
	@mkdir -p build
build/total: $(OUT)
	@cat $^ > $@
MK

cat > "$work/loop.bash" <<'SH'
n=0
for i in $(seq 1 300); do
  n=$((n + i % 7))
  [ -f src/linux/a.out.h ] && printf '%d %d\n' "$i" "$n" >> loop.txt
  read -r first < src/linux/a.out.h
  case $first in *ifndef*) : ;; esac
done
s=$(cat loop.txt | tail -n 1)
echo "$s" > /dev/null
SH

cat > "$work/coreutils.sh" <<'SH'
cp -r src/linux copy
du -s copy > /dev/null
sha256sum copy/*.h > sums.txt
stat copy/*.h > /dev/null
mkdir moved && mv copy/*.h moved/
rm -r copy moved
SH

. "$(dirname "$0")/strace-record.sh"
record git bash git.sh
record tar bash tar.sh
record xz xz -k -9 src/linux/bpf.h
record perl perl prog.pl
record make make -j2
record bash bash loop.bash
record coreutils bash coreutils.sh
