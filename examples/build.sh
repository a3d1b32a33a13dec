#!/usr/bin/env bash
# Rebuilds the bundled example objects (needs clang-19 and llvm-19: apt-get install clang-19 llvm-19).
set -euo pipefail
cd "$(dirname "$0")"
clang-19 -O2 -g -target bpf -c xdp_count.c -o xdp_count.o
llvm-objcopy-19 --dump-section .BTF=xdp_count.btf xdp_count.o
llvm-objcopy-19 --dump-section xdp=/dev/stdout xdp_count.o | od -An -v -tx1 -w8 | tr -d ' ' > xdp_count.hex
