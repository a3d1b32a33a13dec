// The pack-and-install test: packs every publishable package as `pnpm publish` would
// (prepack build, `workspace:` ranges rewritten) into a temporary directory outside the
// repository, checks each tarball (manifest, files, LICENSE, export targets), installs the
// tarballs into a fresh npm project with no registry (dependencies between our packages
// resolve to the tarballs; third-party ones are packed from the workspace's copies), and
// runs a usage example of @bpfkit/asm, @bpfkit/btf, @bpfkit/kernel and the `bpfkit`
// command there, plus a type check of a TypeScript consumer. When the registry answers it
// also runs `pnpm publish -r --dry-run`. Prints TAP lines and `# pass N` / `# fail N`
// (read by ava-summary.mjs); one `skipped` line only when packing is impossible.
// Usage: node tools/scripts/pack-check.mjs [--built] [--keep]
//   --built: the packages were just built (check.mjs's build step), so pack and publish skip
//            their prepack builds (whose presence is checked instead). --keep: keep the temp dir.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLES, TS_CONSUMER } from './pack-examples.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const keep = process.argv.includes('--keep');
const built = process.argv.includes('--built');
const started = Date.now();

// The same pnpm that runs us (pnpm 12 is a native binary), else the pinned one through npx.
const execpath = process.env.npm_execpath;
const [pnpmBin, ...pnpmPre] = !execpath ? ['npx', '-y', 'pnpm@12.4.2']
  : /\.[cm]?js$/.test(execpath) ? [process.execPath, execpath] : [execpath];

let n = 0;
let pass = 0;
let fail = 0;
function report(ok, name, detail) {
  n += 1;
  if (ok) pass += 1; else fail += 1;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - pack-check: ${name}`);
  if (!ok && detail) for (const line of String(detail).trimEnd().split('\n').slice(-30)) console.log(`  # ${line}`);
}
function skip(reason) {
  console.log(`pack-check: skipped, packing is impossible here: ${reason}`);
  process.exit(0);
}

/** Runs a command; resolves { code, out } (stdout and stderr together), never rejects. */
function run(cmd, args, opts = {}) {
  return new Promise((done) => {
    let out = '';
    let child;
    try {
      child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      done({ code: -1, out: String(e) });
      return;
    }
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', (e) => { out += String(e); });
    child.on('close', (code) => { clearTimeout(timer); done({ code: code ?? -1, out }); });
  });
}

