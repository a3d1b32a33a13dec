import { BpfError, type LoadedProgram, type RunnableProgram, type VerifierMap, type VerifierPrivileges } from '@bpfkit/kernel-api';
import { kernelSymbols } from '../fs/kallsyms.js';
import {
  BPF_COMPLEXITY_LIMIT_INSNS,
  BPF_F_TOKEN_FD,
  BPF_MAXINSNS,
  BpfCmd,
  BpfMapType,
  BpfProgLoadFlag,
  BpfProgType,
  Capability,
  decodeProgLoadAttr,
  progTypeName,
} from '@bpfkit/uapi';
import { capDetail, capScope, check, checkAttr, flagsDetail, lsmDetail, objNameCpy, putAttrU32, readCString, traceCheck } from '../bpf/check.js';
import { resolveToken, tokenCapable, unprivDetail } from '../bpf/token-fd.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { installObjectFd } from './fd-install.js';
import { getS32 } from './insn-bytes.js';
import { runWithLog, userLog } from './log.js';
import type { MapRecord } from '../bpf/map-record.js';
import { verifierMapOf } from '../bpf/map-rdonly.js';
import { kernelBtfOf, type KernelBtf } from '../btf/object.js';
import { EMPTY_BTF } from '../btf/vmlinux.js';
import { verifierAttachTarget, verifierProgBtf } from './verifier-inputs.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import type { BpfObject } from '../bpf/objects.js';
import { applyInsnRewrites, resolveProgram } from './prog-image.js';
import { kfuncSetsFor } from '../btf/kfunc-sets.js';

/** Every `prog_flags` bit BPF_PROG_LOAD accepts (the rest is EINVAL). */
const PROG_FLAGS = Object.values(BpfProgLoadFlag).reduce((all, bit) => all | bit, 0);

const GPL_COMPATIBLE = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

/** `license_is_gpl_compatible`. */
export function licenseIsGplCompatible(license: string): boolean {
  return GPL_COMPATIBLE.has(license);
}

export type { ProgRecord };

/** `attr->fd_array` as the verifier reads it: the fd at an index, undefined where the caller's memory faults. */
function fdArrayReader(task: SyscallContext, fdArray: bigint): ((index: number) => number | undefined) | undefined {
  if (fdArray === 0n) return undefined;
  return (index) => {
    try {
      return getS32(task.memory.read(fdArray + BigInt(index >>> 0) * 4n, 4), 0);
    } catch {
      return undefined;
    }
  };
}

/**
 * The maps `ld_imm64` pseudo map fds name (directly or through `fd_array`), resolved from the
 * caller's fd table, and the fds among them that are open but are not maps (EINVAL in the
 * verifier, where a closed fd is EBADF).
 */
function pseudoMaps(task: SyscallContext, insns: Uint8Array, fdArray: ((index: number) => number | undefined) | undefined, fdArrayCnt: number): {
  maps: Map<number, VerifierMap>; nonMapFds: Set<number>; btfFds: Set<number>;
} {
  const maps = new Map<number, VerifierMap>();
  const nonMapFds = new Set<number>();
  const btfFds = new Set<number>();
  const see = (fd: number | undefined): void => {
    const file = fd === undefined ? undefined : task.fdTable.get(fd)?.file;
    if (fd === undefined || file === undefined) return;
    const obj = file.payload.object;
    if (obj?.kind === 'map') maps.set(fd, verifierMapOf(obj.impl as MapRecord, fd));
    else if (obj?.kind === 'btf') btfFds.add(fd);
    else nonMapFds.add(fd);
  };
  // With a count, the array's fds are bound first; reading stops where the array does.
  for (let i = 0; i < fdArrayCnt; i++) {
    const fd = fdArray?.(i);
    if (fd === undefined) break;
    see(fd);
  }
  for (let off = 0; off + 8 <= insns.length; off += 8) {
    const code = insns[off] ?? 0;
    const src = (insns[off + 1] ?? 0) >> 4;
    if (code !== 0x18 || src < 1 || src > 6 || src === 3 || src === 4) continue;
    const imm = getS32(insns, off + 4);
    see(src <= 2 ? imm : fdArray?.(imm));
  }
  return { maps, nonMapFds, btfFds };
}

/** Helpers whose result is a pointer into the kernel's BTF: `get_current_task_btf` and the `skc_to_*` socket casts. */
const BTF_RESULT_HELPERS = new Set([158, 136, 137, 138, 139, 140, 178, 196]);

/**
 * A kfunc call naming a BTF id, or a helper returning a BTF pointer: only then is the
 * vmlinux BTF read (it is parsed on first use).
 */
