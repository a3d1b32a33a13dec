import test from 'ava';
import { assemble, encodeProgram, type Insn } from '@bpfkit/asm';
import type { HelperCall, LoadedProgram, RunOutcome } from '@bpfkit/kernel-api';
import { CALLBACK_TAG, createInterpreter, MAX_CALL_FRAMES, MAX_TAIL_CALL_CNT, tailCallChain } from '@bpfkit/vm';
import { testEnv, testHelper, testRegistry } from './support/env.js';
import { image } from './support/program.js';
import { r0, runProgram, sharedArena } from './support/run.js';
import { fakeProgArray } from './support/tail-call.js';
import { createVmArena } from '@bpfkit/memory';

/** `ld_imm64 … BPF_PSEUDO_FUNC` as the loader leaves it: the callback's absolute index (the assembler writes it relative). */
function absoluteFuncs(insns: Insn[]): Insn[] {
  let pc = 0;
  return insns.map((insn) => {
    const at = pc;
    pc += insn.code === 0x18 ? 2 : 1;
    return insn.code === 0x18 && insn.src === 4 ? { ...insn, imm: at + insn.imm + 1 } : insn;
  });
}

function sumArgs(c: HelperCall): void {
  let sum = 0;
  for (let i = 1; i <= 5; i++) sum += c.regs[2 * i] ?? 0;
  c.regs[0] = sum;
  c.regs[1] = 0;
}

test('a bpf-to-bpf call passes r1-r5, returns r0 and preserves r6-r9', (t) => {
  const prog = `
    r1 = 1
    r2 = 2
    r6 = 6
    r9 = 9
    call sub
    r0 += r6
    r0 += r9
    exit
  sub:
    r6 = 100
    r9 = 100
    r0 = r1
    r0 += r2
    exit`;
  t.is(r0(prog), 3n + 6n + 9n);
});

test('each frame has its own 512-byte stack: the callee r10 is 512 below the caller r10', (t) => {
  const prog = `
    r1 = 7
    *(u64 *)(r10 -8) = r1
    r6 = r10
    call sub
    r6 -= r0
    r0 = *(u64 *)(r10 -8)
    r0 <<= 16
    r0 |= r6
    exit
  sub:
    r1 = 9
    *(u64 *)(r10 -8) = r1
    r0 = r10
    exit`;
  t.is(r0(prog), (7n << 16n) | 512n);
});

function recursion(depth: number): string {
  return `
    r1 = ${depth}
    call f
    exit
  f:
    r1 -= 1
    if r1 == 0 goto done
    call f
  done:
    r0 = 42
    exit`;
}

test(`${MAX_CALL_FRAMES} frames are allowed`, (t) => {
  t.is(r0(recursion(MAX_CALL_FRAMES - 1)), 42n);
});

test(`a call that would make frame ${MAX_CALL_FRAMES + 1} is a call-depth fault`, (t) => {
  const { out } = runProgram(recursion(MAX_CALL_FRAMES));
  t.like(out, { kind: 'fault', fault: { kind: 'call-depth', pc: 5 } });
});

test('a helper call gets r1-r5 and sets r0', (t) => {
  const helpers = testRegistry([testHelper(7, 'sum', sumArgs)]);
  t.is(r0('r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\ncall 7\nexit', { helpers }), 15n);
});

test('calling a helper the registry lacks is a helper fault', (t) => {
  t.like(runProgram('call 7\nexit').out, { kind: 'fault', fault: { kind: 'helper', pc: 0, message: 'unknown helper 7 (pc 0)' } });
});

test('a helper that rejects an argument ends the run with a helper fault', (t) => {
  const helpers = testRegistry([testHelper(7, 'picky', (c) => c.env.fault('bad pointer'))]);
  t.like(runProgram('r0 = 0\ncall 7\nexit', { helpers }).out, { kind: 'fault', fault: { kind: 'helper', pc: 1, message: 'bad pointer (pc 1)' } });
});

test('an exception a helper throws is not swallowed', (t) => {
  const helpers = testRegistry([testHelper(7, 'buggy', () => { throw new RangeError('helper bug'); })]);
  t.throws(() => runProgram('call 7\nexit', { helpers }), { instanceOf: RangeError, message: 'helper bug' });
});

