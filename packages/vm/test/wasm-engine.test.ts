import test from 'ava';
import { createVmArena } from '@bpfkit/memory';
import { createDefaultEngine, createInterpreter, createWasmEngine, wasmLayout } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { image } from './support/program.js';

test('createDefaultEngine is the wasm engine where WebAssembly exists', (t) => {
  t.is(createDefaultEngine().name, 'wasm');
  t.is(createWasmEngine().name, 'wasm');
});

test('unknown options are rejected', (t) => {
  t.throws(() => createWasmEngine({ speed: 'max' } as never), { instanceOf: TypeError });
});

test('an arena without a WebAssembly.Memory runs on the fallback engine', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const prog = createWasmEngine({ fallback: createInterpreter() }).load(image('r0 = 7\nexit'));
  t.deepEqual(prog.run({ r1: 0 }, testEnv({ arena })), { kind: 'exit', r0: 7n, insnsExecuted: 2 });
  prog.release();
});

test('without a fallback, such an arena is refused with EINVAL', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const prog = createWasmEngine().load(image('r0 = 7\nexit'));
  t.throws(() => prog.run({ r1: 0 }, testEnv({ arena })), { message: /WebAssembly.Memory/ });
  prog.release();
});

test('a program runs on several arenas, each with its own instance, and release frees what it took', (t) => {
  const a = createVmArena({ initialBytes: 1 << 20 });
  const b = createVmArena({ initialBytes: 1 << 20 });
  const before = [a.allocatedBytes, b.allocatedBytes];
  const prog = createWasmEngine().load(image('r1 = 5\n*(u64 *)(r10 - 8) = r1\nr0 = *(u64 *)(r10 - 8)\nexit'));
  for (const arena of [a, b, a]) t.is(prog.run({ r1: 0 }, testEnv({ arena })).kind, 'exit');
  t.is(prog.run({ r1: 0 }, testEnv({ arena: b, insnLimit: 100 })).kind, 'exit');
  prog.release();
  t.deepEqual([a.allocatedBytes, b.allocatedBytes], before);
});

test('wasmLayout is undefined for programs another engine loaded', (t) => {
  const prog = createInterpreter().load(image('r0 = 0\nexit'));
  t.is(wasmLayout(prog), undefined);
  prog.release();
});
