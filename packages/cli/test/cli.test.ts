import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { Help } from 'commander';
import { buildProgram } from '@bpfkit/cli';
import { EXAMPLES, run } from './run.js';

const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(PACKAGE, 'dist', 'bin.js');
const tmp = mkdtempSync(join(tmpdir(), 'bpfkit-cli-'));

test.after.always(() => {
  rmSync(tmp, { recursive: true, force: true });
});
const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

test('usage errors exit 2: an unknown verb, option or subcommand, a missing or extra argument', async (t) => {
  const cases = [['frob'], ['disasm', '--frob', 'x'], ['disasm'], ['disasm', 'a.hex', 'b.hex'], ['token', 'frob'], ['token', 'plan'], ['token', 'explain', 'btf_load'], ['scenario', 'replay'], ['help', 'frob'], []];
  for (const argv of cases) {
    const r = await run(...argv);
    t.is(r.code, 2, `bpfkit ${argv.join(' ')}: ${r.stderr}`);
    t.not(r.stderr, '', argv.join(' '));
    t.is(r.stdout, '', argv.join(' '));
  }
});

test('an unknown verb names the nearest one', async (t) => {
  const r = await run('tokn');
  t.is(r.code, 2);
  t.regex(r.stderr, /unknown command 'tokn'\n\(Did you mean token\?\)/);
});

test('--help and --version exit 0; the help documents the exit codes', async (t) => {
  const help = await run('--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /^Usage: bpfkit \[options\] \[command\]/);
  t.regex(help.stdout, /Exit codes:\n {2}0 .+\n {2}1 {2}the kernel refuses.+\n(?: {5}.+\n)* {2}2 {2}usage/);
  t.is((await run('--version')).stdout, '0.0.0\n');
  t.is((await run('help')).stdout, help.stdout);
  const sub = await run('help', 'token');
  t.is(sub.code, 0);
  t.regex(sub.stdout, /^Usage: bpfkit token/);
});

test('the kernel refusing is exit 1', async (t) => {
  const leak = join(tmp, 'leak.s');
  writeFileSync(leak, 'r0 = r10\nexit\n');
  t.is((await run('verify', '--unprivileged', leak)).code, 1);
  const refused = await run('token', 'explain', '-m', 'delegate_cmds=map_create', 'map_create', 'hash');
  t.is(refused.code, 1);
});

test('the verb table that --help prints matches every loaded verb', async (t) => {
  const program = await buildProgram(silent);
  const help = new Help();
  const listed = (await run('--help')).stdout;
  for (const cmd of program.commands) {
    t.true(listed.includes(help.subcommandTerm(cmd)), cmd.name());
    const first = cmd.description().split(' ').slice(0, 5).join(' ');
    t.true(listed.includes(first), cmd.name());
  }
  const section = listed.slice(listed.indexOf('Commands:\n'), listed.indexOf('\n\n', listed.indexOf('Commands:\n')));
  const names = [...section.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]);
  t.deepEqual(names, [...program.commands.map((c) => c.name()), 'help']);
});

test('bpfkit --help loads none of the packages and no command module', (t) => {
  const hooks = join(tmp, 'hooks.mjs');
  writeFileSync(hooks, "import { writeSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); writeSync(2, `LOAD ${r.url}\\n`); return r; }\n");
  const register = join(tmp, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
  const r = spawnSync(process.execPath, ['--import', register, BIN, '--help'], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const loaded = r.stderr.split('\n').filter((l) => l.startsWith('LOAD ')).map((l) => l.slice(5));
  t.true(loaded.length > 0);
  const heavy = loaded.filter((u) => u.includes('/node_modules/') || /\/commands\/(?!index\.js)/.test(u) || !u.startsWith('file:'));
  t.deepEqual(heavy, []);
});

// Start-up time is measured by `pnpm bench` (its `startup` line), not asserted here: the structural
// property above (nothing heavy loaded for --help) is what keeps it low.

test('the package bin is an executable node script', (t) => {
  const pkg = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  t.is(pkg.bin?.['bpfkit'], './dist/bin.js');
  t.true(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node\n'));
  if (process.platform === 'win32') return;
  t.not(statSync(BIN).mode & 0o111, 0, 'dist/bin.js is executable after the build');
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  t.is(r.stdout, '0.0.0\n', r.stderr);
});

if (process.platform === 'win32') {
  test.skip('installed, bpfkit runs through the bin link a package manager makes: skipped, no executable node script bin link on Windows', () => {});
} else test('installed, bpfkit runs through the bin link a package manager makes (node_modules/.bin/bpfkit)', (t) => {
  const bin = join(tmp, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(BIN, join(bin, 'bpfkit'));
  const env = { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` };
  const r = spawnSync('bpfkit', ['disasm', join(EXAMPLES, 'xdp_count.hex')], { encoding: 'utf8', env, cwd: tmp });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /^r6 = r1\n/);
  const usage = spawnSync('bpfkit', ['frob'], { encoding: 'utf8', env, cwd: tmp });
  t.is(usage.status, 2);
});