test('a kfunc call finds its function by the name the image gives its call site', (t) => {
  const insns = encodeProgram([{ code: 0xb7, dst: 1, src: 0, off: 0, imm: 20 }, { code: 0x85, dst: 0, src: 2, off: 0, imm: 9999 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }]);
  const img = { progType: 0, expectedAttachType: 0, insns, maps: [], verified: true, kfuncs: new Map([[1, 'bpf_test_double']]) };
  const helpers = testRegistry([], [testHelper(0, 'bpf_test_double', (c) => { c.regs[0] = 2 * (c.regs[2] ?? 0); c.regs[1] = 0; })]);
  t.is(r0(img, { helpers }), 40n);
  t.like(runProgram(img).out, { kind: 'fault', fault: { kind: 'helper', message: 'unknown kfunc bpf_test_double (pc 1)' } });
});

test('ld_imm64 with BPF_PSEUDO_FUNC gives a callback value: the index, tagged in the high word', (t) => {
  const insns = absoluteFuncs(assemble('r0 = subprog[pc+2]\nexit\nr0 = 1\nexit'));
  t.is(r0(image(insns)), (BigInt(CALLBACK_TAG) << 32n) | 3n);
});

const loopLike = testHelper(181, 'loop', (c) => {
  // bpf_loop(nr, fn, ctx, 0): calls fn(i, ctx) until it returns non-zero; r0 = calls made.
  const nr = c.regs[2] ?? 0;
  let i = 0;
  while (i < nr) {
    const stop = c.env.callback(c.regs[4] ?? 0, i, c.regs[6] ?? 0, 0, 0, 0);
    i++;
    if (stop !== 0n) break;
  }
  // The helper's own arguments are still there after calling back.
  c.regs[0] = i + (c.regs[2] === nr ? 0 : 1000);
  c.regs[1] = 0;
});

test('a helper calls back into the program: arguments in r1-r5, result from r0, caller r6-r9 kept', (t) => {
  const prog = `
    r6 = 0
    *(u64 *)(r10 -8) = r6
    r1 = 5
    r2 = subprog[cb]
    r3 = r10
    r3 += -8
    r4 = 0
    r6 = 77
    call bpf_loop
    r7 = *(u64 *)(r10 -8)
    r0 <<= 16
    r0 |= r7
    r0 <<= 8
    r0 |= r6
    exit
  cb:
    r6 = *(u64 *)(r2 +0)
    r6 += r1
    *(u64 *)(r2 +0) = r6
    r0 = 0
    if r1 != 3 goto out
    r0 = 1
  out:
    exit`;
  const insns = absoluteFuncs(assemble(prog.replace('subprog[cb]', 'subprog[pc+12]')));
  // calls made = 4 (i = 0..3, stops at 3), sum of i = 6, r6 = 77.
  t.is(r0(image(insns), { helpers: testRegistry([loopLike]) }), (4n << 24n) | (6n << 8n) | 77n);
});

test('a callback to an index that starts no subprogram is a helper fault', (t) => {
  const insns = assemble('r1 = 1\nr2 = 1\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit');
  t.like(runProgram(image(insns), { helpers: testRegistry([loopLike]) }).out, { kind: 'fault', fault: { kind: 'helper', pc: 4 } });
});

test('callx to a callback value calls that subprogram', (t) => {
  const insns = absoluteFuncs(assemble('r1 = 20\nr2 = subprog[pc+3]\ncallx r2\nexit\nr0 = r1\nr0 += 1\nexit'));
  t.is(r0(image(insns)), 21n);
});

test('callx to a small number calls that helper (the bpf_conformance convention)', (t) => {
  t.is(r0('r1 = 4\nr2 = 7\ncallx r2\nexit', { helpers: testRegistry([testHelper(7, 'sum', sumArgs)]) }), 11n);
});

test('callx to anything else is a bad jump', (t) => {
  t.like(runProgram('r2 = 0x100000000 ll\ncallx r2\nexit').out, { kind: 'fault', fault: { kind: 'bad-jump', pc: 2 } });
});

// ---- tail calls ----

const tailCall = testHelper(12, 'tail_call', (c) => {
  c.env.tailCall(c.regs[4] ?? 0, c.regs[6] ?? 0);
});
const PROG_ARRAY = 0x7000_0000;

function tailEnv(slots: (LoadedProgram | undefined)[]): ReturnType<typeof testEnv> {
  return testEnv({ arena: sharedArena(), helpers: testRegistry([tailCall]), maps: [fakeProgArray(PROG_ARRAY, 4, slots)] });
}

function tailProg(text: string): LoadedProgram {
  return createInterpreter().load(image(text.replaceAll('PROG_ARRAY', String(PROG_ARRAY))));
}

