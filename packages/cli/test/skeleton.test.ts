import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import test from 'ava';
import { Command } from 'commander';
import fc from 'fast-check';
import { BtfBuilder, decodeBtf } from '@bpfkit/btf';
import { loadObjectSpec } from '@bpfkit/elf';
import { isBpfError } from '@bpfkit/kernel-api';
import { internalMapName as libbpfInternalMapName } from '@bpfkit/libbpf';
import { generateSkeleton, registerGen, type SkeletonSource } from '../dist/skeleton/index.js';
import { internalMapName } from '../dist/skeleton/skeleton.js';
import { CLI_DIR, FIXTURES, genDir, typeCheck, writeModule } from './skeleton-compile.js';
import { run } from './run.js';

const ELF_FIXTURES = join(CLI_DIR, '../elf/test/fixtures');
const EXAMPLES = join(CLI_DIR, '../../examples');
const objects = [
  ...readdirSync(ELF_FIXTURES).filter((f) => f.endsWith('.o')).map((f) => join(ELF_FIXTURES, f)),
  ...readdirSync(EXAMPLES).filter((f) => f.endsWith('.o')).map((f) => join(EXAMPLES, f)),
].sort();

function skeletonOf(path: string): { name: string; text: string } {
  const bytes = readFileSync(path);
  const name = (path.split('/').pop() ?? '').replace(/\..*$/, '');
  return { name, text: generateSkeleton(loadObjectSpec(bytes), bytes, { objectName: name }) };
}

test('every fixture and example object gives a module that type-checks in strict mode', (t) => {
  t.true(objects.length >= 10);
  const dir = genDir('objects');
  const files = objects.map((o, i) => {
    const { name, text } = skeletonOf(o);
    return writeModule(dir, `${String(i)}_${name}.skel`, text).ts;
  });
  t.is(typeCheck(files), '');
});

test('the xdp_filter skeleton matches its golden copy', (t) => {
  const { text } = skeletonOf(join(ELF_FIXTURES, 'xdp_filter.o'));
  const golden = join(FIXTURES, 'xdp_filter.skel.ts.golden');
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, text);
  t.is(text, readFileSync(golden, 'utf8'));
});

test('generation is deterministic', (t) => {
  for (const o of objects) t.is(skeletonOf(o).text, skeletonOf(o).text);
});

test('typed maps, per-CPU maps and globals of the examples', (t) => {
  const cg = skeletonOf(join(EXAMPLES, 'cgroup_counter.o')).text;
  t.regex(cg, /readonly egress_traffic: PerCpuMap<TrafficClass, Traffic>;/);
  t.regex(cg, /export function encodeTrafficClass\(x: TrafficClass\): Uint8Array/);
  const fw = skeletonOf(join(EXAMPLES, 'xdp_firewall.o')).text;
  t.regex(fw, /get blocked_port\(\): number/);
  t.regex(fw, /readonly rodata: XdpFirewallRodata;/);
  const g = skeletonOf(join(ELF_FIXTURES, 'globals.o')).text;
  // Static variables are not part of a skeleton (as with bpftool).
  t.notRegex(g, /\bseen\b/);
  t.regex(g, /readonly data_extra: GlobalsDataExtra;/);
  const rb = skeletonOf(join(ELF_FIXTURES, 'trace_ringbuf.o')).text;
  t.regex(rb, /: BpfMap;/);
});

async function cli(...argv: string[]): Promise<{ out: string; err: unknown }> {
  let out = '';
  const program = new Command('bpfkit').exitOverride();
  registerGen(program, { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: () => true } });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { out, err: undefined };
  } catch (err) {
    return { out, err };
  }
}

test('bpfkit gen skeleton FILE prints the module; --name renames it', async (t) => {
  const file = join(ELF_FIXTURES, 'xdp_filter.o');
  const a = await cli('gen', 'skeleton', file);
  t.is(a.err, undefined);
  t.is(a.out, skeletonOf(file).text);
  const b = await cli('gen', 'skeleton', '--name', 'fw', file);
  t.regex(b.out, /export class FwSkeleton/);
  t.regex(b.out, /export const objectName = 'fw';/);
  const c = await cli('gen', 'skeleton', '--name', 'not-ok', file);
  t.regex(String(c.err), /not a C identifier/);
  const d = await cli('gen', 'skeleton', join(EXAMPLES, 'xdp_count.c'));
  t.regex(String(d.err), /not an ELF object/);
});

function sourceWith(btfTypes: (b: BtfBuilder) => number): SkeletonSource {
  const b = new BtfBuilder();
  const id = btfTypes(b);
  return {
    programs: [],
    maps: [{ name: 'm', type: 1, keySize: 4, valueSize: 8, keyTypeId: id, valueTypeId: 0 }],
    dataSections: [],
    btf: decodeBtf(b.encode()),
  };
}

