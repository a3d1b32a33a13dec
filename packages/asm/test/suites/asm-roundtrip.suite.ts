// Every program of the verifier corpus and of the ISA conformance vectors:
// decode → encode gives the same bytes, and disassembly → assembly is the
// identity in both syntaxes. One vector per program.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { assemble, decodeProgram, disassemble, encodeProgram, type Syntax } from '@bpfkit/asm';
import { conformanceVectors, sharedPath, SuiteTally, type SuiteResult } from '@bpfkit/corpus';

interface VerifierCase {
  readonly id: string;
  readonly insns: readonly string[] | null;
  readonly insns_file?: string;
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function firstDiff(a: Uint8Array, b: Uint8Array): string {
  for (let i = 0; i < Math.max(a.length, b.length); i += 8) {
    const x = Buffer.from(a.subarray(i, i + 8)).toString('hex');
    const y = Buffer.from(b.subarray(i, i + 8)).toString('hex');
    if (x !== y) return `slot ${String(i / 8)}: ${x} became ${y}`;
  }
  return 'lengths differ';
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

/** The round trips of one program; a reason string on the first failure. */
export function roundTrip(bytes: Uint8Array): string | undefined {
  const insns = decodeProgram(bytes);
  const encoded = encodeProgram(insns);
  if (!same(bytes, encoded)) return `decode/encode: ${firstDiff(bytes, encoded)}`;
  for (const syntax of ['kernel', 'conformance'] as const satisfies readonly Syntax[]) {
    const text = disassemble(insns, { syntax });
    const again = encodeProgram(assemble(text, { syntax }));
    if (!same(bytes, again)) return `${syntax} text: ${firstDiff(bytes, again)}`;
  }
  return undefined;
}

function verifierPrograms(dir: string): { id: string; bytes: () => Uint8Array }[] {
  const out: { id: string; bytes: () => Uint8Array }[] = [];
  for (const group of ['classic', 'progs']) {
    for (const file of readdirSync(join(dir, group)).filter((f) => f.endsWith('.json')).sort()) {
      const json = JSON.parse(readFileSync(join(dir, group, file), 'utf8')) as { cases: readonly VerifierCase[] };
      for (const c of json.cases) {
        const { insns, insns_file: insnsFile } = c;
        if (insns !== null) out.push({ id: c.id, bytes: () => fromHex(insns.join('')) });
        else if (insnsFile !== undefined) out.push({ id: c.id, bytes: () => Uint8Array.from(gunzipSync(readFileSync(join(dir, group, insnsFile)))) });
      }
    }
  }
  return out;
}

export default function run(): Promise<SuiteResult | undefined> {
  const dir = sharedPath('corpus', 'verifier');
  const vectors = conformanceVectors();
  if (dir === undefined || vectors === undefined) return Promise.resolve(undefined);
  const tally = new SuiteTally('asm-roundtrip');
  for (const program of verifierPrograms(dir)) tally.check(program.id, () => roundTrip(program.bytes()));
  for (const v of vectors) {
    const hex = v.kernel?.insn_hex;
    const bytes = hex !== undefined && hex !== null ? fromHex(hex) : v.raw;
    if (bytes === undefined || bytes.length === 0) {
      tally.skip();
      continue;
    }
    tally.check(`conformance/${v.id}`, () => roundTrip(bytes));
  }
  return Promise.resolve(tally.result());
}
