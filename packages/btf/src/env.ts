import type { ErrnoName } from '@bpfkit/uapi';
import type { Btf } from './btf.js';
import { VOID } from './btf.js';
import { BTF_MAX_NAME_OFFSET, BtfKind, kindNumber } from './kinds.js';
import type { BtfVerifierLog } from './log.js';
import { StringTable, isValidIdentifier, isValidSectionName, latin1 } from './strings.js';
import { TypeSection, type NameSource } from './type-section.js';
import type { BtfComposite, BtfDatasec, BtfMember, BtfType, BtfVarSecinfo } from './types.js';

/** A failed check: the kernel's errno. The text is in the env's log. */
export class BtfCheckError extends Error {
  constructor(readonly code: ErrnoName) {
    super(code);
  }
}

const INT_ENCODING: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };

const IDENT_UNKNOWN = 0;
const IDENT_VALID = 1;
const IDENT_INVALID = 2;

/**
 * The state of one BTF verification (`struct btf_verifier_env`): own types, strings,
 * the log, and the resolve bookkeeping shared by the meta and resolve passes.
 *
 * Own types are read in place from {@link section} by id (`kindOf`, `refOf`, …): the
 * passes build no object per type. {@link typeById} builds one where a log line or an
 * error needs it; base types (split BTF) are the base's objects.
 */
export class BtfVerifierEnv implements NameSource {
  /** The own records, filled by the meta pass. */
  section: TypeSection;
  logTypeId = 0;
  /** CHECK_META (false) or CHECK_TYPE (true). */
  checkingTypes = false;
  resolvedIds = new Uint32Array(0);
  resolvedSizes = new Uint32Array(0);
  readonly startId: number;
  readonly startStrOff: number;
  readonly #latin1 = new Map<number, string>();
  readonly #names: StringTable;
  /** `validIdentifier` per own string offset: names repeat (member names above all). */
  #identState: Uint8Array | undefined;
  #objects: (BtfType | undefined)[] = [];

  constructor(
    readonly strings: Uint8Array,
    readonly base: Btf | undefined,
    readonly log: BtfVerifierLog,
  ) {
    this.startId = base === undefined ? 1 : base.nrTypes;
    this.startStrOff = base === undefined ? 0 : base.startStrOff + base.strings.length;
    this.#names = new StringTable(strings);
    this.section = new TypeSection(new DataView(strings.buffer, strings.byteOffset, 0), true, new Uint32Array(0));
  }

  /** Own types read so far. */
  get count(): number {
    return this.section.length;
  }

  // ---- strings -------------------------------------------------------------

  /** Bytes and position of a string offset, through the base (`btf_str_by_offset`). */
  strLocation(off: number): [Uint8Array, number] | undefined {
    if (off < this.startStrOff) {
      let b: Btf | undefined = this.base;
      while (b !== undefined && off < b.startStrOff) b = b.base;
      if (b === undefined) return undefined;
      const local = off - b.startStrOff;
      return local < b.strings.length ? [b.strings, local] : undefined;
    }
    const local = off - this.startStrOff;
    return local < this.strings.length ? [this.strings, local] : undefined;
  }

  /** `btf_name_offset_valid`. */
  nameOffsetValid(off: number): boolean {
    if (off > BTF_MAX_NAME_OFFSET) return false;
    const start = this.startStrOff;
    if (off >= start) return off - start < this.strings.length;
    return this.strLocation(off) !== undefined;
  }

