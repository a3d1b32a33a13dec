import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import test from 'ava';
import { Command } from 'commander';
import { loadObjectSpec } from '@bpfkit/elf';
import { generateSkeleton, registerGen } from '../dist/skeleton/index.js';
import { CLI_DIR, FIXTURES, genDir, typeCheck, writeModule } from './skeleton-compile.js';

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
