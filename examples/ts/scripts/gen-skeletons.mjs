#!/usr/bin/env node
// Regenerates src/skel/<name>.skel.ts with `bpfkit gen skeleton` (the CLI must be built).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_NAMES = ['xdp_firewall', 'socket_filter', 'tc_rewrite', 'cgroup_counter', 'core_trace'];
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${repo}packages/cli/dist/bin.js`;

for (const name of EXAMPLE_NAMES) {
  const text = execFileSync(process.execPath, [bin, 'gen', 'skeleton', `${repo}examples/${name}.o`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  writeFileSync(new URL(`../src/skel/${name}.skel.ts`, import.meta.url), text);
  console.log(`src/skel/${name}.skel.ts`);
}
