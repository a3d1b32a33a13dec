import type { Btf } from '@bpfkit/btf';
import type { LineInfo } from '@bpfkit/elf';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, BpfAttachType, BpfProgType } from '@bpfkit/uapi';
import { bpfProgGetInfoByFd } from '../commands/info.js';
import { BPF_LOG_BUF_SIZE, bpfProgLoad, type ExtRecords, type ProgLoadOptions } from '../commands/prog.js';
import type { AssembledProgram } from './assemble.js';
import type { KsymResolution } from './externs.js';
import { structOpsAttachBtfId } from './struct-ops.js';
import { arenaDataOffset } from './arena.js';
import { bindRodata, objectFeatures, poisonMapLdimm64 } from './probes.js';
import type { BpfObject } from './object.js';
import type { BpfProgram, LoadRecord, MapRef } from './program.js';

const BPF_PSEUDO_MAP_FD = 1;
const BPF_PSEUDO_MAP_VALUE = 2;
const BPF_PSEUDO_BTF_ID = 3;
const BPF_PSEUDO_KFUNC_CALL = 2;
const POISON_CALL_KFUNC_BASE = 2002000000;
const LOG_TAIL_LINES = 40;

interface Patched {
  readonly code: Uint8Array;
  readonly noFds: Uint8Array;
  readonly mapRefs: MapRef[];
}

function setLd(code: Uint8Array, slot: number, src: number, imm: number, imm2: number): void {
  const v = new DataView(code.buffer, code.byteOffset);
  code[slot * 8 + 1] = ((code[slot * 8 + 1] ?? 0) & 0x0f) | (src << 4);
  v.setInt32(slot * 8 + 4, imm | 0, true);
  v.setInt32(slot * 8 + 12, imm2 | 0, true);
}

/** Fills map fds, data addresses and externs into a copy of the assembled code (libbpf `bpf_object__relocate_data`). */
function patch(obj: BpfObject, prog: BpfProgram, a: AssembledProgram, ksyms: ReadonlyMap<string, KsymResolution>): Patched {
  const code = a.code.slice();
  const noFds = a.code.slice();
  const mapRefs: MapRef[] = [];
  const extIndex = new Map(obj.spec.externs.map((e, i) => [e.name, i]));
  for (const r of a.refs) {
    if (r.kind === 'map') {
      const m = obj.maps.find((x) => !x.internal && x.name === r.map);
      if (m === undefined) throw new BpfError('ENOENT', 'libbpf:no-map', `prog '${prog.name}': reference to unknown map '${r.map}'`);
      if (m.fd < 0) {
        for (const c of [code, noFds]) poisonMapLdimm64(c, r.slot, obj.maps.indexOf(m));
        continue;
      }
      setLd(code, r.slot, BPF_PSEUDO_MAP_FD, m.fd, 0);
      setLd(noFds, r.slot, BPF_PSEUDO_MAP_FD, 0, 0);
      mapRefs.push({ insn: r.slot, kind: 'map_fd', map: m.name });
    } else if (r.kind === 'data') {
      const m = obj.maps.find((x) => x.origin.kind === 'data' && x.realName === r.section);
      if (m === undefined) throw new BpfError('ENOENT', 'libbpf:no-map', `prog '${prog.name}': reference to section '${r.section}', which has no map`);
      if (m.fd < 0) {
        for (const c of [code, noFds]) poisonMapLdimm64(c, r.slot, obj.maps.indexOf(m));
        continue;
      }
      setLd(code, r.slot, BPF_PSEUDO_MAP_VALUE, m.fd, r.offset);
      setLd(noFds, r.slot, BPF_PSEUDO_MAP_VALUE, 0, r.offset);
      mapRefs.push({ insn: r.slot, kind: 'map_value', map: m.name, valueOff: r.offset });
    } else if (r.kind === 'arena') {
      const m = obj.maps.find((x) => x.name === obj.spec.arena?.map);
      if (m === undefined) throw new BpfError('ENOENT', 'libbpf:no-map', `prog '${prog.name}': bad arena data relocation at insn ${String(r.slot)}, no arena maps defined`);
      const off = r.offset + arenaDataOffset(obj);
      setLd(code, r.slot, BPF_PSEUDO_MAP_VALUE, m.fd, off);
      setLd(noFds, r.slot, BPF_PSEUDO_MAP_VALUE, 0, off);
      mapRefs.push({ insn: r.slot, kind: 'map_value', map: m.name, valueOff: off });
    } else {
      const slot = obj.kconfigLayout?.slots.find((s) => s.name === r.extern);
      if (slot !== undefined) {
        const m = obj.maps.find((x) => x.origin.kind === 'kconfig');
        if (m === undefined) throw new BpfError('ENOENT', 'libbpf:no-map', `prog '${prog.name}': no .kconfig map`);
        setLd(code, r.slot, BPF_PSEUDO_MAP_VALUE, m.fd, slot.offset);
        setLd(noFds, r.slot, BPF_PSEUDO_MAP_VALUE, 0, slot.offset);
        mapRefs.push({ insn: r.slot, kind: 'map_value', map: m.name, valueOff: slot.offset });
        continue;
      }
      const res = ksyms.get(r.extern) ?? { kind: 'missing' };
      const poison = POISON_CALL_KFUNC_BASE + (extIndex.get(r.extern) ?? 0);
      patchExtern(code, r.slot, r.call, res, poison);
      // Kernel BTF ids differ between kernel builds as fds differ between runs: zeroed in the fd-free copy.
      patchExtern(noFds, r.slot, r.call, res.kind === 'kfunc' || res.kind === 'btf-var' ? { ...res, btfId: 0 } : res, poison);
    }
  }
  return { code, noFds, mapRefs };
}

