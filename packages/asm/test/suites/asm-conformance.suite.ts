// Every conformance vector's `-- asm` assembles to exactly its expected bytes
// (`-- raw` when present, else the kernel observation's insn_hex). Vectors
// with assembly but no expected program (bpf_conformance/negative assembler
// errors) must fail with a BpfError.
import { assemble, encodeHex } from '@bpfkit/asm';
import { isBpfError } from '@bpfkit/kernel-api';
import { conformanceVectors, SuiteTally, type SuiteResult } from '@bpfkit/corpus';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export default function run(): Promise<SuiteResult | undefined> {
  const vectors = conformanceVectors();
  if (vectors === undefined) return Promise.resolve(undefined);
  const tally = new SuiteTally('asm-conformance');
  for (const v of vectors) {
    const expected = v.raw !== undefined ? hex(v.raw) : (v.kernel?.insn_hex ?? undefined);
    const isAssemblerNegative = v.id.includes('/negative/') && expected === undefined && v.kernel?.kernel.status === 'not_run';
    if (isAssemblerNegative) {
      tally.check(v.id, () => {
        try {
          assemble(v.asm ?? '', { syntax: 'conformance' });
          return 'assembled, but the vector expects an assembler error';
        } catch (e) {
          return isBpfError(e, 'EINVAL') && e.message !== '' ? undefined : `threw a non-BpfError: ${String(e)}`;
        }
      });
      continue;
    }
    if (v.asm === undefined || expected === undefined) {
      tally.skip();
      continue;
    }
    const text = v.asm;
    tally.check(v.id, () => {
      const got = encodeHex(assemble(text, { syntax: 'conformance' }));
      if (got === expected) return undefined;
      for (let i = 0; i < Math.max(got.length, expected.length); i += 16) {
        if (got.slice(i, i + 16) !== expected.slice(i, i + 16)) {
          return `slot ${String(i / 16)}: expected ${expected.slice(i, i + 16)}, got ${got.slice(i, i + 16)}`;
        }
      }
      return 'length differs';
    });
  }
  return Promise.resolve(tally.result());
}
