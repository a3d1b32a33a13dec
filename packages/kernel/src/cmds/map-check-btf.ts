import { BpfError, type BtfTypeView, type MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BpfMapType as M, Capability } from '@bpfkit/uapi';
import { capDetail, capScope, check } from '../bpf/check.js';
import type { BpfObject } from '../bpf/objects.js';
import { tokenCapable } from '../bpf/token-fd.js';
import { BPF_KPTR, BTF_FIELD_NAMES, BtfField, FieldError, parseFields, type BtfRecord } from '../btf/fields.js';
import { checkKptrTargets } from '../btf/kptr-targets.js';
import { kernelBtfOf, type KernelBtf } from '../btf/object.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** The special fields a map value may have (`map_check_btf`'s mask). */
const MAP_VALUE_FIELDS = BtfField.SPIN_LOCK | BtfField.RES_SPIN_LOCK | BtfField.TIMER | BPF_KPTR | BtfField.LIST_HEAD |
  BtfField.RB_ROOT | BtfField.REFCOUNT | BtfField.WORKQUEUE | BtfField.UPTR | BtfField.TASK_WORK;

const LOCAL_STORAGE = [M.BPF_MAP_TYPE_SK_STORAGE, M.BPF_MAP_TYPE_INODE_STORAGE, M.BPF_MAP_TYPE_TASK_STORAGE, M.BPF_MAP_TYPE_CGRP_STORAGE];

/** Which map types may hold each kind of special field (the switch in `map_check_btf`). */
const ALLOWED: readonly (readonly [number, readonly number[]])[] = [
  [BtfField.SPIN_LOCK | BtfField.RES_SPIN_LOCK, [M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_ARRAY, M.BPF_MAP_TYPE_CGROUP_STORAGE, ...LOCAL_STORAGE]],
  [BtfField.TIMER | BtfField.WORKQUEUE | BtfField.TASK_WORK, [M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_ARRAY]],
  [BPF_KPTR | BtfField.REFCOUNT, [M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_PERCPU_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_LRU_PERCPU_HASH,
    M.BPF_MAP_TYPE_ARRAY, M.BPF_MAP_TYPE_PERCPU_ARRAY, ...LOCAL_STORAGE]],
  [BtfField.UPTR, [M.BPF_MAP_TYPE_TASK_STORAGE]],
  [BtfField.LIST_HEAD | BtfField.RB_ROOT, [M.BPF_MAP_TYPE_HASH, M.BPF_MAP_TYPE_LRU_HASH, M.BPF_MAP_TYPE_ARRAY]],
];


const PAGE_SIZE = 4096;

/** What `map_create` hands `map_check_btf`. */
export interface MapBtfRequest {
  readonly desc: MapTypeDescriptor;
  readonly mapType: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly mapFlags: number;
  readonly keyTypeId: number;
  readonly valueTypeId: number;
}

/** `btf_get_by_fd`: EBADF for a closed (or O_PATH) fd, EINVAL for one that is not BTF. */
export function btfGetByFd(task: SyscallContext, fd: number, what: string): { obj: BpfObject; btf: KernelBtf } {
  const core = task.core;
  const e = task.fdTable.get(fd);
  check(core, `${what}:fd`, e !== undefined && !e.file.opath, 'EBADF', 'btf:bad-fd', {
    pass: `${what} ${fd} is open`,
    fail: `${what} ${fd} is not an open fd`,
  });
  const obj = e?.file.payload.object;
  const btf = kernelBtfOf(obj);
  check(core, `${what}:is-btf`, btf !== undefined, 'EINVAL', 'btf:not-btf', {
    pass: `${what} ${fd} is a BTF object`,
    fail: `${what} ${fd} is not a BTF object`,
  });
  if (obj === undefined || btf === undefined) throw new BpfError('EINVAL', 'btf:not-btf', `${what} ${fd} is not a BTF object`);
  return { obj, btf };
}

function fieldNames(mask: number): string {
  return Object.entries(BTF_FIELD_NAMES).filter(([bit]) => (mask & Number(bit)) !== 0).map(([, n]) => n).join(', ');
}

/**
 * `map_check_btf` (kernel/bpf/syscall.c): key and value types against the sizes, the
 * value's special fields (CAP_BPF, no RDONLY/WRONLY_PROG, the map types that take each),
 * their fix-ups, then the map type's own check. A value whose field search fails is
 * taken as having no special fields, as the kernel does. Returns the value's record (`map->record`).
 */
