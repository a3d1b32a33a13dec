import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

const INT_ENCODING: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };
const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

const q = (s: string): string => `'${s === '' ? '(anon)' : s}'`;

/** One type as `bpftool btf dump` prints it (members on following tab-indented lines). */
export function dumpRawType(btf: Btf, t: BtfType): string {
  const head = `[${t.id}] ${t.kind === 'VOID' ? 'UNKNOWN' : t.kind} ${q(t.name)}`;
  switch (t.kind) {
    case 'VOID':
      return head;
    case 'INT':
      return `${head} size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.bits} encoding=${INT_ENCODING[t.encoding] ?? 'UNKN'}`;
    case 'PTR':
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
      return `${head} type_id=${t.type}`;
    case 'TYPE_TAG':
      return `${head} type_id=${t.type}${t.kflag ? ' kind_flag=1' : ''}`;
    case 'ARRAY':
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'STRUCT':
    case 'UNION':
      return (
        `${head} size=${t.size} vlen=${t.members.length}` +
        t.members
          .map((m) => `\n\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitsOffset}${m.bitfieldSize !== 0 ? ` bitfield_size=${m.bitfieldSize}` : ''}`)
          .join('')
      );
    case 'ENUM':
      return (
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}` +
        t.values.map((v) => `\n\t${q(v.name)} val=${v.value}`).join('')
      );
    case 'ENUM64':
      return (
        `${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}` +
        t.values.map((v) => `\n\t${q(v.name)} val=${v.value}${t.signed ? 'LL' : 'ULL'}`).join('')
      );
    case 'FWD':
      return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 'FUNC':
      return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'FUNC_PROTO':
      return `${head} ret_type_id=${t.type} vlen=${t.params.length}` + t.params.map((p) => `\n\t${q(p.name)} type_id=${p.type}`).join('');
    case 'VAR':
      return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? '(unknown)'}`;
    case 'DATASEC':
      return (
        `${head} size=${t.size} vlen=${t.vars.length}` +
        t.vars
          .map((v) => {
            const vt = btf.type(v.type);
            return `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vt?.kind ?? 'UNKNOWN'} ${q(vt?.name ?? '')})`;
          })
          .join('')
      );
    case 'FLOAT':
      return `${head} size=${t.size}`;
    case 'DECL_TAG':
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}${t.kflag ? ' kind_flag=1' : ''}`;
  }
}

/**
 * The whole BTF as `bpftool btf dump file X` (format raw) prints it.
 *
 * @example
 * dumpRaw(btf).split('\n')[0]; // "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED"
 */
export function dumpRaw(btf: Btf): string {
  let out = '';
  for (const t of btf.types) out += dumpRawType(btf, t) + '\n';
  return out;
}

/** The raw dump as JSON-ready objects (`bpftool -j btf dump`-like: the parsed types). */
export function dumpJson(btf: Btf): unknown[] {
  return btf.types.map((t) => JSON.parse(JSON.stringify(t, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown);
}