/** The environment for npm in the fresh project: none of pnpm's npm_* settings leak in. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NPM_CONFIG_UPDATE_NOTIFIER: 'false', NO_UPDATE_NOTIFIER: '1', ...extra };
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

// --- what gets packed -------------------------------------------------------------------
const workspace = readdirSync(join(root, 'packages'))
  .filter((d) => existsSync(join(root, 'packages', d, 'package.json')))
  .map((d) => ({ dir: join(root, 'packages', d), pkg: readJson(join(root, 'packages', d, 'package.json')) }));
const workspaceNames = new Set(workspace.map(({ pkg }) => pkg.name));
const packages = workspace.filter(({ pkg }) => pkg.private !== true);
const byName = new Map(packages.map((p) => [p.pkg.name, p]));

const base = realpathSync(process.env.BPFKIT_PACK_TMP ?? tmpdir());
if ((base + sep).startsWith(root + sep)) skip(`the temporary directory ${base} is inside the repository`);
if (spawnSync('tar', ['--version'], { stdio: 'ignore' }).status !== 0) skip('no tar command');
if (spawnSync('npm', ['--version'], { stdio: 'ignore', env: cleanEnv() }).status !== 0) skip('no npm command');
const probe = await run(pnpmBin, [...pnpmPre, '--version'], { cwd: root });
if (probe.code !== 0) skip(`pnpm does not start (${pnpmBin} ${pnpmPre.join(' ')}): ${probe.out.trim().split('\n').pop()}`);

const tmp = mkdtempSync(join(base, 'bpfkit-pack-'));
const tarballs = join(tmp, 'tarballs');
const app = join(tmp, 'app');
mkdirSync(tarballs);
mkdirSync(app);

// Publish's own dry run, when the registry answers: started once the packing is done, and
// awaited at the end, so it overlaps the install and the examples.
const publishDryRun = (async () => {
  const registry = 'https://registry.npmjs.org/';
  const reachable = await fetch(registry, { method: 'HEAD', signal: AbortSignal.timeout(5000) }).then(() => true, () => false);
  if (!reachable) return { skipped: `${registry} unreachable; the tarball checks above cover what publish uploads` };
  const noScripts = built ? ['--ignore-scripts'] : [];
  return run(pnpmBin, [...pnpmPre, 'publish', '-r', '--dry-run', '--no-git-checks', ...noScripts], { cwd: root, timeoutMs: 120_000 });
});

// --- pack ---------------------------------------------------------------------------------
const filters = packages.flatMap(({ pkg }) => ['--filter', pkg.name]);
const noPrepack = built ? ['--config.ignore-scripts=true'] : [];
const packed = await run(pnpmBin, [...pnpmPre, '-r', ...filters, 'pack', ...noPrepack, '--pack-destination', tarballs], { cwd: root });
const made = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
if (packed.code !== 0 || made.length !== packages.length) {
  report(false, `pnpm pack of ${packages.length} packages (made ${made.length})`, packed.out);
  finish();
}
report(true, `pnpm pack of ${packages.length} packages${built ? ' (built already)' : ' with their prepack builds'} (${secs()})`);
const noPrepackScript = packages.filter(({ pkg }) => !/\btsc -b\b/.test(pkg.scripts?.prepack ?? '')).map(({ pkg }) => pkg.name);
report(noPrepackScript.length === 0, 'every publishable package builds in prepack (tsc -b)', `no prepack build: ${noPrepackScript.join(', ')}`);
const publishing = publishDryRun();

// --- check each tarball ---------------------------------------------------------------------
const license = readFileSync(join(root, 'LICENSE'));
const rootFiles = new Set(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md']);
for (const { dir, pkg } of packages) {
  const file = join(tarballs, `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`);
  const problems = checkTarball(file, dir, pkg);
  report(problems.length === 0, `${pkg.name}@${pkg.version} tarball: manifest, files, LICENSE, export targets`, problems.join('\n'));
}

/** The files of a .tgz (ustar, as pnpm and npm write them), by path without the leading `package/`. */
function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  const files = new Map();
  let longName;
  for (let off = 0; off + 512 <= data.length;) {
    const header = data.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const field = (at, len) => header.subarray(at, at + len).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const body = data.subarray(off + 512, off + 512 + size);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    else if (type === '0' || type === '7') files.set(name.replace(/^[^/]+\//, ''), body);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function checkTarball(file, dir, pkg) {
  if (!existsSync(file)) return [`no tarball ${file}`];
  const contents = readTarball(file);
  const files = new Set(contents.keys());
  const read = (name) => contents.get(name) ?? Buffer.alloc(0);
  const problems = [];
  if (!files.has('package.json')) return ['no package.json'];
  const manifest = JSON.parse(read('package.json').toString('utf8'));
  if (manifest.version !== pkg.version) problems.push(`version ${manifest.version}, the workspace has ${pkg.version}`);
  if (manifest.private) problems.push('packed manifest is private');
  if (manifest.license !== 'MIT') problems.push(`license field ${manifest.license}`);
  if (!files.has('LICENSE')) problems.push('no LICENSE');
  else if (!read('LICENSE').equals(license)) problems.push('LICENSE differs from the repository root LICENSE');
  if (!files.has('README.md')) problems.push('no README.md');
  if (existsSync(join(dir, 'CHANGELOG.md')) && !files.has('CHANGELOG.md')) problems.push('CHANGELOG.md not packed');
  for (const [kind, deps] of [['dependencies', manifest.dependencies], ['peerDependencies', manifest.peerDependencies]]) {
    for (const [name, range] of Object.entries(deps ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${kind}.${name} is still ${range}`);
      const own = byName.get(name);
      if (name.startsWith('@bpfkit/') && !own) problems.push(`${kind}.${name}: not a publishable package`);
      if (own && range !== own.pkg.version) problems.push(`${kind}.${name} is ${range}, the workspace has ${own.pkg.version}`);
    }
  }
  for (const [name, range] of Object.entries(manifest.devDependencies ?? {})) {
    if (String(range).startsWith('workspace:')) problems.push(`devDependencies.${name} is still ${range}`);
  }
  const targets = [];
  if (manifest.types) targets.push(['types', manifest.types]);
  if (manifest.main) targets.push(['main', manifest.main]);
  for (const [sub, cond] of Object.entries(manifest.exports ?? {})) {
    for (const [k, target] of Object.entries(typeof cond === 'string' ? { default: cond } : cond)) targets.push([`exports["${sub}"].${k}`, target]);
  }
  for (const [binName, target] of Object.entries(typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : manifest.bin ?? {})) {
    targets.push([`bin.${binName}`, target]);
  }
  if (!manifest.exports) problems.push('no exports');
  if (!manifest.types) problems.push('no top-level types');
  for (const [what, target] of targets) {
    const path = String(target).replace(/^\.\//, '');
    if (!path.startsWith('dist/')) problems.push(`${what} points outside dist: ${target}`);
    if (!files.has(path)) problems.push(`${what} → ${target}: not in the tarball`);
  }
  // Every package the built files import is a declared dependency (an install of this package
  // alone has nothing else); type-only imports in .d.ts count too.
  const declared = new Set([manifest.name, ...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
  const undeclared = new Map();
  for (const [f, body] of contents) {
    if (!f.startsWith('dist/') || !/\.(?:js|d\.ts)$/.test(f)) continue;
    const text = body.toString('utf8');
    const specs = [
      ...text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"\s]+)['"]/gm),
      ...text.matchAll(/^\s*import\s*['"]([^'"\s]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"\s]+)['"]\s*\)/g),
    ].map((m) => m[1]).filter((spec) => !spec.startsWith('.') && !spec.startsWith('/'));
    for (const spec of specs) {
      if (spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0])) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!declared.has(name) && !undeclared.has(name)) undeclared.set(name, f);
    }
  }
  for (const [name, f] of undeclared) problems.push(`${f} imports ${name}, which is not a dependency`);
  for (const f of files) {
    const top = f.split('/')[0];
    const shipped = f.includes('/') ? manifest.files?.some((e) => e === top) : rootFiles.has(f);
    if (!shipped || /(^|\/)\.tsbuildinfo$|(^|\/)dist-test\//.test(f)) problems.push(`unexpected file in the tarball: ${f}`);
  }
  return problems;
}

// --- third-party runtime dependencies, packed from the workspace's installed copies -----------
function findInstalled(fromDir, name) {
  for (let d = fromDir; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(d) === d) return undefined;
  }
}
const thirdParty = new Map();
const queue = packages.flatMap(({ dir, pkg }) => Object.keys(pkg.dependencies ?? {}).filter((d) => !workspaceNames.has(d) && !d.startsWith('@bpfkit/')).map((d) => [dir, d]));
const missing = [];
while (queue.length > 0) {
  const [from, name] = queue.shift();
  const at = findInstalled(from, name);
  if (!at) { missing.push(`${name} (needed from ${relative(root, from)})`); continue; }
  if (thirdParty.has(at)) continue;
  thirdParty.set(at, name);
  for (const dep of Object.keys(readJson(join(at, 'package.json')).dependencies ?? {})) queue.push([at, dep]);
}
// Their installed directories hold exactly what their own tarballs shipped, so tar them as they are.
const npmPack = [...thirdParty].map(([at, name]) => {
  const version = readJson(join(at, 'package.json')).version;
  const out = join(tarballs, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
  const r = spawnSync('tar', ['-czf', out, '--transform', 's,^\\.,package,', '-C', at, '.'], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stderr ?? ''}${r.error ?? ''}` };
});
const badPack = npmPack.find((r) => r.code !== 0);
report(missing.length === 0 && !badPack, `third-party runtime dependencies packed from the workspace: ${[...thirdParty.values()].join(', ') || 'none'}`,
  [...missing.map((m) => `not installed: ${m}`), badPack?.out ?? ''].join('\n'));

// --- a fresh project, installed from the tarballs only ------------------------------------------
writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'bpfkit-pack-check', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
const all = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f));
const install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error',
  `--cache=${join(tmp, 'npm-cache')}`, ...all], { cwd: app, env: cleanEnv() });