test('a tail call runs the target in place of the caller, with the same ctx in r1', (t) => {
  const slots: (LoadedProgram | undefined)[] = [];
  const caller = tailProg('r6 = r1\nr2 = PROG_ARRAY\nr3 = 1\ncall bpf_tail_call\nr0 = 1\nexit');
  slots[1] = tailProg('r0 = r1\nr0 += 1000\nexit');
  const out = caller.run({ r1: 5 }, tailEnv(slots));
  t.like(out, { kind: 'exit', r0: 1005n });
});

test('a tail call to an empty slot or past max_entries falls through', (t) => {
  const caller = tailProg('r0 = 0\nr2 = PROG_ARRAY\nr3 = 2\ncall bpf_tail_call\nr3 = 9\ncall bpf_tail_call\nr0 += 7\nexit');
  t.like(caller.run({ r1: 0 }, tailEnv([])), { kind: 'exit', r0: 7n });
});

function counterProg(extraTailCall: boolean): LoadedProgram {
  // ctx (r1) points at a counter; each execution bumps it and tail-calls slot 0 (itself).
  return tailProg(`
    r6 = r1
    r0 = *(u64 *)(r6 +0)
    r0 += 1
    *(u64 *)(r6 +0) = r0
    ${extraTailCall ? 'r1 = r6\nr2 = PROG_ARRAY\nr3 = 1\ncall bpf_tail_call' : ''}
    r1 = r6
    r2 = PROG_ARRAY
    r3 = 0
    call bpf_tail_call
    r0 = *(u64 *)(r6 +0)
    exit`);
}

test(`a chain of tail calls stops after ${MAX_TAIL_CALL_CNT}`, (t) => {
  const slots: (LoadedProgram | undefined)[] = [];
  slots[0] = counterProg(false);
  const arena = sharedArena();
  const ctx = arena.alloc(8);
  const out = slots[0].run({ r1: ctx }, tailEnv(slots));
  t.like(out, { kind: 'exit', r0: BigInt(MAX_TAIL_CALL_CNT + 1) });
});

test('a tail call to an empty slot spends one of the chain budget, as in the kernel', (t) => {
  const slots: (LoadedProgram | undefined)[] = [];
  slots[0] = counterProg(true);
  const ctx = sharedArena().alloc(8);
  t.like(slots[0].run({ r1: ctx }, tailEnv(slots)), { kind: 'exit', r0: 17n });
});

test('a tail call into a program another engine loaded runs it through its own run()', (t) => {
  const calls: number[] = [];
  const foreign: LoadedProgram = {
    image: image('r0 = 0\nexit'),
    run: (args): RunOutcome => {
      calls.push(args.r1);
      return { kind: 'exit', r0: 99n, insnsExecuted: 10 };
    },
    release: () => undefined,
  };
  const caller = tailProg('r2 = PROG_ARRAY\nr3 = 0\ncall bpf_tail_call\nr0 = 1\nexit');
  const out = caller.run({ r1: 0x12345 }, tailEnv([foreign]));
  t.like(out, { kind: 'exit', r0: 99n, insnsExecuted: 13 });
  t.deepEqual(calls, [0x12345]);
});

test('a tail-call chain that crosses engines spends one budget (tailCallChain)', (t) => {
  const seen: number[] = [];
  const foreign: LoadedProgram = {
    image: image('r0 = 0\nexit'),
    run: (): RunOutcome => {
      seen.push(tailCallChain.count);
      return { kind: 'exit', r0: 0n, insnsExecuted: 1 };
    },
    release: () => undefined,
  };
  const caller = tailProg('r2 = PROG_ARRAY\nr3 = 0\ncall bpf_tail_call\nexit');
  caller.run({ r1: 0 }, tailEnv([foreign]));
  t.deepEqual(seen, [1]);
  t.is(tailCallChain.nesting, 0);
});

// ---- LD_ABS / LD_IND ----

const PACKET = Uint8Array.from([0x45, 0x00, 0x00, 0x54, 0xde, 0xad, 0xbe, 0xef]);
function loadSkbBytes(offset: number, size: 1 | 2 | 4): number {
  if (offset < 0 || offset + size > PACKET.length) return -1;
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + (PACKET[offset + i] ?? 0);
  return v;
}

test('LD_ABS loads 1, 2 or 4 packet bytes big-endian into r0', (t) => {
  t.is(r0('r6 = r1\nr0 = *(u8 *)skb[0]\nexit', { loadSkbBytes }), 0x45n);
  t.is(r0('r6 = r1\nr0 = *(u16 *)skb[2]\nexit', { loadSkbBytes }), 0x54n);
  t.is(r0('r6 = r1\nr0 = *(u32 *)skb[4]\nexit', { loadSkbBytes }), 0xdeadbeefn);
});

