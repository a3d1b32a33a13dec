import type { Btf } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import { typeLabel } from './btf-util.js';
import { calcRelo, type CoreReloRes } from './calc.js';
import { findCandidates, type CoreCandidateCache } from './candidates.js';
import { CoreFailure } from './failure.js';
import { CoreReloKind, coreReloKindName } from './kinds.js';
import { matchSpec } from './match.js';
import { patchInsn } from './patch.js';
import { formatSpec, parseSpec, type CoreSpec } from './spec.js';

/**
 * One CO-RE relocation of a program (`struct bpf_core_relo`, with the instruction as a slot index).
 *
 * @example
 * const relo: CoreRelocation = { insn: 9, typeId: 14, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET };
 */
export interface CoreRelocation {
  /** Slot index of the instruction in the program's code. */
  readonly insn: number;
  /** Root type id in the local (program) BTF. */
  readonly typeId: number;
  /** `0:1:2`: the access string. */
  readonly accessStr: string;
  /** `enum bpf_core_relo_kind` ({@link CoreReloKind}). */
  readonly kind: number;
}

/**
 * What happened to one relocation.
 *
 * @example
 * const [r] = applyCoreRelocations(code, relos, local, vmlinux, 'handle_exec');
 * if (r?.poisoned) console.warn(r.log.join('\n'));
 */
export interface CoreReloResult {
  /** Position in the relocation list (libbpf's `relo #N`). */
  readonly index: number;
  readonly insn: number;
  readonly kind: number;
  /** libbpf's kind name, e.g. `byte_off`. */
  readonly kindName: string;
  readonly localTypeId: number;
  /** The local access as libbpf formats it: `<byte_off> [14] struct task_struct.pid (0:0 @ offset 0)`. */
  readonly localSpec: string;
  /** Target types that matched (the first one is the one shown in `targetSpec`). */
  readonly targetTypeIds: readonly number[];
  /** The first matching target access, formatted like `localSpec`; absent when none matched. */
  readonly targetSpec: string | undefined;
  /** The value the compiler emitted and the one patched in (u64). */
  readonly origValue: bigint;
  readonly newValue: bigint;
  /** The instruction was replaced by the poison call (`call 0xbad2310`). */
  readonly poisoned: boolean;
  /** libbpf-style debug log lines for this relocation. */
  readonly log: readonly string[];
}

/**
 * Options of {@link applyCoreRelocations}.
 *
 * @example
 * const opts: ApplyCoreOptions = { candidateCache: new Map() };
 */
export interface ApplyCoreOptions {
  /** Shares and narrows candidate lists across calls, as libbpf does within an object. */
  readonly candidateCache?: CoreCandidateCache;
}

const KNOWN_OPTIONS = new Set(['candidateCache']);

interface Resolved {
  res: CoreReloRes;
  local: CoreSpec;
  targetIds: number[];
  targetSpec: CoreSpec | undefined;
}

function resolve(relo: CoreRelocation, local: Btf, target: Btf, cache: CoreCandidateCache, prefix: string, log: string[]): Resolved {
  const localType = local.type(relo.typeId);
  if (localType === undefined || relo.typeId === 0) throw new CoreFailure('EINVAL', 'bad-type', `local type [${relo.typeId}] not found`);
  let spec: CoreSpec;
  try {
    spec = parseSpec(local, relo.typeId, relo.accessStr, relo.kind);
  } catch (e) {
    if (!(e instanceof CoreFailure)) throw e;
    throw new CoreFailure('EINVAL', e.what, `parsing ${typeLabel(local, relo.typeId)} + ${relo.accessStr} failed: ${e.message}`);
  }
  log.push(`${prefix}: ${formatSpec(spec)}`);
  const id = BigInt(spec.rootTypeId);
  if (relo.kind === CoreReloKind.TYPE_ID_LOCAL) {
    return { res: { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0 }, local: spec, targetIds: [], targetSpec: undefined };
  }
  let cands = cache.get(relo.typeId);
  if (cands === undefined) {
    try {
      cands = findCandidates(local, relo.typeId, target, log);
    } catch (e) {
      if (!(e instanceof CoreFailure)) throw e;
      throw new CoreFailure(e.errno, e.what, `target candidate search failed for ${typeLabel(local, relo.typeId)}: ${e.message}`);
    }
    cache.set(relo.typeId, cands);
  }
  if (localType.name === '') {
    throw new CoreFailure('EOPNOTSUPP', 'anon-type', `<${coreReloKindName(relo.kind)}> (${relo.kind}) relocation doesn't support anonymous types`);
  }
  let chosen: { res: CoreReloRes; spec: CoreSpec } | undefined;
  const matched: number[] = [];
  cands.forEach((cand, i) => {
    const targ = matchSpec(spec, target, cand);
    log.push(`${prefix}: ${targ === undefined ? 'non-matching' : 'matching'} candidate #${i} ${targ === undefined ? typeLabel(target, cand) : formatSpec(targ)}`);
    if (targ === undefined) return;
    const res = calcRelo(relo.kind, spec, targ, relo.insn);
    if (chosen === undefined) {
      chosen = { res, spec: targ };
    } else if (targ.bitOffset !== chosen.spec.bitOffset) {
      throw new CoreFailure('EINVAL', 'ambiguous', `field offset ambiguity: ${targ.bitOffset} != ${chosen.spec.bitOffset}`);
    } else if (res.poison !== chosen.res.poison || res.newVal !== chosen.res.newVal) {
      const word = (r: CoreReloRes): string => `${r.poison ? 'failure' : 'success'} ${r.newVal}`;
      throw new CoreFailure('EINVAL', 'ambiguous', `relocation decision ambiguity: ${word(res)} != ${word(chosen.res)}`);
    }
    matched.push(cand);
  });
  if (matched.length > 0) cache.set(relo.typeId, matched);
  if (chosen === undefined) {
    log.push(`${prefix}: no matching targets found`);
    return { res: calcRelo(relo.kind, spec, undefined, relo.insn), local: spec, targetIds: [], targetSpec: undefined };
  }
  return { res: chosen.res, local: spec, targetIds: matched, targetSpec: chosen.spec };
}

