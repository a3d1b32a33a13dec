// The flow dissector's `flow_keys` context field is a pointer to `struct bpf_flow_keys`
// (PTR_TO_FLOW_KEYS): reads and writes inside its 56 bytes, moved only by a known constant.
// Each verdict, error line and processed count is what Linux 6.18 answered for the same program.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const FLOW_DISSECTOR = 22;

function load(text: string): string {
  const req: VerifierRequest = { progType: FLOW_DISSECTOR, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL',
    gplCompatible: true, progFlags: 0, logLevel: 1, logSize: 1 << 20, privileges: root };
  try {
    return `ok ${String(verifier.verify(req).stats.insnProcessed)}`;
  } catch (e) {
    const lines = ((e as { log?: string }).log ?? '').split('\n').filter((l) => l !== '');
    return `${(e as { code: string }).code} ${lines.at(-2) ?? ''}`;
  }
}

test('flow_keys: reads and writes inside the struct, after a known move too', (t) => {
  t.is(load('r7 = *(u64 *)(r1 +144)\nr0 = *(u16 *)(r7 +0)\nr0 = 0\nexit'), 'ok 4');
  t.is(load('r7 = *(u64 *)(r1 +144)\nr7 += 8\nr0 = *(u32 *)(r7 +0)\n*(u16 *)(r7 +0) = r0\nr0 = 0\nexit'), 'ok 6');
});

test('flow_keys: past the end, and a variable move, are refused', (t) => {
  t.is(load('r7 = *(u64 *)(r1 +144)\nr0 = *(u32 *)(r7 +56)\nr0 = 0\nexit'), 'EACCES invalid access to flow keys off=56 size=4');
  t.is(load('r7 = *(u64 *)(r1 +144)\nr0 = *(u32 *)(r7 +0)\nr7 += r0\nr0 = 0\nexit'), 'EACCES R7 pointer arithmetic on flow_keys prohibited');
});
