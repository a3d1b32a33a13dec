import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { BpfError, type BpfMap, type Clock, type RunnableProgram, type TestRunEnv, type TestRunRequest } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';
import { BpfAttachType, BpfProgType } from '@bpfkit/uapi';
import { createHelperRegistry, createInterpreter, createTestRunService } from '@bpfkit/vm';
import { makeNoopServices } from '@bpfkit/vm/testing';

const engine = createInterpreter();
const frame = (n: number) => {
  const f = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
  f.fill(0, 0, 12);
  f[12] = 0x08;
  f[13] = 0x00;
  f[14] = 0x45;
  return f;
};
const req = (over: Partial<TestRunRequest> = {}): TestRunRequest => ({ dataSizeOut: 0, ctxSizeOut: 0, repeat: 0, flags: 0, cpu: 0, batchSize: 0, ...over });

function setup(clock?: Clock) {
  const arena = createVmArena({ initialBytes: 4 << 20, wasm: false });
  const env: TestRunEnv = { arena, helpers: createHelperRegistry(), services: makeNoopServices(clock === undefined ? {} : { clock }), cpus: 2 };
  const prog = (text: string, progType: number, expectedAttachType = 0, verified = true): RunnableProgram => ({
    id: 1, progType, expectedAttachType,
    loaded: engine.load({ progType, expectedAttachType, insns: encodeProgram(assemble(text)), maps: [], verified }),
  });
  return { arena, env, prog, service: createTestRunService() };
}

test('program types without a test run give ENOTSUPP', (t) => {
  const { env, prog, service } = setup();
  for (const type of [BpfProgType.BPF_PROG_TYPE_KPROBE, BpfProgType.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BpfProgType.BPF_PROG_TYPE_LWT_SEG6LOCAL]) {
    const e = t.throws(() => service.run(prog('r0 = 0\nexit', type), req(), env), { instanceOf: BpfError });
    t.is(e.code, 'ENOTSUPP');
  }
});

test('duration is the mean nanoseconds per repetition from the injected clock', (t) => {
  let now = 0n;
  const { env, prog, service } = setup({ nowNs: () => (now += 2500n) });
  const res = service.run(prog('r0 = 1\nexit', BpfProgType.BPF_PROG_TYPE_SCHED_CLS), req({ dataIn: frame(64), repeat: 5 }), env);
  t.is(res.durationNs, 500);
  t.is(res.retval, 1);
});

test('repeat 0 runs once, and the duration saturates at U32_MAX', (t) => {
  let now = 0n;
  const { env, prog, service } = setup({ nowNs: () => (now += 1n << 40n) });
  const res = service.run(prog('r0 = 1\nexit', BpfProgType.BPF_PROG_TYPE_XDP), req({ dataIn: frame(64) }), env);
  t.is(res.durationNs, 0xffff_ffff);
});

test('repetitions run on the same packet: changes a run makes are seen by the next', (t) => {
  const { env, prog, service } = setup();
  const text = 'r2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +3\nr0 = *(u8 *)(r2 +0)\nr0 += 1\n*(u8 *)(r2 +0) = r0\nexit';
  const res = service.run(prog(text, BpfProgType.BPF_PROG_TYPE_SCHED_CLS), req({ dataIn: frame(64), dataSizeOut: 100, repeat: 3 }), env);
  t.is(res.retval, 3);
  t.is(res.dataOut?.[0], 3);
});

test('a fault in an unverified program becomes EFAULT vm:fault with the fault message', (t) => {
  const { env, prog, service } = setup();
  const e = t.throws(() => service.run(prog('r0 = *(u64 *)(r0 +0)\nexit', BpfProgType.BPF_PROG_TYPE_XDP, 0, false), req({ dataIn: frame(64) }), env), { instanceOf: BpfError });
  t.is(e.code, 'EFAULT');
  t.is(e.reason, 'vm:fault');
});

