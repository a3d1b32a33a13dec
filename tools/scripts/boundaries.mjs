// The import rules of docs/architecture.md, as data, and a checker over a tree.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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
  }
  return violations;
}
