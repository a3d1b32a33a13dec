import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** The repository root. */
export const ROOT = new URL('../../../../', import.meta.url).pathname.replace(/\/$/, '');

/** One ```ts block of a README. */
export interface Snippet {
  /** `packages/asm/README.md#1` (1-based among the file's ts blocks). */
  readonly name: string;
  readonly readme: string;
  /** The README line the block's code starts on. */
  readonly line: number;
  readonly code: string;
  /** The file the snippet is written to. */
  file: string;
}

/** README.md and packages/NAME/README.md. */
function readmes(): string[] {
  return ['README.md', ...readdirSync(join(ROOT, 'packages')).map((p) => join('packages', p, 'README.md'))].filter((f) => existsSync(join(ROOT, f)));
}

/**
 * The files a snippet uses besides itself: a ```js block whose first line is
 * `// NAME.mjs` (e.g. the module a delegation example runs in its child).
 */
export function helperModules(): Map<string, string> {
  const helpers = new Map<string, string>();
  for (const readme of readmes()) {
    for (const m of readFileSync(join(ROOT, readme), 'utf8').matchAll(/^```js\n\/\/ ([\w.-]+\.mjs)\n([^]*?)^```$/gm)) {
      helpers.set(m[1] ?? '', `// ${m[1] ?? ''}\n${m[2] ?? ''}`);
    }
  }
  return helpers;
}

/** Every ```ts block of README.md and packages/NAME/README.md. */
export function readmeSnippets(): Snippet[] {
  return readmes().flatMap((readme) => {
    const text = readFileSync(join(ROOT, readme), 'utf8');
    const out: Snippet[] = [];
    for (const m of text.matchAll(/^```ts\n([^]*?)^```$/gm)) {
      const line = text.slice(0, m.index).split('\n').length + 1;
      out.push({ name: `${readme}#${String(out.length + 1)}`, readme, line, code: m[1] ?? '', file: '' });
    }
    return out;
  });
}

/**
 * A scratch project whose node_modules links every workspace package (and the root's
 * tools), so a snippet imports `@bpfkit/…` as a user of the built packages would.
 */
export function scratchProject(snippets: readonly Snippet[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-readme-'));
  mkdirSync(join(dir, 'node_modules', '@bpfkit'), { recursive: true });
  for (const pkg of readdirSync(join(ROOT, 'packages'))) {
    const manifest = join(ROOT, 'packages', pkg, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string };
    symlinkSync(join(ROOT, 'packages', pkg), join(dir, 'node_modules', name), 'dir');
  }
  for (const tool of ['@types', 'ava', 'typescript']) symlinkSync(join(ROOT, 'node_modules', tool), join(dir, 'node_modules', tool), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme-snippets', private: true, type: 'module' }));
  for (const [name, code] of helperModules()) writeFileSync(join(dir, name), code);
  for (const s of snippets) {
    const base = s.name.replace(/[^\w]+/g, '-').replace(/^-|-$/g, '');
    // A snippet that is a test file (it imports ava) is run by ava, which wants *.test.*.
    s.file = join(dir, `${base}${/from 'ava'/.test(s.code) ? '.test' : ''}.mts`);
    writeFileSync(s.file, s.code);
  }
  return dir;
}

/** Type errors per snippet file, checked strictly against the packages' built declarations. */
export function typeErrors(snippets: readonly Snippet[], dir: string): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(dir, 'node_modules', '@types')],
  };
  const program = ts.createProgram(snippets.map((s) => s.file), options);
  const errors = new Map<string, string[]>(snippets.map((s) => [s.file, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file?.fileName;
    if (file === undefined || !errors.has(file)) continue;
    const at = d.start === undefined ? '' : `line ${String(ts.getLineAndCharacterOfPosition(d.file as ts.SourceFile, d.start).line + 1)}: `;
    errors.get(file)?.push(`${at}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return errors;
}

/** The snippet as JavaScript beside it (`.mjs`), types stripped. */
export function transpile(s: Snippet): string {
  const out = s.file.replace(/\.mts$/, '.mjs');
  const js = ts.transpileModule(s.code, { compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.ESNext }, fileName: s.file }).outputText;
  writeFileSync(out, js);
  return out;
}

/** Where a snippet came from, for messages. */
export function origin(s: Snippet): string {
  return `${s.readme}:${String(s.line)} (${relative(ROOT, s.file) || s.file})`;
}
