// Per-CPU kernel variables: a ksym in vmlinux's `.data..percpu` section is `percpu_ptr_<type>`, read only
// through bpf_this_cpu_ptr (read-only memory of its size, or a pointer to its struct) and bpf_per_cpu_ptr
// (the same, or NULL). The rules are 6.18's `__check_pseudo_btf_id`, `check_func_arg` and
// `check_ptr_to_btf_access`, read from its source: the reference machine's kallsyms has no variables
// (`# CONFIG_KALLSYMS_ALL is not set`), so its kernel refuses every variable ksym with ENOENT, which the
// ksym test checks; here the symbols are given to the verifier directly.
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { outcomeOf, root } from './support/outcome.js';

const verifier = createVerifier({ progTypes: createProgTypes() });
const KPROBE = 2;

const b = new BtfBuilder();
const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
const long = b.add({ kind: 'INT', name: 'long', size: 8, encoding: 1, bitsOffset: 0, bits: 64 });
const rq = b.add({ kind: 'STRUCT', name: 'rq', size: 16, kflag: false, members: [
  { name: 'nr_running', type: int, bitsOffset: 0, bitfieldSize: 0 }, { name: 'clock', type: long, bitsOffset: 64, bitfieldSize: 0 }] });
const active = b.add({ kind: 'VAR', name: 'prog_active', type: int, linkage: 1 });
const runqueues = b.add({ kind: 'VAR', name: 'runqueues', type: rq, linkage: 1 });
const plain = b.add({ kind: 'VAR', name: 'plain_count', type: int, linkage: 1 });
b.add({ kind: 'DATASEC', name: '.data..percpu', size: 32, vars: [{ type: active, offset: 0, size: 4 }, { type: runqueues, offset: 16, size: 16 }] });
const vmlinux = parseBtf(b.encode());
const symbols = new Map([['prog_active', 0xffffffff82000000n], ['runqueues', 0xffffffff82000010n], ['plain_count', 0xffffffff83000000n]]);

function load(text: string): { code: string; line: string; log: string } {
  const req: VerifierRequest = {
    progType: KPROBE, expectedAttachType: 0, insns: encodeProgram(assemble(text.replaceAll('$active', `btf[id:${String(active)}]`)
      .replaceAll('$runqueues', `btf[id:${String(runqueues)}]`).replaceAll('$plain', `btf[id:${String(plain)}]`))),
    license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 2, logSize: 1 << 20, privileges: root,
    vmlinuxBtf: () => vmlinux, kernelSymbol: (name) => symbols.get(name),
  };
  const o = outcomeOf(verifier, req);
  let log: string;
  try {
    log = verifier.verify(req).log;
  } catch (e) {
    log = (e as { log?: string }).log ?? '';
  }
  return { ...o, log };
}

test('a per-CPU variable is percpu_ptr_<its type>, which no load or store reads through', (t) => {
  const held = load('r1 = $active\nr0 = 0\nexit');
  t.is(held.code, 'ok');
  t.true(held.log.includes('R1=percpu_ptr_int()'), held.log);
  t.deepEqual(outcomeLine('r1 = $active\nr0 = *(u32 *)(r1 +0)\nexit'), ['EACCES', 'R1 is ptr_int access percpu memory: off=0']);
  t.is(load('r1 = $runqueues\n*(u32 *)(r1 +8) = 1\nr0 = 0\nexit').line, 'R1 is ptr_rq access percpu memory: off=8');
  t.is(load('r1 = $plain\nr0 = *(u32 *)(r1 +0)\nexit').code, 'ok', 'a variable outside .data..percpu is read-only memory');
});

test('bpf_this_cpu_ptr: read-only memory of a scalar variable\'s size, a pointer to a struct', (t) => {
  const scalar = load('r1 = $active\ncall bpf_this_cpu_ptr\nr0 = *(u32 *)(r0 +0)\nexit');
  t.is(scalar.code, 'ok', scalar.log);
  t.true(scalar.log.includes('R0=rdonly_mem(sz=4)'), scalar.log);
  const wide = load('r1 = $active\ncall bpf_this_cpu_ptr\nr0 = *(u64 *)(r0 +0)\nexit');
  t.is(wide.line, 'R0 min value is outside of the allowed memory range');
  t.true(wide.log.includes('invalid access to memory, mem_size=4 off=0 size=8'), wide.log);
  t.is(load('r1 = $active\ncall bpf_this_cpu_ptr\n*(u32 *)(r0 +0) = 1\nr0 = 0\nexit').line, 'R0 cannot write into rdonly_mem');
  const struct = load('r1 = $runqueues\ncall bpf_this_cpu_ptr\nr0 = *(u64 *)(r0 +8)\nexit');
  t.is(struct.code, 'ok', struct.log);
  t.true(struct.log.includes('R0=ptr_rq()'), struct.log);
});

test('bpf_per_cpu_ptr may return NULL: its result is null-checked before use', (t) => {
  t.is(load('r1 = $active\nr2 = 0\ncall bpf_per_cpu_ptr\nr0 = *(u32 *)(r0 +0)\nexit').line, "R0 invalid mem access 'rdonly_mem_or_null'");
  const checked = load('r1 = $active\nr2 = 0\ncall bpf_per_cpu_ptr\nif r0 == 0 goto +1\nr0 = *(u32 *)(r0 +0)\nexit');
  t.is(checked.code, 'ok', checked.log);
  t.true(checked.log.includes('R0=rdonly_mem_or_null(id=1,sz=4)'), checked.log);
  t.true(load('r1 = $runqueues\nr2 = 1\ncall bpf_per_cpu_ptr\nr0 = 0\nexit').log.includes('R0=ptr_or_null_rq(id=1)'));
});

test('only an unmodified per-CPU pointer is a per-CPU argument', (t) => {
  t.deepEqual(outcomeLine('r1 = 0\ncall bpf_this_cpu_ptr\nr0 = 0\nexit'), ['EACCES', 'R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_']);
  t.deepEqual(outcomeLine('r1 = $plain\ncall bpf_this_cpu_ptr\nr0 = 0\nexit'),
    ['EACCES', 'R1 type=rdonly_mem expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_']);
  t.deepEqual(outcomeLine('r1 = $runqueues\nr1 += 8\ncall bpf_this_cpu_ptr\nr0 = 0\nexit'),
    ['EACCES', 'dereference of modified percpu_ptr_ ptr R1 off=8 disallowed']);
});

function outcomeLine(text: string): [string, string] {
  const o = load(text);
  return [o.code, o.line];
}
