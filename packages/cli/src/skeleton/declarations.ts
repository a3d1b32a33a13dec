import type { Decl, Field } from './model.js';
import { propertyKey } from './names.js';
import { fieldOf, readField, tsType, writeField, type HelperSink } from './shapes.js';

const O = { base: 'o', k: 0 };

function literal(value: number | bigint): string {
  return typeof value === 'bigint' ? `${value.toString()}n` : String(value);
}

function fieldLine(f: Field, optional: boolean): string {
  return `  ${propertyKey(f.name)}${optional ? '?' : ''}: ${tsType(f.shape)};`;
}

function composite(d: Extract<Decl, { kind: 'struct' | 'union' }>, sink: HelperSink): string[] {
  const union = d.kind === 'union';
  const out = [`/** \`${d.cName}\` (${String(d.size)} bytes)${union ? '; encoding writes the members present, in order' : ''}. */`];
  out.push(`export interface ${d.name} {`, ...d.fields.map((f) => fieldLine(f, union)), '}', '');
  // A struct of unnamed members only (`struct bpf_timer`'s padding) reads nothing: its parameters go unused.
  const reads = d.fields.length > 0;
  out.push(`function read${d.name}(${reads ? 'v' : '_v'}: DataView, ${reads ? 'o' : '_o'}: number): ${d.name} {`);
  if (!reads) out.push('  return {};');
  else out.push('  return {', ...d.fields.map((f) => `    ${propertyKey(f.name)}: ${readField(f, O, sink)},`), '  };');
  out.push('}', '');
  const body: string[] = [];
  for (const f of d.fields) {
    const x = fieldOf('x', f);
    const stmts = writeField(f, O, x, sink);
    if (union) body.push(`if (${x} !== undefined) {`, ...stmts.map((s) => `  ${s}`), '}');
    else body.push(...stmts);
  }
  const used = body.length > 0;
  out.push(`function write${d.name}(${used ? 'v' : '_v'}: DataView, ${used ? 'o' : '_o'}: number, ${used ? 'x' : '_x'}: ${d.name}): void {`, ...body.map((s) => `  ${s}`), '}');
  return out;
}

function enumeration(d: Extract<Decl, { kind: 'enum' }>): string[] {
  const prim = d.big ? 'bigint' : 'number';
  const distinct = [...new Set(d.values.map((v) => v.value))];
  const out = [`/** \`${d.cName}\`: its values by name. */`];
  out.push(`export const ${d.name} = {`, ...d.values.map((v) => `  ${propertyKey(v.name)}: ${literal(v.value)},`), '} as const;', '');
  out.push(`/** A value of \`${d.cName}\` (${String(d.size)} bytes). */`);
  out.push(`export type ${d.name} = ${distinct.length === 0 ? prim : distinct.map(literal).join(' | ')};`, '');
  out.push(`const values${d.name}: ReadonlySet<${prim}> = new Set<${prim}>([${distinct.map(literal).join(', ')}]);`, '');
  out.push(`/** True when \`n\` is a value of \`${d.cName}\`. */`);
  out.push(`export function is${d.name}(n: ${prim}): n is ${d.name} {`, `  return ${distinct.length === 0 ? 'true' : `values${d.name}.has(n)`};`, '}', '');
  out.push(`function as${d.name}(n: ${prim}): ${d.name} {`, `  if (is${d.name}(n)) return n;`);
  out.push(`  throw new RangeError(\`\${String(n)} is not a value of ${d.cName}\`);`, '}', '');
  const bits = String(d.size * 8);
  const get = d.big ? `v.get${d.signed ? 'BigInt' : 'BigUint'}64(o, true)` : `v.get${d.signed ? 'Int' : 'Uint'}${bits}(o${d.size === 1 ? '' : ', true'})`;
  const set = d.big ? `v.set${d.signed ? 'BigInt' : 'BigUint'}64(o, x, true);` : `v.set${d.signed ? 'Int' : 'Uint'}${bits}(o, x${d.size === 1 ? '' : ', true'});`;
  out.push(`function read${d.name}(v: DataView, o: number): ${d.name} {`, `  return as${d.name}(${get});`, '}', '');
  out.push(`function write${d.name}(v: DataView, o: number, x: ${d.name}): void {`, `  ${set}`, '}');
  return out;
}

function codecs(name: string, cName: string, target: string, size: number): string[] {
  return [
    `const codec${name}: Codec<${name}> = { size: ${String(size)}, read: read${target}, write: write${target} };`,
    '',
    `/** \`${cName}\` as the kernel stores it: ${String(size)} little-endian bytes. */`,
    `export function encode${name}(x: ${name}): Uint8Array {`,
    `  return codecEncode(codec${name}, x);`,
    '}',
    '',
    `/** Reads \`${cName}\` from the first ${String(size)} bytes. */`,
    `export function decode${name}(bytes: Uint8Array): ${name} {`,
    `  return codecDecode(codec${name}, bytes);`,
    '}',
  ];
}

/**
 * The source of one declaration: its type, its read/write functions, its codec and
 * the exported `encode<Name>`/`decode<Name>`.
 */
export function declarationSource(d: Decl, sink: HelperSink): string {
  sink.need('codecEncode');
  sink.need('codecDecode');
  if (d.kind === 'alias') {
    let target: Decl = d.target;
    while (target.kind === 'alias') target = target.target;
    const size = target.size;
    return [`/** \`typedef ${d.cName}\`. */`, `export type ${d.name} = ${d.target.name};`, '', ...codecs(d.name, d.cName, target.name, size)].join('\n');
  }
  const body = d.kind === 'enum' ? enumeration(d) : composite(d, sink);
  return [...body, '', ...codecs(d.name, d.cName, d.name, d.size)].join('\n');
}
