import { BpfError } from '@bpfkit/kernel-api';
import { ownSize } from './own-size.js';
import { BTF_KIND_NAMES, type BtfKindName } from './kinds.js';
import { StringTable } from './strings.js';
import { TypeSection } from './type-section.js';
import { skipForwarding, structuralResolvedId, structuralSize, structuralTypeIdSize } from './structural-resolve.js';
import type { BtfMember, BtfModifier, BtfType, BtfVoid } from './types.js';

/** The header fields of a parsed blob (`struct btf_header`). */
export interface BtfHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** Type id 0. */
export const VOID: BtfVoid = Object.freeze({ id: 0, kind: 'VOID', name: '', nameOff: 0 });

/** Everything a {@link Btf} is made of; produced by `parseBtf` and `decodeBtf`. */
export interface BtfParts {
  readonly header: BtfHeader;
  readonly littleEndian: boolean;
  /** The raw string section. */
  readonly strings: Uint8Array;
  /**
   * This BTF's own types, in id order starting at `startId`: objects, or the type section
   * read in place (`parseBtf`, `decodeBtf`), whose objects are built when first asked for.
   */
  readonly types: readonly BtfType[] | TypeSection;
  readonly base: Btf | undefined;
  /** The kernel's `resolved_ids` / `resolved_sizes`, one per own type. */
  readonly resolvedIds: Uint32Array;
  readonly resolvedSizes: Uint32Array;
  /** The verifier log, when one was asked for. */
  readonly log: string;
  readonly logTrueSize: number;
  /**
   * False for BTF that did not go through the kernel's checks (`decodeBtf`): the resolved
   * tables are then unused and queries resolve on demand. Default true.
   */
  readonly validated?: boolean;
}

/** A resolved type: the id reached and its type. */
export interface ResolvedType {
  readonly id: number;
  readonly type: BtfType;
}

const MODIFIERS = new Set(['TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT', 'TYPE_TAG']);

/** True for the kinds that only qualify another type (typedef included, as the kernel groups them). */
export function isModifier(t: BtfType): t is BtfModifier {
  return MODIFIERS.has(t.kind);
}

/**
 * Parsed BTF and type queries: validated by `parseBtf` (with the kernel's resolved ids and
 * sizes), or only decoded by `decodeBtf` (`validated` false; queries resolve on demand and
 * throw `BpfError` on dangling ids or type loops).
 *
 * @example
 * const btf = parseBtf(bytes);
 * const id = btf.byName('task_struct', 'STRUCT');
 * if (id !== undefined) console.log(btf.size(id), btf.members(id).map((m) => m.name));
 */
export class Btf {
  readonly header: BtfHeader;
  readonly littleEndian: boolean;
  /** The raw string section (kept as-is so re-encoding gives back the same bytes). */
  readonly strings: Uint8Array;
  readonly #section: TypeSection | undefined;
  /** Own type objects, built from {@link #section} as they are asked for. */
  #objects: (BtfType | undefined)[];
  #all: readonly BtfType[] | undefined;
  readonly #strings: StringTable;
  /** The base BTF of a split BTF. */
  readonly base: Btf | undefined;
  /** First own type id: 1, or the base's type count for split BTF. */
  readonly startId: number;
  /** First own string offset: 0, or the base's string section length for split BTF. */
  readonly startStrOff: number;
  /** The BTF verifier log (log_level > 0 only). */
  readonly log: string;
  /** `log_true_size`. */
  readonly logTrueSize: number;
  /** True when the kernel's checks passed (`parseBtf`); false for `decodeBtf`. */
  readonly validated: boolean;
  readonly #resolvedIds: Uint32Array;
  readonly #resolvedSizes: Uint32Array;
  #byName: Map<string, number[]> | undefined;

