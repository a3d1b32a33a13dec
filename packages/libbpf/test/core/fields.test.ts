import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { applyCoreRelocations, CoreReloKind as K, type CoreRelocation } from '../../dist/core/index.js';
import { POISON, Types, addImm, applyOne, bf, exit, ldxB, ldxDW, ldxW, m, movImm, program, slot, stxW } from './helpers.js';

/** Local `struct task` { int pid; int tgid; struct task *parent; char comm[16]; } as a program sees it. */
function localTask() {
  const l = new Types();
  const taskPtr = l.add({ kind: 'PTR', name: '', type: l.b.nextId + 2 });
  const comm = l.array(l.char, 16);
  const task = l.struct('task', 32, [m('pid', l.int, 0), m('tgid', l.int, 4), m('parent', taskPtr, 8), m('comm', comm, 16)]);
  return { btf: l.local(), task };
}

/** The kernel's layout: fields moved, an anonymous union in between, a typedef'd pid. */
function targetTask() {
  const t = new Types();
  const pidT = t.typedef('pid_t', t.int);
  const taskPtr = t.add({ kind: 'PTR', name: '', type: t.b.nextId + 3 });
  const comm = t.array(t.char, 16);
  const inner = t.struct('', 8, [m('tgid', pidT, 0), m('other', t.int, 4)]);
  const task = t.struct('task', 2048, [m('state', t.uint, 0), m('parent', taskPtr, 64), m('pid', pidT, 1264), m('', inner, 1268), m('comm', comm, 1752)]);
  return { btf: t.target(), task };
}

test('byte_off: an ALU immediate becomes the target offset, through an anonymous union and typedefs', (t) => {
  const l = localTask();
  const tg = targetTask();
  const { r, code } = applyOne(program(addImm(1, 4), exit()), { typeId: l.task, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }, l.btf, tg.btf);
  t.is(slot(code, 0).imm, 1268);
  t.is(r.origValue, 4n);
  t.is(r.newValue, 1268n);
  t.false(r.poisoned);
  t.deepEqual(r.targetTypeIds, [tg.task]);
  t.is(r.localSpec, `<byte_off> [${l.task}] struct task.tgid (0:1 @ offset 4)`);
  t.is(r.targetSpec, `<byte_off> [${tg.task}] struct task.tgid (0:3:0 @ offset 1268)`);
  t.deepEqual(r.log, [
    `prog 'prog': relo #0: <byte_off> [${l.task}] struct task.tgid (0:1 @ offset 4)`,
    `CO-RE relocating [${l.task}] struct task: found target candidate [${tg.task}] struct task in [vmlinux]`,
    `prog 'prog': relo #0: matching candidate #0 <byte_off> [${tg.task}] struct task.tgid (0:3:0 @ offset 1268)`,
    "prog 'prog': relo #0: patched insn #0 (ALU/ALU64) imm 4 -> 1268",
  ]);
});

test('byte_off on a load: the offset is patched; a pointer keeps its size', (t) => {
  const l = localTask();
  const tg = targetTask();
  const { code } = applyOne(program(ldxDW(2, 1, 8), exit()), { typeId: l.task, accessStr: '0:2', kind: K.FIELD_BYTE_OFFSET }, l.btf, tg.btf);
  t.deepEqual(slot(code, 0), { code: 0x79, dst: 2, src: 1, off: 64, imm: 0 });
});

