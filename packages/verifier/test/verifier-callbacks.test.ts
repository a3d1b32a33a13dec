// Callbacks (bpf_loop, bpf_for_each_map_elem, bpf_user_ringbuf_drain) against what the real 6.18
// verifier answered for the same programs, loaded with BTF func_info (main global, callback static).
import test from 'ava';
import { isBpfError, type VerifierMap, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { mainAndStatic } from './support/func-info.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };

function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code); b.setUint8(1, (src << 4) | dst); b.setInt16(2, off, true); b.setInt32(4, imm, true);
  return [...new Uint8Array(b.buffer)];
}
const mov = (d: number, imm: number): number[] => insn(0xb7, d, 0, 0, imm);
const exit = insn(0x95);
const ret0 = [mov(0, 0), exit];
const ldMap = (d: number, fd: number): number[][] => [insn(0x18, d, 1, 0, fd), insn(0)];
const ldFunc = (d: number, rel: number): number[][] => [insn(0x18, d, 4, 0, rel), insn(0)];

/** main: args, r2 = &callback, call helper, r0 = 0, exit; then the callback. */
function withCallback(args: number[][], helper: number, callback: number[][]): { insns: number[][]; cb: number } {
  const head = [...args];
  const at = head.length;
  const main = [...head, ...ldFunc(2, 0), insn(0x85, 0, 0, 0, helper), ...ret0];
  const cb = main.length;
  main[at] = insn(0x18, 2, 4, 0, cb - at - 1);
  return { insns: [...main, ...callback], cb };
}
function run(p: { insns: number[][]; cb: number }, opts: { maps?: VerifierMap[]; funcInfo?: boolean } = {}): { code: string; last: string; processed: number } {
  const maps = new Map((opts.maps ?? []).map((m) => [m.fd, m]));
  const req: VerifierRequest = {
    progType: 17, expectedAttachType: 0, insns: Uint8Array.from(p.insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges: root, maps,
    ...(opts.funcInfo === false ? {} : { progBtf: mainAndStatic(p.cb) }),
  };
  try {
    const r = verifier.verify(req);
    return { code: 'ok', last: '', processed: r.stats.insnProcessed };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    const lines = (e.log ?? '').trim().split('\n');
    return { code: e.code, last: lines[lines.length - 2] ?? '', processed: Number(/processed (\d+)/.exec(e.log ?? '')?.[1] ?? -1) };
  }
}
const map = (mapType: number, keySize: number, valueSize: number, maxEntries: number): VerifierMap =>
  ({ fd: 100, mapType, keySize, valueSize, maxEntries, mapFlags: 0, isMapInMap: false });

// bpf_loop(nr, cb, ctx=NULL, 0)
const loop = (nr: number, cb: number[][], ctx: number[][] = [mov(3, 0)]): { insns: number[][]; cb: number } =>
  withCallback([mov(1, nr), ...ctx, mov(4, 0)], 181, cb);
// fp-8 = 0; bpf_loop(nr, cb, &fp-8, 0); cb: *(u64 *)ctx += 1
const counter = (nr: number): { insns: number[][]; cb: number } => withCallback(
  [insn(0x7a, 10, 0, -8, 0), mov(1, nr), insn(0xbf, 3, 10), insn(0x07, 3, 0, 0, -8), mov(4, 0)], 181,
  [insn(0x79, 1, 2), insn(0x07, 1, 0, 0, 1), insn(0x7b, 2, 1), ...ret0]);
// bpf_for_each_map_elem(map, cb, NULL, 0)
const forEach = (cb: number[][], helper = 164): { insns: number[][]; cb: number } => withCallback([...ldMap(1, 100), mov(3, 0), mov(4, 0)], helper, cb);

test('bpf_loop: the callback is visited and the program accepted (10 insns, as 6.18)', (t) => {
  t.like(run(loop(2, ret0)), { code: 'ok', processed: 10 });
});

test('a callback address without BTF func_info is EINVAL "missing btf func_info"', (t) => {
  t.like(run(loop(2, ret0), { funcInfo: false }), { code: 'EINVAL', last: 'missing btf func_info', processed: 4 });
});

test('bpf_loop: a counter in the caller\'s stack converges as on 6.18 (processed 17 / 23 / 23 insns)', (t) => {
  t.is(run(counter(1)).processed, 17);
  t.is(run(counter(3)).processed, 23);
  t.is(run(counter(100)).processed, 23);
});

test('bpf_loop: a callback returning its index is EINVAL with the 6.18 range message', (t) => {
  t.like(run(loop(5, [insn(0xbf, 0, 1), exit])), {
    code: 'EINVAL', last: 'At callback return the register R0 has unknown scalar value should have been in [0, 1]',
  });
});

test('bpf_loop: a scalar ctx is EACCES "R3 type=scalar expected=fp"', (t) => {
  t.like(run(loop(5, ret0, [mov(3, 7)])), { code: 'EACCES', last: 'R3 type=scalar expected=fp' });
});

test('for_each_map_elem: key and value are readable (13 insns), the key is read-only and key_size long', (t) => {
  const maps = [map(2, 4, 8, 4)];
  t.like(run(forEach([insn(0x61, 0, 2), insn(0x79, 0, 3), insn(0x7b, 3, 0), ...ret0]), { maps }), { code: 'ok', processed: 13 });
  t.like(run(forEach([insn(0x79, 0, 2), ...ret0]), { maps }), { code: 'EACCES', last: 'R2 min value is outside of the allowed memory range' });
  t.like(run(forEach([insn(0x62, 2, 0, 0, 1), ...ret0]), { maps }), { code: 'EACCES', last: 'write to change key R2 not allowed' });
});

test('for_each_map_elem: callback return value and map type checks', (t) => {
  const maps = [map(2, 4, 8, 4)];
  t.like(run(forEach([mov(0, 2), exit]), { maps }), { code: 'EINVAL', last: 'At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]' });
  t.like(run(forEach([exit]), { maps }), { code: 'EACCES', last: 'R0 not a scalar value' });
  t.like(run(forEach(ret0), { maps: [map(27, 0, 0, 4096)] }), { code: 'ENOTSUPP', last: 'callback function not allowed for map', processed: 5 });
});

test('user_ringbuf_drain: the callback gets a dynptr it cannot dereference', (t) => {
  const maps = [map(31, 0, 0, 4096)];
  t.like(run(forEach(ret0, 209), { maps }), { code: 'ok', processed: 10 });
  t.like(run(forEach([insn(0x79, 0, 1), ...ret0], 209), { maps }), { code: 'EACCES', last: "R1 invalid mem access 'dynptr_ptr'" });
});

test('find_vma and timer_set_callback need BTF pointers / BTF map values: refused as 6.18 refuses them here', (t) => {
  // r2 = 0; r3 = &cb; r4 = 0; r5 = 0; call find_vma (r1 is the ctx)
  const fvProg = { insns: [mov(2, 0), insn(0x18, 3, 4, 0, 6), insn(0), mov(4, 0), mov(5, 0), insn(0x85, 0, 0, 0, 180), ...ret0, ...ret0], cb: 8 };
  t.like(run(fvProg), { code: 'EACCES', last: 'R1 type=ctx expected=ptr_, trusted_ptr_, rcu_ptr_', processed: 5 });
  // fp-4 = 0; r0 = lookup(map, fp-4); if r0 == 0 goto out; r1 = r0; r2 = &cb; call timer_set_callback
  const timer = {
    insns: [insn(0x62, 10, 0, -4, 0), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -4), ...ldMap(1, 100), insn(0x85, 0, 0, 0, 1),
      insn(0x15, 0, 0, 4, 0), insn(0xbf, 1, 0), insn(0x18, 2, 4, 0, 4), insn(0), insn(0x85, 0, 0, 0, 170), ...ret0, ...ret0],
    cb: 13,
  };
  t.like(run(timer, { maps: [map(2, 4, 16, 1)] }), { code: 'EINVAL', last: "map '' has to have BTF in order to use bpf_timer", processed: 9 });
});

