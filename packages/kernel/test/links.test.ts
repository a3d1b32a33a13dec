import { readFileSync } from 'node:fs';
import test from 'ava';
import { isBpfError, type Kernel } from '@bpfkit/kernel-api';
import { builtinVmlinuxBtf, createDefaultKernel } from '@bpfkit/kernel/defaults';
import { LINK_CASES, runSyscallCase, type Observation } from '@bpfkit/kernel/syscall-cases';
import {
  BpfAttachType as A, BpfCmd, BpfLinkType, BpfProgType as P, encodeAttr, encodeGetIdAttr, encodeInfoAttr, encodeLinkCreateAttr,
  encodeProgLoadAttr, encodeRawTracepointAttr,
} from '@bpfkit/uapi';

/** The answers Linux 6.18 gave (recorded by packages/linux's link-cases test with BPFKIT_RECORD_FIXTURES=1). */
const fixture = JSON.parse(readFileSync(new URL('../test/fixtures/link-cases.json', import.meta.url), 'utf8')) as {
  readonly kernel: string;
  readonly cases: Readonly<Record<string, readonly Observation[]>>;
};

function live(k: Kernel): unknown {
  const { objects, fds, files, arenaBytes, mappings } = k.counts();
  return { objects, fds, files, arenaBytes, mappings };
}

for (const c of LINK_CASES) {
  test(`same answers as Linux ${fixture.kernel}: ${c.name}`, (t) => {
    const recorded = fixture.cases[c.name];
    if (recorded === undefined) {
      t.fail(`no recorded answers for ${c.name}: record them on Linux (packages/linux, BPFKIT_RECORD_FIXTURES=1)`);
      return;
    }
    const kernel = createDefaultKernel();
    const before = live(kernel);
    const res = runSyscallCase(kernel.init, c, 1);
    t.deepEqual(live(kernel), before, 'the case left objects, fds or memory behind');
    t.deepEqual(res.observations, recorded);
  });
}

const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

function errno(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
  return undefined;
}

function load(k: Kernel, type: number, eat = 0, btfId = 0): number {
  const m = k.init.memory;
  return k.init.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: type, insn_cnt: 2, insns: m.alloc(RET0), license: m.alloc(new TextEncoder().encode('GPL\0')),
    expected_attach_type: eat, attach_btf_id: btfId,
  }));
}

function linkInfo(k: Kernel, fd: number): DataView {
  const info = k.init.memory.alloc(64);
  k.init.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 64, info }));
  const b = k.init.memory.read(info, 64);
  return new DataView(b.buffer, b.byteOffset, b.length);
}

function rawTp(k: Kernel, prog: number, name: string): number {
  return k.init.bpf(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeRawTracepointAttr({ prog_fd: prog, name: k.init.memory.alloc(new TextEncoder().encode(`${name}\0`)) }));
}

test('fentry links: one per program at a time (EBUSY, which still uses up a link id), re-attach once it is closed; info and fdinfo of a tracing link', (t) => {
  const k = createDefaultKernel();
  const target = builtinVmlinuxBtf().byName('bpf_fentry_test1', 'FUNC');
  if (target === undefined) return t.fail('the builtin vmlinux BTF has no bpf_fentry_test1');
  const prog = load(k, P.BPF_PROG_TYPE_TRACING, A.BPF_TRACE_FENTRY, target);
  const lc = (fields: Parameters<typeof encodeLinkCreateAttr>[0]): number => k.init.bpf(BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr(fields));
  t.is(errno(() => lc({ prog_fd: prog, attach_type: A.BPF_TRACE_FEXIT })), 'EINVAL', 'attach type must be the expected one');
  t.is(errno(() => lc({ prog_fd: prog, attach_type: A.BPF_TRACE_FENTRY, target_fd: 3 })), 'EINVAL', 'target_fd without target_btf_id');
  t.is(errno(() => lc({ prog_fd: prog, attach_type: A.BPF_TRACE_FENTRY, target_fd: 3, target_btf_id: target })), 'EINVAL', 'only freplace retargets');
  const link = lc({ prog_fd: prog, attach_type: A.BPF_TRACE_FENTRY, 'tracing.cookie': 5n });
  const info = linkInfo(k, link);
  t.is(info.getUint32(0, true), BpfLinkType.BPF_LINK_TYPE_TRACING);
  t.deepEqual([info.getUint32(16, true), info.getUint32(20, true), info.getUint32(24, true), info.getBigUint64(32, true)], [A.BPF_TRACE_FENTRY, 1, target, 5n]);
  const firstId = info.getUint32(4, true);
  t.is(errno(() => lc({ prog_fd: prog, attach_type: A.BPF_TRACE_FENTRY })), 'EBUSY');
  t.is(errno(() => k.init.bpf(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeRawTracepointAttr({ prog_fd: prog }))), 'EBUSY', 'RAW_TRACEPOINT_OPEN goes to the same trampoline');
  const fdinfo = k.init.readFile(`/proc/self/fdinfo/${link}`);
  t.regex(fdinfo, /link_type:\ttracing\n/);
  t.regex(fdinfo, new RegExp(`attach_type:\\t${A.BPF_TRACE_FENTRY}\\ntarget_obj_id:\\t1\\ntarget_btf_id:\\t${target}\\ncookie:\\t5\\n`));
  k.init.close(link);
  const again = k.init.bpf(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, encodeRawTracepointAttr({ prog_fd: prog }));
  t.is(linkInfo(k, again).getUint32(4, true), firstId + 3, 'two failed attaches after bpf_link_prime used up two ids');
  k.init.close(again);
  k.init.close(prog);
  t.is(k.counts().objects, 0);
});

