import test from 'ava';
import { atomicCmpxchg, atomicFetch, atomicXchg, assemble, BPF_ADD, BPF_AND, BPF_DW, BPF_OR, BPF_W, BPF_XOR, type Insn } from '@bpfkit/asm';
import type { RunOutcome } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';

const arena = createVmArena({ initialBytes: 1 << 20 });
const wasm = createWasmEngine();
const interp = createInterpreter();

function run(engine: typeof wasm, program: string | readonly Insn[], mem?: Uint8Array, verified = false): RunOutcome {
  let addr = 0;
  if (mem !== undefined) {
    addr = arena.alloc(mem.length);
    arena.bytes.set(mem, addr);
  }
  const prog = engine.load(image(program, { verified }));
  try {
    return prog.run({ r1: addr, r2: mem?.length ?? 0 }, testEnv({ arena }));
  } finally {
    prog.release();
    if (addr !== 0) arena.free(addr);
  }
}

/** r0 on the JIT, after checking the interpreter (the reference semantics) agrees. */
function r0(program: string | readonly Insn[], mem?: Uint8Array): bigint {
  const got = run(wasm, program, mem);
  const want = run(interp, program, mem);
  if (got.kind !== 'exit') throw new Error(`wasm faulted: ${got.fault.message}`);
  if (want.kind !== 'exit' || want.r0 !== got.r0) throw new Error(`interp disagrees: ${JSON.stringify(want, (_, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}, wasm 0x${got.r0.toString(16)}`);
  return got.r0;
}

const EDGES = [0n, 1n, 7n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, 0xffffffffffffffffn, 0xfedcba9876543210n];
const OPS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '%=', '^=', '=', 's>>=', 's/=', 's%='];
const hex = (x: bigint): string => `0x${x.toString(16)}`;

test('every ALU64 and ALU32 register op agrees with the interpreter on edge values', (t) => {
  for (const reg of ['r', 'w']) {
    for (const op of OPS) {
      for (const a of EDGES) {
        for (const b of EDGES) r0(`r0 = ${hex(a)} ll\nr1 = ${hex(b)} ll\n${reg}0 ${op} ${reg}1\nexit`);
      }
    }
  }
  t.pass();
});

test('ALU immediates are sign-extended for ALU64 and taken as 32 bits for ALU32', (t) => {
  for (const reg of ['r', 'w']) {
    for (const op of OPS) {
      for (const k of [0, 1, -1, 5, -7, 63, 64, 0x7fffffff, -0x80000000]) r0(`r0 = 0xfedcba9876543210 ll\n${reg}0 ${op} ${k}\nexit`);
    }
  }
  t.is(r0('r0 = -1\nexit'), 0xffffffffffffffffn);
  t.is(r0('w0 = -1\nexit'), 0xffffffffn);
});

test('division by zero gives 0 and modulo by zero keeps dst (ALU32: its low half)', (t) => {
  t.is(r0('r0 = 0x123456789 ll\nr1 = 0\nr0 /= r1\nexit'), 0n);
  t.is(r0('r0 = 0x123456789 ll\nr1 = 0\nr0 %= r1\nexit'), 0x123456789n);
  t.is(r0('r0 = 0x100000005 ll\nr1 = 0\nw0 %= w1\nexit'), 5n);
  t.is(r0('r0 = 0x123456789 ll\nr0 s%= 0\nexit'), 0x123456789n);
});

