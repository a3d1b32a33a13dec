import test from 'ava';
import fc from 'fast-check';
import { ARENA_GUARD_BYTES, BpfError } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';

test('allocations are zeroed, aligned, above the guard, and inside the arena', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 16 });
  const a = arena.alloc(13);
  const b = arena.alloc(100, 4096);
  t.true(a >= ARENA_GUARD_BYTES);
  t.is(a % 8, 0);
  t.is(b % 4096, 0);
  t.true(arena.contains(a, 13));
  t.true(arena.contains(b, 100));
  t.false(arena.contains(0, 1));
  t.false(arena.contains(b + 104, 8));
  arena.bytes[a] = 7;
  arena.free(a);
  t.false(arena.contains(a, 1));
  const again = arena.alloc(16);
  t.is(again, a, 'a freed allocation of the same size is reused');
  t.is(arena.bytes[again], 0, 'and handed out zeroed');
});

test('growth replaces the buffer and bumps the generation, keeping the bytes', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 16 });
  const a = arena.alloc(8);
  arena.view.setUint32(a, 0xdeadbeef, true);
  const g = arena.generation;
  arena.alloc(1 << 20);
  t.true(arena.generation > g);
  t.is(arena.view.getUint32(a, true), 0xdeadbeef);
});

test('an allocation past the limit is ENOMEM and changes nothing', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 16, maxBytes: 1 << 20 });
  const before = arena.allocatedBytes;
  const err = t.throws(() => arena.alloc(2 << 20), { instanceOf: BpfError });
  t.is(err.code, 'ENOMEM');
  t.is(arena.allocatedBytes, before);
});

test('a plain ArrayBuffer backs the arena where WebAssembly is not wanted', (t) => {
  const arena = createVmArena({ wasm: false, initialBytes: 1 << 16 });
  t.is(arena.wasmMemory, undefined);
  const a = arena.alloc(1 << 18);
  t.true(arena.contains(a, 1 << 18));
});

test('freeing what was not allocated throws', (t) => {
  const arena = createVmArena();
  t.throws(() => { arena.free(12345); }, { instanceOf: RangeError });
});

test('property: live allocations never overlap and accounting returns to zero', (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 300 }), fc.boolean()), { maxLength: 60 }), (ops) => {
    const arena = createVmArena({ initialBytes: 1 << 16 });
    const live: { addr: number; size: number }[] = [];
    for (const [size, freeOne] of ops) {
      if (freeOne && live.length > 0) {
        for (const victim of live.splice(size % live.length, 1)) arena.free(victim.addr);
      } else {
        live.push({ addr: arena.alloc(size), size });
      }
      const sorted = [...live].sort((x, y) => x.addr - y.addr);
      if (sorted.some((a, i) => i > 0 && (sorted[i - 1]?.addr ?? 0) + (sorted[i - 1]?.size ?? 0) > a.addr)) return false;
    }
    for (const a of live) arena.free(a.addr);
    return arena.allocatedBytes === 0;
  }));
  t.pass();
});
