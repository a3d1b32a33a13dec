import { BPF_MEM, BPF_MEMSX, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, type Insn } from '@bpfkit/asm';
import type { VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { BPF_F_SLEEPABLE, BpfMapType, BpfProgType } from '@bpfkit/uapi';
import { cls, LD_IMM64, LDX, mode, PSEUDO_MAP_FD, PSEUDO_MAP_VALUE } from './insns.js';
import { fail, Reject, type VerifierLog } from './log.js';
import { opcodeKnown } from './check-reserved.js';
import { checkPseudoBtfId } from './ksym.js';

const MEM = BPF_MEM, MEMSX = BPF_MEMSX;
const PSEUDO_BTF_ID = BPF_PSEUDO_BTF_ID, PSEUDO_FUNC = BPF_PSEUDO_FUNC, PSEUDO_MAP_IDX = BPF_PSEUDO_MAP_IDX, PSEUDO_MAP_IDX_VALUE = BPF_PSEUDO_MAP_IDX_VALUE;
/** `BPF_MAX_VAR_OFF`. */
const MAX_VAR_OFF = 1 << 29;
/** `MAX_USED_MAPS`. */
const MAX_USED_MAPS = 64;
const M = BpfMapType;
const P = BpfProgType;

/** `is_tracing_prog_type`: kprobe, tracepoint, perf_event, raw_tracepoint and its writable form. */
const TRACING_PROG_TYPES: ReadonlySet<number> = new Set([
  P.BPF_PROG_TYPE_KPROBE, P.BPF_PROG_TYPE_TRACEPOINT, P.BPF_PROG_TYPE_PERF_EVENT, P.BPF_PROG_TYPE_RAW_TRACEPOINT,
  P.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE,
]);

/** The map types a sleepable program may use (`check_map_prog_compatibility`). */
const SLEEPABLE_MAP_TYPES: ReadonlySet<number> = new Set([
  M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_ARRAY, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_PERCPU_ARRAY,
  M.BPF_MAP_TYPE_LRU_PERCPU_HASH, M.BPF_MAP_TYPE_ARRAY_OF_MAPS, M.BPF_MAP_TYPE_HASH_OF_MAPS, M.BPF_MAP_TYPE_RINGBUF,
  M.BPF_MAP_TYPE_USER_RINGBUF, M.BPF_MAP_TYPE_INODE_STORAGE, M.BPF_MAP_TYPE_SK_STORAGE, M.BPF_MAP_TYPE_TASK_STORAGE,
  M.BPF_MAP_TYPE_CGRP_STORAGE, M.BPF_MAP_TYPE_QUEUE, M.BPF_MAP_TYPE_STACK, M.BPF_MAP_TYPE_ARENA,
]);
const CGROUP_STORAGES: ReadonlySet<number> = new Set([M.BPF_MAP_TYPE_CGROUP_STORAGE, M.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE]);

const hasField = (map: VerifierMap, ...kinds: readonly string[]): boolean =>
  (map.valueFields ?? []).some((f) => kinds.includes(f.kind));

/**
 * `check_map_prog_compatibility`, as the map is added to the program's used maps: special value
 * fields that tracing or socket filter programs may not use yet, struct_ops maps, the map types a
 * sleepable program may use, and one cgroup storage of each type.
 */
function checkMapProgCompatibility(log: VerifierLog, map: VerifierMap, req: VerifierRequest, used: readonly VerifierMap[]): void {
  const tracing = TRACING_PROG_TYPES.has(req.progType);
  if (hasField(map, 'bpf_list_head', 'bpf_rb_root') && tracing) {
    fail(log, 'EINVAL', 'map-prog-compat', 'tracing progs cannot use bpf_{list_head,rb_root} yet');
  }
  if (hasField(map, 'bpf_spin_lock', 'bpf_res_spin_lock')) {
    if (req.progType === P.BPF_PROG_TYPE_SOCKET_FILTER) fail(log, 'EINVAL', 'map-prog-compat', 'socket filter progs cannot use bpf_spin_lock yet');
    if (tracing) fail(log, 'EINVAL', 'map-prog-compat', 'tracing progs cannot use bpf_spin_lock yet');
  }
  if (hasField(map, 'bpf_timer') && tracing) fail(log, 'EINVAL', 'map-prog-compat', 'tracing progs cannot use bpf_timer yet');
  if (hasField(map, 'bpf_wq') && tracing) fail(log, 'EINVAL', 'map-prog-compat', 'tracing progs cannot use bpf_wq yet');
  if (map.mapType === M.BPF_MAP_TYPE_STRUCT_OPS) fail(log, 'EINVAL', 'map-prog-compat', 'bpf_struct_ops map cannot be used in prog');
  if ((req.progFlags & BPF_F_SLEEPABLE) !== 0 && !SLEEPABLE_MAP_TYPES.has(map.mapType)) {
    fail(log, 'EINVAL', 'map-prog-compat', 'Sleepable programs can only use array, hash, ringbuf and local storage maps');
  }
  if (CGROUP_STORAGES.has(map.mapType) && used.some((u) => u.mapType === map.mapType)) {
    fail(log, 'EBUSY', 'map-prog-compat', 'only one cgroup storage of each type is allowed');
  }
}

/**
 * `__add_used_map` on an ARENA map: one arena per program, CAP_BPF and CAP_PERFMON, and a user
 * address already set (by `map_extra` or an mmap).
 */
function checkArenaUse(log: VerifierLog, map: VerifierMap, req: VerifierRequest, used: readonly VerifierMap[]): void {
  if (used.some((u) => u.mapType === M.BPF_MAP_TYPE_ARENA)) fail(log, 'EBUSY', 'arena', 'Only one arena per program');
  if (!req.privileges.allowPtrLeaks || !req.privileges.bpfCapable) {
    fail(log, 'EPERM', 'arena', 'CAP_BPF and CAP_PERFMON are required to use arena');
  }
  if ((map.userVmStart ?? 0n) === 0n) fail(log, 'EINVAL', 'arena', "arena's user address must be set via map_extra or mmap()");
}

/**
 * The fd `fd_array[index]` of a `BPF_PSEUDO_MAP_IDX`/`_IDX_VALUE` load: EPROTO without an array,
 * EFAULT (no message) where it cannot be read.
 */
export function fdFromArray(log: VerifierLog, req: VerifierRequest, index: number): number {
  if (req.fdArray === undefined) fail(log, 'EPROTO', 'no-fd-array', 'fd_idx without fd_array is invalid');
  const fd = req.fdArray(index);
  if (fd === undefined) throw new Reject('EFAULT', 'verifier:fd-array', `fd_array[${String(index)}] cannot be read`);
  return fd;
}

/** `__add_used_map`: a map the program uses, once, at most 64, each checked against the program type. */
function addUsedMap(log: VerifierLog, map: VerifierMap, req: VerifierRequest, used: VerifierMap[]): void {
  if (used.includes(map)) return;
  if (used.length >= MAX_USED_MAPS) {
    fail(log, 'E2BIG', 'too-many-maps', `The total number of maps per program has reached the limit of ${String(MAX_USED_MAPS)}`);
  }
  checkMapProgCompatibility(log, map, req, used);
  if (map.mapType === M.BPF_MAP_TYPE_ARENA) checkArenaUse(log, map, req, used);
  used.push(map);
}

/**
 * `process_fd_array`, first of all: with `fd_array_cnt`, every fd of the array is a map the program
 * uses from the start (or a BTF object it holds); anything else is refused. Returns the used maps.
 */
export function processFdArray(log: VerifierLog, req: VerifierRequest): VerifierMap[] {
  const used: VerifierMap[] = [];
  const cnt = req.fdArrayCnt ?? 0;
  if (cnt === 0) return used;
  if (cnt >= Math.floor(0xffff_ffff / 4)) fail(log, 'EINVAL', 'fd-array-cnt', `fd_array_cnt is too big (${String(cnt)})`);
  for (let i = 0; i < cnt; i++) {
    const fd = req.fdArray?.(i);
    if (fd === undefined) throw new Reject('EFAULT', 'verifier:fd-array', `fd_array[${String(i)}] cannot be read`);
    const map = req.maps?.get(fd);
    if (map !== undefined) addUsedMap(log, map, req, used);
    else if (req.btfFds?.has(fd) !== true) {
      fail(log, req.nonMapFds?.has(fd) === true ? 'EINVAL' : 'EBADF', 'bad-fd-array', `fd ${String(fd)} is not pointing to valid bpf_map or btf`);
    }
  }
  return used;
}

/**
 * `resolve_pseudo_ldimm64`, before the program is walked: the reserved fields of loads, the form of
 * every ld_imm64, the maps its pseudo sources name (added to the program's used maps, each checked
 * against the program type once) and their direct value offsets, and the opcode table. Errors here
 * come before any instruction is processed, as in the kernel.
 */
export function resolvePseudoLdimm64(log: VerifierLog, insns: readonly Insn[], req: VerifierRequest, used: VerifierMap[]): void {
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i];
    if (insn === undefined) continue;
    if (cls(insn.code) === LDX && ((mode(insn.code) !== MEM && mode(insn.code) !== MEMSX) || insn.imm !== 0)) {
      fail(log, 'EINVAL', 'reserved-fields', 'BPF_LDX uses reserved fields');
    }
    if (insn.code !== LD_IMM64) {
      if (!opcodeKnown(insn.code)) fail(log, 'EINVAL', 'unknown-opcode', `unknown opcode ${insn.code.toString(16).padStart(2, '0')}`);
      continue;
    }
    const next = insns[i + 1];
    if (next === undefined || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      fail(log, 'EINVAL', 'bad-ld-imm64', 'invalid bpf_ld_imm64 insn');
    }
    i++;
    const src = insn.src;
    if (src === PSEUDO_BTF_ID) {
      checkPseudoBtfId(log, req, insn.imm, next.imm);
      continue;
    }
    // Plain constants and callback addresses are resolved when the walk reaches them.
    if (src === 0 || src === PSEUDO_FUNC) continue;
    const valueSrc = src === PSEUDO_MAP_VALUE || src === PSEUDO_MAP_IDX_VALUE;
    const mapSrc = src === PSEUDO_MAP_FD || src === PSEUDO_MAP_IDX;
    if ((!valueSrc && !mapSrc) || (mapSrc && next.imm !== 0)) fail(log, 'EINVAL', 'bad-ld-imm64', 'unrecognized bpf_ld_imm64 insn');
    const fd = src === PSEUDO_MAP_IDX || src === PSEUDO_MAP_IDX_VALUE ? fdFromArray(log, req, insn.imm) : insn.imm;
    const map = req.maps?.get(fd);
    if (map === undefined) {
      fail(log, req.nonMapFds?.has(fd) === true ? 'EINVAL' : 'EBADF', 'bad-map-fd', `fd ${String(fd)} is not pointing to valid bpf_map`);
    }
    addUsedMap(log, map, req, used);
    if (!valueSrc) continue;
    // The offset is bounded first; then the map type's `map_direct_value_addr` (arrays: one entry, inside the value).
    const off = next.imm >>> 0;
    if (off >= MAX_VAR_OFF) fail(log, 'EINVAL', 'direct-value', `direct value offset of ${String(off)} is not allowed`);
    if (map.mapType === M.BPF_MAP_TYPE_ARENA) {
      // arena_map_direct_value_addr: any offset inside the arena's user range (it is set: checkArenaUse).
      if (BigInt(off) > (map.userVmEnd ?? 0n) - (map.userVmStart ?? 0n)) {
        fail(log, 'ERANGE', 'direct-value', `invalid access to map value pointer, value_size=${String(map.valueSize)} off=${String(off)}`);
      }
      continue;
    }
    if (map.mapType !== M.BPF_MAP_TYPE_ARRAY) fail(log, 'EINVAL', 'direct-value', 'no direct value access support for this map type');
    if (map.maxEntries !== 1 || off >= map.valueSize) {
      fail(log, map.maxEntries !== 1 ? 'ENOTSUPP' : 'EINVAL', 'direct-value',
        `invalid access to map value pointer, value_size=${String(map.valueSize)} off=${String(off)}`);
    }
  }
}
