import { isBpfError } from '@bpfkit/kernel-api';
import type { MapDump, ObjectRunDocument } from './document.js';
import { toHex } from './hex.js';
import { dumpMap } from './map-dump.js';
import type { ObjectSession } from './session.js';
import type { Step, StepsFile } from './steps.js';

/** `-errno` of a failed call, or rethrows what is not a kernel error. */
function rcOf(e: unknown): number {
  if (isBpfError(e)) return -e.errno;
  throw e;
}

function dumpAll(session: ObjectSession): MapDump[] {
  const byId = new Map<number, string>();
  for (const m of session.maps) {
    try {
      byId.set(session.map(m.name).id, m.name);
    } catch {
      // A map the load never created has no id.
    }
  }
  const nameOf = (id: number): string | null => byId.get(id) ?? null;
  return session.maps.map((m) => dumpMap(session.map(m.name), m.type, session.possibleCpus, nameOf, m.max_entries));
}

function perCpuValue(session: ObjectSession, name: string, value: Uint8Array): Uint8Array {
  const open = session.maps.find((m) => m.name === name);
  if (open === undefined || !open.type.startsWith('percpu_') && !open.type.startsWith('lru_percpu')) return value;
  const stride = Math.ceil(open.value_size / 8) * 8;
  const out = new Uint8Array(stride * session.possibleCpus);
  for (let c = 0; c < session.possibleCpus; c++) out.set(value.subarray(0, open.value_size), c * stride);
  return out;
}

function runStep(session: ObjectSession, step: Step): Record<string, unknown> {
  const out: Record<string, unknown> = { ...step.raw };
  switch (step.op) {
    case 'map_update':
      try {
        session.map(step.map).update(step.key, perCpuValue(session, step.map, step.value), step.flags);
        out.rc = 0;
      } catch (e) {
        out.rc = rcOf(e);
      }
      return out;
    case 'perf_buffer_open':
      try {
        session.perfBufferOpen(step.map);
        out.rc = 0;
      } catch (e) {
        out.rc = rcOf(e);
      }
      return out;
    case 'attach':
      try {
        session.attach(step.program);
        out.rc = 0;
      } catch (e) {
        out.rc = rcOf(e);
      }
      return out;
    case 'drain': {
      const popped: string[] = [];
      try {
        const map = session.map(step.map);
        for (let v = map.lookupAndDelete(null); v !== undefined && popped.length < 1 << 16; v = map.lookupAndDelete(null)) popped.push(toHex(v));
        out.rc = 0;
      } catch (e) {
        out.rc = rcOf(e);
      }
      out.popped = popped;
      return out;
    }
    case 'test_run': {
      try {
        const r = session.testRun(step.program, {
          ...(step.dataIn === undefined ? {} : { dataIn: step.dataIn }),
          ...(step.ctxIn === undefined ? {} : { ctxIn: step.ctxIn }),
          dataSizeOut: step.dataSizeOut, ctxSizeOut: step.ctxSizeOut, repeat: step.repeat,
        });
        out.rc = 0;
        out.retval = r.retval >>> 0;
        out.retval_s32 = r.retval | 0;
        if (r.dataOut !== undefined) out.data_out = toHex(r.dataOut);
        if (r.ctxOut !== undefined) out.ctx_out = toHex(r.ctxOut);
      } catch (e) {
        out.rc = rcOf(e);
      }
      const ringbufs = session.maps.filter((m) => m.type === 'ringbuf');
      if (ringbufs.length > 0) out.ringbuf_samples = ringbufs.flatMap((m) => session.ringbufSamples(m.name).map(toHex));
      const perf = session.perfSamples();
      if (perf !== undefined) out.perf_samples = perf.map((s) => ({ cpu: s.cpu, size: s.data.length, data: toHex(s.data) }));
      out.maps_after = dumpAll(session);
      return out;
    }
  }
}

/**
 * An object's life as one document (reference/object-run.md): the open view,
 * the load of every program, the maps after load, then each step with its
 * results. A failed load ends the document after `program_loads`.
 *
 * @example
 * const doc = runObjectSession('xdp_firewall.o', session, parseSteps(JSON.parse(text)));
 */
export function runObjectSession(file: string, session: ObjectSession, steps: StepsFile): ObjectRunDocument {
  const open = { ok: true as const, object_name: session.objectName, programs: session.programs, maps: session.maps };
  for (const p of steps.rodataPatches) session.setGlobal(p.section, p.var, p.bytes);
  const load = session.load();
  const head = {
    file, open,
    load: { ok: load.ok, errno_name: load.errnoName, failed_program: load.failedProgram },
    program_loads: load.programs,
  };
  if (!load.ok) return head;
  const mapsAfterLoad = dumpAll(session);
  return { ...head, maps_after_load: mapsAfterLoad, steps: steps.steps.map((s) => runStep(session, s)) };
}
