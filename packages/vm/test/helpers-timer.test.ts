import test from 'ava';
import type { BpfMap, BpfTimerTable, DueTimer, HelperEnv, LoadedProgram, ProgramHold, ProgramImage, RunnableProgram } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { bpfFuncId, Errno } from '@bpfkit/uapi';
import { createHelperRegistry, createInterpreter, createTimerTable, createWasmEngine } from '@bpfkit/vm';
import { callHelper, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';
import { testEnv, testHelper, testRegistry } from './support/env.js';
import { image, rawImage, slots } from './support/program.js';
import { fakeProgArray } from './support/tail-call.js';

const helpers = createHelperRegistry();
const h = (name: string) => {
  const d = helpers.get(bpfFuncId(name) ?? -1);
  if (d === undefined) throw new Error(`no helper ${name}`);
  return d;
};
const init = h('timer_init'), setCallback = h('timer_set_callback'), start = h('timer_start'), cancel = h('timer_cancel');

const CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7;
const BPF_F_TIMER_ABS = 1, BPF_F_TIMER_CPU_PIN = 2;
const EINVAL = BigInt(-Errno.EINVAL);

/** A map with 40-byte values whose bpf_timer is at offset 0, at arena address `address`. */
function timerMap(address: number): BpfMap {
  return {
    address,
    info: { mapType: 2, keySize: 4, valueSize: 40, maxEntries: 4, mapFlags: 0, isMapInMap: false },
    asyncFields: { timerOff: 0, callbackKeyAddr: (v: number) => v + 100 },
  } as unknown as BpfMap;
}

interface Fixture {
  readonly env: HelperEnv;
  readonly table: BpfTimerTable;
  readonly map: BpfMap;
  /** Program references the timers hold (bpf_prog_inc minus bpf_prog_put). */
  refs(): number;
  /** Sets what `mapHasUsers` answers. */
  users(v: boolean): void;
  /** Sets the clock. */
  at(ns: bigint): void;
}

function fixture(cpu = 0): Fixture {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const map = timerMap(arena.alloc(96));
  const table = createTimerTable();
  let refs = 0;
  let users = true;
  let now = 1_000n;
  const program: ProgramHold = {
    runnable: { id: 7 } as RunnableProgram,
    hold: () => {
      refs++;
      return () => {
        refs--;
      };
    },
  };
  const services = makeNoopServices({
    clock: { nowNs: () => now },
    mapAt: (a) => (a === map.address ? map : undefined),
    timers: table,
    program,
    mapHasUsers: () => users,
  });
  return {
    env: makeNoopHelperEnv({ arena, cpu, services }), table, map,
    refs: () => refs,
    users: (v) => void (users = v),
    at: (ns) => void (now = ns),
  };
}

/** An element's value and its timer (offset 0) in the fixture's arena. */
function elem(f: Fixture): number {
  return f.env.arena.alloc(40);
}

function fired(f: Fixture, nowNs: bigint): DueTimer[] {
  const out: DueTimer[] = [];
  f.table.fireDue(nowNs, (t) => void out.push(t));
  return out;
}

test('bpf_timer_init takes CLOCK_REALTIME, MONOTONIC and BOOTTIME; any other clock or flags past MAX_CLOCKS is -EINVAL', (t) => {
  const f = fixture();
  for (const clock of [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME]) t.is(callHelper(init, f.env, elem(f), f.map.address, clock), 0n);
  for (const bad of [2, 3, 4, 5, 6, 8, 15, 16, 17, 0x101]) t.is(callHelper(init, f.env, elem(f), f.map.address, bad), EINVAL, `clock ${bad}`);
  t.is(callHelper(init, f.env, elem(f), f.map.address, 1n << 40n), EINVAL);
  t.is(f.table.size, 3);
});

test('bpf_timer_init of an initialised timer is -EBUSY, before the user-reference check', (t) => {
  const f = fixture();
  const v = elem(f);
  t.is(callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC), 0n);
  t.is(callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC), BigInt(-Errno.EBUSY));
  f.users(false);
  t.is(callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC), BigInt(-Errno.EBUSY));
  t.is(callHelper(init, f.env, v, f.map.address, 3), EINVAL, 'the clock is checked before the timer');
});

test('bpf_timer_init and bpf_timer_set_callback are -EPERM when the map has no user reference', (t) => {
  const f = fixture();
  const v = elem(f);
  t.is(callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC), 0n);
  f.users(false);
  t.is(callHelper(init, f.env, elem(f), f.map.address, CLOCK_MONOTONIC), BigInt(-Errno.EPERM));
  t.is(callHelper(setCallback, f.env, v, 12), BigInt(-Errno.EPERM));
  t.is(f.table.size, 1, 'the refused init leaves nothing behind');
});