function patchExtern(code: Uint8Array, slot: number, call: boolean, res: KsymResolution, poison: number): void {
  const v = new DataView(code.buffer, code.byteOffset);
  if (call) {
    const at = slot * 8;
    if (res.kind === 'kfunc') {
      code[at + 1] = BPF_PSEUDO_KFUNC_CALL << 4;
      v.setInt16(at + 2, 0, true);
      v.setInt32(at + 4, res.btfId, true);
    } else {
      code[at + 1] = 0;
      v.setInt16(at + 2, 0, true);
      v.setInt32(at + 4, poison, true);
    }
    return;
  }
  if (res.kind === 'btf-var' || res.kind === 'kfunc') setLd(code, slot, BPF_PSEUDO_BTF_ID, res.btfId, 0);
  else if (res.kind === 'addr') setLd(code, slot, 0, Number(BigInt.asIntN(32, res.addr)), Number(BigInt.asIntN(32, res.addr >> 32n)));
  else setLd(code, slot, 0, 0, 0);
}

function strOffsets(btf: Btf): Map<string, number> {
  const out = new Map<string, number>();
  const s = btf.strings;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== 0) continue;
    const str = new TextDecoder().decode(s.subarray(start, i));
    if (!out.has(str)) out.set(str, start);
    start = i + 1;
  }
  return out;
}

function funcInfoRecords(a: AssembledProgram): ExtRecords | undefined {
  if (a.funcInfo.length === 0) return undefined;
  const bytes = new Uint8Array(a.funcInfo.length * 8);
  const v = new DataView(bytes.buffer);
  a.funcInfo.forEach((f, i) => {
    v.setUint32(i * 8, f.insnOff, true);
    v.setUint32(i * 8 + 4, f.typeId, true);
  });
  return { recSize: 8, bytes };
}

function lineInfoRecords(lines: readonly LineInfo[], offsets: ReadonlyMap<string, number>): ExtRecords | undefined {
  if (lines.length === 0) return undefined;
  const bytes = new Uint8Array(lines.length * 16);
  const v = new DataView(bytes.buffer);
  lines.forEach((l, i) => {
    v.setUint32(i * 16, l.insnOff, true);
    v.setUint32(i * 16 + 4, offsets.get(l.fileName) ?? 0, true);
    v.setUint32(i * 16 + 8, offsets.get(l.line) ?? 0, true);
    v.setUint32(i * 16 + 12, ((l.lineNum << 10) | (l.column & 0x3ff)) >>> 0, true);
  });
  return { recSize: 16, bytes };
}

/** libbpf `libbpf_find_attach_btf_id` for tracing and LSM programs: the vmlinux type the section names. */
function attachBtfId(prog: BpfProgram, target: () => Btf): number | undefined {
  if (prog.progType !== BpfProgType.BPF_PROG_TYPE_TRACING && prog.progType !== BpfProgType.BPF_PROG_TYPE_LSM) return undefined;
  const name = prog.spec.attachTo;
  const t = prog.expectedAttachType;
  let id: number | undefined;
  let what = name;
  if (t === BpfAttachType.BPF_TRACE_RAW_TP) {
    what = `btf_trace_${name}`;
    id = target().byName(what, 'TYPEDEF');
  } else if (t === BpfAttachType.BPF_LSM_MAC || t === BpfAttachType.BPF_LSM_CGROUP) {
    what = `bpf_lsm_${name}`;
    id = target().byName(what, 'FUNC');
  } else if (t === BpfAttachType.BPF_TRACE_ITER) {
    what = `bpf_iter_${name}`;
    id = target().byName(what, 'FUNC');
  } else {
    id = target().byName(name, 'FUNC');
  }
  if (id === undefined) throw new BpfError('ESRCH', 'libbpf:attach-btf-id', `prog '${prog.name}': failed to find kernel BTF type ID of '${what}': -ESRCH`);
  return id;
}