test('signed division of INT_MIN by -1 gives INT_MIN and the remainder 0, with no trap', (t) => {
  t.is(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit'), 0x8000000000000000n);
  t.is(r0('r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit'), 0n);
  t.is(r0('w0 = 0x80000000\nw1 = -1\nw0 s/= w1\nexit'), 0x80000000n);
  t.is(r0('w0 = 0x80000000\nw0 s/= -1\nexit'), 0x80000000n);
  t.is(r0('w0 = 0x80000000\nw0 s%= -1\nexit'), 0n);
});

test('shift amounts are masked to the operand width', (t) => {
  t.is(r0('r0 = 1\nr1 = 65\nr0 <<= r1\nexit'), 2n);
  t.is(r0('w0 = 1\nw1 = 33\nw0 <<= w1\nexit'), 2n);
  t.is(r0('r0 = -8\nr1 = 66\nr0 s>>= r1\nexit'), 0xfffffffffffffffen);
});

test('ALU32 results are zero-extended', (t) => {
  t.is(r0('r0 = -1\nw0 += 0\nexit'), 0xffffffffn);
  t.is(r0('r0 = 0x1ffffffff ll\nw0 = -w0\nexit'), 1n);
  t.is(r0('r0 = 5\nr0 = -r0\nexit'), 0xfffffffffffffffbn);
});

test('movsx sign-extends 8, 16 and 32 bits (into 32 bits for the ALU32 form)', (t) => {
  t.is(r0('r1 = 0x80\nr0 = (s8)r1\nexit'), 0xffffffffffffff80n);
  t.is(r0('r1 = 0x8000\nr0 = (s16)r1\nexit'), 0xffffffffffff8000n);
  t.is(r0('r1 = 0x80000000 ll\nr0 = (s32)r1\nexit'), 0xffffffff80000000n);
  t.is(r0('r1 = 0xff\nw0 = (s8)w1\nexit'), 0xffffffffn);
  t.is(r0('r1 = 0x7fff\nw0 = (s16)w1\nexit'), 0x7fffn);
});

test('byte swaps: be swaps, le truncates, bswap always swaps', (t) => {
  const v = 'r0 = 0x1122334455667788 ll\n';
  t.is(r0(`${v}r0 = be16 r0\nexit`), 0x8877n);
  t.is(r0(`${v}r0 = be32 r0\nexit`), 0x88776655n);
  t.is(r0(`${v}r0 = be64 r0\nexit`), 0x8877665544332211n);
  t.is(r0(`${v}r0 = le16 r0\nexit`), 0x7788n);
  t.is(r0(`${v}r0 = le32 r0\nexit`), 0x55667788n);
  t.is(r0(`${v}r0 = le64 r0\nexit`), 0x1122334455667788n);
  t.is(r0(`${v}r0 = bswap16 r0\nexit`), 0x8877n);
  t.is(r0(`${v}r0 = bswap32 r0\nexit`), 0x88776655n);
  t.is(r0(`${v}r0 = bswap64 r0\nexit`), 0x8877665544332211n);
});

test('ld_imm64 loads all 64 bits', (t) => {
  t.is(r0('r0 = 0x8000000000000001 ll\nexit'), 0x8000000000000001n);
});

test('64-bit and 32-bit jumps compare as the interpreter does', (t) => {
  const conds = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];
  for (const reg of ['r', 'w']) {
    for (const c of conds) {
      for (const a of [0n, 1n, 0x80000000n, 0xffffffffn, 0x100000000n, 0xffffffffffffffffn]) {
        for (const b of [0n, 1n, 0x80000000n, 0xffffffffffffffffn]) {
          r0(`r1 = ${hex(a)} ll\nr2 = ${hex(b)} ll\nr0 = 1\nif ${reg}1 ${c} ${reg}2 goto +1\nr0 = 2\nexit`);
          r0(`r1 = ${hex(a)} ll\nr0 = 1\nif ${reg}1 ${c} -1 goto +1\nr0 = 2\nexit`);
        }
      }
    }
  }
  t.pass();
});

test('gotol jumps by its 32-bit immediate', (t) => {
  t.is(r0('r0 = 1\ngotol +1\nr0 = 2\nexit'), 1n);
});

