import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { run } from './run.js';

const FIXTURES = new URL('../../elf/test/fixtures/', import.meta.url).pathname;
const NAMES = ['xdp_filter', 'socket_filter', 'tc_shared', 'globals', 'trace_ringbuf', 'map_values', 'xdp_filter_v4'];
const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-object-fuzz-'));

/** A small deterministic generator, so a failure names a case that can be replayed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s >>> 8;
  };
}

/** The fixture with a few bytes past the ELF magic overwritten, or cut short. */
function mutate(src: Uint8Array, seed: number): Uint8Array {
  const next = lcg(seed);
  if (next() % 5 === 0) return src.slice(0, 64 + (next() % (src.length - 64)));
  const b = src.slice();
  for (let n = 1 + (next() % 4); n > 0; n--) {
    const at = 16 + (next() % (b.length - 16));
    const boundary = [0x00, 0xff, 0x7f, 0x80, 0x01][next() % 5] ?? 0;
    b[at] = next() % 2 === 0 ? boundary : next() & 0xff;
  }
  return b;
}

test('object show and disasm on mutated objects answer or refuse in one line, never crash', async (t) => {
  let refused = 0;
  for (const name of NAMES) {
    const src = new Uint8Array(readFileSync(join(FIXTURES, `${name}.o`)));
    for (let seed = 1; seed <= 120; seed++) {
      const path = join(tmp, `${name}-${String(seed)}.o`);
      writeFileSync(path, mutate(src, seed));
      for (const argv of [['object', 'show', '--json', path], ['disasm', '--json', path], ['disasm', path]]) {
        const r = await run(...argv);
        const what = `${argv.join(' ')} (seed ${String(seed)})`;
        // Still ELF: a spec (0) or the loader's BpfError (1); 2 would be a crash reported as an error.
        t.true(r.code === 0 || r.code === 1, `${what}: exit ${String(r.code)} ${r.stderr}`);
        if (r.code === 1) {
          refused++;
          t.regex(r.stderr, /^bpfkit: E[A-Z0-9]+ \([a-z]+:[a-z0-9-]+\): [^\n]*\n$/, what);
        } else if (argv.includes('--json')) {
          t.notThrows(() => JSON.parse(r.stdout) as unknown, what);
        }
      }
    }
  }
  t.true(refused > 0);
});
