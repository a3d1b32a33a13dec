// Random BPF programs the real verifier accepts, and a runner that loads and
// test-runs them through any BpfSyscall, so Linux and bpfkit can be compared.
// Instructions are encoded here (the linux package does not depend on @bpfkit/asm).
import { createHash } from 'node:crypto';
import { isBpfError, type BpfSyscall } from '@bpfkit/kernel-api';
import { encodeBtfBlob } from './btf-blob.js';
import {
  BpfCmd,
  encodeBtfLoadAttr,
  BpfMapType,
  BpfProgType,
  decodeTestRunAttr,
  encodeMapCreateAttr,
  encodeMapElemAttr,
  encodeProgLoadAttr,
  encodeTestRunAttr,
} from '@bpfkit/uapi';

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same programs on every machine.
 *
 * @example
 * new Prng(1).int(10); // the same number everywhere
 */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A uniform u32. */
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return this.u32() % n;
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x100000000 < p;
  }
  pick<T>(xs: readonly T[]): T {
    const x = xs[this.int(xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
  /** An immediate biased towards the edges (0, ±1, sign bits) where semantics differ. */
  imm(): number {
    switch (this.int(6)) {
      case 0: return this.pick([0, 1, -1, 2, 0x7fffffff, -0x80000000, 0x80, 0xff, 0xffff, 0x8000]);
      case 1: return this.int(64);
      case 2: return -this.int(64);
      default: return this.u32() | 0;
    }
  }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }
}

// Opcode pieces (include/uapi/linux/bpf.h).
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07;
const SIZE = { B: 0x10, H: 0x08, W: 0x00, DW: 0x18 } as const;
type Size = keyof typeof SIZE;
const BYTES: Record<Size, number> = { B: 1, H: 2, W: 4, DW: 8 };
const MEM = 0x60, IMM = 0x00, ABS = 0x20, IND = 0x40, ATOMIC = 0xc0;
const K = 0x00, X = 0x08;
const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, NEG = 0x80, MOD = 0x90, XOR = 0xa0, MOV = 0xb0, ARSH = 0xc0, END = 0xd0;
const JA = 0x00, CALL = 0x80, EXIT = 0x90;
const JCC = [0x10, 0x20, 0x30, 0x40, 0x50, 0xa0, 0xb0, 0xc0, 0xd0, 0x60, 0x70] as const; // jeq jgt jge jset jne jlt jle jsgt jsge jslt jsle
const FETCH = 0x01, XCHG = 0xe0 | FETCH, CMPXCHG = 0xf0 | FETCH;
const PSEUDO_MAP_FD = 1, PSEUDO_CALL = 1, PSEUDO_FUNC = 4;

/** Helper ids used here (enum bpf_func_id). */
const HELPER = {
  mapLookup: 1, mapUpdate: 2, mapDelete: 3, skbStoreBytes: 9, skbLoadBytes: 26, csumDiff: 28,
  xdpAdjustHead: 44, xdpAdjustTail: 65, loop: 181, l3CsumReplace: 10, l4CsumReplace: 11, skbPullData: 39,
  csumUpdate: 40, xdpAdjustMeta: 54, skbLoadBytesRelative: 68, xdpGetBuffLen: 188, xdpLoadBytes: 189, xdpStoreBytes: 190,
} as const;

type Slot = readonly [code: number, dst: number, src: number, off: number, imm: number];

function slot(code: number, dst: number, src: number, off: number, imm: number): Slot {
  return [code, dst, src, off, imm | 0];
}

/** The program kinds generated; each maps to a BPF_PROG_TYPE. */
export type ProgKind = 'socket_filter' | 'sched_cls' | 'xdp';

/**
 * The BPF_PROG_TYPE of each kind.
 *
 * @example
 * PROG_TYPES.xdp; // 6
 */
export const PROG_TYPES: Record<ProgKind, number> = {
  socket_filter: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER,
  sched_cls: BpfProgType.BPF_PROG_TYPE_SCHED_CLS,
  xdp: BpfProgType.BPF_PROG_TYPE_XDP,
};

/** One map the program uses; `ldMapFd` placeholders carry its index in `maps`. */
export interface MapSpec {
  readonly type: 'array' | 'hash';
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** A generated program: instructions (map fds as indexes into `maps`) and what it needs. */
export interface RandomProgram {
  readonly name: string;
  readonly kind: ProgKind;
  /** Instructions as hex, 16 digits a slot; `ld_imm64` map references hold the map's index. */
  readonly insns: string;
  readonly maps: readonly MapSpec[];
  /** Where the loop callback starts (in slots), when there is one: it needs BTF func_info. */
  readonly callback?: number;
  /** Where the static subprogram (a bpf-to-bpf call target) starts, when there is one. */
  readonly subprog?: number;
}

/**
 * The maps every program gets: an array of 4 and a hash of 4 (u32 keys, 16-byte
 * values); keys are drawn from 0–7, so some are out of range or find it full.
 *
 * @example
 * PROGRAM_MAPS.map((m) => m.type); // ['array', 'hash']
 */
export const PROGRAM_MAPS: readonly MapSpec[] = [
  { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4 },
  { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 4 },
];

// Stack layout (offsets from r10): ctx spill, scratch slots, a map key, a map value buffer, the loop context.
const CTX_SLOT = -8;
const SCRATCH_LO = -64; // scratch bytes are [-64, -8)
const KEY_SLOT = -72;
const VALUE_BUF = -88; // 16 bytes
const LOOP_CTX = -96;
const STACK_BOTTOM = -96;

/** Offsets of `struct __sk_buff` fields that are plain u32 scalars in test runs. */
const SKB_FIELDS = [
  0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 48, 52, 56, 60, 64, 68,
  // Again the fields the kernel loads with fewer than 4 bytes (pkt_type, protocol, vlan_present, tc_index), where narrow loads are subtle.
  4, 4, 16, 16, 20, 44,
] as const;
const SKB_DATA = 76, SKB_DATA_END = 80;
/** Writable `__sk_buff` fields: tc may write mark, priority, tc_index, cb[], tc_classid; a socket filter only cb[]. */
const SKB_WRITABLE_CB = [48, 52, 56, 60, 64] as const;
const SKB_WRITABLE_TC = [8, 32, 44, 48, 52, 56, 60, 64, 72] as const;
/** `struct xdp_md`: data, data_end, then ingress_ifindex and rx_queue_index as scalars. */
const XDP_FIELDS = [12, 16] as const;
const XDP_DATA = 0, XDP_DATA_END = 4;

/** Generator state: emitted slots and which registers hold initialised scalars. */
class Gen {
  readonly out: Slot[] = [];
  /** init[r]: r holds a scalar the program may read. */
  init: boolean[] = new Array<boolean>(10).fill(false);
  branches = 0;
  usesLoop = false;
  /** Slot indexes of `call sub` to patch once the subprogram's place is known. */
  readonly callRefs: number[] = [];
  /** Slot indexes of `ld_imm64 rX, callback` to patch once the callback's place is known. */
  readonly loopRefs: number[] = [];
  constructor(readonly r: Prng, readonly kind: ProgKind) {}

  emit(...s: Slot[]): void {
    this.out.push(...s);
  }
  scalars(): number[] {
    const out: number[] = [];
    for (let i = 0; i < 10; i++) if (this.init[i] === true) out.push(i);
    return out;
  }
  /** A register holding a scalar; makes one if none does. */
  src(): number {
    const s = this.scalars();
    if (s.length > 0) return this.r.pick(s);
    const d = this.r.int(10);
    this.movImm(d);
    return d;
  }
  /** A destination for a read-modify-write (must already hold a scalar). */
  rmw(): number {
    return this.src();
  }
  movImm(d: number): void {
    if (this.r.chance(0.3)) {
      this.emit(slot(LD | IMM | SIZE.DW, d, 0, 0, this.r.u32()), slot(0, 0, 0, 0, this.r.u32()));
    } else {
      this.emit(slot(ALU64 | MOV | K, d, 0, 0, this.r.imm()));
    }
    this.init[d] = true;
  }
  ldMap(d: number, index: number): void {
    this.emit(slot(LD | IMM | SIZE.DW, d, PSEUDO_MAP_FD, 0, index), slot(0, 0, 0, 0, 0));
  }
  fillCtx(d: number): void {
    this.emit(slot(LDX | MEM | SIZE.DW, d, 10, CTX_SLOT, 0));
    this.init[d] = false;
  }
  /** After a helper call: r0 is its result, r1–r5 are gone. */
  clobber(): void {
    for (let i = 1; i <= 5; i++) this.init[i] = false;
    this.init[0] = true;
  }
}

// ---- statements ----

function aluStmt(g: Gen): void {
  const r = g.r;
  const is64 = r.chance(0.6);
  const cls = is64 ? ALU64 : ALU;
  const op = r.pick([ADD, SUB, MUL, DIV, OR, AND, LSH, RSH, NEG, MOD, XOR, MOV, ARSH, END, 0x100 /* sdiv */, 0x101 /* smod */, 0x102 /* movsx */]);
  const width = is64 ? 64 : 32;
  if (op === MOV) {
    const d = r.int(10);
    if (r.chance(0.5)) g.emit(slot(cls | MOV | K, d, 0, 0, r.imm()));
    else g.emit(slot(cls | MOV | X, d, g.src(), 0, 0));
    g.init[d] = true;
    return;
  }
  if (op === 0x102) {
    const s = g.src();
    const d = r.int(10);
    g.emit(slot(cls | MOV | X, d, s, r.pick(is64 ? [8, 16, 32] : [8, 16]), 0));
    g.init[d] = true;
    return;
  }
  const d = g.rmw();
  if (op === NEG) {
    g.emit(slot(cls | NEG | K, d, 0, 0, 0));
    return;
  }
  if (op === END) {
    const bits = r.pick([16, 32, 64]);
    // ALU64|END is bswap (ISA v4); ALU|END with TO_BE (0x08) or TO_LE (0x00).
    if (r.chance(0.4)) g.emit(slot(ALU64 | END, d, 0, 0, bits));
    else g.emit(slot(ALU | END | (r.chance(0.5) ? 0x08 : 0), d, 0, 0, bits));
    return;
  }
  const signed = op === 0x100 || op === 0x101;
  const base = op === 0x100 ? DIV : op === 0x101 ? MOD : op;
  const off = signed ? 1 : 0;
  const useReg = r.chance(0.5);
  if (useReg) {
    g.emit(slot(cls | base | X, d, g.src(), off, 0));
    return;
  }
  let imm = r.imm();
  if (base === LSH || base === RSH || base === ARSH) imm = (imm >>> 0) % width;
  if ((base === DIV || base === MOD) && imm === 0) imm = r.pick([3, -7, 1, -1]);
  g.emit(slot(cls | base | K, d, 0, off, imm));
}

function stackStoreStmt(g: Gen): void {
  const r = g.r;
  const size = r.pick<Size>(['B', 'H', 'W', 'DW']);
  const n = BYTES[size];
  const off = SCRATCH_LO + n * r.int((-CTX_SLOT + SCRATCH_LO) / -n);
  if (r.chance(0.3)) g.emit(slot(ST | MEM | SIZE[size], 10, 0, off, r.imm()));
  else g.emit(slot(STX | MEM | SIZE[size], 10, g.src(), off, 0));
}

function stackLoadStmt(g: Gen): void {
  const r = g.r;
  const size = r.pick<Size>(['B', 'H', 'W', 'DW']);
  const n = BYTES[size];
  const off = SCRATCH_LO + n * r.int((-CTX_SLOT + SCRATCH_LO) / -n);
  const d = r.int(10);
  // MEMSX (0x80) sign-extends; there is no 64-bit MEMSX.
  const mode = size !== 'DW' && r.chance(0.3) ? 0x80 : MEM;
  g.emit(slot(LDX | mode | SIZE[size], d, 10, off, 0));
  g.init[d] = true;
}

/**
 * A stack access at a variable offset (privileged programs may; every byte
 * in reach is initialised): `r2 = r10 - 64 + (x & 3) * 8`, then a load or a store there.
 */
function stackVarStmt(g: Gen): void {
  const r = g.r;
  const x = g.src();
  g.emit(slot(ALU64 | MOV | X, 3, x, 0, 0), slot(ALU64 | AND | K, 3, 0, 0, 3), slot(ALU64 | LSH | K, 3, 0, 0, 3));
  g.emit(slot(ALU64 | MOV | X, 2, 10, 0, 0), slot(ALU64 | ADD | K, 2, 0, 0, SCRATCH_LO), slot(ALU64 | ADD | X, 2, 3, 0, 0));
  g.init[2] = false;
  g.init[3] = true;
  const off = 8 * r.int(3);
  if (r.chance(0.5)) {
    const d = r.pick([0, 4, 5, 6, 7, 8, 9]);
    g.emit(slot(LDX | MEM | SIZE.DW, d, 2, off, 0));
    g.init[d] = true;
  } else {
    const v = g.scalars().filter((i) => i !== 2);
    g.emit(slot(STX | MEM | SIZE.DW, 2, v.length > 0 ? r.pick(v) : 3, off, 0));
  }
}

function ctxFieldStmt(g: Gen): void {
  const r = g.r;
  const d = r.int(10);
  const writable = g.kind === 'sched_cls' ? SKB_WRITABLE_TC : g.kind === 'socket_filter' ? SKB_WRITABLE_CB : [];
  if (writable.length > 0 && r.chance(0.4)) {
    // A write through the context (ctx conversion), read back by later loads.
    const s = g.scalars().filter((x) => x !== d);
    if (s.length > 0) {
      g.fillCtx(d);
      g.emit(slot(STX | MEM | SIZE.W, d, r.pick(s), r.pick(writable), 0));
      return;
    }
  }
  g.fillCtx(d);
  const off = g.kind === 'xdp' ? r.pick(XDP_FIELDS) : r.pick(SKB_FIELDS);
  // Narrow loads read part of a field (the verifier rewrites them to the kernel's struct).
  const size = g.kind === 'xdp' ? 'W' : r.pick<Size>(['W', 'W', 'H', 'B']);
  g.emit(slot(LDX | MEM | SIZE[size], d, d, off + BYTES[size] * r.int(4 / BYTES[size]), 0));
  g.init[d] = true;
}

/** `r2 = data; r3 = data_end; r4 = r2 + N; if r4 > r3 goto out; …accesses in [0, N)…; out:` */
function packetStmt(g: Gen): void {
  const r = g.r;
  const xdp = g.kind === 'xdp';
  const n = r.pick([1, 2, 4, 8, 14, 20, 34, 60, 64, 100]);
  g.fillCtx(1);
  const before = g.init.slice();
  g.emit(slot(LDX | MEM | SIZE.W, 2, 1, xdp ? XDP_DATA : SKB_DATA, 0));
  g.emit(slot(LDX | MEM | SIZE.W, 3, 1, xdp ? XDP_DATA_END : SKB_DATA_END, 0));
  if (r.chance(0.3)) {
    // A variable offset, bounded by a mask: data += x & 31.
    const x = g.scalars().filter((i) => i > 4 || i === 0);
    if (x.length > 0) {
      g.emit(slot(ALU64 | MOV | X, 4, r.pick(x), 0, 0), slot(ALU64 | AND | K, 4, 0, 0, 31), slot(ALU64 | ADD | X, 2, 4, 0, 0));
    }
  }
  g.emit(slot(ALU64 | MOV | X, 4, 2, 0, 0), slot(ALU64 | ADD | K, 4, 0, 0, n));
  for (const i of [1, 2, 3, 4]) g.init[i] = false;
  const jumpAt = g.out.length;
  g.emit(slot(JMP | 0x20 | X, 4, 3, 0, 0)); // if r4 > r3 goto out
  const accesses = 1 + r.int(4);
  for (let i = 0; i < accesses; i++) {
    const size = r.pick<Size>(['B', 'H', 'W', 'DW'].filter((s) => BYTES[s as Size] <= n) as Size[]);
    const off = r.int(n - BYTES[size] + 1);
    if (r.chance(0.35)) {
      // Writes, with a value from a scalar register that is not one of the pointers.
      const srcs = g.scalars().filter((x) => x > 4 || x === 0);
      if (srcs.length > 0 && r.chance(0.7)) g.emit(slot(STX | MEM | SIZE[size], 2, r.pick(srcs), off, 0));
      else g.emit(slot(ST | MEM | SIZE[size], 2, 0, off, r.imm()));
    } else {
      const d = r.pick([0, 5, 6, 7, 8, 9]);
      const mode = size !== 'DW' && r.chance(0.25) ? 0x80 : MEM;
      g.emit(slot(LDX | mode | SIZE[size], d, 2, off, 0));
      g.init[d] = true;
    }
  }
  const skipped = g.out.length - jumpAt - 1;
  const j = g.out[jumpAt];
  if (j !== undefined) g.out[jumpAt] = slot(j[0], j[1], j[2], skipped, 0);
  // Registers loaded inside the checked block are set on one path only.
  g.init = g.init.map((v, i) => v && before[i] === true);
}

/** LD_ABS / LD_IND (socket filter and tc): r6 = ctx, r0 = packet bytes, r1–r5 clobbered. */
function ldAbsStmt(g: Gen): void {
  const r = g.r;
  g.fillCtx(6);
  const size = r.pick<Size>(['B', 'H', 'W']);
  if (r.chance(0.5)) {
    g.emit(slot(LD | ABS | SIZE[size], 0, 0, 0, r.int(80)));
  } else {
    const s = g.scalars().filter((x) => x !== 6 && x !== 0);
    const idx = s.length > 0 ? r.pick(s) : 7;
    if (!g.init[idx]) g.movImm(idx);
    g.emit(slot(ALU64 | AND | K, idx, 0, 0, 63));
    g.emit(slot(LD | IND | SIZE[size], 0, idx, 0, r.chance(0.8) ? r.int(32) : r.pick([-1, 1400, 1490, 0x7fffffff])));
  }
  g.clobber();
  g.init[6] = false;
}

/** key = (scalar & 7) at KEY_SLOT; r2 = &key. */
function keyOnStack(g: Gen): void {
  const s = g.src();
  g.emit(slot(ALU64 | MOV | X, 2, s, 0, 0), slot(ALU64 | AND | K, 2, 0, 0, 7));
  g.emit(slot(STX | MEM | SIZE.W, 10, 2, KEY_SLOT, 0));
  g.emit(slot(ALU64 | MOV | X, 2, 10, 0, 0), slot(ALU64 | ADD | K, 2, 0, 0, KEY_SLOT));
}

/** lookup; if (r0) { loads, stores, atomics on the value }; r0 becomes a scalar on both paths. */
function mapLookupStmt(g: Gen): void {
  const r = g.r;
  keyOnStack(g);
  g.ldMap(1, r.int(PROGRAM_MAPS.length));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.mapLookup));
  g.clobber();
  g.init[0] = false;
  const before = g.init.slice();
  const jumpAt = g.out.length;
  g.emit(slot(JMP | 0x10 | K, 0, 0, 0, 0)); // if r0 == 0 goto null
  // The value pointer moves to r1 so r0 is free for cmpxchg's comparand.
  g.emit(slot(ALU64 | MOV | X, 1, 0, 0, 0), slot(ALU64 | MOV | K, 0, 0, 0, r.imm()));
  g.init[0] = true;
  const ops = 1 + r.int(5);
  const vals = (): number[] => g.scalars().filter((x) => x >= 6 || x === 0);
  for (let i = 0; i < ops; i++) {
    const size = r.pick<Size>(['B', 'H', 'W', 'DW', 'W', 'DW']);
    const off = BYTES[size] * r.int(16 / BYTES[size]);
    const kind = r.int(5);
    const v = vals();
    if (kind === 0 || v.length === 0) {
      const d = r.pick([0, 6, 7, 8, 9]);
      const mode = size !== 'DW' && r.chance(0.3) ? 0x80 : MEM;
      g.emit(slot(LDX | mode | SIZE[size], d, 1, off, 0));
      g.init[d] = true;
    } else if (kind === 1) {
      g.emit(slot(STX | MEM | SIZE[size], 1, r.pick(v), off, 0));
    } else if (size === 'W' || size === 'DW') {
      // atomic add/or/and/xor, with or without fetch, xchg, cmpxchg (compares with r0, old value to r0)
      const op = r.pick([ADD, ADD, OR, AND, XOR, XCHG, CMPXCHG]);
      const fetch = op === XCHG || op === CMPXCHG ? 0 : r.chance(0.5) ? FETCH : 0;
      g.emit(slot(STX | ATOMIC | SIZE[size], 1, r.pick(v), off, op | fetch));
    } else {
      g.emit(slot(ST | MEM | SIZE[size], 1, 0, off, r.imm()));
    }
  }
  // Leave r0 a scalar: the value's first word on this path, an immediate on the null path.
  g.emit(slot(LDX | MEM | SIZE.DW, 0, 1, 0, 0));
  g.emit(slot(JMP | JA, 0, 0, 1, 0));
  const nullAt = g.out.length;
  g.emit(slot(ALU64 | MOV | K, 0, 0, 0, r.imm()));
  const j = g.out[jumpAt];
  if (j !== undefined) g.out[jumpAt] = slot(j[0], j[1], j[2], nullAt - jumpAt - 1, 0);
  g.init[0] = true;
  g.init[1] = false;
  // Registers loaded only on the non-null path are not readable after the join.
  g.init = g.init.map((v, i) => v && (i === 0 || before[i] === true));
}

