import {
  BpfCmd,
  decodeAttrGroup,
  encodeAttrGroup,
  encodeGetIdAttr,
  encodeInfoAttr,
  encodeMapCreateAttr,
  encodeMapElemAttr,
  type AttrInput,
  type MapCreateAttr,
} from '@bpfkit/uapi';
import type { CaseRunner, Observed } from './runner.js';

/**
 * Lower-case hex of bytes.
 *
 * @example
 * hex(Uint8Array.of(1, 255)); // '01ff'
 */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/**
 * Bytes of a hex string.
 *
 * @example
 * unhex('01ff'); // Uint8Array [1, 255]
 */
export function unhex(s: string): Uint8Array {
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Little-endian u32. */
export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

/** Little-endian u64. */
export function u64(v: bigint | number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true);
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** A per-CPU value: `v(cpu)` in each CPU's slot of `round_up(size, 8)` bytes. */
export function percpu(r: CaseRunner, size: number, v: (cpu: number) => Uint8Array): Uint8Array {
  const slot = Math.ceil(size / 8) * 8;
  const out = new Uint8Array(slot * r.cpus);
  for (let c = 0; c < r.cpus; c++) out.set(v(c).subarray(0, size), c * slot);
  return out;
}

/** BPF_MAP_CREATE; the fd is owned by the case. */
export function mapCreate(r: CaseRunner, step: string, fields: MapCreateAttr): number | undefined {
  const fd = r.call(step, BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr(fields));
  return fd === undefined ? undefined : r.own(fd);
}

/** BPF_MAP_UPDATE_ELEM of `key` (NULL when undefined) to `value`. */
export function update(r: CaseRunner, step: string, fd: number, key: Uint8Array | undefined, value: Uint8Array, flags = 0n): void {
  r.call(step, BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key: key === undefined ? 0n : r.mem(key), value: r.mem(value), flags }));
}

/** BPF_MAP_LOOKUP_ELEM: records the value read back. */
export function lookup(r: CaseRunner, step: string, fd: number, key: Uint8Array | undefined, valueSize: number, flags = 0n, valueIn?: Uint8Array): void {
  const value = r.mem(valueIn ?? valueSize);
  r.call(step, BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: key === undefined ? 0n : r.mem(key), value, flags }),
    () => ({ value: hex(r.read(value, valueSize)) }));
}

/** BPF_MAP_DELETE_ELEM. */
export function del(r: CaseRunner, step: string, fd: number, key: Uint8Array | undefined): void {
  r.call(step, BpfCmd.BPF_MAP_DELETE_ELEM, encodeMapElemAttr({ map_fd: fd, key: key === undefined ? 0n : r.mem(key) }));
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM: records the value read back. */
export function lookupAndDelete(r: CaseRunner, step: string, fd: number, key: Uint8Array | undefined, valueSize: number, flags = 0n): void {
  const value = r.mem(valueSize);
  r.call(step, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, encodeMapElemAttr({ map_fd: fd, key: key === undefined ? 0n : r.mem(key), value, flags }),
    () => ({ value: hex(r.read(value, valueSize)) }));
}

/** BPF_MAP_GET_NEXT_KEY: records the next key. */
export function nextKey(r: CaseRunner, step: string, fd: number, key: Uint8Array | undefined, keySize: number): void {
  const next = r.mem(keySize);
  r.call(step, BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: key === undefined ? 0n : r.mem(key), next_key: next }),
    () => ({ next: hex(r.read(next, keySize)) }));
}

/**
 * Every key by BPF_MAP_GET_NEXT_KEY from NULL until ENOENT, recorded sorted
 * when `unordered` (hash maps without BPF_F_ZERO_SEED iterate in a seeded order).
 */
export function allKeys(r: CaseRunner, step: string, fd: number, keySize: number, unordered: boolean, limit = 64): void {
  const keys: string[] = [];
  const next = r.mem(Math.max(1, keySize));
  let prev: bigint = 0n;
  let end = 'limit';
  for (let i = 0; i < limit; i++) {
    try {
      r.sys.bpf(BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: prev, next_key: next }));
    } catch (e) {
      end = e instanceof Error && 'code' in e ? String(e.code) : 'error';
      break;
    }
    const k = r.read(next, keySize);
    keys.push(hex(k));
    prev = r.mem(k);
  }
  r.record(step, { keys: unordered ? [...keys].sort() : keys, end });
}

/** BPF_MAP_FREEZE. */
export function freeze(r: CaseRunner, step: string, fd: number): void {
  r.call(step, BpfCmd.BPF_MAP_FREEZE, encodeMapElemAttr({ map_fd: fd }));
}

/** A batch attr with the caller's buffers. */
export function batchAttr(fields: AttrInput<'batch'>): Uint8Array {
  return encodeAttrGroup('batch', fields);
}

/** The `count` the kernel wrote back into a batch attr. */
export function batchCount(attr: Uint8Array): number {
  return decodeAttrGroup('batch', attr).count;
}

/** A map's info (BPF_OBJ_GET_INFO_BY_FD) reduced to the fields both kernels know the same way. */
export function mapInfo(r: CaseRunner, step: string, fd: number): void {
  const info = r.mem(104);
  const attr = encodeInfoAttr({ bpf_fd: fd, info_len: 104, info });
  r.call(step, BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, () => {
    const b = r.read(info, 104);
    const v = new DataView(b.buffer, b.byteOffset);
    const name = b.subarray(24, 40);
    const nul = name.indexOf(0);
    return {
      info_len: decodeAttrGroup('info', attr).info_len,
      type: v.getUint32(0, true),
      idNonZero: v.getUint32(4, true) !== 0,
      key_size: v.getUint32(8, true),
      value_size: v.getUint32(12, true),
      max_entries: v.getUint32(16, true),
      map_flags: v.getUint32(20, true),
      name: new TextDecoder().decode(nul < 0 ? name : name.subarray(0, nul)),
      btfIdNonZero: v.getUint32(64, true) !== 0,
      btf_key_type_id: v.getUint32(68, true),
      btf_value_type_id: v.getUint32(72, true),
      btf_vmlinux_value_type_id: v.getUint32(44, true),
      map_extra: v.getBigUint64(80, true).toString(),
    };
  });
}

/** The id of the object behind `fd` (from its info), for id-based commands. */
export function objectId(r: CaseRunner, fd: number, infoLen: number): number {
  const info = r.mem(infoLen);
  r.sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: infoLen, info }));
  return new DataView(r.read(info, 8).buffer).getUint32(4, true);
}

/** BPF_*_GET_FD_BY_ID; records success (the new fd is closed at the end). */
export function fdById(r: CaseRunner, step: string, cmd: number, id: number, openFlags = 0): number | undefined {
  const fd = r.call(step, cmd, encodeGetIdAttr({ start_id: id, open_flags: openFlags }));
  return fd === undefined ? undefined : r.own(fd);
}

/** Records an observation computed by `fn`, or the errno it threw. */
export function observe(r: CaseRunner, step: string, fn: () => Observed): void {
  try {
    r.record(step, fn());
  } catch (e) {
    if (e instanceof Error && 'code' in e) r.record(step, { errno: String(e.code) });
    else throw e;
  }
}
