// kfunc calls (BPF_PSEUDO_KFUNC_CALL) against the host's vmlinux BTF. The programs are those of the
// kernel selftests in the verifier corpus (classic/calls, verifier_kfunc_prog_types,
// verifier_global_ptr_args); the verdicts, errnos, error lines and processed counts below are the
// ones Linux 6.18 gave for them (each program here was also loaded on a 6.18 kernel). The kfunc sets are the kernel's for these few kfuncs.
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { assemble, encodeProgram } from '@bpfkit/asm';
import { parseBtf } from '@bpfkit/btf';
import { isBpfError, KfuncFlag, type BtfView, type VerifierKfuncs, type VerifierRequest } from '@bpfkit/kernel-api';
import { createProgTypes, createVerifier } from '@bpfkit/verifier';
import { root } from './support/outcome.js';

const VMLINUX = '/sys/kernel/btf/vmlinux';
const vmlinux: BtfView | undefined = existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX))) : undefined;
const verifier = createVerifier({ progTypes: createProgTypes() });

const { ACQUIRE, RELEASE, RET_NULL, RCU } = KfuncFlag;
/** The generic set (tracing, tc, xdp, struct_ops, syscall, cgroup hooks). */
const GENERIC: Readonly<Record<string, number>> = {
  bpf_task_acquire: ACQUIRE | RCU | RET_NULL, bpf_task_release: RELEASE, bpf_task_from_pid: ACQUIRE | RET_NULL,
  bpf_cgroup_from_id: ACQUIRE | RET_NULL, bpf_cgroup_release: RELEASE,
};
const { ITER_NEW, ITER_NEXT, ITER_DESTROY } = KfuncFlag;
/** The common set (every program type): open-coded iterators. */
const COMMON: Readonly<Record<string, number>> = {
  bpf_iter_num_new: ITER_NEW, bpf_iter_num_next: ITER_NEXT | RET_NULL, bpf_iter_num_destroy: ITER_DESTROY,
  bpf_iter_bits_new: ITER_NEW, bpf_iter_bits_next: ITER_NEXT | RET_NULL, bpf_iter_bits_destroy: ITER_DESTROY,
};
const SYSCALL = 31, TRACEPOINT = 5, RAW_TRACEPOINT = 17;

function kfuncsFor(btf: BtfView, progType: number): VerifierKfuncs {
  return { btf, flags: (id) => COMMON[btf.type(id)?.name ?? ''] ?? (progType === RAW_TRACEPOINT ? undefined : GENERIC[btf.type(id)?.name ?? '']) };
}

/** Assembles `text` with `kfunc:NAME` replaced by the kfunc's id in the host BTF. */
function program(btf: BtfView, text: string): Uint8Array {
  return encodeProgram(assemble(text.replace(/kfunc:(\w+)/g, (_, name: string) => `kernel-function#${String(btf.findAll(name, 'FUNC')[0] ?? 0)}`)));
}

function load(btf: BtfView, progType: number, text: string): { code: string; line: string; processed: string } {
  const req: VerifierRequest = { progType, expectedAttachType: 0, insns: program(btf, text), license: 'GPL', gplCompatible: true,
    // Syscall programs load sleepable only (BPF_F_SLEEPABLE).
    progFlags: progType === SYSCALL ? 16 : 0,
    logLevel: 4, logSize: 1 << 20, privileges: root, kfuncs: kfuncsFor(btf, progType) };
  let code = 'ok', log: string;
  try {
    log = verifier.verify(req).log;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    code = e.code;
    log = e.log ?? '';
  }
  const lines = log.split('\n').filter((l) => l !== '' && !l.startsWith('verification time') && !l.startsWith('stack depth'));
  const processed = (lines.find((l) => l.startsWith('processed ')) ?? '').split(' ').slice(0, 2).join(' ');
  return { code, line: code === 'ok' ? '' : lines.filter((l) => !l.startsWith('processed ')).at(-1) ?? '', processed };
}

const withBtf = vmlinux === undefined ? test.skip : test;
const btf = vmlinux as BtfView;

