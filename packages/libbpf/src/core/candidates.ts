import type { Btf } from '@bpfkit/btf';
import { essentialNameLen } from '@bpfkit/btf';
import { kindsCompat, typeLabel } from './btf-util.js';
import { CoreFailure } from './failure.js';

/**
 * Candidate target types per local type id, shared by the relocations of one object
 * (libbpf's `cand_cache`): found once by name, then narrowed to those that matched each
 * relocation.
 *
 * @example
 * const cache: CoreCandidateCache = new Map();
 * applyCoreRelocations(code1, relos1, local, target, 'a', { candidateCache: cache });
 * applyCoreRelocations(code2, relos2, local, target, 'b', { candidateCache: cache });
 */
export type CoreCandidateCache = Map<number, number[]>;

/**
 * `bpf_core_find_cands`: the target types of the local type's kind (either enum width for
 * enums) whose names equal its name once `___flavor` suffixes are dropped on both sides.
 * Anonymous or unknown local types are EINVAL.
 */
export function findCandidates(local: Btf, localId: number, target: Btf, log: string[]): number[] {
  const lt = local.type(localId);
  if (lt === undefined) throw new CoreFailure('EINVAL', 'bad-type', `local type [${localId}] not found`);
  if (lt.name === '') throw new CoreFailure('EINVAL', 'anon-type', `local type ${typeLabel(local, localId)} is anonymous`);
  const len = essentialNameLen(lt.name);
  const want = lt.name.slice(0, len);
  const out: number[] = [];
  for (let id = 1; id < target.nrTypes; id++) {
    const t = target.type(id);
    if (t === undefined || t.name === '' || !kindsCompat(t, lt)) continue;
    if (essentialNameLen(t.name) !== len || !t.name.startsWith(want)) continue;
    log.push(`CO-RE relocating ${typeLabel(local, localId)}: found target candidate ${typeLabel(target, id)} in [vmlinux]`);
    out.push(id);
  }
  return out;
}
