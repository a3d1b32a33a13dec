// Verdict agreement with the real 6.18 kernel on the classic verifier selftests that need maps
// without BTF: each fixup kind becomes a map of the type and sizes that test_verifier creates
// (fixup_kinds.json), its fd patched into the ld_imm64 as the harness does. Cases that also need
// BTF, kfuncs, attach targets or an inner map template stay out. A case passes when accept/reject
// equals `kernel.result`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { isBpfError, type VerifierMap } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';

interface FixupKind { map_type_num: number; key_size: number; value_size: number; max_entries: number; map_flags: number; btf_hex?: string }
interface CorpusCase {
  id: string;
  insns: string[] | null;
  prog_type: { number: number };
  expected_attach_type: { number: number } | null;
  license?: string;
  flags?: { prog_flags?: number };
  fixups?: { kind: string; insn_index: number }[];
  kfunc_fixups?: unknown[];
  attach_btf_func?: unknown;
  btf?: unknown;
  kernel: { result: string; blocked_before_verifier?: boolean };
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase, kinds: Readonly<Record<string, FixupKind>>): boolean {
  const fixups = c.fixups ?? [];
  return c.insns !== null && (c.kernel.result === 'accept' || c.kernel.result === 'reject') && c.kernel.blocked_before_verifier !== true &&
    fixups.length > 0 && ![c.kfunc_fixups, c.attach_btf_func, c.btf].some(nonEmpty) &&
    fixups.every((f) => { const k = kinds[f.kind]; return k !== undefined && k.btf_hex === undefined && f.kind !== 'map_in_map'; });
}

/** The instructions with each fixup's map fd in its ld_imm64, and the maps by fd (one per kind, as test_verifier does). */
function patch(c: CorpusCase, kinds: Readonly<Record<string, FixupKind>>): { insns: Uint8Array; maps: Map<number, VerifierMap> } {
  const hex = c.insns ?? [];
  const insns = new Uint8Array(hex.length * 8);
  hex.forEach((h, i) => { for (let b = 0; b < 8; b++) insns[i * 8 + b] = parseInt(h.slice(b * 2, b * 2 + 2), 16); });
  const view = new DataView(insns.buffer);
  const maps = new Map<number, VerifierMap>();
  const fdOf = new Map<string, number>();
  for (const f of c.fixups ?? []) {
    let fd = fdOf.get(f.kind);
    const k = kinds[f.kind];
    if (k === undefined) continue;
    if (fd === undefined) {
      fd = 100 + fdOf.size;
      fdOf.set(f.kind, fd);
      maps.set(fd, { fd, mapType: k.map_type_num, keySize: k.key_size, valueSize: k.value_size, maxEntries: k.max_entries, mapFlags: k.map_flags,
        isMapInMap: false });
    }
    view.setInt32(f.insn_index * 8 + 4, fd, true);
  }
  return { insns, maps };
}

export default async function run(): Promise<SuiteResult | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return undefined;
  const kinds = JSON.parse(readFileSync(join(root, 'fixup_kinds.json'), 'utf8')) as Record<string, FixupKind>;
  const verifier = createVerifier({ progTypes: createProgTypes() });
  const tally = new SuiteTally('verifier-selftests-maps');
  for (const file of readdirSync(join(root, 'classic')).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(join(root, 'classic', file), 'utf8')) as { cases: CorpusCase[] };
    for (const c of data.cases) {
      if (!runnable(c, kinds)) { tally.skip(); continue; }
      tally.check(c.id, () => {
        const { insns, maps } = patch(c, kinds);
        let verdict = 'accept';
        try {
          verifier.verify({
            progType: c.prog_type.number, expectedAttachType: c.expected_attach_type?.number ?? 0, insns, maps,
            license: c.license ?? 'GPL', gplCompatible: (c.license ?? 'GPL') === 'GPL', progFlags: c.flags?.prog_flags ?? 0, logLevel: 0, logSize: 0,
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
  await Promise.resolve();
  return tally.result();
}