function needsKernelBtf(insns: Uint8Array): boolean {
  for (let off = 0; off + 8 <= insns.length; off += 8) {
    if (insns[off] !== 0x85) continue;
    const src = (insns[off + 1] ?? 0) >> 4;
    const imm = getS32(insns, off + 4);
    if ((src === 2 && imm !== 0) || (src === 0 && BTF_RESULT_HELPERS.has(imm))) return true;
  }
  return false;
}

/**
 * `bpf_check_tail_call`: every prog array the program uses belongs to one
 * program type, the first to use or fill it; another type is EINVAL (after the
 * verifier accepted the program). Drops the map references on failure.
 */
function claimProgArrays(task: SyscallContext, usedMaps: readonly BpfObject[], progType: number, expectedAttachType: number): void {
  const arrays = usedMaps.map((o) => o.impl as MapRecord).filter((m) => m.info.mapType === BpfMapType.BPF_MAP_TYPE_PROG_ARRAY);
  const clash = arrays.find((m) => m.owner !== undefined && m.owner.progType !== progType);
  const ok = clash === undefined;
  traceCheck(task.core, 'bpf_check_tail_call', ok, 'EINVAL', {
    pass: arrays.length === 0 ? 'no prog array used' : `every prog array used takes program type ${progType}`,
    fail: `a prog array used by this program holds program type ${clash?.owner?.progType ?? '?'}, not ${progType}`,
  });
  if (!ok) {
    for (const o of usedMaps) o.put();
    throw new BpfError('EINVAL', 'prog:prog-array-owner', `a prog array used by this program belongs to program type ${clash.owner?.progType ?? '?'}`);
  }
  for (const m of arrays) m.owner ??= { progType, expectedAttachType };
}

/**
 * The func_info or line_info records the verifier accepted, cut to the
 * kernel's record size (the caller's may be longer, with a zero tail).
 */
function btfRecords(task: SyscallContext, addr: bigint, cnt: number, recSize: number, size: number): Uint8Array {
  if (cnt === 0) return new Uint8Array(0);
  const raw = task.memory.read(addr, cnt * recSize);
  const out = new Uint8Array(cnt * size);
  for (let i = 0; i < cnt; i++) out.set(raw.subarray(i * recSize, i * recSize + size), i * size);
  return out;
}

/** The object id of the BTF an attach target lives in: `attach_btf_obj_fd`'s object, else vmlinux (1). */
function attachBtfObjId(task: SyscallContext, attachFd: number): number {
  const obj = attachFd === 0 ? undefined : task.fdTable.get(attachFd)?.file.payload.object;
  return obj?.kind === 'btf' ? obj.id : 1;
}

