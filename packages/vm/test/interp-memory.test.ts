import test from 'ava';
import { ARENA_GUARD_BYTES } from '@bpfkit/kernel-api';
import { r0, runProgram } from './support/run.js';

const MEM = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00]);
const mem = (): Uint8Array => MEM.slice();

test('ldx of 1, 2, 4 and 8 bytes reads little-endian and zero-extends', (t) => {
  t.is(r0('r0 = *(u8 *)(r1 +1)\nexit', { mem: mem() }), 0x22n);
  t.is(r0('r0 = *(u16 *)(r1 +2)\nexit', { mem: mem() }), 0x4433n);
  t.is(r0('r0 = *(u32 *)(r1 +4)\nexit', { mem: mem() }), 0x88776655n);
  t.is(r0('r0 = *(u64 *)(r1 +8)\nexit', { mem: mem() }), 0x00ffeeddccbbaa99n);
});

test('ldsx (MEMSX, ISA v4) sign-extends 1, 2 and 4 bytes', (t) => {
  t.is(r0('r0 = *(s8 *)(r1 +7)\nexit', { mem: mem() }), 0xffffffffffffff88n);
  t.is(r0('r0 = *(s16 *)(r1 +6)\nexit', { mem: mem() }), 0xffffffffffff8877n);
  t.is(r0('r0 = *(s32 *)(r1 +4)\nexit', { mem: mem() }), 0xffffffff88776655n);
  t.is(r0('r0 = *(s8 *)(r1 +0)\nexit', { mem: mem() }), 0x11n);
});

test('stx stores the low bytes of a register', (t) => {
  const { arena, mem: at, out } = runProgram('r2 = 0x0102030405060708 ll\n*(u8 *)(r1 +0) = r2\n*(u16 *)(r1 +2) = r2\n*(u32 *)(r1 +4) = r2\n*(u64 *)(r1 +8) = r2\nr0 = 0\nexit', { mem: new Uint8Array(16) });
  t.is(out.kind, 'exit');
  t.deepEqual([...arena.bytes.subarray(at, at + 16)], [8, 0, 8, 7, 8, 7, 6, 5, 8, 7, 6, 5, 4, 3, 2, 1]);
});