test('byte_off into an array element and byte_sz of the array and of an element', (t) => {
  const l = localTask();
  const tg = targetTask();
  const elem = applyOne(program(ldxB(2, 1, 16 + 5), exit()), { typeId: l.task, accessStr: '0:3:5', kind: K.FIELD_BYTE_OFFSET }, l.btf, tg.btf);
  t.is(slot(elem.code, 0).off, 1752 + 5);
  t.is(elem.r.localSpec, `<byte_off> [${l.task}] struct task.comm[5] (0:3:5 @ offset 21)`);
  const whole = applyOne(program(movImm(2, 16), exit()), { typeId: l.task, accessStr: '0:3', kind: K.FIELD_BYTE_SIZE }, l.btf, tg.btf);
  t.is(whole.r.newValue, 16n);
  const one = applyOne(program(movImm(2, 1), exit()), { typeId: l.task, accessStr: '0:3:5', kind: K.FIELD_BYTE_SIZE }, l.btf, tg.btf);
  t.is(one.r.newValue, 1n);
  const e = t.throws(() => applyOne(program(movImm(2, 0), exit()), { typeId: l.task, accessStr: '0:3:5', kind: K.FIELD_SIGNED }, l.btf, tg.btf));
  t.true(isBpfError(e, 'EINVAL'));
  t.regex(e?.message ?? '', /can't be applied to array access/);
});

test('the root index steps over whole structs (task[1].pid)', (t) => {
  const l = localTask();
  const tg = targetTask();
  const { r } = applyOne(program(movImm(2, 32), exit()), { typeId: l.task, accessStr: '1:0', kind: K.FIELD_BYTE_OFFSET }, l.btf, tg.btf);
  t.is(r.newValue, 2048n + 1264n);
  t.is(r.localSpec, `<byte_off> [${l.task}] struct task[1].pid (1:0 @ offset 32)`);
});

test('field_exists: 1 when the target has the field, 0 (not poison) when it does not', (t) => {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0), m('gone', l.int, 4)]);
  const tg = new Types();
  tg.struct('task', 8, [m('pid', tg.int, 4)]);
  const [local, target] = [l.local(), tg.target()];
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: task, accessStr: '0:0', kind: K.FIELD_EXISTS }, local, target).r.newValue, 1n);
  const gone = applyOne(program(movImm(0, 1), exit()), { typeId: task, accessStr: '0:1', kind: K.FIELD_EXISTS }, local, target);
  t.is(slot(gone.code, 0).imm, 0);
  t.false(gone.r.poisoned);
  t.true(gone.r.log.includes("prog 'prog': relo #0: no matching targets found"));
});

test('a missing field poisons the load (call 0xbad2310) so the verifier only objects if it is reachable', (t) => {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0), m('gone', l.int, 4)]);
  const tg = new Types();
  tg.struct('task', 8, [m('pid', tg.int, 4)]);
  const { r, code } = applyOne(program(ldxW(0, 1, 4), exit()), { typeId: task, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target());
  t.true(r.poisoned);
  t.deepEqual(slot(code, 0), POISON);
  t.deepEqual(slot(code, 1), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
  t.is(r.log.at(-1), "prog 'prog': relo #0: substituting insn #0 w/ invalid insn");
});

test('no target type of that name at all: poison for offsets, 0 for existence', (t) => {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0)]);
  const tg = new Types();
  tg.struct('other', 8, [m('pid', tg.int, 0)]);
  const [local, target] = [l.local(), tg.target()];
  t.true(applyOne(program(ldxW(0, 1, 0), exit()), { typeId: task, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target).r.poisoned);
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: task, accessStr: '0:0', kind: K.FIELD_EXISTS }, local, target).r.newValue, 0n);
});

test('flavors: task___v1 and task___v2 relocate against the kernel task; the flavor picks the field that exists', (t) => {
  const l = new Types();
  const v1 = l.struct('task___v1', 8, [m('old_name', l.int, 0)]);
  const v2 = l.struct('task___v2', 8, [m('new_name', l.int, 0)]);
  const tg = new Types();
  const k = tg.struct('task', 16, [m('x', tg.int, 0), m('new_name', tg.int, 12)]);
  const [local, target] = [l.local(), tg.target()];
  const newer = applyOne(program(movImm(0, 1), exit()), { typeId: v2, accessStr: '0:0', kind: K.FIELD_EXISTS }, local, target);
  t.is(newer.r.newValue, 1n);
  t.deepEqual(newer.r.targetTypeIds, [k]);
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: v1, accessStr: '0:0', kind: K.FIELD_EXISTS }, local, target).r.newValue, 0n);
  t.is(applyOne(program(ldxW(0, 1, 0), exit()), { typeId: v2, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target).r.newValue, 12n);
});

