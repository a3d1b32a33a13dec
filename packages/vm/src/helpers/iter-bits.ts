import type { HelperCall, HelperDescriptor } from '@bpfkit/kernel-api';
import { Errno } from '@bpfkit/uapi';
import { defineKfunc } from './define.js';
import { checkMem, tryAlloc } from './memory.js';
import { argHi, argLo, ptrArg, setR0 } from './regs.js';

// struct bpf_iter_bits_kern { union { u64 *bits; u64 bits_copy; }; int nr_bits; int bit; }: 16 opaque bytes.
const BITS = 0;
const NR_BITS = 8;
const BIT = 12;
/** `BITS_ITER_NR_WORDS_MAX`. */
const BITS_ITER_NR_WORDS_MAX = 511;

/** Reads the source words as `bpf_probe_read_kernel_common` would: arena memory, else the kernel's. */
function readWords(c: HelperCall, lo: number, hi: number, n: number): Uint8Array | undefined {
  if (hi === 0 && c.env.arena.contains(lo, n)) return c.env.arena.bytes.slice(lo, lo + n);
  return c.env.services.readKernel?.((BigInt(hi) << 32n) | BigInt(lo), n);
}

/** Where the iterator's bits are: the inline copy for one word, else the allocation it points to. */
const bitsAddr = (c: HelperCall, it: number, nrBits: number): number => (nrBits === 64 ? it + BITS : c.env.arena.view.getUint32(it + BITS, true));

/**
 * The open-coded bit iterator kfuncs: `bpf_iter_bits_new(it, words, nr_words)`
 * copies `nr_words` u64s (-EINVAL for none or NULL, -E2BIG above 511,
 * -EFAULT/-ERANGE when unreadable), `bpf_iter_bits_next(it)` gives a pointer
 * to the next set bit's index or NULL, `bpf_iter_bits_destroy(it)` frees the
 * copy of more than one word.
 *
 * @example
 * const next = iterBitsKfuncs().find((k) => k.name === 'bpf_iter_bits_next');
 */
export function iterBitsKfuncs(): HelperDescriptor[] {
  return [
    defineKfunc('bpf_iter_bits_new', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 16, 'bpf_iter_bits_new it');
      const v = c.env.arena.view;
      v.setBigUint64(it + BITS, 0n, true);
      v.setInt32(it + NR_BITS, 0, true);
      v.setInt32(it + BIT, -1, true);
      const lo = argLo(c, 2);
      const hi = argHi(c, 2);
      const words = argLo(c, 3);
      if ((lo === 0 && hi === 0) || words === 0) return setR0(c, -Errno.EINVAL);
      if (words > BITS_ITER_NR_WORDS_MAX) return setR0(c, -Errno.E2BIG);
      const bytes = readWords(c, lo, hi, words * 8);
      if (bytes === undefined) return setR0(c, words === 1 ? -Errno.EFAULT : hi < 0x7fff ? -Errno.ERANGE : -Errno.EFAULT);
      if (words === 1) c.env.arena.bytes.set(bytes, it + BITS);
      else {
        const copy = tryAlloc(c, words * 8);
        if (copy === 0) return setR0(c, -Errno.ENOMEM);
        c.env.arena.bytes.set(bytes, copy);
        v.setBigUint64(it + BITS, BigInt(copy), true);
      }
      v.setInt32(it + NR_BITS, words * 64, true);
      setR0(c, 0);
    }),
    defineKfunc('bpf_iter_bits_next', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 16, 'bpf_iter_bits_next it');
      const v = c.env.arena.view;
      const nrBits = v.getInt32(it + NR_BITS, true);
      let bit = v.getInt32(it + BIT, true);
      if (nrBits === 0 || bit >= nrBits) return setR0(c, 0);
      const bits = bitsAddr(c, it, nrBits);
      const b = c.env.arena.bytes;
      // find_next_bit over little-endian words is a scan over bytes in order.
      for (bit++; bit < nrBits; bit++) {
        if ((bit & 7) === 0 && b[bits + (bit >>> 3)] === 0) {
          bit += 7;
          continue;
        }
        if (((b[bits + (bit >>> 3)] ?? 0) & (1 << (bit & 7))) !== 0) break;
      }
      if (bit > nrBits) bit = nrBits;
      v.setInt32(it + BIT, bit, true);
      setR0(c, bit >= nrBits ? 0 : it + BIT);
    }),
    defineKfunc('bpf_iter_bits_destroy', (c) => {
      const it = ptrArg(c, 1, 'it');
      checkMem(c, it, 16, 'bpf_iter_bits_destroy it');
      const nrBits = c.env.arena.view.getInt32(it + NR_BITS, true);
      if (nrBits > 64) {
        const copy = c.env.arena.view.getUint32(it + BITS, true);
        try {
          c.env.arena.free(copy);
        } catch {
          c.env.fault('bpf_iter_bits_destroy: the iterator does not hold its copy');
        }
        c.env.arena.view.setInt32(it + NR_BITS, 0, true);
      }
      setR0(c, 0);
    }),
  ];
}
