#!/usr/bin/env bash
# Rebuilds the bundled example objects.
# Needs: apt-get install clang-19 llvm-19 libbpf-dev
# (libbpf-dev brings <bpf/bpf_helpers.h> and friends; <linux/*.h> come from linux-libc-dev.)
set -euo pipefail
cd "$(dirname "$0")"

# xdp_count is self-contained (no headers) and built without -mcpu, as `bpfkit demo` expects;
# its .hex and .btf are views the CLI demo and README commands read.
clang-19 -O2 -g -target bpf -c xdp_count.c -o xdp_count.o
llvm-objcopy-19 --dump-section .BTF=xdp_count.btf xdp_count.o
llvm-objcopy-19 --dump-section xdp=/dev/stdout xdp_count.o | od -An -v -tx1 -w8 | tr -d ' ' > xdp_count.hex

# The libbpf-style examples: ISA v3, BTF and BTF.ext kept, DWARF stripped (nothing reads it).
for name in xdp_firewall socket_filter tc_rewrite core_trace cgroup_counter; do
  clang-19 -O2 -g -target bpf -mcpu=v3 -I"/usr/include/$(uname -m)-linux-gnu" -c "$name.c" -o "$name.o"
  llvm-strip-19 --strip-debug "$name.o"
done
