// may_goto (BPF_JMP | BPF_JCOND): loops bounded by the kernel's budget. The verdicts, errnos, messages
// and processed counts below were recorded on Linux 6.18 for the same instructions.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { isBpfError, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { withoutPreamble } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };

function load(insns: Uint8Array): { code: string; line: string; processed: string } {
  const req: VerifierRequest = { progType: 1, expectedAttachType: 0, insns, license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 2,
    logSize: 1 << 20, privileges: root };
  let code = 'ok', log: string;
  try {
    log = verifier.verify(req).log;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    code = e.code;
    log = e.log ?? '';
  }
  const lines = withoutPreamble(log.split('\n').filter((l) => l !== ''));
  const processed = lines.find((l) => l.startsWith('processed ')) ?? '';
  return { code, line: code === 'ok' ? '' : lines.filter((l) => !l.startsWith('processed ')).at(-1) ?? '', processed: processed.split(' ').slice(0, 2).join(' ') };
}
const text = (t: string): Uint8Array => encodeProgram(assemble(t));
const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

test('a loop with no other bound ends where the budget runs out', (t) => {
  t.deepEqual(load(text('r0 = 0\nl:\nmay_goto out\nr0 += 1\ngoto l\nout:\nexit')), { code: 'ok', line: '', processed: 'processed 14' });
});

test('a counted loop is walked to its bound, one pass per may_goto depth', (t) => {
  t.deepEqual(load(text('r1 = 0\nl:\nmay_goto out\nr1 += 1\nif r1 < 1000 goto l\nout:\nr0 = r1\nexit')),
    { code: 'ok', line: '', processed: 'processed 5003' });
});

test('may_goto takes no registers, no immediate and no 32-bit form', (t) => {
  // code e5 with imm 1; with dst r1; with src 1; and the JMP32 encoding e6.
  t.deepEqual(load(hex('e500010001000000b7000000000000009500000000000000')), { code: 'EINVAL', line: 'invalid may_goto imm 1', processed: 'processed 1' });
  t.deepEqual(load(hex('e501010000000000b7000000000000009500000000000000')), { code: 'EINVAL', line: 'invalid may_goto imm 0', processed: 'processed 1' });
  t.deepEqual(load(hex('e510010000000000b7000000000000009500000000000000')), { code: 'EINVAL', line: 'invalid may_goto imm 0', processed: 'processed 1' });
  t.deepEqual(load(hex('e600010000000000b7000000000000009500000000000000')), { code: 'EINVAL', line: 'unknown opcode e6', processed: 'processed 0' });
});
