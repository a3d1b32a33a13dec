import type { HelperDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { boundCgroupStorage } from '../contexts/local-storage.js';
import { defineHelper } from './define.js';
import { mapArg } from './maps.js';
import { setR0 } from './regs.js';

/**
 * `bpf_get_local_storage(map, flags)`: the cgroup storage installed for this
 * run (a per-CPU map gives this CPU's value). A run without one installed
 * can only be an unverified program or a missing setup: a helper fault.
 *
 * @example
 * registry.get(81) // get_local_storage
 */
export const getLocalStorageHelper: HelperDescriptor = defineHelper('get_local_storage', (c) => {
  const map = mapArg(c, 1);
  const addr = boundCgroupStorage(c.env.arena, map.address);
  if (addr === undefined) return c.env.fault('bpf_get_local_storage: no cgroup storage is installed for this map');
  const percpu = map.info.mapType === BpfMapType.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
  setR0(c, percpu ? addr + Math.ceil(map.info.valueSize / 8) * 8 * c.env.cpu : addr);
});
