// BPF arena programs as the verifier leaves them (Linux 6.18): BPF_PROBE_MEM32 loads and stores and
// BPF_PROBE_ATOMIC atomics off the arena's kernel base, cast_user, and the arena kfuncs. A missing page
// reads 0 and drops stores (the JIT's exception table). This machine's kernel refuses ARENA maps (EPERM),
// so the expected behaviour is the kernel source's and the verifier corpus runs' (verifier_arena*.json).
import test from 'ava';
import type { BpfMap, ProgramImage } from '@bpfkit/kernel-api';
import { createMapTypes } from '@bpfkit/maps';
import { createVmArena } from '@bpfkit/memory';
import { BPF_F_MMAPABLE, BpfMapType } from '@bpfkit/uapi';
import { createHelperRegistry, createInterpreter, createWasmEngine } from '@bpfkit/vm';
import { testEnv } from './support/env.js';
import { slots } from './support/program.js';

// Low 32 bits not 0: cast_user turns a pointer whose low half is 0 into NULL, as the JIT does.
const START = 0x1001_0010_0000n;
const arena = createVmArena({ initialBytes: 1 << 20 });
const helpers = createHelperRegistry();

function arenaMap(pages: number): BpfMap {
  const type = createMapTypes({ arena, possibleCpus: 1 }).get(BpfMapType.BPF_MAP_TYPE_ARENA);
  if (type === undefined) throw new Error('no arena map type');
  return type.create({ info: { mapType: BpfMapType.BPF_MAP_TYPE_ARENA, keySize: 0, valueSize: 0, maxEntries: pages, mapFlags: BPF_F_MMAPABLE, isMapInMap: false },
    mapExtra: START, valueFields: [] });
}

/**
 * r6 = bpf_arena_alloc_pages(map, 0, 1, -1, 0); w1 = w6 (cast_kern); *(u32 *)(r1 +0) = 7;
 * r2 = 5; r2 = atomic_fetch_add((u32 *)(r1 +0), r2); r0 = *(u32 *)(r1 +0); r3 = *(u32 *)(r1 +4096) (no page);
 * r0 += r3; r2 *= 100; r0 += r2; r4 = cast_user(r1); if r4 != r6 goto +1 (r0 = -1 then); exit.
 */
function program(map: BpfMap): ProgramImage {
  const addr = map.address;
  const insns = slots(
    [0x18, 1, 0, 0, addr], [0, 0, 0, 0, 0],
    [0xb7, 2, 0, 0, 0], [0xb7, 3, 0, 0, 1], [0xb4, 4, 0, 0, -1], [0xb7, 5, 0, 0, 0],
    [0x85, 0, 2, 0, 1],
    [0xbf, 6, 0, 0, 0],
    [0xbc, 1, 6, 0, 0],
    [0xa2, 1, 0, 0, 7],
    [0xb7, 2, 0, 0, 5],
    [0xe3, 1, 2, 0, 0x01],
    [0xa1, 0, 1, 0, 0],
    [0xa1, 3, 1, 4096, 0],
    [0x0f, 0, 3, 0, 0],
    [0x27, 2, 0, 0, 100],
    [0x0f, 0, 2, 0, 0],
    [0xbf, 4, 1, 1, 1 << 16],
    [0x5d, 4, 6, 1, 0],
    [0x05, 0, 0, 1, 0],
    [0xb7, 0, 0, 0, -1],
    [0x95, 0, 0, 0, 0],
  );
  return { progType: 31, expectedAttachType: 0, insns, maps: [map], kfuncs: new Map([[6, 'bpf_arena_alloc_pages']]), verified: true };
}

test('arena kfuncs, PROBE_MEM32 loads/stores, PROBE_ATOMIC and cast_user: the same on both engines', (t) => {
  for (const engine of [createInterpreter(), createWasmEngine({ fallback: createInterpreter() })]) {
    const map = arenaMap(1);
    const prog = engine.load(program(map));
    try {
      const out = prog.run({ r1: 0, r2: 0 }, testEnv({ arena, helpers, maps: [map] }));
      t.is(out.kind, 'exit', engine.name);
      // 7 + 5 = 12 in memory, the fetch gave 7 (700), the page past the arena read 0; cast_user gave r6 back.
      t.is(out.kind === 'exit' ? out.r0 : -1n, 712n, engine.name);
      t.deepEqual([...(map.bpfArena?.load(Number(START & 0xffff_ffffn), 4) ?? [])], [12, 0, 0, 0], engine.name);
      // A second run finds the arena full: the kfunc gives NULL, whose accesses all miss (0, stores dropped), and cast_user keeps NULL.
      const again = prog.run({ r1: 0, r2: 0 }, testEnv({ arena, helpers, maps: [map] }));
      t.is(again.kind === 'exit' ? again.r0 : -1n, 0n, engine.name);
    } finally {
      prog.release();
    }
  }
});

test('arena opcodes are not instructions of an unverified program', (t) => {
  const map = arenaMap(1);
  const out = createInterpreter().load({ ...program(map), verified: false }).run({ r1: 0, r2: 0 }, testEnv({ arena, helpers, maps: [map] }));
  t.is(out.kind, 'fault');
  t.regex(out.kind === 'fault' ? out.fault.message : '', /unknown opcode a2/);
});
