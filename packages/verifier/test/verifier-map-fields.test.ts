// Map values with special fields (`map->record` from the value's BTF): bpf_spin_lock rules and kptr
// access. Errnos and messages are those of Linux 6.18 for the same kinds of programs.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import type { VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });

const HASH = 1, ARRAY = 2;
const maps = new Map<number, VerifierMap>([
  // struct { int cnt; struct bpf_spin_lock l; }
  [3, { fd: 3, mapType: HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 0, isMapInMap: false, name: 'locks', hasBtf: true,
    valueFields: [{ kind: 'bpf_spin_lock', offset: 4, size: 4 }] }],
  [4, { fd: 4, mapType: HASH, keySize: 4, valueSize: 8, maxEntries: 4, mapFlags: 0, isMapInMap: false, name: 'plain' }],
  // struct { struct t __kptr_untrusted *u; struct t __kptr *r; }
  [5, { fd: 5, mapType: ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'kptrs', hasBtf: true,
    valueFields: [{ kind: 'kptr_untrusted', offset: 0, size: 8 }, { kind: 'kptr', offset: 8, size: 8 }] }],
]);

function outcome(text: string): { code: string; line: string } {
  const req: VerifierRequest = {
    progType: 3, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges: root, maps,
  };
  return outcomeOf(verifier, req);
}

/** r0 = a non-NULL value of map `fd` (key 0), kept in r6 as well. */
const lookup = (fd: number, into = 'r6'): string => `
  *(u32 *)(r10 -4) = 0
  r2 = r10
  r2 += -4
  r1 = map[fd:${String(fd)}]
  call bpf_map_lookup_elem#1
  if r0 != 0x0 goto +2
  r0 = 0
  exit
  ${into} = r0`;
const lock = (reg = 'r6', off = 4): string => `r1 = ${reg}\nr1 += ${String(off)}\ncall bpf_spin_lock#93`;
const unlock = (reg = 'r6', off = 4): string => `r1 = ${reg}\nr1 += ${String(off)}\ncall bpf_spin_unlock#94`;
const done = 'r0 = 0\nexit';

test('spin lock: lock and unlock of the same value is accepted', (t) => {
  t.is(outcome([lookup(3), lock(), 'r0 = *(u32 *)(r6 +0)', unlock(), done].join('\n')).code, 'ok');
});

test('spin lock: the lock itself is never loaded or stored, nor read by a helper', (t) => {
  t.deepEqual(outcome([lookup(3), 'r0 = *(u32 *)(r6 +4)', done].join('\n')),
    { code: 'EACCES', line: 'bpf_spin_lock cannot be accessed directly by load/store' });
  t.deepEqual(outcome([lookup(3), '*(u64 *)(r6 +0) = 0', done].join('\n')),
    { code: 'EACCES', line: 'bpf_spin_lock cannot be accessed directly by load/store' });
  // bpf_map_update_elem(plain, key, value holding the lock)
  t.deepEqual(outcome([lookup(3), 'r3 = r6', 'r2 = r10', 'r2 += -4', 'r1 = map[fd:4]', 'r4 = 0', 'call bpf_map_update_elem#2', done].join('\n')),
    { code: 'EACCES', line: 'bpf_spin_lock cannot be accessed directly by load/store' });
});

