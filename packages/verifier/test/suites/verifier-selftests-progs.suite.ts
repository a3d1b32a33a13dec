// Verdict agreement with the real 6.18 kernel on the progs/ verifier selftests that the main suite
// skips only because libbpf loaded them with program BTF (func_info/line_info) or plain maps:
// the BTF is given to the verifier only as func_info (function starts and linkage), maps are created with the types
// and sizes libbpf used and their fds patched in as `map_relocs` says. Cases needing BTF-typed map
// values, kfuncs/ksyms, attach targets, auxiliary programs or dropped capabilities stay out.
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import type { VerifierMap } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { caseFuncInfo, casesWithBlobs, hasVerdict, hexToBytes, verdictMismatch, type CaseCore } from './verdict.js';

interface CorpusMap {
  id: string; map_type_num: number; key_size: number; value_size: number; max_entries: number; map_flags: number;
  btf_value_type_id?: number; inner?: unknown; btf_vmlinux_value_type?: unknown;
}
interface CorpusCase extends CaseCore {
  maps?: CorpusMap[];
  map_relocs?: { insn_index: number; map: string }[];
  prog_btf?: unknown;
  btf_id_relocs?: unknown[];
  attach_btf?: unknown;
  aux_progs?: unknown[];
  caps_drop?: unknown;
  func_info_hex?: string;
  func_info_rec_size?: number;
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase): boolean {
  if (!hasVerdict(c)) return false;
  if ([c.btf_id_relocs, c.attach_btf, c.aux_progs, c.caps_drop].some(nonEmpty)) return false;
  if ((c.maps ?? []).some((m) => m.btf_value_type_id !== undefined || m.inner !== undefined || m.btf_vmlinux_value_type !== undefined)) return false;
  // Cases with neither program BTF nor maps are the main suite's.
  return nonEmpty(c.prog_btf) || nonEmpty(c.map_relocs);
}

function patch(c: CorpusCase): { insns: Uint8Array; maps: Map<number, VerifierMap> } {
  const insns = hexToBytes(c.insns ?? []);
  const view = new DataView(insns.buffer);
  const maps = new Map<number, VerifierMap>();
  const fdOf = new Map<string, number>();
  (c.maps ?? []).forEach((m, i) => {
    const fd = 100 + i;
    fdOf.set(m.id, fd);
    maps.set(fd, { fd, mapType: m.map_type_num, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, mapFlags: m.map_flags,
      isMapInMap: false });
  });
  for (const r of c.map_relocs ?? []) view.setInt32(r.insn_index * 8 + 4, fdOf.get(r.map) ?? -1, true);
  return { insns, maps };
}

export default async function run(): Promise<SuiteResult | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return undefined;
  const verifier = createVerifier({ progTypes: createProgTypes() });
  const tally = new SuiteTally('verifier-selftests-progs');
  for (const { c, blobs } of casesWithBlobs<CorpusCase>(root, 'progs')) {
    if (!runnable(c)) { tally.skip(); continue; }
    tally.check(c.id, () => {
      const { insns, maps } = patch(c);
      // The func_info libbpf passed (callbacks need it), with each function's linkage from the program BTF.
      return verdictMismatch(verifier, c, insns, maps, caseFuncInfo(c, blobs));
    });
  }
  await Promise.resolve();
  return tally.result();
}
