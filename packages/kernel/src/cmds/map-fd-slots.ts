import { BpfError, type MapFdResolver, type MapInfo, type MapSlotObject } from '@bpfkit/kernel-api';
import { BPF_F_INNER_MAP, BpfMapType as M } from '@bpfkit/uapi';
import type { MapRecord } from '../bpf/map-record.js';
import type { BpfObject } from '../bpf/objects.js';
import { progRecordOf } from '../bpf/prog-record.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** A slot's reference on a kernel object: dropping it puts the object. */
function slotOf(obj: BpfObject, target: unknown): MapSlotObject {
  let held = true;
  return {
    id: obj.id,
    target,
    put() {
      if (!held) return;
      held = false;
      obj.put();
    },
  };
}

/** `bpf_map_meta_equal` (and the array types' `max_entries` rule unless the template has BPF_F_INNER_MAP). */
function metaEqual(meta: MapInfo, inner: MapRecord): boolean {
  const m = inner.info;
  const same = meta.mapType === m.mapType && meta.keySize === m.keySize && meta.valueSize === m.valueSize &&
    meta.mapFlags === m.mapFlags && inner.fields.length === 0;
  const isArray = m.mapType === M.BPF_MAP_TYPE_ARRAY || m.mapType === M.BPF_MAP_TYPE_PERCPU_ARRAY;
  if (!same) return false;
  return !isArray || (meta.mapFlags & BPF_F_INNER_MAP) !== 0 || meta.maxEntries === m.maxEntries;
}

/**
 * `map_fd_get_ptr` of the fd maps, done by the kernel for the map types:
 * prog arrays take programs of the array's owner type, map-in-map takes maps
 * matching the inner-map template, perf event arrays take perf event files;
 * the kinds of files the simulated kernel does not have (cgroups, sockets) are refused as the kernel
 * refuses any other file (EBADF, or ENOTSOCK for socket maps and socket
 * storage); inode storage takes any open file.
 */
export function mapFdResolver(task: SyscallContext, map: MapRecord): MapFdResolver {
  return {
    resolve(fd: number): MapSlotObject {
      const e = task.fdTable.get(fd);
      if (e === undefined || e.file.opath) throw new BpfError('EBADF', 'map:slot-fd-not-open', `fd ${fd} is not open`);
      const obj = e.file.payload.object;
      switch (map.info.mapType) {
        case M.BPF_MAP_TYPE_PROG_ARRAY: {
          const prog = progRecordOf(obj);
          if (obj === undefined || prog === undefined) throw new BpfError('EINVAL', 'map:slot-not-a-prog', `fd ${fd} is not a BPF program`);
          const owner = map.owner;
          if (owner !== undefined && owner.progType !== prog.progType) {
            throw new BpfError('EINVAL', 'map:prog-array-incompatible', `program type ${prog.progType} does not match the prog array's owner type ${owner.progType}`);
          }
          map.owner ??= { progType: prog.progType, expectedAttachType: prog.expectedAttachType };
          return slotOf(obj.get(), prog.runnable);
        }
        case M.BPF_MAP_TYPE_ARRAY_OF_MAPS:
        case M.BPF_MAP_TYPE_HASH_OF_MAPS: {
          if (obj?.kind !== 'map') throw new BpfError('EINVAL', 'map:slot-not-a-map', `fd ${fd} is not a BPF map`);
          const inner = obj.impl as MapRecord;
          const meta = map.innerMapMeta;
          if (meta === undefined || !metaEqual(meta, inner)) {
            throw new BpfError('EINVAL', 'map:inner-map-mismatch', `map #${obj.id} does not match the inner map template`);
          }
          return slotOf(obj.get(), inner.live);
        }
        case M.BPF_MAP_TYPE_PERF_EVENT_ARRAY: {
          // perf_event_fd_array_get_ptr: any perf event file but an inherited one; its kind is checked at output.
          const event = e.file.payload.perf;
          if (event === undefined) throw new BpfError('EBADF', 'map:slot-not-a-perf-event', `fd ${fd} is not a perf event`);
          if (event.attrs.inherit) throw new BpfError('EOPNOTSUPP', 'map:perf-event-inherit', `perf event fd ${fd} is inherited (attr.inherit): it cannot be read locally`);
          const file = e.file.get();
          let held = true;
          return { id: event.id, target: event, put: () => { if (held) { held = false; file.put(); } } };
        }
        case M.BPF_MAP_TYPE_INODE_STORAGE:
          // Any open file has an inode to hang storage on; the slot is that file.
          return { id: e.file.id, target: e.file, put: () => undefined };
        case M.BPF_MAP_TYPE_SK_STORAGE:
        case M.BPF_MAP_TYPE_SOCKMAP:
        case M.BPF_MAP_TYPE_SOCKHASH:
        case M.BPF_MAP_TYPE_XSKMAP:
        case M.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:
          throw new BpfError('ENOTSOCK', 'map:slot-not-a-socket', `fd ${fd} is not a socket`);
        default:
          throw new BpfError('EBADF', 'map:slot-wrong-file', `fd ${fd} is not the kind of file this map holds`);
      }
    },
  };
}
