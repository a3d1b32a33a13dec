// Helper arguments and subprogram exits the kernel refuses: packet pointers for helpers without
// pkt_access, NULL memory with a size, socket and storage maps outside their helpers, fixed-size
// output arguments, release of a moved pointer, LD_ABS and stack pointers across a return.
// Errnos and messages are those of Linux 6.18.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { BtfView, VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { progBtfWith } from '@bpfkit/verifier/testing';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const SOCKET_FILTER = 1, SCHED_CLS = 3, RAW_TRACEPOINT = 17;

const mapOf = (fd: number, mapType: number, keySize: number, valueSize: number): [number, VerifierMap] =>
  [fd, { fd, mapType, keySize, valueSize, maxEntries: 4, mapFlags: 0, isMapInMap: false }];
const maps = new Map<number, VerifierMap>([mapOf(3, 1, 4, 8), mapOf(4, 15, 4, 4), mapOf(5, 24, 4, 8), mapOf(6, 27, 0, 0),
  // An array of maps whose inner template is an array of 8-byte values.
  [7, { fd: 7, mapType: 12, keySize: 4, valueSize: 4, maxEntries: 4, mapFlags: 0, isMapInMap: true,
    innerMap: { mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: 0, isMapInMap: false } }]]);

function outcome(text: string, progType = SCHED_CLS, over: Partial<VerifierRequest> = {}): { code: string; line: string } {
  const req: VerifierRequest = {
    progType, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges: root, maps, ...over,
  };
  return outcomeOf(verifier, req);
}

/** r6 = skb, r2 = data with 8 bytes proven; `body` runs only then, and the program returns 0. */
const withPacket = (body: string): string => `
  r6 = r1
  r2 = *(u32 *)(r1 +76)
  r3 = *(u32 *)(r1 +80)
  r4 = r2
  r4 += 8
  if r4 > r3 goto out
  ${body}
out:
  r0 = 0
  exit`;

test('helpers take packet pointers only where their prototype allows it', (t) => {
  // bpf_map_lookup_elem reads its key from the packet (pkt_access).
  t.is(outcome(withPacket('r1 = map[fd:3]\ncall bpf_map_lookup_elem#1')).code, 'ok');
  // bpf_skb_load_bytes writes into memory, never into the packet.
  t.deepEqual(outcome(withPacket('r3 = r2\nr1 = r6\nr2 = 0\nr4 = 4\ncall bpf_skb_load_bytes#26')),
    { code: 'EACCES', line: 'helper access to the packet is not allowed' });
});

test('a NULL memory argument goes with a size of zero', (t) => {
  t.is(outcome('r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff#28\nr0 = 0\nexit').code, 'ok');
  t.deepEqual(outcome('r1 = 0\nr2 = 8\nr3 = 0\nr4 = 0\nr5 = 0\ncall bpf_csum_diff#28\nr0 = 0\nexit'),
    { code: 'EACCES', line: 'R1 type=scalar expected=fp' });
});

test('socket maps are updated only where no socket is locked; storage maps only through their helpers', (t) => {
  const del = (progType: number): { code: string; line: string } =>
    outcome('*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[fd:4]\ncall bpf_map_delete_elem#3\nr0 = 0\nexit', progType);
  t.is(del(SOCKET_FILTER).code, 'ok');
  t.deepEqual(del(RAW_TRACEPOINT), { code: 'EINVAL', line: 'cannot pass map_type 15 into func bpf_map_delete_elem#3' });
  t.deepEqual(outcome('*(u32 *)(r10 -4) = 0\nr2 = r10\nr2 += -4\nr1 = map[fd:5]\ncall bpf_map_lookup_elem#1\nr0 = 0\nexit'),
    { code: 'EINVAL', line: 'cannot pass map_type 24 into func bpf_map_lookup_elem#1' });
  t.deepEqual(outcome('r2 = *(u64 *)(r1 +168)\nif r2 == 0x0 goto +5\nr1 = map[fd:5]\nr3 = 1\nr4 = 0\ncall bpf_sk_storage_get#107\nr0 = 0\nexit'),
    { code: 'EACCES', line: 'R3 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_' });
});

test('bpf_strtol writes an aligned s64 and bpf_check_mtu reads and writes an initialized u32', (t) => {
  const strtol = (res: number): { code: string; line: string } => outcome(
    `*(u64 *)(r10 -8) = 0\nr1 = r10\nr1 += -8\nr2 = 4\nr3 = 0\nr4 = r10\nr4 += ${String(res)}\ncall bpf_strtol#105\nr0 = 1\nexit`, 18);
  t.is(strtol(-16).code, 'ok');
  t.deepEqual(strtol(-20), { code: 'EACCES', line: 'misaligned stack access off 0+-20+0 size 8' });
  // Without CAP_PERFMON the stack must be written before a helper reads it.
  const noUninit = { privileges: { ...root, allowUninitStack: false } };
  t.deepEqual(outcome('r3 = r10\nr3 += -4\nr2 = 0\nr4 = 0\nr5 = 0\ncall bpf_check_mtu#163\nr0 = 0\nexit', SCHED_CLS, noUninit),
    { code: 'EACCES', line: 'invalid read from stack R3 off -4+0 size 4' });
});

