import test from 'ava';
import { CoreReloKind as K } from '../../dist/core/index.js';
import { POISON, Types, applyOne, exit, imm64, ldImm64, movImm, program, slot } from './helpers.js';

test('enumval_exists and enumval_value: found by enumerator name in an enum of the same name', (t) => {
  const l = new Types();
  const e = l.enum('state', { RUNNING: 0, SLEEPING: 1, ZOMBIE: 2 });
  const tg = new Types();
  tg.enum('state', { RUNNING: 0, ZOMBIE: 32, DEAD: 64 });
  const [local, target] = [l.local(), tg.target()];
  const val = applyOne(program(ldImm64(1, 2n), exit()), { typeId: e, accessStr: '2', kind: K.ENUMVAL_VALUE }, local, target);
  t.is(imm64(val.code, 0), 32n);
  t.is(val.r.localSpec, `<enumval_value> [${e}] enum state::ZOMBIE = 2`);
  t.is(val.r.targetSpec, '<enumval_value> [1] enum state::ZOMBIE = 32'.replace('[1]', `[${String(val.r.targetTypeIds[0])}]`));
  t.is(applyOne(program(movImm(1, 1), exit()), { typeId: e, accessStr: '2', kind: K.ENUMVAL_EXISTS }, local, target).r.newValue, 1n);
  t.is(applyOne(program(movImm(1, 1), exit()), { typeId: e, accessStr: '1', kind: K.ENUMVAL_EXISTS }, local, target).r.newValue, 0n);
});

test('a missing enumerator poisons both halves of the ld_imm64', (t) => {
  const l = new Types();
  const e = l.enum('state', { RUNNING: 0, SLEEPING: 1 });
  const tg = new Types();
  tg.enum('state', { RUNNING: 0 });
  const { r, code } = applyOne(program(ldImm64(1, 1n), exit()), { typeId: e, accessStr: '1', kind: K.ENUMVAL_VALUE }, l.local(), tg.target());
  t.true(r.poisoned);
  t.deepEqual(slot(code, 0), POISON);
  t.deepEqual(slot(code, 1), POISON);
  t.deepEqual(r.log.slice(-2), ["prog 'prog': relo #0: substituting insn #1 w/ invalid insn", "prog 'prog': relo #0: substituting insn #0 w/ invalid insn"]);
});

test('enumerator flavors: NAME___x matches NAME', (t) => {
  const l = new Types();
  const e = l.enum('bpf_func_id___x', { BPF_FUNC_foo___x: 3 });
  const tg = new Types();
  tg.enum('bpf_func_id', { BPF_FUNC_bar: 1, BPF_FUNC_foo: 211 });
  t.is(applyOne(program(ldImm64(1, 3n), exit()), { typeId: e, accessStr: '0', kind: K.ENUMVAL_VALUE }, l.local(), tg.target()).r.newValue, 211n);
});

test('enum64 values go into the full ld_imm64; enum and enum64 match each other', (t) => {
  const l = new Types();
  const e = l.enum('flags', { BIG: 1 });
  const e64 = l.enum64('wide', { HUGE: 1n << 40n });
  const tg = new Types();
  tg.enum64('flags', { BIG: 1n << 33n });
  tg.enum('wide', { HUGE: 5 });
  const [local, target] = [l.local(), tg.target()];
  t.is(imm64(applyOne(program(ldImm64(1, 1n), exit()), { typeId: e, accessStr: '0', kind: K.ENUMVAL_VALUE }, local, target).code, 0), 1n << 33n);
  t.is(imm64(applyOne(program(ldImm64(1, 1n << 40n), exit()), { typeId: e64, accessStr: '0', kind: K.ENUMVAL_VALUE }, local, target).code, 0), 5n);
});

test('32-bit enumerators are widened with their sign, as libbpf reads them (s32)', (t) => {
  const l = new Types();
  const e = l.enum('limits', { NEG: -1, HIGH: 0x7fffffff }, 4, true);
  const tg = new Types();
  tg.enum('limits', { NEG: -2, HIGH: 0x80000000 });
  const [local, target] = [l.local(), tg.target()];
  const neg = applyOne(program(ldImm64(1, 0xffffffffffffffffn), exit()), { typeId: e, accessStr: '0', kind: K.ENUMVAL_VALUE }, local, target);
  t.is(neg.r.newValue, 0xfffffffffffffffen);
  t.is(imm64(neg.code, 0), 0xfffffffffffffffen);
  t.is(neg.r.localSpec, `<enumval_value> [${e}] enum limits::NEG = -1`);
  const high = applyOne(program(movImm(1, 0x7fffffff), exit()), { typeId: e, accessStr: '1', kind: K.ENUMVAL_VALUE }, local, target);
  t.is(high.r.newValue, 0xffffffff80000000n);
  t.is(slot(high.code, 0).imm, -0x80000000);
});

test('an enum local type with no enum of that name in the target: exists 0, value poisons a mov', (t) => {
  const l = new Types();
  const e = l.enum('nowhere', { X: 1 });
  const tg = new Types();
  tg.struct('nowhere', 4, []);
  const [local, target] = [l.local(), tg.target()];
  t.is(applyOne(program(movImm(1, 1), exit()), { typeId: e, accessStr: '0', kind: K.ENUMVAL_EXISTS }, local, target).r.newValue, 0n);
  const v = applyOne(program(movImm(1, 1), exit()), { typeId: e, accessStr: '0', kind: K.ENUMVAL_VALUE }, local, target);
  t.deepEqual(slot(v.code, 0), POISON);
  t.deepEqual(slot(v.code, 1), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 });
});
