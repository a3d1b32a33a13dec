import type { OpenMap, OpenProgram, ProgramLoad } from './document.js';

/** A map of the loaded object, as the document's dumps read it. */
export interface SessionMap {
  readonly name: string;
  /** `enum bpf_map_type`. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly internal: boolean;
  /** Value bytes (per-CPU maps: every possible CPU, each rounded up to 8 bytes); `undefined` on ENOENT. */
  lookup(key: Uint8Array | null): Uint8Array | undefined;
  /** `undefined` after the last key. */
  nextKey(key: Uint8Array | null): Uint8Array | undefined;
  update(key: Uint8Array, value: Uint8Array, flags: number): void;
  /** `BPF_MAP_LOOKUP_AND_DELETE_ELEM`; `undefined` on ENOENT. */
  lookupAndDelete(key: Uint8Array | null): Uint8Array | undefined;
  /** The kernel's map id (map-in-map dumps name inner maps by it). */
  readonly id: number;
}

/** What `test_run` gives back. */
export interface SessionTestRun {
  readonly retval: number;
  readonly dataOut?: Uint8Array;
  readonly ctxOut?: Uint8Array;
}

/** The load of the whole object. */
export interface SessionLoad {
  readonly ok: boolean;
  readonly errnoName: string | null;
  readonly failedProgram: string | null;
  readonly programs: readonly ProgramLoad[];
}

/**
 * One object on one kernel, through the client: what `object run` needs and
 * nothing else, so the document does not depend on how the client spells it.
 */
export interface ObjectSession {
  readonly objectName: string;
  readonly programs: readonly OpenProgram[];
  readonly maps: readonly OpenMap[];
  readonly possibleCpus: number;
  setGlobal(section: string, variable: string, bytes: Uint8Array): void;
  load(): SessionLoad;
  map(name: string): SessionMap;
  testRun(program: string, opts: { readonly dataIn?: Uint8Array; readonly ctxIn?: Uint8Array; readonly dataSizeOut: number; readonly ctxSizeOut: number; readonly repeat: number }): SessionTestRun;
  /** Records consumed from a ringbuf map since the last call (a consumer opened at load). */
  ringbufSamples(map: string): Uint8Array[];
  attach(program: string): void;
  /** `perf_buffer__new` on a perf event array, 4 pages per CPU. */
  perfBufferOpen(map: string): void;
  /** Samples consumed from the perf buffers opened so far (undefined when none is open). */
  perfSamples(): readonly { readonly cpu: number; readonly data: Uint8Array }[] | undefined;
  close(): void;
}
