// Verdict agreement with the real 6.18 kernel on the progs/ verifier selftests that the main suite
// skips only because libbpf loaded them with program BTF (func_info/line_info) or plain maps:
// the BTF is not given to the verifier (it does not use it yet), maps are created with the types
// and sizes libbpf used and their fds patched in as `map_relocs` says. Cases needing BTF-typed map
// values, kfuncs/ksyms, attach targets, auxiliary programs or dropped capabilities stay out.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { isBpfError, type VerifierMap } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';

interface CorpusMap {
  id: string; map_type_num: number; key_size: number; value_size: number; max_entries: number; map_flags: number;
  btf_value_type_id?: number; inner?: unknown; btf_vmlinux_value_type?: unknown;
}
interface CorpusCase {
  id: string;
  insns: string[] | null;
  prog_type: { number: number };
  expected_attach_type: { number: number } | null;
  license?: string;
  flags?: { prog_flags?: number };
  maps?: CorpusMap[];
  map_relocs?: { insn_index: number; map: string }[];
  prog_btf?: unknown;
  btf_id_relocs?: unknown[];
  attach_btf?: unknown;
  aux_progs?: unknown[];
  caps_drop?: unknown;
  kernel: { result: string; blocked_before_verifier?: boolean };
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase): boolean {
  if (c.insns === null || !(c.kernel.result === 'accept' || c.kernel.result === 'reject') || c.kernel.blocked_before_verifier === true) return false;
  if ([c.btf_id_relocs, c.attach_btf, c.aux_progs, c.caps_drop].some(nonEmpty)) return false;
  if ((c.maps ?? []).some((m) => m.btf_value_type_id !== undefined || m.inner !== undefined || m.btf_vmlinux_value_type !== undefined)) return false;
  // Cases with neither program BTF nor maps are the main suite's.
  return nonEmpty(c.prog_btf) || nonEmpty(c.map_relocs);
}

function patch(c: CorpusCase): { insns: Uint8Array; maps: Map<number, VerifierMap> } {
  const hex = c.insns ?? [];
  const insns = new Uint8Array(hex.length * 8);
  hex.forEach((h, i) => { for (let b = 0; b < 8; b++) insns[i * 8 + b] = parseInt(h.slice(b * 2, b * 2 + 2), 16); });
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
  for (const file of readdirSync(join(root, 'progs')).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(join(root, 'progs', file), 'utf8')) as { cases: CorpusCase[] };
    for (const c of data.cases) {
      if (!runnable(c)) { tally.skip(); continue; }
      tally.check(c.id, () => {
        const { insns, maps } = patch(c);
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
