import test from 'ava';
import { readFileSync } from 'node:fs';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { BpfError, type BpfMap, type ExecutionEngine, type TestRunEnv, type TestRunRequest, type TestRunResult } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { createHelperRegistry, createInterpreter, createTestRunService, createWasmEngine } from '@bpfkit/vm';
import { makeNoopServices } from '@bpfkit/vm/testing';

/** One recorded BPF_PROG_TEST_RUN (tools/record-test-run/record.mjs). */
interface Fixture {
  readonly name: string;
  readonly prog: {
    readonly type: number;
    readonly attach?: number;
    readonly text: string;
    readonly patches?: readonly { readonly insn: number; readonly src: number; readonly imm: number }[];
    readonly rodata?: string;
    readonly kfuncs?: readonly string[];
    readonly maps?: readonly { readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number; readonly flags: number }[];
  };
  readonly req: {
    readonly dataIn: string | null;
    readonly ctxIn: string | null;
    readonly dataSizeOut: number;
    readonly ctxSizeOut: number;
    readonly repeat: number;
    readonly flags: number;
    readonly cpu: number;
    readonly batchSize: number;
  };
  readonly load?: { readonly errno: string };
  readonly result?: {
    readonly errno: string | null;
    readonly retval: number;
    readonly dataSizeOut: number;
    readonly ctxSizeOut: number;
    readonly dataOut?: string;
    readonly ctxOut?: string;
    readonly ctxInAfter?: string;
    /** One-entry array maps read back after the run (programs store what they saw there). */
    readonly maps?: readonly (string | null)[];
  };
}

const doc = JSON.parse(readFileSync(new URL('../test/fixtures/test-run-kernel.json', import.meta.url), 'utf8')) as { kernel: string; cases: Fixture[] };

/**
 * Cases where bpfkit knowingly differs from the kernel, and why. A case here
 * that starts agreeing fails the test, so the list only shrinks.
 */
const KNOWN_DIFFERENCES = new Map<string, string>([
  ['raw_tp args 8 bytes (program reads 16)', 'ctx_size_in below prog->aux->max_ctx_offset: the verifier computes it and RunnableProgram does not carry it'],
  ['syscall ctx 4 bytes (program reads 8)', 'ctx_size_in below prog->aux->max_ctx_offset (as above)'],
  ['snprintf "%p" 64', 'the kernel prints plain %p hashed; bpfkit prints the raw value'],
]);

const hex = (s: string | null | undefined): Uint8Array | undefined => (s === null || s === undefined ? undefined : Uint8Array.from(Buffer.from(s, 'hex')));
const toHex = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString('hex');

const arena = createVmArena({ initialBytes: 4 << 20 });
const helpers = createHelperRegistry();
/** Every engine replays every case: the interpreter and the WebAssembly JIT must both agree with the kernel. */
const engines = [createInterpreter(), createWasmEngine()];
const testRun = createTestRunService();
const mapTypes = createMapTypes({ arena, possibleCpus: 2 });
const liveMaps: BpfMap[] = [];
const env: TestRunEnv = { arena, helpers, services: makeNoopServices({ mapAt: (addr) => liveMaps.find((m) => m.address === addr) }), cpus: 2 };

/** The program's maps, created the way the kernel's MAP_CREATE leaves them (no BTF). */
function createMaps(f: Fixture): BpfMap[] {
  return (f.prog.maps ?? []).map((d) => {
    const type = mapTypes.get(d.type);
    if (type === undefined) throw new Error(`no map type ${d.type}`);
    return type.create({ info: { mapType: d.type, keySize: d.keySize, valueSize: d.valueSize, maxEntries: d.maxEntries, mapFlags: d.flags, isMapInMap: false }, mapExtra: 0n, valueFields: [] });
  });
}