export function mapCheckBtf(task: SyscallContext, token: BpfObject | undefined, btf: KernelBtf, vmlinux: KernelBtf, req: MapBtfRequest): BtfRecord | undefined {
  const core = task.core;
  const view = btf.view;
  let keyType: BtfTypeView | undefined;
  if (req.keyTypeId !== 0) {
    const k = view.typeIdSize(req.keyTypeId);
    check(core, 'map_check_btf:key', k !== undefined && k.size === req.keySize, 'EINVAL', 'map:btf-key-size', {
      pass: `key type ${req.keyTypeId} is ${req.keySize} bytes, as key_size`,
      fail: k === undefined ? `key type ${req.keyTypeId} has no size` : `key type ${req.keyTypeId} is ${k.size} bytes, key_size is ${req.keySize}`,
    });
    keyType = k?.type;
  } else {
    keyType = view.type(0);
    check(core, 'map_check_btf:keyless', req.desc.checkBtf !== undefined, 'EINVAL', 'map:btf-no-key', {
      pass: `${req.desc.name} maps check their own BTF, so the key may have none`,
      fail: `${req.desc.name} maps need key BTF with value BTF`,
    });
  }
  const v = view.typeIdSize(req.valueTypeId);
  check(core, 'map_check_btf:value', v !== undefined && v.size === req.valueSize, 'EINVAL', 'map:btf-value-size', {
    pass: `value type ${req.valueTypeId} is ${req.valueSize} bytes, as value_size`,
    fail: v === undefined ? `value type ${req.valueTypeId} has no size` : `value type ${req.valueTypeId} is ${v.size} bytes, value_size is ${req.valueSize}`,
  });
  if (v === undefined || keyType === undefined) throw new BpfError('EINVAL', 'map:btf-value-size', 'bad key or value type');

  let rec: BtfRecord | undefined;
  let kernelPointees = new Set<number>();
  try {
    rec = parseFields(view, v.type, MAP_VALUE_FIELDS, req.valueSize);
    if (rec !== undefined) kernelPointees = checkKptrTargets(rec, btf.view, () => vmlinux.view);
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    core.tracer.step({ check: 'btf_parse_fields', outcome: 'pass', detail: `special field search failed (${e.errno}: ${e.message}); the value is taken as plain data` });
    rec = undefined;
  }
  if (rec !== undefined) {
    const fields = fieldNames(rec.fieldMask);
    check(core, 'map_check_btf:CAP_BPF', tokenCapable(task, token, Capability.CAP_BPF), 'EPERM', 'caps:missing-CAP_BPF',
      capDetail(`a value with ${fields} needs CAP_BPF`, capScope(token)));
    check(core, 'map_check_btf:prog-access', (req.mapFlags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) === 0, 'EACCES', 'map:btf-fields-rdonly-prog', {
      pass: 'no BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG',
      fail: `a value with ${fields} cannot be read-only or write-only for programs`,
    });
    for (const [mask, types] of ALLOWED) {
      const present = rec.fieldMask & mask;
      if (present === 0) continue;
      check(core, 'map_check_btf:field-map-type', types.includes(req.mapType), 'EOPNOTSUPP', 'map:btf-field-not-supported', {
        pass: `${req.desc.name} maps may hold ${fieldNames(present)}`,
        fail: `${req.desc.name} maps cannot hold ${fieldNames(present)}`,
      });
    }
    checkAndFixupFields(task, btf, rec, kernelPointees);
  }
  if (req.desc.checkBtf !== undefined) {
    const checkBtf = req.desc.checkBtf;
    core.tracer.group(`map_check_btf(${req.desc.name})`, () => {
      checkBtf({ mapType: req.mapType, keySize: req.keySize, valueSize: req.valueSize, maxEntries: req.maxEntries, btf: view, keyType, valueType: v.type });
    });
  }
  return rec;
}

/** `btf_check_and_fixup_fields`: uptrs point to one user page; graph roots need their node type's struct meta. */
function checkAndFixupFields(task: SyscallContext, btf: KernelBtf, rec: BtfRecord, kernelPointees: Set<number>): void {
  const core = task.core;
  for (const f of rec.fields) {
    if (f.type === BtfField.UPTR) {
      const size = btf.view.type(f.kptrTypeId ?? 0)?.size ?? 0;
      check(core, 'btf_check_and_fixup_fields:uptr', !kernelPointees.has(f.offset) && size !== 0, 'EINVAL', 'map:btf-uptr', {
        pass: `uptr at ${f.offset} points to a ${size}-byte program type`,
        fail: `uptr at ${f.offset} must point to a non-empty program type`,
      });
      check(core, 'btf_check_and_fixup_fields:uptr-size', size <= PAGE_SIZE, 'E2BIG', 'map:btf-uptr-size', {
        pass: `uptr pointee fits a page`,
        fail: `uptr pointee is ${size} bytes, more than a page`,
      });
    }
    if (f.graphRoot !== undefined) {
      const id = f.graphRoot.valueTypeId;
      check(core, 'btf_check_and_fixup_fields:graph-root', btf.structMetas.has(id), 'EFAULT', 'map:btf-graph-root', {
        pass: `struct ${btf.view.type(id)?.name ?? id} has graph node metadata`,
        fail: `struct ${btf.view.type(id)?.name ?? id} has no graph node metadata`,
      });
    }
  }
}
