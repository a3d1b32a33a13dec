// Loads through a map pointer (`check_ptr_to_map_access`) read the map's kernel struct from the
// kernel's BTF: `struct bpf_array` for an array. The programs are the verifier_map_ptr selftests;
// each program below was loaded on Linux 6.18 with an array map: the read of `ops` is accepted
// (processed 4), a negative offset and a write are refused with these lines. Needs the host's vmlinux BTF; skipped with a line without it.
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { parseBtf } from '@bpfkit/btf';
import type { BtfView, VerifierMap, VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { outcomeOf, root } from './support/outcome.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const vmlinux: BtfView | undefined = existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined;
const verifier = createVerifier({ progTypes: createProgTypes() });
const array: VerifierMap = { fd: 3, mapType: 2, keySize: 4, valueSize: 48, maxEntries: 1, mapFlags: 0, isMapInMap: false, name: 'map_array_48b' };

function load(btf: BtfView | undefined, text: string, privileges = root): { code: string; line: string; processed: number } {
  const req: VerifierRequest = {
    progType: 1, expectedAttachType: 0, insns: encodeProgram(assemble(text)), license: 'GPL', gplCompatible: true, progFlags: 0,
    logLevel: 1, logSize: 1 << 20, privileges, maps: new Map([[3, array]]), vmlinuxBtf: () => btf,
  };
  try {
    return { code: 'ok', line: '', processed: verifier.verify(req).stats.insnProcessed };
  } catch {
    return { ...outcomeOf(verifier, req), processed: -1 };
  }
}

if (vmlinux === undefined) {
  test(`map_ptr access: skipped, ${VMLINUX} is not readable here`, (t) => { t.pass(); });
} else {
  test('reading map->ops through an array map pointer is a kernel pointer (accepted, processed 4)', (t) => {
    t.deepEqual(load(vmlinux, 'r1 = map[fd:3]\nr1 = *(u64 *)(r1 +0)\nr0 = 0\nexit'), { code: 'ok', line: '', processed: 4 });
  });
  test('a negative offset and a write are refused with the struct named', (t) => {
    t.like(load(vmlinux, 'r1 = map[fd:3]\nr6 = *(u64 *)(r1 -8)\nr0 = 0\nexit'), { code: 'EACCES', line: 'R1 is bpf_array invalid negative access: off=-8' });
    t.like(load(vmlinux, 'r1 = map[fd:3]\nr2 = 0\n*(u64 *)(r1 +0) = r2\nr0 = 0\nexit'), { code: 'EACCES', line: 'only read from bpf_array is supported' });
  });
  test('without CAP_PERFMON the struct may not be read', (t) => {
    t.like(load(vmlinux, 'r1 = map[fd:3]\nr1 = *(u64 *)(r1 +0)\nr0 = 0\nexit', { ...root, allowPtrLeaks: false }),
      { code: 'EACCES', line: "'struct bpf_array' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN" });
  });
}

test('without the kernel\'s BTF a map pointer cannot be read (ENOTSUPP)', (t) => {
  t.like(load(undefined, 'r1 = map[fd:3]\nr1 = *(u64 *)(r1 +0)\nr0 = 0\nexit'), { code: 'ENOTSUPP', line: 'map_ptr access not supported for map type 2' });
});
