// Verdict agreement with the real 6.18 kernel on the verifier corpus (classic + progs):
// cases that need no maps, BTF, kfuncs or attach targets, loaded with the corpus's privileges
// (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN). A case passes when accept/reject equals `kernel.result`.
import { SuiteTally, sharedPath, type SuiteResult } from '@bpfkit/corpus';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { casesIn, classicFuncInfo, hasVerdict, hexToBytes, verdictMismatch, type CaseCore } from './verdict.js';

interface CorpusCase extends CaseCore {
  fixups?: unknown[];
  kfunc_fixups?: unknown[];
  map_relocs?: unknown[];
  btf_id_relocs?: unknown[];
  attach_btf?: unknown;
  attach_btf_func?: unknown;
  btf?: unknown;
  func_info?: unknown;
  prog_btf?: unknown;
  aux_progs?: unknown[];
  caps_drop?: unknown;
}

const nonEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null);

function runnable(c: CorpusCase): boolean {
  // A classic case whose BTF only gives func_info (callbacks) is loaded with that func_info.
  const btfOk = !nonEmpty(c.btf) || classicFuncInfo(c) !== undefined;
  return hasVerdict(c) && btfOk &&
    ![c.fixups, c.kfunc_fixups, c.map_relocs, c.btf_id_relocs, c.attach_btf, c.attach_btf_func, c.prog_btf, c.aux_progs, c.caps_drop].some(nonEmpty);
}

export default async function run(): Promise<SuiteResult | undefined> {
  const root = sharedPath('corpus', 'verifier');
  if (root === undefined) return undefined;
  const verifier = createVerifier({ progTypes: createProgTypes() });
  const tally = new SuiteTally('verifier-selftests');
  for (const dir of ['classic', 'progs']) {
    for (const c of casesIn<CorpusCase>(root, dir)) {
      if (!runnable(c)) tally.skip();
      else tally.check(c.id, () => verdictMismatch(verifier, c, hexToBytes(c.insns ?? []), undefined, classicFuncInfo(c)));
    }
  }
  await Promise.resolve();
  return tally.result();
}