  /** `btf_name_valid_identifier` (offset already known valid). */
  validIdentifier(off: number): boolean {
    const start = this.startStrOff;
    if (off >= start) {
      const local = off - start;
      if (local >= this.strings.length) return false;
      const memo = (this.#identState ??= new Uint8Array(this.strings.length));
      let state = memo[local] ?? IDENT_UNKNOWN;
      if (state === IDENT_UNKNOWN) {
        state = isValidIdentifier(this.strings, local) ? IDENT_VALID : IDENT_INVALID;
        memo[local] = state;
      }
      return state === IDENT_VALID;
    }
    const loc = this.strLocation(off);
    return loc !== undefined && isValidIdentifier(loc[0], loc[1]);
  }

  /** The name at `off` for a type object: own or the base's, `''` when out of range. */
  nameAt(off: number): string {
    const local = off - this.startStrOff;
    if (local >= 0) return local < this.strings.length ? this.#names.at(local) : '';
    return this.base?.str(off) ?? '';
  }

  validSection(off: number): boolean {
    const loc = this.strLocation(off);
    return loc !== undefined && isValidSectionName(loc[0], loc[1]);
  }

  /** True when the string at `off` exists and is not empty. */
  nonEmpty(off: number): boolean {
    const loc = this.strLocation(off);
    return loc !== undefined && (loc[0][loc[1]] ?? 0) !== 0;
  }

  /** `__btf_name_by_offset` for the log: raw bytes, one char per byte. */
  logName(off: number): string {
    if (off === 0) return '(anon)';
    const loc = this.strLocation(off);
    if (loc === undefined) return '(invalid-name-offset)';
    const [bytes, pos] = loc;
    const key = bytes === this.strings ? pos : -1 - off;
    let s = this.#latin1.get(key);
    if (s === undefined) {
      let end = pos;
      while (end < bytes.length && bytes[end] !== 0) end++;
      s = latin1(bytes, pos, end);
      this.#latin1.set(key, s);
    }
    return s;
  }

  // ---- types ---------------------------------------------------------------

  /** `btf_type_by_id` as an object (built once per own type: for logs, errors and rare reads). */
  typeById(id: number): BtfType | undefined {
    if (id === 0) return VOID;
    if (id < this.startId) return this.base?.type(id);
    const i = id - this.startId;
    if (i >= this.section.length) return undefined;
    let t = this.#objects[i];
    if (t === undefined) {
      t = this.section.materialize(i, id, this);
      this.#objects[i] = t;
    }
    return t;
  }

  /** The kind number of a type id: 0 for void, -1 for an id past the last type. */
  kindOf(id: number): number {
    if (id >= this.startId) {
      const i = id - this.startId;
      return i < this.section.length ? this.section.kind(i) : -1;
    }
    if (id === 0) return 0;
    const t = this.base?.type(id);
    return t === undefined ? -1 : kindNumber(t.kind);
  }

  /** The `type` of a reference kind (modifier, PTR, FUNC, FUNC_PROTO, VAR, DECL_TAG), or of an ARRAY's element. */
  refOf(id: number): number {
    if (id >= this.startId) {
      const i = id - this.startId;
      return this.section.kind(i) === BtfKind.ARRAY ? this.section.word(i, 3) : this.section.sizeType(i);
    }
    const t = this.base?.type(id);
    return t !== undefined && 'type' in t ? t.type : 0;
  }

  /** The `size` of a sized kind. */
  sizeOf(id: number): number {
    if (id >= this.startId) return this.section.sizeType(id - this.startId);
    const t = this.base?.type(id);
    return t !== undefined && 'size' in t ? t.size : 0;
  }

  /** Members of a struct or union, parameters of a func proto, values of an enum, vars of a datasec. */
  vlenOf(id: number): number {
    if (id >= this.startId) return this.section.vlen(id - this.startId);
    const t = this.base?.type(id);
    if (t === undefined) return 0;
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        return t.members.length;
      case 'FUNC_PROTO':
        return t.params.length;
      case 'ENUM':
      case 'ENUM64':
        return t.values.length;
      case 'DATASEC':
        return t.vars.length;
      default:
        return 0;
    }
  }

  /** An INT's data word: encoding << 24 | bits_offset << 16 | nr_bits (`BTF_INT_*`). */
  intData(id: number): number {
    if (id >= this.startId) return this.section.word(id - this.startId, 3);
    const t = this.base?.type(id);
    return t?.kind === 'INT' ? ((t.encoding << 24) | (t.bitsOffset << 16) | t.bits) >>> 0 : 0;
  }

