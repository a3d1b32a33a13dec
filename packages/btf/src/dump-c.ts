import { isModifier, type Btf } from './btf.js';
import type { BtfComposite, BtfEnum, BtfEnum64, BtfType } from './types.js';

// A C header from BTF in the spirit of `bpftool btf dump format c`: types in dependency
// order, forward declarations where a pointer is enough, anonymous records inlined.
// Not emitted: explicit padding members, `__attribute__((packed))`, FUNC/VAR/DATASEC.
// Every walk is bounded: decoded (unvalidated) BTF may hold loops and dangling ids.

/** How deep definitions may nest (emit → members → emit…) before the rest is left out. */
const MAX_EMIT_NESTING = 500;
/** How deep one declarator or dependency walk may go. */
const MAX_DEPTH = 64;

// The pragma is clang's; other compilers (gcc -Wall: -Wunknown-pragmas) never see it.
const CLANG_CORE = '#if defined(__clang__) && !defined(BPF_NO_PRESERVE_ACCESS_INDEX)\n';
const PROLOGUE =
  `#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n${CLANG_CORE}` +
  '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n';
const EPILOGUE = `${CLANG_CORE}#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n`;

const QUALIFIER: Record<string, string> = { CONST: 'const', VOLATILE: 'volatile', RESTRICT: 'restrict' };

class CDumper {
  readonly #done = new Set<number>();
  readonly #emitting = new Set<number>();
  readonly #declared = new Set<number>();
  #nesting = 0;
  // Dependency walks are idempotent, so each (id, via pointer) pair is walked once: this
  // keeps shared sub-graphs linear and stops pointer cycles.
  readonly #walked = new Set<number>();
  // Types on the current declarator stack: a repeat is a cycle C cannot spell.
  readonly #declaring = new Set<number>();
  readonly out: string[] = [];
  // Distinct types may share a name (vmlinux has several `struct bpf_map_desc`); like
  // libbpf's btf_dump, later ones get a `___N` suffix. Tags and identifiers are separate
  // C namespaces.
  readonly #names = new Map<number, string>();
  readonly #used = { tag: new Map<string, number>(), ident: new Map<string, number>() };

  constructor(readonly btf: Btf) {}

  #unique(ns: 'tag' | 'ident', name: string): string {
    const n = (this.#used[ns].get(name) ?? 0) + 1;
    this.#used[ns].set(name, n);
    return n === 1 ? name : `${name}___${n}`;
  }

  /** The C name of a named type, suffixed when an earlier type took it. */
  cname(id: number, name: string, ns: 'tag' | 'ident'): string {
    let s = this.#names.get(id);
    if (s === undefined) {
      s = this.#unique(ns, name);
      this.#names.set(id, s);
    }
    return s;
  }

