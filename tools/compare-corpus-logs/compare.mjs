// The whole level-2 verifier log of every case of ../shared/corpus/verifier that the kernel gave a
// verdict, in the simulated kernel and in this machine's kernel (root, bpf() allowed), compared
// line for line (map addresses, kfunc BTF ids and the verification time aside): one JSON line, then
// with --failures each case's first differing line.
// Run after `pnpm build`: node tools/compare-corpus-logs/compare.mjs [--failures] [id-substring]
import { sharedPath } from '../../packages/corpus/dist/index.js';
import { hostVmlinuxBtf } from '../../packages/kernel/dist/defaults/index.js';
import { createLinuxSyscall } from '../../packages/linux/dist/index.js';
import { compareLiveLogs } from '../../packages/testing/dist/index.js';

const root = sharedPath('corpus', 'verifier');
if (root === undefined) {
  console.error('compare-corpus-logs: no ../shared/corpus/verifier (set BPFKIT_SHARED)');
  process.exit(1);
}
const filter = process.argv.slice(2).find((a) => !a.startsWith('--'));
const linux = { open: () => createLinuxSyscall(), close: () => {} };
const r = compareLiveLogs(root, linux, hostVmlinuxBtf(), filter === undefined ? {} : { filter });
console.log(JSON.stringify({ suite: 'verifier-live-logs', passed: r.passed, total: r.total, left_out: r.leftOut }));
if (process.argv.includes('--failures')) {
  for (const f of r.failures) console.error(`  ${f.id}: line ${String(f.line)}: kernel ${JSON.stringify(f.kernel)}, ours ${JSON.stringify(f.ours)}`);
}