/**
 * A helper given a map value as its memory: lookup, then (non-null) bytes
 * loaded from the packet into the value, a checksum over it, or the value
 * stored into a map; r0 and the pointer's register are scalars after.
 */
function mapValueHelperStmt(g: Gen): void {
  const r = g.r;
  const p = r.pick([6, 7, 8, 9]);
  keyOnStack(g);
  g.ldMap(1, r.int(PROGRAM_MAPS.length));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.mapLookup));
  g.clobber();
  g.init[0] = false;
  const jumpAt = g.out.length;
  g.emit(slot(JMP | 0x10 | K, 0, 0, 0, 0)); // if r0 == 0 goto null
  g.emit(slot(ALU64 | MOV | X, p, 0, 0, 0));
  g.init[p] = false;
  const before = g.init.slice();
  const o = r.pick([0, 4, 8, 12]);
  const which = r.int(g.kind === 'socket_filter' ? 2 : 3);
  if (which === 0) {
    // Packet bytes into the value: bpf_skb_load_bytes / bpf_xdp_load_bytes.
    const len = 1 + r.int(16 - o);
    g.emit(slot(LDX | MEM | SIZE.DW, 1, 10, CTX_SLOT, 0));
    g.emit(slot(ALU64 | MOV | K, 2, 0, 0, r.chance(0.8) ? r.int(64) : r.pick([-1, 1499, 1500])));
    g.emit(slot(ALU64 | MOV | X, 3, p, 0, 0), slot(ALU64 | ADD | K, 3, 0, 0, o));
    g.emit(slot(ALU64 | MOV | K, 4, 0, 0, len));
    g.emit(slot(JMP | CALL, 0, 0, 0, g.kind === 'xdp' ? HELPER.xdpLoadBytes : HELPER.skbLoadBytes));
  } else if (which === 1) {
    // The value as the new element of a map (maybe the same one).
    keyOnStack(g);
    g.emit(slot(ALU64 | MOV | X, 3, p, 0, 0));
    g.emit(slot(ALU64 | MOV | K, 4, 0, 0, r.pick([0, 0, 1, 2])));
    g.ldMap(1, r.int(PROGRAM_MAPS.length));
    g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.mapUpdate));
  } else {
    // bpf_csum_diff(value + o, 4k, scratch, 8, seed).
    g.emit(slot(ALU64 | MOV | X, 1, p, 0, 0), slot(ALU64 | ADD | K, 1, 0, 0, o));
    g.emit(slot(ALU64 | MOV | K, 2, 0, 0, 4 * r.int((16 - o) / 4 + 1)));
    stackPtr(g, 3, SCRATCH_LO);
    g.emit(slot(ALU64 | MOV | K, 4, 0, 0, 8));
    g.emit(slot(ALU64 | MOV | K, 5, 0, 0, r.imm()));
    g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.csumDiff));
  }
  g.emit(slot(LDX | MEM | SIZE.DW, 1, p, 0, 0), slot(ALU64 | XOR | X, 0, 1, 0, 0));
  g.emit(slot(LDX | MEM | SIZE.DW, 1, p, 8, 0), slot(ALU64 | ADD | X, 0, 1, 0, 0));
  g.emit(slot(ALU64 | MOV | K, p, 0, 0, r.imm()));
  g.emit(slot(JMP | JA, 0, 0, 2, 0));
  const nullAt = g.out.length;
  g.emit(slot(ALU64 | MOV | K, 0, 0, 0, r.imm()), slot(ALU64 | MOV | K, p, 0, 0, r.imm()));
  const j = g.out[jumpAt];
  if (j !== undefined) g.out[jumpAt] = slot(j[0], j[1], j[2], nullAt - jumpAt - 1, 0);
  g.clobber();
  // A register first set inside the non-null path is not readable after the join.
  g.init = g.init.map((v, i) => v && (i === 0 || before[i] === true));
  g.init[p] = true;
}