  /** Emits a named type's full definition after what it needs. */
  emit(id: number): void {
    if (this.#done.has(id) || this.#emitting.has(id) || this.#nesting >= MAX_EMIT_NESTING) return;
    const t = this.btf.type(id);
    if (t === undefined) return;
    this.#emitting.add(id);
    this.#nesting++;
    switch (t.kind) {
      case 'STRUCT':
      case 'UNION':
        if (t.name === '') break;
        this.#membersDeps(t);
        this.out.push(`${this.#record(t, 0, 0)};\n\n`);
        break;
      case 'ENUM':
      case 'ENUM64':
        if (t.name !== '') this.out.push(`${this.#enum(t, 0)};\n\n`);
        break;
      case 'FWD':
        this.#forward(id);
        break;
      case 'TYPEDEF':
        // `typedef struct x y;` is valid with `struct x` incomplete; users by value complete it (see dep).
        this.dep(t.type, this.#namedRecord(t.type));
        this.out.push(`typedef ${this.decl(t.type, this.cname(id, t.name, 'ident'), 0)};\n\n`);
        break;
      default:
        break;
    }
    this.#nesting--;
    this.#emitting.delete(id);
    this.#done.add(id);
  }

  /** Makes `id` usable: complete unless only reached through a pointer. */
  dep(id: number, viaPtr: boolean, depth = 0): void {
    const t = this.btf.type(id);
    if (t === undefined || depth > MAX_DEPTH) return;
    const key = id * 2 + (viaPtr ? 1 : 0);
    if (this.#walked.has(key)) return;
    this.#walked.add(key);
    switch (t.kind) {
      case 'PTR':
        this.dep(t.type, true, depth + 1);
        return;
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
        this.dep(t.type, viaPtr, depth + 1);
        return;
      case 'ARRAY':
        this.dep(t.type, viaPtr, depth + 1);
        return;
      case 'FUNC_PROTO':
        this.dep(t.type, true, depth + 1);
        for (const p of t.params) this.dep(p.type, true, depth + 1);
        return;
      case 'STRUCT':
      case 'UNION':
        if (t.name === '') this.#membersDeps(t, depth + 1);
        else if (viaPtr && !this.#done.has(id)) this.#forward(id);
        else this.emit(id);
        return;
      case 'FWD':
        this.#forward(id);
        return;
      case 'TYPEDEF':
        this.emit(id);
        if (!viaPtr) this.dep(t.type, false, depth + 1);
        return;
      case 'ENUM':
      case 'ENUM64':
        this.emit(id);
        return;
      default:
        return;
    }
  }

  #namedRecord(id: number): boolean {
    let t = this.btf.type(id);
    for (let i = 0; t !== undefined && i < MAX_DEPTH && (t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'TYPE_TAG'); i++) t = this.btf.type(t.type);
    return t !== undefined && (t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'FWD') && t.name !== '';
  }

  /** Like `btf.resolve` but never throws: gives up on loops and dangling ids. */
  #skipModifiers(id: number): BtfType | undefined {
    let t = this.btf.type(id);
    for (let i = 0; t !== undefined && i < MAX_DEPTH && isModifier(t); i++) t = this.btf.type(t.type);
    return t;
  }

  #membersDeps(t: BtfComposite, depth = 0): void {
    for (const m of t.members) this.dep(m.type, false, depth + 1);
  }

  #forward(id: number): void {
    if (this.#declared.has(id) || this.#done.has(id)) return;
    const t = this.btf.type(id);
    if (t === undefined || t.name === '') return;
    const kw = t.kind === 'UNION' || (t.kind === 'FWD' && t.union) ? 'union' : 'struct';
    this.#declared.add(id);
    this.out.push(`${kw} ${this.cname(id, t.name, 'tag')};\n\n`);
  }

  #record(t: BtfComposite, indent: number, depth: number): string {
    const pad = '\t'.repeat(indent + 1);
    const kw = t.kind === 'UNION' ? 'union' : 'struct';
    const name = t.name === '' ? '' : ` ${this.cname(t.id, t.name, 'tag')}`;
    const head = `${kw}${name} {`;
    if (t.members.length === 0) return `${kw}${name} {}`;
    const body = t.members.map((m) => {
      const bits = m.bitfieldSize !== 0 ? `: ${m.bitfieldSize}` : this.#implicitBitfield(m.type);
      return `${pad}${this.decl(m.type, m.name, indent + 1, depth + 1)}${bits};\n`;
    });
    return `${head}\n${body.join('')}${'\t'.repeat(indent)}}`;
  }

