import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const NAMES = ['xdp_firewall', 'socket_filter', 'tc_rewrite', 'cgroup_counter', 'core_trace'];
const pkg = fileURLToPath(new URL('../', import.meta.url));
const examples = fileURLToPath(new URL('../../', import.meta.url));
// @bpfkit/cli exports no generator, so the test runs its bin as `pnpm gen` does.
const bin = fileURLToPath(new URL('./bin.js', import.meta.resolve('@bpfkit/cli')));

for (const name of NAMES) {
  test(`src/skel/${name}.skel.ts is what bpfkit gen skeleton prints now (pnpm gen regenerates it)`, (t) => {
    const fresh = execFileSync(process.execPath, [bin, 'gen', 'skeleton', `${examples}${name}.o`], { encoding: 'utf8', maxBuffer: 64 << 20 });
    t.is(readFileSync(`${pkg}src/skel/${name}.skel.ts`, 'utf8'), fresh);
  });
}
