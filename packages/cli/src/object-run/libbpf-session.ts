import { BpfError } from '@bpfkit/kernel-api';
import { bpfMapGetInfoByFd, BpfObject, RingBuffer, type BpfMap, type LibbpfHost } from '@bpfkit/libbpf';
import { BpfMapType } from '@bpfkit/uapi';
import type { OpenMap, OpenProgram, ProgramLoad } from './document.js';
import { toHex } from './hex.js';
import { SessionPerfBuffers } from './perf-buffers.js';
import type { ObjectSession, SessionLoad, SessionMap, SessionTestRun } from './session.js';

const BPF_LOG_STATS = 4;
const TAIL_LINES = 40;

function lines(log: string | undefined): string[] {
  return (log ?? '').split('\n').filter((l) => l !== '');
}

function nullOnEnoent<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BpfError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

function sessionMap(map: BpfMap, host: LibbpfHost): SessionMap {
  let id: number | undefined;
  return {
    name: map.name, type: map.type, keySize: map.keySize, valueSize: map.valueSize, internal: map.internal,
    get id(): number {
      id ??= bpfMapGetInfoByFd(host, map.fd).id;
      return id;
    },
    lookup: (key) => nullOnEnoent(() => map.lookup(key ?? new Uint8Array(0))),
    nextKey: (key) => nullOnEnoent(() => map.nextKey(key)) ?? undefined,
    update: (key, value, flags) => {
      map.update(key, value, flags);
    },
    lookupAndDelete: (key) => nullOnEnoent(() => map.lookupAndDelete(key ?? new Uint8Array(0))),
  };
}

/** Options of {@link openLibbpfSession}. */
export interface LibbpfSessionOptions {
  readonly name: string;
  readonly host: LibbpfHost;
  readonly possibleCpus: number;
}

/**
 * An {@link ObjectSession} over `@bpfkit/libbpf`: the object opened as libbpf
 * opens it, loaded with `BPF_LOG_STATS` (a failed load is retried at level 1,
 * as libbpf retries), ringbuf consumers opened right after load, perf buffers
 * (4 pages per CPU) opened by `perf_buffer_open` steps.
 *
 * @example
 * const session = openLibbpfSession(bytes, { name: 'xdp_firewall', host: kernel.init, possibleCpus: 2 });
 */
export function openLibbpfSession(bytes: Uint8Array, opts: LibbpfSessionOptions): ObjectSession {
  const obj = BpfObject.open(bytes, { name: opts.name, host: opts.host, possibleCpus: opts.possibleCpus, logLevel: BPF_LOG_STATS });
  const ringbufs = new Map<string, RingBuffer>();
  const perfBuffers = new SessionPerfBuffers(obj, opts.host, opts.possibleCpus);
  const programs: OpenProgram[] = obj.programs.map((p) => ({
    name: p.name, section: p.spec.sectionName, prog_type: p.progTypeName, expected_attach_type: p.expectedAttachTypeName,
    insn_cnt_at_open: p.insnCntAtOpen, autoload: p.autoload,
  }));
  const maps: OpenMap[] = obj.maps.map((m) => ({
    name: m.name, type: m.typeName, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries,
    map_flags: m.mapFlags, map_extra: m.mapExtra, internal: m.internal,
    ...(m.internal && m.initialValue !== undefined ? { initial_value: toHex(m.initialValue) } : {}),
  }));
  const load = (): SessionLoad => {
    let error: BpfError | undefined;
    try {
      obj.load();
    } catch (e) {
      if (!(e instanceof BpfError)) throw e;
      error = e;
    }
    const loads: ProgramLoad[] = [];
    for (const p of obj.programs) {
      const r = p.loadRecord;
      if (r === undefined) continue;
      const statsLog = r.loaded ? lines(r.log) : lines(r.firstLog);
      loads.push({
        name: p.name, loaded: r.loaded,
        ...(r.loaded ? { verified_insns: r.verifiedInsns ?? 0, loaded_insn_cnt: r.insnCnt } : {}),
        insns_hex: toHex(r.insnsNoFds),
        map_refs: r.mapRefs.map((m) => ({ insn: m.insn, kind: m.kind, map: m.map, ...(m.valueOff === undefined ? {} : { value_off: m.valueOff }) })),
        verifier_stats_log: statsLog.slice(-3),
        ...(r.loaded ? {} : { errno_name: r.errno ?? 'EINVAL', verifier_log_tail: lines(r.log).slice(-TAIL_LINES) }),
      });
    }
    if (error === undefined) {
      for (const m of obj.maps) if (m.type === BpfMapType.BPF_MAP_TYPE_RINGBUF) ringbufs.set(m.name, RingBuffer.open(opts.host, m.fd, m.maxEntries));
    }
    return {
      ok: error === undefined, errnoName: error?.code ?? null,
      failedProgram: error === undefined ? null : obj.loadReport?.failedProgram ?? null,
      programs: loads,
    };
  };
  return {
    objectName: obj.name, programs, maps, possibleCpus: opts.possibleCpus,
    setGlobal: (section, variable, value) => {
      obj.globals(section).set(variable, value);
    },
    load,
    map: (name) => sessionMap(obj.map(name), opts.host),
    testRun: (program, o): SessionTestRun => {
      const r = obj.program(program).testRun({
        ...(o.dataIn === undefined ? {} : { dataIn: o.dataIn }), ...(o.ctxIn === undefined ? {} : { ctxIn: o.ctxIn }),
        dataSizeOut: o.dataSizeOut, ctxSizeOut: o.ctxSizeOut, repeat: o.repeat,
      });
      return { retval: r.retval, ...(r.dataOut === undefined ? {} : { dataOut: r.dataOut }), ...(r.ctxOut === undefined ? {} : { ctxOut: r.ctxOut }) };
    },
    ringbufSamples: (map) => ringbufs.get(map)?.consume() ?? [],
    // The link lives until the session closes the object.
    attach: (program) => {
      obj.program(program).attach();
    },
    perfBufferOpen: (map) => {
      perfBuffers.open(map);
    },
    perfSamples: () => perfBuffers.samples(),
    close: () => {
      perfBuffers.close();
      for (const rb of ringbufs.values()) rb.close();
      obj.close();
    },
  };
}
