import test from 'ava';
import { isBpfError } from '@bpfkit/kernel-api';
import { CoreReloKind as K } from '../../dist/core/index.js';
import { Types, applyOne, exit, imm64, ldImm64, m, movImm, program, slot } from './helpers.js';

function pair() {
  const l = new Types();
  const tg = new Types();
  return { l, tg };
}

test('local_type_id: the local root id, whatever the instruction held; no candidate search', (t) => {
  const { l, tg } = pair();
  const s = l.struct('', 4, [m('x', l.int, 0)]);
  const { r, code } = applyOne(program(ldImm64(1, 999n), exit()), { typeId: s, accessStr: '0', kind: K.TYPE_ID_LOCAL }, l.local(), tg.target());
  t.is(imm64(code, 0), BigInt(s));
  t.deepEqual(r.targetTypeIds, []);
  t.is(r.log[0], `prog 'prog': relo #0: <local_type_id> [${s}] struct <anon>`);
});

test('target_type_id: the id in the target; 0 when absent; two compatible targets with other ids are ambiguous', (t) => {
  const { l, tg } = pair();
  const s = l.struct('sock', 4, [m('x', l.int, 0)]);
  const other = l.struct('nowhere', 4, [m('x', l.int, 0)]);
  tg.struct('pad', 4, []);
  const target = tg.struct('sock', 64, [m('y', tg.int, 0)]);
  const [local, targ] = [l.local(), tg.target()];
  t.is(imm64(applyOne(program(ldImm64(1, BigInt(s)), exit()), { typeId: s, accessStr: '0', kind: K.TYPE_ID_TARGET }, local, targ).code, 0), BigInt(target));
  t.is(imm64(applyOne(program(ldImm64(1, 0n), exit()), { typeId: other, accessStr: '0', kind: K.TYPE_ID_TARGET }, local, targ).code, 0), 0n);
  tg.struct('sock___2', 64, []);
  const e = t.throws(() => applyOne(program(ldImm64(1, 0n), exit()), { typeId: s, accessStr: '0', kind: K.TYPE_ID_TARGET }, local, tg.target()));
  t.true(isBpfError(e, 'EINVAL'));
  t.regex(e?.message ?? '', /relocation decision ambiguity: success \d+ != success \d+/);
});

test('type_exists and type_size: by name and kind (struct is not union), through typedefs', (t) => {
  const { l, tg } = pair();
  const s = l.struct('sock', 4, [m('x', l.int, 0)]);
  const u = l.struct('data', 4, [m('x', l.int, 0)], true);
  const td = l.typedef('u32x', l.uint);
  const arr = l.typedef('buf_t', l.array(l.char, 4));
  tg.struct('sock', 776, []);
  tg.struct('data', 8, []);
  tg.typedef('u32x', tg.typedef('__u32', tg.u64));
  tg.typedef('buf_t', tg.array(tg.char, 40));
  const [local, targ] = [l.local(), tg.target()];
  const run = (typeId: number, kind: number, imm: number) => applyOne(program(movImm(0, imm), exit()), { typeId, accessStr: '0', kind }, local, targ).r.newValue;
  t.is(run(s, K.TYPE_EXISTS, 1), 1n);
  t.is(run(u, K.TYPE_EXISTS, 1), 0n, 'a union does not match a struct of the same name');
  t.is(run(s, K.TYPE_SIZE, 4), 776n);
  t.is(run(td, K.TYPE_SIZE, 4), 8n);
  t.is(run(arr, K.TYPE_SIZE, 4), 40n);
  t.is(run(u, K.TYPE_SIZE, 4), 0n);
});

