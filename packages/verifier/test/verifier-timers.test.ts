// bpf_timer helpers: the timer argument, bpf_timer_init's map, and the async callback of
// bpf_timer_set_callback. Messages and counts are what Linux 6.18 answered for clang-built
// programs of the same shape (a map value `struct { long x; struct bpf_timer t; }`).
import test from 'ava';
import { isBpfError, type VerifierMap, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { mainAndStatic } from './support/func-info.js';
import { insn } from './support/insn.js';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const SCHED_CLS = 3, KPROBE = 2, ARRAY = 2;
const timerMap = (fd: number, name: string): VerifierMap => ({
  fd, mapType: ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, mapFlags: 0, isMapInMap: false, name, hasBtf: true,
  valueFields: [{ kind: 'bpf_timer', offset: 8, size: 16 }],
});
const maps = new Map<number, VerifierMap>([
  [3, timerMap(3, 'timers')],
  [4, timerMap(4, 'timers2')],
  [5, { fd: 5, mapType: ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'plain', hasBtf: true, valueFields: [] }],
]);

const mov = (d: number, imm: number): number[] => insn(0xb7, d, 0, 0, imm);
const exit = insn(0x95);
const ldMap = (d: number, fd: number): number[][] => [insn(0x18, d, 1, 0, fd), insn(0)];
const call = (id: number): number[] => insn(0x85, 0, 0, 0, id);
const TIMER_INIT = 169, TIMER_SET_CALLBACK = 170, TIMER_START = 171, TIMER_CANCEL = 172;

/**
 * fp-4 = 0; r6 = lookup(map `fd`, fp-4) or return 0; r6 += `off`; then `body` (r6 is the timer);
 * return 0; then the callback.
 */
function program(body: number[][], callback: number[][] = [mov(0, 0), exit], fd = 3, off = 8): { insns: number[][]; cb: number } {
  const head = [insn(0x62, 10, 0, -4, 0), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), ...ldMap(1, fd), call(1),
    insn(0x55, 0, 0, 2, 0), mov(0, 0), exit, insn(0xbf, 6, 0), insn(0x07, 6, 0, 0, off)];
  const main = [...head, ...body, mov(0, 0), exit];
  const cb = main.length;
  if (!body.some((ins) => ins[0] === 0x18 && ins[1] === 0x42)) return { insns: main, cb: -1 };
  // Patch each `r2 = &callback` (ld_imm64 with src BPF_PSEUDO_FUNC and imm -1) to point at the callback.
  main.forEach((ins, i) => {
    if (ins[0] === 0x18 && ins[1] === 0x42 && ins[4] === 0xff) main[i] = insn(0x18, 2, 4, 0, cb - i - 1);
  });
  return { insns: [...main, ...callback], cb };
}
const init = (fd = 3, flags = 1): number[][] => [insn(0xbf, 1, 6), ...ldMap(2, fd), mov(3, flags), call(TIMER_INIT)];
const setCallback: number[][] = [insn(0xbf, 1, 6), insn(0x18, 2, 4, 0, -1), insn(0), call(TIMER_SET_CALLBACK)];
const start: number[][] = [insn(0xbf, 1, 6), mov(2, 0), mov(3, 0), call(TIMER_START)];
const cancel: number[][] = [insn(0xbf, 1, 6), call(TIMER_CANCEL)];

function run(p: { insns: number[][]; cb: number }, progType = SCHED_CLS, logLevel = 1): { code: string; last: string; processed: number; log: string } {
  const req: VerifierRequest = {
    progType, expectedAttachType: 0, insns: Uint8Array.from(p.insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel, logSize: 1 << 22, privileges: root, maps, ...(p.cb < 0 ? {} : { progBtf: mainAndStatic(p.cb) }),
  };
  try {
    const r = verifier.verify(req);
    return { code: 'ok', last: '', processed: r.stats.insnProcessed, log: r.log };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    const log = e.log ?? '';
    const lines = log.trim().split('\n');
    return { code: e.code, last: lines[lines.length - 2] ?? '', processed: Number(/processed (\d+)/.exec(log)?.[1] ?? -1), log };
  }
}

test('init, set_callback, start and cancel of a map value\'s timer are accepted; the callback is verified too', (t) => {
  const r = run(program([...init(), ...setCallback, ...start, ...cancel]));
  t.is(r.code, 'ok');
  // 23 instructions of the main path (an array lookup with a constant key cannot be NULL), 2 of the callback.
  t.is(r.processed, 25);
});

test('the timer argument: constant offset, a BTF map value with a bpf_timer, at its offset', (t) => {
  t.like(run(program(init(), undefined, 3, 0)), { code: 'EINVAL', last: "off 0 doesn't point to 'struct bpf_timer' that is at 8" });
  t.like(run(program(init(5), undefined, 5, 8)), { code: 'EINVAL', last: "map 'plain' has no valid bpf_timer" });
  const varOff = [call(7), insn(0x57, 0, 0, 0, 8), insn(0x0f, 6, 0), insn(0x07, 6, 0, 0, -8), ...init()];
  t.like(run(program(varOff)), { code: 'EINVAL', last: "R1 doesn't have constant offset. bpf_timer has to be at the constant offset" });
});

test('bpf_timer_init\'s map must be the one holding the timer', (t) => {
  t.like(run(program(init(4))), { code: 'EINVAL', last: "timer pointer in R1 map_uid=0 doesn't match map pointer in R2 map_uid=0" });
});

test('the async callback gets the map, key and value, runs on a fresh frame 0 and must return 0', (t) => {
  const bad = run(program([...init(), ...setCallback], [mov(0, 1), exit]));
  t.like(bad, { code: 'EINVAL', last: 'At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]' });
  // The callback writes its value (R3) and reads its key (R2).
  const touch = [insn(0x79, 1, 3), insn(0x07, 1, 0, 0, 1), insn(0x7b, 3, 1), insn(0x61, 1, 2), mov(0, 0), exit];
  const ok = run(program([...init(), ...setCallback], touch), SCHED_CLS, 2);
  t.is(ok.code, 'ok');
  t.regex(ok.log, /R1=map_ptr\(map=timers,ks=4,vs=24\) R2=map_key\(map=timers,ks=4,vs=24\) R3=map_value\(id=1,map=timers,ks=4,vs=24\) R10=fp0 async_cb/);
  t.regex(ok.log, /mark_precise: frame0: last_idx \d+ first_idx 0 subseq_idx -1/);
  // The caller's state is printed whole after the call.
  t.regex(ok.log, /call bpf_timer_set_callback#170 +; R0=scalar\(\) R6=map_value\(map=timers,ks=4,vs=24,off=8\) R10=fp0 fp-8=0000\?\?\?\?/);
});

test('tracing programs cannot use maps with timers', (t) => {
  t.like(run(program(init()), KPROBE), { code: 'EINVAL', last: 'tracing progs cannot use bpf_timer yet' });
});

test('an async callback has a stack of its own: 400 bytes in it and 400 in the caller fit', (t) => {
  const big = (reg: number): number[][] => [mov(reg, 0), insn(0x7b, 10, reg, -400, 0)];
  t.is(run(program([...big(7), ...init(), ...setCallback], [...big(1), mov(0, 0), exit])).code, 'ok');
});
