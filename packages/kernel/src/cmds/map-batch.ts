import { BpfError, type BpfMap, type MapSyscallContext } from '@bpfkit/kernel-api';
import { BpfCmd, BpfMapType as M, cmdName, decodeAttrGroup, type AttrOutput } from '@bpfkit/uapi';
import { checkAttr, putAttrU32 } from '../bpf/check.js';
import { mapGet, requireMapAccess } from '../bpf/fd-get.js';
import { mapValueSize } from '../bpf/map-record.js';
import type { KernelCore } from '../core.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { genericDeleteBatch, genericLookupBatch, genericUpdateBatch } from './map-batch-generic.js';
import { htabLookupBatch } from './map-batch-htab.js';
import { checkLockFlag, checkOnlyLockFlag, flagsNumber, liveMap, syscallContext } from './map-elem.js';

/** What one batch operation works with. */
export interface BatchContext {
  readonly core: KernelCore;
  readonly task: SyscallContext;
  readonly live: BpfMap;
  readonly attr: AttrOutput<'batch'>;
  readonly keySize: number;
  /** `bpf_map_value_size`. */
  readonly valueSize: number;
  /** `elem_flags` as the map operations take it. */
  readonly elemFlags: number;
  readonly ctx: MapSyscallContext;
  /** Writes `batch.count` back into the caller's attr. */
  putCount(n: number): void;
}

type BatchOp = (b: BatchContext) => void;

/** `map_lookup_batch`, `map_lookup_and_delete_batch`, `map_update_batch`, `map_delete_batch` of one map type. */
interface BatchOps {
  readonly lookup?: BatchOp;
  readonly lookupAndDelete?: BatchOp;
  readonly update?: BatchOp;
  readonly delete?: BatchOp;
}

const ARRAY_OPS: BatchOps = { lookup: genericLookupBatch, update: genericUpdateBatch };
const HTAB_OPS: BatchOps = {
  lookup: (b) => { htabLookupBatch(b, false); },
  lookupAndDelete: (b) => { htabLookupBatch(b, true); },
  update: genericUpdateBatch,
  delete: genericDeleteBatch,
};

/** The batch operations each map type's `bpf_map_ops` has (6.18); a type not listed has none (ENOTSUPP). */
const BATCH_OPS: ReadonlyMap<number, BatchOps> = new Map<number, BatchOps>([
  [M.BPF_MAP_TYPE_ARRAY, ARRAY_OPS],
  [M.BPF_MAP_TYPE_PERCPU_ARRAY, ARRAY_OPS],
  [M.BPF_MAP_TYPE_ARRAY_OF_MAPS, ARRAY_OPS],
  [M.BPF_MAP_TYPE_LPM_TRIE, { lookup: genericLookupBatch, update: genericUpdateBatch, delete: genericDeleteBatch }],
  [M.BPF_MAP_TYPE_HASH, HTAB_OPS],
  [M.BPF_MAP_TYPE_PERCPU_HASH, HTAB_OPS],
  [M.BPF_MAP_TYPE_LRU_HASH, HTAB_OPS],
  [M.BPF_MAP_TYPE_LRU_PERCPU_HASH, HTAB_OPS],
  [M.BPF_MAP_TYPE_HASH_OF_MAPS, { lookup: HTAB_OPS.lookup, lookupAndDelete: HTAB_OPS.lookupAndDelete }],
]);

function opOf(cmd: number, ops: BatchOps | undefined): BatchOp | undefined {
  switch (cmd) {
    case BpfCmd.BPF_MAP_LOOKUP_BATCH: return ops?.lookup;
    case BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH: return ops?.lookupAndDelete;
    case BpfCmd.BPF_MAP_UPDATE_BATCH: return ops?.update;
    default: return ops?.delete;
  }
}

/**
 * `bpf_map_do_batch`: CHECK_ATTR, the fd, read access for the lookups and
 * write access for everything but LOOKUP_BATCH, then the map type's batch
 * operation (ENOTSUPP when it has none). Each operation first checks
 * `elem_flags` (only BPF_F_LOCK, which needs a spin lock), returns at once for
 * `count` 0, and writes `count` back as it goes.
 */
export function mapDoBatch(task: SyscallContext, cmd: number, bytes: Uint8Array, uattr: Uint8Array): number {
  const core = task.core;
  const id = (cmdName(cmd) ?? 'batch').toLowerCase().replace(/^bpf_/, '');
  checkAttr(core, cmd, bytes);
  const attr = decodeAttrGroup('batch', bytes);
  const m = mapGet(task, attr.map_fd, id);
  const hasRead = cmd === BpfCmd.BPF_MAP_LOOKUP_BATCH || cmd === BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH;
  const hasWrite = cmd !== BpfCmd.BPF_MAP_LOOKUP_BATCH;
  requireMapAccess(core, m, id, hasRead, hasWrite);
  const op = m.map.ifindex === 0 ? opOf(cmd, BATCH_OPS.get(m.map.info.mapType)) : undefined;
  if (op === undefined) throw new BpfError('ENOTSUPP', 'map:no-batch-op', `map type ${m.map.info.mapType} has no ${id}`);
  checkOnlyLockFlag(core, id, 'elem_flags', attr.elem_flags);
  checkLockFlag(core, id, m, attr.elem_flags);
  op({
    core,
    task,
    live: liveMap(m),
    attr,
    keySize: m.map.info.keySize,
    valueSize: mapValueSize(m.map.info, core.cpus),
    elemFlags: flagsNumber(attr.elem_flags),
    ctx: syscallContext(task, m),
    putCount: (n) => { putAttrU32(uattr, 'batch', 'count', n); },
  });
  return 0;
}
