import test, { type ImplementationFn } from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemoryMapping } from '@bpfkit/kernel-api';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, arenaDataOffset, arenaMapping, objectFeatures, type LibbpfHost } from '@bpfkit/libbpf';
import { BpfCmd, decodeAttr } from '@bpfkit/uapi';
import { simKernel } from './helpers.js';
import { progNameOf, recordingHost } from './support/recording-host.js';

const FIXTURE = new Uint8Array(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'elf', 'test', 'fixtures', 'arena.o')));
const PAGE = 4096;

function open(host: LibbpfHost): BpfObject {
  return BpfObject.open(FIXTURE, { name: 'arena', host });
}

/** An mmap that hands out a plain buffer instead of asking the kernel. */
function bufferMmap(store: { buf?: Uint8Array }): LibbpfHost['mmap'] {
  return (_fd, length, prot): MemoryMapping => {
    const buf = new Uint8Array(length);
    store.buf = buf;
    return { length, prot, bytes: buf, read: (o, l) => buf.slice(o, o + l), write: (o, b) => { buf.set(b, o); } };
  };
}

/** The ld_imm64 at `slot`: src_reg and the second imm (the value offset). */
function ldImm64(code: Uint8Array, slot: number): { src: number; off: number } {
  const v = new DataView(code.buffer, code.byteOffset);
  return { src: (code[slot * 8 + 1] ?? 0) >> 4, off: v.getInt32(slot * 8 + 12, true) };
}

test('simulated kernel: arena.o loads, its globals sit in the mapping and a test run updates them through arena pointers', (t) => {
  const k = simKernel();
  const obj = open(k.init);
  obj.load();
  try {
    const m = arenaMapping(obj.map('arena'));
    const off = arenaDataOffset(obj);
    const u32At = (at: number): number => new DataView((m?.read(off + at, 4) ?? new Uint8Array(4)).buffer).getUint32(0, true);
    const u64At = (at: number): bigint => new DataView((m?.read(off + at, 8) ?? new Uint8Array(8)).buffer).getBigUint64(0, true);
    t.is(u32At(0), 3);
    // counter++; hits[counter & 3] += 1; total += counter
    t.is(obj.program('arena_add').testRun({}).retval, 0);
    t.deepEqual([u32At(0), u32At(4), u64At(24)], [4, 1, 4n]);
    t.is(obj.program('arena_add').testRun({}).retval, 0);
    t.deepEqual([u32At(0), u32At(8), u64At(24)], [5, 1, 9n]);
  } finally {
    obj.close();
  }
});

test('arena globals are copied into the mapping and arena relocations become map-value ld_imm64s at offset + data offset (0 without full-range offsets)', (t) => {
  const store: { buf?: Uint8Array } = {};
  const { host } = recordingHost(simKernel().init, undefined, bufferMmap(store));
  const obj = open(host);
  // This host's mmap never reaches the kernel, so the arena has no user address: the verifier refuses the program.
  t.throws(() => {
    obj.load();
  }, { code: 'EINVAL', message: /arena's user address must be set via map_extra or mmap\(\)/ });
  t.false(objectFeatures(obj).supports('LDIMM64_FULL_RANGE_OFF'));
  t.is(arenaDataOffset(obj), 0);
  t.is(store.buf?.length, 4 * PAGE);
  t.deepEqual([...(store.buf ?? new Uint8Array(0)).subarray(0, 8)], [3, 0, 0, 0, 0, 0, 0, 0]);
  const rec = obj.program('arena_add').loadRecord;
  t.deepEqual(rec?.mapRefs, [
    { insn: 0, kind: 'map_value', map: 'arena', valueOff: 0 },
    { insn: 6, kind: 'map_value', map: 'arena', valueOff: 4 },
    { insn: 18, kind: 'map_value', map: 'arena', valueOff: 24 },
  ]);
  const code = rec?.insnsNoFds ?? new Uint8Array(0);
  t.deepEqual([0, 6, 18].map((s) => ldImm64(code, s)), [{ src: 2, off: 0 }, { src: 2, off: 4 }, { src: 2, off: 24 }]);
});

test('when the kernel takes full-range ld_imm64 offsets, the globals go to the last pages of the arena (libbpf\'s arena_data_off)', (t) => {
  const store: { buf?: Uint8Array } = {};
  const k = simKernel();
  // A kernel whose verifier refuses the probe's 1 GiB offset for the access, not for its size.
  const { host } = recordingHost(k.init, (cmd, attr) => (cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(attr) === 'global_reloc' ? 'EACCES' : undefined), bufferMmap(store));
  const logged: LibbpfHost = {
    ...host,
    bpf(cmd, attr) {
      try {
        return host.bpf(cmd, attr);
      } catch (e) {
        if (cmd === BpfCmd.BPF_PROG_LOAD && progNameOf(attr) === 'global_reloc') {
          const a = decodeAttr(BpfCmd.BPF_PROG_LOAD, attr);
          host.memory.write(a.log_buf, new TextEncoder().encode('invalid access to map value pointer\0'));
        }
        throw e;
      }
    },
  };
  const obj = open(logged);
  t.throws(() => {
    obj.load();
  });
  t.true(objectFeatures(obj).supports('LDIMM64_FULL_RANGE_OFF'));
  t.is(arenaDataOffset(obj), 3 * PAGE);
  t.deepEqual([...(store.buf ?? new Uint8Array(0)).subarray(3 * PAGE, 3 * PAGE + 4)], [3, 0, 0, 0]);
  t.deepEqual(obj.program('arena_add').loadRecord?.mapRefs.map((r) => r.valueOff), [3 * PAGE, 3 * PAGE + 4, 3 * PAGE + 24]);
});

const availability = linuxBpfAvailability();
/** On Linux a serial test; elsewhere skipped, the title saying why. */
const real = (title: string, fn: ImplementationFn<[]>): void => {
  if (availability.available) test.serial(title, fn);
  else test.skip(`${title}: skipped, bpf() is not available here (${availability.error.code} ${availability.error.reason})`, () => {});
};

real('on Linux: arena.o loads, runs and its globals live in the mapping; or the kernel refuses ARENA maps (this VM: EPERM)', (t) => {
  const obj = open(createLinuxSyscall());
  try {
    obj.load();
  } catch (e) {
    t.log(`linux: ${obj.loadReport?.error ?? String(e)}`);
    t.like(obj.loadReport, { ok: false, errnoName: 'EPERM', failedProgram: null });
    t.is(obj.map('arena').fd, -1);
    return;
  }
  try {
    const m = arenaMapping(obj.map('arena'));
    const off = arenaDataOffset(obj);
    t.deepEqual([...(m?.read(off, 4) ?? [])], [3, 0, 0, 0]);
    t.is(obj.program('arena_add').testRun({}).retval, 0);
    t.deepEqual([...(m?.read(off, 4) ?? [])], [4, 0, 0, 0]);
  } finally {
    obj.close();
  }
});
