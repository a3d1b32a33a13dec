import type { BpfMap, HelperCall, HelperDescriptor, RingbufOps, UserRingbufOps } from '@bpfkit/kernel-api';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, Errno } from '@bpfkit/uapi';
import { defineHelper } from './define.js';
import { DYNPTR_MAX_SIZE, DynptrType, initDynptr, newDynptr, readDynptr, setDynptrNull } from './dynptr-kern.js';
import { mapArg } from './maps.js';
import { checkMem, tryAlloc } from './memory.js';
import { argHi, argLo, argU53, ptrArg, setR0, setR0Big } from './regs.js';

/** `BPF_MAX_USER_RINGBUF_SAMPLES`: the most samples one drain hands to its callback. */
const MAX_USER_RINGBUF_SAMPLES = 128 * 1024;

/** The only flags submit/discard/output take. */
const BPF_RB_WAKEUP_FLAGS = BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP;

function ringbufOf(c: HelperCall, map: BpfMap): RingbufOps {
  return map.ringbuf ?? c.env.fault('bpf_ringbuf_* on a map that is not a ring buffer');
}

/**
 * The ring buffer helpers: `ringbuf_output`, `ringbuf_reserve` (a sample
 * address or NULL; any flag gives NULL), `ringbuf_submit`, `ringbuf_discard`,
 * `ringbuf_query`, their dynptr flavours, and `user_ringbuf_drain` (each
 * sample user space committed, as a local dynptr, to the callback). A sample is found again by its address, as the kernel
 * finds its ring from the sample header.
 *
 * @example
 * for (const h of ringbufHelpers()) registry.set(h.id, h);
 */
export function ringbufHelpers(): HelperDescriptor[] {
  const owners = new Map<number, RingbufOps>();
  const draining = new Set<UserRingbufOps>();
  const finish = (name: string, discard: boolean): HelperDescriptor =>
    defineHelper(name, (c) => {
      const sample = ptrArg(c, 1, 'sample');
      const rb = owners.get(sample);
      if (rb === undefined) return c.env.fault(`bpf_${name}: 0x${sample.toString(16)} is not a reserved sample`);
      owners.delete(sample);
      // Unknown flags are ignored by submit/discard (the kernel only tests the wakeup bits).
      const flags = argLo(c, 2) & BPF_RB_WAKEUP_FLAGS;
      if (discard) rb.discard(sample, flags);
      else rb.submit(sample, flags);
      setR0(c, 0);
    });
  const d = newDynptr();
  // The dynptr flavours: the sample is the dynptr's data; a NULL dynptr (failed reserve) is a no-op.
  const finishDynptr = (name: string, discard: boolean): HelperDescriptor =>
    defineHelper(name, (c) => {
      const p = readDynptr(c, ptrArg(c, 1, 'dynptr'), d);
      if (p.data === 0) return setR0(c, 0);
      const rb = owners.get(p.data);
      if (rb === undefined) return c.env.fault(`bpf_${name}: the dynptr holds no reserved sample`);
      owners.delete(p.data);
      const flags = argLo(c, 2) & BPF_RB_WAKEUP_FLAGS;
      if (discard) rb.discard(p.data, flags);
      else rb.submit(p.data, flags);
      setDynptrNull(c, p.addr);
      setR0(c, 0);
    });
  return [
    defineHelper('ringbuf_output', (c) => {
      const rb = ringbufOf(c, mapArg(c, 1));
      const data = ptrArg(c, 2, 'data');
      const size = argU53(c, 3);
      checkMem(c, data, size, 'bpf_ringbuf_output data');
      if (argHi(c, 4) !== 0 || (argLo(c, 4) & ~BPF_RB_WAKEUP_FLAGS) !== 0) return setR0(c, -Errno.EINVAL);
      setR0(c, rb.output(data, size, argLo(c, 4)));
    }),
    defineHelper('ringbuf_reserve', (c) => {
      const rb = ringbufOf(c, mapArg(c, 1));
      const size = argU53(c, 2);
      if (argHi(c, 3) !== 0 || argLo(c, 3) !== 0 || size > 0xffff_ffff) return setR0(c, 0);
      const sample = rb.reserve(size, 0);
      if (sample !== 0) owners.set(sample, rb);
      setR0(c, sample);
    }),
    finish('ringbuf_submit', false),
    finish('ringbuf_discard', true),
    defineHelper('ringbuf_reserve_dynptr', (c) => {
      const rb = ringbufOf(c, mapArg(c, 1));
      const size = argU53(c, 2);
      const out = ptrArg(c, 4, 'dynptr');
      checkMem(c, out, 16, 'bpf_ringbuf_reserve_dynptr');
      let err = 0;
      let sample = 0;
      if (argHi(c, 3) !== 0 || argLo(c, 3) !== 0) err = -Errno.EINVAL;
      else if (size > DYNPTR_MAX_SIZE) err = -Errno.E2BIG;
      else {
        sample = rb.reserve(size, 0);
        // A full ring is -EINVAL here (measured on 6.18), not the -ENOMEM one might expect.
        if (sample === 0) err = -Errno.EINVAL;
      }
      if (err !== 0) {
        setDynptrNull(c, out);
        return setR0(c, err);
      }
      owners.set(sample, rb);
      initDynptr(c, out, sample, DynptrType.RINGBUF, 0, size, false);
      setR0(c, 0);
    }),
    finishDynptr('ringbuf_submit_dynptr', false),
    finishDynptr('ringbuf_discard_dynptr', true),
    defineHelper('user_ringbuf_drain', (c) => {
      const map = mapArg(c, 1);
      const fn = argLo(c, 2);
      const ctx = argLo(c, 3);
      if (argHi(c, 4) !== 0 || (argLo(c, 4) & ~BPF_RB_WAKEUP_FLAGS) !== 0) return setR0(c, -Errno.EINVAL);
      const urb = map.userRingbuf ?? c.env.fault('bpf_user_ringbuf_drain on a map that is not a user ring buffer');
      // One consumer at a time (`rb->busy`): a drain from the callback of a drain is -EBUSY.
      if (draining.has(urb)) return setR0(c, -Errno.EBUSY);
      const dynptr = tryAlloc(c, 16);
      if (dynptr === 0) return setR0(c, -Errno.ENOMEM);
      draining.add(urb);
      try {
        let samples = 0, discarded = 0, stop = false;
        for (; samples < MAX_USER_RINGBUF_SAMPLES && !stop; samples++) {
          const s = urb.peek();
          if (s === -Errno.ENODATA) break;
          if (s === -Errno.EAGAIN) {
            discarded++;
            continue;
          }
          if (typeof s === 'number') return setR0(c, s);
          // The callback gets a local dynptr over the sample (on the kernel's stack: here scratch memory).
          initDynptr(c, dynptr, s.addr, DynptrType.LOCAL, 0, s.size, false);
          stop = c.env.callback(fn, dynptr, ctx, 0, 0, 0) !== 0n;
          urb.release(s.size);
        }
        setR0(c, samples - discarded);
      } finally {
        draining.delete(urb);
        c.env.arena.free(dynptr);
      }
    }),
    defineHelper('ringbuf_query', (c) => {
      const rb = ringbufOf(c, mapArg(c, 1));
      setR0Big(c, rb.query(argLo(c, 2)));
    }),
  ];
}
