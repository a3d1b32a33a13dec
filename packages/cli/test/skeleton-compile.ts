import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** packages/cli */
export const CLI_DIR = fileURLToPath(new URL('../', import.meta.url));
export const FIXTURES = join(CLI_DIR, 'test/fixtures/skeleton');
const LIBBPF_DTS = join(CLI_DIR, '../libbpf/dist/index.d.ts');

/** packages/libbpf must be built (nx builds it before cli): skeletons compile against the real client. */
export function assertLibbpfBuilt(): void {
  if (!existsSync(LIBBPF_DTS) || !/\bBpfObject\b/.test(readFileSync(LIBBPF_DTS, 'utf8'))) {
    throw new Error(`${LIBBPF_DTS} does not export BpfObject: build @bpfkit/libbpf first`);
  }
}

/** A fresh directory under dist-test for generated modules (ESM, so `import` is allowed). */
export function genDir(name: string): string {
  const dir = join(CLI_DIR, 'dist-test', 'skeleton-gen', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  return dir;
}

/** The repository's compiler settings (tsconfig.base.json) and then some (unused names, exact optionals, isolated declarations). */
function options(): ts.CompilerOptions {
  assertLibbpfBuilt();
  return {
    target: ts.ScriptTarget.ES2023,
    lib: ['lib.es2023.d.ts'],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    exactOptionalPropertyTypes: true,
    noPropertyAccessFromIndexSignature: true,
    noImplicitReturns: true,
    isolatedDeclarations: true,
    isolatedModules: true,
    verbatimModuleSyntax: true,
    declaration: true,
    skipLibCheck: true,
    noEmit: false,
    types: [],
  };
}

/** Type-checks files (with declaration emit checks); returns the diagnostics as text, '' when clean. */
export function typeCheck(files: readonly string[]): string {
  const program = ts.createProgram(files, options());
  const diags = ts.getPreEmitDiagnostics(program);
  return ts.formatDiagnostics(diags, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => CLI_DIR, getNewLine: () => '\n' });
}

/** Writes a generated module as .ts and as .js (types stripped); `libbpf` replaces '@bpfkit/libbpf' in the .js when given. */
export function writeModule(dir: string, name: string, source: string, libbpf?: string): { ts: string; js: string } {
  const tsPath = join(dir, `${name}.ts`);
  const jsPath = join(dir, `${name}.js`);
  writeFileSync(tsPath, source);
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true } }).outputText;
  writeFileSync(jsPath, libbpf === undefined ? js : js.replace(`from '@bpfkit/libbpf'`, `from '${libbpf}'`));
  return { ts: tsPath, js: jsPath };
}

/** Imports a written module. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}
