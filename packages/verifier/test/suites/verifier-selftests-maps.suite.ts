// Verdict agreement with the real 6.18 kernel on the classic verifier selftests that need maps
// without BTF: each fixup kind becomes a map of the type and sizes that test_verifier creates
// (fixup_kinds.json), its fd patched into the ld_imm64 as the harness does. Cases that also need
// BTF, kfuncs, attach targets or an inner map template stay out. A case passes when accept/reject
// equals `kernel.result`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import type { VerifierMap } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { casesIn, hasVerdict, hexToBytes, verdictMismatch, type CaseCore } from './verdict.js';

interface FixupKind { map_type_num: number; key_size: number; value_size: number; max_entries: number; map_flags: number; btf_hex?: string }
interface CorpusCase extends CaseCore {
  fixups?: { kind: string; insn_index: number }[];
  kfunc_fixups?: unknown[];
  attach_btf_func?: unknown;
  btf?: unknown;
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase, kinds: Readonly<Record<string, FixupKind>>): boolean {
  const fixups = c.fixups ?? [];
  return hasVerdict(c) &&
    fixups.length > 0 && ![c.kfunc_fixups, c.attach_btf_func, c.btf].some(nonEmpty) &&
    fixups.every((f) => { const k = kinds[f.kind]; return k !== undefined && k.btf_hex === undefined && f.kind !== 'map_in_map'; });
}

/** The instructions with each fixup's map fd in its ld_imm64, and the maps by fd (one per kind, as test_verifier does). */
function patch(c: CorpusCase, kinds: Readonly<Record<string, FixupKind>>): { insns: Uint8Array; maps: Map<number, VerifierMap> } {
  const insns = hexToBytes(c.insns ?? []);
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
  for (const c of casesIn<CorpusCase>(root, 'classic')) {
    if (!runnable(c, kinds)) { tally.skip(); continue; }
    tally.check(c.id, () => {
      const { insns, maps } = patch(c, kinds);
      return verdictMismatch(verifier, c, insns, maps);
    });
  }
  await Promise.resolve();
  return tally.result();
}
