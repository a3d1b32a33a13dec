import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineKfunc } from './define.js';
import { checkMem, tryAlloc } from './memory.js';
import { PERCPU_STRIDE, possibleCpus } from './percpu.js';
import { ptrArg, setR0 } from './regs.js';

/**
 * What an object takes in the arena. The program's type size reaches the kernel's kfunc only
 * through its call-site rewrite, which bpfkit does not make, so every object gets the most
 * `bpf_mem_alloc` hands out; the verifier keeps accesses inside the real type.
 */
const OBJ_SIZE = 4096;

// A graph root (`bpf_list_head`, `bpf_rb_root`, 16 bytes): first and last node, 0 when empty.
const FIRST = 0;
const LAST = 4;
// A node (`bpf_list_node` 24 bytes, `bpf_rb_node` 32): next, previous, and the root owning it.
const NEXT = 0;
const PREV = 4;
const OWNER = 8;

function u32(c: HelperCall, addr: number): number {
  return c.env.arena.view.getUint32(addr, true);
}
function put(c: HelperCall, addr: number, v: number): void {
  c.env.arena.view.setUint32(addr, v >>> 0, true);
}

/** Links `node` into `head`'s chain before `before` (0: at the end). */
function linkBefore(c: HelperCall, head: number, node: number, before: number): void {
  const prev = before === 0 ? u32(c, head + LAST) : u32(c, before + PREV);
  put(c, node + NEXT, before);
  put(c, node + PREV, prev);
  put(c, node + OWNER, head);
  if (prev === 0) put(c, head + FIRST, node);
  else put(c, prev + NEXT, node);
  if (before === 0) put(c, head + LAST, node);
  else put(c, before + PREV, node);
}

function unlink(c: HelperCall, node: number): void {
  const head = u32(c, node + OWNER);
  const next = u32(c, node + NEXT);
  const prev = u32(c, node + PREV);
  if (prev === 0) put(c, head + FIRST, next);
  else put(c, prev + NEXT, next);
  if (next === 0) put(c, head + LAST, prev);
  else put(c, next + PREV, prev);
  put(c, node + NEXT, 0);
  put(c, node + PREV, 0);
  put(c, node + OWNER, 0);
}

function rootArg(c: HelperCall, what: string): number {
  const head = ptrArg(c, 1, what);
  checkMem(c, head, 16, what);
  return head;
}

function nodeArg(c: HelperCall, i: number, size: number, what: string): number {
  const node = ptrArg(c, i, what);
  checkMem(c, node, size, what);
  return node;
}

/** `__bpf_list_add` / `__bpf_rbtree_add`'s refusal: a node another root owns is not taken (-EINVAL). */
function owned(c: HelperCall, node: number): boolean {
  return u32(c, node + OWNER) !== 0;
}

/**
 * The allocation and graph kfuncs of kernel/bpf/helpers.c in the arena: `bpf_obj_new_impl` /
 * `bpf_percpu_obj_new_impl` (a zeroed object, NULL when the arena is full), the drops,
 * `bpf_list_push_front/back_impl`, `pop_front/back`, `front/back`, and `bpf_rbtree_add_impl`
 * (ordered by the program's `less` callback, equal keys after the ones there), `first` and
 * `remove`. Roots and nodes keep their links in the arena; the tree is kept as its in-order
 * chain, so `bpf_rbtree_root/left/right` (which depend on the kernel's balancing) are not here.
 *
 * @example
 * graphKfuncs().map((k) => k.name); // ['bpf_obj_new_impl', …]
 */
export function graphKfuncs(): HelperDescriptor[] {
  const objNew = (name: string): HelperDescriptor => defineKfunc(name, (c) => setR0(c, tryAlloc(c, OBJ_SIZE)));
  // A per-CPU object holds one copy per possible CPU (`bpf_this_cpu_ptr` picks one).
  const percpuObjNew = defineKfunc('bpf_percpu_obj_new_impl', (c) => setR0(c, tryAlloc(c, PERCPU_STRIDE * possibleCpus(c))));
  const objDrop = (name: string): HelperDescriptor => defineKfunc(name, (c) => {
    const p = ptrArg(c, 1, 'p__alloc');
    if (p !== 0) c.env.arena.free(p);
    setR0(c, 0);
  });
  const listPush = (name: string, front: boolean): HelperDescriptor => defineKfunc(name, (c) => {
    const head = rootArg(c, 'head');
    const node = nodeArg(c, 2, 24, 'node');
    if (owned(c, node)) return setR0(c, -Errno.EINVAL);
    linkBefore(c, head, node, front ? u32(c, head + FIRST) : 0);
    setR0(c, 0);
  });
  const listTake = (name: string, at: number, remove: boolean): HelperDescriptor => defineKfunc(name, (c) => {
    const head = rootArg(c, 'head');
    const node = u32(c, head + at);
    if (node !== 0 && remove) unlink(c, node);
    setR0(c, node);
  });
  return [
    objNew('bpf_obj_new_impl'), percpuObjNew, objDrop('bpf_obj_drop_impl'), objDrop('bpf_percpu_obj_drop_impl'),
    listPush('bpf_list_push_front_impl', true), listPush('bpf_list_push_back_impl', false),
    listTake('bpf_list_pop_front', FIRST, true), listTake('bpf_list_pop_back', LAST, true),
    listTake('bpf_list_front', FIRST, false), listTake('bpf_list_back', LAST, false),
    listTake('bpf_rbtree_first', FIRST, false),
    defineKfunc('bpf_rbtree_add_impl', (c) => {
      const root = rootArg(c, 'root');
      const node = nodeArg(c, 2, 32, 'node');
      const less = c.regs[6] ?? 0;
      if (owned(c, node)) return setR0(c, -Errno.EINVAL);
      let at = u32(c, root + FIRST);
      while (at !== 0 && c.env.callback(less, node, at, 0, 0, 0) === 0n) at = u32(c, at + NEXT);
      linkBefore(c, root, node, at);
      setR0(c, 0);
    }),
    defineKfunc('bpf_rbtree_remove', (c) => {
      const root = rootArg(c, 'root');
      const node = nodeArg(c, 2, 32, 'node');
      if (u32(c, node + OWNER) !== root) return setR0(c, 0);
      unlink(c, node);
      setR0(c, node);
    }),
  ];
}
