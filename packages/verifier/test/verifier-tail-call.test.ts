// bpf_tail_call as the real 6.18.44 verifier answered for the same programs: R0 after a failed tail call
// holds nothing, and a tail call in a subprogram may return to the subprogram's caller.
import test from 'ava';
import { isBpfError, type VerifierMap, type VerifierRequest } from '@bpfkit/kernel-api';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { progBtfWith } from '@bpfkit/verifier/testing';
import { insn } from './support/insn.js';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const PROG_ARRAY = 3;
const maps = new Map<number, VerifierMap>([[5, { fd: 5, mapType: PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: 0, isMapInMap: false, name: 'jmp_table' }]]);

const tailCall = [insn(0x18, 2, 1, 0, 5), insn(0), insn(0xb7, 3, 0, 0, 0), insn(0x85, 0, 0, 0, 12)];
const exit = insn(0x95);

/** BTF with `int main(void)` (global) at 0 and `int sub(void)` (static) at `sub`. */
function withSub(sub: number): VerifierRequest['progBtf'] {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
  const main = b.add({ kind: 'FUNC', name: 'main', type: proto, linkage: 1 });
  const s = b.add({ kind: 'FUNC', name: 'sub', type: proto, linkage: 0 });
  return progBtfWith(parseBtf(b.encode()), [{ insnOff: 0, typeId: main }, { insnOff: sub, typeId: s }]);
}

function load(insns: number[][], logLevel: number, progBtf?: VerifierRequest['progBtf']): { code: string; log: string } {
  const req: VerifierRequest = {
    progType: 3, expectedAttachType: 0, insns: Uint8Array.from(insns.flat()), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel, logSize: 1 << 20, privileges: root, maps, ...(progBtf === undefined ? {} : { progBtf }),
  };
  try {
    return { code: 'ok', log: verifier.verify(req).log };
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return { code: e.code, log: e.log ?? '' };
  }
}

test('a failed tail call leaves R0 unreadable (RET_VOID)', (t) => {
  const r = load([...tailCall, exit], 1);
  t.is(r.code, 'EACCES');
  t.true(r.log.includes('R0 !read_ok'), r.log);
  t.is(load([...tailCall, insn(0xb7, 0, 0, 0, 1), exit], 1).code, 'ok');
});

test('a tail call in a subprogram also returns to its caller: two paths, 9 insns', (t) => {
  // main: call sub; r0 = 0; exit. sub: tail_call(ctx, jmp_table, 0); exit.
  const prog = [insn(0x85, 0, 1, 0, 2), insn(0xb7, 0, 0, 0, 0), exit, ...tailCall, exit];
  const r = load(prog, 2 | 4, withSub(3));
  t.is(r.code, 'ok');
  t.true(r.log.includes('processed 9 insns'), r.log);
  // The returning path: R0 is the tail-called program's; the failing path goes on at 7 with R0 unset.
  t.true(r.log.includes('to caller at 1:\n R0=scalar() R10=fp0\n1: R0=scalar()\n'), r.log);
  t.true(r.log.includes('\nfrom 6 to 7: frame1: R10=fp0\n'), r.log);
});