  /** Parameter `j` of a func proto: its name offset (`which` 0) or type (1). */
  param(id: number, j: number, which: 0 | 1): number {
    if (id >= this.startId) return this.section.word(id - this.startId, 3 + 2 * j + which);
    const t = this.base?.type(id);
    const p = t?.kind === 'FUNC_PROTO' ? t.params[j] : undefined;
    return p === undefined ? 0 : which === 0 ? p.nameOff : p.type;
  }

  resolvedId(id: number): number {
    if (id < this.startId) return this.base?.resolvedId(id) ?? 0;
    return this.resolvedIds[id - this.startId] ?? 0;
  }

  resolvedSize(id: number): number {
    if (id < this.startId) return this.base?.resolvedSize(id) ?? 0;
    return this.resolvedSizes[id - this.startId] ?? 0;
  }

  /** The size a type has by itself (arrays: resolved), -1 for kinds without one. */
  directSize(id: number, kind: number): number {
    switch (kind) {
      case BtfKind.ARRAY:
        return this.resolvedSize(id);
      case BtfKind.INT:
      case BtfKind.STRUCT:
      case BtfKind.UNION:
      case BtfKind.ENUM:
      case BtfKind.DATASEC:
      case BtfKind.FLOAT:
      case BtfKind.ENUM64:
        return this.sizeOf(id);
      case BtfKind.PTR:
        return 8;
      default:
        return -1;
    }
  }

  /** `btf_type_id_size`'s type id: the sized type behind `id`, or -1 where it has none. */
  sizedTypeId(id: number): number {
    const k = this.kindOf(id);
    if (k < 0 || noSizeKind(k)) return -1;
    if (this.directSize(id, k) >= 0) return id;
    if (!isModifierNo(k) && k !== BtfKind.VAR) return -1;
    const rid = this.resolvedId(id);
    const rk = this.kindOf(rid);
    if (rk < 0 || noSizeKind(rk)) return -1;
    return this.directSize(rid, rk) < 0 ? -1 : rid;
  }

  /** The size of {@link sizedTypeId}'s type (call only where that is not -1). */
  sizedSize(sizedId: number): number {
    return this.directSize(sizedId, this.kindOf(sizedId));
  }

  // ---- log -----------------------------------------------------------------

  /** The `[id] KIND name details` part of a type line. */
  typeLine(t: BtfType, details: boolean): string {
    const head = `[${this.logTypeId}] ${t.kind} ${this.logName(t.nameOff)}`;
    return details ? `${head} ${this.details(t)}` : head;
  }

  /** `btf_verifier_log_type(env, t, NULL)`: the line every checked type gets. */
  logType(t: BtfType): void {
    if (this.log.enabled) this.log.write(this.typeLine(t, true) + '\n');
  }

  /** `btf_verifier_log_type` / `_basic` with a message: logs it and fails with `code`. */
  failType(t: BtfType, msg: string, code: ErrnoName = 'EINVAL', details = true): BtfCheckError {
    const line = `${this.typeLine(t, details)} ${msg}`;
    this.log.fail(line + '\n', line);
    return new BtfCheckError(code);
  }

  /** `btf_verifier_log(env, ...)` of an error with no type context. */
  fail(text: string, code: ErrnoName = 'EINVAL'): BtfCheckError {
    this.log.fail(text);
    return new BtfCheckError(code);
  }

  memberLine(s: BtfComposite, m: BtfMember, type = m.type): string {
    const name = this.logName(m.nameOff);
    return s.kflag
      ? `\t${name} type_id=${type} bitfield_size=${m.bitfieldSize} bits_offset=${m.bitsOffset}`
      : `\t${name} type_id=${type} bits_offset=${m.bitsOffset}`;
  }

  logMember(s: BtfComposite, m: BtfMember): void {
    if (this.log.enabled) this.log.write(this.memberLine(s, m) + '\n');
  }

  /** `btf_verifier_log_member` with a message (in CHECK_TYPE the struct line comes first). */
  failMember(s: BtfComposite, m: BtfMember, msg: string, type = m.type): BtfCheckError {
    const typeLine = this.typeLine(s, true);
    const line = `${this.memberLine(s, m, type)} ${msg}`;
    this.log.fail((this.checkingTypes ? typeLine + '\n' : '') + line + '\n', `${typeLine} ${line.trim()}`);
    return new BtfCheckError('EINVAL');
  }

