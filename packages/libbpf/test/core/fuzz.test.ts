import test from 'ava';
import fc from 'fast-check';
import { BpfError } from '@bpfkit/kernel-api';
import { applyCoreRelocations } from '../../dist/core/index.js';
import { Types, bf, ldImm64, ldxW, m, movImm, program } from './helpers.js';

function btfs() {
  const l = new Types();
  const fwd = l.add({ kind: 'FWD', name: 'opaque', union: false });
  const e = l.enum('state', { A: 0, B: -1 }, 4, true);
  const inner = l.struct('', 8, [m('x', l.int, 0), m('y', l.array(l.char, 0), 4)]);
  l.struct('task', 48, [m('pid', l.int, 0), m('', inner, 4), bf('f', l.uint, 96, 3), m('p', l.ptr(fwd), 16), m('e', e, 24), m('a', l.array(l.u64, 2), 32)]);
  l.typedef('task_t', l.b.nextId - 1);
  const tg = new Types();
  const te = tg.enum64('state', { B: 5n, A: 1n << 40n });
  const tinner = tg.struct('', 8, [m('y', tg.array(tg.char, 0), 0), m('x', tg.int, 0)], true);
  tg.struct('task', 4096, [m('', tinner, 0), m('pid', tg.s64, 8), bf('f', tg.u64, 190, 9), m('e', te, 24), m('a', tg.array(tg.ushort, 1), 32)]);
  tg.struct('task___2', 16, [m('pid', tg.int, 0)]);
  return { local: l.local(), target: tg.target(), nr: l.b.nextId };
}

test('random relocations over random code either apply or throw BpfError, never anything else', (t) => {
  const { local, target, nr } = btfs();
  const relo = fc.record({
    insn: fc.oneof(fc.integer({ min: -1, max: 6 }), fc.constant(0)),
    typeId: fc.oneof(fc.integer({ min: -1, max: nr + 1 }), fc.constant(nr - 2), fc.constant(nr - 1)),
    accessStr: fc.oneof(fc.stringMatching(/^[0-9:]{0,8}$/), fc.constantFrom('0', '0:0', '0:1:0', '0:1:1:7', '0:5:1', '1', '0:3', '0:2')),
    kind: fc.integer({ min: -1, max: 14 }),
  });
  const outcomes = { applied: 0, poisoned: 0, refused: 0 };
  const value = fc.constantFrom(0, 1, 4, 8, 12, 16, 24, 32, 48, 3, 61, -1);
  const slotArb = fc.oneof(
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
    value.map((v) => [movImm(0, v)]),
    value.map((v) => [ldxW(0, 1, v)]),
    value.map((v) => ldImm64(0, BigInt(v))),
  );
  const codeArb = fc.tuple(fc.array(slotArb, { maxLength: 6 }), fc.nat({ max: 9 })).map(([slots, cut]) => {
    const whole = program(...slots);
    return whole.subarray(0, Math.max(0, whole.length - (cut > 6 ? cut : 0)));
  });
  fc.assert(fc.property(codeArb, fc.array(relo, { maxLength: 4 }), (code, relos) => {
    for (const list of [relos, ...relos.map((r) => [r])]) {
      try {
        const results = applyCoreRelocations(code.slice(), list, local, target, 'fuzz');
        outcomes.applied += results.length;
        outcomes.poisoned += results.filter((r) => r.poisoned).length;
      } catch (e) {
        if (!(e instanceof BpfError)) throw e;
        outcomes.refused++;
      }
    }
  }), { numRuns: 3000, seed: 7 });
  t.log(outcomes);
  t.true(outcomes.applied > 0 && outcomes.refused > 0);
});