  constructor(parts: BtfParts) {
    this.header = parts.header;
    this.littleEndian = parts.littleEndian;
    this.strings = parts.strings;
    if (parts.types instanceof TypeSection) {
      this.#section = parts.types;
      this.#objects = new Array<BtfType | undefined>(parts.types.length).fill(undefined);
    } else {
      this.#section = undefined;
      this.#objects = [...parts.types];
      this.#all = parts.types;
    }
    this.#strings = new StringTable(parts.strings);
    this.base = parts.base;
    this.startId = parts.base === undefined ? 1 : parts.base.nrTypes;
    this.startStrOff = parts.base === undefined ? 0 : parts.base.startStrOff + parts.base.strings.length;
    this.#resolvedIds = parts.resolvedIds;
    this.#resolvedSizes = parts.resolvedSizes;
    this.log = parts.log;
    this.logTrueSize = parts.logTrueSize;
    this.validated = parts.validated ?? true;
  }

  /** This BTF's own types; `types[i]` has id `startId + i`. */
  get types(): readonly BtfType[] {
    if (this.#all === undefined) {
      const n = this.#objects.length;
      const all = new Array<BtfType>(n);
      for (let i = 0; i < n; i++) all[i] = this.#own(i);
      this.#all = all;
    }
    return this.#all;
  }

  /** Number of type ids, void and base types included (`btf_nr_types`). */
  get nrTypes(): number {
    return this.startId + this.#objects.length;
  }

  /** The type with this id, or `undefined` when out of range (`btf_type_by_id`). */
  type(id: number): BtfType | undefined {
    if (id === 0) return VOID;
    if (id < this.startId) return this.base?.type(id);
    const i = id - this.startId;
    return i < this.#objects.length ? this.#own(i) : undefined;
  }