/** The program as the kernel's load-time fix-ups leave it: callbacks absolute, map values as addresses. */
function load(f: Fixture, engine: ExecutionEngine): { run: (req: TestRunRequest) => TestRunResult; dumps: () => (string | null)[]; release: () => void } {
  const insns = encodeProgram(assemble(f.prog.text));
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  for (const p of f.prog.patches ?? []) {
    insns[p.insn * 8 + 1] = ((insns[p.insn * 8 + 1] ?? 0) & 0x0f) | (p.src << 4);
    view.setInt32(p.insn * 8 + 4, p.insn + 1 + p.imm, true);
  }
  // Map references: a marker immediate (0x7fff0000 + index) that the kernel got as an fd and an engine gets as the map's address.
  const maps = createMaps(f);
  liveMaps.push(...maps);
  for (let i = 0; i < insns.length; i += 8) {
    const imm = view.getUint32(i + 4, true);
    const map = maps[imm - 0x7fff_0000];
    if (insns[i] === 0x18 && map !== undefined) view.setUint32(i + 4, map.address, true);
  }
  // kfunc calls: a marker helper id (0x7ffe0000 + index) that the kernel got as a BTF id; engines find kfuncs by name.
  const kfuncs = new Map<number, string>();
  for (let i = 0; i < insns.length; i += 8) {
    const name = f.prog.kfuncs?.[view.getUint32(i + 4, true) - 0x7ffe_0000];
    if (insns[i] === 0x85 && name !== undefined) {
      insns[i + 1] = ((insns[i + 1] ?? 0) & 0x0f) | 0x20;
      view.setInt32(i + 4, 0, true);
      kfuncs.set(i / 8, name);
    }
  }
  let rodata = 0;
  if (f.prog.rodata !== undefined) {
    const bytes = hex(f.prog.rodata) ?? new Uint8Array(0);
    rodata = arena.alloc(64);
    arena.bytes.set(bytes, rodata);
    for (let i = 0; i < insns.length; i += 8) {
      if (insns[i] === 0x18 && ((insns[i + 1] ?? 0) & 0x0f) === 3) {
        view.setInt32(i + 4, rodata, true);
        break;
      }
    }
  }
  const loaded = engine.load({ progType: f.prog.type, expectedAttachType: f.prog.attach ?? 0, insns, maps, verified: true, kfuncs });
  const prog = { id: 1, progType: f.prog.type, expectedAttachType: f.prog.attach ?? 0, loaded };
  return {
    run: (req) => testRun.run(prog, req, env),
    dumps: () => (f.prog.maps ?? []).map((d, i) => {
      const map = maps[i];
      return d.type !== 2 || d.maxEntries !== 1 || map === undefined ? null : toHex(map.sysLookup(new Uint8Array(4), 0));
    }),
    release: () => {
      loaded.release();
      for (const m of maps) {
        m.release();
        liveMaps.splice(liveMaps.indexOf(m), 1);
      }
      if (rodata !== 0) arena.free(rodata);
    },
  };
}

/** What the kernel's attr and buffers held after the command, in the recording's terms. */
function simulate(f: Fixture, engine: ExecutionEngine): Fixture['result'] {
  const r = f.req;
  const req: TestRunRequest = {
    ...(r.dataIn === null ? {} : { dataIn: hex(r.dataIn) }),
    ...(r.ctxIn === null ? {} : { ctxIn: hex(r.ctxIn) }),
    dataSizeOut: r.dataSizeOut, ctxSizeOut: r.ctxSizeOut, repeat: r.repeat, flags: r.flags, cpu: r.cpu, batchSize: r.batchSize,
  };
  const p = load(f, engine);
  try {
    const res = p.run(req);
    const dataOut = r.dataSizeOut === 0 ? undefined : toHex(res.dataOut?.subarray(0, Math.min(res.dataSizeOut ?? 0, r.dataSizeOut)));
    // The caller's ctx_out stays as it was (0xee here) when the kernel does not write it.
    const ctxOut = r.ctxSizeOut === 0 ? undefined : res.ctxOut === undefined || f.prog.type === 31 ? 'ee'.repeat(r.ctxSizeOut) : toHex(res.ctxOut);
    const dumps = f.result?.maps === undefined ? undefined : p.dumps();
    return {
      ...(dumps === undefined ? {} : { maps: dumps }),
      errno: res.truncated ? 'ENOSPC' : null,
      retval: res.retval,
      dataSizeOut: res.dataSizeOut ?? r.dataSizeOut,
      ctxSizeOut: res.ctxSizeOut ?? r.ctxSizeOut,
      ...(dataOut === undefined ? {} : { dataOut }),
      ...(ctxOut === undefined ? {} : { ctxOut }),
      ...(r.ctxIn === null ? {} : { ctxInAfter: f.prog.type === 31 && res.ctxOut !== undefined ? toHex(res.ctxOut) : r.ctxIn }),
    };
  } catch (e) {
    if (e instanceof BpfError) return { errno: e.code, retval: 0, dataSizeOut: 0, ctxSizeOut: 0 };
    throw e;
  } finally {
    p.release();
  }
}

/** The fields a comparison looks at: on an error only the errno (the kernel wrote nothing else). */
function comparable(res: Fixture['result']): unknown {
  if (res === undefined) return undefined;
  if (res.errno !== null && res.errno !== 'ENOSPC') return { errno: res.errno };
  if (res.errno === 'ENOSPC' && res.retval === 0 && (res.dataOut === undefined || /^(ee)*$/.test(res.dataOut))) return { errno: 'ENOSPC', nothingWritten: true };
  return res;
}

const replayable = doc.cases.filter((c) => c.result !== undefined);

test(`the recording (${doc.kernel}) has cases of every test-runnable program type`, (t) => {
  const types = new Set(replayable.map((c) => c.prog.type));
  for (const type of [1, 3, 4, 6, 8, 10, 12, 17, 22, 30, 31, 32]) t.true(types.has(type), `program type ${type}`);
});

for (const engine of engines) {
  for (const f of replayable) {
    const known = KNOWN_DIFFERENCES.get(f.name);
    test(`kernel test run (${engine.name}): ${f.name}${known === undefined ? '' : ' (known difference)'}`, (t) => {
      const got = comparable(simulate(f, engine));
      const want = comparable(f.result);
      if (known === undefined) t.deepEqual(got, want);
      else t.notDeepEqual(got, want, `now agrees with the kernel: remove it from KNOWN_DIFFERENCES (${known})`);
    });
  }
}

test('every known difference names a recorded case', (t) => {
  for (const name of KNOWN_DIFFERENCES.keys()) t.true(replayable.some((c) => c.name === name), name);
});