function tail(log: string): string {
  return log.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).slice(-LOG_TAIL_LINES).join('\n');
}

/**
 * Loads one assembled program as libbpf's `bpf_object_load_prog`: fds patched in, func and
 * line info with the object's BTF, the user's log level first and, after a failure
 * without a log, one retry at level 1 with a big buffer. Fills `prog.loadRecord`.
 */
export function loadProgram(obj: BpfObject, prog: BpfProgram, a: AssembledProgram, ksyms: ReadonlyMap<string, KsymResolution>, coreLog: readonly string[], target: () => Btf): void {
  const p = patch(obj, prog, a, ksyms);
  const record = (fields: Partial<LoadRecord> & { loaded: boolean; log: string }): LoadRecord => ({
    insns: p.code, insnsNoFds: p.noFds, insnCnt: p.code.length / 8, mapRefs: p.mapRefs, coreLog, lineInfo: a.lineInfo, ...fields,
  });
  const btf = obj.btfFd !== undefined && objectFeatures(obj).supports('BTF_FUNC') ? obj.spec.btf : undefined;
  const offsets = btf === undefined ? new Map<string, number>() : strOffsets(btf);
  const funcInfo = btf === undefined ? undefined : funcInfoRecords(a);
  const lineInfo = btf === undefined ? undefined : lineInfoRecords(a.lineInfo, offsets);
  let attach: number | undefined;
  try {
    attach = structOpsAttachBtfId(prog) ?? attachBtfId(prog, target);
  } catch (e) {
    prog.loadRecord = record({ loaded: false, log: '', errno: errnoName(e) });
    throw e;
  }
  const flags = (prog.spec.sleepable ? BPF_F_SLEEPABLE : 0) | (prog.spec.xdpFrags ? BPF_F_XDP_HAS_FRAGS : 0);
  const logLevel = prog.logLevel ?? obj.options.logLevel ?? 0;
  const opts: ProgLoadOptions = {
    progType: prog.progType, insns: p.code, license: obj.spec.license, expectedAttachType: prog.expectedAttachType,
    ...(objectFeatures(obj).supports('PROG_NAME') ? { progName: prog.name } : {}), progFlags: flags, kernVersion: obj.spec.kernelVersion,
    ...(obj.btfFd === undefined || btf === undefined ? {} : { progBtfFd: obj.btfFd }),
    ...(funcInfo === undefined ? {} : { funcInfo }),
    ...(lineInfo === undefined ? {} : { lineInfo }),
    ...(attach === undefined ? {} : { attachBtfId: attach }),
    ...(obj.tokenFd === undefined ? {} : { tokenFd: obj.tokenFd }),
  };
  let firstLog: string | undefined;
  try {
    const res = bpfProgLoad(obj.host, { ...opts, logLevel, ...(logLevel === 0 ? {} : { logSize: BPF_LOG_BUF_SIZE }) });
    prog.fd = res.fd;
    bindRodata(obj, res.fd);
    const verifiedInsns = verifiedOf(obj, res.fd);
    prog.loadRecord = record({ loaded: true, log: res.log, ...(verifiedInsns === undefined ? {} : { verifiedInsns }) });
    return;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    firstLog = e.log;
    if ((logLevel & 3) !== 0) throw fail(prog, record({ loaded: false, log: e.log ?? '', errno: e.code }), e);
  }
  try {
    const res = bpfProgLoad(obj.host, { ...opts, logLevel: 1, logSize: BPF_LOG_BUF_SIZE });
    // Loaded on the retry: keep it, as libbpf does.
    prog.fd = res.fd;
    bindRodata(obj, res.fd);
    const verifiedInsns = verifiedOf(obj, res.fd);
    prog.loadRecord = record({
      loaded: true, log: res.log, ...(firstLog === undefined ? {} : { firstLog }), ...(verifiedInsns === undefined ? {} : { verifiedInsns }),
    });
  } catch (e) {
    if (!isBpfError(e)) throw e;
    throw fail(prog, record({ loaded: false, log: e.log ?? '', errno: e.code, ...(firstLog === undefined ? {} : { firstLog }) }), e);
  }
}

function verifiedOf(obj: BpfObject, fd: number): number | undefined {
  try {
    return bpfProgGetInfoByFd(obj.host, fd).verifiedInsns;
  } catch {
    return undefined;
  }
}

function errnoName(e: unknown): string {
  return isBpfError(e) ? e.code : 'EINVAL';
}

function fail(prog: BpfProgram, rec: LoadRecord, e: BpfError): BpfError {
  prog.loadRecord = rec;
  const logTail = tail(rec.log);
  return new BpfError(e.code, 'libbpf:prog-load', `prog '${prog.name}': failed to load: -${e.code}${logTail === '' ? '' : `\n${logTail}`}`, { log: rec.log, cause: e });
}
