import test from 'ava';
import { isBpfError, type VerifierPrivileges, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { makeNoopVerifier } from '@bpfkit/verifier/testing';

const progTypes = createProgTypes();
const verifier = createVerifier({ progTypes });
const root: VerifierPrivileges = { allowPtrLeaks: true, allowUninitStack: true, bypassSpecV1: true, bypassSpecV4: true, bpfCapable: true, perfmonCapable: true };
const noPerfmon: VerifierPrivileges = { ...root, allowPtrLeaks: false, allowUninitStack: false, bypassSpecV1: false, bypassSpecV4: false, perfmonCapable: false };

function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): number[] {
  const b = new DataView(new ArrayBuffer(8));
  b.setUint8(0, code); b.setUint8(1, (src << 4) | dst); b.setInt16(2, off, true); b.setInt32(4, imm, true);
  return [...new Uint8Array(b.buffer)];
}
function req(prog: number[][], over: Partial<VerifierRequest> = {}): VerifierRequest {
  return { progType: 1, expectedAttachType: 0, insns: Uint8Array.from(prog.flat()), license: 'GPL', gplCompatible: true,
    progFlags: 0, logLevel: 1, logSize: 65536, privileges: root, ...over };
}
function reject(r: VerifierRequest): { code: string; last: string; log: string } {
  try {
    verifier.verify(r);
  } catch (e) {
    if (!isBpfError(e)) throw e;
    const lines = (e.log ?? '').trim().split('\n');
    return { code: e.code, last: lines[lines.length - 2] ?? '', log: e.log ?? '' };
  }
  return { code: 'ok', last: '', log: '' };
}
const ret0 = [insn(0xb7), insn(0x95)];
const leakFp = [insn(0xbf, 0, 10), insn(0x95)];
// r1 = r10; r1 += -8; r2 = 8; r3 = 0; call probe_read_kernel; r0 = 0; exit
const probeReadKernel = [insn(0xbf, 1, 10), insn(0x07, 1, 0, 0, -8), insn(0xb7, 2, 0, 0, 8), insn(0xb7, 3), insn(0x85, 0, 0, 0, 113), insn(0xb7), insn(0x95)];

test('ret0 is accepted and the level-1 log keeps only the statistics', (t) => {
  const res = verifier.verify(req(ret0));
  t.is(res.log, 'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n');
  t.is(res.stats.insnProcessed, 2);
});

test('token corpus: returning r10 without allow_ptr_leaks is EACCES "R0 leaks addr as return value"', (t) => {
  t.is(verifier.verify(req(leakFp)).stats.insnProcessed, 2);
  const r = reject(req(leakFp, { privileges: noPerfmon }));
  t.is(r.code, 'EACCES');
  t.is(r.last, 'R0 leaks addr as return value');
});

test('token corpus: probe_read_kernel without perfmon is EINVAL "program of this type cannot use helper"', (t) => {
  t.notThrows(() => verifier.verify(req(probeReadKernel)));
  const r = reject(req(probeReadKernel, { privileges: noPerfmon }));
  t.is(r.code, 'EINVAL');
  t.is(r.last, 'program of this type cannot use helper bpf_probe_read_kernel#113');
});

test('log lines match the kernel: initial state, instruction, aligned state delta, reason', (t) => {
  const r = reject(req([insn(0xb7, 0, 0, 0, 2), insn(0x95)], { progType: 8 }));
  t.is(r.log, [
    '0: R1=ctx() R10=fp0',
    '0: (b7) r0 = 2                        ; R0=2',
    '1: (95) exit',
    'At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]',
    'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0', ''].join('\n'));
  t.is(r.code, 'EINVAL');
});

test('a ctx pointer passed where memory is expected names the expected types', (t) => {
  const r = reject(req([insn(0x85, 0, 0, 0, 113), insn(0xb7), insn(0x95)]));
  t.is(r.last, 'R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
  t.is(r.code, 'EACCES');
});

test('unknown helper id is "invalid func unknown#N"', (t) => {
  t.deepEqual(reject(req([insn(0x85, 0, 0, 0, 212), insn(0xb7), insn(0x95)])).last, 'invalid func unknown#212');
});

test('reading an uninitialised register is "R%d !read_ok"', (t) => {
  const r = reject(req([insn(0xbf, 0, 2), insn(0x95)]));
  t.is(r.last, 'R2 !read_ok');
  t.is(r.code, 'EACCES');
  t.is(reject(req([insn(0x95)])).last, 'R0 !read_ok');
});

test('r10 is read only', (t) => {
  t.is(reject(req([insn(0xb7, 10), ...ret0])).last, 'frame pointer is read only');
});

test('last insn must be an exit or a jump', (t) => {
  t.is(reject(req([insn(0xb7)])).last, 'last insn is not an exit or jmp');
});

test('jump out of range', (t) => {
  t.is(reject(req([insn(0x05, 0, 0, 5), ...ret0])).last, 'jump out of range from insn 0 to 6');
});

test('back-edges need bpf_capable', (t) => {
  const loop = [insn(0xb7), insn(0x07, 0, 0, 0, 1), insn(0xa5, 0, 0, -2, 10), insn(0x95)];
  t.is(reject(req(loop, { privileges: { ...noPerfmon, bpfCapable: false } })).last, 'back-edge from insn 2 to 1');
  t.is(verifier.verify(req(loop)).stats.insnProcessed, 2 + 10 * 2);
});

test('unreachable instructions are refused', (t) => {
  t.is(reject(req([insn(0xb7), insn(0x95), insn(0xb7), insn(0x95)])).last, 'unreachable insn 2');
});

test('stack: write then read at a constant offset; reading uninitialised stack is refused', (t) => {
  const ok = [insn(0x7a, 10, 0, -8, 5), insn(0x79, 0, 10, -8), insn(0x95)];
  t.notThrows(() => verifier.verify(req(ok, { privileges: noPerfmon })));
  t.is(reject(req([insn(0x79, 0, 10, -8), insn(0x95)], { privileges: noPerfmon })).last, 'invalid read from stack off -8+0 size 8');
  t.is(reject(req([insn(0x7a, 10, 0, -6, 0), ...ret0])).last, 'misaligned stack access off 0+0+-6 size 8');
  t.is(reject(req([insn(0x7a, 10, 0, -520, 0), ...ret0])).last, 'invalid write to stack R10 off=-520 size=8');
});

test('ALU on constants folds; division by a zero immediate is refused', (t) => {
  const r = reject(req([insn(0xb7, 0, 0, 0, 6), insn(0x27, 0, 0, 0, 7), insn(0x95)], { progType: 8 }));
  t.is(r.last, 'At program exit the register R0 has smin=42 smax=42 should have been in [0, 1]');
  t.is(reject(req([insn(0xb7), insn(0x37, 0, 0, 0, 0), insn(0x95)])).last, 'div by zero');
});

test('bpf-to-bpf calls run the callee in a new frame', (t) => {
  // call pc+2; exit... main: r0 from callee
  const prog = [insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 1), insn(0x95)];
  t.is(verifier.verify(req(prog)).stats.insnProcessed, 4);
  t.is(reject(req(prog, { privileges: { ...noPerfmon, bpfCapable: false } })).code, 'EPERM');
});

test('a log that does not fit is ENOSPC', (t) => {
  const e = t.throws(() => verifier.verify(req(leakFp, { privileges: noPerfmon, logSize: 16 })));
  t.true(isBpfError(e, 'ENOSPC'));
});

test('makeNoopVerifier accepts', (t) => {
  t.is(makeNoopVerifier().verify(req(leakFp)).stats.insnProcessed, 0);
});
