// The usage examples pack-check.mjs runs in a fresh project installed from the tarballs:
// plain ESM files importing the packages by name, each asserting a result, and a
// TypeScript consumer that must type-check against the packed declarations.

const asm = `import assert from 'node:assert/strict';
import { assemble, decodeProgram, disassemble, encodeProgram, exit, mov64Imm, R0, validate } from '@bpfkit/asm';

const bytes = encodeProgram(assemble('r0 = 2\\nexit'));
assert.equal(Buffer.from(bytes).toString('hex'), 'b7000000020000009500000000000000');
assert.equal(disassemble(decodeProgram(bytes)), disassemble([mov64Imm(R0, 2), exit()]));
assert.equal(disassemble(decodeProgram(bytes), { syntax: 'conformance' }), 'mov %r0, 2\\nexit');
assert.equal(validate([{ code: 0x07, dst: 0, src: 0, off: 1, imm: 1 }, exit()])[0]?.error.message, 'BPF_ALU uses reserved fields');
console.log('asm ok');
`;

const btf = `import assert from 'node:assert/strict';
import { BtfBuilder, BtfIntEncoding, dumpRaw, encodeBtf, parseBtf } from '@bpfkit/btf';

const b = new BtfBuilder();
const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
b.add({ kind: 'PTR', name: '', type: int });
const blob = b.encode();
const parsed = parseBtf(blob, { logLevel: 1, logSize: 4096 });
assert.equal(dumpRaw(parsed), "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\\n[2] PTR '(anon)' type_id=1\\n");
assert.deepEqual(encodeBtf(parsed), blob);
assert.match(parsed.log, /magic: 0xeb9f/);
assert.throws(() => parseBtf(blob.subarray(0, 10)), (e) => e.name === 'BpfError' && e.errno > 0);
console.log('btf ok');
`;

const kernel = `import assert from 'node:assert/strict';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import {
  BpfCmd, BpfProgType, decodeTestRunAttr, encodeAttrGroup, encodeMapCreateAttr, encodeMapElemAttr, encodeProgLoadAttr,
} from '@bpfkit/uapi';

const kernel = createDefaultKernel();
const task = kernel.init;

// An array map: update slot 0, read it back.
const map = task.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: 2, key_size: 4, value_size: 8, max_entries: 1 }));
const key = task.memory.alloc(new Uint8Array(4));
task.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: map, key, value: task.memory.alloc(Uint8Array.of(42, 0, 0, 0, 0, 0, 0, 0)), flags: 0n }));
const value = task.memory.alloc(8);
task.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: map, key, value }));
assert.equal(task.memory.read(value, 8)[0], 42);

// An XDP program returning XDP_DROP: verified, loaded and test-run.
const insns = encodeProgram(assemble('r0 = 1\\nexit'));
const prog = task.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
  prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insn_cnt: insns.length / 8,
  insns: task.memory.alloc(insns), license: task.memory.alloc(new TextEncoder().encode('GPL\\0')),
}));
const attr = encodeAttrGroup('test', { prog_fd: prog, data_in: task.memory.alloc(new Uint8Array(64)), data_size_in: 64, repeat: 1 });
task.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
assert.equal(decodeTestRunAttr(attr).retval, 1);

// Refused the kernel's way: an unknown map type is EINVAL.
assert.throws(() => task.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: 9999, key_size: 4, value_size: 8, max_entries: 1 })),
  (e) => e.name === 'BpfError' && e.code === 'EINVAL');
assert.equal(kernel.counts().objects, 2);
console.log('kernel ok');
`;

/** Kernel syntax as `bpfkit disasm` prints it; the CLI check assembles it and disassembles the result. */
const progS = `r0 = 0
r1 = 5
if r1 > 0x3 goto pc+1
r0 = 1
exit
`;

/** @type {Record<string, string>} file name in the fresh project → contents */
export const EXAMPLES = { 'asm.mjs': asm, 'btf.mjs': btf, 'kernel.mjs': kernel, 'prog.s': progS };

export const TS_CONSUMER = `import { assemble, encodeProgram, type Insn } from '@bpfkit/asm';
import { BtfBuilder, BtfIntEncoding, parseBtf } from '@bpfkit/btf';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BpfError } from '@bpfkit/kernel-api';
import { BpfCmd, encodeMapCreateAttr } from '@bpfkit/uapi';

const insns: Insn[] = assemble('r0 = 0\\nexit');
const bytes: Uint8Array = encodeProgram(insns);
const b = new BtfBuilder();
b.add({ kind: 'INT', name: 'int', size: 4, encoding: BtfIntEncoding.SIGNED, bitsOffset: 0, bits: 32 });
const types: number = parseBtf(b.encode()).types.length;
const fd: number = createDefaultKernel().init.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: 2, key_size: 4, value_size: 8, max_entries: 1 }));
const refused: boolean = new BpfError('EINVAL', 'asm:syntax', 'x').errno === 22;
export const summary = { bytes: bytes.length, types, fd, refused };
`;