test('a test run gives back every byte it allocated in the arena', (t) => {
  const { arena, env, prog, service } = setup();
  const p = prog('r0 = 2\nexit', BpfProgType.BPF_PROG_TYPE_SCHED_CLS);
  const x = prog('r0 = 2\nexit', BpfProgType.BPF_PROG_TYPE_XDP);
  // The engine's own stack is the engine's: count from after a first run.
  service.run(p, req({ dataIn: frame(64) }), env);
  service.run(x, req({ dataIn: frame(64) }), env);
  const before = arena.allocatedBytes;
  service.run(p, req({ dataIn: frame(64), dataSizeOut: 64, ctxIn: new Uint8Array(192), ctxSizeOut: 192 }), env);
  t.throws(() => service.run(p, req({ dataIn: frame(10) }), env), { instanceOf: BpfError });
  service.run(x, req({ dataIn: frame(9000), dataSizeOut: 9000 }), env);
  t.is(arena.allocatedBytes, before);
});

test('data_out is cut to data_size_out with truncated set; data_size_out keeps the full size and ctx_out is not written', (t) => {
  const { env, prog, service } = setup();
  const res = service.run(prog('r0 = 2\nexit', BpfProgType.BPF_PROG_TYPE_SCHED_CLS), req({ dataIn: frame(64), dataSizeOut: 10, ctxSizeOut: 192 }), env);
  t.true(res.truncated);
  t.is(res.dataOut?.length, 10);
  t.is(res.dataSizeOut, 64);
  t.is(res.ctxOut, undefined);
});

test('fentry/fexit test runs report 0 and fmod_ret 2 << 16 | 33, as the unattached kernel functions return', (t) => {
  const { env, prog, service } = setup();
  const tracing = BpfProgType.BPF_PROG_TYPE_TRACING;
  t.is(service.run(prog('r0 = 0\nexit', tracing, BpfAttachType.BPF_TRACE_FENTRY), req(), env).retval, 0);
  t.is(service.run(prog('r0 = 0\nexit', tracing, BpfAttachType.BPF_MODIFY_RETURN), req(), env).retval, (2 << 16) | 33);
  t.throws(() => service.run(prog('r0 = 0\nexit', tracing, BpfAttachType.BPF_TRACE_FENTRY), req({ flags: 1 }), env), { instanceOf: BpfError });
});

test('live XDP frames run every repetition on a fresh copy and report retval 0', (t) => {
  const { env, prog, service } = setup();
  const text = 'r2 = *(u32 *)(r1 +0)\nr3 = *(u32 *)(r1 +4)\nr4 = r2\nr4 += 1\nif r4 > r3 goto +3\nr0 = *(u8 *)(r2 +0)\nr0 += 1\n*(u8 *)(r2 +0) = r0\nr0 = 1\nexit';
  const res = service.run(prog(text, BpfProgType.BPF_PROG_TYPE_XDP), req({ dataIn: frame(64), flags: 2, repeat: 4 }), env);
  t.is(res.retval, 0);
  t.is(res.dataOut?.[0], 0);
});

test('raw tracepoint programs run on the requested CPU with BPF_F_TEST_RUN_ON_CPU, ENXIO past the possible CPUs', (t) => {
  const { env, prog, service } = setup();
  const p = prog('call 8\nexit', BpfProgType.BPF_PROG_TYPE_RAW_TRACEPOINT);
  t.is(service.run(p, req({ flags: 1, cpu: 1 }), env).retval, 1);
  t.is((t.throws(() => service.run(p, req({ flags: 1, cpu: 2 }), env), { instanceOf: BpfError })).code, 'ENXIO');
});

test('an skb ifindex names a device of the service\'s options (ENODEV otherwise)', (t) => {
  const { env, prog } = setup();
  const ctxIn = new Uint8Array(192);
  new DataView(ctxIn.buffer).setUint32(40, 5, true);
  const p = prog('r0 = *(u32 *)(r1 +40)\nexit', BpfProgType.BPF_PROG_TYPE_SCHED_CLS);
  t.is((t.throws(() => createTestRunService().run(p, req({ dataIn: frame(64), ctxIn }), env), { instanceOf: BpfError })).code, 'ENODEV');
  const service = createTestRunService({ devices: new Map([[1, { rxQueues: 1 }], [5, { rxQueues: 4 }]]) });
  t.is(service.run(p, req({ dataIn: frame(64), ctxIn }), env).retval, 5);
});