// verifier_kfunc_prog_types: task_kfunc_syscall / task_kfunc_tracepoint.
const TASK_KFUNCS = `call bpf_get_current_task_btf#158
r1 = *(u32 *)(r0 +1264)
call kfunc:bpf_task_from_pid
r6 = r0
if r6 == 0x0 goto +7
r1 = r6
call kfunc:bpf_task_acquire
if r0 == 0x0 goto +2
r1 = r0
call kfunc:bpf_task_release
r1 = r6
call kfunc:bpf_task_release
w0 = 0
exit`;

test('a kfunc id of 0 is skipped by the walk: R0 stays unset (classic/calls/2)', (t) => {
  t.deepEqual(load(btf ?? ({} as BtfView), 3, 'r1 = r10\nr1 += -8\ncall kernel-function#0\nexit'), { code: 'EACCES', line: 'R0 !read_ok', processed: 'processed 4' });
});

test('a kfunc id of 0 that a path reaches is refused after the walk (classic/calls/0)', (t) => {
  t.deepEqual(load(btf ?? ({} as BtfView), TRACEPOINT, 'r0 = 0\ncall kernel-function#0\nexit'),
    { code: 'EINVAL', line: 'invalid kernel function call not eliminated in verifier pass', processed: 'processed 3' });
});

withBtf('acquired tasks, NULL-checked and released, in a syscall and a tracepoint program', (t) => {
  t.deepEqual(load(btf, SYSCALL, TASK_KFUNCS), { code: 'ok', line: '', processed: 'processed 19' });
  t.deepEqual(load(btf, TRACEPOINT, TASK_KFUNCS), { code: 'ok', line: '', processed: 'processed 19' });
});

withBtf('a program type without the generic set may not call its kfuncs (task_kfunc_raw_tp)', (t) => {
  t.deepEqual(load(btf, RAW_TRACEPOINT, TASK_KFUNCS), { code: 'EACCES', line: 'calling kernel function bpf_task_from_pid is not allowed', processed: 'processed 3' });
});

withBtf('a release kfunc needs a referenced pointer (trusted_destroy_fail)', (t) => {
  t.deepEqual(load(btf, SYSCALL, 'call bpf_get_current_task_btf#158\nr1 = r0\ncall kfunc:bpf_task_release\nr0 = 0\nexit'),
    { code: 'EINVAL', line: 'release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID', processed: 'processed 3' });
});

withBtf('a void kfunc leaves R0 unset', (t) => {
  t.deepEqual(load(btf, SYSCALL, 'r1 = 1\ncall kfunc:bpf_task_from_pid\nif r0 == 0x0 goto +2\nr1 = r0\ncall kfunc:bpf_task_release\nexit'),
    { code: 'EACCES', line: 'R0 !read_ok', processed: 'processed 6' });
});

withBtf('an acquired task must be released, and a maybe-NULL one is no trusted argument', (t) => {
  t.deepEqual(load(btf, SYSCALL, 'r1 = 1\ncall kfunc:bpf_task_from_pid\nr0 = 0\nexit'),
    { code: 'EINVAL', line: 'BPF_EXIT instruction in main prog would lead to reference leak', processed: 'processed 4' });
  t.deepEqual(load(btf, SYSCALL, 'r1 = 1\ncall kfunc:bpf_task_from_pid\nr1 = r0\ncall kfunc:bpf_task_acquire\nr0 = 0\nexit'),
    { code: 'EACCES', line: 'Possibly NULL pointer passed to trusted arg0', processed: 'processed 4' });
});

withBtf('a kfunc argument of another struct is refused by BTF type', (t) => {
  t.deepEqual(load(btf, SYSCALL, 'call bpf_get_current_task_btf#158\nr1 = r0\ncall kfunc:bpf_cgroup_release\nr0 = 0\nexit'),
    { code: 'EINVAL', line: 'kernel function bpf_cgroup_release args#0 expected pointer to STRUCT cgroup but R1 has a pointer to STRUCT task_struct',
      processed: 'processed 3' });
});

