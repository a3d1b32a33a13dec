import { BpfError, type Task } from '@bpfkit/kernel-api';
import { insn } from '@bpfkit/kernel/syscall-cases';
import {
  BpfCmd,
  BpfProgType,
  encodeAttrGroup,
  encodeMapCreateAttr,
  encodeMapElemAttr,
  encodeProgLoadAttr,
  type MapCreateAttr,
} from '@bpfkit/uapi';

/** The errno a call throws, or undefined when it succeeds. */
export function errnoOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof BpfError) return e.code;
    throw e;
  }
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function u64(v: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
  return b;
}

export function readU64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);
}

export function createMap(t: Task, fields: MapCreateAttr): number {
  return t.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(fields));
}

export function arrayMap(t: Task, maxEntries = 4, flags = 0): number {
  return createMap(t, { map_type: 2, key_size: 4, value_size: 8, max_entries: maxEntries, map_flags: flags });
}

export function update(t: Task, fd: number, key: Uint8Array, value: Uint8Array, flags = 0n): number {
  return t.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key: t.memory.alloc(key), value: t.memory.alloc(value), flags }));
}

export function lookup(t: Task, fd: number, key: Uint8Array, size = 8): Uint8Array {
  const value = t.memory.alloc(size);
  t.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: t.memory.alloc(key), value }));
  return t.memory.read(value, size);
}

export function freeze(t: Task, fd: number): number {
  return t.bpf(BpfCmd.BPF_MAP_FREEZE, encodeMapElemAttr({ map_fd: fd }));
}

/** One instruction (shared with the syscall cases). */
export { insn };

export function loadProg(t: Task, type: number, insns: number[]): number {
  return t.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type,
    insn_cnt: insns.length / 8,
    insns: t.memory.alloc(Uint8Array.from(insns)),
    license: t.memory.alloc(new TextEncoder().encode('GPL\0')),
  }));
}

/** An XDP program adding 1 to slot 0 of the array `mapFd` and returning XDP_PASS. */
export function counterProg(t: Task, mapFd: number): number {
  return loadProg(t, BpfProgType.BPF_PROG_TYPE_XDP, [
    ...insn(0x18, 1, 1, 0, mapFd), ...insn(0, 0, 0, 0, 0),
    ...insn(0x62, 10, 0, -4, 0),
    ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -4),
    ...insn(0x85, 0, 0, 0, 1),
    ...insn(0x15, 0, 0, 2, 0),
    ...insn(0xb7, 1, 0, 0, 1),
    ...insn(0xdb, 0, 1, 0, 0),
    ...insn(0xb7, 0, 0, 0, 2),
    ...insn(0x95, 0, 0, 0, 0),
  ]);
}

/** BPF_PROG_TEST_RUN with a 64-byte packet; returns the attr as the kernel left it. */
export function testRun(t: Task, prog: number, repeat = 1): Uint8Array {
  const attr = encodeAttrGroup('test', {
    prog_fd: prog,
    data_in: t.memory.alloc(new Uint8Array(64).fill(0xab)),
    data_size_in: 64,
    data_out: t.memory.alloc(128),
    data_size_out: 128,
    repeat,
  });
  t.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
  return attr;
}