function mapUpdateStmt(g: Gen): void {
  const r = g.r;
  g.emit(slot(STX | MEM | SIZE.DW, 10, g.src(), VALUE_BUF, 0));
  g.emit(slot(STX | MEM | SIZE.DW, 10, g.src(), VALUE_BUF + 8, 0));
  keyOnStack(g);
  g.emit(slot(ALU64 | MOV | X, 3, 10, 0, 0), slot(ALU64 | ADD | K, 3, 0, 0, VALUE_BUF));
  // BPF_ANY, BPF_NOEXIST, BPF_EXIST, and flags the maps refuse (EINVAL).
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, r.pick([0, 0, 0, 1, 2, 3, 4])));
  g.ldMap(1, r.int(PROGRAM_MAPS.length));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.mapUpdate));
  g.clobber();
}

function mapDeleteStmt(g: Gen): void {
  keyOnStack(g);
  g.ldMap(1, g.r.int(PROGRAM_MAPS.length));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.mapDelete));
  g.clobber();
}

function stackPtr(g: Gen, reg: number, off: number): void {
  g.emit(slot(ALU64 | MOV | X, reg, 10, 0, 0), slot(ALU64 | ADD | K, reg, 0, 0, off));
}

/** bpf_csum_diff(from, 4a, to, 4b, seed) over scratch stack bytes. */
function csumDiffStmt(g: Gen): void {
  const r = g.r;
  const seed = g.src();
  g.emit(slot(ALU64 | MOV | X, 5, seed, 0, 0));
  // Sizes are multiples of 4 but for the odd one (EINVAL).
  const size = (): number => (r.chance(0.9) ? 4 * r.int(13) : r.pick([1, 3, 6, 10]));
  const from = size(), to = size();
  stackPtr(g, 1, SCRATCH_LO + r.int(49 - from));
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, from));
  stackPtr(g, 3, SCRATCH_LO + r.int(49 - to));
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, to));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.csumDiff));
  g.clobber();
}