// verifier_bits_iter: bits_copy and no_destroy.
withBtf('an iterator loop converges; an iterator is a reference that must be destroyed', (t) => {
  t.deepEqual(load(btf, SYSCALL, `r1 = 1012496
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -24
r2 = r10
r2 += -8
w3 = 1
call kfunc:bpf_iter_bits_new
w6 = -1
r1 = r10
r1 += -24
call kfunc:bpf_iter_bits_next
w6 += 1
if r0 != 0x0 goto -5
r1 = r10
r1 += -24
call kfunc:bpf_iter_bits_destroy
w0 = w6
exit`), { code: 'ok', line: '', processed: 'processed 48' });
  t.deepEqual(load(btf, SYSCALL, `r1 = 1
*(u64 *)(r10 -24) = r1
r6 = r10
r6 += -16
r2 = r10
r2 += -24
r1 = r6
w3 = 1
call kfunc:bpf_iter_bits_new
r1 = r6
call kfunc:bpf_iter_bits_next
w0 = 0
exit`), { code: 'EINVAL', line: 'BPF_EXIT instruction in main prog would lead to reference leak', processed: 'processed 13' });
});

const NUM_NEW = 'r1 = r10\nr1 += -8\nw2 = 0\nw3 = 10\ncall kfunc:bpf_iter_num_new\n';
const NUM_DESTROY = 'r1 = r10\nr1 += -8\ncall kfunc:bpf_iter_num_destroy\nr0 = 0\nexit';

withBtf('an iterator\'s slots are not readable, its elements not writable, and it is not created twice', (t) => {
  t.deepEqual(load(btf, SYSCALL, `${NUM_NEW}r0 = *(u64 *)(r10 -8)\n${NUM_DESTROY}`),
    { code: 'EACCES', line: 'invalid read from stack off -8+0 size 8', processed: 'processed 6' });
  t.deepEqual(load(btf, SYSCALL, `${NUM_NEW}r1 = r10\nr1 += -8\ncall kfunc:bpf_iter_num_next\nif r0 == 0x0 goto +1\n*(u32 *)(r0 +0) = 1\n${NUM_DESTROY}`),
    { code: 'EACCES', line: 'R0 cannot write into rdonly_mem', processed: 'processed 16' });
  t.deepEqual(load(btf, SYSCALL, `${NUM_NEW}${NUM_NEW}r0 = 0\nexit`), { code: 'EINVAL', line: 'expected uninitialized iter_num as arg #0', processed: 'processed 10' });
});

withBtf('the log names a kfunc call by its BTF FUNC, as 6.18 prints it', (t) => {
  const id = btf.findAll('bpf_task_from_pid', 'FUNC')[0] ?? 0;
  const req: VerifierRequest = { progType: SYSCALL, expectedAttachType: 0, insns: program(btf, 'r1 = 1\ncall kfunc:bpf_task_from_pid\nr0 = 0\nexit'),
    license: 'GPL', gplCompatible: true, progFlags: 16, logLevel: 1, logSize: 1 << 20, privileges: root, kfuncs: kfuncsFor(btf, SYSCALL) };
  const err = t.throws(() => verifier.verify(req));
  t.true(isBpfError(err) && (err.log ?? '').includes(`1: (85) call bpf_task_from_pid#${String(id)}`));
});

