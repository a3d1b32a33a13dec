// Global functions (BTF_FUNC_GLOBAL in the func_info): the caller checks the arguments against the
// FUNC_PROTO and goes on with R0 an unknown scalar; the function is verified afterwards on its own,
// from the arguments its prototype declares. Each expected log is the level-2 log of the real Linux
// 6.18 verifier for the same socket filter, loaded with the same BTF and func_info (its "func#" and
// "Live regs" preamble left out).
import test from 'ava';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { isBpfError, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { progBtfWith } from '@bpfkit/verifier/testing';
import { withoutPreamble } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };
const GLOBAL = 1;

type Param = 'ctx' | 'int' | 'void *' | 'struct other' | 'struct other *' | 'int *' | 'int (*)[3]';
/** A function after `int prog(struct __sk_buff *skb)` at 0: where it starts, its parameters, `arg:` tags by parameter. */
interface Func { name: string; start: number; params: readonly Param[]; ret?: 'int' | 'void'; linkage?: number; tags?: readonly [number, string][] }

/** The program with BTF func_info for `prog` (global, at 0) and `funcs`. */
function reqWith(insns: readonly string[], funcs: readonly Func[], logLevel = 2): VerifierRequest {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const skb = b.add({ kind: 'STRUCT', name: '__sk_buff', size: 4, kflag: false, members: [{ name: 'len', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  const other = b.add({ kind: 'STRUCT', name: 'other', size: 4, kflag: false, members: [{ name: 'x', type: int, bitsOffset: 0, bitfieldSize: 0 }] });
  const types: Record<Param, number> = {
    ctx: b.add({ kind: 'PTR', name: '', type: skb }), int, 'void *': b.add({ kind: 'PTR', name: '', type: 0 }), 'struct other': other,
    'struct other *': b.add({ kind: 'PTR', name: '', type: other }), 'int *': b.add({ kind: 'PTR', name: '', type: int }),
    'int (*)[3]': b.add({ kind: 'PTR', name: '', type: b.add({ kind: 'ARRAY', name: '', type: int, indexType: int, nelems: 3 }) }),
  };
  const funcInfo = [{ name: 'prog', start: 0, params: ['ctx'] } satisfies Func, ...funcs].map((f) => {
    const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: f.ret === 'void' ? 0 : int, params: f.params.map((p, i) => ({ name: `a${String(i)}`, type: types[p] })) });
    const fn = b.add({ kind: 'FUNC', name: f.name, type: proto, linkage: f.linkage ?? GLOBAL });
    for (const [i, tag] of f.tags ?? []) b.add({ kind: 'DECL_TAG', name: tag, type: fn, componentIdx: i, kflag: false });
    return { insnOff: f.start, typeId: fn };
  });
  return {
    progType: 1, expectedAttachType: 0, insns: Uint8Array.from(Buffer.from(insns.join(''), 'hex')), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel, logSize: 1 << 20, privileges: root, progBtf: progBtfWith(parseBtf(b.encode()), funcInfo),
  };
}
/** `int prog(struct __sk_buff *skb)` at 0 and the global `int g(...)` at `gStart`, with these argument types. */
function req(insns: readonly string[], gStart: number, gArgs: readonly Param[], logLevel = 2): VerifierRequest {
  return reqWith(insns, [{ name: 'g', start: gStart, params: gArgs }], logLevel);
}
function log(r: VerifierRequest): { code: string; lines: string[]; processed: number } {
  try {
    const res = verifier.verify(r);
    return { code: 'ok', lines: withoutPreamble(res.log.split('\n').filter((l) => l !== '')), processed: res.stats.insnProcessed };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { code: e.code, lines: withoutPreamble((e.log ?? '').split('\n').filter((l) => l !== '')), processed: -1 };
  }
}

/** r6 = r1; r2 = 5; call g(r1, r2); w0 &= 1; exit. */
const MAIN = ['bf16000000000000', 'b702000005000000', '8510000002000000', '5400000001000000', '9500000000000000'];
/** g(ctx, x): r0 = skb->len; if x > 10 goto exit; w0 += 1; exit. */
const G = ['6110000000000000', '250201000a000000', '0400000001000000', '9500000000000000'];

test('a global function is assumed valid at the call, then verified alone from its prototype (processed 10 as on 6.18)', (t) => {
  const r = log(req([...MAIN, ...G], 5, ['ctx', 'int']));
  t.is(r.code, 'ok');
  t.is(r.processed, 10);
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
    '1: (b7) r2 = 5                        ; R2=5',
    '2: (85) call pc+2',
    'Func#1 (\'g\') is global and assumed valid.',
    '3: R0=scalar()',
    '3: (54) w0 &= 1                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))',
    '4: (95) exit',
    'Validating g() func#1...',
    '5: R1=ctx() R2=scalar() R10=fp0',
    '5: (61) r0 = *(u32 *)(r1 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=ctx()',
    '6: (25) if r2 > 0xa goto pc+1         ; R2=scalar(smin=smin32=0,smax=umax=smax32=umax32=10,var_off=(0x0; 0xf))',
    '7: (04) w0 += 1                       ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
    '8: (95) exit',
    'from 6 to 8: safe',
    'Func#1 (\'g\') is safe for any args that match its prototype',
    'processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('at log level 1 an accepted program keeps the last "is safe" line: each pass that succeeds resets the log', (t) => {
  t.deepEqual(log(req([...MAIN, ...G], 5, ['ctx', 'int'], 1)).lines, [
    'Func#1 (\'g\') is safe for any args that match its prototype',
    'processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('a pointer passed for an int argument: "R2 is not a scalar", the caller passes invalid args (EINVAL)', (t) => {
  const r = log(req(['bf16000000000000', 'bfa2000000000000', ...MAIN.slice(2), ...G], 5, ['ctx', 'int']));
  t.is(r.code, 'EINVAL');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
    '1: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
    '2: (85) call pc+2',
    'R2 is not a scalar',
    'Caller passes invalid args into func#1 (\'g\')',
    'processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('a constant passed for a ctx argument: "arg#0 expects pointer to ctx" (EINVAL)', (t) => {
  const r = log(req(['b701000000000000', ...MAIN.slice(1), ...G], 5, ['ctx', 'int']));
  t.is(r.code, 'EINVAL');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 0                        ; R1=0',
    '1: (b7) r2 = 5                        ; R2=5',
    '2: (85) call pc+2',
    'arg#0 expects pointer to ctx',
    'Caller passes invalid args into func#1 (\'g\')',
    'processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('a global function must return a scalar: "At subprogram exit the register R0 is not a scalar value (ctx)"', (t) => {
  const r = log(req([...MAIN, 'bf10000000000000', '9500000000000000'], 5, ['ctx', 'int']));
  t.is(r.code, 'EINVAL');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (bf) r6 = r1                       ; R1=ctx() R6=ctx()',
    '1: (b7) r2 = 5                        ; R2=5',
    '2: (85) call pc+2',
    'Func#1 (\'g\') is global and assumed valid.',
    '3: R0=scalar()',
    '3: (54) w0 &= 1                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))',
    '4: (95) exit',
    'Validating g() func#1...',
    '5: R1=ctx() R2=scalar() R10=fp0',
    '5: (bf) r0 = r1                       ; R0=ctx() R1=ctx()',
    '6: (95) exit',
    'At subprogram exit the register R0 is not a scalar value (ctx)',
    'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('after a global call R0 is an unknown scalar: the second path prunes right after the call (processed 14)', (t) => {
  // r1 = 3; call g; if r0 == 0 goto +2; r0 = 1; goto +1; r0 = 2; r1 = 4; call g; exit.  g(x): r0 = r1; exit.
  const r = log(req(['b701000003000000', '8510000007000000', '1500020000000000', 'b700000001000000', '0500010000000000', 'b700000002000000',
    'b701000004000000', '8510000001000000', '9500000000000000', 'bf10000000000000', '9500000000000000'], 9, ['int']));
  t.is(r.code, 'ok');
  t.is(r.processed, 14);
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 3                        ; R1=3',
    '1: (85) call pc+7',
    'Func#1 (\'g\') is global and assumed valid.',
    '2: R0=scalar()',
    '2: (15) if r0 == 0x0 goto pc+2        ; R0=scalar(umin=1)',
    '3: (b7) r0 = 1                        ; R0=1',
    '4: (05) goto pc+1',
    '6: (b7) r1 = 4                        ; R1=4',
    '7: (85) call pc+1',
    'Func#1 (\'g\') is global and assumed valid.',
    '8: R0=scalar()',
    '8: (95) exit',
    'from 2 to 5: R0=0 R10=fp0',
    '5: R0=0 R10=fp0',
    '5: (b7) r0 = 2                        ; R0=2',
    '6: (b7) r1 = 4                        ; R1=4',
    '7: (85) call pc+1',
    'Func#1 (\'g\') is global and assumed valid.',
    '8: safe',
    'Validating g() func#1...',
    '9: R1=scalar() R10=fp0',
    '9: (bf) r0 = r1                       ; R0=scalar(id=1) R1=scalar(id=1)',
    '10: (95) exit',
    'Func#1 (\'g\') is safe for any args that match its prototype',
    'processed 14 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('a global function calling another: each called one is verified in turn, in subprogram order (processed 14)', (t) => {
  // main: call g1(7); r0 &= 1.  g1(x): r6 = r1; call g2; r0 += r6; r0 &= 3.  g2(x): r0 = r1; if r1 > 5 goto +1; r0 = 5.
  const r = log(reqWith(['b701000007000000', '8510000002000000', '5700000001000000', '9500000000000000',
    'bf16000000000000', '8510000003000000', '0f60000000000000', '5700000003000000', '9500000000000000',
    'bf10000000000000', '2501010005000000', 'b700000005000000', '9500000000000000'],
  [{ name: 'g1', start: 4, params: ['int'] }, { name: 'g2', start: 9, params: ['int'] }]));
  t.is(r.code, 'ok');
  t.is(r.processed, 14);
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 7                        ; R1=7',
    '1: (85) call pc+2',
    'Func#1 (\'g1\') is global and assumed valid.',
    '2: R0=scalar()',
    '2: (57) r0 &= 1                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))',
    '3: (95) exit',
    'Validating g1() func#1...',
    '4: R1=scalar() R10=fp0',
    '4: (bf) r6 = r1                       ; R1=scalar(id=1) R6=scalar(id=1)',
    '5: (85) call pc+3',
    'Func#2 (\'g2\') is global and assumed valid.',
    '6: R0=scalar()',
    '6: (0f) r0 += r6                      ; R0=scalar() R6=scalar(id=1)',
    '7: (57) r0 &= 3                       ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=3,var_off=(0x0; 0x3))',
    '8: (95) exit',
    'Func#1 (\'g1\') is safe for any args that match its prototype',
    'Validating g2() func#2...',
    '9: R1=scalar() R10=fp0',
    '9: (bf) r0 = r1                       ; R0=scalar(id=2) R1=scalar(id=2)',
    '10: (25) if r1 > 0x5 goto pc+1        ; R1=scalar(id=2,smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))',
    '11: (b7) r0 = 5                       ; R0=5',
    '12: (95) exit',
    'from 10 to 12: R0=scalar(id=2,umin=6) R1=scalar(id=2,umin=6) R10=fp0',
    '12: R0=scalar(id=2,umin=6) R1=scalar(id=2,umin=6) R10=fp0',
    '12: (95) exit',
    'Func#2 (\'g2\') is safe for any args that match its prototype',
    'processed 14 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('a static function calling a global one: the static one is walked in a frame of its own, the global one verified after (processed 7)', (t) => {
  const r = log(reqWith(['b701000002000000', '8510000001000000', '9500000000000000', '8510000001000000', '9500000000000000',
    'bf10000000000000', '9500000000000000'], [{ name: 's', start: 3, params: ['int'], linkage: 0 }, { name: 'g', start: 5, params: ['int'] }]));
  t.is(r.code, 'ok');
  t.is(r.processed, 7);
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 2                        ; R1=2',
    '1: (85) call pc+1',
    'caller:',
    ' R10=fp0',
    'callee:',
    ' frame1: R1=2 R10=fp0',
    '3: frame1: R1=2 R10=fp0',
    '3: (85) call pc+1',
    'Func#2 (\'g\') is global and assumed valid.',
    '4: frame1: R0=scalar()',
    '4: (95) exit',
    'returning from callee:',
    ' frame1: R0=scalar() R10=fp0',
    'to caller at 2:',
    ' R0=scalar() R10=fp0',
    'from 4 to 2: R0=scalar() R10=fp0',
    '2: (95) exit',
    'Validating g() func#2...',
    '5: R1=scalar() R10=fp0',
    '5: (bf) r0 = r1                       ; R0=scalar(id=1) R1=scalar(id=1)',
    '6: (95) exit',
    'Func#2 (\'g\') is safe for any args that match its prototype',
    'processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('at log level 1 a rejection in a global function keeps only that pass: the main one succeeded and was reset', (t) => {
  const r = log(req(['b701000002000000', '8510000001000000', '9500000000000000', '7910000000000000', '9500000000000000'], 3, ['int'], 1));
  t.is(r.code, 'EACCES');
  t.deepEqual(r.lines, [
    'Validating g() func#1...',
    '3: R1=scalar() R10=fp0',
    '3: (79) r0 = *(u64 *)(r1 +0)',
    'R1 invalid mem access \'scalar\'',
    'processed 4 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

/** r2-r5 = 1, call g(r1 = ctx, ...); exit.  g: r0 = 0; exit. */
const CALL_G = ['b702000001000000', 'b703000001000000', 'b704000001000000', 'b705000001000000', '8510000001000000', '9500000000000000',
  'b700000000000000', '9500000000000000'];

test('prototypes 6.18 refuses at the call, with the line btf_prepare_func_args logs (checked on the real kernel)', (t) => {
  const cases: [Func, string, string][] = [
    [{ name: 'g', start: 6, params: [], ret: 'void' }, 'EINVAL', 'Global function g() doesn\'t return scalar. Only those are supported.'],
    [{ name: 'g', start: 6, params: ['ctx', 'struct other'] }, 'EINVAL', 'Arg#1 type STRUCT in g() is not supported yet.'],
    [{ name: 'g', start: 6, params: ['ctx', 'int'], tags: [[1, 'arg:nonnull']] }, 'EINVAL', 'arg#1 has pointer tag, but is not a pointer type'],
    [{ name: 'g', start: 6, params: ['struct other *'], tags: [[0, 'arg:ctx']] }, 'EINVAL', 'arg#0 should be `struct __sk_buff *`'],
    [{ name: 'g', start: 6, params: ['ctx'], tags: [[0, 'arg:whatever']] }, 'EOPNOTSUPP', 'arg#0 has unsupported set of tags'],
    [{ name: 'g', start: 6, params: ['ctx', 'int', 'int', 'int', 'int', 'int'] }, 'EINVAL', 'Global function g() with 6 > 5 args. Buggy compiler.'],
  ];
  for (const [f, code, line] of cases) {
    const r = log(reqWith(CALL_G, [f]));
    t.is(r.code, code, line);
    t.deepEqual(r.lines.slice(-3), [line, 'Caller passes invalid args into func#1 (\'g\')',
      'processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0']);
  }
});

test('`void *ctx` tagged arg:ctx is the context of a socket filter; five arguments are fine (processed 8)', (t) => {
  for (const f of [{ name: 'g', start: 6, params: ['void *'], tags: [[0, 'arg:ctx']] }, { name: 'g', start: 6, params: ['ctx', 'int', 'int', 'int', 'int'] }] satisfies Func[]) {
    const r = log(reqWith(CALL_G, [f]));
    t.is(r.code, 'ok');
    t.is(r.processed, 8);
  }
});

/** fp-8 = 7 (u32); call g(fp-8); exit. */
const PASS_FP8 = ['620af8ff07000000', 'bfa1000000000000', '07010000f8ffffff', '8510000001000000', '9500000000000000'];

test('a pointer to a sized type is memory: the callee gets mem_or_null(sz=4), null-checks it and reads it (processed 10)', (t) => {
  // g(int *p): r0 = 0; if p == 0 goto exit; r0 = *p.
  const r = log(reqWith([...PASS_FP8, 'b700000000000000', '1501010000000000', '6110000000000000', '9500000000000000'], [{ name: 'g', start: 5, params: ['int *'] }]));
  t.is(r.code, 'ok');
  t.is(r.processed, 10);
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (62) *(u32 *)(r10 -8) = 7          ; R10=fp0 fp-8=????7',
    '1: (bf) r1 = r10                      ; R1=fp0 R10=fp0',
    '2: (07) r1 += -8                      ; R1=fp-8',
    '3: (85) call pc+1',
    'Func#1 (\'g\') is global and assumed valid.',
    '4: R0=scalar()',
    '4: (95) exit',
    'Validating g() func#1...',
    '5: R1=mem_or_null(id=1,sz=4) R10=fp0',
    '5: (b7) r0 = 0                        ; R0=0',
    '6: (15) if r1 == 0x0 goto pc+1        ; R1=mem(sz=4)',
    '7: (61) r0 = *(u32 *)(r1 +0)          ; R0=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R1=mem(sz=4)',
    '8: (95) exit',
    'from 6 to 8: safe',
    'Func#1 (\'g\') is safe for any args that match its prototype',
    'processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
  ]);
});

test('memory arguments: arg:nonnull gives mem(sz=4); an unchecked read of a nullable one is refused', (t) => {
  const deref = [...PASS_FP8, '6110000000000000', '9500000000000000'];
  const nonnull = log(reqWith(deref, [{ name: 'g', start: 5, params: ['int *'], tags: [[0, 'arg:nonnull']] }]));
  t.is(nonnull.code, 'ok');
  t.true(nonnull.lines.includes('5: R1=mem(sz=4) R10=fp0'));
  const nullable = log(reqWith(deref, [{ name: 'g', start: 5, params: ['int *'] }]));
  t.is(nullable.code, 'EACCES');
  t.deepEqual(nullable.lines.slice(-4), ['5: R1=mem_or_null(id=1,sz=4) R10=fp0', '5: (61) r0 = *(u32 *)(r1 +0)', 'R1 invalid mem access \'mem_or_null\'',
    'processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0']);
});

test('NULL for an arg:nonnull pointer: the NULL is made precise, then "arg#0 is expected to be non-NULL"', (t) => {
  const r = log(reqWith(['b701000000000000', '8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000'],
    [{ name: 'g', start: 3, params: ['int *'], tags: [[0, 'arg:nonnull']] }]));
  t.is(r.code, 'EINVAL');
  t.deepEqual(r.lines, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r1 = 0                        ; R1=0',
    '1: (85) call pc+1',
    'mark_precise: frame0: last_idx 1 first_idx 0 subseq_idx -1 ',
    'mark_precise: frame0: regs=r1 stack= before 0: (b7) r1 = 0',
    'arg#0 is expected to be non-NULL',
    'Caller passes invalid args into func#1 (\'g\')',
    'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  ]);
});

test('memory arguments the caller cannot pass, each with the line 6.18 logs before "Caller passes invalid args" (EINVAL)', (t) => {
  const g = (params: readonly Param[], start: number): Func[] => [{ name: 'g', start, params }];
  const cases: [string[], Func[], string][] = [
    [['b701000005000000', '3701000003000000', '8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000'], g(['int *'], 4),
      'R1 type=scalar expected=fp'],
    [['8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000'], g(['int *'], 2), 'R1 type=ctx expected=fp'],
    [['b701000000000000', '8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000'], g(['void *'], 3),
      'arg#0 reference type(\'UNKNOWN \') size cannot be determined: -22'],
    [['7a0af8ff07000000', 'bfa1000000000000', '07010000f8ffffff', '8510000001000000', '9500000000000000', 'b700000000000000', '9500000000000000'],
      g(['int (*)[3]'], 5), 'invalid read from stack R1 off=-8 size=12'],
  ];
  for (const [insns, funcs, line] of cases) {
    const r = log(reqWith(insns, funcs));
    t.is(r.code, 'EINVAL', line);
    t.deepEqual(r.lines.slice(-3, -1), [line, 'Caller passes invalid args into func#1 (\'g\')']);
  }
});
