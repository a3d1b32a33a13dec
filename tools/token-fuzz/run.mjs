#!/usr/bin/env node
// Differential fuzzing of BPF token delegation: random token-oracle/v1 scenarios run on the
// simulated kernel (the replayer behind `bpfkit scenario replay`) and on the running Linux kernel
// (@bpfkit/linux/scenario: actors are processes in their own user and mount namespaces); every
// step is compared.
//
//   node tools/token-fuzz/run.mjs --seed 1 --count 200 [--out failures.json] [--only I] [--json]
//
// Needs root and the built packages (uapi, kernel-api, kernel, testing, linux). Exit status: 0 when
// every scenario agrees, 1 when some disagree, 2 for a usage error, 3 when the real kernel side cannot
// run here.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { replayScenarios } from '../../packages/testing/dist/index.js';
import { replayScenariosOnLinux } from '../../packages/linux/dist/scenario/index.js';
import { delegationAvailability } from '../../packages/linux/dist/delegation/index.js';
import { firstDisagreement } from './compare.mjs';
import { generateScenarios } from './gen.mjs';

const ENVIRONMENT = {
  'kernel.unprivileged_bpf_disabled': 2,
  harness_note: "init-ns actors run with the harness's capability set (CAP_SYS_RESOURCE absent, irrelevant here)",
};

function usage(message) {
  process.stderr.write(`token-fuzz: ${message}\nusage: node tools/token-fuzz/run.mjs --seed N --count M [--first I] [--only I] [--out FILE] [--json] [--ignore-info KEY,...] [--quiet]\n`);
  process.exit(2);
}

let opts;
try {
  opts = parseArgs({
    options: {
      seed: { type: 'string', default: '1' },
      count: { type: 'string', default: '100' },
      first: { type: 'string', default: '0' },
      only: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'ignore-info': { type: 'string', default: '' },
    },
    strict: true,
    allowPositionals: false,
  }).values;
} catch (e) {
  usage(e.message);
}
const int = (name, v) => {
  if (!/^\d+$/.test(v)) usage(`--${name} must be a non-negative integer, got ${v}`);
  return Number(v);
};
const seed = int('seed', opts.seed) >>> 0;
const first = opts.only !== undefined ? int('only', opts.only) : int('first', opts.first);
const count = opts.only !== undefined ? 1 : int('count', opts.count);
const ignore = new Set(opts['ignore-info'].split(',').filter((k) => k !== ''));

const avail = delegationAvailability();
if (!avail.available) {
  process.stderr.write(`token-fuzz: the real kernel side cannot run here: ${avail.reason}\n`);
  process.exit(3);
}

const scenarios = generateScenarios(seed, count, first);
const file = { schema: 'token-oracle/v1', kernel: 'fuzz', environment: ENVIRONMENT, scenarios };
const t0 = performance.now();
const sim = replayScenarios(file);
const t1 = performance.now();
const real = replayScenariosOnLinux(file);
const t2 = performance.now();

const failures = [];
const strip = (step) => {
  const out = { ...step };
  delete out.reason;
  return out;
};
scenarios.forEach((sc, i) => {
  const d = firstDisagreement(sim[i], real[i], ignore);
  if (d === undefined) return;
  failures.push({ scenario: sc, index: first + i, ...d });
  if (!opts.json && !opts.quiet) {
    const step = sc.steps[d.step];
    console.log(`DISAGREE ${sc.name} (--seed ${String(seed)} --only ${String(first + i)}) at step ${String(d.step)}: ${JSON.stringify(step)}`);
    for (const line of d.diffs) console.log(`  ${line}`);
    console.log(`  sim:   ${JSON.stringify(d.sim)}`);
    console.log(`  linux: ${JSON.stringify(d.real)}`);
    console.log(`  scenario: ${JSON.stringify(sc)}`);
  }
});

if (opts.out !== undefined) {
  // The failing scenarios with what Linux answered as each step's expect: replayable with
  // `bpfkit scenario replay FILE`, and usable as regression fixtures once the simulator agrees.
  const withExpect = failures.map((f) => {
    const r = real[f.index - first];
    const steps = f.scenario.steps.map((s, j) => ({ ...s, expect: strip(r.steps[j]) }));
    return { ...f.scenario, steps, expect: strip(r.steps[r.steps.length - 1]) };
  });
  writeFileSync(opts.out, `${JSON.stringify({ ...file, kernel: 'linux (token-fuzz)', scenarios: withExpect }, null, 1)}\n`);
}

const summary = {
  seed,
  first,
  count,
  disagreements: failures.length,
  failing: failures.map((f) => ({ name: f.scenario.name, step: f.step, op: f.scenario.steps[f.step]?.op ?? (f.scenario.steps[f.step]?.spawn !== undefined ? 'spawn' : 'pass_fd'), diffs: f.diffs })),
  ms: { sim: Math.round(t1 - t0), linux: Math.round(t2 - t1) },
};
if (opts.json) console.log(JSON.stringify(summary));
else console.log(`token-fuzz: seed ${String(seed)}, ${String(count)} scenarios, ${String(failures.length)} disagree (sim ${String(summary.ms.sim)} ms, linux ${String(summary.ms.linux)} ms)`);
process.exit(failures.length === 0 ? 0 : 1);
