import type { Btf, BtfType } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';

const U32_MAX = 0xffff_ffff;

function forwards(t: BtfType): t is Extract<BtfType, { type: number }> & { kind: 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG' | 'VAR' } {
  return t.kind === 'TYPEDEF' || t.kind === 'VOLATILE' || t.kind === 'CONST' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG' || t.kind === 'VAR';
}

const sizers = new WeakMap<Btf, (id: number) => number | undefined>();

/**
 * `btf.size(id)` with every type on the way remembered. Unvalidated BTF resolves sizes on
 * demand, walking modifier and array chains each time; an object whose variables or maps
 * all name types deep in one long chain would walk it once per variable (quadratic). The
 * answers (and errors: loops, dangling ids, unsized array elements, sizes past U32_MAX) are
 * those of `btf.size`.
 *
 * @example
 * typeSize(btf, varTypeId); // 4
 */
export function typeSize(btf: Btf, id: number): number | undefined {
  let sizer = sizers.get(btf);
  if (sizer === undefined) {
    sizer = memoSizer(btf);
    sizers.set(btf, sizer);
  }
  return sizer(id);
}

function memoSizer(btf: Btf): (id: number) => number | undefined {
  const cache = new Map<number, number | undefined>();
  return (id) => {
    const path: { id: number; t: BtfType }[] = [];
    const onPath = new Set<number>();
    let cur = id;
    let size: number | undefined;
    for (;;) {
      if (cache.has(cur)) {
        size = cache.get(cur);
        break;
      }
      const t = btf.type(cur);
      if (t === undefined) {
        const from = path.at(-1);
        if (from === undefined) return undefined;
        throw new BpfError('EINVAL', 'btf:invalid-type-id', `[${String(from.id)}] refers to type id ${String(cur)}, which does not exist`);
      }
      if (!forwards(t) && t.kind !== 'ARRAY') {
        size = btf.size(cur);
        cache.set(cur, size);
        break;
      }
      if (onPath.has(cur)) throw new BpfError('ELOOP', 'btf:loop', `[${String(id)}] type chain loops back on itself`);
      onPath.add(cur);
      path.push({ id: cur, t });
      cur = t.type;
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const step = path[i];
      if (step === undefined) continue;
      if (step.t.kind === 'ARRAY') {
        if (size === undefined) throw new BpfError('EINVAL', 'btf:unsized-elem', `[${String(step.id)}] array element [${String(step.t.type)}] has no size`);
        const n = step.t.nelems;
        if (n !== 0 && size > Math.floor(U32_MAX / n)) throw new BpfError('E2BIG', 'btf:array-too-big', `[${String(step.id)}] array size overflows U32_MAX`);
        size *= n;
      }
      cache.set(step.id, size);
    }
    return size;
  };
}