test('LD_IND adds the source register to imm', (t) => {
  t.is(r0("r6 = r1\nr7 = 3\nr0 = *(u16 *)skb[r7 + 1]\nexit", { loadSkbBytes }), 0xdeadn);
});

test('LD_ABS out of the packet ends the program with r0 = 0', (t) => {
  const { out } = runProgram('r6 = r1\nr0 = 5\nr0 = *(u32 *)skb[6]\nr0 = 7\nexit', { loadSkbBytes });
  t.like(out, { kind: 'exit', r0: 0n, insnsExecuted: 3 });
});

test('LD_ABS clobbers r1-r5', (t) => {
  t.is(r0('r6 = r1\nr1 = 1\nr5 = 5\nr0 = *(u8 *)skb[0]\nr0 += r1\nr0 += r5\nexit', { loadSkbBytes }), 0x45n);
});

test('callx to the tail-call helper tail-calls like call does', (t) => {
  const slots: (LoadedProgram | undefined)[] = [];
  slots[0] = tailProg('r0 = 77\nexit');
  const caller = tailProg('r2 = PROG_ARRAY\nr3 = 0\nr4 = 12\ncallx r4\nr0 = 1\nexit');
  t.like(caller.run({ r1: 0 }, tailEnv(slots)), { kind: 'exit', r0: 77n });
});

test('tail calls from a subprogram stack frames past eight, as the kernel allows (verifier_tailcall_jit)', (t) => {
  // main: count, keep a value on the stack, call sub; sub tail-calls main again.
  const slots: (LoadedProgram | undefined)[] = [];
  slots[0] = tailProg(`
    r6 = r1
    r0 = *(u64 *)(r6 +0)
    r0 += 1
    *(u64 *)(r6 +0) = r0
    *(u64 *)(r10 -8) = r0
    r1 = r6
    call sub
    r0 = *(u64 *)(r10 -8)
    exit
  sub:
    r2 = PROG_ARRAY
    r3 = 0
    call bpf_tail_call
    r0 = 0
    exit`);
  const ctx = sharedArena().alloc(8);
  // 1 + 33 executions of main; the outermost one returns the count it saw first.
  t.like(slots[0].run({ r1: ctx }, tailEnv(slots)), { kind: 'exit', r0: 1n });
  t.is(sharedArena().view.getUint32(ctx, true), MAX_TAIL_CALL_CNT + 1);
});

test('a tail-called program still gets only MAX_CALL_FRAMES - 1 calls of its own', (t) => {
  const slots: (LoadedProgram | undefined)[] = [];
  // sub tail-calls a program that recurses without end.
  slots[1] = tailProg('call pc-1\nexit');
  const caller = tailProg('call sub\nexit\nsub: r2 = PROG_ARRAY\nr3 = 1\ncall bpf_tail_call\nexit');
  const out = caller.run({ r1: 0 }, tailEnv(slots));
  t.like(out, { kind: 'fault', fault: { kind: 'call-depth', pc: 0 } });
});

test('memory stays coherent when a helper grows the arena (new buffer, new generation)', (t) => {
  const arena = createVmArena({ initialBytes: 1 << 17 });
  const grow = testHelper(7, 'grow', (c) => {
    const before = c.env.arena.generation;
    c.env.arena.alloc(4 << 20);
    c.regs[0] = c.env.arena.generation === before ? 0 : 1;
    c.regs[1] = 0;
  });
  const prog = 'r6 = 0x11\n*(u64 *)(r10 -8) = r6\ncall 7\nr7 = *(u64 *)(r10 -8)\nr7 += 1\n*(u64 *)(r10 -16) = r7\nr8 = *(u64 *)(r10 -16)\nr0 <<= 8\nr0 |= r8\nexit';
  t.is(r0(prog, { arena, helpers: testRegistry([grow]) }), 0x112n, 'the helper saw a new generation, and stack values survive it');
});

test('a callback that would make a ninth frame is a call-depth fault', (t) => {
  // main calls f1..f6 (frames 2-7); f6's bpf_loop runs cb as frame 8, and cb's own call would be frame 9.
  const body = ['call f1', 'exit'];
  for (let i = 1; i <= 6; i++) body.push(`f${i}:`, i < 6 ? `call f${i + 1}` : 'r1 = 1\nr2 = subprog[pc+5]\nr3 = 0\nr4 = 0\ncall bpf_loop', 'exit');
  body.push('cb: call deeper', 'exit', 'deeper: r0 = 1', 'exit');
  const insns = absoluteFuncs(assemble(body.join('\n')));
  t.like(runProgram(image(insns), { helpers: testRegistry([loopLike]) }).out, { kind: 'fault', fault: { kind: 'call-depth' } });
});
