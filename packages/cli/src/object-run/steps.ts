import { CliError } from '../errors.js';
import { fromHex } from './hex.js';

/** A `const volatile` global set before load, by DATASEC variable name. */
export interface RodataPatch {
  readonly section: string;
  readonly var: string;
  readonly bytes: Uint8Array;
}

/** One step of STEPS.json (reference/object-run.md), parsed and checked. */
export type Step =
  | { readonly op: 'map_update'; readonly map: string; readonly key: Uint8Array; readonly value: Uint8Array; readonly flags: number; readonly raw: Record<string, unknown> }
  | { readonly op: 'perf_buffer_open'; readonly map: string; readonly raw: Record<string, unknown> }
  | { readonly op: 'attach'; readonly program: string; readonly raw: Record<string, unknown> }
  | {
    readonly op: 'test_run'; readonly program: string; readonly label: string | undefined;
    readonly dataIn: Uint8Array | undefined; readonly ctxIn: Uint8Array | undefined;
    readonly ctxSizeOut: number; readonly dataSizeOut: number; readonly repeat: number;
    readonly raw: Record<string, unknown>;
  }
  | { readonly op: 'drain'; readonly map: string; readonly raw: Record<string, unknown> };

/** STEPS.json: patches applied before load, then the steps in order. */
export interface StepsFile {
  readonly rodataPatches: readonly RodataPatch[];
  readonly steps: readonly Step[];
}

const FIELDS: Readonly<Record<Step['op'], { readonly required: readonly string[]; readonly optional: readonly string[] }>> = {
  map_update: { required: ['map', 'key', 'value'], optional: ['flags'] },
  perf_buffer_open: { required: ['map'], optional: [] },
  attach: { required: ['program'], optional: [] },
  test_run: { required: ['program'], optional: ['label', 'data_in', 'ctx_in', 'ctx_size_out', 'data_size_out', 'repeat'] },
  drain: { required: ['map'], optional: [] },
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Record<string, unknown>, k: string, where: string): string {
  const v = o[k];
  if (typeof v !== 'string') throw new CliError(`${where}: "${k}" must be a string`);
  return v;
}

function uint(o: Record<string, unknown>, k: string, where: string, dflt: number): number {
  const v = o[k];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new CliError(`${where}: "${k}" must be an integer in 0..2^32-1`);
  return v;
}

function optionalHex(o: Record<string, unknown>, k: string, where: string): Uint8Array | undefined {
  const v = o[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new CliError(`${where}: "${k}" must be a hex string or null`);
  return fromHex(v, `${where}: "${k}"`);
}

function parseStep(v: unknown, i: number): Step {
  const where = `steps[${String(i)}]`;
  if (!isRecord(v)) throw new CliError(`${where}: must be an object`);
  const op = v.op;
  if (typeof op !== 'string' || !(op in FIELDS)) throw new CliError(`${where}: unknown op ${JSON.stringify(op)} (expected one of ${Object.keys(FIELDS).join(', ')})`);
  const shape = FIELDS[op as Step['op']];
  for (const k of Object.keys(v)) if (k !== 'op' && !shape.required.includes(k) && !shape.optional.includes(k)) throw new CliError(`${where}: unknown field "${k}" for op ${op}`);
  for (const k of shape.required) if (v[k] === undefined) throw new CliError(`${where}: op ${op} needs "${k}"`);
  switch (op as Step['op']) {
    case 'map_update':
      return { op: 'map_update', map: str(v, 'map', where), key: fromHex(str(v, 'key', where), `${where}: "key"`), value: fromHex(str(v, 'value', where), `${where}: "value"`), flags: uint(v, 'flags', where, 0), raw: v };
    case 'perf_buffer_open':
      return { op: 'perf_buffer_open', map: str(v, 'map', where), raw: v };
    case 'attach':
      return { op: 'attach', program: str(v, 'program', where), raw: v };
    case 'drain':
      return { op: 'drain', map: str(v, 'map', where), raw: v };
    case 'test_run':
      return {
        op: 'test_run', program: str(v, 'program', where), label: v.label === undefined ? undefined : str(v, 'label', where),
        dataIn: optionalHex(v, 'data_in', where), ctxIn: optionalHex(v, 'ctx_in', where),
        ctxSizeOut: uint(v, 'ctx_size_out', where, 0), dataSizeOut: uint(v, 'data_size_out', where, 0), repeat: uint(v, 'repeat', where, 1), raw: v,
      };
  }
}

/**
 * Checks a parsed STEPS.json and decodes its byte strings. Every problem is one
 * `CliError` line naming the step and field.
 *
 * @example
 * parseSteps({ steps: [{ op: 'test_run', program: 'xdp_prog', data_in: '00'.repeat(64) }] }).steps[0]?.op; // 'test_run'
 */
export function parseSteps(json: unknown): StepsFile {
  if (!isRecord(json)) throw new CliError('steps: the file must hold a JSON object');
  for (const k of Object.keys(json)) if (k !== 'steps' && k !== 'rodata_patches') throw new CliError(`steps: unknown field "${k}"`);
  const patches = json.rodata_patches ?? [];
  const steps = json.steps ?? [];
  if (!Array.isArray(patches)) throw new CliError('steps: "rodata_patches" must be an array');
  if (!Array.isArray(steps)) throw new CliError('steps: "steps" must be an array');
  const rodataPatches = patches.map((p: unknown, i): RodataPatch => {
    const where = `rodata_patches[${String(i)}]`;
    if (!isRecord(p)) throw new CliError(`${where}: must be an object`);
    for (const k of Object.keys(p)) if (k !== 'section' && k !== 'var' && k !== 'bytes') throw new CliError(`${where}: unknown field "${k}"`);
    return { section: str(p, 'section', where), var: str(p, 'var', where), bytes: fromHex(str(p, 'bytes', where), `${where}: "bytes"`) };
  });
  return { rodataPatches, steps: steps.map(parseStep) };
}
