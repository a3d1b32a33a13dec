import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { sharedPath, SuiteTally, type SuiteResult, type SuiteRunner } from '@bpfkit/corpus';
import { BpfError, type BpfMap, type ExecutionEngine, type LoadedProgram, type MapTypeRegistry, type ProgramImage, type RunnableProgram, type TestRunEnv, type TestRunRequest, type TestRunService } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { createHelperRegistry, createInterpreter, createTestRunService, createWasmEngine } from '@bpfkit/vm';
import { makeNoopServices } from '@bpfkit/vm/testing';

/**
 * The verifier corpus' accepted programs with the test runs the real 6.18
 * kernel did (`kernel.runs`: retval, errno, data_out), replayed straight
 * through an engine, the helpers and the test-run service — no verifier: the
 * kernel already accepted them. Measures contexts, helpers and test-run
 * semantics on ~1000 independent programs.
 */

interface CorpusRun {
  readonly retval: number;
  readonly errno: number;
  readonly data_out?: string;
  readonly nondeterministic?: boolean;
}

interface MapSpec {
  readonly id?: string;
  readonly map_type_num: number;
  readonly key_size: number;
  readonly value_size: number;
  readonly max_entries: number;
  readonly map_flags: number;
  readonly inner?: Omit<MapSpec, 'inner'>;
  /** Entries, or `"same as <kind>"` (classic kinds sharing another kind's contents). */
  readonly init?: string | readonly { readonly key?: string; readonly value?: string; readonly key_u32?: number; readonly value_hex?: string; readonly value_zero_len?: boolean }[];
  /** Classic prog arrays: the dummy programs in their slots. */
  readonly progs?: readonly { readonly key: number; readonly kind: 'ret' | 'tail_call_self'; readonly ret: number }[];
}

interface ProgSpec {
  readonly id?: string;
  readonly prog_type: { readonly number: number };
  readonly expected_attach_type: { readonly number: number } | null;
  readonly insns: readonly string[] | null;
  readonly map_relocs?: readonly { readonly insn_index: number; readonly map: string; readonly pseudo: string; readonly value_off: number | null }[];
  readonly btf_id_relocs?: readonly { readonly insn_index: number; readonly kind: string; readonly name: string }[];
}

interface CorpusCase {
  readonly id: string;
  readonly prog_type: { readonly number: number; readonly name: string };
  readonly expected_attach_type: { readonly number: number } | null;
  readonly insns: readonly string[] | null;
  readonly fixups?: readonly { readonly kind: string; readonly insn_index: number }[];
  readonly maps?: readonly MapSpec[];
  readonly map_relocs?: ProgSpec['map_relocs'];
  readonly post_load?: readonly { readonly op: string; readonly map: string; readonly key: string; readonly prog: string }[];
  readonly kfunc_fixups?: readonly { readonly kfunc: string; readonly insn_index: number }[];
  readonly btf_id_relocs?: ProgSpec['btf_id_relocs'];
  readonly insns_file?: string;
  readonly aux_progs?: readonly ProgSpec[];
  readonly expected: { readonly data?: string | null; readonly runs?: readonly { readonly data?: string | null; readonly retval_any?: boolean }[] | null };
  readonly kernel?: { readonly result: string; readonly runs?: readonly CorpusRun[] };
}

const BPF_PROG_TYPE_SYSCALL = 31;
const LD_IMM64 = 0x18;
const BPF_PSEUDO_FUNC = 4;
const ZEROS = '00'.repeat(64);

export const ENGINES: readonly { readonly name: string; create(): ExecutionEngine }[] = [
  { name: 'interp', create: () => createInterpreter() },
  { name: 'wasm', create: () => createWasmEngine() },
];

function loadCases(dir: string): CorpusCase[] {
  const out: CorpusCase[] = [];
  for (const suite of ['classic', 'progs']) {
    const sub = join(dir, suite);
    for (const f of readdirSync(sub).filter((n) => n.endsWith('.json')).sort()) {
      const doc = JSON.parse(readFileSync(join(sub, f), 'utf8')) as { cases: CorpusCase[] };
      out.push(...doc.cases.filter((c) => c.kernel?.result === 'accept' && (c.kernel.runs?.length ?? 0) > 0));
    }
  }
  return out;
}

const HEX = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const u32le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);

/** A case that cannot be set up, with the cause counted in the tally. */
class Unsupported extends Error {}

