import { type HelperDescriptor, isBpfError } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { BpfSock } from '../contexts/plain.js';
import { createSkStorage, deleteSkStorage, skStorage } from '../contexts/sk-storage.js';
import { defineHelper } from './define.js';
import { mapArg } from './maps.js';
import { checkMem } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';

const BPF_SK_STORAGE_GET_F_CREATE = 1;
const TCP_TIME_WAIT = 6;
const TCP_NEW_SYN_RECV = 12;

/**
 * `bpf_sk_storage_get(map, sk, value, flags)`: the socket's storage, created
 * (from `value`, or zeroed) with `BPF_SK_STORAGE_GET_F_CREATE`; NULL for no
 * socket, one that is not full, or other flags. `bpf_sk_storage_delete`:
 * 0, or -ENOENT when there is none.
 *
 * @example
 * for (const h of skStorageHelpers()) registry.set(h.id, h);
 */
export function skStorageHelpers(): HelperDescriptor[] {
  return [
    defineHelper('sk_storage_get', (c) => {
      const map = mapArg(c, 1);
      const sk = ptrArg(c, 2, 'sk');
      const flagsHi = argHi(c, 4);
      const flags = argLo(c, 4);
      if (sk === 0 || flagsHi !== 0 || flags > BPF_SK_STORAGE_GET_F_CREATE) return setR0(c, 0);
      checkMem(c, sk, 80, 'bpf_sk_storage_get sk');
      const state = c.env.arena.view.getUint32(sk + BpfSock.state, true);
      if (state === TCP_TIME_WAIT || state === TCP_NEW_SYN_RECV) return setR0(c, 0);
      const found = skStorage(c.env.arena, sk, map.address);
      if (found !== undefined) return setR0(c, found);
      if (flags !== BPF_SK_STORAGE_GET_F_CREATE) return setR0(c, 0);
      const value = argLo(c, 3);
      if (value !== 0) checkMem(c, value, map.info.valueSize, 'bpf_sk_storage_get value');
      try {
        setR0(c, createSkStorage(c.env.arena, sk, map.address, map.info.valueSize, value));
      } catch (e) {
        // bpf_local_storage_update failing to allocate gives NULL.
        if (isBpfError(e, 'ENOMEM')) return setR0(c, 0);
        throw e;
      }
    }),
    defineHelper('sk_storage_delete', (c) => {
      const map = mapArg(c, 1);
      const sk = ptrArg(c, 2, 'sk');
      setR0(c, deleteSkStorage(c.env.arena, sk, map.address) ? 0 : -Errno.ENOENT);
    }),
  ];
}
