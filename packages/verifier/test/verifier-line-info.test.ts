// `verbose_linfo`: with line_info (a successful load's log is kept at level 2), the log names an instruction's source line before it when
// the line changed, as Linux 6.18 prints it (checked against clang-built objects on the real
// kernel by the cli's elf-verifier-logs suite; these are the rules on small programs).
import test from 'ava';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import { isBpfError, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { funcInfoBytes, userRecords } from '@bpfkit/verifier/testing';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const SOCKET_FILTER = 1;
const unprivileged = { allowPtrLeaks: false, allowUninitStack: false, bypassSpecV1: false, bypassSpecV4: false, bpfCapable: false, perfmonCapable: false };

function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code); b.setUint8(1, (src << 4) | dst); b.setInt16(2, off, true); b.setInt32(4, imm, true);
  return [...new Uint8Array(b.buffer)];
}

const b = new BtfBuilder();
const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
const main = b.add({ kind: 'FUNC', name: 'main', type: proto, linkage: 0 });
const file = b.addString('/home/dev/src/prog.c');
const other = b.addString('other.h');
const l1 = b.addString('\t int x = 0;');
const l2 = b.addString('    return x;');
const btf = parseBtf(b.encode());

/** line_info records: [insn, file, line string, line number, column]. */
function lines(recs: readonly (readonly [number, number, number, number, number])[]): Uint8Array {
  const out = new Uint8Array(recs.length * 16);
  const v = new DataView(out.buffer);
  recs.forEach(([at, f, s, n, col], i) => {
    v.setUint32(i * 16, at, true); v.setUint32(i * 16 + 4, f, true); v.setUint32(i * 16 + 8, s, true); v.setUint32(i * 16 + 12, ((n << 10) | col) >>> 0, true);
  });
  return out;
}

function log(insns: number[][], recs: Parameters<typeof lines>[0], logLevel = 2, privileges = root): string {
  const req: VerifierRequest = {
    progType: SOCKET_FILTER, expectedAttachType: 0, insns: Uint8Array.from(insns.flat()), license: 'GPL', gplCompatible: true,
    progFlags: 0, logLevel, logSize: 1 << 20, privileges,
    progBtf: { btfFd: { btf, isKernel: false }, funcInfo: userRecords(funcInfoBytes([{ insnOff: 0, typeId: main }]), 8), lineInfo: userRecords(lines(recs), 16) },
  };
  try {
    return verifier.verify(req).log;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return e.log ?? '';
  }
}

const prog = [insn(0xb7, 1), insn(0xb7, 0), insn(0x0f, 0, 1), insn(0x95)]; // r1 = 0; r0 = 0; r0 += r1; exit

test('each source line once, before its first instruction: trimmed, with the file\'s base name and the line number', (t) => {
  const out = log(prog, [[0, file, l1, 3, 2], [2, file, l2, 4, 5]]);
  t.true(out.includes([
    '0: R1=ctx() R10=fp0',
    '; int x = 0; @ prog.c:3',
    '0: (b7) r1 = 0                        ; R1=0',
    '1: (b7) r0 = 0                        ; R0=0',
    '; return x; @ prog.c:4',
    '2: (0f) r0 += r1',
  ].join('\n')), out);
});

test('two records of one line (other columns) print it once; the same line of another file prints again', (t) => {
  const same = log(prog, [[0, file, l1, 3, 2], [2, file, l1, 3, 9]]);
  t.is(same.split('\n').filter((l) => l.startsWith('; ')).length, 1, same);
  const elsewhere = log(prog, [[0, file, l1, 3, 2], [2, other, l1, 3, 9]]);
  t.deepEqual(elsewhere.split('\n').filter((l) => l.startsWith('; ')), ['; int x = 0; @ prog.c:3', '; int x = 0; @ other.h:3'], elsewhere);
});

test('no source lines at log level 0 and none without line_info', (t) => {
  t.is(log(prog, [[0, file, l1, 3, 2]], 0), '');
  t.false(log(prog, [], 2).includes(' @ '));
});

test('an unprivileged back-edge names the source lines of both instructions, with their indices', (t) => {
  // 0: r0 = 0; 1: if r0 == 0 goto -2 (back to 0); 2: exit
  const loop = [insn(0xb7), insn(0x15, 0, 0, -2, 0), insn(0x95)];
  const out = log(loop, [[0, file, l1, 3, 2], [1, file, l2, 4, 5]], 1, unprivileged);
  t.true(out.startsWith('1: return x; @ prog.c:4\n0: int x = 0; @ prog.c:3\nback-edge from insn 1 to 0\n'), out);
});