/** bpf_skb_load_bytes(ctx, off, scratch, len): r0 is 0 or -EFAULT, the buffer zeroed on failure. */
function skbLoadBytesStmt(g: Gen): void {
  const r = g.r;
  const len = 1 + r.int(r.chance(0.3) ? 48 : 16);
  const off = r.chance(0.7) ? r.int(80) : r.pick([-1, 1400, 1452, 1499, 1500, 0x7fffffff, 46 - len, 47 - len]);
  g.fillCtx(1);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, off));
  stackPtr(g, 3, SCRATCH_LO + r.int(48 - len + 1));
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, len));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.skbLoadBytes));
  g.clobber();
}

/** bpf_skb_store_bytes(ctx, off, scratch, len, 0). */
function skbStoreBytesStmt(g: Gen): void {
  const r = g.r;
  const len = 1 + r.int(r.chance(0.3) ? 48 : 16);
  const off = r.chance(0.8) ? r.int(70) : r.pick([-1, 1499, 1500, 60 - len, 61 - len]);
  g.fillCtx(1);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, off));
  stackPtr(g, 3, SCRATCH_LO + r.int(48 - len + 1));
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, len));
  // BPF_F_RECOMPUTE_CSUM, BPF_F_INVALIDATE_HASH, and an unknown flag (EINVAL).
  g.emit(slot(ALU64 | MOV | K, 5, 0, 0, r.pick([0, 0, 1, 2, 3, 4])));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.skbStoreBytes));
  g.clobber();
}

/** A register set to a value where ALU semantics have edges (0, -1, INT_MIN, …). */
function edgeStmt(g: Gen): void {
  const d = g.r.int(10);
  const [lo, hi] = g.r.pick([[0, 0], [-1, -1], [0, 0x80000000], [0x80000000, -1], [-1, 0x7fffffff], [0, 1], [0x80000000, 0], [-1, 0], [0x7fffffff, 0]] as const);
  g.emit(slot(LD | IMM | SIZE.DW, d, 0, 0, lo), slot(0, 0, 0, 0, hi));
  g.init[d] = true;
}

/** bpf_l3_csum_replace / bpf_l4_csum_replace(skb, off, from, to, flags) (tc). */
function csumReplaceStmt(g: Gen): void {
  const r = g.r;
  const l4 = r.chance(0.5);
  const from = g.src(), to = g.src();
  g.emit(slot(ALU64 | MOV | X, 3, from, 0, 0), slot(ALU64 | MOV | X, 4, to, 0, 0));
  g.fillCtx(1);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, r.chance(0.85) ? r.int(64) : r.pick([-1, 1499, 4096])));
  const size = r.pick([0, 2, 4, 4, 3]);
  const flags = l4 ? size | r.pick([0, 0x10, 0x20, 0x30]) : size;
  g.emit(slot(ALU64 | MOV | K, 5, 0, 0, flags));
  g.emit(slot(JMP | CALL, 0, 0, 0, l4 ? HELPER.l4CsumReplace : HELPER.l3CsumReplace));
  g.clobber();
}

/** bpf_skb_pull_data(skb, len) or bpf_csum_update(skb, csum) (tc). */
function skbMiscStmt(g: Gen): void {
  const r = g.r;
  const pull = r.chance(0.5);
  const v = g.src();
  g.emit(slot(ALU64 | MOV | X, 2, v, 0, 0));
  if (pull) g.emit(slot(ALU64 | AND | K, 2, 0, 0, 0x7ff));
  g.fillCtx(1);
  g.emit(slot(JMP | CALL, 0, 0, 0, pull ? HELPER.skbPullData : HELPER.csumUpdate));
  g.clobber();
}

/** bpf_skb_load_bytes_relative(skb, off, scratch, len, MAC or NET header). */
function skbLoadRelativeStmt(g: Gen): void {
  const r = g.r;
  const len = 1 + r.int(16);
  g.fillCtx(1);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, r.chance(0.8) ? r.int(64) : r.pick([-1, 1490, 1500])));
  stackPtr(g, 3, SCRATCH_LO + r.int(48 - len + 1));
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, len));
  g.emit(slot(ALU64 | MOV | K, 5, 0, 0, r.pick([0, 1, 1, 2])));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.skbLoadBytesRelative));
  g.clobber();
}

/** bpf_xdp_load_bytes / bpf_xdp_store_bytes(ctx, off, scratch, len), or bpf_xdp_get_buff_len(ctx). */
function xdpBytesStmt(g: Gen): void {
  const r = g.r;
  g.fillCtx(1);
  const which = r.int(3);
  if (which === 2) {
    g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.xdpGetBuffLen));
  } else {
    const len = 1 + r.int(16);
    g.emit(slot(ALU64 | MOV | K, 2, 0, 0, r.chance(0.8) ? r.int(64) : r.pick([-1, 1490, 1500, 4000])));
    stackPtr(g, 3, SCRATCH_LO + r.int(48 - len + 1));
    g.emit(slot(ALU64 | MOV | K, 4, 0, 0, len));
    g.emit(slot(JMP | CALL, 0, 0, 0, which === 0 ? HELPER.xdpLoadBytes : HELPER.xdpStoreBytes));
  }
  g.clobber();
}

/** bpf_xdp_adjust_meta(ctx, delta): metadata in front of the packet (multiples of 4 up to 32 bytes). */
function xdpMetaStmt(g: Gen): void {
  g.fillCtx(1);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, g.r.pick([-32, -16, -8, -4, -3, 0, 4, 8, -36, -256])));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.xdpAdjustMeta));
  g.clobber();
}