test('type_exists compares what pointers, arrays and prototypes lead to', (t) => {
  const { l, tg } = pair();
  const lp = l.typedef('handler_t', l.ptr(l.add({ kind: 'FUNC_PROTO', name: '', type: l.int, params: [{ name: 'a', type: l.int }] })));
  const lp2 = l.typedef('cb_t', l.ptr(l.add({ kind: 'FUNC_PROTO', name: '', type: l.int, params: [{ name: 'a', type: l.int }] })));
  const lb = l.typedef('bits_t', l.add({ kind: 'INT', name: 'odd', size: 4, encoding: 0, bitsOffset: 3, bits: 8 }));
  tg.typedef('handler_t', tg.ptr(tg.add({ kind: 'FUNC_PROTO', name: '', type: tg.s64, params: [{ name: 'x', type: tg.uint }] })));
  tg.typedef('cb_t', tg.ptr(tg.add({ kind: 'FUNC_PROTO', name: '', type: tg.int, params: [] })));
  tg.typedef('bits_t', tg.int);
  const [local, targ] = [l.local(), tg.target()];
  const run = (typeId: number) => applyOne(program(movImm(0, 1), exit()), { typeId, accessStr: '0', kind: K.TYPE_EXISTS }, local, targ).r.newValue;
  t.is(run(lp), 1n, 'ints of any size and sign are compatible');
  t.is(run(lp2), 0n, 'parameter counts differ');
  t.is(run(lb), 0n, 'bitfield-like ints are not');
});

test('type_matches: members by name and type, ints by size and sign, enums by names, forwards behind pointers', (t) => {
  const { l, tg } = pair();
  const lk = l.add({ kind: 'FWD', name: 'kobj', union: false });
  const lkind = l.enum('kind', { A: 0, B: 1 });
  const obj = l.struct('obj', 24, [m('a', l.int, 0), m('k', lkind, 4), m('p', l.ptr(lk), 8), m('n', l.array(l.char, 8), 16)]);
  const signs = l.struct('signs', 4, [m('a', l.uint, 0)]);
  const missing = l.struct('missing', 8, [m('a', l.int, 0), m('gone', l.int, 4)]);
  const flavored = l.struct('obj___mine', 24, [m('a', l.int, 0)]);
  const tKobj = tg.struct('kobj', 64, [m('z', tg.int, 0)]);
  const tkind = tg.enum('kind', { B: 7, C: 8, A: 9 });
  tg.struct('obj', 48, [m('extra', tg.u64, 0), m('a', tg.int, 8), m('k', tkind, 12), m('p', tg.ptr(tKobj), 16), m('n', tg.array(tg.char, 8), 24)]);
  tg.struct('signs', 4, [m('a', tg.int, 0)]);
  tg.struct('missing', 8, [m('a', tg.int, 0)]);
  const [local, targ] = [l.local(), tg.target()];
  const run = (typeId: number) => applyOne(program(movImm(0, 1), exit()), { typeId, accessStr: '0', kind: K.TYPE_MATCHES }, local, targ).r.newValue;
  t.is(run(obj), 1n);
  t.is(run(signs), 0n, 'unsigned vs signed int');
  t.is(run(missing), 0n, 'a local member the target lacks');
  t.is(run(flavored), 1n, 'the root name is compared without its flavor');
});

test('type_matches: enum sizes and array lengths must agree', (t) => {
  const { l, tg } = pair();
  const e = l.enum('mode', { ON: 1 });
  const a = l.typedef('ring_t', l.array(l.int, 4));
  tg.enum64('mode', { ON: 1n });
  tg.typedef('ring_t', tg.array(tg.int, 8));
  const [local, targ] = [l.local(), tg.target()];
  const run = (typeId: number) => applyOne(program(movImm(0, 1), exit()), { typeId, accessStr: '0', kind: K.TYPE_MATCHES }, local, targ).r.newValue;
  t.is(run(e), 0n);
  t.is(run(a), 0n);
  t.is(applyOne(program(movImm(0, 1), exit()), { typeId: e, accessStr: '0', kind: K.TYPE_EXISTS }, local, targ).r.newValue, 1n, 'enum and enum64 are compatible for type_exists');
});

test('type relocations patch a mov immediate as well as an ld_imm64', (t) => {
  const { l, tg } = pair();
  const s = l.struct('sock', 4, []);
  tg.struct('sock', 776, []);
  const { code } = applyOne(program(movImm(0, 4), exit()), { typeId: s, accessStr: '0', kind: K.TYPE_SIZE }, l.local(), tg.target());
  t.is(slot(code, 0).imm, 776);
  const ld = applyOne(program(ldImm64(0, 4n), exit()), { typeId: s, accessStr: '0', kind: K.TYPE_SIZE }, l.local(), tg.target());
  t.is(imm64(ld.code, 0), 776n);
  t.is(ld.r.log.at(-1), "prog 'prog': relo #0: patched insn #0 (LDIMM64) imm64 4 -> 776");
});