test('spin lock: held at exit, across a helper call, or taken twice is refused', (t) => {
  t.deepEqual(outcome([lookup(3), lock(), done].join('\n')),
    { code: 'EINVAL', line: 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region' });
  t.deepEqual(outcome([lookup(3), lock(), 'call bpf_get_prandom_u32#7', unlock(), done].join('\n')),
    { code: 'EINVAL', line: 'function calls are not allowed while holding a lock' });
  t.deepEqual(outcome([lookup(3), lock(), lock(), unlock(), done].join('\n')),
    { code: 'EINVAL', line: 'function calls are not allowed while holding a lock' });
});

test('spin lock: unlock needs the lock taken, on the same value', (t) => {
  t.deepEqual(outcome([lookup(3), unlock(), done].join('\n')), { code: 'EINVAL', line: 'bpf_spin_unlock without taking a lock' });
  // Two lookups are two values, and so two locks, even with the same key.
  t.deepEqual(outcome([lookup(3, 'r7'), lookup(3, 'r6'), lock('r6'), unlock('r7'), done].join('\n')),
    { code: 'EINVAL', line: 'bpf_spin_unlock of different lock' });
});

test('spin lock: the argument points at the lock of a map with BTF', (t) => {
  t.deepEqual(outcome([lookup(3), lock('r6', 0), unlock(), done].join('\n')),
    { code: 'EINVAL', line: "off 0 doesn't point to 'struct bpf_spin_lock' that is at 4" });
  t.deepEqual(outcome([lookup(4), lock(), unlock(), done].join('\n')),
    { code: 'EINVAL', line: "map 'plain' has to have BTF in order to use bpf_spin_lock" });
  t.deepEqual(outcome([lookup(3), 'r1 = r10', 'r1 += -8', 'call bpf_spin_lock#93', done].join('\n')),
    { code: 'EACCES', line: 'R1 type=fp expected=map_value, ptr_' });
});

test('spin lock: LD_ABS may not run while the lock is held', (t) => {
  t.deepEqual(outcome(['r7 = r1', lookup(3), 'r6 = r7', 'r8 = r0', lock('r8'), 'r0 = *(u8 *)skb[0]', unlock('r8'), done].join('\n')),
    { code: 'EINVAL', line: 'BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region' });
});

test('kptr: 8-byte BPF_MEM accesses at its exact offset; referenced kptrs are not stored to', (t) => {
  t.is(outcome([lookup(5), 'r0 = *(u64 *)(r6 +0)', 'r0 = *(u64 *)(r6 +8)', '*(u64 *)(r6 +0) = 0', done].join('\n')).code, 'ok');
  t.deepEqual(outcome([lookup(5), 'r0 = *(u32 *)(r6 +0)', done].join('\n')), { code: 'EACCES', line: 'kptr access size must be BPF_DW' });
  t.deepEqual(outcome([lookup(5), 'r0 = *(u8 *)(r6 +7)', done].join('\n')), { code: 'EACCES', line: 'kptr access misaligned expected=0 off=7' });
  t.deepEqual(outcome([lookup(5), '*(u64 *)(r6 +0) = 1', done].join('\n')),
    { code: 'EACCES', line: 'BPF_ST imm must be 0 when storing to kptr at off=0' });
  t.deepEqual(outcome([lookup(5), 'r1 = 0', '*(u64 *)(r6 +8) = r1', done].join('\n')), { code: 'EACCES', line: 'store to referenced kptr disallowed' });
  t.deepEqual(outcome([lookup(5), 'call bpf_get_prandom_u32#7', 'r0 &= 8', 'r6 += r0', 'r0 = *(u64 *)(r6 +0)', done].join('\n')),
    { code: 'EACCES', line: 'kptr access cannot have variable offset' });
});

test('kptr: helpers do not read it, and bpf_kptr_xchg takes a referenced one', (t) => {
  t.deepEqual(outcome(['r7 = r1', lookup(5), 'r1 = r7', 'r2 = 0', 'r3 = r6', 'r4 = 16', 'call bpf_skb_load_bytes#26', done].join('\n')),
    { code: 'EACCES', line: 'kptr cannot be accessed indirectly by helper' });
  t.deepEqual(outcome([lookup(5), 'r1 = r6', 'r2 = 0', 'call bpf_kptr_xchg#194', done].join('\n')),
    { code: 'EACCES', line: "off=0 kptr isn't referenced kptr" });
  t.deepEqual(outcome([lookup(5), 'r1 = r6', 'r1 += 4', 'r2 = 0', 'call bpf_kptr_xchg#194', done].join('\n')),
    { code: 'EACCES', line: "off=4 doesn't point to kptr" });
  // What comes out is a reference: without a kfunc to release it, it is still held at exit.
  t.deepEqual(outcome([lookup(5), 'r1 = r6', 'r1 += 8', 'r2 = 0', 'call bpf_kptr_xchg#194', done].join('\n')),
    { code: 'EINVAL', line: 'BPF_EXIT instruction in main prog would lead to reference leak' });
});

test('kptr: bpf_kptr_xchg of a kernel kptr gives a referenced BTF pointer or NULL, and stores only its exact type', (t) => {
  // Kernel BTF: struct prog_test_member { long x; }; struct prog_test_ref_kfunc { long a; struct prog_test_member m; }.
  const b = new BtfBuilder();
  const long = b.add({ kind: 'INT', name: 'long', size: 8, encoding: 1, bitsOffset: 0, bits: 64 });
  const member = b.add({ kind: 'STRUCT', name: 'prog_test_member', size: 8, kflag: false, members: [{ name: 'x', type: long, bitsOffset: 0, bitfieldSize: 0 }] });
  const ref = b.add({ kind: 'STRUCT', name: 'prog_test_ref_kfunc', size: 16, kflag: false, members: [
    { name: 'a', type: long, bitsOffset: 0, bitfieldSize: 0 }, { name: 'm', type: member, bitsOffset: 64, bitfieldSize: 0 }] });
  const btf = parseBtf(b.encode());
  // struct { struct prog_test_ref_kfunc __kptr *r; struct prog_test_member __kptr *m; }
  const kmaps = new Map<number, VerifierMap>([[6, { fd: 6, mapType: ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'kkptrs',
    hasBtf: true, valueFields: [{ kind: 'kptr', offset: 0, size: 8, kptr: { btf, btfId: ref, kernel: true } }, { kind: 'kptr', offset: 8, size: 8, kptr: { btf, btfId: member, kernel: true } }] }]]);
  const run = (text: string): { code: string; line: string } => outcomeOf(verifier, {
    progType: 3, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges: root, maps: kmaps,
  });
  // Take the object out (NULL: nothing held), then try to store a pointer into its middle as the other field's type.
  const takeOut = [lookup(6), 'r1 = r6', 'r2 = 0', 'call bpf_kptr_xchg#194', 'if r0 != 0x0 goto +2', 'r0 = 0', 'exit'];
  t.deepEqual(run([...takeOut, 'r1 = r6', 'r1 += 8', 'r0 += 8', 'r2 = r0', 'call bpf_kptr_xchg#194', done].join('\n')),
    { code: 'EACCES', line: 'invalid kptr access, R2 type=ptr_prog_test_ref_kfunc expected=ptr_prog_test_member' });
  // Putting it back where it came from releases it; what comes back out is a new reference, leaked here.
  t.deepEqual(run([...takeOut, 'r1 = r6', 'r2 = r0', 'call bpf_kptr_xchg#194', done].join('\n')),
    { code: 'EINVAL', line: 'BPF_EXIT instruction in main prog would lead to reference leak' });
});

test('kptr to the program\'s own type: xchg gives back its allocated object or NULL; a load is an RCU pointer, untrusted when sleepable', (t) => {
  // As Linux 6.18 logged the ELF fixtures kptr_local and kptr_local_rcu_drop (struct node_data { long key; long val; }).
  const b = new BtfBuilder();
  const long = b.add({ kind: 'INT', name: 'long', size: 8, encoding: 1, bitsOffset: 0, bits: 64 });
  const node = b.add({ kind: 'STRUCT', name: 'node_data', size: 16, kflag: false, members: [
    { name: 'key', type: long, bitsOffset: 0, bitfieldSize: 0 }, { name: 'val', type: long, bitsOffset: 64, bitfieldSize: 0 }] });
  const btf = parseBtf(b.encode());
  const lmaps = new Map<number, VerifierMap>([[7, { fd: 7, mapType: ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'stash',
    hasBtf: true, valueFields: [{ kind: 'kptr', offset: 0, size: 8, kptr: { btf, btfId: node, kernel: false } }] }]]);
  const run = (text: string, progFlags = 0): string => {
    // A syscall program loads sleepable (BPF_F_SLEEPABLE), a tc one does not.
    const req = { progType: progFlags === 0 ? 3 : 31, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags,
      logLevel: 2, logSize: 1 << 20, privileges: root, maps: lmaps };
    try {
      return verifier.verify(req).log;
    } catch (e) {
      return (e as { log?: string }).log ?? '';
    }
  };
  const swapped = run([lookup(7), 'r1 = r6', 'r2 = 0', 'call bpf_kptr_xchg#194', done].join('\n'));
  t.regex(swapped, /R0=ptr_or_null_node_data\(id=(\d+),ref_obj_id=\1\)/);
  t.true(swapped.includes('BPF_EXIT instruction in main prog would lead to reference leak'), swapped);
  const loaded = run([lookup(7), 'r1 = *(u64 *)(r6 +0)', 'if r1 == 0x0 goto +1', '*(u64 *)(r1 +8) = 5', done].join('\n'));
  t.regex(loaded, /R1=rcu_ptr_or_null_node_data\(id=\d+\)/);
  t.true(loaded.includes('R1=rcu_ptr_node_data()'), 'written through, as one of its own objects');
  const sleepable = run([lookup(7), 'r1 = *(u64 *)(r6 +0)', done].join('\n'), 1 << 4);
  t.regex(sleepable, /R1=untrusted_ptr_or_null_node_data\(id=\d+\)/);
});
