import test from 'ava';
import fc from 'fast-check';
import type { BpfMap, HelperDescriptor } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { BpfProgType } from '@bpfkit/uapi';
import { createHelperRegistry, createSkBuffContext, createXdpContext } from '@bpfkit/vm';
import { HelperFault, makeNoopHelperEnv, makeNoopServices } from '@bpfkit/vm/testing';

const registry = createHelperRegistry();
const KFUNCS = [
  'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy', 'bpf_iter_bits_new', 'bpf_iter_bits_next', 'bpf_iter_bits_destroy',
  'bpf_dynptr_from_skb', 'bpf_dynptr_from_xdp', 'bpf_dynptr_slice', 'bpf_dynptr_slice_rdwr', 'bpf_dynptr_size', 'bpf_dynptr_is_null',
  'bpf_dynptr_is_rdonly', 'bpf_dynptr_adjust',
];
const all: HelperDescriptor[] = [...registry.all(), ...KFUNCS.flatMap((n) => registry.kfunc(n) ?? [])];

const arena = createVmArena({ initialBytes: 4 << 20, wasm: false });
const buf = arena.alloc(256);
const skb = createSkBuffContext(arena, { frame: new Uint8Array(64), headroom: 64, tailroom: 320, dataOffset: 0 });
const xdp = createXdpContext(arena, { linear: new Uint8Array(64), frameSize: 4096, headroom: 256, metaLen: 0, ingressIfindex: 1, rxQueueIndex: 0 });
const value = arena.alloc(8);
const map: BpfMap = {
  info: { mapType: 2, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 0, isMapInMap: false },
  address: arena.alloc(8),
  sysLookup: () => new Uint8Array(8), sysUpdate: () => undefined, sysDelete: () => undefined,
  sysGetNextKey: () => new Uint8Array(4), sysLookupAndDelete: () => new Uint8Array(8),
  lookupElem: () => value, updateElem: () => 0, deleteElem: () => 0, pushElem: () => 0, popElem: () => 0, peekElem: () => 0,
  forEachElem: (_cpu, cb) => (cb(buf, value), 1),
  release: () => undefined,
};

/** Register values a fuzzer should try: small numbers, edges, and addresses that mean something. */
const word = fc.oneof(
  fc.constantFrom(0, 1, 2, 4, 8, 14, 64, 255, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, buf, buf + 250, skb.ctx, xdp.ctx, map.address, value),
  fc.integer({ min: 0, max: 0xffff_ffff }),
);
const reg = fc.tuple(word, fc.oneof(fc.constant(0), fc.constant(0xffff_ffff), fc.integer({ min: 0, max: 0xffff_ffff })));

test('no helper throws anything but its fault, whatever the registers hold', (t) => {
  let calls = 0;
  const env = makeNoopHelperEnv({
    arena,
    progType: BpfProgType.BPF_PROG_TYPE_SCHED_CLS,
    services: makeNoopServices({ mapAt: (a) => (a === map.address ? map : undefined) }),
    callback: () => {
      // An engine stops a runaway callback loop with its instruction limit.
      if (++calls > 1000) throw new HelperFault('insn limit');
      return 0n;
    },
  });
  fc.assert(
    fc.property(fc.constantFrom(...all), fc.array(reg, { minLength: 5, maxLength: 5 }), fc.constantFrom(BpfProgType.BPF_PROG_TYPE_SCHED_CLS, BpfProgType.BPF_PROG_TYPE_XDP, BpfProgType.BPF_PROG_TYPE_KPROBE), (helper, args, progType) => {
      calls = 0;
      const regs = new Uint32Array(12);
      args.forEach(([lo, hi], i) => {
        regs[2 * (i + 1)] = lo;
        regs[2 * (i + 1) + 1] = hi;
      });
      try {
        helper.call({ regs, env: { ...env, progType } });
      } catch (e) {
        if (!(e instanceof HelperFault)) throw e;
      }
    }),
    { numRuns: Number(process.env.FUZZ_RUNS ?? 3000) },
  );
  t.pass();
});
