import test from 'ava';
import { encodeProgram, exit, ldxMem, mov64Imm, W } from '@bpfkit/asm';
import { isBpfError } from '@bpfkit/kernel-api';
import { BPF_F_RDONLY_PROG, BpfMapType, BpfProgType } from '@bpfkit/uapi';
import {
  bpfMapCreate, bpfMapDeleteElem, bpfMapFreeze, bpfMapGetInfoByFd, bpfMapGetNextKey, bpfMapLookupAndDeleteElem, bpfMapLookupElem,
  bpfMapUpdateElem, bpfProgGetInfoByFd, bpfProgLoad, bpfProgTestRun, bpfBtfGetNextId, bpfBtfGetFdById, bpfBtfGetInfoByFd,
} from '@bpfkit/libbpf';
import { packet, simKernel, u32, u64 } from './helpers.js';

test('map wrappers: create, update, lookup, iterate, delete, info', (t) => {
  const task = simKernel().init;
  const fd = bpfMapCreate(task, { mapType: BpfMapType.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8, mapName: 'a_very_long_map_name' });
  bpfMapUpdateElem(task, fd, u32(1), u64(10n));
  bpfMapUpdateElem(task, fd, u32(2), u64(20n));
  t.deepEqual(bpfMapLookupElem(task, fd, u32(2), 8), u64(20n));
  const keys: number[] = [];
  for (let k = bpfMapGetNextKey(task, fd, null, 4); k !== null; k = bpfMapGetNextKey(task, fd, k, 4)) keys.push(new DataView(k.buffer).getUint32(0, true));
  t.deepEqual(keys.sort(), [1, 2]);
  bpfMapDeleteElem(task, fd, u32(1));
  t.true(isBpfError(t.throws(() => bpfMapLookupElem(task, fd, u32(1), 8)), 'ENOENT'));
  const info = bpfMapGetInfoByFd(task, fd);
  t.is(info.name, 'a_very_long_map');
  t.is(info.maxEntries, 8);
  task.close(fd);
});

test('queue: lookup-and-delete pops, freeze blocks user writes', (t) => {
  const task = simKernel().init;
  const q = bpfMapCreate(task, { mapType: BpfMapType.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4, maxEntries: 4 });
  bpfMapUpdateElem(task, q, new Uint8Array(0), u32(7));
  t.deepEqual(bpfMapLookupAndDeleteElem(task, q, new Uint8Array(0), 4), u32(7));
  const a = bpfMapCreate(task, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: BPF_F_RDONLY_PROG });
  bpfMapFreeze(task, a);
  t.true(isBpfError(t.throws(() => { bpfMapUpdateElem(task, a, u32(0), u32(1)); }), 'EPERM'));
});

test('unknown option keys are EINVAL', (t) => {
  const task = simKernel().init;
  const e = t.throws(() => bpfMapCreate(task, { mapType: 2, keySize: 4, valueSize: 4, maxEntries: 1, bogus: 1 } as never));
  t.true(isBpfError(e, 'EINVAL'));
});

test('prog load: a rejected program throws the errno with the verifier log; an accepted one test-runs', (t) => {
  const task = simKernel().init;
  const bad = encodeProgram([exit()]);
  const e = t.throws(() => bpfProgLoad(task, { progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: bad, license: 'GPL', logLevel: 1 }));
  t.true(isBpfError(e, 'EACCES'));
  t.regex((e as { log?: string }).log ?? '', /R0 !read_ok/);
  const noLog = t.throws(() => bpfProgLoad(task, { progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: bad, license: 'GPL' }));
  t.falsy((noLog as { log?: string }).log);

  // r0 = skb->len
  const good = encodeProgram([ldxMem(W, 0, 1, 0), exit()]);
  const { fd, log } = bpfProgLoad(task, { progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: good, license: 'GPL', progName: 'skb_len', logLevel: 4 });
  t.regex(log, /processed 2 insns/);
  t.is(bpfProgGetInfoByFd(task, fd).name, 'skb_len');
  t.is(bpfProgGetInfoByFd(task, fd).verifiedInsns, 2);
  t.is(bpfProgTestRun(task, fd, { dataIn: packet(80), repeat: 1 }).retval, 80 - 14);
  const ret = bpfProgLoad(task, { progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: encodeProgram([mov64Imm(0, 3), exit()]), license: 'MIT' });
  t.is(bpfProgTestRun(task, ret.fd, { dataIn: packet() }).retval, 3);
});

test('BTF discovery through bpf(): the vmlinux BTF object is id 1 and a kernel BTF', (t) => {
  const task = simKernel().init;
  const id = bpfBtfGetNextId(task, 0);
  t.is(id, 1);
  const fd = bpfBtfGetFdById(task, id ?? 1);
  const info = bpfBtfGetInfoByFd(task, fd);
  t.is(info.name, 'vmlinux');
  t.true(info.kernelBtf);
});