  vsiLine(v: BtfVarSecinfo): string {
    return `\t type_id=${v.type} offset=${v.offset} size=${v.size}`;
  }

  logVsi(v: BtfVarSecinfo): void {
    if (this.log.enabled) this.log.write(this.vsiLine(v) + '\n');
  }

  failVsi(d: BtfDatasec, v: BtfVarSecinfo, msg: string): BtfCheckError {
    const typeLine = this.typeLine(d, true);
    const line = `${this.vsiLine(v)} ${msg}`;
    this.log.fail((this.checkingTypes ? typeLine + '\n' : '') + line + '\n', `${typeLine} ${line.trim()}`);
    return new BtfCheckError('EINVAL');
  }

  /** The kind's `log_details`. */
  details(t: BtfType): string {
    switch (t.kind) {
      case 'INT':
        return `size=${t.size} bits_offset=${t.bitsOffset} nr_bits=${t.bits} encoding=${INT_ENCODING[t.encoding] ?? 'UNKN'}`;
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'FUNC':
        return `type_id=${t.type}`;
      case 'ARRAY':
        return `type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
      case 'STRUCT':
      case 'UNION':
        return `size=${t.size} vlen=${t.members.length}`;
      case 'ENUM':
      case 'ENUM64':
        return `size=${t.size} vlen=${t.values.length}`;
      case 'DATASEC':
        return `size=${t.size} vlen=${t.vars.length}`;
      case 'FWD':
        return t.union ? 'union' : 'struct';
      case 'VAR':
        return `type_id=${t.type} linkage=${t.linkage}`;
      case 'FLOAT':
        return `size=${t.size}`;
      case 'DECL_TAG':
        return `type=${t.type} component_idx=${t.componentIdx}`;
      case 'FUNC_PROTO': {
        const p = t.params;
        let s = `return=${t.type} args=(`;
        const last = p[p.length - 1];
        if (p.length === 0 || last === undefined) s += 'void';
        else if (p.length === 1 && last.type === 0) s += 'vararg';
        else {
          s += p.slice(0, p.length - 1).map((a) => `${a.type} ${this.logName(a.nameOff)}`).join(', ');
          if (p.length > 1) s += ', ';
          s += last.type !== 0 || p.length === 1 ? `${last.type} ${this.logName(last.nameOff)}` : 'vararg';
        }
        return s + ')';
      }
      case 'VOID':
        return '';
    }
  }
}

/** Typedef and the qualifiers, by kind number. */
export function isModifierNo(k: number): boolean {
  return k === BtfKind.TYPEDEF || k === BtfKind.VOLATILE || k === BtfKind.CONST || k === BtfKind.RESTRICT || k === BtfKind.TYPE_TAG;
}

/** `btf_type_nosize`, by kind number (void included). */
export function noSizeKind(k: number): boolean {
  return k === 0 || k === BtfKind.FWD || k === BtfKind.FUNC || k === BtfKind.FUNC_PROTO;
}

export function isCompositeNo(k: number): boolean {
  return k === BtfKind.STRUCT || k === BtfKind.UNION;
}

/** `btf_type_is_resolve_source_only`. */
export function isResolveSourceOnlyNo(k: number): boolean {
  return k === BtfKind.VAR || k === BtfKind.DECL_TAG || k === BtfKind.DATASEC;
}

/** `btf_type_needs_resolve`: modifiers, pointers, structs, unions, arrays, vars, funcs, decl tags, datasecs. */
export function needsResolveNo(k: number): boolean {
  return isModifierNo(k) || k === BtfKind.PTR || k === BtfKind.STRUCT || k === BtfKind.UNION || k === BtfKind.ARRAY ||
    k === BtfKind.VAR || k === BtfKind.FUNC || k === BtfKind.DECL_TAG || k === BtfKind.DATASEC;
}
