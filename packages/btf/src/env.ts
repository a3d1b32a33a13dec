import { isAscii } from 'node:buffer';
import type { ErrnoName } from '@bpfkit/uapi';
import { ownSize } from './own-size.js';
import type { Btf } from './btf.js';
import { VOID } from './btf.js';
import { BTF_MAX_NAME_OFFSET } from './kinds.js';
import type { BtfVerifierLog } from './log.js';
import { isValidIdentifier, isValidSectionName } from './strings.js';
import type { BtfComposite, BtfDatasec, BtfMember, BtfModifier, BtfType, BtfVarSecinfo } from './types.js';

/** A failed check: the kernel's errno. The text is in the env's log. */
export class BtfCheckError extends Error {
  constructor(readonly code: ErrnoName) {
    super(code);
  }
}

/** The bytes as one string when every byte is ASCII (byte offsets are then character offsets), else null. */
function asciiText(bytes: Uint8Array): string | null {
  if (!isAscii(bytes)) return null;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
}

const INT_ENCODING: Record<number, string> = { 0: '(none)', 1: 'SIGNED', 2: 'CHAR', 4: 'BOOL' };

/**
 * The state of one BTF verification (`struct btf_verifier_env`): own types, strings,
 * the log, and the resolve bookkeeping shared by the meta and resolve passes.
 */
export class BtfVerifierEnv {
  readonly types: BtfType[] = [];
  logTypeId = 0;
  /** CHECK_META (false) or CHECK_TYPE (true). */
  checkingTypes = false;
  resolvedIds = new Uint32Array(0);
  resolvedSizes = new Uint32Array(0);
  readonly #latin1 = new Map<number, string>();
  /** The own string section as text when it is all ASCII, null when it is not, undefined before the first name. */
  #ascii: string | null | undefined;

  constructor(
    readonly strings: Uint8Array,
    readonly base: Btf | undefined,
    readonly log: BtfVerifierLog,
  ) {}

  get startId(): number {
    return this.base === undefined ? 1 : this.base.nrTypes;
  }

  get startStrOff(): number {
    return this.base === undefined ? 0 : this.base.startStrOff + this.base.strings.length;
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
    if (off >= start) return off - start < this.strings.length && isValidIdentifier(this.strings, off - start);
    const loc = this.strLocation(off);
    return loc !== undefined && isValidIdentifier(loc[0], loc[1]);
  }

  /**
   * The name at `off` in this BTF's own string section, when that section is all ASCII (as
   * vmlinux's is): decoded once as a whole, each name is a slice of it. Undefined otherwise
   * (a name of the base, or a section with UTF-8), for the caller to decode the bytes.
   */
  ownAsciiName(off: number): string | undefined {
    const local = off - this.startStrOff;
    if (local < 0 || local >= this.strings.length) return undefined;
    if (this.#ascii === undefined) this.#ascii = asciiText(this.strings);
    const text = this.#ascii;
    if (text === null) return undefined;
    const end = text.indexOf('\0', local);
    return text.slice(local, end < 0 ? text.length : end);
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
      s = Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('latin1');
      this.#latin1.set(key, s);
    }
    return s;
  }

  // ---- types ---------------------------------------------------------------

  /** `btf_type_by_id`. */
  typeById(id: number): BtfType | undefined {
    if (id === 0) return VOID;
    if (id < this.startId) return this.base?.type(id);
    return this.types[id - this.startId];
  }

  resolvedId(id: number): number {
    if (id < this.startId) return this.base?.resolvedId(id) ?? 0;
    return this.resolvedIds[id - this.startId] ?? 0;
  }

  resolvedSize(id: number): number {
    if (id < this.startId) return this.base?.resolvedSize(id) ?? 0;
    return this.resolvedSizes[id - this.startId] ?? 0;
  }

  /** `btf_type_id_size`: the sized type behind `id`, its id and size. */
  typeIdSize(id: number): { id: number; type: BtfType; size: number } | undefined {
    let t = this.typeById(id);
    if (t === undefined || noSize(t)) return undefined;
    const direct = this.#directSize(t, id);
    if (direct !== undefined) return { id, type: t, size: direct };
    if (!isModifierKind(t) && t.kind !== 'VAR') return undefined;
    const rid = this.resolvedId(id);
    t = this.typeById(rid);
    if (t === undefined || noSize(t)) return undefined;
    const size = this.#directSize(t, rid);
    return size === undefined ? undefined : { id: rid, type: t, size };
  }

  /**
   * {@link typeIdSize}'s id, without building its result (the resolve pass asks this for every
   * reference and parameter): -1 where that is undefined.
   */
  sizedTypeId(id: number): number {
    const t = this.typeById(id);
    if (t === undefined || noSize(t)) return -1;
    if (this.#directSize(t, id) !== undefined) return id;
    if (!isModifierKind(t) && t.kind !== 'VAR') return -1;
    const rid = this.resolvedId(id);
    const r = this.typeById(rid);
    if (r === undefined || noSize(r)) return -1;
    return this.#directSize(r, rid) === undefined ? -1 : rid;
  }

  #directSize(t: BtfType, id: number): number | undefined {
    return t.kind === 'ARRAY' ? this.resolvedSize(id) : ownSize(t);
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

// Types of every kind pass through these on every reference: `kind` is read once (a read on
// objects of many shapes is a megamorphic lookup, not a field load).

export function isModifierKind(t: BtfType): t is BtfModifier {
  const k = t.kind;
  return k === 'TYPEDEF' || k === 'VOLATILE' || k === 'CONST' || k === 'RESTRICT' || k === 'TYPE_TAG';
}

/** `btf_type_nosize`. */
export function noSize(t: BtfType): boolean {
  const k = t.kind;
  return k === 'VOID' || k === 'FWD' || k === 'FUNC' || k === 'FUNC_PROTO';
}

export function isComposite(t: BtfType): t is BtfComposite {
  const k = t.kind;
  return k === 'STRUCT' || k === 'UNION';
}

/** `btf_type_is_resolve_source_only`. */
export function isResolveSourceOnly(t: BtfType): boolean {
  const k = t.kind;
  return k === 'VAR' || k === 'DECL_TAG' || k === 'DATASEC';
}

/** `btf_type_needs_resolve`: modifiers, pointers, structs, unions, arrays, vars, funcs, decl tags, datasecs. */
export function needsResolve(t: BtfType): boolean {
  switch (t.kind) {
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
    case 'TYPE_TAG':
    case 'PTR':
    case 'STRUCT':
    case 'UNION':
    case 'ARRAY':
    case 'VAR':
    case 'FUNC':
    case 'DECL_TAG':
    case 'DATASEC':
      return true;
    default:
      return false;
  }
}