test('target flavors are candidates too; agreeing candidates are fine', (t) => {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0)]);
  const tg = new Types();
  const a = tg.struct('task', 16, [m('pid', tg.int, 8)]);
  const b = tg.struct('task___2', 16, [m('pid', tg.int, 8)]);
  tg.struct('task_struct', 16, [m('pid', tg.int, 0)]);
  const { r } = applyOne(program(ldxW(0, 1, 0), exit()), { typeId: task, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target());
  t.deepEqual(r.targetTypeIds, [a, b]);
  t.is(r.newValue, 8n);
});

test('candidates that disagree on the offset are an ambiguity error (EINVAL)', (t) => {
  const l = new Types();
  const task = l.struct('task', 8, [m('pid', l.int, 0)]);
  const tg = new Types();
  tg.struct('task', 16, [m('pid', tg.int, 8)]);
  tg.struct('task___2', 16, [m('pid', tg.int, 12)]);
  const e = t.throws(() => applyOne(program(ldxW(0, 1, 0), exit()), { typeId: task, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target()));
  t.true(isBpfError(e, 'EINVAL'));
  t.is(e?.message, `prog 'prog': relo #0: field offset ambiguity: 96 != 64 ([${task}] struct task + 0:0): -EINVAL`);
});

test('signed, and the bitfield shifts: lshift/rshift/byte_off/byte_sz of a 3-bit field', (t) => {
  const l = new Types();
  const u8 = l.add({ kind: 'INT', name: 'unsigned char', size: 1, encoding: 0, bitsOffset: 0, bits: 8 });
  const s = l.struct('skb', 8, [m('len', l.uint, 0), bf('pkt_type', u8, 32, 3)]);
  const tg = new Types();
  const tu8 = tg.add({ kind: 'INT', name: 'unsigned char', size: 1, encoding: 0, bitsOffset: 0, bits: 8 });
  tg.struct('skb', 224, [m('len', tg.int, 112), bf('pkt_type', tu8, 1024 + 5, 3)]);
  const [local, target] = [l.local(), tg.target()];
  const run = (kind: number, imm: number) => applyOne(program(movImm(0, imm), exit()), { typeId: s, accessStr: '0:1', kind }, local, target).r.newValue;
  t.is(run(K.FIELD_BYTE_OFFSET, 4), 128n);
  t.is(run(K.FIELD_BYTE_SIZE, 1), 1n);
  t.is(run(K.FIELD_LSHIFT_U64, 61), 64n - (5n + 3n));
  t.is(run(K.FIELD_RSHIFT_U64, 61), 61n);
  t.is(run(K.FIELD_SIGNED, 0), 0n);
  const signedLen = applyOne(program(movImm(0, 0), exit()), { typeId: s, accessStr: '0:0', kind: K.FIELD_SIGNED }, local, target).r;
  t.is(signedLen.newValue, 1n, 'len is an int in the target');
});

test('a bitfield straddling a byte boundary is read with a wider load', (t) => {
  const l = new Types();
  const s = l.struct('flags', 4, [bf('f', l.uint, 0, 4)]);
  const tg = new Types();
  tg.struct('flags', 8, [bf('f', tg.uint, 30, 4)]);
  const [local, target] = [l.local(), tg.target()];
  const run = (kind: number, imm: number) => applyOne(program(movImm(0, imm), exit()), { typeId: s, accessStr: '0:0', kind }, local, target).r.newValue;
  t.is(run(K.FIELD_BYTE_SIZE, 4), 8n);
  t.is(run(K.FIELD_BYTE_OFFSET, 0), 0n);
  t.is(run(K.FIELD_LSHIFT_U64, 60), 64n - 34n);
  t.is(run(K.FIELD_RSHIFT_U64, 60), 60n);
});

test('load size follows an unsigned field that grew or shrank; a signed one poisons the load instead', (t) => {
  const l = new Types();
  const s = l.struct('stats', 16, [m('count', l.uint, 0), m('delta', l.int, 4)]);
  const tg = new Types();
  tg.struct('stats', 16, [m('count', tg.u64, 0), m('delta', tg.s64, 8)]);
  const [local, target] = [l.local(), tg.target()];
  const grown = applyOne(program(ldxW(0, 1, 0), exit()), { typeId: s, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target);
  t.deepEqual(slot(grown.code, 0), { code: 0x79, dst: 0, src: 1, off: 0, imm: 0 });
  t.true(grown.r.log.includes("prog 'prog': relo #0: patched insn #0 (LDX/ST/STX) mem_sz 4 -> 8"));
  const signed = applyOne(program(ldxW(0, 1, 4), exit()), { typeId: s, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }, local, target);
  t.true(signed.r.poisoned);
  t.deepEqual(slot(signed.code, 0), POISON);
  t.regex(signed.r.log.join('\n'), /accesses field incorrectly/);
  const store = applyOne(program(stxW(1, 2, 0), exit()), { typeId: s, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, local, target);
  t.is(slot(store.code, 0).code, 0x7b);
});

test('an ALU relocation with a size change is fine (only memory accesses care)', (t) => {
  const l = new Types();
  const s = l.struct('stats', 8, [m('a', l.int, 0), m('delta', l.int, 4)]);
  const tg = new Types();
  tg.struct('stats', 16, [m('a', tg.int, 0), m('delta', tg.s64, 8)]);
  const { r, code } = applyOne(program(addImm(1, 4), exit()), { typeId: s, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target());
  t.false(r.poisoned);
  t.is(slot(code, 0).imm, 8);
});

test('an incompatible field type (int vs struct) does not match: poison', (t) => {
  const l = new Types();
  const s = l.struct('obj', 8, [m('x', l.int, 0)]);
  const tg = new Types();
  const inner = tg.struct('inner', 4, [m('v', tg.int, 0)]);
  tg.struct('obj', 8, [m('x', inner, 4)]);
  t.true(applyOne(program(ldxW(0, 1, 0), exit()), { typeId: s, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, l.local(), tg.target()).r.poisoned);
});

test('arrays: an index past the target array does not match; a flexible array member takes any index', (t) => {
  const l = new Types();
  const s = l.struct('rec', 40, [m('n', l.int, 0), m('a', l.array(l.int, 8), 4), m('tail', l.array(l.char, 0), 36)]);
  const tg = new Types();
  tg.struct('rec', 24, [m('n', tg.int, 0), m('a', tg.array(tg.int, 4), 4), m('tail', tg.array(tg.char, 0), 20)]);
  const [local, target] = [l.local(), tg.target()];
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: s, accessStr: '0:1:3', kind: K.FIELD_EXISTS }, local, target).r.newValue, 1n);
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: s, accessStr: '0:1:6', kind: K.FIELD_EXISTS }, local, target).r.newValue, 0n);
  t.is(applyOne(program(movImm(0, 36 + 9), exit()), { typeId: s, accessStr: '0:2:9', kind: K.FIELD_BYTE_OFFSET }, local, target).r.newValue, 29n);
});

test('the candidate cache is narrowed by earlier relocations of the same type', (t) => {
  const l = new Types();
  const s = l.struct('obj', 8, [m('a', l.int, 0), m('b', l.int, 4)]);
  const tg = new Types();
  tg.struct('obj', 8, [m('a', tg.int, 0), m('b', tg.int, 4)]);
  const bad = tg.struct('obj___x', 8, [m('b', tg.int, 0)]);
  const code = program(movImm(0, 0), movImm(1, 4), exit());
  const out = applyOneProgram(code, [{ insn: 0, typeId: s, accessStr: '0:0', kind: K.FIELD_BYTE_OFFSET }, { insn: 1, typeId: s, accessStr: '0:1', kind: K.FIELD_BYTE_OFFSET }], l, tg);
  t.false(out[1]?.targetTypeIds.includes(bad));
  t.is(out[1]?.newValue, 4n);
});

function applyOneProgram(code: Uint8Array, relos: CoreRelocation[], l: Types, tg: Types) {
  return applyCoreRelocations(code, relos, l.local(), tg.target(), 'prog');
}
