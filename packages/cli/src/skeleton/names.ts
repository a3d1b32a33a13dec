/** Globals and helper names a generated module uses; a type with one of these names gets a suffix. */
const TAKEN = new Set([
  'Array', 'BigInt', 'Boolean', 'DataView', 'Error', 'Map', 'Number', 'Object', 'Promise', 'RangeError', 'Set',
  'String', 'Symbol', 'Uint8Array', 'Generator', 'Iterable', 'Parameters', 'NonNullable', 'ReturnType',
  'BpfObject', 'BpfMap', 'BpfProgram', 'Codec', 'TypedMap', 'PerCpuMap', 'GlobalSection',
]);

/**
 * `traffic_class` → `TrafficClass`, `__u32` → `U32`: a TypeScript type name from a C name.
 *
 * @example
 * pascalCase('traffic_class'); // 'TrafficClass'
 */
export function pascalCase(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const out = words.map((w) => (w[0] ?? '').toUpperCase() + w.slice(1)).join('');
  if (out === '') return 'Anon';
  return /^[0-9]/.test(out) ? `T${out}` : out;
}

/** Hands out type names once each, never one a generated module already uses. */
export class NameTable {
  readonly #used = new Set<string>(TAKEN);

  /** Reserves `name` (or `name2`, `name3`… when taken) and returns what it got. */
  claim(name: string): string {
    let candidate = name;
    for (let i = 2; this.#used.has(candidate); i++) candidate = `${name}${String(i)}`;
    this.#used.add(candidate);
    return candidate;
  }
}

/** True for a name usable as a TypeScript property without quotes. */
export function isIdentifier(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
}

/** Names a plain key would misread: `__proto__` sets an object literal's prototype, `constructor` is no accessor. */
const COMPUTED = new Set(['__proto__', 'constructor']);

/** A property key as written in an interface, object literal or class accessor. */
export function propertyKey(name: string): string {
  if (COMPUTED.has(name)) return `['${name}']`;
  return isIdentifier(name) ? name : JSON.stringify(name);
}

/** A property read: `x.name` or `x['__proto__']`. */
export function propertyAccess(target: string, name: string): string {
  return isIdentifier(name) && !COMPUTED.has(name) ? `${target}.${name}` : `${target}[${JSON.stringify(name)}]`;
}
