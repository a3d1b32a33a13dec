import type { BtfView } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { skipModifiers } from './btf-walk.js';
import type { VerifierEnv } from './env.js';
import { btfResolveSize, isBtfScalar, isBtfStruct, skipModifiersId } from './kfunc-btf.js';
import { allocObjAccess } from './graph.js';
import { fail } from './log.js';
import { pointer, unknownScalar, type RegState } from './state.js';
import { tnumIsConst, tnumStr } from './tnum.js';

const MAX_WALK = 32;

/** What a load from a kernel struct gives: a scalar, or a pointer to the struct a pointer member names. */
type Walked = { readonly scalar: true } | { readonly ptrTo: number; readonly field: string };

/** `btf_struct_walk`: the member an access of `size` bytes at `off` falls in, through nested structs and arrays. */
function structWalk(env: VerifierEnv, btf: BtfView, id: number, off: number, size: number, depth = 0): Walked {
  const t = skipModifiers(btf, id);
  const tname = t?.name ?? '';
  if (t === undefined || !isBtfStruct(t) || depth > MAX_WALK) return fail(env.log, 'EACCES', 'btf-access', `access beyond struct ${tname} at off ${String(off)} size ${String(size)}`);
  if (off + size > (t.size ?? 0)) fail(env.log, 'EACCES', 'btf-access', `access beyond struct ${tname} at off ${String(off)} size ${String(size)}`);
  for (const m of t.members ?? []) {
    const moff = Math.floor(m.bitsOffset / 8);
    if (m.bitfieldSize !== 0) {
      // A bitfield: readable as a scalar when the access stays in its bytes.
      if (off >= moff && off < moff + Math.ceil(m.bitfieldSize / 8) + 1) return { scalar: true };
      continue;
    }
    let mt = skipModifiers(btf, m.type);
    const msize = btfResolveSize(btf, mt) ?? 0;
    if (off + size <= moff) break;
    if (off >= moff + msize) continue;
    let inner = off - moff;
    if (mt?.kind === 'ARRAY') {
      const elem = skipModifiers(btf, mt.type ?? 0);
      const esize = btfResolveSize(btf, elem) ?? 0;
      if (esize === 0) return { scalar: true };
      inner %= esize;
      mt = elem;
      if (isBtfStruct(mt)) return structWalk(env, btf, skipModifiersId(btf, m.type), inner, size, depth + 1);
    }
    if (isBtfStruct(mt)) return structWalk(env, btf, skipModifiersId(btf, (mt === undefined ? 0 : mt.id)), inner, size, depth + 1);
    if (mt?.kind === 'PTR') {
      if (inner !== 0 || size !== 8) {
        fail(env.log, 'EACCES', 'btf-access', `cannot access ptr member ${m.name} with moff ${String(moff)} in struct ${tname} with off ${String(off)} size ${String(size)}`);
      }
      const to = skipModifiersId(btf, mt.type ?? 0);
      return isBtfStruct(btf.type(to)) ? { ptrTo: to, field: m.name } : { scalar: true };
    }
    if (isBtfScalar(mt) || mt?.kind === 'FLOAT') {
      if (off + size > moff + msize) {
        fail(env.log, 'EACCES', 'btf-access',
          `access beyond the end of member ${m.name} (mend:${String(moff + msize)}) in struct ${tname} with off ${String(off)} size ${String(size)}`);
      }
      return { scalar: true };
    }
    return { scalar: true };
  }
  return fail(env.log, 'EINVAL', 'btf-access', `struct ${tname} doesn't have field at offset ${String(off)}`);
}

/**
 * `check_ptr_to_btf_access`: a load through a `PTR_TO_BTF_ID` (reads only, CAP_PERFMON,
 * GPL, a constant offset into the struct). A scalar member reads as an unknown scalar; a
 * pointer member as an untrusted pointer to its struct (the kernel's trust rules for
 * walked pointers are not modelled, and untrusted is what they never exceed).
 *
 * @example
 * const value = checkBtfAccess(env, 1, reg, 1264, 4, false); // task->pid: a scalar
 */
