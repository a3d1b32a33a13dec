// The one command that checks everything: build, typecheck, lint, the package
// boundary check, then every package's tests. Ends with "ava: N passed, N failed".
import { spawn } from 'node:child_process';

const nx = ['exec', 'nx', 'run-many', '--output-style=static'];
// Run the same pnpm that runs us (pnpm 12 is a native binary), so nx finds it on PATH.
const execpath = process.env.npm_execpath;
const pnpm = !execpath ? ['npx', '-y', 'pnpm@12.4.2']
  : /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath];

function run(cmd, args, { tap = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: tap ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
    if (tap) {
      const summary = spawn(process.execPath, ['tools/scripts/ava-summary.mjs'], { stdio: ['pipe', 'inherit', 'inherit'] });
      child.stdout.pipe(summary.stdin, { end: false });
      child.stderr.pipe(summary.stdin, { end: false });
      let open = 2;
      const done = () => { if (--open === 0) summary.stdin.end(); };
      child.stdout.on('end', done);
      child.stderr.on('end', done);
      child.on('close', (code) => summary.on('close', (s) => resolve(code || s)));
    } else {
      child.on('close', (code) => resolve(code ?? 1));
    }
  });
}

const [bin, ...pre] = pnpm;
const steps = [
  [bin, [...pre, ...nx, '-t', 'build']],
  [bin, [...pre, 'exec', 'tsc', '-b']],
  [bin, [...pre, ...nx, '-t', 'lint']],
  [process.execPath, ['tools/scripts/check-boundaries.mjs']],
];
let failed = false;
for (const [cmd, args] of steps) {
  const code = await run(cmd, args);
  if (code !== 0) { failed = true; console.error(`check: step failed: ${args.slice(-3).join(' ')}`); break; }
}
if (failed) {
  console.log('ava: 0 passed, 1 failed');
  process.exit(1);
}
const code = await run(bin, [...pre, ...nx, '-t', 'test', '--', '--tap'], { tap: true });
process.exit(code);
