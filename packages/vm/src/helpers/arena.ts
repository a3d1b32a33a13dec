import type { BpfArenaOps, HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineKfunc } from './define.js';
import { mapArg } from './maps.js';
import { argLo, argS32, setR0, setR0Big } from './regs.js';

/** A 64-bit argument as the unsigned value it is. */
function argU64(c: HelperCall, i: number): bigint {
  return (BigInt((c.regs[2 * i + 1] ?? 0) >>> 0) << 32n) | BigInt((c.regs[2 * i] ?? 0) >>> 0);
}

/** The arena behind `p__map` (r1), or undefined for another map type (the kfuncs then do nothing). */
function arenaArg(c: HelperCall): BpfArenaOps | undefined {
  return mapArg(c, 1).bpfArena;
}

/**
 * The arena kfuncs of kernel/bpf/arena.c: `bpf_arena_alloc_pages(map, addr, page_cnt, node_id,
 * flags)` (the user address of the first page, or NULL), `bpf_arena_free_pages(map, ptr,
 * page_cnt)` and `bpf_arena_reserve_pages(map, ptr, page_cnt)` (0 or a negative errno).
 *
 * @example
 * arenaKfuncs().map((k) => k.name); // ['bpf_arena_alloc_pages', 'bpf_arena_free_pages', 'bpf_arena_reserve_pages']
 */
export function arenaKfuncs(): HelperDescriptor[] {
  return [
    defineKfunc('bpf_arena_alloc_pages', (c) => {
      const arena = arenaArg(c);
      if (arena === undefined) return setR0(c, 0);
      setR0Big(c, arena.allocPages(argU64(c, 2), argLo(c, 3) >>> 0, argS32(c, 4), argU64(c, 5)));
    }),
    defineKfunc('bpf_arena_free_pages', (c) => {
      const arena = arenaArg(c);
      const ptr = argU64(c, 2);
      if (arena !== undefined) arena.freePages(ptr, argLo(c, 3) >>> 0);
      setR0(c, 0);
    }),
    defineKfunc('bpf_arena_reserve_pages', (c) => {
      const arena = arenaArg(c);
      setR0(c, arena === undefined ? -Errno.EINVAL : arena.reservePages(argU64(c, 2), argLo(c, 3) >>> 0));
    }),
  ];
}