const installed = install.code === 0 && existsSync(join(app, 'node_modules', '@bpfkit', 'kernel', 'package.json'));
report(installed, `npm install --offline of ${all.length} tarballs into a fresh project (${secs()})`, install.out);
if (!installed) finish();

// --- usage examples ---------------------------------------------------------------------------------
for (const [name, source] of Object.entries(EXAMPLES)) writeFileSync(join(app, name), source);
const importAll = packages.flatMap(({ pkg }) => Object.keys(pkg.exports ?? {}).map((sub) => `${pkg.name}${sub.slice(1)}`));
writeFileSync(join(app, 'import-all.mjs'), [
  ...importAll.map((spec, i) => `import * as m${i} from '${spec}';`),
  `const empty = [${importAll.map((spec, i) => `['${spec}', m${i}]`).join(', ')}].filter(([, m]) => Object.keys(m).length === 0).map(([s]) => s);`,
  `if (empty.length) throw new Error('no exports: ' + empty.join(', '));`,
  `console.log('imported ${importAll.length} entry points');`,
].join('\n'));
const nodeRuns = ['import-all.mjs', ...Object.keys(EXAMPLES).filter((f) => f.endsWith('.mjs'))]
  .map(async (file) => [`${file} in the fresh project`, await run(process.execPath, [file], { cwd: app, env: cleanEnv() })]);