test('st stores an immediate; the 8-byte form sign-extends it', (t) => {
  const { arena, mem: at } = runProgram('*(u8 *)(r1 +0) = 0x1ff\n*(u16 *)(r1 +2) = -2\n*(u32 *)(r1 +4) = 0x12345678\n*(u64 *)(r1 +8) = -1\nr0 = 0\nexit', { mem: new Uint8Array(16) });
  t.deepEqual([...arena.bytes.subarray(at, at + 16)], [0xff, 0, 0xfe, 0xff, 0x78, 0x56, 0x34, 0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
});

test('the stack below r10 holds 512 bytes of the frame', (t) => {
  t.is(r0('r1 = 0x1122334455667788 ll\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -512) = r1\nr0 = *(u64 *)(r10 -8)\nr2 = *(u64 *)(r10 -512)\nr0 ^= r2\nr0 += 1\nexit'), 1n);
});

test('the stack starts zeroed on every run', (t) => {
  t.is(r0('r0 = *(u64 *)(r10 -8)\nr1 = 5\n*(u64 *)(r10 -8) = r1\nexit'), 0n);
  t.is(r0('r0 = *(u64 *)(r10 -8)\nexit'), 0n);
});

test('atomic add, or, and, xor change memory and return nothing without FETCH', (t) => {
  const cases: [string, bigint][] = [['+=', 0x1111111111111144n], ['|=', 0x1111111111111133n], ['&=', 0x11n], ['^=', 0x1111111111111122n]];
  for (const [op, want] of cases) {
    const prog = `r2 = 0x1111111111111111 ll\n*(u64 *)(r10 -8) = r2\nr3 = 0x33\nr4 = r10\nr4 += -8\nlock *(u64 *)(r4 +0) ${op} r3\nr0 = *(u64 *)(r10 -8)\nr0 += r3\nexit`;
    t.is(r0(prog), want + 0x33n, op);
  }
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 1\nr4 = r10\nr4 += -8\nlock *(u32 *)(r4 +0) += r3\nr0 = *(u64 *)(r10 -8)\nexit'), 0xffffffff00000000n, 'the 32-bit add carries into nothing');
});

test('atomic fetch forms return the old value in src; 32-bit forms zero-extend it', (t) => {
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 1\nr4 = r10\nr4 += -8\nr3 = atomic64_fetch_add((u64 *)(r4 +0), r3)\nr0 = r3\nexit'), 0xffffffffffffffffn);
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 1\nr4 = r10\nr4 += -8\nr3 = atomic64_fetch_add((u64 *)(r4 +0), r3)\nr0 = *(u64 *)(r10 -8)\nexit'), 0n);
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 0xf0\nr4 = r10\nr4 += -8\nw3 = atomic_fetch_and((u32 *)(r4 +0), w3)\nr0 = r3\nexit'), 0xffffffffn);
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 0xf0\nr4 = r10\nr4 += -8\nw3 = atomic_fetch_and((u32 *)(r4 +0), w3)\nr0 = *(u64 *)(r10 -8)\nexit'), 0xffffffff000000f0n);
  t.is(r0('r2 = 0\n*(u64 *)(r10 -8) = r2\nr3 = 5\nr4 = r10\nr4 += -8\nr3 = atomic64_fetch_xor((u64 *)(r4 +0), r3)\nr3 = atomic64_fetch_or((u64 *)(r4 +0), r3)\nr0 = *(u64 *)(r10 -8)\nexit'), 5n);
});

test('xchg swaps a register with memory', (t) => {
  t.is(r0('r2 = 7\n*(u64 *)(r10 -8) = r2\nr3 = 9\nr4 = r10\nr4 += -8\nr3 = atomic64_xchg((u64 *)(r4 +0), r3)\nr0 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r3\nexit'), 0x907n);
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr3 = 9\nr4 = r10\nr4 += -8\nw3 = atomic_xchg((u32 *)(r4 +0), w3)\nr0 = r3\nexit'), 0xffffffffn);
});

test('cmpxchg stores src only when memory equals r0, and r0 gets the old value', (t) => {
  t.is(r0('r2 = 7\n*(u64 *)(r10 -8) = r2\nr0 = 7\nr3 = 9\nr4 = r10\nr4 += -8\nr0 = atomic64_cmpxchg((u64 *)(r4 +0), r0, r3)\nr5 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r5\nexit'), 0x709n);
  t.is(r0('r2 = 7\n*(u64 *)(r10 -8) = r2\nr0 = 8\nr3 = 9\nr4 = r10\nr4 += -8\nr0 = atomic64_cmpxchg((u64 *)(r4 +0), r0, r3)\nr5 = *(u64 *)(r10 -8)\nr0 <<= 8\nr0 |= r5\nexit'), 0x707n);
});

test('32-bit cmpxchg compares only the low word of r0 and zero-extends the old value', (t) => {
  t.is(r0('r2 = -1\n*(u64 *)(r10 -8) = r2\nr0 = -1\nr3 = 0\nr4 = r10\nr4 += -8\nw0 = atomic_cmpxchg((u32 *)(r4 +0), w0, w3)\nr5 = *(u64 *)(r10 -8)\nr0 += r5\nexit'), 0xffffffffn + 0xffffffff00000000n);
});

test('load-acquire and store-release move 1, 2, 4 and 8 bytes', (t) => {
  t.is(r0('r0 = load_acquire((u8 *)(r1 +7))\nexit', { mem: mem() }), 0x88n);
  t.is(r0('r0 = load_acquire((u16 *)(r1 +6))\nexit', { mem: mem() }), 0x8877n);
  t.is(r0('r0 = load_acquire((u32 *)(r1 +4))\nexit', { mem: mem() }), 0x88776655n);
  t.is(r0('r0 = load_acquire((u64 *)(r1 +0))\nexit', { mem: mem() }), 0x8877665544332211n);
  const { arena, mem: at } = runProgram('r2 = 0x0102030405060708 ll\nstore_release((u8 *)(r1 +0), r2)\nstore_release((u16 *)(r1 +2), r2)\nstore_release((u32 *)(r1 +4), r2)\nstore_release((u64 *)(r1 +8), r2)\nr0 = 0\nexit', { mem: new Uint8Array(16) });
  t.deepEqual([...arena.bytes.subarray(at, at + 16)], [8, 0, 8, 7, 8, 7, 6, 5, 8, 7, 6, 5, 4, 3, 2, 1]);
});

test('a NULL dereference is a memory fault at address 0, not an exception', (t) => {
  const { out } = runProgram('r1 = 0\nr0 = *(u32 *)(r1 +0)\nexit', { verified: true });
  t.is(out.kind, 'fault');
  if (out.kind !== 'fault') return;
  t.like(out.fault, { kind: 'memory', pc: 1, addr: 0, size: 4 });
  t.is(out.fault.message, 'invalid read of 4 bytes at 0x0 (pc 1)');
  t.is(out.insnsExecuted, 2);
});

test('stores below ARENA_GUARD_BYTES fault, verified or not', (t) => {
  for (const verified of [true, false]) {
    const { out } = runProgram(`r1 = ${ARENA_GUARD_BYTES - 4}\n*(u64 *)(r1 +0) = 1\nr0 = 0\nexit`, { verified });
    t.like(out, { kind: 'fault', fault: { kind: 'memory', addr: ARENA_GUARD_BYTES - 4, size: 8 } });
  }
});

test('an access beyond the arena faults, verified or not', (t) => {
  for (const verified of [true, false]) {
    const { out } = runProgram('r1 = 0x7ffffff0\nr0 = *(u64 *)(r1 +0)\nexit', { verified });
    t.like(out, { kind: 'fault', fault: { kind: 'memory', addr: 0x7ffffff0, size: 8 } });
  }
});

test('a pointer with high bits set faults (no arena address has them)', (t) => {
  const { out } = runProgram('r1 = 0x100010000 ll\nr0 = *(u8 *)(r1 +0)\nexit', { verified: true });
  t.like(out, { kind: 'fault', fault: { kind: 'memory', pc: 2 } });
});

test('unverified programs fault outside live allocations; verified ones are only kept inside the arena', (t) => {
  const prog = 'r0 = *(u8 *)(r1 +4096)\nexit';
  t.like(runProgram(prog, { mem: new Uint8Array(16) }).out, { kind: 'fault', fault: { kind: 'memory', size: 1 } });
  t.like(runProgram(prog, { mem: new Uint8Array(16), verified: true }).out, { kind: 'exit' });
});

test('an atomic on a bad address is a memory fault', (t) => {
  const { out } = runProgram('r1 = 0\nr2 = 1\nlock *(u64 *)(r1 +0) += r2\nr0 = 0\nexit');
  t.like(out, { kind: 'fault', fault: { kind: 'memory', pc: 2, addr: 0, size: 8 } });
});

test('a fault names the 64-bit address the program computed', (t) => {
  t.like(runProgram('r1 = 0\nr0 = *(u8 *)(r1 -1)\nexit').out, { kind: 'fault', fault: { message: 'invalid read of 1 bytes at 0xffffffffffffffff (pc 1)' } });
  t.like(runProgram('r1 = 0x100000010 ll\n*(u32 *)(r1 +16) = 1\nr0 = 0\nexit').out, { kind: 'fault', fault: { message: 'invalid write of 4 bytes at 0x100000020 (pc 2)', addr: 0x100000020 } });
});