test('bpf_timer_set_callback before init is -EINVAL; after it 0, holding the program once', (t) => {
  const f = fixture();
  const v = elem(f);
  t.is(callHelper(setCallback, f.env, v, 12), EINVAL);
  callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
  t.is(callHelper(setCallback, f.env, v, 12), 0n);
  t.is(callHelper(setCallback, f.env, v, 20), 0n);
  t.is(f.refs(), 1);
});

test('bpf_timer_start: flags other than ABS and CPU_PIN, no init or no callback are -EINVAL', (t) => {
  const f = fixture();
  const v = elem(f);
  t.is(callHelper(start, f.env, v, 0, 0), EINVAL);
  callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
  t.is(callHelper(start, f.env, v, 0, 0), EINVAL, 'no callback yet');
  callHelper(setCallback, f.env, v, 12);
  t.is(callHelper(start, f.env, v, 0, 4), EINVAL);
  t.is(callHelper(start, f.env, v, 0, 1n << 32n), EINVAL);
  t.is(callHelper(start, f.env, v, 0, 0), 0n);
  t.is(callHelper(start, f.env, v, 5, BPF_F_TIMER_CPU_PIN), 0n);
  t.is(callHelper(start, f.env, v, 5, BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN), 0n);
});

test('bpf_timer_cancel: -EINVAL before init, 1 for a pending timer, else 0; it drops the callback', (t) => {
  const f = fixture();
  const v = elem(f);
  t.is(callHelper(cancel, f.env, v), EINVAL);
  callHelper(init, f.env, v, f.map.address, CLOCK_BOOTTIME);
  t.is(callHelper(cancel, f.env, v), 0n);
  callHelper(setCallback, f.env, v, 12);
  t.is(callHelper(start, f.env, v, 3_600_000_000_000n, 0), 0n);
  t.is(callHelper(cancel, f.env, v), 1n);
  t.is(callHelper(cancel, f.env, v), 0n);
  t.is(f.refs(), 0, 'the program reference went with the callback');
  t.is(callHelper(start, f.env, v, 0, 0), EINVAL, 'a start needs set_callback again');
  t.deepEqual(fired(f, 1n << 62n), []);
});

test('a due timer fires once with (map, key, value) on the CPU it was started on; a later one waits for its time', (t) => {
  const f = fixture(1);
  const a = elem(f), b = elem(f);
  for (const v of [a, b]) {
    callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
    callHelper(setCallback, f.env, v, 12);
  }
  callHelper(start, f.env, b, 500, 0);
  callHelper(start, f.env, a, 0, 0);
  t.deepEqual(fired(f, 1_000n).map((d) => [d.fn, d.cpu, d.mapAddr, d.keyAddr, d.valueAddr]), [[12, 1, f.map.address, a + 100, a]]);
  t.deepEqual(fired(f, 1_499n), []);
  t.deepEqual(fired(f, 1_500n).map((d) => d.valueAddr), [b]);
  t.deepEqual(fired(f, 1n << 40n), [], 'one shot');
  t.is(callHelper(cancel, f.env, a), 0n, 'fired: no longer pending');
});

test('BPF_F_TIMER_ABS counts from the clock\'s zero; timers fire earliest first', (t) => {
  const f = fixture();
  const a = elem(f), b = elem(f);
  for (const v of [a, b]) {
    callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
    callHelper(setCallback, f.env, v, 12);
  }
  callHelper(start, f.env, a, 900, 0);
  callHelper(start, f.env, b, 1_200, BPF_F_TIMER_ABS);
  t.deepEqual(fired(f, 10_000n).map((d) => d.valueAddr), [b, a]);
});

test('a callback cancelling its own timer gets -EDEADLK; one re-arming it runs again only at the next fireDue', (t) => {
  const f = fixture();
  const v = elem(f);
  callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
  callHelper(setCallback, f.env, v, 12);
  callHelper(start, f.env, v, 0, 0);
  const inside: bigint[] = [];
  const n = f.table.fireDue(1_000n, () => {
    inside.push(callHelper(cancel, f.env, v), callHelper(start, f.env, v, 0, 0));
  });
  t.is(n, 1);
  t.deepEqual(inside, [BigInt(-Errno.EDEADLK), 0n]);
  t.is(f.refs(), 1, 'the run\'s own reference is back');
  t.is(fired(f, 1_000n).length, 1);
});

test('freeing a timer (element update or delete) cancels it, drops its program and makes it uninitialised', (t) => {
  const f = fixture();
  const v = elem(f);
  callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC);
  callHelper(setCallback, f.env, v, 12);
  callHelper(start, f.env, v, 0, 0);
  f.table.free(v);
  t.is(f.refs(), 0);
  t.deepEqual(fired(f, 1n << 40n), []);
  t.is(callHelper(cancel, f.env, v), EINVAL);
  t.is(callHelper(init, f.env, v, f.map.address, CLOCK_MONOTONIC), 0n, 'a freed timer can be set up again');
});