export function checkBtfAccess(env: VerifierEnv, regno: number, reg: RegState, off: number, size: number, write: boolean): RegState {
  const btf = reg.btf;
  const name = btf?.type(reg.btfId ?? 0)?.name ?? '';
  if (btf === undefined) return fail(env.log, 'EACCES', 'invalid-mem-access', `R${String(regno)} invalid mem access 'ptr_'`);
  if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'btf-access', `'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (!env.req.gplCompatible && reg.memAlloc !== true) fail(env.log, 'EACCES', 'btf-access', `Cannot access kernel 'struct ${name}' from non-GPL compatible program`);
  if (off < 0) fail(env.log, 'EACCES', 'btf-access', `R${String(regno)} is ptr_${name} invalid negative access: off=${String(off)}`);
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    fail(env.log, 'EACCES', 'btf-access', `R${String(regno)} is ptr_${name} invalid variable offset: off=${String(off)}, var_off=${tnumStr(reg.varOff)}`);
  }
  if (reg.percpu === true) fail(env.log, 'EACCES', 'percpu-access', `R${String(regno)} is ptr_${name} access percpu memory: off=${String(off)}`);
  if (reg.memAlloc === true) allocObjAccess(env, regno, reg, off, size);
  else if (write) fail(env.log, 'EACCES', 'btf-access', 'only read is supported');
  const walked = structWalk(env, btf, reg.btfId ?? 0, off, size);
  if ('scalar' in walked) return unknownScalar;
  // `type_is_trusted`: the members BTF_TYPE_SAFE_TRUSTED lists keep a trusted pointer's trust.
  const trusted = (reg.btfMod === 'trusted' || (reg.refObjId ?? 0) !== 0) && SAFE_TRUSTED[name]?.includes(walked.field) === true;
  return pointer('ptr_', 0, { btf, btfId: walked.ptrTo, btfMod: trusted ? 'trusted' : 'untrusted' });
}

/** `BTF_TYPE_SAFE_TRUSTED`: pointer members that are as trusted as the struct they are read from. */
const SAFE_TRUSTED: Readonly<Record<string, readonly string[]>> = {
  bpf_iter_meta: ['seq'], bpf_iter__task: ['task'], linux_binprm: ['file'], file: ['f_inode'],
};

/** `map->ops->map_btf_id`: the kernel struct behind each map type's `struct bpf_map`. */
const M = BpfMapType;
const MAP_STRUCTS: Readonly<Record<number, string>> = {
  [M.BPF_MAP_TYPE_HASH]: 'bpf_htab', [M.BPF_MAP_TYPE_PERCPU_HASH]: 'bpf_htab', [M.BPF_MAP_TYPE_LRU_HASH]: 'bpf_htab',
  [M.BPF_MAP_TYPE_LRU_PERCPU_HASH]: 'bpf_htab', [M.BPF_MAP_TYPE_HASH_OF_MAPS]: 'bpf_htab',
  [M.BPF_MAP_TYPE_ARRAY]: 'bpf_array', [M.BPF_MAP_TYPE_PROG_ARRAY]: 'bpf_array', [M.BPF_MAP_TYPE_PERF_EVENT_ARRAY]: 'bpf_array',
  [M.BPF_MAP_TYPE_PERCPU_ARRAY]: 'bpf_array', [M.BPF_MAP_TYPE_CGROUP_ARRAY]: 'bpf_array', [M.BPF_MAP_TYPE_ARRAY_OF_MAPS]: 'bpf_array',
  [M.BPF_MAP_TYPE_STACK_TRACE]: 'bpf_stack_map', [M.BPF_MAP_TYPE_LPM_TRIE]: 'lpm_trie',
  [M.BPF_MAP_TYPE_DEVMAP]: 'bpf_dtab', [M.BPF_MAP_TYPE_DEVMAP_HASH]: 'bpf_dtab', [M.BPF_MAP_TYPE_SOCKMAP]: 'bpf_stab',
  [M.BPF_MAP_TYPE_SOCKHASH]: 'bpf_shtab', [M.BPF_MAP_TYPE_CPUMAP]: 'bpf_cpu_map', [M.BPF_MAP_TYPE_XSKMAP]: 'xsk_map',
  [M.BPF_MAP_TYPE_CGROUP_STORAGE]: 'bpf_cgroup_storage_map', [M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE]: 'bpf_cgroup_storage_map',
  [M.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY]: 'reuseport_array', [M.BPF_MAP_TYPE_QUEUE]: 'bpf_queue_stack', [M.BPF_MAP_TYPE_STACK]: 'bpf_queue_stack',
  [M.BPF_MAP_TYPE_SK_STORAGE]: 'bpf_local_storage_map', [M.BPF_MAP_TYPE_INODE_STORAGE]: 'bpf_local_storage_map',
  [M.BPF_MAP_TYPE_TASK_STORAGE]: 'bpf_local_storage_map', [M.BPF_MAP_TYPE_CGRP_STORAGE]: 'bpf_local_storage_map',
  [M.BPF_MAP_TYPE_STRUCT_OPS]: 'bpf_struct_ops_map', [M.BPF_MAP_TYPE_RINGBUF]: 'bpf_ringbuf_map', [M.BPF_MAP_TYPE_USER_RINGBUF]: 'bpf_ringbuf_map',
  [M.BPF_MAP_TYPE_BLOOM_FILTER]: 'bpf_bloom_filter', [M.BPF_MAP_TYPE_ARENA]: 'bpf_arena',
};

/**
 * `check_ptr_to_map_access`: a load through a map pointer reads the map's kernel struct
 * (`struct bpf_array` for an array…) as a BTF pointer would; nothing may be written, and the
 * offset may not be negative.
 *
 * @example
 * const value = checkMapPtrAccess(env, 1, mapPtr, 0, 8, false, ARRAY); // map->ops: a kernel pointer
 */
export function checkMapPtrAccess(env: VerifierEnv, regno: number, off: number, size: number, write: boolean, mapType: number): RegState {
  const btf = kernelBtf(env);
  const structName = MAP_STRUCTS[mapType];
  const id = btf === undefined || structName === undefined ? undefined : btf.findAll(structName, 'STRUCT')[0];
  if (btf === undefined || id === undefined) {
    return fail(env.log, 'ENOTSUPP', 'map-ptr-access', `map_ptr access not supported for map type ${String(mapType)}`);
  }
  const tname = structName ?? '';
  if (!env.privileges.allowPtrLeaks) fail(env.log, 'EACCES', 'map-ptr-access', `'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
  if (off < 0) fail(env.log, 'EACCES', 'map-ptr-access', `R${String(regno)} is ${tname} invalid negative access: off=${String(off)}`);
  if (write) fail(env.log, 'EACCES', 'map-ptr-access', `only read from ${tname} is supported`);
  const walked = structWalk(env, btf, id, off, size);
  if ('scalar' in walked) return unknownScalar;
  return pointer('ptr_', 0, { btf, btfId: walked.ptrTo, btfMod: 'untrusted' });
}

/** The kernel's own BTF, for kernel struct types: read on first use, else the kfuncs' BTF. */
export function kernelBtf(env: VerifierEnv): BtfView | undefined {
  return env.req.vmlinuxBtf?.() ?? env.req.kfuncs?.btf;
}