  /**
   * The kind of a type without building its object (`VOID` for id 0), `undefined` when
   * out of range: for scans over every type that look closer at a few kinds.
   *
   * @example
   * for (let id = 1; id < btf.nrTypes; id++) if (btf.kind(id) === 'FUNC') console.log(btf.name(id));
   */
  kind(id: number): BtfKindName | 'VOID' | undefined {
    if (id === 0) return 'VOID';
    if (id < this.startId) return this.base?.kind(id);
    const i = id - this.startId;
    if (i >= this.#objects.length) return undefined;
    if (this.#section === undefined) return this.#own(i).kind;
    return BTF_KIND_NAMES[this.#section.kind(i)] as BtfKindName;
  }

  #own(i: number): BtfType {
    let t = this.#objects[i];
    if (t === undefined) {
      if (this.#section === undefined) throw new RangeError(`type index ${i} missing`);
      t = this.#section.materialize(i, this.startId + i, this);
      this.#objects[i] = t;
    }
    return t;
  }

  /** {@link str} for a type's names: `''` out of range. */
  nameAt(off: number): string {
    return this.str(off) ?? '';
  }

  /** Like {@link type} but throws ENOENT for an unknown id. */
  typeOrThrow(id: number): BtfType {
    const t = this.type(id);
    if (t === undefined) throw new BpfError('ENOENT', 'btf:no-such-type', `type id ${id} not found (nr_types ${this.nrTypes})`);
    return t;
  }

  /** The name of a type (`''` for anonymous or unknown ids). */
  name(id: number): string {
    const i = id - this.startId;
    if (this.#section !== undefined && i >= 0 && i < this.#objects.length) return this.nameAt(this.#section.nameOff(i));
    return this.type(id)?.name ?? '';
  }

  /** The string at `offset` (`btf_name_by_offset`), `undefined` out of range. */
  str(offset: number): string | undefined {
    if (offset < this.startStrOff) return this.base?.str(offset);
    const local = offset - this.startStrOff;
    if (local >= this.strings.length) return undefined;
    return this.#strings.at(local);
  }

  /** The kernel's resolved type id of a modifier, pointer, var, func or decl tag. */
  resolvedId(id: number): number {
    if (!this.validated) return structuralResolvedId(this, id);
    if (id < this.startId) return this.base?.resolvedId(id) ?? 0;
    return this.#resolvedIds[id - this.startId] ?? 0;
  }

  /** The kernel's resolved size of an array (0 for other kinds). */
  resolvedSize(id: number): number {
    if (!this.validated) return this.type(id)?.kind === 'ARRAY' ? (structuralSize(this, id) ?? 0) : 0;
    if (id < this.startId) return this.base?.resolvedSize(id) ?? 0;
    return this.#resolvedSizes[id - this.startId] ?? 0;
  }

  /**
   * Skips typedefs and qualifiers (`btf_type_skip_modifiers`); `undefined` for an unknown id.
   * On unvalidated BTF a dangling id in the chain throws EINVAL and a loop ELOOP.
   */
  resolve(id: number): ResolvedType | undefined {
    return skipForwarding(this, id, false);
  }

  /**
   * The size the kernel gives a type (`btf_type_id_size`): sized kinds, pointers (8),
   * arrays, and modifiers/vars through what they resolve to; `undefined` for void, FWD,
   * FUNC and FUNC_PROTO. On unvalidated BTF, loops, dangling ids, unsized array elements
   * and sizes past U32_MAX throw `BpfError`.
   */
  size(id: number): number | undefined {
    return this.typeIdSize(id)?.size;
  }

  /** `btf_type_id_size`: the sized type a type id stands for, and its size. */
  typeIdSize(id: number): { id: number; type: BtfType; size: number } | undefined {
    if (!this.validated) return structuralTypeIdSize(this, id);
    let t = this.type(id);
    if (t === undefined || noSize(t)) return undefined;
    let sid = id;
    const direct = sizeOf(this, t, sid);
    if (direct !== undefined) return { id: sid, type: t, size: direct };
    if (!isModifier(t) && t.kind !== 'VAR') return undefined;
    sid = this.resolvedId(sid);
    t = this.type(sid);
    if (t === undefined || noSize(t)) return undefined;
    const size = sizeOf(this, t, sid);
    return size === undefined ? undefined : { id: sid, type: t, size };
  }

  /** Members of a struct/union, through typedefs and qualifiers; `[]` for other kinds. */
  members(id: number): readonly BtfMember[] {
    const t = this.resolve(id)?.type;
    return t !== undefined && (t.kind === 'STRUCT' || t.kind === 'UNION') ? t.members : [];
  }

  /** The first type id with this name (and kind), base first (`btf_find_by_name_kind`). */
  byName(name: string, kind?: BtfKindName): number | undefined {
    return this.findAll(name, kind)[0];
  }

  /** Every type id with this name (and kind), in id order. */
  findAll(name: string, kind?: BtfKindName): number[] {
    const fromBase = this.base?.findAll(name, kind) ?? [];
    this.#byName ??= this.#indexNames();
    const own = this.#byName.get(name) ?? [];
    const ids = kind === undefined ? own : own.filter((id) => this.type(id)?.kind === kind);
    return fromBase.length === 0 ? ids : [...fromBase, ...ids];
  }

  /** Iterates over the own types, in id order. */
  *[Symbol.iterator](): IterableIterator<BtfType> {
    yield* this.types;
  }

  #indexNames(): Map<string, number[]> {
    const index = new Map<string, number[]>();
    const section = this.#section;
    for (let i = 0; i < this.#objects.length; i++) {
      const name = section === undefined ? this.#own(i).name : this.nameAt(section.nameOff(i));
      if (name === '') continue;
      const id = this.startId + i;
      const list = index.get(name);
      if (list === undefined) index.set(name, [id]);
      else list.push(id);
    }
    return index;
  }
}

function noSize(t: BtfType): boolean {
  return t.kind === 'VOID' || t.kind === 'FWD' || t.kind === 'FUNC' || t.kind === 'FUNC_PROTO';
}

function sizeOf(btf: Btf, t: BtfType, id: number): number | undefined {
  return t.kind === 'ARRAY' ? btf.resolvedSize(id) : ownSize(t);
}