function xdpAdjustStmt(g: Gen): void {
  const r = g.r;
  g.fillCtx(1);
  const head = r.chance(0.5);
  // Small moves, and some at the limits (headroom, tailroom, ETH_HLEN).
  const delta = head
    ? r.pick([-16, -8, -4, -1, 0, 1, 4, 8, 14, 16, -64, -200, -216, -224, -256, 40, 46, 47, 1000])
    : r.pick([-16, -8, -4, -1, 0, 1, 4, 8, 16, -46, -47, -1486, 64, 256, 1024, 2000, 3000]);
  g.emit(slot(ALU64 | MOV | K, 2, 0, 0, delta));
  g.emit(slot(JMP | CALL, 0, 0, 0, head ? HELPER.xdpAdjustHead : HELPER.xdpAdjustTail));
  g.clobber();
}

/** bpf_loop(nr, callback, &loop_ctx, 0); the callback mixes the index into loop_ctx. */
function loopStmt(g: Gen): void {
  const r = g.r;
  if (r.chance(0.5)) {
    g.emit(slot(ALU64 | MOV | K, 1, 0, 0, r.int(9)));
  } else {
    g.emit(slot(ALU64 | MOV | X, 1, g.src(), 0, 0), slot(ALU64 | AND | K, 1, 0, 0, 15));
  }
  g.loopRefs.push(g.out.length);
  g.emit(slot(LD | IMM | SIZE.DW, 2, PSEUDO_FUNC, 0, 0), slot(0, 0, 0, 0, 0));
  stackPtr(g, 3, LOOP_CTX);
  g.emit(slot(ALU64 | MOV | K, 4, 0, 0, 0));
  g.emit(slot(JMP | CALL, 0, 0, 0, HELPER.loop));
  g.clobber();
  g.usesLoop = true;
}

/**
 * A bounded loop (a back-edge; the verifier walks every iteration):
 * `c = 0; head: body; c += step; if c < n goto head`, the body ALU ops on
 * the other registers.
 */
function boundedLoopStmt(g: Gen): void {
  const r = g.r;
  const c = r.pick([6, 7, 8, 9]);
  const step = r.pick([1, 1, 2, 3]);
  const n = 1 + r.int(12);
  g.emit(slot(ALU64 | MOV | K, c, 0, 0, 0));
  g.init[c] = true;
  const head = g.out.length;
  const others = (): number[] => g.scalars().filter((x) => x !== c);
  const ops = 1 + r.int(5);
  for (let i = 0; i < ops; i++) {
    const o = others();
    const d = o.length > 0 && r.chance(0.8) ? r.pick(o) : r.pick([0, 1, 2, 3, 4, 5].filter((x) => x !== c));
    const cls = r.chance(0.6) ? ALU64 : ALU;
    if (g.init[d] !== true) {
      g.emit(slot(cls | MOV | X, d, c, 0, 0));
      g.init[d] = true;
      continue;
    }
    const op = r.pick([ADD, SUB, MUL, XOR, OR, AND, LSH, RSH, ARSH]);
    const shift = op === LSH || op === RSH || op === ARSH;
    if (r.chance(0.5)) g.emit(slot(cls | op | X, d, r.chance(0.5) ? c : r.pick([...others(), c]), 0, 0));
    else g.emit(slot(cls | op | K, d, 0, 0, shift ? r.int(cls === ALU64 ? 64 : 32) : r.imm()));
  }
  g.emit(slot(ALU64 | ADD | K, c, 0, 0, step));
  const jmp = r.chance(0.5) ? JMP : JMP32;
  const back = head - g.out.length - 1;
  // jlt, jle, jslt or jne against the bound; jne only where the step lands on it.
  const op = step === 1 ? r.pick([0xa0, 0xb0, 0xc0, 0x50]) : r.pick([0xa0, 0xb0, 0xc0]);
  g.emit(slot(jmp | op | K, c, 0, back, op === 0xb0 ? n - 1 : n));
}

/** `r0 = sub(a, b)`: a bpf-to-bpf call (r1–r5 clobbered, r6–r9 kept). */
function callStmt(g: Gen): void {
  g.emit(slot(ALU64 | MOV | X, 1, g.src(), 0, 0), slot(ALU64 | MOV | X, 2, g.src(), 0, 0));
  g.callRefs.push(g.out.length);
  g.emit(slot(JMP | CALL, 0, PSEUDO_CALL, 0, 0));
  g.clobber();
}

/**
 * `long sub(long a, long b)`: random ALU, stack and branches in its own frame
 * (initialised first), every live register folded into r0.
 */
function subprogram(r: Prng, kind: ProgKind): Slot[] {
  const g = new Gen(r, kind);
  g.init[1] = true;
  g.init[2] = true;
  for (let off = SCRATCH_LO; off < CTX_SLOT; off += 8) g.emit(slot(ST | MEM | SIZE.DW, 10, 0, off, r.imm()));
  for (const i of [0, 3, 4, 5]) g.movImm(i);
  block(g, 1, 3 + r.int(8), [[aluStmt, 8], [edgeStmt, 1], [stackStoreStmt, 1], [stackLoadStmt, 1]]);
  if (g.init[0] !== true) g.emit(slot(ALU64 | MOV | K, 0, 0, 0, 0));
  for (let i = 1; i < 10; i++) if (g.init[i] === true) g.emit(slot(ALU64 | MUL | K, 0, 0, 0, 31), slot(ALU64 | XOR | X, 0, i, 0, 0));
  g.emit(slot(JMP | EXIT, 0, 0, 0, 0));
  return g.out;
}

/** `callback(index, ctx)`: *ctx = (*ctx ^ index * k1) + k2; stop (return 1) at index k3. */
function loopCallback(r: Prng): Slot[] {
  return [
    slot(LDX | MEM | SIZE.DW, 0, 2, 0, 0),
    slot(ALU64 | MOV | X, 3, 1, 0, 0),
    slot(ALU64 | MUL | K, 3, 0, 0, r.imm()),
    slot(ALU64 | XOR | X, 0, 3, 0, 0),
    slot(ALU64 | ADD | K, 0, 0, 0, r.imm()),
    slot(STX | MEM | SIZE.DW, 2, 0, 0, 0),
    slot(ALU64 | MOV | K, 0, 0, 0, 0),
    slot(JMP | 0x50 | K, 1, 0, 1, r.int(10)), // if r1 != k3 goto +1
    slot(ALU64 | MOV | K, 0, 0, 0, 1),
    slot(JMP | EXIT, 0, 0, 0, 0),
  ];
}

const loopCallbackLength = loopCallback(new Prng(0)).length;

type Stmt = (g: Gen) => void;

function stmtsFor(kind: ProgKind): [Stmt, number][] {
  const common: [Stmt, number][] = [
    [aluStmt, 40], [edgeStmt, 4], [stackStoreStmt, 5], [stackLoadStmt, 5], [stackVarStmt, 2], [ctxFieldStmt, 4],
    [mapLookupStmt, 3], [mapValueHelperStmt, 2], [mapUpdateStmt, 2], [mapDeleteStmt, 1], [loopStmt, 1], [boundedLoopStmt, 2],
  ];
  if (kind === 'socket_filter') return [...common, [ldAbsStmt, 2], [skbLoadBytesStmt, 2], [skbLoadRelativeStmt, 1]];
  if (kind === 'sched_cls') {
    return [
      ...common, [packetStmt, 4], [ldAbsStmt, 1], [skbLoadBytesStmt, 2], [skbStoreBytesStmt, 2], [csumDiffStmt, 2],
      [csumReplaceStmt, 1], [skbMiscStmt, 1], [skbLoadRelativeStmt, 1],
    ];
  }
  return [...common, [packetStmt, 5], [xdpAdjustStmt, 2], [csumDiffStmt, 2], [xdpBytesStmt, 2], [xdpMetaStmt, 1]];
}

function pickWeighted(r: Prng, xs: readonly [Stmt, number][]): Stmt {
  let total = 0;
  for (const [, w] of xs) total += w;
  let n = r.int(total);
  for (const [s, w] of xs) {
    if (n < w) return s;
    n -= w;
  }
  throw new Error('unreachable');
}