test('malformed BTF is a BpfError, never a crash or a hang', (t) => {
  const bad = [
    (b: BtfBuilder) => b.add({ kind: 'TYPEDEF', name: 'dangling', type: 99, kflag: false }),
    (b: BtfBuilder) => b.add({ kind: 'STRUCT', name: 'self', size: 4, kflag: false, members: [{ name: 'me', type: 1, bitsOffset: 0, bitfieldSize: 0 }] }),
    (b: BtfBuilder) => {
      const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
      return b.add({ kind: 'STRUCT', name: 'short', size: 4, kflag: false, members: [{ name: 'a', type: int, bitsOffset: 8, bitfieldSize: 0 }] });
    },
    (b: BtfBuilder) => {
      const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
      return b.add({ kind: 'STRUCT', name: 'odd', size: 4, kflag: true, members: [{ name: 'a', type: int, bitsOffset: 30, bitfieldSize: 8 }] });
    },
    (b: BtfBuilder) => {
      const td = b.add({ kind: 'TYPEDEF', name: 'a', type: 2, kflag: false });
      b.add({ kind: 'TYPEDEF', name: 'b', type: td, kflag: false });
      return td;
    },
  ];
  for (const make of bad) {
    const err = t.throws(() => generateSkeleton(sourceWith(make), new Uint8Array(0), { objectName: 'x' }));
    t.true(isBpfError(err), String(err));
  }
  t.throws(() => generateSkeleton(sourceWith((b) => b.add({ kind: 'INT', name: 'int', size: 4, encoding: 0, bitsOffset: 0, bits: 32 })), new Uint8Array(0), { objectName: '' }));
});

test('fuzz: objects with flipped bytes give a module or a BpfError', (t) => {
  const base = readFileSync(join(ELF_FIXTURES, 'map_values.o'));
  let generated = 0;
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
      const bytes = Uint8Array.from(base);
      for (const [i, v] of flips) bytes[i] = v;
      try {
        generateSkeleton(loadObjectSpec(bytes), bytes, { objectName: 'fuzz' });
        generated++;
      } catch (e) {
        if (!isBpfError(e)) throw e;
      }
    }),
    { numRuns: 300, seed: 42 },
  );
  t.true(generated > 0);
});

test('bpfkit gen skeleton is a verb of the bpfkit command', async (t) => {
  const file = join(ELF_FIXTURES, 'xdp_filter.o');
  const r = await run('gen', 'skeleton', file);
  t.is(r.code, 0);
  t.is(r.stdout, skeletonOf(file).text);
  const bad = await run('gen', 'skeleton', '--name', 'a-b', file);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /not a C identifier/);
});

test('without BTF, maps and globals are byte arrays', (t) => {
  const source: SkeletonSource = {
    programs: [{ name: 'p', sectionName: 'socket' }],
    maps: [{ name: 'legacy', type: 2, keySize: 4, valueSize: 12, keyTypeId: 0, valueTypeId: 0 }],
    dataSections: [{ name: '.bss', kind: 'bss', variables: [{ name: 'buf', offset: 0, size: 8, typeId: 0, global: true }] }],
    btf: undefined,
  };
  const text = generateSkeleton(source, new Uint8Array(8), { objectName: 'nobtf' });
  t.regex(text, /readonly legacy: TypedMap<Uint8Array, Uint8Array>;/);
  t.regex(text, /get buf\(\): Uint8Array/);
  t.is(typeCheck([writeModule(genDir('nobtf'), 'nobtf.skel', text).ts]), '');
});

test('C names that mean something else in JavaScript stay plain properties', async (t) => {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const st = b.add({
    kind: 'STRUCT', name: 'odd', size: 8, kflag: false,
    members: [{ name: '__proto__', type: int, bitsOffset: 0, bitfieldSize: 0 }, { name: 'constructor', type: int, bitsOffset: 32, bitfieldSize: 0 }],
  });
  const source: SkeletonSource = {
    programs: [],
    maps: [{ name: '__proto__', type: 1, keySize: 8, valueSize: 4, keyTypeId: st, valueTypeId: int }],
    dataSections: [{ name: '.data', kind: 'data', variables: [{ name: 'constructor', offset: 0, size: 8, typeId: st, global: true }] }],
    btf: decodeBtf(b.encode()),
  };
  const text = generateSkeleton(source, new Uint8Array(8), { objectName: 'odd' });
  const dir = genDir('odd');
  const files = writeModule(dir, 'odd.skel', text, './none.js');
  t.is(typeCheck([files.ts]), '');
  writeFileSync(join(dir, 'none.js'), 'export class BpfObject {}\n');
  const mod = (await import(pathToFileURL(files.js).href)) as { encodeOdd(x: object): Uint8Array; decodeOdd(b: Uint8Array): object };
  const x = mod.decodeOdd(mod.encodeOdd(JSON.parse('{"__proto__": 1, "constructor": 2}') as object));
  t.deepEqual(Object.entries(x), [['__proto__', 1], ['constructor', 2]]);
  t.is(Object.getPrototypeOf(x), Object.prototype);
});

test('data section maps are found under the name libbpf gives them', (t) => {
  for (const obj of ['xdp_filter', 'a', 'a_rather_long_object_name', 'odd-name']) {
    for (const sec of ['.data', '.rodata', '.bss', '.data.extra', '.rodata.a_very_long_custom_name', '.data.x']) {
      const { suffix, prefixMax } = internalMapName(sec);
      t.is(obj.slice(0, prefixMax).replace(/[^A-Za-z0-9_.]/g, '_') + suffix, libbpfInternalMapName(obj, sec), `${obj} ${sec}`);
    }
  }
});
