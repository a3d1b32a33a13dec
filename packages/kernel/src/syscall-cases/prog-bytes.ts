import { BpfCmd, encodeAttrGroup, encodeProgLoadAttr, decodeAttrGroup } from '@bpfkit/uapi';
import { hex } from './ops.js';
import type { CaseRunner } from './runner.js';

// Hand-encoded programs and the test-run call the program cases share.

/** One 8-byte instruction. */
export function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

/** `r<dst> = imm`. */
export const movImm = (dst: number, imm: number): number[] => insn(0xb7, dst, 0, 0, imm);
/** `exit`. */
export const exit = (): number[] => insn(0x95, 0, 0, 0, 0);
/** `GPL`, NUL-terminated. */
export const GPL = new TextEncoder().encode('GPL\0');

/** `r0 = <ret>; exit`. */
export const returning = (ret: number): Uint8Array => Uint8Array.from([...movImm(0, ret), ...exit()]);

/** An XDP program counting its runs in slot 0 of the array `mapFd`, returning XDP_PASS. */
export function counter(mapFd: number): Uint8Array {
  return Uint8Array.from([
    ...insn(0x18, 1, 1, 0, mapFd), ...insn(0, 0, 0, 0, 0), // r1 = map
    ...insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -4), // r2 = r10 - 4
    ...insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    ...insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    ...movImm(1, 1),
    ...insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
    ...movImm(0, 2),
    ...exit(),
  ]);
}

/** BPF_PROG_LOAD of a GPL program; the fd is owned by the case. */
export function load(r: CaseRunner, step: string, type: number, insns: Uint8Array, name = '', fdArray?: readonly number[], fdArrayCnt = 0): number | undefined {
  const fds = fdArray === undefined ? undefined : new Uint8Array(Int32Array.from(fdArray).buffer);
  const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(GPL), prog_name: name,
    ...(fds === undefined ? {} : { fd_array: r.mem(fds) }), fd_array_cnt: fdArrayCnt,
  }));
  return fd === undefined ? undefined : r.own(fd);
}

/** BPF_PROG_TEST_RUN with a packet; records retval, data_size_out and whether data_out holds the packet. */
export function testRun(r: CaseRunner, step: string, prog: number, opts: { data?: Uint8Array; sizeOut?: number; repeat?: number; flags?: number; ctxSizeIn?: number; cpu?: number }): void {
  const data = opts.data;
  const sizeOut = opts.sizeOut ?? 256;
  const out = r.mem(Math.max(1, sizeOut));
  const attr = encodeAttrGroup('test', {
    prog_fd: prog,
    data_in: data === undefined ? 0n : r.mem(data),
    data_size_in: data?.length ?? 0,
    data_out: out,
    data_size_out: sizeOut,
    repeat: opts.repeat ?? 1,
    flags: opts.flags ?? 0,
    ctx_size_in: opts.ctxSizeIn ?? 0,
    cpu: opts.cpu ?? 0,
  });
  const more = (): Record<string, number | boolean | string> => {
    const t = decodeAttrGroup('test', attr);
    const got = r.read(out, Math.min(sizeOut, t.data_size_out));
    const same = data !== undefined && hex(got) === hex(data.subarray(0, got.length));
    return { retval: t.retval, data_size_out: t.data_size_out, dataIsInput: same, ...(same || got.length === 0 ? {} : { data: hex(got.subarray(0, 64)) }) };
  };
  r.call(step, BpfCmd.BPF_PROG_TEST_RUN, attr, more);
}

/** A packet of `n` bytes with a fixed pattern. */
export const packet = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + 3) & 0xff);

/** An XDP program that tail-calls slot 0 of `progArray` and returns XDP_PASS when the slot is empty. */
export function tailCaller(progArray: number): Uint8Array {
  return Uint8Array.from([
    ...insn(0x18, 2, 1, 0, progArray), ...insn(0, 0, 0, 0, 0), // r2 = prog array
    ...movImm(3, 0),
    ...insn(0x85, 0, 0, 0, 12), // call bpf_tail_call
    ...movImm(0, 2),
    ...exit(),
  ]);
}