/** A conditional jump over a block of statements (either width, imm or reg). */
function ifStmt(g: Gen, depth: number, stmts: readonly [Stmt, number][]): void {
  const r = g.r;
  const jmp = r.chance(0.5) ? JMP : JMP32;
  const op = r.pick(JCC);
  const a = g.src();
  const b = g.src();
  const jumpAt = g.out.length;
  if (r.chance(0.5)) g.emit(slot(jmp | op | K, a, 0, 0, r.imm()));
  else g.emit(slot(jmp | op | X, a, b, 0, 0));
  g.branches++;
  const before = g.init.slice();
  block(g, depth + 1, 1 + r.int(4), stmts);
  let skip = g.out.length - jumpAt - 1;
  if (r.chance(0.4)) {
    // else branch: the then-part jumps over it.
    const afterThen = g.init.slice();
    const jaAt = g.out.length;
    const gotol = r.chance(0.3);
    g.emit(slot(JMP | JA, 0, 0, 0, 0));
    skip = g.out.length - jumpAt - 1;
    g.init = before.slice();
    block(g, depth + 1, 1 + r.int(3), stmts);
    // `goto` (off) or ISA v4 `gotol` (JMP32 | JA, imm).
    const over = g.out.length - jaAt - 1;
    g.out[jaAt] = gotol ? slot(JMP32 | JA, 0, 0, 0, over) : slot(JMP | JA, 0, 0, over, 0);
    g.init = afterThen.map((v, i) => v && g.init[i] === true);
  } else {
    g.init = before.map((v, i) => v && g.init[i] === true);
  }
  const j = g.out[jumpAt];
  if (j !== undefined) g.out[jumpAt] = slot(j[0], j[1], j[2], skip, j[4]);
}

function block(g: Gen, depth: number, n: number, stmts: readonly [Stmt, number][]): void {
  for (let i = 0; i < n; i++) {
    if (depth < 3 && g.branches < 10 && g.r.chance(0.15)) ifStmt(g, depth, stmts);
    else pickWeighted(g.r, stmts)(g);
  }
}

/**
 * Program `index` of the sequence drawn from `seed`: a prologue (ctx saved,
 * stack initialised, registers set), random statements, and r0 folded from
 * every live register so a difference anywhere shows in the return value.
 *
 * @example
 * const p = generateProgram(1, 0);
 * p.kind; // 'socket_filter' | 'sched_cls' | 'xdp'
 */
export function generateProgram(seed: number, index: number): RandomProgram {
  const r = new Prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const kind = r.pick<ProgKind>(['socket_filter', 'sched_cls', 'xdp']);
  const g = new Gen(r, kind);
  g.emit(slot(STX | MEM | SIZE.DW, 10, 1, CTX_SLOT, 0));
  for (let off = STACK_BOTTOM; off < CTX_SLOT; off += 8) g.emit(slot(ST | MEM | SIZE.DW, 10, 0, off, r.imm()));
  for (let i = 0; i < 10; i++) if (i !== 1 || r.chance(0.5)) g.movImm(i);
  const stmts = stmtsFor(kind);
  // One program in eight calls bpf_loop; LD_ABS cannot share a program with
  // bpf-to-bpf calls (the loop callback is one), so those programs have none.
  // One in five of the others calls a static subprogram (and has no LD_ABS either).
  const withLoop = r.chance(0.125);
  const withSub = !withLoop && r.chance(0.2);
  if (withLoop) loopStmt(g);
  const drop = new Set<Stmt>([...(withLoop ? [] : [loopStmt]), ...(withLoop || withSub ? [ldAbsStmt] : []), ...(withSub ? [] : [callStmt])]);
  if (withSub) callStmt(g);
  block(g, 0, 10 + r.int(30), [...stmts, [callStmt, 3] as [Stmt, number]].filter(([s]) => !drop.has(s)));
  // Fold: r0 = mix of every scalar register and the loop context.
  if (g.init[0] !== true) g.emit(slot(ALU64 | MOV | K, 0, 0, 0, 0));
  for (let i = 1; i < 10; i++) {
    if (g.init[i] !== true) continue;
    g.emit(slot(ALU64 | MUL | K, 0, 0, 0, 0x01000193), slot(ALU64 | XOR | X, 0, i, 0, 0));
  }
  g.emit(slot(LDX | MEM | SIZE.DW, 1, 10, LOOP_CTX, 0), slot(ALU64 | XOR | X, 0, 1, 0, 0));
  // The test run reports the low 32 bits of r0: fold the high half in.
  g.emit(slot(ALU64 | MOV | X, 1, 0, 0, 0), slot(ALU64 | RSH | K, 1, 0, 0, 32), slot(ALU64 | XOR | X, 0, 1, 0, 0));
  g.emit(slot(JMP | EXIT, 0, 0, 0, 0));
  if (g.usesLoop) {
    const start = g.out.length;
    for (const at of g.loopRefs) {
      const s = g.out[at];
      if (s !== undefined) g.out[at] = slot(s[0], s[1], s[2], s[3], start - at - 1);
    }
    g.emit(...loopCallback(r));
  }
  const callback = g.usesLoop ? { callback: g.out.length - loopCallbackLength } : {};
  let subprog = {};
  if (withSub) {
    const start = g.out.length;
    for (const at of g.callRefs) {
      const s = g.out[at];
      if (s !== undefined) g.out[at] = slot(s[0], s[1], s[2], s[3], start - at - 1);
    }
    g.emit(...subprogram(r, kind));
    subprog = { subprog: start };
  }
  return { name: `seed ${seed} #${index}`, kind, insns: slotsHex(g.out), maps: PROGRAM_MAPS, ...callback, ...subprog };
}

function slotsHex(slots: readonly Slot[]): string {
  const b = new Uint8Array(slots.length * 8);
  const v = new DataView(b.buffer);
  slots.forEach(([code, dst, src, off, imm], i) => {
    v.setUint8(i * 8, code);
    v.setUint8(i * 8 + 1, ((src & 0xf) << 4) | (dst & 0xf));
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  });
  return toHex(b);
}

/**
 * Bytes to hex, two lowercase digits a byte.
 *
 * @example
 * toHex(Uint8Array.of(1, 255)); // '01ff'
 */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/**
 * Hex (two digits a byte) to bytes.
 *
 * @example
 * fromHex('01ff'); // Uint8Array [1, 255]
 */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * Packet sizes every program is run on: a bare Ethernet header, a short frame, 64 bytes, an MTU.
 *
 * @example
 * PACKET_SIZES[0]; // 14 (ETH_HLEN)
 */
export const PACKET_SIZES = [14, 60, 64, 1500] as const;

/**
 * The packets of a recording, random bytes from `seed`; the second is made
 * IPv4 and the third IPv6 (by EtherType) so the skb's protocol varies.
 *
 * @example
 * packetsFor(1).map((p) => p.length); // [14, 60, 64, 1500]
 */
export function packetsFor(seed: number): Uint8Array[] {
  const r = new Prng(seed ^ 0x2545f491);
  return PACKET_SIZES.map((n, i) => {
    const p = r.bytes(n);
    if (i === 1) p.set([0x08, 0x00], 12);
    if (i === 2) p.set([0x86, 0xdd], 12);
    return p;
  });
}

/**
 * `repeat` of each packet's test run: the last two run the program several
 * times on one buffer, so packet edits and head/tail moves pile up and the
 * retval is the last run's.
 *
 * @example
 * RUN_REPEATS[2]; // 3
 */
export const RUN_REPEATS: readonly number[] = [1, 1, 3, 2];

/**
 * `data_size_out` of each run: the second is smaller than its packet (ENOSPC, with what fits copied).
 *
 * @example
 * RUN_OUT_SIZES[1] < PACKET_SIZES[1]; // true
 */
export const RUN_OUT_SIZES: readonly number[] = [4096, 48, 4096, 4096];

/** One BPF_PROG_TEST_RUN: its errno, or retval, data_size_out and data_out. */
export interface RunRecord {
  readonly errno?: string;
  /** The error's message, for a reader only (not compared). */
  readonly message?: string;
  readonly retval?: number;
  readonly size?: number;
  /** data_out as hex up to {@link OUT_HEX_MAX} bytes, else `sha256:<hex>`. */
  readonly out?: string;
}

/** What a program did on a kernel: the load's errno, or its runs and the maps afterwards. */
export interface ProgramRecord {
  /** 'ok' or the errno of BPF_PROG_LOAD. */
  readonly load: string;
  readonly runs?: readonly RunRecord[];
  /** Per map: an array's values by index, a hash map's `key:value` sorted by key (hex). */
  readonly maps?: readonly (readonly string[])[];
}

/**
 * The longest data_out recorded as hex; longer ones are recorded as their SHA-256.
 *
 * @example
 * OUT_HEX_MAX; // 128
 */
