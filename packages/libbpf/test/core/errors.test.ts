import test from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { applyCoreRelocations, CoreReloKind as K } from '../../dist/core/index.js';
import { Types, addImm, applyOne, bf, exit, insn, ldImm64, ldxW, m, movImm, program } from './helpers.js';

function btfs() {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0), m('tgid', l.int, 4)]);
  const anon = l.struct('', 4, [m('x', l.int, 0)]);
  const e = l.enum('state', { A: 0 });
  const tg = new Types();
  tg.struct('task', 65536, [m('pid', tg.int, 1264), m('tgid', tg.int, 40000)]);
  tg.enum('state', { A: 0 });
  return { local: l.local(), target: tg.target(), task, anon, e };
}

function error(fn: () => unknown): BpfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BpfError) return e;
    throw e;
  }
  throw new Error('no error');
}

test('malformed access strings are EINVAL, naming prog, relo, type and string', (t) => {
  const { local, target, task } = btfs();
  for (const accessStr of ['', ':0', '0:', '0:a', '-1', '0::1', '0:2', '0:0:0', '0 1']) {
    const e = error(() => applyOne(program(movImm(0, 0), exit()), { typeId: task, accessStr, kind: K.FIELD_BYTE_OFFSET }, local, target));
    t.is(e.code, 'EINVAL', accessStr);
    t.true(e.message.startsWith(`prog 'prog': relo #0: parsing [${task}] struct task + ${accessStr} failed: `), e.message);
    t.true(e.message.endsWith(`([${task}] struct task + ${accessStr}): -EINVAL`), e.message);
  }
  const long = Array.from({ length: 65 }, () => '0').join(':');
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: task, accessStr: long, kind: K.FIELD_BYTE_OFFSET }, local, target)).code, 'EINVAL');
});

test('type-based relocations need access string 0; enumerator ones one index into an enum', (t) => {
  const { local, target, task, e } = btfs();
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: task, accessStr: '0:0', kind: K.TYPE_SIZE }, local, target)).code, 'EINVAL');
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: e, accessStr: '0:0', kind: K.ENUMVAL_VALUE }, local, target)).code, 'EINVAL');
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: e, accessStr: '1', kind: K.ENUMVAL_VALUE }, local, target)).code, 'EINVAL');
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: task, accessStr: '0', kind: K.ENUMVAL_EXISTS }, local, target)).code, 'EINVAL');
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: task, accessStr: '0', kind: 13 }, local, target)).code, 'EINVAL');
});

test('unknown or anonymous local types; instructions outside the program', (t) => {
  const { local, target, task, anon } = btfs();
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { typeId: 999, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target)).code, 'EINVAL');
  const a = error(() => applyOne(program(movImm(0, 0), exit()), { typeId: anon, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target));
  t.is(a.code, 'EINVAL');
  t.regex(a.message, /target candidate search failed/);
  t.is(error(() => applyOne(program(movImm(0, 0), exit()), { insn: 2, typeId: task, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target)).code, 'EINVAL');
});

test('the instruction must hold the value the compiler computed, in a form that can take the new one', (t) => {
  const { local, target, task } = btfs();
  const run = (code: Uint8Array, accessStr = '0:0') => error(() => applyOne(code, { typeId: task, accessStr, kind: K.FIELD_BYTE_OFFSET }, local, target));
  const stale = run(program(addImm(1, 7), exit()));
  t.is(stale.code, 'EINVAL');
  t.is(stale.message, `prog 'prog': relo #0: unexpected insn #0 (ALU/ALU64) value: got 7, exp 0 -> 1264 ([${task}] struct task + 0:0): -EINVAL`);
  t.is(run(program(insn(0x0f, 1, 2, 0, 0), exit())).code, 'EINVAL', 'ALU with a register source');
  t.is(run(program(ldxW(0, 1, 8), exit())).code, 'EINVAL', 'load at another offset');
  t.is(run(program(insn(0x05, 0, 0, 0, 0), exit())).code, 'EINVAL', 'a jump');
  t.is(run(program(insn(0x18, 0, 1, 0, 0), insn(0, 0, 0, 0, 0), exit())).code, 'EINVAL', 'ld_imm64 with a src_reg');
  t.is(run(program(ldxW(0, 1, 4), exit()), '0:1').code, 'ERANGE', 'offset 40000 does not fit a load');
  t.is(run(program(ldImm64(0, 0n).slice(0, 1))).code, 'EINVAL', 'an ld_imm64 cut short');
});

test('a bitfield no 8-byte load can cover is E2BIG', (t) => {
  const l = new Types();
  const s = l.struct('regs', 8, [bf('f', l.u64, 0, 8)]);
  const tg = new Types();
  tg.struct('regs', 16, [bf('f', tg.u64, 60, 8)]);
  const e = error(() => applyOne(program(movImm(0, 0), exit()), { typeId: s, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target()));
  t.is(e.code, 'E2BIG');
  t.regex(e.message, /can't be satisfied for bitfield/);
});

test('errors carry the log so far; later relocations are not applied; unknown options are refused', (t) => {
  const { local, target, task } = btfs();
  const code = program(addImm(1, 0), addImm(1, 99), addImm(2, 4), exit());
  const e = error(() => applyCoreRelocations(code, [0, 1, 2].map((i) => ({ insn: i, typeId: task, accessStr: i === 2 ? '0:1' : '0:0', kind: K.FIELD_BYTE_OFFSET })), local, target, 'x'));
  t.true(isBpfError(e, 'EINVAL'));
  t.regex(e.message, /^prog 'x': relo #1: /);
  t.regex(e.log ?? '', /relo #1: <byte_off>/);
  t.is(new DataView(code.buffer).getInt32(4, true), 1264, 'relo #0 was applied');
  t.is(new DataView(code.buffer).getInt32(20, true), 4, 'relo #2 was not');
  t.throws(() => applyCoreRelocations(code, [], local, target, 'x', { cache: new Map() } as never), { instanceOf: TypeError });
});