test('an inlined bpf_loop adds three slots to its subprogram\'s stack in the statistics (stack depth 32+0, as 6.18)', (t) => {
  const p = counter(3);
  const res = verifier.verify({
    progType: 17, expectedAttachType: 0, insns: Uint8Array.from(p.insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 4, logSize: 1 << 20, privileges: root, progBtf: mainAndStatic(p.cb),
  });
  t.true(res.log.includes('\nstack depth 32+0\n'));
  t.is(res.stackDepth, 32);
});

test('find_vma: the callback gets the task, a BTF pointer to the vma and the caller\'s R4 as its context', (t) => {
  // A kernel BTF with just the two structs the call names.
  const k = new BtfBuilder();
  const u64 = k.add({ kind: 'INT', name: 'unsigned long', size: 8, encoding: 0, bitsOffset: 0, bits: 64 });
  k.add({ kind: 'STRUCT', name: 'task_struct', size: 8, kflag: false, members: [{ name: 'pid', type: u64, bitsOffset: 0, bitfieldSize: 0 }] });
  k.add({ kind: 'STRUCT', name: 'vm_area_struct', size: 8, kflag: false, members: [{ name: 'vm_start', type: u64, bitsOffset: 0, bitfieldSize: 0 }] });
  const kernelBtf = parseBtf(k.encode());
  // r0 = bpf_get_current_task_btf(); fp-8 = 0; find_vma(r0, 0, cb, fp-8, 0); return 0.
  const main = [insn(0x85, 0, 0, 0, 158), insn(0x7a, 10, 0, -8, 0), insn(0xbf, 1, 0), mov(2, 0), ...ldFunc(3, 0),
    insn(0xbf, 4, 10), insn(0x07, 4, 0, 0, -8), mov(5, 0), insn(0x85, 0, 0, 0, 180), ...ret0];
  const cb = main.length;
  main[4] = insn(0x18, 3, 4, 0, cb - 4 - 1);
  const load = (callback: number[][]): string => {
    try {
      verifier.verify({
        progType: 2, expectedAttachType: 0, insns: Uint8Array.from([...main, ...callback].flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
        logLevel: 1, logSize: 1 << 20, privileges: root, progBtf: mainAndStatic(cb), kfuncs: { btf: kernelBtf, flags: () => undefined },
      });
      return 'ok';
    } catch (e) {
      if (!isBpfError(e)) throw e;
      return (e.log ?? '').trim().split('\n').at(-2) ?? '';
    }
  };
  // vma->vm_start, then the u64 the caller left at its fp-8.
  t.is(load([insn(0x79, 0, 2, 0, 0), insn(0x79, 1, 3, 0, 0), ...ret0]), 'ok');
  // The callback's third argument is not the caller's R3 (the callback itself).
  t.not(load([insn(0x79, 1, 3, 8, 0), ...ret0]), 'ok');
});

test('callbackLoops: the converging bpf_loop visit is a backedge in peak_states (later 6.18 builds), or not (the corpus\'s build)', (t) => {
  const p = loop(2, ret0);
  const stats = (callbackLoops: boolean): { processed: number; peak: number; total: number } => {
    const v = createVerifier({ progTypes: createProgTypes(), callbackLoops });
    const r = v.verify({
      progType: 17, expectedAttachType: 0, insns: Uint8Array.from(p.insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
      logLevel: 4, logSize: 1 << 16, privileges: root, maps: new Map(), progBtf: mainAndStatic(p.cb),
    });
    return { processed: r.stats.insnProcessed, peak: r.stats.peakStates, total: r.stats.totalStates };
  };
  // Measured on 6.18.44 builds with and without upstream f597664454bd (bpf_loop_inline/3 of the corpus is the same shape).
  t.deepEqual(stats(true), { processed: 10, peak: 2, total: 1 });
  t.deepEqual(stats(false), { processed: 10, peak: 1, total: 1 });
});
