import type { BpfSyscall } from '@bpfkit/kernel-api';
import { BpfCmd, encodeInfoAttr } from '@bpfkit/uapi';
import { cStringOf, withScratch, type Scratch } from './scratch.js';

/** `struct bpf_prog_info`, the fields a client reads. */
export interface ProgInfo {
  readonly type: number;
  readonly id: number;
  /** The 8-byte tag, hex. */
  readonly tag: string;
  readonly xlatedProgLen: number;
  readonly jitedProgLen: number;
  readonly name: string;
  readonly nrMapIds: number;
  readonly btfId: number;
  readonly verifiedInsns: number;
  readonly runCnt: bigint;
  readonly runTimeNs: bigint;
  readonly attachBtfId: number;
  readonly attachBtfObjId: number;
}

/** `struct bpf_map_info`, the fields a client reads. */
export interface MapInfo {
  readonly type: number;
  readonly id: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly name: string;
  readonly btfId: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly mapExtra: bigint;
}

/** `struct bpf_btf_info`, with its name. */
export interface BtfInfo {
  readonly id: number;
  readonly btfSize: number;
  readonly name: string;
  readonly kernelBtf: boolean;
}

const PROG_INFO_SIZE = 232;
const MAP_INFO_SIZE = 104;
const BTF_INFO_SIZE = 32;
const NAME_BUF = 64;

function getInfo(sys: BpfSyscall, s: Scratch, fd: number, init: Uint8Array): DataView {
  const buf = s.alloc(init);
  sys.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: init.length, info: buf }));
  const bytes = s.read(buf, init.length);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

function bytesAt(v: DataView, off: number, len: number): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset + off, len);
}

/**
 * BPF_OBJ_GET_INFO_BY_FD on a program (libbpf `bpf_prog_get_info_by_fd`), decoded.
 *
 * @example
 * bpfProgGetInfoByFd(sys, progFd).verifiedInsns; // 12
 */
export function bpfProgGetInfoByFd(sys: BpfSyscall, fd: number): ProgInfo {
  return withScratch(sys, (s) => {
    const v = getInfo(sys, s, fd, new Uint8Array(PROG_INFO_SIZE));
    const u32 = (o: number): number => v.getUint32(o, true);
    return {
      type: u32(0),
      id: u32(4),
      tag: [...bytesAt(v, 8, 8)].map((b) => b.toString(16).padStart(2, '0')).join(''),
      jitedProgLen: u32(16),
      xlatedProgLen: u32(20),
      nrMapIds: u32(52),
      name: cStringOf(bytesAt(v, 64, 16)),
      btfId: u32(128),
      runTimeNs: v.getBigUint64(192, true),
      runCnt: v.getBigUint64(200, true),
      verifiedInsns: u32(216),
      attachBtfObjId: u32(220),
      attachBtfId: u32(224),
    };
  });
}

/**
 * BPF_OBJ_GET_INFO_BY_FD on a map (libbpf `bpf_map_get_info_by_fd`), decoded.
 *
 * @example
 * bpfMapGetInfoByFd(sys, mapFd).name; // 'counts'
 */
export function bpfMapGetInfoByFd(sys: BpfSyscall, fd: number): MapInfo {
  return withScratch(sys, (s) => {
    const v = getInfo(sys, s, fd, new Uint8Array(MAP_INFO_SIZE));
    const u32 = (o: number): number => v.getUint32(o, true);
    return {
      type: u32(0), id: u32(4), keySize: u32(8), valueSize: u32(12), maxEntries: u32(16), mapFlags: u32(20),
      name: cStringOf(bytesAt(v, 24, 16)), btfId: u32(64), btfKeyTypeId: u32(68), btfValueTypeId: u32(72),
      mapExtra: v.getBigUint64(80, true),
    };
  });
}

/**
 * BPF_OBJ_GET_INFO_BY_FD on a BTF object (libbpf `bpf_btf_get_info_by_fd`), with its name;
 * `withData` also copies the raw BTF out.
 *
 * @example
 * const vmlinux = bpfBtfGetInfoByFd(sys, bpfBtfGetFdById(sys, 1)); // { name: 'vmlinux', kernelBtf: true, … }
 */
export function bpfBtfGetInfoByFd(sys: BpfSyscall, fd: number, withData = false): BtfInfo & { readonly data?: Uint8Array } {
  return withScratch(sys, (s) => {
    const first = getInfo(sys, s, fd, new Uint8Array(BTF_INFO_SIZE));
    const size = first.getUint32(8, true);
    const init = new Uint8Array(BTF_INFO_SIZE);
    const iv = new DataView(init.buffer);
    const name = s.alloc(NAME_BUF);
    const data = withData ? s.alloc(size) : 0n;
    iv.setBigUint64(0, data, true);
    iv.setUint32(8, withData ? size : 0, true);
    iv.setBigUint64(16, name, true);
    iv.setUint32(24, NAME_BUF, true);
    const v = getInfo(sys, s, fd, init);
    return {
      btfSize: v.getUint32(8, true),
      id: v.getUint32(12, true),
      name: cStringOf(s.read(name, NAME_BUF)),
      kernelBtf: v.getUint32(28, true) !== 0,
      ...(withData ? { data: s.read(data, size) } : {}),
    };
  });
}
