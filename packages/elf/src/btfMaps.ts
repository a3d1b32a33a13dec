import type { Btf, BtfType } from '@bpfkit/btf';
import { typeSize } from './btfSize.js';
import { elfError } from './errors.js';
import type { StructOpsSpec } from './structOps.js';

/**
 * A map as its `.maps` BTF definition describes it (libbpf's `btf_map_def`).
 *
 * @example
 * loadObjectSpec(bytes).maps[0]; // { name: 'counts', type: 1, keySize: 4, valueSize: 8, maxEntries: 1024, … }
 */
export interface MapSpec {
  readonly name: string;
  /** `enum bpf_map_type`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly numaNode: number;
  readonly mapExtra: number;
  /** `LIBBPF_PIN_NONE` 0 / `LIBBPF_PIN_BY_NAME` 1. */
  readonly pinning: number;
  /** BTF ids of `__type(key, …)` / `__type(value, …)`, 0 when sizes were given with `__uint`. */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /** For map-in-map: the inner map template from `__array(values, …)`. */
  readonly inner: MapSpec | undefined;
  /** For prog arrays: `__array(values, …)` of a function prototype. */
  readonly valuesAreProgs: boolean;
  /** Declarative `.values = { [i] = &map_or_prog }` slots, by index. */
  readonly initialValues: readonly MapSlotSpec[];
  /** `.struct_ops` / `.struct_ops.link` maps: the struct value and which member runs which program. */
  readonly structOps?: StructOpsSpec;
}

/** One declared slot of a prog array or map-in-map: a program or a map, by name. @example { index: 1, target: 'tail_prog' } */
export interface MapSlotSpec {
  readonly index: number;
  readonly target: string;
}

/** Peels typedefs and qualifiers. */
function skipMods(btf: Btf, id: number): { id: number; t: BtfType | undefined } {
  let cur = id;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(cur);
    if (t === undefined) return { id: cur, t };
    if (t.kind === 'TYPEDEF' || t.kind === 'VOLATILE' || t.kind === 'CONST' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG') {
      cur = t.type;
      continue;
    }
    return { id: cur, t };
  }
  throw elfError('bad-map-def', `BTF type ${String(id)} has too many modifiers`);
}

/** `__uint(name, N)` is `int (*name)[N]`: the value is the array's element count. */
function uintMember(btf: Btf, map: string, field: string, typeId: number): number {
  const ptr = skipMods(btf, typeId).t;
  if (ptr?.kind !== 'PTR') throw elfError('bad-map-def', `map '${map}': attr '${field}': expected PTR, got ${ptr?.kind ?? 'nothing'}`);
  const arr = skipMods(btf, ptr.type).t;
  if (arr?.kind !== 'ARRAY') throw elfError('bad-map-def', `map '${map}': attr '${field}': expected ARRAY, got ${arr?.kind ?? 'nothing'}`);
  return arr.nelems;
}

/** `__type(name, T)` is `T *name`: the pointee's id and size. */
function typeMember(btf: Btf, map: string, field: string, typeId: number): { id: number; size: number } {
  const ptr = skipMods(btf, typeId).t;
  if (ptr?.kind !== 'PTR') throw elfError('bad-map-def', `map '${map}': ${field} spec is not PTR: ${ptr?.kind ?? 'nothing'}`);
  const size = typeSize(btf, ptr.type);
  if (size === undefined) throw elfError('bad-map-def', `map '${map}': can't determine ${field} size for type [${String(ptr.type)}]`);
  return { id: ptr.type, size };
}

/**
 * Reads one BTF map definition (the STRUCT behind a `.maps` variable), as
 * libbpf's `parse_btf_map_def`: unknown members are an error, sizes given twice
 * must agree.
 *
 * @example
 * parseMapDef(btf, 'counts', structId, false); // { type: 1, keySize: 4, valueSize: 8, maxEntries: 1024, … }
 */
export function parseMapDef(btf: Btf, name: string, structId: number, isInner: boolean): MapSpec {
  const def = skipMods(btf, structId).t;
  if (def?.kind !== 'STRUCT') throw elfError('bad-map-def', `map '${name}': unexpected def kind ${def?.kind ?? 'nothing'}`);
  let type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0, numaNode = 0, mapExtra = 0, pinning = 0;
  let keyTypeId = 0, valueTypeId = 0;
  let inner: MapSpec | undefined;
  let valuesAreProgs = false;
  const setSize = (field: 'key' | 'value', size: number): void => {
    const prev = field === 'key' ? keySize : valueSize;
    if (prev !== 0 && prev !== size) throw elfError('bad-map-def', `map '${name}': conflicting ${field} size ${String(prev)} != ${String(size)}`);
    if (field === 'key') keySize = size; else valueSize = size;
  };
  for (const m of def.members) {
    switch (m.name) {
      case 'type': type = uintMember(btf, name, m.name, m.type); break;
      case 'max_entries': maxEntries = uintMember(btf, name, m.name, m.type); break;
      case 'map_flags': flags = uintMember(btf, name, m.name, m.type); break;
      case 'numa_node': numaNode = uintMember(btf, name, m.name, m.type); break;
      case 'map_extra': mapExtra = uintMember(btf, name, m.name, m.type); break;
      case 'key_size': setSize('key', uintMember(btf, name, m.name, m.type)); break;
      case 'value_size': setSize('value', uintMember(btf, name, m.name, m.type)); break;
      case 'key': { const k = typeMember(btf, name, 'key', m.type); keyTypeId = k.id; setSize('key', k.size); break; }
      case 'value': { const v = typeMember(btf, name, 'value', m.type); valueTypeId = v.id; setSize('value', v.size); break; }
      case 'pinning': {
        if (isInner) throw elfError('bad-map-def', `map '${name}': inner def can't be pinned`);
        pinning = uintMember(btf, name, m.name, m.type);
        if (pinning > 1) throw elfError('bad-map-def', `map '${name}': invalid pinning value ${String(pinning)}`);
        break;
      }
      case 'values': {
        if (isInner) throw elfError('bad-map-def', `map '${name}': multi-level inner maps not supported`);
        // `__array(values, T)` is `T *values[]`: a zero-length array of pointers.
        const arr = skipMods(btf, m.type).t;
        if (arr?.kind !== 'ARRAY' || arr.nelems !== 0) throw elfError('bad-map-def', `map '${name}': values spec is not a zero-sized array`);
        const ptr = skipMods(btf, arr.type).t;
        if (ptr?.kind !== 'PTR') throw elfError('bad-map-def', `map '${name}': values element is not a pointer`);
        const target = skipMods(btf, ptr.type);
        if (target.t?.kind === 'FUNC_PROTO') {
          valuesAreProgs = true;
          setSize('value', 4);
        } else if (target.t?.kind === 'STRUCT') {
          inner = parseMapDef(btf, `${name}.inner`, target.id, true);
          setSize('value', 4);
        } else {
          throw elfError('bad-map-def', `map '${name}': values must point to a map definition or a function prototype`);
        }
        break;
      }
      default:
        throw elfError('bad-map-def', `map '${name}': unknown field '${m.name}'`);
    }
  }
  return { name, type, keySize, valueSize, maxEntries, flags, numaNode, mapExtra, pinning, keyTypeId, valueTypeId, inner, valuesAreProgs, initialValues: [] };
}
