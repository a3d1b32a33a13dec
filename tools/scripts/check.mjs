// The one command that checks everything: build, typecheck, lint, the package
// boundary check, then every package's tests and the pack-and-install test.
// Ends with "ava: N passed, N failed".
import { spawn } from 'node:child_process';

const nx = ['exec', 'nx', 'run-many', '--output-style=static'];
// Run the same pnpm that runs us (pnpm 12 is a native binary), so nx finds it on PATH.
const execpath = process.env.npm_execpath;
const pnpm = !execpath ? ['npx', '-y', 'pnpm@12.4.2']
  : /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath];

function run(cmd, args) {
  return new Promise((resolve) => {
    spawn(cmd, args, { stdio: 'inherit' }).on('close', (code) => resolve(code ?? 1));
  });
}

/** Runs the commands one after another into one ava-summary, so the closing line counts them all. */
function runTap(commands) {
  return new Promise((resolve) => {
    const summary = spawn(process.execPath, ['tools/scripts/ava-summary.mjs'], { stdio: ['pipe', 'inherit', 'inherit'] });
    let worst = 0;
    const next = ([first, ...rest]) => {
      if (!first) {
        summary.stdin.end();
        summary.on('close', (s) => resolve(worst || s));
        return;
      }
      const child = spawn(first[0], first[1], { stdio: ['inherit', 'pipe', 'pipe'] });
      child.stdout.pipe(summary.stdin, { end: false });
      child.stderr.pipe(summary.stdin, { end: false });
      child.on('close', (code) => {
        worst ||= code ?? 1;
        next(rest);
      });
    };
    next(commands);
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
// Every package's tests, then the pack-and-install test (tools/scripts/pack-check.mjs).
const code = await runTap([
  [bin, [...pre, ...nx, '-t', 'test', '--', '--tap']],
  [process.execPath, ['tools/scripts/pack-check.mjs', '--built']],
]);
process.exit(code);