const tree = run('npm', ['ls', '--all', '--offline'], { cwd: app, env: cleanEnv() }).then((r) => ['npm ls --all: every dependency resolved inside the fresh project', r]);
const checks = await Promise.all([tree, ...nodeRuns, cliCheck(), typeCheck()]);
for (const [name, r, ok = r.code === 0] of checks) report(ok, name, r.out);

async function cliCheck() {
  const bin = join(app, 'node_modules', '.bin', 'bpfkit');
  const help = await run(bin, ['--help'], { cwd: app, env: cleanEnv() });
  if (help.code !== 0 || !/Usage: bpfkit/.test(help.out) || !/disasm/.test(help.out)) return ['bpfkit --help through the installed bin', help, false];
  const asm = await run(bin, ['asm', 'prog.s'], { cwd: app, env: cleanEnv() });
  writeFileSync(join(app, 'prog.hex'), asm.out);
  const disasm = await run(bin, ['disasm', 'prog.hex'], { cwd: app, env: cleanEnv() });
  const ok = asm.code === 0 && disasm.code === 0 && disasm.out.trim() === EXAMPLES['prog.s'].trim();
  return ['bpfkit --help, then bpfkit asm prog.s | bpfkit disasm gives the program back (the installed bin)',
    { code: ok ? 0 : 1, out: `asm (${asm.code}):\n${asm.out}\ndisasm (${disasm.code}):\n${disasm.out}` }];
}

/** A TypeScript consumer type-checks against the packed .d.ts files (the repo's compiler; no paths, no references). */
async function typeCheck() {
  const name = 'a TypeScript consumer (module nodenext, strict) type-checks against the packed types';
  let tsc;
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  } catch {
    return [name, { code: 1, out: 'typescript is not installed in the workspace' }];
  }
  writeFileSync(join(app, 'consumer.ts'), TS_CONSUMER);
  writeFileSync(join(app, 'tsconfig.json'), `${JSON.stringify({
    compilerOptions: { target: 'es2023', lib: ['es2023'], module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
    files: ['consumer.ts'],
  }, null, 2)}\n`);
  return [name, await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, env: cleanEnv() })];
}

const published = await publishing;
if ('skipped' in published) console.log(`ok ${++n} - pack-check: pnpm publish -r --dry-run # SKIP ${published.skipped}`);
else report(published.code === 0, 'pnpm publish -r --dry-run --no-git-checks', published.out);
finish();

function secs() {
  return `${((Date.now() - started) / 1000).toFixed(1)} s`;
}
function finish() {
  if (keep) console.log(`pack-check: kept ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
  console.log(`pack-check: ${pass} passed, ${fail} failed in ${secs()}`);
  console.log(`# pass ${pass}`);
  console.log(`# fail ${fail}`);
  process.exit(fail === 0 ? 0 : 1);
}
