import type { MapTypeDescriptor } from '@bpfkit/kernel-api';
import { BpfMapType } from '@bpfkit/uapi';
import { defineMapType } from '../define.js';
import { localStorageCheckBtf } from '../btf-checks.js';
import type { MapEnv } from '../deps.js';
import { localStorageMapAlloc, localStorageMapAllocCheck } from '../shared/local-storage.js';
import { LocalStorageMap } from '../runtime/local-storage.js';

/** `BPF_MAP_TYPE_SK_STORAGE`: local storage attached to sockets. */
export function skStorageMapType(env: MapEnv): MapTypeDescriptor {
  return defineMapType({
    type: BpfMapType.BPF_MAP_TYPE_SK_STORAGE, name: 'sk_storage', capability: 'CAP_BPF',
    checkBtf: localStorageCheckBtf,
    allocCheck: (req) => { localStorageMapAllocCheck(env, req); },
    alloc: (req) => localStorageMapAlloc(env, req),
    create: (spec) => new LocalStorageMap(env, spec, 'sk_storage'),
  });
}