test('a link holds its program: closing the program fd leaves it loaded until the link goes', (t) => {
  const k = createDefaultKernel();
  const prog = load(k, P.BPF_PROG_TYPE_RAW_TRACEPOINT);
  const link = rawTp(k, prog, 'sched_switch');
  k.init.close(prog);
  t.is(k.counts().byKind['prog'], 1);
  t.is(k.init.readlink(`/proc/self/fd/${link}`), 'anon_inode:bpf_link');
  k.init.close(link);
  t.is(k.counts().objects, 0);
});

test('OBJ_PIN of a link keeps it attached after its fd is closed; OBJ_GET gives a link fd again', (t) => {
  const k = createDefaultKernel();
  k.init.mkdir('/b');
  k.init.mount('bpf', '/b', 'bpf', 0, null);
  const prog = load(k, P.BPF_PROG_TYPE_RAW_TRACEPOINT);
  const link = rawTp(k, prog, 'sys_enter');
  const id = linkInfo(k, link).getUint32(4, true);
  const path = k.init.memory.alloc(new TextEncoder().encode('/b/link\0'));
  t.is(k.init.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: path, bpf_fd: link })), 0);
  k.init.close(link);
  k.init.close(prog);
  t.is(k.counts().byKind['link'], 1, 'the pin holds the link');
  const got = k.init.bpf(BpfCmd.BPF_OBJ_GET, encodeAttr(BpfCmd.BPF_OBJ_GET, { pathname: path }));
  t.is(linkInfo(k, got).getUint32(4, true), id);
  t.is(k.init.readlink(`/proc/self/fd/${got}`), 'anon_inode:bpf_link');
  k.init.close(got);
  k.init.unlink('/b/link');
  t.is(k.counts().byKind['link'], 0);
  t.is(errno(() => k.init.bpf(BpfCmd.BPF_LINK_GET_FD_BY_ID, encodeGetIdAttr({ link_id: id }))), 'ENOENT');
});

test('raw tracepoints the simulated kernel knows without BTF: sys_enter, sched_switch, task_newtask…', (t) => {
  const k = createDefaultKernel();
  const prog = load(k, P.BPF_PROG_TYPE_RAW_TRACEPOINT);
  for (const name of ['sys_enter', 'sys_exit', 'sched_process_exec', 'sched_process_fork', 'sched_switch', 'task_newtask']) {
    k.init.close(rawTp(k, prog, name));
  }
  t.is(errno(() => rawTp(k, prog, 'sched_process_exec_')), 'ENOENT');
  k.init.close(prog);
  t.is(k.counts().objects, 0);
});

test('cgroup_skb programs load unprivileged (sysctl 0) but linking one needs CAP_NET_ADMIN (the token\'s, or the initial namespace\'s)', (t) => {
  const k = createDefaultKernel({ sysctls: { 'kernel.unprivileged_bpf_disabled': 0 } });
  const u = k.init.fork();
  u.setresgid(1000, 1000, 1000);
  u.setresuid(1000, 1000, 1000);
  const m = u.memory;
  const prog = u.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
    prog_type: P.BPF_PROG_TYPE_CGROUP_SKB, insn_cnt: 2, insns: m.alloc(RET0), license: m.alloc(new TextEncoder().encode('GPL\0')),
    expected_attach_type: A.BPF_CGROUP_INET_INGRESS,
  }));
  const attach = (sys: typeof u, fd: number): string | undefined =>
    errno(() => sys.bpf(BpfCmd.BPF_LINK_CREATE, encodeLinkCreateAttr({ prog_fd: fd, attach_type: A.BPF_CGROUP_INET_INGRESS, target_fd: 999 })));
  t.is(attach(u, prog), 'EPERM', 'CAP_NET_ADMIN is checked before the cgroup fd');
  const passed = u.passFd(prog, k.init);
  t.is(attach(k.init, passed), 'EBADF', 'root gets as far as the cgroup fd');
});
