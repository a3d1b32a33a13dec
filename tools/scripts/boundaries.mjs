// The import rules of docs/architecture.md, as data, and a checker over a tree.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const CORE = ['uapi', 'kernel-api', 'asm', 'btf'];

/** package -> the @bpfkit packages its src may import. `*` = any package's public entry points. */
export const RULES = {
  uapi: [],
  'kernel-api': ['uapi'],
  asm: ['uapi', 'kernel-api'],
  btf: ['uapi', 'kernel-api'],
  elf: ['uapi', 'kernel-api', 'asm', 'btf'],
  userns: CORE, caps: CORE, lsm: CORE, bpffs: CORE, token: CORE,
  memory: ['kernel-api'],
  verifier: CORE, maps: [...CORE, 'memory'], vm: [...CORE, 'memory'],
  kernel: ['uapi', 'kernel-api'],
  libbpf: ['uapi', 'kernel-api', 'elf', 'btf', 'asm'],
  linux: ['uapi', 'kernel-api'],
  testing: ['uapi', 'kernel-api', 'kernel'],
  corpus: [],
  cli: '*',
  playground: '*',
};

/**
 * Files that may reach further than their package's rule: the kernel's composition root, and
 * its syscall cases (the `syscall-cases` entry point, replayed on any BpfSyscall, the real
 * kernel's included), which parse the BTF a kernel hands back.
 */
const WIDER = [
  { pkg: 'kernel', file: /^src\/defaults(\.ts|\/)/, allow: '*' },
  { pkg: 'kernel', file: /^src\/syscall-cases\//, allow: ['uapi', 'kernel-api', 'btf'] },
];

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

function subpathExported(root, pkg, sub) {
  const file = join(root, 'packages', pkg, 'package.json');
  if (!existsSync(file)) return false;
  const exp = JSON.parse(readFileSync(file, 'utf8')).exports ?? {};
  return Object.prototype.hasOwnProperty.call(exp, sub === '' ? '.' : `./${sub}`);
}

/** A value import (`import type` and `export type` are erased, so they cannot make a cycle at run time). */
const VALUE_IMPORT = /(?:^|[^\w.])(?:import|export)\s(?!type\s)[^'"]*?from\s*['"](\.[^'"]*)['"]|import\(\s*['"](\.[^'"]*)['"]\s*\)/gm;

/** The file a relative specifier names (`./x.js` is `./x.ts` in the sources, `./dir` its index). */
function resolveRelative(file, spec) {
  const base = join(dirname(file), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Import cycles among the files of one package's src (value imports only): each strongly
 * connected component of two or more files, or a file importing itself, as `a.ts -> b.ts -> a.ts`.
 */
export function importCycles(src) {
  const graph = new Map();
  for (const file of walk(src)) {
    const text = readFileSync(file, 'utf8');
    const deps = [];
    for (const m of text.matchAll(VALUE_IMPORT)) {
      const target = resolveRelative(file, m[1] ?? m[2]);
      if (target !== undefined) deps.push(target);
    }
    graph.set(file, deps);
  }
  // Tarjan's algorithm, iteratively (deep import chains must not overflow the stack).
  let next = 0;
  const index = new Map(), low = new Map(), onStack = new Set(), stack = [], cycles = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next); low.set(start, next); next++; stack.push(start); onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, i] = frame;
      const deps = graph.get(v) ?? [];
      if (i < deps.length) {
        frame[1]++;
        const w = deps[i];
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          index.set(w, next); low.set(w, next); next++; stack.push(w); onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v), index.get(w)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(v)));
      }
      if (low.get(v) !== index.get(v)) continue;
      const component = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component);
    }
  }
  return cycles.map((c) => c.map((f) => relative(src, f).replaceAll('\\', '/')).sort());
}

/** Returns one string per violation under `root/packages`. */
export function checkTree(root) {
  const violations = [];
  const pkgsDir = join(root, 'packages');
  for (const pkg of readdirSync(pkgsDir)) {
    const src = join(pkgsDir, pkg, 'src');
    if (!existsSync(src)) continue;
    const rule = RULES[pkg];
    if (rule === undefined) {
      violations.push(`packages/${pkg}: no import rule for this package (add it to tools/scripts/boundaries.mjs)`);
      continue;
    }
    const manifest = JSON.parse(readFileSync(join(pkgsDir, pkg, 'package.json'), 'utf8'));
    const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }));
    for (const file of walk(src)) {
      const rel = relative(join(pkgsDir, pkg), file).replaceAll('\\', '/');
      const text = readFileSync(file, 'utf8');
      const wider = WIDER.find((w) => w.pkg === pkg && w.file.test(rel));
      const allow = wider ? wider.allow : rule;
      for (const m of text.matchAll(IMPORT)) {
        const spec = m[1] ?? m[2] ?? m[3];
        const where = `packages/${pkg}/${rel}`;
        if (spec.startsWith('.')) {
          const target = relative(join(pkgsDir, pkg), join(file, '..', spec)).replaceAll('\\', '/');
          if (target.startsWith('..')) violations.push(`${where}: relative import '${spec}' leaves the package`);
          continue;
        }
        const hit = /^@bpfkit\/([^/]+)(?:\/(.*))?$/.exec(spec);
        if (!hit) continue;
        const [, dep, sub = ''] = hit;
        if (dep === pkg) { violations.push(`${where}: imports its own package by name`); continue; }
        if (allow !== '*' && !allow.includes(dep)) violations.push(`${where}: @bpfkit/${pkg} may not import @bpfkit/${dep}`);
        if (!subpathExported(root, dep, sub)) violations.push(`${where}: '${spec}' is not a public entry point of @bpfkit/${dep}`);
        if (!declared.has(`@bpfkit/${dep}`)) violations.push(`${where}: @bpfkit/${dep} is not a dependency in packages/${pkg}/package.json`);
      }
    }
    for (const cycle of importCycles(src)) violations.push(`packages/${pkg}/src: import cycle between ${cycle.join(', ')}`);
  }
  return violations;
}
