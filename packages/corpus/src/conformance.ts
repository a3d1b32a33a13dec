import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { sharedPath } from './locate.js';

/** What `kernel-6.18.json` records for one vector (the fields suites read). */
export interface ConformanceKernelEntry {
  readonly file: string;
  /** The assembled body, slots in memory order; absent when it did not assemble or has no program. */
  readonly insn_hex?: string | null;
  readonly expected?: string;
  readonly expected_error?: string;
  readonly kernel: { readonly status: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/** One `.data` vector of the ISA conformance corpus. */
export interface ConformanceVector {
  /** Path below `corpus/conformance/`, e.g. `bpf_conformance/tests/add.data`. */
  readonly id: string;
  /** Sections by name (`asm`, `raw`, `result`, `asm @ file`, …), bodies verbatim. */
  readonly sections: ReadonlyMap<string, string>;
  /** The assembly text: the `-- asm` section, or the file an `-- asm @ file` section names. */
  readonly asm: string | undefined;
  /** The `-- raw` program as bytes in memory order. */
  readonly raw: Uint8Array | undefined;
  /** The kernel observation, when `kernel-6.18.json` has one. */
  readonly kernel: ConformanceKernelEntry | undefined;
}

/**
 * Splits a `.data` file into its sections: a line `-- <name>` starts one and
 * it runs to the next `--` line; lines before the first section are the header.
 *
 * @example
 * parseDataSections('-- asm\nexit\n-- result\n0x0\n').get('asm'); // 'exit\n'
 */
export function parseDataSections(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let body: string[] = [];
  const flush = (): void => {
    if (name !== undefined) sections.set(name, body.join('\n') + (body.length > 0 ? '\n' : ''));
  };
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('--')) {
      flush();
      name = line.slice(2).trim();
      body = [];
    } else if (name !== undefined) {
      body.push(line);
    }
  }
  flush();
  return sections;
}

/**
 * Decodes a `-- raw` body: one 64-bit hex number per token (the slot read as a
 * little-endian u64, opcode in the low byte), or lines of 8 hex bytes in
 * memory order (`07 00 01 00 01 00 00 00`). `#` starts a comment.
 */
export function parseRawSection(body: string): Uint8Array {
  const slots: Uint8Array[] = [];
  for (const rawLine of body.split(/\r?\n/)) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    if (tokens.length === 8 && tokens.every((t) => /^[0-9a-fA-F]{2}$/.test(t))) {
      slots.push(Uint8Array.from(tokens.map((t) => parseInt(t, 16))));
      continue;
    }
    for (const token of tokens) {
      if (!/^(0x)?[0-9a-fA-F]{1,16}$/i.test(token)) throw new Error(`bad raw token '${token}'`);
      const value = BigInt(token.toLowerCase().startsWith('0x') ? token : `0x${token}`);
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setBigUint64(0, value, true);
      slots.push(bytes);
    }
  }
  const out = new Uint8Array(slots.length * 8);
  slots.forEach((s, i) => {
    out.set(s, i * 8);
  });
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else if (name.endsWith('.data')) out.push(path);
  }
  return out;
}

/** The kernel observations of `kernel-6.18.json`, by vector id; `undefined` without the corpus. */
export function conformanceKernelEntries(): Map<string, ConformanceKernelEntry> | undefined {
  const path = sharedPath('corpus', 'conformance', 'kernel-6.18.json');
  if (path === undefined) return undefined;
  const json = JSON.parse(readFileSync(path, 'utf8')) as { tests: Record<string, ConformanceKernelEntry> };
  return new Map(Object.entries(json.tests));
}

/**
 * Every `.data` vector of `corpus/conformance` (bpf_conformance tests and
 * negatives, uBPF tests), sorted by id; `undefined` when the corpus is absent.
 */
export function conformanceVectors(): ConformanceVector[] | undefined {
  const root = sharedPath('corpus', 'conformance');
  const kernel = conformanceKernelEntries();
  if (root === undefined || kernel === undefined) return undefined;
  return walk(root).map((file) => {
    const id = relative(root, file).split('\\').join('/');
    const sections = parseDataSections(readFileSync(file, 'utf8'));
    let asm = sections.get('asm');
    for (const [name] of sections) {
      const include = /^asm @ (.+)$/.exec(name);
      if (include?.[1] !== undefined) asm = readFileSync(join(dirname(file), include[1].trim()), 'utf8');
    }
    const rawBody = sections.get('raw');
    return { id, sections, asm, raw: rawBody === undefined ? undefined : parseRawSection(rawBody), kernel: kernel.get(id) };
  });
}
