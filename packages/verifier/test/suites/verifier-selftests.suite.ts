// Verdict agreement with the real 6.18 kernel on the verifier corpus (classic + progs):
// cases that need no maps, BTF, kfuncs or attach targets, loaded with the corpus's privileges
// (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN). A case passes when accept/reject equals `kernel.result`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { isBpfError } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';

interface CorpusCase {
  id: string;
  insns: string[] | null;
  prog_type: { number: number };
  expected_attach_type: { number: number } | null;
  license?: string;
  flags?: { prog_flags?: number };
  fixups?: unknown[];
  kfunc_fixups?: unknown[];
  map_relocs?: unknown[];
  btf_id_relocs?: unknown[];
  attach_btf?: unknown;
  attach_btf_func?: unknown;
  btf?: unknown;
  prog_btf?: unknown;
  aux_progs?: unknown[];
  caps_drop?: unknown;
  kernel: { result: string; blocked_before_verifier?: boolean };
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase): boolean {
  return c.insns !== null && (c.kernel.result === 'accept' || c.kernel.result === 'reject') && c.kernel.blocked_before_verifier !== true &&
    ![c.fixups, c.kfunc_fixups, c.map_relocs, c.btf_id_relocs, c.attach_btf, c.attach_btf_func, c.btf, c.prog_btf, c.aux_progs, c.caps_drop].some(nonEmpty);
}

function hexToBytes(insns: readonly string[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((h, i) => { for (let b = 0; b < 8; b++) out[i * 8 + b] = parseInt(h.slice(b * 2, b * 2 + 2), 16); });
  return out;
}

export default async function run(): Promise<SuiteResult | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return undefined;
  const verifier = createVerifier({ progTypes: createProgTypes() });
  const tally = new SuiteTally('verifier-selftests');
  for (const dir of ['classic', 'progs']) {
    for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.json')).sort()) {
      const data = JSON.parse(readFileSync(join(root, dir, file), 'utf8')) as { cases: CorpusCase[] };
      for (const c of data.cases) {
        if (!runnable(c)) { tally.skip(); continue; }
        tally.check(c.id, () => {
          let verdict = 'accept';
          try {
            verifier.verify({
              progType: c.prog_type.number, expectedAttachType: c.expected_attach_type?.number ?? 0,
              insns: hexToBytes(c.insns ?? []), license: c.license ?? 'GPL', gplCompatible: (c.license ?? 'GPL') === 'GPL',
              progFlags: c.flags?.prog_flags ?? 0, logLevel: 0, logSize: 0,
              privileges: { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true },
            });
          } catch (e) {
            if (!isBpfError(e)) throw e;
            verdict = 'reject';
          }
          return verdict === c.kernel.result ? undefined : `kernel ${c.kernel.result}, ours ${verdict}`;
        });
      }
    }
  }
  await Promise.resolve();
  return tally.result();
}