export const OUT_HEX_MAX = 128;

function outString(b: Uint8Array): string {
  return b.length <= OUT_HEX_MAX ? toHex(b) : `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

function withBuffer<T>(sys: BpfSyscall, init: Uint8Array | number, fn: (addr: bigint) => T): T {
  const addr = sys.memory.alloc(init);
  try {
    return fn(addr);
  } finally {
    sys.memory.free(addr);
  }
}

function errnoOf(e: unknown): string {
  if (!isBpfError(e)) throw e;
  return e.code;
}

function createMap(sys: BpfSyscall, m: MapSpec): number {
  const map_type = m.type === 'array' ? BpfMapType.BPF_MAP_TYPE_ARRAY : BpfMapType.BPF_MAP_TYPE_HASH;
  return sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries }));
}

/**
 * The instructions with each `ld_imm64 rX, map` index replaced by that map's fd.
 *
 * @example
 * withMapFds(p.insns, [mapFd0, mapFd1]); // bytes ready for BPF_PROG_LOAD
 */
export function withMapFds(insnsHex: string, fds: readonly number[]): Uint8Array {
  const b = fromHex(insnsHex);
  const v = new DataView(b.buffer);
  for (let at = 0; at + 8 <= b.length; at += 8) {
    if (b[at] === (LD | IMM | SIZE.DW) && ((b[at + 1] ?? 0) >> 4) === PSEUDO_MAP_FD) {
      v.setInt32(at + 4, fds[v.getInt32(at + 4, true)] ?? -1, true);
    }
  }
  return b;
}

/**
 * BTF for a program with subprograms (a loop callback, a called function):
 * they need func_info, which points at FUNC types (main global, the others static).
 */
const CALLBACK_BTF = encodeBtfBlob([
  { kind: 'INT', name: 'int', size: 4 },
  { kind: 'INT', name: 'long', size: 8 },
  { kind: 'PTR', type: 0 },
  { kind: 'FUNC_PROTO', ret: 1, params: [['ctx', 3]] },
  { kind: 'FUNC', name: 'prog', type: 4, linkage: 1 },
  { kind: 'FUNC_PROTO', ret: 1, params: [['index', 2], ['ctx', 3]] },
  { kind: 'FUNC', name: 'callback', type: 6, linkage: 0 },
  { kind: 'FUNC_PROTO', ret: 2, params: [['a', 2], ['b', 2]] },
  { kind: 'FUNC', name: 'sub', type: 8, linkage: 0 },
]).blob;

/** `bpf_func_info` records (insn_off, type_id), in instruction order. */
function funcInfo(p: RandomProgram): Uint8Array {
  const recs: [number, number][] = [[0, 5]];
  if (p.callback !== undefined) recs.push([p.callback, 7]);
  if (p.subprog !== undefined) recs.push([p.subprog, 9]);
  recs.sort((a, b) => a[0] - b[0]);
  const b = new Uint8Array(recs.length * 8);
  const v = new DataView(b.buffer);
  recs.forEach(([off, type], i) => {
    v.setUint32(i * 8, off, true);
    v.setUint32(i * 8 + 4, type, true);
  });
  return b;
}

/**
 * BPF_PROG_LOAD (with func_info BTF when the program has subprograms); the fd,
 * or the errno and the verifier's last log lines.
 *
 * @example
 * const r = loadProgram(sys, generateProgram(1, 0), mapFds);
 * if ('fd' in r) sys.close(r.fd);
 */
export function loadProgram(sys: BpfSyscall, p: RandomProgram, fds: readonly number[]): { fd: number } | { errno: string; log: string } {
  const insns = withMapFds(p.insns, fds);
  const logSize = 1 << 16;
  const btfFd = p.callback === undefined && p.subprog === undefined ? -1 : withBuffer(sys, CALLBACK_BTF, (btf) => sys.bpf(BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf, btf_size: CALLBACK_BTF.length })));
  try {
    const fi = funcInfo(p);
    return withBuffer(sys, fi, (addr) => loadWith(sys, p, insns, logSize, btfFd < 0 ? {} : { prog_btf_fd: btfFd, func_info: addr, func_info_cnt: fi.length / 8, func_info_rec_size: 8 }));
  } finally {
    if (btfFd >= 0) sys.close(btfFd);
  }
}

function loadWith(
  sys: BpfSyscall, p: RandomProgram, insns: Uint8Array, logSize: number,
  btf: { prog_btf_fd?: number; func_info?: bigint; func_info_cnt?: number; func_info_rec_size?: number },
): { fd: number } | { errno: string; log: string } {
  return withBuffer(sys, insns, (insnsAddr) => withBuffer(sys, new TextEncoder().encode('GPL\0'), (license) => {
    const load = (logBuf: bigint): number => sys.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: PROG_TYPES[p.kind], insn_cnt: insns.length / 8, insns: insnsAddr, license, ...btf,
      ...(logBuf === 0n ? {} : { log_level: 1, log_buf: logBuf, log_size: logSize }),
    }));
    try {
      return { fd: load(0n) };
    } catch (e) {
      const errno = errnoOf(e);
      // Load again with a log, for the reason only (the errno is the first attempt's).
      const log = withBuffer(sys, logSize, (logBuf) => {
        try {
          load(logBuf);
        } catch (e2) {
          errnoOf(e2);
        }
        const text = new TextDecoder().decode(sys.memory.read(logBuf, logSize));
        const lines = text.slice(0, Math.max(0, text.indexOf('\0'))).trim().split('\n');
        return lines.slice(-2).join(' | ');
      });
      return { errno, log };
    }
  }));
}

function testRun(sys: BpfSyscall, progFd: number, data: Uint8Array, repeat: number, outSize: number): RunRecord {
  return withBuffer(sys, data, (dataIn) => withBuffer(sys, outSize, (dataOut) => {
    const attr = encodeTestRunAttr({ prog_fd: progFd, repeat, data_in: dataIn, data_size_in: data.length, data_out: dataOut, data_size_out: outSize });
    const written = (): { retval: number; size: number; out: string } => {
      const d = decodeTestRunAttr(attr);
      return { retval: d.retval, size: d.data_size_out, out: outString(sys.memory.read(dataOut, Math.min(d.data_size_out, outSize))) };
    };
    try {
      sys.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
    } catch (e) {
      // ENOSPC (data_out too small) still reports the run: retval, the full size, the bytes that fit.
      const errno = errnoOf(e);
      return { errno, ...(errno === 'ENOSPC' ? written() : {}), message: isBpfError(e) ? `${e.reason}: ${e.message}` : '' };
    }
    return written();
  }));
}

function lookup(sys: BpfSyscall, fd: number, key: Uint8Array, valueSize: number): Uint8Array | undefined {
  return withBuffer(sys, key, (k) => withBuffer(sys, valueSize, (v) => {
    try {
      sys.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: k, value: v }));
    } catch (e) {
      errnoOf(e);
      return undefined;
    }
    return sys.memory.read(v, valueSize);
  }));
}

/**
 * Every element: an array's values by index, a hash map's `key:value` pairs sorted by key.
 *
 * @example
 * dumpMap(sys, fd, PROGRAM_MAPS[1]); // ['03000000:0100…', …]
 */
export function dumpMap(sys: BpfSyscall, fd: number, m: MapSpec): string[] {
  if (m.type === 'array') {
    const out: string[] = [];
    for (let i = 0; i < m.maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const v = lookup(sys, fd, key, m.valueSize);
      out.push(v === undefined ? '-' : toHex(v));
    }
    return out;
  }
  const keys: Uint8Array[] = [];
  let prev: Uint8Array | undefined;
  for (;;) {
    const next = withBuffer(sys, m.keySize, (nk) => {
      const call = (k: bigint): boolean => {
        try {
          sys.bpf(BpfCmd.BPF_MAP_GET_NEXT_KEY, encodeMapElemAttr({ map_fd: fd, key: k, next_key: nk }));
          return true;
        } catch (e) {
          errnoOf(e);
          return false;
        }
      };
      const ok = prev === undefined ? call(0n) : withBuffer(sys, prev, call);
      return ok ? sys.memory.read(nk, m.keySize) : undefined;
    });
    if (next === undefined || keys.length > m.maxEntries) break;
    keys.push(next);
    prev = next;
  }
  return keys
    .map((k) => `${toHex(k)}:${toHex(lookup(sys, fd, k, m.valueSize) ?? new Uint8Array())}`)
    .sort();
}

/**
 * Creates the program's maps, loads it, test-runs it on each packet in order
 * (`repeats[i]` times; the maps carry over), and dumps the maps; closes
 * everything after.
 *
 * @example
 * const rec = runProgram(createLinuxSyscall(), generateProgram(1, 0), packetsFor(1));
 * rec.load; // 'ok' or an errno such as 'EACCES'
 */
export function runProgram(
  sys: BpfSyscall, p: RandomProgram, packets: readonly Uint8Array[], repeats: readonly number[] = RUN_REPEATS,
): ProgramRecord & { log?: string } {
  const fds: number[] = [];
  try {
    for (const m of p.maps) fds.push(createMap(sys, m));
    const loaded = loadProgram(sys, p, fds);
    if (!('fd' in loaded)) return { load: loaded.errno, log: loaded.log };
    try {
      const runs = packets.map((pkt, i) => testRun(sys, loaded.fd, pkt, repeats[i] ?? 1, RUN_OUT_SIZES[i] ?? 4096));
      const maps = p.maps.map((m, i) => dumpMap(sys, fds[i] ?? -1, m));
      return { load: 'ok', runs, maps };
    } finally {
      sys.close(loaded.fd);
    }
  } finally {
    for (const fd of fds) sys.close(fd);
  }
}

/** The recorded answers of Linux: generator inputs, the packets, and each accepted program's record. */
export interface RandomProgramsFixture {
  readonly comment: string;
  readonly kernel: string;
  readonly seed: number;
  readonly generated: number;
  /** Programs Linux refused to load, by errno (they are not in `programs`). */
  readonly rejected: Readonly<Record<string, number>>;
  /** Programs whose two Linux runs differed (left out as not reproducible). */
  readonly unstable: number;
  /** Hex of each packet, run in this order. */
  readonly packets: readonly string[];
  /** The test runs' `repeat`, per packet. */
  readonly repeats: readonly number[];
  readonly programs: readonly (RandomProgram & { readonly linux: ProgramRecord })[];
}

/**
 * The seed of the committed recording (and of the live comparison).
 *
 * @example
 * generateProgram(FIXTURE_SEED, 0).name; // 'seed 1 #0'
 */
export const FIXTURE_SEED = 1;
/**
 * How many programs the recording generated.
 *
 * @example
 * for (let i = 0; i < FIXTURE_COUNT; i++) generateProgram(FIXTURE_SEED, i);
 */
export const FIXTURE_COUNT = 300;

const NARROW_CTX_LOAD =
  'a narrow __sk_buff load at a later byte of a field Linux converts to a narrower kernel load (pkt_type, vlan_present: ' +
  '1 byte; queue_mapping, protocol, vlan_tci, vlan_proto, tc_index: 2 bytes) reads the whole field on Linux ' +
  "(convert_ctx_accesses shifts only when the load is narrower than target_size); bpfkit reads the struct's byte (0)";

function known(reason: string, indexes: readonly number[]): [string, string][] {
  return indexes.map((i) => [`seed ${String(FIXTURE_SEED)} #${String(i)}`, reason]);
}