test('freeMap (the map\'s last user reference) frees every timer of that map only', (t) => {
  const f = fixture();
  const other = timerMap(f.env.arena.alloc(96));
  const a = elem(f), b = elem(f);
  callHelper(init, f.env, a, f.map.address, CLOCK_MONOTONIC);
  f.table.init(b, other, 1n, () => true);
  f.table.freeMap(f.map);
  t.is(f.table.size, 1);
  t.is(callHelper(cancel, f.env, a), EINVAL);
});

test('without a timer table the helpers answer -EOPNOTSUPP', (t) => {
  const env = makeNoopHelperEnv({ arena: createVmArena({ initialBytes: 1 << 16, wasm: false }) });
  const v = env.arena.alloc(16);
  t.is(callHelper(init, env, v, 0, CLOCK_MONOTONIC), BigInt(-Errno.EOPNOTSUPP));
  t.is(callHelper(cancel, env, v), BigInt(-Errno.EOPNOTSUPP));
});

// r2 = callback at 4 (so 4 starts a subprogram); main: r0 = 1; exit. Callback: r0 = r3 + r1 + 5; exit.
const entryImage = rawImage(slots(
  [0x18, 2, 4, 0, 4], [0, 0, 0, 0, 0], [0xb7, 0, 0, 0, 1], [0x95, 0, 0, 0, 0],
  [0xbf, 0, 3, 0, 0], [0x0f, 0, 1, 0, 0], [0x07, 0, 0, 0, 5], [0x95, 0, 0, 0, 0],
));

for (const [name, engine] of [['interp', createInterpreter()], ['wasm', createWasmEngine()]] as const) {
  test(`${name}: a run may start at a subprogram (RunArgs.entry) with r1-r3, as an async callback runs`, (t) => {
    const arena = createVmArena({ initialBytes: 1 << 20 });
    const prog = engine.load(entryImage);
    try {
      const env = testEnv({ arena });
      const main = prog.run({ r1: 0 }, env);
      t.is(main.kind === 'exit' ? main.r0 : -1n, 1n);
      const cb = prog.run({ r1: 100, r2: 0, r3: 37, entry: 4 }, env);
      t.deepEqual(cb.kind === 'exit' ? [cb.r0, cb.insnsExecuted] : cb, [142n, 4]);
      const bad = prog.run({ r1: 0, entry: 5 }, env);
      t.is(bad.kind, 'fault');
    } finally {
      prog.release();
    }
  });
}

for (const [name, engine] of [['interp', createInterpreter()], ['wasm', createWasmEngine()]] as const) {
  test(`${name}: a helper sees the image of the program whose instruction calls it, a tail call's target included`, (t) => {
    const arena = createVmArena({ initialBytes: 1 << 20 });
    const seen: (ProgramImage | undefined)[] = [];
    const tailCall = helpers.get(12);
    if (tailCall === undefined) return t.fail('no bpf_tail_call');
    const registry = testRegistry([tailCall, testHelper(5, 'ktime_get_ns', (c) => void seen.push(c.env.image))]);
    const slotsOf: (LoadedProgram | undefined)[] = [];
    const progArray = fakeProgArray(arena.alloc(64), 2, slotsOf);
    const target = engine.load(image('call 5\nr0 = 2\nexit'));
    slotsOf[0] = target;
    const caller = engine.load(image(`call 5\nr2 = ${String(progArray.address)}\nr3 = 0\ncall 12\nr0 = 1\nexit`));
    try {
      const out = caller.run({ r1: 0 }, testEnv({ arena, helpers: registry, maps: [progArray] }));
      t.like(out, { kind: 'exit', r0: 2n });
      t.deepEqual(seen, [caller.image, target.image]);
    } finally {
      caller.release();
      target.release();
    }
  });
}

test('bpf_timer_set_callback binds the callback to the calling program: a tail call\'s target, not the run\'s program', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 20, wasm: false });
  const map = timerMap(arena.alloc(96));
  const table = createTimerTable();
  const holdOf = (runnable: RunnableProgram): ProgramHold => ({ runnable, hold: () => () => undefined });
  const runImage = rawImage(slots([0x95, 0, 0, 0, 0]));
  const tailImage = rawImage(slots([0x95, 0, 0, 0, 0]));
  const run = { id: 1, loaded: { image: runImage } } as RunnableProgram;
  const tail = { id: 2, loaded: { image: tailImage } } as RunnableProgram;
  const services = makeNoopServices({ mapAt: () => map, timers: table, program: holdOf(run), programOf: (img) => (img === tailImage ? holdOf(tail) : undefined) });
  const v = arena.alloc(40);
  for (const [img, want] of [[runImage, 1], [tailImage, 2]] as const) {
    const env = makeNoopHelperEnv({ arena, services, image: img });
    callHelper(init, env, v, map.address, CLOCK_MONOTONIC);
    t.is(callHelper(setCallback, env, v, 3), 0n);
    callHelper(start, env, v, 0, 0);
    const ids: number[] = [];
    table.fireDue(1n << 40n, (d) => void ids.push(d.runnable.id));
    t.deepEqual(ids, [want]);
  }
});