test('createTestRunService rejects unknown options', (t) => {
  t.throws(() => createTestRunService({ cpus: 2 } as never), { instanceOf: TypeError });
});

test('BPF_F_TEST_SKB_CHECKSUM_COMPLETE: changing the network part without fixing the checksum is EBADMSG', (t) => {
  const { env, prog, service } = setup();
  const text = 'r2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\nr4 = r2\nr4 += 21\nif r4 > r3 goto +2\nr5 = 170\n*(u8 *)(r2 +20) = r5\nr0 = 0\nexit';
  const e = t.throws(() => service.run(prog(text, BpfProgType.BPF_PROG_TYPE_SCHED_CLS), req({ dataIn: frame(64), flags: 4 }), env), { instanceOf: BpfError });
  t.is(e.code, 'EBADMSG');
});

test('struct_ops test runs take the member\'s u64 arguments as ctx_in (none: EINVAL) and report the program\'s r0', (t) => {
  const { env, prog, service } = setup();
  const p = prog('r0 = *(u64 *)(r1 +8)\nexit', BpfProgType.BPF_PROG_TYPE_STRUCT_OPS);
  const args = new Uint8Array(16);
  args[8] = 9;
  t.is(service.run(p, req({ ctxIn: args }), env).retval, 9);
  t.is((t.throws(() => service.run(p, req(), env), { instanceOf: BpfError })).code, 'EINVAL');
});

test('a test run installs fresh zeroed cgroup storage for the program\'s cgroup-storage maps', (t) => {
  const { arena, env, service } = setup();
  const map = { info: { mapType: 19, keySize: 8, valueSize: 8, maxEntries: 0, mapFlags: 0, isMapInMap: false }, address: arena.alloc(8) } as unknown as BpfMap;
  const envWithMap = { ...env, services: makeNoopServices({ mapAt: () => map }) };
  // r0 = *get_local_storage(map, 0) + 1, stored back: each test run starts from 0 again.
  const text = `r1 = ${map.address} ll\nr2 = 0\ncall 81\nr1 = *(u64 *)(r0 +0)\nr1 += 1\n*(u64 *)(r0 +0) = r1\nr0 = r1\nexit`;
  const loaded = engine.load({ progType: 8, expectedAttachType: 0, insns: encodeProgram(assemble(text)), maps: [map], verified: true });
  const p = { id: 1, progType: 8, expectedAttachType: 0, loaded };
  t.is(service.run(p, req({ dataIn: frame(64), repeat: 3 }), envWithMap).retval, 3);
  t.is(service.run(p, req({ dataIn: frame(64), repeat: 3 }), envWithMap).retval, 3);
});

test('a test run\'s skb has a dummy socket: skb->sk is a TCP_CLOSE bpf_sock with the packet\'s family and addresses', (t) => {
  const { env, prog, service } = setup();
  // r0 = sk->family << 16 | sk->state, src_ip4 in cb[0]
  const text = 'r6 = r1\nr7 = *(u64 *)(r6 +168)\nr0 = 0\nif r7 == 0 goto +6\nr0 = *(u32 *)(r7 +4)\nr0 <<= 16\nr1 = *(u32 *)(r7 +72)\nr0 |= r1\nr1 = *(u32 *)(r7 +24)\n*(u32 *)(r6 +48) = r1\nexit';
  const pkt = frame(64);
  pkt.set([10, 0, 0, 1], 26);
  const res = service.run(prog(text, BpfProgType.BPF_PROG_TYPE_SCHED_CLS), req({ dataIn: pkt, ctxSizeOut: 192 }), env);
  t.is(res.retval, (2 << 16) | 7);
  t.deepEqual([...(res.ctxOut?.subarray(48, 52) ?? [])], [10, 0, 0, 1]);
});
