import type { Shape, TypeModel } from './model.js';
import { isIdentifier, pascalCase, propertyKey } from './names.js';
import { readExpr, tsType, writeStmts, type HelperSink } from './shapes.js';
import type { SkeletonSource } from './source.js';

const BPF_OBJ_NAME_LEN = 16;
/** PERCPU_HASH, PERCPU_ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE: lookups return one value per CPU. */
const PER_CPU_TYPES = new Set([5, 6, 10, 21]);
/** PROG_ARRAY, PERF_EVENT_ARRAY, CGROUP_ARRAY, ARRAY_/HASH_OF_MAPS, SOCKMAP, XSKMAP, SOCKHASH: values are fds in, ids out. */
const FD_VALUE_TYPES = new Set([3, 4, 8, 12, 13, 15, 17, 18]);

/** Codec constants for shapes that are not named types, one per distinct shape. */
export class CodecTable {
  readonly #byText = new Map<string, string>();
  readonly #lines: string[] = [];
  readonly #sink: HelperSink;

  constructor(sink: HelperSink) {
    this.#sink = sink;
  }

  /** The name of a `Codec<T>` constant for `shape`. */
  codecFor(shape: Shape): string {
    if (shape.kind === 'ref') return `codec${shape.decl.name}`;
    this.#sink.need('codec');
    const o = { base: 'o', k: 0 };
    const write = writeStmts(shape, o, 'x', this.#sink);
    const writeFn = write.length === 1 ? `(v, o, x) => {\n    ${write[0] ?? ''}\n  }` : `(v, o, x) => {\n${write.map((l) => `    ${l}`).join('\n')}\n  }`;
    const text = `{\n  size: ${String(shape.size)},\n  read: (v, o) => ${readExpr(shape, o, this.#sink)},\n  write: ${writeFn},\n}`;
    const key = `${tsType(shape)}|${text}`;
    let name = this.#byText.get(key);
    if (name === undefined) {
      name = `shapeCodec${String(this.#byText.size)}`;
      this.#byText.set(key, name);
      this.#lines.push(`const ${name}: Codec<${tsType(shape)}> = ${text};`);
    }
    return name;
  }

  source(): string {
    return this.#lines.join('\n\n');
  }
}

/**
 * How libbpf names a data section's map: up to `prefixMax` characters of the object's name
 * (none for a custom `.data.foo`), then `suffix`, a piece of the section's name.
 */
export function internalMapName(section: string): { suffix: string; prefixMax: number } {
  const len = Math.min(Math.max(7, section.length), BPF_OBJ_NAME_LEN - 1);
  const custom = section.slice(1).includes('.');
  return { suffix: section.slice(0, len).replace(/[^A-Za-z0-9_.]/g, '_'), prefixMax: custom ? 0 : BPF_OBJ_NAME_LEN - len - 1 };
}

/** `.rodata` → `rodata`, `.data.extra` → `data_extra`: the skeleton's field for a data section. */
export function sectionField(section: string): string {
  const f = section.replace(/^\./, '').replace(/[^A-Za-z0-9_]/g, '_');
  return isIdentifier(f) ? f : `_${f}`;
}

interface MapPlan {
  readonly name: string;
  readonly kind: 'typed' | 'percpu' | 'raw';
  readonly key: Shape | undefined;
  readonly value: Shape | undefined;
}

interface SectionPlan {
  readonly section: string;
  readonly kind: 'data' | 'rodata' | 'bss';
  readonly field: string;
  readonly className: string;
  readonly vars: readonly { readonly name: string; readonly offset: number; readonly shape: Shape }[];
}

function sized(model: TypeModel | undefined, typeId: number, size: number, hint: string): Shape {
  if (model === undefined || typeId === 0) return { kind: 'bytes', size };
  const shape = model.shapeOf(typeId, hint);
  return shape.size === size ? shape : { kind: 'bytes', size };
}

/** Decides what the skeleton exposes for each map and data section (this is where BTF is walked). */
export function plan(src: SkeletonSource, model: TypeModel | undefined, base: string): { maps: MapPlan[]; sections: SectionPlan[] } {
  const maps = src.maps.map((m): MapPlan => {
    if (m.keySize === 0) return { name: m.name, kind: 'raw', key: undefined, value: undefined };
    const key = sized(model, m.keyTypeId, m.keySize, `${pascalCase(m.name)}Key`);
    const value: Shape = m.valueTypeId === 0 && m.valueSize === 4 && FD_VALUE_TYPES.has(m.type)
      ? { kind: 'int', size: 4, signed: false }
      : sized(model, m.valueTypeId, m.valueSize, `${pascalCase(m.name)}Value`);
    return { name: m.name, kind: PER_CPU_TYPES.has(m.type) ? 'percpu' : 'typed', key, value };
  });
  const sections: SectionPlan[] = [];
  for (const d of src.dataSections) {
    const vars = d.variables.filter((v) => v.global);
    if (vars.length === 0) continue;
    const field = sectionField(d.name);
    const className = model?.claim(`${base}${pascalCase(field)}`) ?? `${base}${pascalCase(field)}`;
    sections.push({
      section: d.name,
      kind: d.kind,
      field,
      className,
      vars: vars.map((v) => ({ name: v.name, offset: v.offset, shape: sized(model, v.typeId, v.size, pascalCase(v.name)) })),
    });
  }
  return { maps, sections };
}

function mapType(m: MapPlan): string {
  if (m.kind === 'raw' || m.key === undefined || m.value === undefined) return 'BpfMap';
  return `${m.kind === 'percpu' ? 'PerCpuMap' : 'TypedMap'}<${tsType(m.key)}, ${tsType(m.value)}>`;
}

function sectionDoc(s: SectionPlan): string {
  if (s.kind === 'rodata') return `\`${s.section}\`: set before load(); read-only to programs once loaded.`;
  return `\`${s.section}\`: set before load() as the initial value; after load() reads and writes go through its map.`;
}

/** The section classes: a getter and a setter per global variable. */
export function sectionSource(s: SectionPlan, codecs: CodecTable): string {
  const out = [`/** ${sectionDoc(s)} */`, `export class ${s.className} {`, '  readonly #g: GlobalSection;', '', '  constructor(g: GlobalSection) {', '    this.#g = g;', '  }'];
  for (const v of s.vars) {
    const c = codecs.codecFor(v.shape);
    const t = tsType(v.shape);
    const key = quote(v.name);
    const prop = propertyKey(v.name);
    out.push('', `  get ${prop}(): ${t} {`, `    return this.#g.read(${key}, ${String(v.offset)}, ${c});`, '  }');
    out.push('', `  set ${prop}(x: ${t}) {`, `    this.#g.write(${key}, ${String(v.offset)}, ${c}, x);`, '  }');
  }
  out.push('}');
  return out.join('\n');
}

/** `export interface <Name>Types`: every map's key and value type and every global's type. */
export function typesSource(name: string, maps: readonly MapPlan[], sections: readonly SectionPlan[]): string {
  const out = ['/** The types of the maps and globals, by name. */', `export interface ${name} {`];
  const typed = maps.flatMap((m) => (m.key === undefined || m.value === undefined ? [] : [`readonly ${propertyKey(m.name)}: { readonly key: ${tsType(m.key)}; readonly value: ${tsType(m.value)} };`]));
  out.push(...block('  readonly maps: ', typed, ';', EMPTY_TYPE));
  for (const s of sections) {
    out.push(`  readonly ${s.field}: {`);
    for (const v of s.vars) out.push(`    readonly ${propertyKey(v.name)}: ${tsType(v.shape)};`);
    out.push('  };');
  }
  out.push('}');
  return out.join('\n');
}

/** A single-quoted string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The type of an object with no properties (`{}` would mean any non-nullish value). */
const EMPTY_TYPE = 'Record<string, never>';

/** An object type or literal with one entry a line, indented under `head`; `empty` when there is none. */
function block(head: string, entries: readonly string[], end = '', empty = '{}'): string[] {
  if (entries.length === 0) return [`${head}${empty}${end}`];
  const indent = ' '.repeat(head.length - head.trimStart().length + 2);
  return [`${head}{`, ...entries.map((e) => `${indent}${e}`), `${' '.repeat(indent.length - 2)}}${end}`];
}

/** The skeleton class. */
export function classSource(
  cls: string, optsType: string, bytesFn: string, progs: readonly string[], maps: readonly MapPlan[], sections: readonly SectionPlan[], codecs: CodecTable, sink: HelperSink,
): string {
  const out = [
    `/** Options of {@link ${cls}.open}: those of \`BpfObject.open\` (the object's bytes and name come from this module). */`,
    `export type ${optsType} = NonNullable<Parameters<typeof BpfObject.open>[1]>;`,
    '',
    '/** The object with one typed field per program, map and global variable. */',
    `export class ${cls} {`,
    '  /** The object this skeleton wraps. */',
    '  readonly obj: BpfObject;',
    ...block('  readonly progs: ', progs.map((p) => `readonly ${propertyKey(p)}: BpfProgram;`), ';', EMPTY_TYPE),
    ...block('  readonly maps: ', maps.map((m) => `readonly ${propertyKey(m.name)}: ${mapType(m)};`), ';', EMPTY_TYPE),
  ];
  for (const s of sections) out.push(`  readonly ${s.field}: ${s.className};`);
  out.push('  #loaded = false;', '', '  private constructor(obj: BpfObject) {', '    this.obj = obj;');
  out.push(...block('    this.progs = ', progs.map((p) => `${propertyKey(p)}: obj.program(${quote(p)}),`), ';'));
  const mapInits = maps.map((m) => {
    const raw = `obj.map(${quote(m.name)})`;
    if (m.kind === 'raw' || m.key === undefined || m.value === undefined) return `${propertyKey(m.name)}: ${raw},`;
    sink.need(m.kind === 'percpu' ? 'perCpuMap' : 'typedMap');
    return `${propertyKey(m.name)}: new ${m.kind === 'percpu' ? 'PerCpuMap' : 'TypedMap'}(${raw}, ${codecs.codecFor(m.key)}, ${codecs.codecFor(m.value)}),`;
  });
  out.push(...block('    this.maps = ', mapInits, ';'));
  if (sections.length > 0) {
    sink.need('globals');
    out.push('    const loaded = (): boolean => this.#loaded;');
    for (const s of sections) {
      const { suffix, prefixMax } = internalMapName(s.section);
      out.push(`    this.${s.field} = new ${s.className}(new GlobalSection(obj, ${quote(s.section)}, ${quote(suffix)}, ${String(prefixMax)}, loaded));`);
    }
  }
  out.push('  }', '');
  out.push(`  /** Opens the embedded object (nothing reaches the kernel before {@link ${cls}.load}). */`);
  out.push(`  static open(opts: ${optsType}): ${cls} {`, `    return new ${cls}(BpfObject.open(${bytesFn}(), { name: objectName, ...opts }));`, '  }', '');
  out.push('  /** Creates the maps and loads the programs. */');
  out.push('  load(): void {', '    this.obj.load();', '    this.#loaded = true;', '  }', '');
  out.push('  /** True once {@link load} has run: globals then read and write through their maps. */', '  get loaded(): boolean {', '    return this.#loaded;', '  }', '');
  out.push('  /** Closes every fd of the object. */', '  close(): void {', '    this.obj.close();', '  }', '}');
  return out.join('\n');
}