  /** Without kind_flag a bitfield shows as an INT whose bit count is not its size. */
  #implicitBitfield(id: number): string {
    const t = this.btf.type(id);
    if (t?.kind === 'INT' && t.bits !== t.size * 8) return `: ${t.bits}`;
    return '';
  }

  #enum(t: BtfEnum | BtfEnum64, indent: number): string {
    const pad = '\t'.repeat(indent + 1);
    const head = t.name === '' ? 'enum {' : `enum ${this.cname(t.id, t.name, 'tag')} {`;
    const values = t.values.map((v) => {
      const suffix = t.kind === 'ENUM64' ? (t.signed ? 'LL' : 'ULL') : '';
      return `${pad}${this.#unique('ident', v.name)} = ${String(v.value)}${suffix},\n`;
    });
    return `${head}\n${values.join('')}${'\t'.repeat(indent)}}`;
  }

  /** `type declarator`, C style (pointers, arrays and function pointers nest). */
  decl(id: number, declarator: string, indent: number, depth = 0): string {
    const sep = (base: string): string => (declarator === '' ? base : `${base} ${declarator}`);
    if (this.#declaring.has(id)) return sep(`/* type ${id} refers to itself */ void`);
    this.#declaring.add(id);
    const s = this.#decl(id, declarator, indent, depth, sep);
    this.#declaring.delete(id);
    return s;
  }

  #decl(id: number, declarator: string, indent: number, depth: number, sep: (base: string) => string): string {
    const t = this.btf.type(id);
    if (t === undefined || depth > MAX_DEPTH) return sep(`/* invalid type ${id} */ void`);
    switch (t.kind) {
      case 'VOID':
        return sep('void');
      case 'INT':
      case 'FLOAT':
        return sep(t.name);
      case 'TYPEDEF':
        return sep(this.cname(t.id, t.name, 'ident'));
      case 'STRUCT':
      case 'UNION':
        return sep(t.name === '' ? this.#record(t, indent, depth) : `${t.kind === 'UNION' ? 'union' : 'struct'} ${this.cname(t.id, t.name, 'tag')}`);
      case 'ENUM':
      case 'ENUM64':
        return sep(t.name === '' ? this.#enum(t, indent) : `enum ${this.cname(t.id, t.name, 'tag')}`);
      case 'FWD':
        return sep(`${t.union ? 'union' : 'struct'} ${this.cname(t.id, t.name, 'tag')}`);
      case 'PTR': {
        const target = this.#skipModifiers(t.type);
        const inner = `*${declarator}`;
        const wrap = target?.kind === 'ARRAY' || target?.kind === 'FUNC_PROTO';
        return this.decl(t.type, wrap ? `(${inner})` : inner, indent, depth + 1);
      }
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT': {
        const q = QUALIFIER[t.kind] ?? '';
        if (this.btf.type(t.type)?.kind === 'PTR') return this.decl(t.type, `${q} ${declarator}`.trimEnd(), indent, depth + 1);
        const inner = this.decl(t.type, declarator, indent, depth + 1);
        // C cannot qualify an array, only its elements: `const` over an array of `const char` is said once.
        return inner.startsWith(`${q} `) ? inner : `${q} ${inner}`;
      }
      case 'TYPE_TAG':
        return this.decl(t.type, declarator, indent, depth + 1);
      case 'ARRAY':
        return this.decl(t.type, `${declarator}[${t.nelems}]`, indent, depth + 1);
      case 'FUNC_PROTO': {
        const params = t.params.map((p) => (p.type === 0 ? '...' : this.decl(p.type, p.name, indent, depth + 1)));
        return this.decl(t.type, `${declarator}(${params.length === 0 ? 'void' : params.join(', ')})`, indent, depth + 1);
      }
      case 'FUNC':
      case 'VAR':
        return this.decl(t.type, declarator, indent, depth + 1);
      case 'DATASEC':
      case 'DECL_TAG':
        return sep(`/* ${t.kind} */ void`);
    }
  }
}

/**
 * A C header for the BTF's types, like `bpftool btf dump file X format c`.
 *
 * @example
 * writeFileSync('vmlinux.h', dumpC(parseBtf(readFileSync('/sys/kernel/btf/vmlinux'))));
 */
export function dumpC(btf: Btf): string {
  const d = new CDumper(btf);
  for (const t of btf.types) {
    if (t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'ENUM' || t.kind === 'ENUM64' || t.kind === 'TYPEDEF' || t.kind === 'FWD') {
      if (t.name !== '') d.emit(t.id);
    }
  }
  return PROLOGUE + d.out.join('') + EPILOGUE;
}