/**
 * Programs of the recording (seed {@link FIXTURE_SEED}) on which bpfkit and
 * Linux 6.18 disagree, each with why (the recorder prints these lists by
 * cause). A listed program that starts agreeing fails the tests, so the list
 * only shrinks.
 *
 * @example
 * KNOWN_DIFFERENCES.get('seed 1 #7'); // why it differs
 */
export const KNOWN_DIFFERENCES: ReadonlyMap<string, string> = new Map<string, string>([
  ...known(NARROW_CTX_LOAD, [51, 133]),
]);

/**
 * Where two records differ, a line each (load, packet runs, maps), for a test's message.
 *
 * @example
 * describeDifference(linuxRecord, bpfkitRecord); // 'packet 1 (60 bytes): linux {…}, bpfkit {…}'
 */
export function describeDifference(linux: ProgramRecord, simulated: ProgramRecord & { log?: string }): string {
  if (linux.load !== simulated.load) return `load: linux ${linux.load}, bpfkit ${simulated.load}${simulated.log === undefined ? '' : ` (${simulated.log})`}`;
  const out: string[] = [];
  (linux.runs ?? []).forEach((r, i) => {
    const s = simulated.runs?.[i];
    if (JSON.stringify(r) !== JSON.stringify(s)) out.push(`packet ${i} (${PACKET_SIZES[i] ?? '?'} bytes): linux ${JSON.stringify(r)}, bpfkit ${JSON.stringify(s)}`);
  });
  (linux.maps ?? []).forEach((m, i) => {
    const s = simulated.maps?.[i];
    if (JSON.stringify(m) !== JSON.stringify(s)) out.push(`map ${i}: linux ${JSON.stringify(m)}, bpfkit ${JSON.stringify(s)}`);
  });
  return out.join('\n');
}

/**
 * The part of a record both kernels must agree on (the load's log and error messages are not compared).
 *
 * @example
 * JSON.stringify(comparable(a)) === JSON.stringify(comparable(b));
 */
export function comparable(r: ProgramRecord): ProgramRecord {
  if (r.runs === undefined) return { load: r.load };
  const runs = r.runs.map((run) => {
    const copy: { -readonly [K in keyof RunRecord]: RunRecord[K] } = { ...run };
    delete copy.message;
    return copy;
  });
  return { load: r.load, runs, maps: r.maps ?? [] };
}

/** `__sk_buff` loads where Linux's narrow-load rewrite differs from reading the struct: see {@link classifyDifference}. */
const NARROW_QUIRKS: readonly (readonly [size: number, off: number])[] = [
  // pkt_type and vlan_present convert to a 1-byte load: any narrower load at a later byte reads the whole field.
  [0x10, 5], [0x10, 6], [0x10, 7], [0x08, 6], [0x10, 21], [0x10, 22], [0x10, 23], [0x08, 22],
  // queue_mapping, protocol, vlan_tci, vlan_proto, tc_index convert to a 2-byte load: a u16 load of the upper half reads the field.
  [0x08, 14], [0x08, 18], [0x08, 26], [0x08, 30], [0x08, 46],
];

/**
 * Whether the program narrow-loads an `__sk_buff` field at an offset where
 * Linux and a plain struct read differ: the verifier rewrites a narrow load
 * to the field's kernel load and only shifts and masks when the load is
 * narrower than what that kernel load reads (`target_size`), so `*(u8 *)(skb
 * + 5)` yields `pkt_type` itself, not its second byte.
 *
 * @example
 * hasNarrowCtxQuirk(generateProgram(1, 51)); // true
 */
export function hasNarrowCtxQuirk(p: RandomProgram): boolean {
  if (p.kind === 'xdp') return false;
  const b = fromHex(p.insns);
  for (let at = 8; at + 8 <= b.length; at += 8) {
    const prev = b.subarray(at - 8, at), cur = b.subarray(at, at + 8);
    const filled = prev[0] === (LDX | MEM | SIZE.DW) && ((prev[1] ?? 0) >> 4) === 10 && new DataView(prev.buffer, prev.byteOffset).getInt16(2, true) === CTX_SLOT;
    if (!filled) continue;
    const size = (cur[0] ?? 0) & 0x18, off = new DataView(cur.buffer, cur.byteOffset).getInt16(2, true);
    if (((cur[0] ?? 0) & 0xe7) === (LDX | MEM) && NARROW_QUIRKS.some(([s, o]) => s === size && o === off)) return true;
  }
  return false;
}

/** Why bpfkit's record differs from Linux's, when the reason is one already known. */
export type DifferenceCause = 'callbacks' | 'narrow-ctx-load' | 'unexplained';

/**
 * Sorts a disagreement into the known causes (the recorder lists them for
 * {@link KNOWN_DIFFERENCES}); 'unexplained' needs a look.
 *
 * @example
 * classifyDifference(p, runProgram(task, p, packets)); // 'narrow-ctx-load'
 */
export function classifyDifference(p: RandomProgram, simulated: ProgramRecord & { log?: string }): DifferenceCause {
  if (p.callback !== undefined && simulated.load === 'EINVAL' && /unreachable insn/.test(simulated.log ?? '')) return 'callbacks';
  if (hasNarrowCtxQuirk(p)) return 'narrow-ctx-load';
  return 'unexplained';
}