test('loads and stores of every size, with sign-extending loads', (t) => {
  const mem = Uint8Array.from([0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88]);
  t.is(r0('r0 = *(u8 *)(r1 + 1)\nexit', mem), 0x82n);
  t.is(r0('r0 = *(u16 *)(r1 + 2)\nexit', mem), 0x8483n);
  t.is(r0('r0 = *(u32 *)(r1 + 4)\nexit', mem), 0x88878685n);
  t.is(r0('r0 = *(u64 *)(r1 + 0)\nexit', mem), 0x8887868584838281n);
  t.is(r0('r0 = *(s8 *)(r1 + 0)\nexit', mem), 0xffffffffffffff81n);
  t.is(r0('r0 = *(s16 *)(r1 + 0)\nexit', mem), 0xffffffffffff8281n);
  t.is(r0('r0 = *(s32 *)(r1 + 0)\nexit', mem), 0xffffffff84838281n);
  t.is(r0('*(u16 *)(r10 - 8) = 0x1234\n*(u8 *)(r10 - 6) = 0x56\nr0 = *(u32 *)(r10 - 8)\nexit'), 0x561234n);
  t.is(r0('r1 = -2\n*(u64 *)(r10 - 8) = r1\n*(u32 *)(r10 - 8) = 7\nr0 = *(u64 *)(r10 - 8)\nexit'), 0xffffffff00000007n);
});

test('atomics: add/or/and/xor with and without fetch, on 32 and 64 bits', (t) => {
  const ops = [BPF_ADD, BPF_OR, BPF_AND, BPF_XOR] as const;
  for (const size of [BPF_W, BPF_DW] as const) {
    for (const op of ops) {
      const setup = assemble('r1 = 0xf0f0f0f0f0f0f0f0 ll\n*(u64 *)(r10 - 8) = r1\nr2 = 0x0ff00ff00ff00ff3 ll');
      const tail = assemble('r0 = *(u64 *)(r10 - 8)\nr0 ^= r2\nexit');
      r0([...setup, atomicFetch(size, op, 10, 2, -8), ...tail]);
    }
  }
  t.is(r0([...assemble('r1 = 5\n*(u64 *)(r10 - 8) = r1\nr2 = 3'), atomicFetch(BPF_DW, BPF_ADD, 10, 2, -8), ...assemble('r0 = *(u64 *)(r10 - 8)\nr0 <<= 8\nr0 |= r2\nexit')]), 0x805n);
  t.is(r0('r1 = 5\n*(u64 *)(r10 - 8) = r1\nr2 = 3\nlock *(u64 *)(r10 - 8) += r2\nr0 = *(u64 *)(r10 - 8)\nexit'), 8n);
});

test('xchg and cmpxchg return the old value (zero-extended for 32 bits)', (t) => {
  const setup = assemble('r1 = -1\n*(u64 *)(r10 - 8) = r1\nr2 = 9');
  t.is(r0([...setup, atomicXchg(BPF_DW, 10, 2, -8), ...assemble('r0 = r2\nexit')]), 0xffffffffffffffffn);
  t.is(r0([...setup, atomicXchg(BPF_W, 10, 2, -8), ...assemble('r0 = *(u64 *)(r10 - 8)\nexit')]), 0xffffffff00000009n);
  // cmpxchg stores only when r0 equals the old value; r0 gets the old value either way.
  t.is(r0([...setup, ...assemble('r0 = -1'), atomicCmpxchg(BPF_DW, 10, 2, -8), ...assemble('r0 = *(u64 *)(r10 - 8)\nexit')]), 9n);
  t.is(r0([...setup, ...assemble('r0 = 1'), atomicCmpxchg(BPF_DW, 10, 2, -8), ...assemble('exit')]), 0xffffffffffffffffn);
  t.is(r0([...setup, ...assemble('r0 = 0xffffffff ll'), atomicCmpxchg(BPF_W, 10, 2, -8), ...assemble('exit')]), 0xffffffffn);
});

test('load-acquire and store-release are a load and a store', (t) => {
  t.is(r0('r1 = r10\nr1 += -8\nr2 = 0x1234\nstore_release((u16 *)(r1 + 0), w2)\nr0 = load_acquire((u16 *)(r1 + 0))\nexit'), 0x1234n);
});