// classic/map_kptr: an unreferenced kptr to a kernel struct (the harness map's `struct prog_test_ref_kfunc __kptr_untrusted *`).
withBtf('a kptr to a kernel struct loads as an untrusted BTF pointer that may be NULL', (t) => {
  const btfId = btf.findAll('prog_test_ref_kfunc', 'STRUCT')[0];
  if (btfId === undefined) {
    t.pass('no prog_test_ref_kfunc in this vmlinux');
    return;
  }
  const map = { fd: 3, mapType: 2, keySize: 4, valueSize: 16, maxEntries: 1, mapFlags: 0, isMapInMap: false, hasBtf: true, name: 'map_kptr',
    valueFields: [{ kind: 'kptr_untrusted', offset: 0, size: 8, kptr: { btf, btfId, kernel: true } }] };
  const run = (tail: string): { code: string; line: string } => {
    const text = `r2 = r10\nr6 = 0x3 ll\nr1 = r6\nr2 += -4\nr0 = 0\n*(u32 *)(r2 +0) = 0\ncall bpf_map_lookup_elem#1\nif r0 != 0x0 goto +1\nexit\n${tail}`;
    const insns = encodeProgram(assemble(text).map((i, n) => (n === 1 ? { ...i, src: 1 } : i)));
    const req: VerifierRequest = { progType: 3, expectedAttachType: 0, insns, license: 'GPL', gplCompatible: true, progFlags: 0, logLevel: 4,
      logSize: 1 << 20, privileges: root, maps: new Map([[3, map]]) };
    try {
      verifier.verify(req);
      return { code: 'ok', line: '' };
    } catch (e) {
      if (!isBpfError(e)) throw e;
      const lines = (e.log ?? '').split('\n').filter((l) => l !== '' && !/^(processed|verification time|stack depth)/.test(l));
      return { code: e.code, line: lines.at(-1) ?? '' };
    }
  };
  t.deepEqual(run('r0 = *(u64 *)(r0 +0)\nr0 = *(u32 *)(r0 +0)\nexit'), { code: 'EACCES', line: "R0 invalid mem access 'untrusted_ptr_or_null_'" });
  t.deepEqual(run('r0 = *(u64 *)(r0 +0)\nif r0 != 0x0 goto +1\nexit\nr0 = *(u64 *)(r0 +32)\nexit'),
    { code: 'EACCES', line: 'access beyond struct prog_test_ref_kfunc at off 32 size 8' });
  t.deepEqual(run('r1 = *(u64 *)(r0 +0)\nif r1 != 0x0 goto +1\nexit\nr1 += 4\n*(u64 *)(r0 +0) = r1\nexit'),
    { code: 'EACCES', line: 'invalid kptr access, R1 type=untrusted_ptr_prog_test_ref_kfunc expected=ptr_prog_test_ref_kfunc or untrusted_ptr_prog_test_ref_kfunc' });
});

// tp_btf (BPF_TRACE_RAW_TP on task_newtask): the tracepoint's task_struct argument.
withBtf('a tp_btf program reads its struct arguments as trusted BTF pointers', (t) => {
  const tp = btf.type(btf.findAll('btf_trace_task_newtask', 'TYPEDEF')[0] ?? 0);
  const pid = (btf.type(btf.findAll('task_struct', 'STRUCT')[0] ?? 0)?.members ?? []).find((m) => m.name === 'pid');
  const run = (text: string): { code: string; line: string } => {
    const req: VerifierRequest = { progType: 26, expectedAttachType: 23, insns: program(btf, text), license: 'GPL', gplCompatible: true, progFlags: 0,
      logLevel: 4, logSize: 1 << 20, privileges: root, attach: { btfId: tp?.id ?? 0, btf } };
    try {
      verifier.verify(req);
      return { code: 'ok', line: '' };
    } catch (e) {
      if (!isBpfError(e)) throw e;
      const lines = (e.log ?? '').split('\n').filter((l) => l !== '' && !/^(processed|verification time|stack depth)/.test(l));
      return { code: e.code, line: lines.at(-1) ?? '' };
    }
  };
  const off = String((pid?.bitsOffset ?? 0) / 8);
  t.deepEqual(run(`r1 = *(u64 *)(r1 +0)\nr0 = *(u32 *)(r1 +${off})\nr0 = 0\nexit`), { code: 'ok', line: '' });
  t.deepEqual(run(`r1 = *(u64 *)(r1 +0)\nr1 += 8\nr0 = *(u32 *)(r1 +${off})\nr0 = 0\nexit`), { code: 'ok', line: '' });
  t.deepEqual(run(`r1 = *(u64 *)(r1 +0)\n*(u32 *)(r1 +${off}) = 1\nr0 = 0\nexit`), { code: 'EACCES', line: 'only read is supported' });
});

