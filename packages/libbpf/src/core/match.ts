import type { Btf } from '@bpfkit/btf';
import { essentialNameLen } from '@bpfkit/btf';
import { isAnyEnum, isComposite, resolveSize, skipMods } from './btf-util.js';
import { fieldsCompat, typesAreCompat, typesMatch } from './compat.js';
import { CoreFailure } from './failure.js';
import { CoreReloKind, isEnumvalKind, isFieldKind, isTypeKind } from './kinds.js';
import { CORE_SPEC_MAX_LEN, emptySpec, isFlexArray, type CoreAccessor, type CoreSpec } from './spec.js';

const tooDeep = (): CoreFailure => new CoreFailure('E2BIG', 'spec-too-long', `target access is deeper than ${CORE_SPEC_MAX_LEN} steps`);

/**
 * `bpf_core_match_member`: finds the local accessor's member, by exact name, in the target
 * composite `targId`, looking inside anonymous members; pushes the raw indexes walked and the
 * named accessor onto `spec`. Returns the member's type id, or `undefined` when absent or
 * incompatible.
 */
function matchMember(local: Btf, acc: CoreAccessor, targ: Btf, targId: number, spec: CoreSpec): number | undefined {
  const found = skipMods(targ, targId);
  if (found === undefined) throw new CoreFailure('EINVAL', 'bad-type', `target type [${targId}] not found`);
  const t = found.type;
  if (!isComposite(t)) return undefined;
  const lt = local.type(acc.typeId);
  const lm = lt !== undefined && isComposite(lt) ? lt.members[acc.idx] : undefined;
  if (lm === undefined) throw new CoreFailure('EINVAL', 'bad-type', `local member #${acc.idx} of [${acc.typeId}] not found`);
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i];
    if (m === undefined) continue;
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw tooDeep();
    spec.bitOffset += m.bitsOffset;
    spec.raw.push(i);
    if (m.name === '') {
      const inner = matchMember(local, acc, targ, m.type, spec);
      if (inner !== undefined) return inner;
    } else if (m.name === lm.name) {
      if (!fieldsCompat(local, lm.type, targ, m.type)) {
        spec.bitOffset -= m.bitsOffset;
        spec.raw.pop();
        return undefined;
      }
      spec.accessors.push({ typeId: found.id, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitsOffset;
    spec.raw.pop();
  }
  return undefined;
}

function matchEnumval(local: CoreSpec, targ: Btf, targId: number, spec: CoreSpec): CoreSpec | undefined {
  const found = skipMods(targ, targId);
  if (found === undefined || !isAnyEnum(found.type)) return undefined;
  const name = local.accessors[0]?.name ?? '';
  const len = essentialNameLen(name);
  const idx = found.type.values.findIndex((v) => essentialNameLen(v.name) === len && v.name.slice(0, len) === name.slice(0, len));
  if (idx < 0) return undefined;
  spec.accessors.push({ typeId: found.id, idx, name: found.type.values[idx]?.name });
  spec.raw.push(idx);
  return spec;
}

/**
 * `bpf_core_spec_match`: matches a local spec against target candidate `targId`. Returns the
 * target spec, or `undefined` when the candidate does not fit; throws {@link CoreFailure}
 * on broken BTF or a walk that is too deep.
 */
export function matchSpec(local: CoreSpec, targ: Btf, targId: number): CoreSpec | undefined {
  const spec = emptySpec(targ, targId, local.kind);
  if (isTypeKind(local.kind)) {
    const ok = local.kind === CoreReloKind.TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, targ, targId)
      : typesAreCompat(local.btf, local.rootTypeId, targ, targId);
    return ok ? spec : undefined;
  }
  if (isEnumvalKind(local.kind)) return matchEnumval(local, targ, targId, spec);
  if (!isFieldKind(local.kind)) throw new CoreFailure('EINVAL', 'bad-kind', `unknown relocation kind ${local.kind}`);
  let id = targId;
  for (let i = 0; i < local.accessors.length; i++) {
    const acc = local.accessors[i];
    if (acc === undefined) break;
    const cur = skipMods(targ, id);
    if (cur === undefined) throw new CoreFailure('EINVAL', 'bad-type', `target type [${id}] not found`);
    id = cur.id;
    if (acc.name !== undefined) {
      const next = matchMember(local.btf, acc, targ, id, spec);
      if (next === undefined) return undefined;
      id = next;
      continue;
    }
    if (i > 0) {
      const t = cur.type;
      if (t.kind !== 'ARRAY') return undefined;
      if (!isFlexArray(targ, spec.accessors[spec.accessors.length - 1], t.nelems) && acc.idx >= t.nelems) return undefined;
      const elem = skipMods(targ, t.type);
      if (elem === undefined) throw new CoreFailure('EINVAL', 'bad-type', `target array element [${t.type}] not found`);
      id = elem.id;
    }
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw tooDeep();
    spec.accessors.push({ typeId: id, idx: acc.idx, name: undefined });
    spec.raw.push(acc.idx);
    const size = resolveSize(targ, id);
    if (size === undefined) throw new CoreFailure('EINVAL', 'bad-type', `target type [${id}] has no size`);
    spec.bitOffset += acc.idx * size * 8;
  }
  return spec;
}
