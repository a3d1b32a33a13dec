// BPF arenas through the simulated kernel's syscalls (Linux 6.18 kernel/bpf/arena.c and verifier.c):
// mmap of an ARENA map, a program that may use the arena only once its user address is set, and
// loads/stores through arena pointers that reach the pages user space maps. This machine's real kernel
// refuses ARENA maps with EPERM (machine policy), so the expected answers are the kernel source's and
// the verifier corpus's (progs/verifier_arena*.json, recorded on 6.18).
import test from 'ava';
import { MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE, type Task } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_MMAPABLE, BPF_F_SEGV_ON_FAULT, BpfCmd, BpfMapType, BpfProgType, decodeAttrGroup, encodeMapElemAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { createMap, errnoOf, insn, testRun } from './bpf-calls.js';

const PAGE = 4096;
const START = 0x1001_0000_0000n;

function arena(t: Task, pages: number, mapExtra = 0n, flags = BPF_F_MMAPABLE): number {
  return createMap(t, { map_type: BpfMapType.BPF_MAP_TYPE_ARENA, key_size: 0, value_size: 0, max_entries: pages, map_flags: flags, map_extra: mapExtra });
}

/**
 * r1 = &arena[8] (its user address); r1 = addr_space_cast(r1, 0, 1); r0 = *(u32 *)(r1 +0); r0 += 1;
 * *(u32 *)(r1 +0) = r0; r2 = *(u32 *)(r1 +4096) (a page nobody made: 0); r0 += r2; exit.
 */
function bumpProgram(fd: number): number[] {
  return [
    ...insn(0x18, 1, 2, 0, fd), ...insn(0, 0, 0, 0, 8),
    ...insn(0xbf, 1, 1, 1, 1),
    ...insn(0x61, 0, 1, 0, 0),
    ...insn(0x07, 0, 0, 0, 1),
    ...insn(0x63, 1, 0, 0, 0),
    ...insn(0x61, 2, 1, 4096, 0),
    ...insn(0x0f, 0, 2, 0, 0),
    ...insn(0x95, 0, 0, 0, 0),
  ];
}

function load(t: Task, insns: number[]): { fd?: number; code?: string; log: string } {
  const size = 1 << 16;
  const buf = t.memory.alloc(size);
  try {
    const fd = t.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt: insns.length / 8, insns: t.memory.alloc(Uint8Array.from(insns)),
      license: t.memory.alloc(new TextEncoder().encode('GPL\0')), log_level: 1, log_size: size, log_buf: buf,
    }));
    return { fd, log: '' };
  } catch (e) {
    const log = new TextDecoder().decode(t.memory.read(buf, size)).replace(/\0.*$/s, '');
    return { code: (e as { code: string }).code, log };
  }
}

test('mmap of an arena: offset 0, the whole fixed range once map_extra set it, MAP_SHARED; at most 4 GiB', (t) => {
  const k = createDefaultKernel();
  const fixed = arena(k.init, 2, START);
  t.is(errnoOf(() => k.init.mmap(fixed, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, PAGE)), 'EINVAL');
  t.is(errnoOf(() => k.init.mmap(fixed, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED)), 'EINVAL');
  t.is(errnoOf(() => k.init.mmap(fixed, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED)), 'E2BIG');
  t.is(errnoOf(() => k.init.mmap(fixed, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE)), 'EINVAL');
  const m = k.init.mmap(fixed, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.is(m.length, 2 * PAGE);
  const free = arena(k.init, 4);
  t.is(errnoOf(() => k.init.mmap(free, 2 ** 32 + PAGE, PROT_READ | PROT_WRITE, MAP_SHARED)), 'E2BIG');
  k.init.mmap(free, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.is(errnoOf(() => k.init.mmap(free, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED)), 'EINVAL', 'every mapping covers the range the first one bound');
});

test('a program may use an arena only once its user address is set (map_extra or mmap)', (t) => {
  const k = createDefaultKernel();
  const fd = arena(k.init, 2);
  const before = load(k.init, bumpProgram(fd));
  t.is(before.code, 'EINVAL');
  t.regex(before.log, /arena's user address must be set via map_extra or mmap\(\)\n/);
  k.init.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.not(load(k.init, bumpProgram(fd)).fd, undefined);
  t.not(load(k.init, bumpProgram(arena(k.init, 2, START))).fd, undefined);
});

test('loads and stores through arena pointers reach the pages user space maps; a missing page reads 0', (t) => {
  for (const engine of ['interp', 'wasm'] as const) {
    const k = createDefaultKernel({ engine });
    const fd = arena(k.init, 2);
    const m = k.init.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
    m.write(8, Uint8Array.of(41, 0, 0, 0));
    const prog = load(k.init, bumpProgram(fd)).fd ?? -1;
    t.is(decodeAttrGroup('test', testRun(k.init, prog)).retval, 42, engine);
    t.deepEqual([...m.read(8, 4)], [42, 0, 0, 0], engine);
    t.is(decodeAttrGroup('test', testRun(k.init, prog)).retval, 43, engine);
  }
});

test('with BPF_F_SEGV_ON_FAULT user space cannot fault in a page the program did not allocate', (t) => {
  const k = createDefaultKernel();
  const fd = arena(k.init, 2, START, BPF_F_MMAPABLE | BPF_F_SEGV_ON_FAULT);
  const m = k.init.mmap(fd, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.is(errnoOf(() => m.read(0, 4)), 'EFAULT');
  const prog = load(k.init, bumpProgram(fd)).fd ?? -1;
  // The program's accesses all miss: the load gives 0, the store is dropped.
  t.is(decodeAttrGroup('test', testRun(k.init, prog)).retval, 1);
  t.is(errnoOf(() => m.read(8, 4)), 'EFAULT');
});

test('element commands: a key pointer is EINVAL (key_size 0); without one lookup is EINVAL, update/delete/get_next_key EOPNOTSUPP, lookup_and_delete ENOTSUPP', (t) => {
  const k = createDefaultKernel();
  const fd = arena(k.init, 1);
  const key = k.init.memory.alloc(8);
  const value = k.init.memory.alloc(8);
  const elem = (cmd: number, withKey: boolean, extra: Record<string, bigint> = {}): string | undefined =>
    errnoOf(() => k.init.bpf(cmd, encodeMapElemAttr({ map_fd: fd, key: withKey ? key : 0n, ...extra })));
  t.deepEqual([elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, false, { value }), elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, true, { value })], ['EINVAL', 'EINVAL']);
  t.deepEqual([elem(BpfCmd.BPF_MAP_UPDATE_ELEM, false, { value }), elem(BpfCmd.BPF_MAP_UPDATE_ELEM, true, { value })], ['EOPNOTSUPP', 'EINVAL']);
  t.deepEqual([elem(BpfCmd.BPF_MAP_DELETE_ELEM, false), elem(BpfCmd.BPF_MAP_DELETE_ELEM, true)], ['EOPNOTSUPP', 'EINVAL']);
  t.deepEqual([elem(BpfCmd.BPF_MAP_GET_NEXT_KEY, false, { next_key: value }), elem(BpfCmd.BPF_MAP_GET_NEXT_KEY, true, { next_key: value })], ['EOPNOTSUPP', 'EINVAL']);
  t.is(elem(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, false, { value }), 'ENOTSUPP');
});