/** The instructions after the kernel's load-time fix-ups an engine expects: callback addresses absolute. */
function decode(insns: readonly string[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  insns.forEach((h, i) => { bytes.set(HEX(h), i * 8); });
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < insns.length; i++) {
    if (bytes[i * 8] === LD_IMM64 && (bytes[i * 8 + 1] ?? 0) >> 4 === BPF_PSEUDO_FUNC) view.setInt32(i * 8 + 4, i + 1 + view.getInt32(i * 8 + 4, true), true);
  }
  return bytes;
}

/** The raw little-endian instructions of the huge classic cases, stored gzipped beside the suite. */
function rawInsns(dir: string, file: string | undefined): Uint8Array {
  if (file === undefined) throw new Unsupported('no instructions');
  return new Uint8Array(gunzipSync(readFileSync(join(dir, 'classic', file))));
}

/** Points the `ld_imm64` at `insn` to an address, as the kernel's fix-up leaves it (src_reg cleared). */
function patchAddress(bytes: Uint8Array, insn: number, addr: number): void {
  const view = new DataView(bytes.buffer);
  bytes[insn * 8 + 1] = (bytes[insn * 8 + 1] ?? 0) & 0x0f;
  view.setUint32(insn * 8 + 4, addr, true);
  view.setUint32(insn * 8 + 12, 0, true);
}

/** What one case needs around its program: maps, prog-array targets, and how to undo it. */
class CaseSetup {
  readonly maps = new Map<string, BpfMap>();
  readonly loaded: LoadedProgram[] = [];
  readonly #fds: RunnableProgram[] = [];

  constructor(
    readonly engine: ExecutionEngine,
    readonly mapTypes: MapTypeRegistry,
    readonly live: BpfMap[],
  ) {}

  createMap(key: string, spec: MapSpec, kinds: Readonly<Record<string, MapSpec>> = {}): BpfMap {
    const hit = this.maps.get(key);
    if (hit !== undefined) return hit;
    const type = this.mapTypes.get(spec.map_type_num);
    if (type === undefined) throw new Unsupported(`map type ${spec.map_type_num}`);
    let map: BpfMap;
    try {
      const inner = spec.inner;
      map = type.create({
        info: { mapType: spec.map_type_num, keySize: spec.key_size, valueSize: spec.value_size, maxEntries: spec.max_entries, mapFlags: spec.map_flags, isMapInMap: inner !== undefined },
        mapExtra: 0n,
        valueFields: [],
        ...(inner === undefined ? {} : { innerMapMeta: { mapType: inner.map_type_num, keySize: inner.key_size, valueSize: inner.value_size, maxEntries: inner.max_entries, mapFlags: inner.map_flags, isMapInMap: false } }),
      });
    } catch (e) {
      throw new Unsupported(`map type ${spec.map_type_num} does not run here (${e instanceof Error ? e.message : String(e)})`);
    }
    this.maps.set(key, map);
    this.live.push(map);
    const entries = typeof spec.init === 'string' ? kinds[spec.init.replace(/^same as /, '')]?.init : spec.init;
    for (const init of typeof entries === 'string' ? [] : entries ?? []) {
      const k = init.key_u32 !== undefined ? u32le(init.key_u32) : HEX(init.key ?? '');
      const v = init.value_zero_len === true ? new Uint8Array(spec.value_size) : HEX(init.value_hex ?? init.value ?? '');
      const value = new Uint8Array(spec.value_size);
      value.set(v.subarray(0, spec.value_size));
      map.sysUpdate(k, value, 0, {});
    }
    return map;
  }

