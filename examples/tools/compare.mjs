#!/usr/bin/env node
// Compares `bpfkit object run --json` documents with the real kernel's recorded answers
// in examples/kernel-results/: per step rc, retval and data_out; after each test run every
// map's contents and the number of ring buffer samples. Exits 1 on a difference.
//
//   node packages/cli/dist/bin.js object run examples/tc_rewrite.o \
//     --steps examples/tc_rewrite.steps.json --json > /tmp/tc.json
//   node examples/tools/compare.mjs /tmp/tc.json
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const results = join(dirname(fileURLToPath(import.meta.url)), '..', 'kernel-results');

/** Map name -> comparable contents; bpftool pins `x.bss` as `x_bss`, object run dumps internal maps as `value`. */
function maps(list) {
  return Object.fromEntries((list ?? []).map((m) => {
    const name = m.name.replace(/\.(bss|rodata|data|kconfig)$/, '_$1');
    if (m.skipped) return [name, 'skipped'];
    if (m.value !== undefined) return [name, m.value];
    if (/_(bss|rodata|data|kconfig)$/.test(name) && m.entries?.length === 1) return [name, m.entries[0].value];
    return [name, JSON.stringify(m.entries)];
  }));
}

let failed = false;
for (const path of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const ref = JSON.parse(readFileSync(join(results, `${basename(doc.file, '.o')}.json`), 'utf8'));
  const diffs = [];
  if (!doc.load?.ok) diffs.push(`load: ${JSON.stringify(doc.load)}`);
  (doc.steps ?? []).forEach((s, i) => {
    const r = ref.steps[i];
    const where = `step ${i} (${s.label ?? s.op})`;
    for (const f of ['rc', 'retval', 'data_out'])
      if (JSON.stringify(s[f]) !== JSON.stringify(r?.[f])) diffs.push(`${where} ${f}: ${JSON.stringify(s[f])}, kernel ${JSON.stringify(r?.[f])}`);
    if (s.op !== 'test_run') return;
    const a = maps(s.maps_after);
    const b = maps(r?.maps_after);
    for (const m of new Set([...Object.keys(a), ...Object.keys(b)]))
      if (a[m] !== b[m]) diffs.push(`${where} map ${m}: ${a[m]}, kernel ${b[m]}`);
    const na = s.ringbuf_samples?.length ?? 0;
    const nb = r?.ringbuf_samples?.length ?? 0;
    if (na !== nb) diffs.push(`${where} ring buffer samples: ${na}, kernel ${nb}`);
  });
  console.log(`${path}: ${diffs.length === 0 ? 'matches the kernel' : `${diffs.length} difference(s)`}`);
  for (const d of diffs) console.log(`  ${d}`);
  failed ||= diffs.length > 0;
}
process.exit(failed ? 1 : 0);