function fail(e: CoreFailure, prog: string, index: number, relo: CoreRelocation, local: Btf, log: string[]): BpfError {
  const where = `${typeLabel(local, relo.typeId)} + ${relo.accessStr}`;
  const message = `prog '${prog}': relo #${index}: ${e.message} (${where}): -${e.errno}`;
  log.push(message);
  return new BpfError(e.errno, `libbpf:core-${e.what}`, message, { log: log.join('\n') });
}

/**
 * Applies a program's CO-RE relocations against the target (kernel) BTF, as libbpf's
 * `bpf_object__relocate_core` does: for each relocation, parse the local access, find the
 * target types of the same flavor-less name and kind, match the access in each, require
 * that all matches agree, and patch the instruction (ALU immediate, load/store offset and
 * size, or ld_imm64). A field, type or enumerator the target lacks gives 0 for the
 * existence kinds and poisons the instruction (`call 0xbad2310`) for the others, so the
 * verifier refuses it only if it is reachable.
 *
 * `code` is patched in place. A relocation that cannot be applied at all (bad access
 * string, ambiguous candidates, an instruction that cannot hold the value) throws
 * `BpfError` with libbpf's errno (EINVAL, EOPNOTSUPP, E2BIG, ERANGE), naming the program,
 * the relocation, its type and access string; `.log` has the lines so far.
 *
 * @example
 * const results = applyCoreRelocations(code, [{ insn: 9, typeId: 14, accessStr: '0:0', kind: CoreReloKind.FIELD_BYTE_OFFSET }],
 *   programBtf, vmlinuxBtf, 'handle_exec');
 * console.log(results[0]?.log.join('\n'));
 */
export function applyCoreRelocations(
  code: Uint8Array,
  relos: readonly CoreRelocation[],
  local: Btf,
  target: Btf,
  progName: string,
  options: ApplyCoreOptions = {},
): CoreReloResult[] {
  for (const k of Object.keys(options)) if (!KNOWN_OPTIONS.has(k)) throw new TypeError(`applyCoreRelocations: unknown option ${k}`);
  const cache = options.candidateCache ?? new Map<number, number[]>();
  const slots = Math.floor(code.length / 8);
  const out: CoreReloResult[] = [];
  relos.forEach((relo, index) => {
    const prefix = `prog '${progName}': relo #${index}`;
    const log: string[] = [];
    try {
      if (!Number.isInteger(relo.insn) || relo.insn < 0 || relo.insn >= slots) {
        throw new CoreFailure('EINVAL', 'bad-insn', `insn #${relo.insn} is outside the program's ${slots} instructions`);
      }
      const r = resolve(relo, local, target, cache, prefix, log);
      const patched = patchInsn(code, relo.insn, r.res, prefix);
      log.push(...patched.log);
      out.push({
        index,
        insn: relo.insn,
        kind: relo.kind,
        kindName: coreReloKindName(relo.kind),
        localTypeId: relo.typeId,
        localSpec: formatSpec(r.local),
        targetTypeIds: r.targetIds,
        targetSpec: r.targetSpec === undefined ? undefined : formatSpec(r.targetSpec),
        origValue: r.res.origVal,
        newValue: r.res.newVal,
        poisoned: patched.poisoned,
        log,
      });
    } catch (e) {
      if (e instanceof CoreFailure) throw fail(e, progName, index, relo, local, log);
      throw e;
    }
  });
  return out;
}