test('a ringbuf sample is submitted through the pointer it was reserved as', (t) => {
  const submit = (move: string): { code: string; line: string } =>
    outcome(`r1 = map[fd:6]\nr2 = 8\nr3 = 0\ncall bpf_ringbuf_reserve#131\nif r0 == 0x0 goto +4\nr1 = r0\n${move}\nr2 = 0\ncall bpf_ringbuf_submit#132\nr0 = 0\nexit`, SOCKET_FILTER);
  t.is(submit('r1 += 0').code, 'ok');
  t.deepEqual(submit('r1 += 1'), { code: 'EINVAL', line: 'R1 must have zero offset when passed to release func or trusted arg to kfunc' });
});

test('a subprogram returns no pointer into its own stack, and an LD_ABS in it may return 0 to the caller at once', (t) => {
  t.deepEqual(outcome('call pc+2\nr0 = 0\nexit\nr0 = r10\nr0 += -8\nexit', 6), { code: 'EINVAL', line: 'cannot return stack pointer to the caller' });
  // The subprogram returns 1, unless its packet load fails: then R0 is 0 and r9 was never written.
  const ldAbsInSub = 'r6 = r1\ncall pc+4\nif r0 != 0x0 goto +1\nr0 = r9\nr0 = 0\nexit\nr6 = r1\nr0 = *(u32 *)skb[0]\nr0 = 1\nexit';
  const types: Record<number, unknown> = {
    1: { kind: 'INT', size: 4, name: 'int' }, 2: { kind: 'FUNC_PROTO', type: 1, params: [] }, 3: { kind: 'FUNC', type: 2, name: 'main' }, 4: { kind: 'FUNC', type: 2, name: 'sub' },
  };
  const btf = { nrTypes: 5, type: (id: number) => (id === 0 ? { kind: 'VOID' } : types[id]) } as unknown as BtfView;
  t.deepEqual(outcome(ldAbsInSub, SOCKET_FILTER, { progBtf: progBtfWith(btf, [{ insnOff: 0, typeId: 3 }, { insnOff: 6, typeId: 4 }]) }),
    { code: 'EACCES', line: 'R9 !read_ok' });
  // Without func_info the kernel cannot know the subprogram returns an integer (check_abnormal_return, as 6.18).
  t.deepEqual(outcome(ldAbsInSub, SOCKET_FILTER), { code: 'EINVAL', line: 'LD_ABS is not allowed in subprogs without BTF' });
});

test('LD_ABS and tail calls only in subprograms that return an integer (check_btf_func)', (t) => {
  // FUNC 'main' and FUNC 'sub' returning void; func_info for both.
  const voidFunc = { kind: 'FUNC_PROTO', type: 0, params: [] };
  const types: Record<number, unknown> = {
    1: { kind: 'INT', size: 4, name: 'int' }, 2: { kind: 'FUNC_PROTO', type: 1, params: [] }, 3: { kind: 'FUNC', type: 2, name: 'main' },
    4: voidFunc, 5: { kind: 'FUNC', type: 4, name: 'sub' },
  };
  const btf = { nrTypes: 6, type: (id: number) => (id === 0 ? { kind: 'VOID' } : types[id]) } as unknown as BtfView;
  const progBtf = progBtfWith(btf, [{ insnOff: 0, typeId: 3 }, { insnOff: 3, typeId: 5 }]);
  t.deepEqual(outcome('call pc+2\nr0 = 0\nexit\nr6 = r1\nr0 = *(u32 *)skb[0]\nexit', SOCKET_FILTER, { progBtf }),
    { code: 'EINVAL', line: "LD_ABS is only allowed in functions that return 'int'." });
});

test('a map-in-map lookup, once not NULL, is a map like the inner template', (t) => {
  const inner = (load: string): { code: string; line: string } => outcome(`
    *(u32 *)(r10 -4) = 0
    r2 = r10
    r2 += -4
    r1 = map[fd:7]
    call bpf_map_lookup_elem#1
    if r0 == 0x0 goto out
    r1 = r0
    r2 = r10
    r2 += -4
    call bpf_map_lookup_elem#1
    if r0 == 0x0 goto out
    ${load}
  out:
    r0 = 0
    exit`);
  t.is(inner('r1 = *(u64 *)(r0 +0)').code, 'ok');
  t.deepEqual(inner('r1 = *(u64 *)(r0 +8)'), { code: 'EACCES', line: 'R0 min value is outside of the allowed memory range' });
});

test('a *_str read and bpf_get_stack return at most their size: R0 bounds a stack offset (do_refine_retval_range, as 6.18)', (t) => {
  const afterCall = (call: string): string => `r1 = r10\nr1 += -16\nr2 = 16\nr3 = 0\n${call}\nif r0 s< 0 goto out\nr1 = r10\nr1 += -32\nr1 += r0\nr2 = 0\n*(u8 *)(r1 +0) = r2\nout:\nr0 = 0\nexit`;
  const KPROBE = 2;
  t.is(outcome(afterCall('call bpf_probe_read_kernel_str#115'), KPROBE).code, 'ok');
  // Any other helper's R0 is unbounded: the same store is refused.
  t.deepEqual(outcome(afterCall('call bpf_ktime_get_ns#5'), KPROBE), { code: 'EACCES', line: 'invalid unbounded variable-offset write to stack R1' });
});