// verifier_arena iter_maps1 / iter_maps3: a bpf_map iterator's map argument passed to bpf_arena_alloc_pages (sleepable program).
withBtf('an iterator program reads its target\'s objects as trusted BTF pointers that may be NULL', (t) => {
  const fn = btf.type(btf.findAll('bpf_iter_bpf_map', 'FUNC')[0] ?? 0);
  const run = (text: string): { code: string; line: string; processed: string } => {
    const req: VerifierRequest = { progType: 26, expectedAttachType: 28, insns: program(btf, text), license: 'GPL', gplCompatible: true, progFlags: 16,
      logLevel: 4, logSize: 1 << 20, privileges: root, attach: { btfId: fn?.id ?? 0, btf },
      kfuncs: { btf, flags: (id) => (btf.type(id)?.name === 'bpf_arena_alloc_pages' ? KfuncFlag.TRUSTED_ARGS | KfuncFlag.SLEEPABLE : undefined) } };
    try {
      const res = verifier.verify(req);
      return { code: 'ok', line: '', processed: `processed ${String(res.stats.insnProcessed)}` };
    } catch (e) {
      if (!isBpfError(e)) throw e;
      const lines = (e.log ?? '').split('\n').filter((l) => l !== '' && !/^(verification time|stack depth)/.test(l));
      return { code: e.code, line: lines.filter((l) => !l.startsWith('processed')).at(-1) ?? '', processed: (lines.find((l) => l.startsWith('processed')) ?? '').split(' ').slice(0, 2).join(' ') };
    }
  };
  const call = 'r2 = 0\nw4 = 0\nr5 = 0\ncall kfunc:bpf_arena_alloc_pages\nw0 = 0\nexit';
  t.deepEqual(run(`r1 = *(u64 *)(r1 +8)\nif r1 == 0x0 goto +5\nr3 = *(u32 *)(r1 +76)\n${call}`), { code: 'ok', line: '', processed: 'processed 10' });
  t.deepEqual(run(`r1 = *(u64 *)(r1 +8)\nif r1 == 0x0 goto +6\nr3 = *(u32 *)(r1 +76)\nr1 = *(u64 *)(r1 +48)\n${call}`),
    { code: 'EINVAL', line: 'R1 must be referenced or trusted', processed: 'processed 8' });
});

// classic/ref_tracking/53 and classic/sock/39: bpf_skc_to_tcp_sock's BTF pointer keeps the socket's reference.
withBtf('a socket cast is a BTF pointer that may be NULL, released through bpf_sk_release', (t) => {
  const lookup = `r2 = 0\n*(u32 *)(r10 -8) = r2\n*(u64 *)(r10 -16) = r2\n*(u64 *)(r10 -24) = r2\n*(u64 *)(r10 -32) = r2\n*(u64 *)(r10 -40) = r2
*(u64 *)(r10 -48) = r2\nr2 = r10\nr2 += -48\nr3 = 36\nr4 = 0\nr5 = 0\ncall bpf_sk_lookup_tcp#84\nif r0 != 0x0 goto +1\nexit\nr6 = r0\nr1 = r0
call bpf_skc_to_tcp_sock#137\n`;
  t.deepEqual(load(btf, 3, `${lookup}if r0 != 0x0 goto +3\nr1 = r6\ncall bpf_sk_release#86\nexit\nr1 = r0\ncall bpf_sk_release#86\nexit`),
    { code: 'ok', line: '', processed: 'processed 25' });
  t.deepEqual(load(btf, 3, `${lookup}r7 = r0\nr0 = *(u8 *)(r7 +0)\nr1 = r6\ncall bpf_sk_release#86\nexit`),
    { code: 'EACCES', line: "R7 invalid mem access 'ptr_or_null_'", processed: 'processed 20' });
  t.deepEqual(load(btf, 3, `${lookup}r7 = r0\nr1 = r6\ncall bpf_sk_release#86\nr0 = *(u8 *)(r7 +0)\nexit`),
    { code: 'EACCES', line: "R7 invalid mem access 'scalar'", processed: 'processed 22' });
});
