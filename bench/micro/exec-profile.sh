#!/bin/bash
# Where one exec() of the no-libc loop spends its kernel time (perf, cpu-clock
# sampling): the shares behind the measured percpu costs in docs/simulator.md.
#
#   bash bench/micro/exec-profile.sh [N]       # default 100000 execs; needs perf and root
set -e
N=${1:-100000}
gcc -O2 -static -nostdlib -ffreestanding -fno-builtin -fno-tree-loop-distribute-patterns -fno-stack-protector \
  -o /tmp/exec-nolibc "$(dirname "$0")/exec-loop-nolibc.c"
/tmp/exec-nolibc 20000
P=$(mktemp /tmp/exec-perf.XXXXXX)
perf record -q -g -F 4999 -o "$P" -- /tmp/exec-nolibc "$N" | sed 's/^exec_ns/exec_ns_under_perf/'
perf report -i "$P" --children --sort sym --stdio -g none 2>/dev/null \
  | grep -E "\] (pcpu_alloc_noprof|free_percpu|__percpu_counter_init_many|percpu_counter_destroy_many|pgd_alloc|pgd_free|vma_link|unlink_file_vma_batch_process|filemap_map_pages|lockref_get_not_dead|lockref_put_return)$"
perf report -i "$P" --children --stdio -g caller,0.1,callee --symbol-filter=pcpu_alloc_noprof 2>/dev/null | grep -E "^ +[|]?--[0-9.]+%--" | head -4
rm -f "$P"
