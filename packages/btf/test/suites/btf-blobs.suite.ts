import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { dumpC, dumpRaw, encodeBtf, parseBtf } from '@bpfkit/btf';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';

interface Blob {
  readonly vector: string;
  readonly hex: string;
}

function collect(dir: string): Blob[] {
  const blobs: Blob[] = [];
  for (const file of readdirSync(join(dir, 'progs')).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(join(dir, 'progs', file), 'utf8')) as { btf_blobs?: Record<string, string> };
    for (const [key, hex] of Object.entries(data.btf_blobs ?? {})) blobs.push({ vector: `progs/${file}#${key}`, hex });
  }
  for (const file of readdirSync(join(dir, 'classic')).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(join(dir, 'classic', file), 'utf8')) as { cases?: { id: string; btf?: { hex?: string } | null }[] };
    for (const c of data.cases ?? []) if (typeof c.btf?.hex === 'string') blobs.push({ vector: c.id, hex: c.btf.hex });
  }
  const kinds = JSON.parse(readFileSync(join(dir, 'fixup_kinds.json'), 'utf8')) as Record<string, { btf_hex?: string }>;
  for (const [kind, spec] of Object.entries(kinds)) if (typeof spec.btf_hex === 'string') blobs.push({ vector: `fixup_kinds#${kind}`, hex: spec.btf_hex });
  return blobs;
}

/** Every BTF blob of the verifier corpus parses, validates, dumps and re-encodes to the same bytes. */
export default function run(): Promise<SuiteResult | undefined> {
  const dir = sharedPath('corpus', 'verifier');
  if (dir === undefined) return Promise.resolve(undefined);
  const tally = new SuiteTally('btf-blobs');
  for (const b of collect(dir)) {
    tally.check(b.vector, () => {
      const bytes = new Uint8Array(Buffer.from(b.hex, 'hex'));
      const btf = parseBtf(bytes, { logLevel: 1 });
      dumpRaw(btf);
      dumpC(btf);
      const again = encodeBtf(btf);
      return Buffer.compare(Buffer.from(again), Buffer.from(bytes)) === 0 ? undefined : 'round trip differs';
    });
  }
  return Promise.resolve(tally.result());
}