/** BPF_PROG_LOAD in the order of `bpf_prog_load()` (kernel/bpf/syscall.c). */
export function progLoad(task: SyscallContext, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  checkAttr(core, BpfCmd.BPF_PROG_LOAD, bytes);
  const attr = decodeProgLoadAttr(bytes);
  const progFlags = attr.prog_flags;
  check(core, 'prog_load:prog_flags', (progFlags & ~PROG_FLAGS) === 0, 'EINVAL', 'prog:flags',
    flagsDetail('prog_flags', progFlags, progFlags & ~PROG_FLAGS));
  const type = attr.prog_type;
  const desc = core.deps.progs.get(type);
  const typeName = desc?.name ?? progTypeName(type) ?? String(type);
  const rawAttach = attr.expected_attach_type;
  const attachType = desc !== undefined ? desc.fixupAttachType(rawAttach) : rawAttach;
  if (attachType !== rawAttach) {
    core.tracer.step({ check: 'bpf_prog_load_fixup_attach_type', outcome: 'pass', detail: `expected_attach_type ${rawAttach} → ${attachType}` });
  }
  const token = resolveToken(task, (progFlags & BPF_F_TOKEN_FD) !== 0, attr.prog_token_fd, BpfCmd.BPF_PROG_LOAD, (t) =>
    core.deps.token.allowProgType(t, type, attachType, core.tracer),
  );
  let handedOver = false;
  try {
    const bpfCap = tokenCapable(task, token, Capability.CAP_BPF);
    if (core.unprivilegedBpfDisabled !== 0) {
      check(core, 'prog_load:unprivileged_bpf_disabled', bpfCap, 'EPERM', 'prog:unprivileged-disabled',
        unprivDetail(core.unprivilegedBpfDisabled, token), 'use a BPF token delegating prog_load and this program type, with CAP_BPF in its user namespace');
    }
    const insnCnt = attr.insn_cnt;
    const limit = bpfCap ? BPF_COMPLEXITY_LIMIT_INSNS : BPF_MAXINSNS;
    check(core, 'prog_load:insn_cnt', insnCnt !== 0 && insnCnt <= limit, 'E2BIG', 'prog:insn-cnt', {
      pass: `insn_cnt ${insnCnt} is within 1..${limit}`,
      fail: `insn_cnt ${insnCnt} not in 1..${limit}`,
    });
    if (type !== BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER && type !== BpfProgType.BPF_PROG_TYPE_CGROUP_SKB) {
      check(core, 'prog_load:type-needs-CAP_BPF', bpfCap, 'EPERM', 'caps:missing-CAP_BPF',
        capDetail(`${typeName} programs need CAP_BPF`, capScope(token)));
    }
    const caps = desc?.capabilities ?? [];
    if (caps.includes('CAP_NET_ADMIN')) {
      check(core, 'prog_load:type-needs-CAP_NET_ADMIN', tokenCapable(task, token, Capability.CAP_NET_ADMIN), 'EPERM', 'caps:missing-CAP_NET_ADMIN',
        capDetail(`${typeName} programs need CAP_NET_ADMIN`, capScope(token)));
    }
    if (caps.includes('CAP_PERFMON')) {
      check(core, 'prog_load:type-needs-CAP_PERFMON', tokenCapable(task, token, Capability.CAP_PERFMON), 'EPERM', 'caps:missing-CAP_PERFMON',
        capDetail(`${typeName} programs need CAP_PERFMON`, capScope(token)));
    }
    const attachBtfId = attr.attach_btf_id;
    const attachProgFd = attr.attach_prog_fd;
    let hasDstProg = false;
    let attachBtf: KernelBtf | undefined;
    if (attachProgFd !== 0) {
      // attach_prog_fd and attach_btf_obj_fd share the field: a program, else kernel BTF; anything else is EINVAL.
      const o = task.fdTable.get(attachProgFd);
      const obj = o === undefined || o.file.opath ? undefined : o.file.payload.object;
      const btf = kernelBtfOf(obj);
      if (obj?.kind === 'prog') hasDstProg = true;
      else if (btf !== undefined) attachBtf = btf;
      check(core, 'prog_load:attach_prog_fd', hasDstProg || attachBtf !== undefined, 'EINVAL', 'prog:attach-prog-fd', {
        pass: `attach_prog_fd ${attachProgFd} is a ${hasDstProg ? 'program' : 'BTF object'}`,
        fail: `attach_prog_fd ${attachProgFd} is neither a program nor BTF`,
      });
      check(core, 'prog_load:attach_btf_obj_fd', attachBtf === undefined || attachBtf.isKernel, 'ENOTSUPP', 'prog:attach-btf-not-kernel', {
        pass: attachBtf === undefined ? 'attach_prog_fd is a program' : 'attach_btf_obj_fd is kernel BTF',
        fail: `attach_btf_obj_fd ${attachProgFd} is program BTF, not the kernel's`,
      });
    } else if (attachBtfId !== 0) {
      attachBtf = kernelBtfOf(core.objects.byId('btf', 1));
    }
    const hasAttachBtf = attachBtf !== undefined;
    if (desc !== undefined) desc.checkAttach(attachType, { attachBtfId, hasAttachBtf, hasDstProg });
    const read = (a: bigint, n: number): Uint8Array => task.memory.read(a, n);
    const insns = read(attr.insns, insnCnt * 8);
    const license = readCString(read, attr.license, 127).text;
    const gplCompatible = licenseIsGplCompatible(license);
    check(core, 'find_prog_type', desc !== undefined && desc.supported, 'EINVAL', 'prog:unknown-type', {
      pass: `program type ${type} is ${desc?.name ?? '?'}, a supported type`,
      fail: `program type ${type} is not supported`,
    });
    if (desc === undefined) throw new BpfError('EINVAL', 'prog:unknown-type', `program type ${type}`);
    const name = objNameCpy(attr.prog_name);
    const lsmObj = { kind: 'prog' as const, type, attachType, name };
    const denial = core.deps.security.bpfProgLoad(task.cred, lsmObj, token?.token, false);
    check(core, 'security_bpf_prog_load', denial === undefined, denial?.errno ?? 'EPERM', 'lsm:bpf-prog-load',
      lsmDetail('security_bpf_prog_load', denial, 'LSM bpf_prog_load'));
    const perfmon = tokenCapable(task, token, Capability.CAP_PERFMON);
    const privileges: VerifierPrivileges = {
      allowPtrLeaks: perfmon,
      allowUninitStack: perfmon,
      bypassSpecV1: perfmon,
      bypassSpecV4: perfmon,
      bpfCapable: bpfCap,
      perfmonCapable: perfmon,
    };
    const log = userLog(task, attr.log_level, attr.log_size, attr.log_buf);
    const fdArray = fdArrayReader(task, attr.fd_array);
    const verdict = runWithLog(log, (n) => { putAttrU32(uattr, 'prog_load', 'log_true_size', n); }, () =>
      core.tracer.group('bpf_check', () => {
        const progBtf = verifierProgBtf(task, attr, uattr);
        return core.deps.verifier.verify({
          progType: type,
          expectedAttachType: attachType,
          insns,
          license,
          gplCompatible,
          progFlags,
          logLevel: log.level,
          logSize: log.size,
          privileges,
          ...pseudoMaps(task, insns, fdArray, attr.fd_array_cnt),
          ...(fdArray === undefined ? {} : { fdArray }),
          ...(attr.fd_array_cnt === 0 ? {} : { fdArrayCnt: attr.fd_array_cnt }),
          vmlinuxBtf: () => kernelBtfOf(core.objects.byId('btf', 1))?.view,
          kernelSymbol: (sym) => kernelSymbols(core).get(sym)?.[0],
          // Program BTF may tag global functions' arguments `arg:trusted`: kernel structs by name.
          ...(needsKernelBtf(insns) || progBtf !== undefined ? { kfuncs: kfuncSetsFor(kernelBtfOf(core.objects.byId('btf', 1))?.view ?? EMPTY_BTF, type) } : {}),
          ...(progBtf === undefined ? {} : { progBtf }),
          attach: verifierAttachTarget(type, attachBtfId, attachBtf, hasDstProg),
        });
      }),
    );
    const vmlinux = kernelBtfOf(core.objects.byId('btf', 1));
    const resolved = resolveProgram(task, insns, { at: attr.fd_array, cnt: attr.fd_array_cnt }, (id) => vmlinux?.view.type(id)?.name,
      (sym) => kernelSymbols(core).get(sym)?.[0]);
    claimProgArrays(task, resolved.usedMaps, type, attachType);
    // The maps are put when the program is freed, BPF_PROG_BIND_MAP's included (it appends to usedMaps).
    const holds: BpfObject[] = [];
    if (token !== undefined) holds.push(token);
    handedOver = true;
    const progBtf = attr.func_info_cnt !== 0 || attr.line_info_cnt !== 0 ? task.fdTable.get(attr.prog_btf_fd)?.file.payload.object : undefined;
    let loaded: LoadedProgram | undefined;
    let funcInfo: Uint8Array = new Uint8Array(0);
    let lineInfo: Uint8Array = new Uint8Array(0);
    try {
      if (progBtf?.kind === 'btf') {
        funcInfo = btfRecords(task, attr.func_info, attr.func_info_cnt, attr.func_info_rec_size, 8);
        lineInfo = btfRecords(task, attr.line_info, attr.line_info_cnt, attr.line_info_rec_size, 16);
      }
      loaded = core.deps.engine?.load({
        progType: type, expectedAttachType: attachType, insns: applyInsnRewrites(resolved.insns, verdict.rewrites), maps: resolved.liveMaps,
        kfuncs: resolved.kfuncs, verified: true,
      });
    } catch (e) {
      for (const h of [...holds, ...resolved.usedMaps]) h.put();
      throw e;
    }
    const id = core.objects.nextId('prog');
    if (progBtf?.kind === 'btf') holds.push(progBtf.get());
    const runnable: RunnableProgram | undefined = loaded === undefined ? undefined : { id, progType: type, expectedAttachType: attachType, loaded };
    if (loaded !== undefined) core.progIdsByImage.set(loaded.image, id);
    const record: ProgRecord = {
      progType: type,
      expectedAttachType: attachType,
      insns,
      gplCompatible,
      loadTimeNs: core.clock.nowNs(),
      createdByUid: task.cred.uid,
      usedMaps: resolved.usedMaps,
      verifiedInsns: verdict.stats.insnProcessed,
      btfId: progBtf?.kind === 'btf' ? progBtf.id : undefined,
      attachBtfId,
      attachBtfObjId: attachBtf === undefined ? undefined : attachBtfObjId(task, attachProgFd),
      funcInfo,
      lineInfo,
      runnable,
      stats: { cnt: 0, nsecs: 0n },
    };
    const obj = core.objects.create('prog', id, name, record, () => {
      core.deps.security.bpfProgFree(lsmObj);
      loaded?.release();
      for (const m of record.usedMaps.splice(0)) m.put();
    }, holds);
    return installObjectFd(task, 'bpf-prog', obj);
  } finally {
    if (!handedOver) token?.put();
  }
}
