// Helper prototypes as Linux 6.18 checks them: a helper without one is refused, might_sleep helpers
// need a sleepable program, plain arguments do not take pointers without allow_ptr_leaks, constant
// strings live in frozen read-only maps and bpf_snprintf's format is checked. The full set of helpers
// is held to the kernel's recorded answers in packages/testing (helper-protos fixture).
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import type { VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const SOCKET_FILTER = 1, LWT_SEG6LOCAL = 19, SYSCALL = 31, SLEEPABLE = 16, RDONLY_PROG = 0x80;

const text = (s: string): Uint8Array => {
  const out = new Uint8Array(16);
  out.set(new TextEncoder().encode(s).subarray(0, 16));
  return out;
};
const strMap = (fd: number, value: string | undefined): [number, VerifierMap] => [fd, {
  fd, mapType: 2, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: value === undefined ? 0 : RDONLY_PROG, isMapInMap: false,
  ...(value === undefined ? {} : { frozenValue: text(value) }),
}];
const maps = new Map<number, VerifierMap>([
  [3, { fd: 3, mapType: 1, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 0, isMapInMap: false }],
  strMap(4, 'hi %d'), strMap(5, undefined), strMap(6, '%q'), strMap(7, '0123456789abcdef'),
]);

function outcome(body: string, progType = SOCKET_FILTER, over: Partial<VerifierRequest> = {}): { code: string; line: string } {
  const req: VerifierRequest = {
    progType, expectedAttachType: 0, insns: encodeProgram(assemble(`r6 = r1\n${body}\nr0 = 0\nexit`)), license: 'GPL', gplCompatible: true,
    progFlags: 0, logLevel: 1, logSize: 1 << 20, privileges: root, maps, ...over,
  };
  return outcomeOf(verifier, req);
}

test('a helper the program type lists but the kernel has no prototype for is refused, not called unchecked', (t) => {
  // CONFIG_IPV6_SEG6_BPF is off: bpf_lwt_seg6_store_bytes has no prototype even in seg6local programs.
  t.deepEqual(outcome('r1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_lwt_seg6_store_bytes#74', LWT_SEG6LOCAL),
    { code: 'EINVAL', line: 'program of this type cannot use helper bpf_lwt_seg6_store_bytes#74' });
});

test('might_sleep helpers need a sleepable program', (t) => {
  const copy = 'r1 = r10\nr1 += -8\nr2 = 8\nr3 = 0\ncall bpf_copy_from_user#148';
  t.deepEqual(outcome(copy), { code: 'EINVAL', line: 'helper call might sleep in a non-sleepable prog' });
  t.is(outcome(copy, SYSCALL, { progFlags: SLEEPABLE }).code, 'ok');
});

test('a plain argument takes no pointer without allow_ptr_leaks', (t) => {
  const update = '*(u32 *)(r10 -4) = 0\n*(u64 *)(r10 -16) = 0\nr1 = map[fd:3]\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = r10\ncall bpf_map_update_elem#2';
  t.is(outcome(update).code, 'ok');
  t.deepEqual(outcome(update, SOCKET_FILTER, { privileges: { ...root, allowPtrLeaks: false } }),
    { code: 'EACCES', line: 'R4 leaks addr into helper function' });
});

test('bpf_snprintf: the format is a NUL-terminated string in a frozen read-only map, with no more conversions than u64s of data', (t) => {
  const snprintf = (fmtFd: number, dataLen: number): { code: string; line: string } => outcome(
    `*(u64 *)(r10 -8) = 0\n*(u64 *)(r10 -16) = 0\nr1 = r10\nr1 += -8\nr2 = 8\nr3 = map[fd:${String(fmtFd)}][0]+0\nr4 = r10\nr4 += -16\nr5 = ${String(dataLen)}\ncall bpf_snprintf#165`);
  t.is(snprintf(4, 8).code, 'ok');
  t.deepEqual(snprintf(4, 0), { code: 'EINVAL', line: 'Invalid format string' });
  t.deepEqual(snprintf(6, 8), { code: 'EINVAL', line: 'Invalid format string' });
  t.deepEqual(snprintf(5, 8), { code: 'EACCES', line: "R3 does not point to a readonly map'" });
  t.deepEqual(snprintf(7, 8), { code: 'EINVAL', line: 'string is not zero-terminated' });
});
