import test from 'ava';
import fc from 'fast-check';
import { BpfError, type Kernel } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_MMAPABLE, BpfCmd, BpfMapType, Errno, lastFieldEnd } from '@bpfkit/uapi';
import { arrayMap, counterProg, createMap } from './bpf-calls.js';

const KNOWN_ERRNOS = new Set(Object.keys(Errno));

/** The commands this work added: element ops, batches, freeze, test run, info, ids. */
const CMDS = [
  BpfCmd.BPF_MAP_LOOKUP_ELEM, BpfCmd.BPF_MAP_UPDATE_ELEM, BpfCmd.BPF_MAP_DELETE_ELEM, BpfCmd.BPF_MAP_GET_NEXT_KEY,
  BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, BpfCmd.BPF_MAP_FREEZE, BpfCmd.BPF_MAP_LOOKUP_BATCH, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH,
  BpfCmd.BPF_MAP_UPDATE_BATCH, BpfCmd.BPF_MAP_DELETE_BATCH, BpfCmd.BPF_PROG_TEST_RUN, BpfCmd.BPF_OBJ_GET_INFO_BY_FD,
  BpfCmd.BPF_PROG_GET_NEXT_ID, BpfCmd.BPF_MAP_GET_NEXT_ID, BpfCmd.BPF_BTF_GET_NEXT_ID, BpfCmd.BPF_PROG_GET_FD_BY_ID,
  BpfCmd.BPF_MAP_GET_FD_BY_ID,
];

function live(k: Kernel): unknown {
  const { objects, fds, files, arenaBytes, mappings } = k.counts();
  return { objects, fds, files, arenaBytes, mappings };
}

test('the map, batch, info, id and test-run commands on random attrs, fds and pointers only throw kernel errnos and leak nothing', (t) => {
  const k = createDefaultKernel();
  const task = k.init;
  const maps = [
    arrayMap(task, 4),
    arrayMap(task, 4, BPF_F_MMAPABLE),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 8 }),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_PERCPU_HASH, key_size: 8, value_size: 4, max_entries: 8 }),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_QUEUE, key_size: 0, value_size: 4, max_entries: 4 }),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_LPM_TRIE, key_size: 8, value_size: 4, max_entries: 4, map_flags: 1 }),
  ];
  const prog = counterProg(task, maps[0] ?? 0);
  const fds = [...maps, prog, 9999, 0];
  const bufs = [0n, 1n, task.memory.alloc(512), task.memory.alloc(512), task.memory.alloc(16), 0x7fff_0000_0000n];
  const initial = new Set(task.fdTable.fds());
  const outcomes = new Map<string, number>();
  const tally = (o: string): void => {
    outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
  };
  fc.assert(
    fc.property(
      fc.constantFrom(...CMDS),
      fc.uint8Array({ minLength: 0, maxLength: 96 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.constantFrom(...fds)), { maxLength: 3 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 10 }), fc.constantFrom(...bufs)), { maxLength: 4 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 300 })), { maxLength: 3 }),
      fc.integer({ min: 0, max: 9 }),
      (cmd, bytes, fdPokes, ptrPokes, smallPokes, tailDice) => {
        const attr = new Uint8Array(Math.max(bytes.length, 96));
        attr.set(bytes);
        const v = new DataView(attr.buffer);
        for (const [i, fd] of fdPokes) v.setInt32(i * 4, fd, true);
        for (const [i, p] of ptrPokes) v.setBigUint64(i * 8, p, true);
        for (const [i, n] of smallPokes) v.setUint32(i * 4, n, true);
        // Mostly keep the bytes past the command's last field zero, so runs get past CHECK_ATTR.
        if (tailDice > 1) attr.fill(0, lastFieldEnd(cmd) ?? attr.length);
        const before = live(k);
        try {
          const ret = task.bpf(cmd, attr);
          if (ret > 0 && !initial.has(ret) && task.fdTable.get(ret) !== undefined) task.close(ret);
          tally('ok');
          return true;
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          if (!KNOWN_ERRNOS.has(e.code)) return false;
          tally(e.code);
          return JSON.stringify(live(k)) === JSON.stringify(before);
        }
      },
    ),
    { numRuns: 3000 },
  );
  t.log([...outcomes].map(([o, n]) => `${o} ${n}`).join(', '));
  t.true((outcomes.get('ok') ?? 0) > 0, 'some calls should succeed');
});

test('mmap and munmap on random fds, lengths, protections, flags and offsets only throw kernel errnos and leak nothing', (t) => {
  const k = createDefaultKernel();
  const task = k.init;
  const fds = [
    arrayMap(task, 4, BPF_F_MMAPABLE),
    arrayMap(task, 1000, BPF_F_MMAPABLE),
    arrayMap(task, 4),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_RINGBUF, key_size: 0, value_size: 0, max_entries: 4096 }),
    createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 8 }),
    9999, -1, 0,
  ];
  const base = live(k);
  fc.assert(
    fc.property(
      fc.constantFrom(...fds),
      fc.oneof(fc.integer({ min: -1, max: 20_000 }), fc.constantFrom(4096, 8192, 16384)),
      fc.integer({ min: 0, max: 7 }),
      fc.integer({ min: 0, max: 7 }),
      fc.oneof(fc.constantFrom(0, 4096, 8192), fc.integer({ min: -1, max: 20_000 })),
      fc.integer({ min: -4, max: 20_000 }),
      fc.integer({ min: 0, max: 64 }),
      (fd, length, prot, flags, offset, at, n) => {
        try {
          const m = task.mmap(fd, length, prot, flags, offset);
          try {
            m.read(at, n);
            m.write(at, new Uint8Array(n));
          } catch (e) {
            if (!(e instanceof BpfError) || e.code !== 'EFAULT') throw e;
          }
          task.munmap(m);
        } catch (e) {
          if (!(e instanceof BpfError)) throw e;
          if (!KNOWN_ERRNOS.has(e.code)) return false;
        }
        return JSON.stringify(live(k)) === JSON.stringify(base);
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});
