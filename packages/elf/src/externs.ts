import type { Btf, BtfType } from '@bpfkit/btf';
import { BpfError } from '@bpfkit/kernel-api';
import { elfError } from './errors.js';

/**
 * How libbpf writes a `.kconfig` value into the extern's slot (`enum kcfg_type`):
 * `bool` (1 byte, `_Bool`), `tristate` (`enum libbpf_tristate`), `char`, `char-array`
 * (a string) or `int` (1, 2, 4 or 8 bytes, see `signed`).
 *
 * @example
 * spec.externs.find((e) => e.name === 'CONFIG_HZ')?.kcfgType; // 'int'
 */
export type KcfgType = 'bool' | 'tristate' | 'char' | 'char-array' | 'int';

/** What BTF says about one extern, beyond its kind. @example { btfId: 7, size: 4, align: 4, kcfgType: 'int', signed: false } */
export interface ExternDetails {
  /** The VAR (or FUNC for a kfunc) in the object's BTF. */
  readonly btfId: number;
  /** `.kconfig` and typed `.ksyms` variables: the value's size. */
  readonly size?: number;
  /** `.kconfig`: the value's alignment (the slot's place in the `.kconfig` map follows it). */
  readonly align?: number;
  readonly kcfgType?: KcfgType;
  /** `.kconfig` `int`/`char`: the BTF INT is signed. */
  readonly signed?: boolean;
  /** `.ksyms` variable declared `void` (resolved through kallsyms, not BTF). */
  readonly typeless?: boolean;
  /** `.ksyms` typed variable: its type with typedefs and qualifiers peeled. */
  readonly ksymTypeId?: number;
  /** kfunc: its FUNC_PROTO. */
  readonly funcProtoId?: number;
}

function skipMods(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let cur = id;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(cur);
    if (t === undefined || (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG')) {
      return { id: cur, t };
    }
    cur = t.type;
  }
  throw elfError('bad-extern', `BTF type ${String(id)} has too many modifiers`);
}

const BTF_INT_SIGNED = 1;
const BTF_INT_BOOL = 4;

/** libbpf's `find_kcfg_type`, as a value or `undefined` for what it calls unknown. */
function kcfgType(btf: Btf, id: number): { type: KcfgType; signed: boolean } | undefined {
  const t = skipMods(btf, id).t;
  if (t === undefined) return undefined;
  switch (t.kind) {
    case 'INT': {
      if ((t.encoding & BTF_INT_BOOL) !== 0) return t.size === 1 ? { type: 'bool', signed: false } : undefined;
      const signed = (t.encoding & BTF_INT_SIGNED) !== 0;
      if (t.size === 1) return { type: 'char', signed };
      if (t.size !== 2 && t.size !== 4 && t.size !== 8) return undefined;
      return { type: 'int', signed };
    }
    case 'ENUM':
      return t.size === 4 && t.name === 'libbpf_tristate' ? { type: 'tristate', signed: false } : undefined;
    case 'ENUM64':
      return t.name === 'libbpf_tristate' ? { type: 'tristate', signed: false } : undefined;
    case 'ARRAY':
      return t.nelems !== 0 && kcfgType(btf, t.type)?.type === 'char' ? { type: 'char-array', signed: false } : undefined;
    default:
      return undefined;
  }
}

function alignOf(btf: Btf, id: number, depth = 0): number {
  const t = skipMods(btf, id).t;
  if (t === undefined || depth > 32) return 1;
  switch (t.kind) {
    case 'INT': case 'ENUM': case 'ENUM64': case 'FLOAT': return Math.min(t.size, 8);
    case 'PTR': return 8;
    case 'ARRAY': return alignOf(btf, t.type, depth + 1);
    case 'STRUCT': case 'UNION': return t.members.reduce((a, m) => Math.max(a, alignOf(btf, m.type, depth + 1)), 1);
    default: return 1;
  }
}

/**
 * The details libbpf's `bpf_object__collect_externs` reads from BTF for one
 * extern: a `.kconfig` value's size, alignment and kind (an unsupported type is
 * EOPNOTSUPP, an unsized one EINVAL); a `.ksyms` variable's type (or that it is
 * typeless); a kfunc's prototype. A function under `.kconfig` is EOPNOTSUPP.
 *
 * @example
 * externDetails(btf, 'kconfig', varId); // { btfId: varId, size: 4, align: 4, kcfgType: 'int', signed: false }
 */
export function externDetails(btf: Btf, section: 'kconfig' | 'ksym', id: number): ExternDetails {
  const t = btf.type(id);
  if (t?.kind === 'FUNC') {
    if (section === 'kconfig') throw new BpfError('EOPNOTSUPP', 'elf:kconfig-func', `extern function ${t.name} is unsupported under .kconfig section`);
    const proto = btf.type(t.type);
    if (proto?.kind !== 'FUNC_PROTO') throw elfError('bad-extern', `extern function ${t.name}: type ${String(t.type)} is not a FUNC_PROTO`);
    return { btfId: id, funcProtoId: t.type };
  }
  if (t?.kind !== 'VAR') throw elfError('bad-extern', `extern type ${String(id)} is neither VAR nor FUNC`);
  if (section === 'kconfig') {
    const size = btf.size(t.type);
    if (size === undefined || size === 0) throw elfError('bad-extern', `failed to resolve size of extern (kcfg) '${t.name}'`);
    const kind = kcfgType(btf, t.type);
    if (kind === undefined) throw new BpfError('EOPNOTSUPP', 'elf:kconfig-type', `extern (kcfg) '${t.name}': type is unsupported`);
    return { btfId: id, size, align: alignOf(btf, t.type), kcfgType: kind.type, signed: kind.signed };
  }
  const target = skipMods(btf, t.type);
  if (target.id === 0) return { btfId: id, typeless: true };
  const size = btf.size(target.id);
  return { btfId: id, typeless: false, ksymTypeId: target.id, ...(size === undefined ? {} : { size }) };
}