  /** Loads a program and gives it the fd a prog-array update names it by. */
  load(image: ProgramImage): { readonly runnable: RunnableProgram; readonly fd: number } {
    const loaded = this.engine.load(image);
    this.loaded.push(loaded);
    const runnable: RunnableProgram = { id: this.#fds.length + 1, progType: image.progType, expectedAttachType: image.expectedAttachType, loaded };
    this.#fds.push(runnable);
    return { runnable, fd: this.#fds.length - 1 };
  }

  /** `BPF_MAP_UPDATE_ELEM` of a prog array slot with a program fd. */
  putProgram(map: BpfMap, key: Uint8Array, fd: number): void {
    map.sysUpdate(key, u32le(fd), 0, {
      fds: {
        resolve: (f) => {
          const target = this.#fds[f];
          if (target === undefined) throw new BpfError('EBADF', 'test:no-fd', `no program fd ${f}`);
          return { id: target.id, target, put: () => undefined };
        },
      },
    });
  }

  release(): void {
    for (const l of this.loaded) l.release();
    // A map may be known by two names (its id and its position): release each once.
    for (const m of new Set(this.maps.values())) {
      m.release();
      const i = this.live.indexOf(m);
      if (i >= 0) this.live.splice(i, 1);
    }
  }
}

/** The classic harness' dummy programs of a prog array: `r0 = ret`, or a tail call to its own slot first. */
function dummyProgram(kind: 'ret' | 'tail_call_self', key: number, ret: number, progArray: number): Uint8Array {
  const insns = kind === 'ret'
    ? ['b7000000' + Buffer.from(u32le(ret)).toString('hex'), '9500000000000000']
    : ['b7030000' + Buffer.from(u32le(key)).toString('hex'), '18020000' + Buffer.from(u32le(progArray)).toString('hex'), '0000000000000000',
      '850000000c000000', 'b7000000' + Buffer.from(u32le(ret)).toString('hex'), '9500000000000000'];
  return decode(insns);
}

/** kfunc calls by name (engines find kfuncs by name); kernel variables (`ksym`) cannot be set up. */
function kfuncsOf(relocs: readonly { readonly insn_index: number; readonly name: string; readonly kind?: string }[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const r of relocs) {
    if (r.kind !== undefined && r.kind !== 'kfunc') throw new Unsupported('needs kernel variables');
    out.set(r.insn_index, r.name);
  }
  return out;
}

function imageFrom(p: ProgSpec, insns: Uint8Array, maps: readonly BpfMap[], kfuncs: ReadonlyMap<number, string>): ProgramImage {
  return { progType: p.prog_type.number, expectedAttachType: p.expected_attach_type?.number ?? 0, insns, maps, verified: true, kfuncs };
}

/** progs-style `map_relocs`: a map's address, or an address inside its value. */
function applyRelocs(setup: CaseSetup, p: ProgSpec, bytes: Uint8Array): void {
  for (const r of p.map_relocs ?? []) {
    const map = setup.maps.get(r.map);
    if (map === undefined) throw new Unsupported(`map ${r.map} missing`);
    if (r.pseudo === 'map_fd') patchAddress(bytes, r.insn_index, map.address);
    else {
      const addr = map.directValueAddr?.(r.value_off ?? 0);
      if (addr === undefined) throw new Unsupported('direct map value access');
      patchAddress(bytes, r.insn_index, addr);
    }
  }
}

/** Creates the case's maps and programs; returns the program to test-run. */
function setUpCase(c: CorpusCase, setup: CaseSetup, kinds: Readonly<Record<string, MapSpec>>, dir: string): RunnableProgram {
  const bytes = c.insns === null ? rawInsns(dir, c.insns_file) : decode(c.insns);
  const kfuncs = kfuncsOf([...(c.btf_id_relocs ?? []), ...(c.kfunc_fixups ?? []).map((k) => ({ insn_index: k.insn_index, name: k.kfunc }))]);
  // classic: one map per fixup kind, its address in every listed ld_imm64.
  for (const f of c.fixups ?? []) {
    const spec = kinds[f.kind];
    if (spec === undefined) throw new Unsupported(`fixup ${f.kind}`);
    patchAddress(bytes, f.insn_index, setup.createMap(f.kind, spec, kinds).address);
  }
  // progs: a map-in-map's inner template shares the outer map's id; relocations mean the outer one (listed last).
  (c.maps ?? []).forEach((m, i) => {
    const map = setup.createMap(`#${i}`, m);
    setup.maps.set(m.id ?? '', map);
  });
  applyRelocs(setup, c, bytes);
  const main = setup.load(imageFrom(c, bytes, [...new Set(setup.maps.values())], kfuncs));
  // classic prog arrays: the harness' dummy programs in their slots.
  for (const f of c.fixups ?? []) {
    const spec = kinds[f.kind];
    const map = setup.maps.get(f.kind);
    if (spec?.progs === undefined || map === undefined) continue;
    for (const d of spec.progs) {
      const dummy = setup.load({ progType: c.prog_type.number, expectedAttachType: 0, insns: dummyProgram(d.kind, d.key, d.ret, map.address), maps: [map], verified: true });
      setup.putProgram(map, u32le(d.key), dummy.fd);
    }
  }
  // progs: auxiliary programs and the prog-array updates libbpf did after loading.
  const aux = new Map<string, number>();
  for (const a of c.aux_progs ?? []) {
    if (a.insns === null) throw new Unsupported('instructions in a separate file');
    const ab = decode(a.insns);
    applyRelocs(setup, a, ab);
    aux.set(a.id ?? '', setup.load(imageFrom(a, ab, [...new Set(setup.maps.values())], kfuncsOf(a.btf_id_relocs ?? []))).fd);
  }
  for (const op of c.post_load ?? []) {
    const map = setup.maps.get(op.map);
    const fd = op.prog === 'self' ? main.fd : aux.get(op.prog);
    if (op.op !== 'prog_array_update' || map === undefined || fd === undefined) throw new Unsupported(`post_load ${op.op}`);
    setup.putProgram(map, HEX(op.key), fd);
  }
  return main.runnable;
}

function replay(engine: ExecutionEngine, cases: readonly CorpusCase[], kinds: Readonly<Record<string, MapSpec>>, dir: string, tally: SuiteTally): void {
  const arena = createVmArena({ initialBytes: 16 << 20 });
  const live: BpfMap[] = [];
  const env: TestRunEnv = { arena, helpers: createHelperRegistry(), services: makeNoopServices({ mapAt: (addr) => live.find((m) => m.address === addr) }), cpus: 2 };
  const mapTypes = createMapTypes({ arena, possibleCpus: 2 });
  const testRun = createTestRunService();
  for (const c of cases) {
    const runs = c.kernel?.runs ?? [];
    for (const [i, run] of runs.entries()) {
      const setup = new CaseSetup(engine, mapTypes, live);
      let prog: RunnableProgram;
      try {
        // Every run starts on fresh maps, as the corpus harness did.
        prog = setUpCase(c, setup, kinds, dir);
      } catch (e) {
        setup.release();
        if (e instanceof Unsupported) tally.miss(c.id, e.message);
        else tally.miss(c.id, 'setup fails', e instanceof Error ? e.message : String(e));
        break;
      }
      const last = i === runs.length - 1;
      const problem = runOnce(c, i, run, prog, testRun, env);
      setup.release();
      if (problem !== undefined) {
        tally.miss(c.id, problem.cause, problem.detail);
        break;
      }
      if (last) tally.pass();
    }
  }
}

/** Why a run differs from the kernel's: a short cause for the tally, and the detail. */
interface RunMiss {
  readonly cause: string;
  readonly detail: string;
}

/**
 * Runs case `c` once and compares errno, retval and data_out with the kernel's
 * run. A retval the corpus flags as nondeterministic, or that the test takes
 * as any value (POINTER_VALUE), is not compared; errno and data_out still are.
 */
function runOnce(c: CorpusCase, i: number, run: CorpusRun, prog: RunnableProgram, testRun: TestRunService, env: TestRunEnv): RunMiss | undefined {
  const syscall = c.prog_type.number === BPF_PROG_TYPE_SYSCALL;
  const input = c.expected.runs?.[i]?.data ?? c.expected.data ?? ZEROS;
  const req: TestRunRequest = syscall
    ? { dataSizeOut: 0, ctxSizeOut: 0, repeat: 0, flags: 0, cpu: 0, batchSize: 0 }
    : { dataIn: HEX(input), dataSizeOut: 256, ctxSizeOut: 0, repeat: 1, flags: 0, cpu: 0, batchSize: 0 };
  let errno = 0;
  let retval = 0;
  let dataOut: string | undefined;
  try {
    const res = testRun.run(prog, req, env);
    retval = res.retval;
    dataOut = res.dataOut === undefined ? undefined : Buffer.from(res.dataOut).toString('hex');
  } catch (e) {
    if (!(e instanceof BpfError)) return { cause: 'exception', detail: `run ${i}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
    if (e.reason === 'vm:fault') return { cause: 'fault', detail: `run ${i}: ${e.message}` };
    errno = e.errno;
  }
  if (errno !== run.errno) return { cause: 'errno', detail: `run ${i}: errno ${errno}, the kernel's ${run.errno}` };
  if (errno !== 0) return undefined;
  const anyRetval = run.nondeterministic === true || c.expected.runs?.[i]?.retval_any === true;
  if (!anyRetval && retval !== run.retval >>> 0) return { cause: 'retval', detail: `run ${i}: retval ${retval}, the kernel's ${run.retval >>> 0}` };
  const want = run.data_out === 'unchanged' ? input : run.data_out;
  if (want !== undefined && dataOut !== undefined && want !== dataOut) return { cause: 'data_out', detail: `run ${i}: data_out differs` };
  return undefined;
}

const run: SuiteRunner = () => {
  const dir = sharedPath('corpus', 'verifier');
  if (dir === undefined) return Promise.resolve(undefined);
  const cases = loadCases(dir);
  const kinds = JSON.parse(readFileSync(join(dir, 'fixup_kinds.json'), 'utf8')) as Record<string, MapSpec>;
  const results: SuiteResult[] = ENGINES.map((e) => {
    const tally = new SuiteTally('test-run-corpus', e.name);
    replay(e.create(), cases, kinds, dir, tally);
    return tally.result();
  });
  return Promise.resolve(results);
};

export default run;
