import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfMapType, BpfProgType as P } from '@bpfkit/uapi';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { readFileSync } from 'node:fs';
import {
  attachIter, attachUprobeMulti, BpfLink, type UprobeMultiOptions, BpfObject, bpfMapCreate, bpfMapGetInfoByFd, bpfProgLoad, elfResolvePatternOffsets, elfResolveSymsOffsets, findVmlinuxBtf, globMatch,
  resolveFullPath, resolveKprobeMultiPattern, type LibbpfHost,
} from '@bpfkit/libbpf';
import { BUILTIN_KERNEL_CONFIG, createDefaultKernel, hostVmlinuxBtf } from '@bpfkit/kernel/defaults';
import { simKernel } from './helpers.js';
import { sharedObject, withSection } from './support/elf-so.js';

const linux = linuxBpfAvailability();
const CORE_TRACE = new Uint8Array(readFileSync(new URL('../../../examples/core_trace.o', import.meta.url)));

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `${e.code} ${e.reason}`;
  }
}

function errno(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isBpfError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

/** `base` (a simulated task or a Linux syscall object) with some host methods replaced; every other method bound to `base`. */
function hostWith(base: LibbpfHost, over: Partial<LibbpfHost>): LibbpfHost {
  const out: Record<string, unknown> = { memory: base.memory };
  for (let o: object | null = base; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) {
      const v = (base as unknown as Record<string, unknown>)[k];
      if (typeof v === 'function' && k !== 'constructor' && !(k in out)) out[k] = (v as (...a: unknown[]) => unknown).bind(base);
    }
  }
  return { ...(out as unknown as LibbpfHost), ...over };
}

const LIB = sharedObject([{ name: 'fn0', value: 0x401010 }, { name: 'fn1', value: 0x401020 }, { name: 'other', value: 0x401030 }], 2);

/** trace_ringbuf.o's kprobe program, its section renamed to `section` (18 bytes), loaded alone. */
function loaded(host: LibbpfHost, section: string): BpfObject {
  const obj = BpfObject.open(withSection(section), { name: 'trace_ringbuf', host, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  for (const p of obj.programs) p.autoload = p.name === 'kp';
  obj.load();
  return obj;
}

/** Attaches the renamed program by its section: the link's info, or the errno and reason. */
function attachSection(host: LibbpfHost, section: string, readBinary?: (path: string) => Uint8Array, cookie?: bigint): unknown {
  const obj = loaded(host, section);
  try {
    return outcome(() => obj.program('kp').attach({ ...(readBinary === undefined ? {} : { readBinary }), ...(cookie === undefined ? {} : { cookie }) }).info());
  } finally {
    obj.close();
  }
}

test('globMatch: libbpf glob_match (? one character, * any run; after a *, more pattern needs a character left)', (t) => {
  t.true(globMatch('do_sys_openat2', 'do_sys_open*'));
  t.true(globMatch('do_sys_open', 'do_sys_open*'), 'a trailing * matches nothing');
  t.true(globMatch('tcp_v4_rcv', 'tcp_v?_*'));
  t.false(globMatch('tcp_v44_rcv', 'tcp_v?_*'));
  t.true(globMatch('abc', '*c'));
  t.false(globMatch('ab', 'a*?c'));
  t.true(globMatch('abxc', 'a*?c'));
  t.false(globMatch('', '*x'));
  t.true(globMatch('', '*'));
  t.false(globMatch('abc', 'ab'));
});

/** A host whose files are `files` (errno ENOENT otherwise) and whose access() says yes for readable ones. */
function fileHost(files: Record<string, string>, denied: readonly string[] = []): LibbpfHost {
  const sim = simKernel(1).init;
  const missing = (path: string): BpfError => new BpfError(denied.includes(path) ? 'EPERM' : 'ENOENT', 'test:no-file', path);
  return hostWith(sim, {
    readFile: (path) => {
      const text = files[path];
      if (text === undefined || denied.includes(path)) throw missing(path);
      return text;
    },
    access: (path) => {
      if (files[path] === undefined) throw missing(path);
    },
  });
}

const TRACEFS = '/sys/kernel/tracing';

test('kprobe.multi patterns resolve as libbpf does: available_filter_functions_addrs when readable, else the traceable names joined with kallsyms', (t) => {
  const withAddrs = fileHost({ [`${TRACEFS}/available_filter_functions_addrs`]: 'ffffffff81000010 do_sys_open\nffffffff81000020 do_sys_openat2\nffffffff81000030 vfs_read [ext4]\n' });
  t.deepEqual(resolveKprobeMultiPattern(withAddrs, 'do_sys_open*'), [0xffffffff81000010n, 0xffffffff81000020n]);
  t.deepEqual(resolveKprobeMultiPattern(withAddrs, 'vfs_read'), [0xffffffff81000030n], 'the module column is not part of the name');
  t.is(outcome(() => resolveKprobeMultiPattern(withAddrs, 'nope*')), 'ENOENT libbpf:kprobe-multi-no-match');
  t.is(outcome(() => resolveKprobeMultiPattern(fileHost({ [`${TRACEFS}/available_filter_functions_addrs`]: 'zz do_sys_open\n' }), 'do*')), 'EINVAL libbpf:kprobe-multi-parse');
  const kallsyms = fileHost({
    [`${TRACEFS}/available_filter_functions`]: 'do_sys_open\ndo_sys_openat2\nfoo\n',
    '/proc/kallsyms': 'ffffffff81000010 T do_sys_open\nffffffff81000020 t do_sys_openat2.llvm.123\nffffffff81000030 T do_sys_open_untraceable\nffffffff81000040 t do_sys_open\n',
  });
  t.deepEqual(resolveKprobeMultiPattern(kallsyms, 'do_sys_open*'), [0xffffffff81000010n, 0xffffffff81000020n, 0xffffffff81000040n],
    'every kallsyms address of a traceable name (the .llvm. suffix dropped to match), none of an untraceable one');
  t.is(outcome(() => resolveKprobeMultiPattern(kallsyms, 'bar*')), 'ENOENT libbpf:kprobe-multi-no-match', 'no traceable name matches');
  const denied = fileHost({ [`${TRACEFS}/available_filter_functions_addrs`]: '' }, [`${TRACEFS}/available_filter_functions_addrs`]);
  t.is(outcome(() => resolveKprobeMultiPattern(denied, 'do*')), 'EPERM test:no-file', 'access() said yes, the read says why not (a locked-down tracefs)');
});

/** kprobe.multi attaches on one kernel: sections and the option checks. */
function kprobeMulti(host: LibbpfHost): Record<string, unknown> {
  const obj = loaded(host, 'kprobe.multi/x_y_z');
  const prog = obj.program('kp');
  const out = {
    exact: errno(() => prog.attach()),
    bySyms: errno(() => prog.attachKprobeMulti(undefined, { syms: ['do_sys_openat2', 'vfs_read'], cookies: [1n, 2n] })),
    byAddrs: errno(() => prog.attachKprobeMulti(undefined, { addrs: [0xffff_ffff_8100_0000n], retprobe: true })),
    both: outcome(() => prog.attachKprobeMulti(undefined, { syms: ['a'], addrs: [1n] })),
    neither: outcome(() => prog.attachKprobeMulti(undefined, {})),
    patternAndSyms: outcome(() => prog.attachKprobeMulti('a*', { syms: ['a'] })),
    cookieCount: outcome(() => prog.attachKprobeMulti(undefined, { syms: ['a', 'b'], cookies: [1n] })),
    uniqueWithoutPattern: outcome(() => prog.attachKprobeMulti(undefined, { syms: ['a'], uniqueMatch: true })),
    sectionCookie: outcome(() => prog.attach({ cookie: 1n })),
  };
  obj.close();
  return { ...out, badPattern: attachSection(host, 'kprobe.multi/!x_y_') };
}

test('kprobe.multi sections and attachKprobeMulti on the simulated kernel: one BPF_LINK_CREATE, EOPNOTSUPP without CONFIG_FPROBE as the reference build', (t) => {
  t.like(kprobeMulti(simKernel(2).init), {
    exact: 'EOPNOTSUPP', bySyms: 'EOPNOTSUPP', byAddrs: 'EOPNOTSUPP',
    both: 'EINVAL libbpf:kprobe-multi-opts', neither: 'EINVAL libbpf:kprobe-multi-opts', patternAndSyms: 'EINVAL libbpf:kprobe-multi-opts',
    cookieCount: 'EINVAL libbpf:kprobe-multi-opts', uniqueWithoutPattern: 'EINVAL libbpf:kprobe-multi-opts', sectionCookie: 'EINVAL libbpf:multi-cookie',
    badPattern: 'EINVAL libbpf:bad-kprobe-multi-section',
  });
  t.is(attachSection(simKernel(2).init, 'kprobe.multi/do_s*'), 'ENOENT vfs:no-entry', 'the simulated tracefs has no available_filter_functions');
});

test('uprobe ELF resolution: patterns from .symtab (else .dynsym), names with libbpf\'s weak/global rules', (t) => {
  t.deepEqual(elfResolvePatternOffsets(LIB, 'lib', 'fn*'), [0x1010n, 0x1020n]);
  t.deepEqual(elfResolvePatternOffsets(sharedObject([{ name: 'fn0', value: 0x401010 }]), 'lib', 'f?0'), [0x1010n], 'a .dynsym-only file');
  t.is(outcome(() => elfResolvePatternOffsets(LIB, 'lib', 'x*')), 'ENOENT libbpf:uprobe-no-symbol');
  t.deepEqual(elfResolveSymsOffsets(LIB, 'lib', ['other', 'fn0']), [0x1030n, 0x1010n]);
  const weak = sharedObject([{ name: 'w', value: 0x401040, bind: 2 }, { name: 'w', value: 0x401050 }]);
  t.deepEqual(elfResolveSymsOffsets(weak, 'lib', ['w']), [0x1050n], 'the global definition wins over the weak one');
  t.is(outcome(() => elfResolveSymsOffsets(sharedObject([{ name: 'w', value: 0x401040 }, { name: 'w', value: 0x401050 }]), 'lib', ['w'])), 'ESRCH libbpf:uprobe-ambiguous');
  t.is(outcome(() => elfResolveSymsOffsets(LIB, 'lib', ['fn0', 'nope'])), 'ENOENT libbpf:uprobe-no-symbol');
});

test('resolveFullPath: libbpf\'s search of PATH then /usr/bin:/usr/sbin (readable and executable), of LD_LIBRARY_PATH, /usr/lib64:/usr/lib and the arch folder for libraries', (t) => {
  const files = new Map<string, number>([['/opt/b/tool', 5], ['/opt/a/tool', 4], ['/usr/sbin/tool2', 5], ['/lib/x86_64-linux-gnu/libc.so.6', 4], ['/l/libz.so', 4]]);
  const host = hostWith(simKernel(1).init, {
    access: (path, mode) => {
      const m = files.get(path);
      if (m === undefined) throw new BpfError('ENOENT', 'test:no-file', path);
      if ((m & mode) !== mode) throw new BpfError('EACCES', 'test:mode', path);
    },
    getenv: (name) => (name === 'PATH' ? ':/opt/a::/opt/b' : name === 'LD_LIBRARY_PATH' ? '/l' : undefined),
  });
  t.is(resolveFullPath(host, 'tool'), '/opt/b/tool', '/opt/a/tool is not executable');
  t.is(resolveFullPath(host, 'tool2'), '/usr/sbin/tool2');
  t.is(resolveFullPath(host, 'libc.so.6'), '/lib/x86_64-linux-gnu/libc.so.6');
  t.is(resolveFullPath(host, 'libz.so'), '/l/libz.so');
  t.is(outcome(() => resolveFullPath(host, 'nope')), 'ENOENT libbpf:binary-not-found');
});

/** A folder on this machine's PATH for a test binary, and the host that sees it there. */
function pathDir(base: LibbpfHost): { dir: string; host: LibbpfHost; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-uprobe-'));
  const host = hostWith(base, { getenv: (name) => (name === 'PATH' ? dir : undefined) });
  return { dir, host, done: () => { rmSync(dir, { recursive: true, force: true }); } };
}

/** uprobe, uprobe.multi sections whose answers are the same on both kernels (no file is probed successfully). */
function uprobeErrors(host: LibbpfHost): Record<string, unknown> {
  const read = (): Uint8Array => LIB;
  return {
    multiOnADirectory: attachSection(host, 'uprobe.multi///:f*', read),
    multiNoMatch: attachSection(host, 'uprobe.multi///:x*', read),
    multiNoPattern: attachSection(host, 'uprobe.multi/bu/xx', read),
    multiBare: attachSection(host, 'uprobe.multi/:xxxx', read),
    multiCookie: attachSection(host, 'uprobe.multi///:f*', read, 1n),
    notOnPath: attachSection(host, 'uprobe/bpfkitnx:fn', read),
  };
}

test('uprobe.multi sections on the simulated kernel: offsets from the ELF, then BPF_LINK_CREATE and its errnos; bare names searched for', (t) => {
  const { host, done } = pathDir(simKernel(2).init);
  try {
    t.deepEqual(uprobeErrors(host), {
      multiOnADirectory: 'EBADF link:uprobe-not-regular', multiNoMatch: 'ENOENT libbpf:uprobe-no-symbol',
      multiNoPattern: 'EINVAL libbpf:bad-uprobe-multi-section', multiBare: 'EOPNOTSUPP libbpf:no-auto-attach',
      multiCookie: 'EINVAL libbpf:multi-cookie', notOnPath: 'ENOENT libbpf:binary-not-found',
    });
    t.is(attachSection(host, 'uprobe.multi/bu:f*', () => LIB), 'ENOENT libbpf:binary-not-found', 'the simulated kernel has no such folder');
  } finally {
    done();
  }
});

const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** A uprobe_multi program (r0 = 0) loaded directly, for attachUprobeMulti's option checks. */
function optionChecks(host: LibbpfHost): Record<string, unknown> {
  const fd = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_KPROBE, insns: RET0, license: 'GPL', expectedAttachType: A.BPF_TRACE_UPROBE_MULTI }).fd;
  const prog = { name: 'up', fd };
  const obj = { attach: (path: string, pattern: string | undefined, opts: UprobeMultiOptions) => outcome(() => attachUprobeMulti(host, prog, -1, path, pattern, opts)) };
  try {
    return {
      patternAndOffsets: obj.attach('/', 'f*', { offsets: [1n] }),
      symsAndOffsets: obj.attach('/', undefined, { syms: ['a'], offsets: [1n] }),
      nothing: obj.attach('/', undefined, {}),
      cookieCount: obj.attach('/', undefined, { offsets: [1n, 2n], cookies: [1n] }),
      directory: obj.attach('/', undefined, { offsets: [0x1010n], cookies: [7n] }),
      procFile: obj.attach('/proc/self/mountinfo', undefined, { offsets: [0n] }),
      byName: obj.attach('/proc/self/mountinfo', undefined, { syms: ['fn1'], readBinary: () => LIB }),
    };
  } finally {
    host.close(fd);
  }
}

test('attachUprobeMulti\'s option checks and the kernel\'s answers on the simulated kernel', (t) => {
  t.deepEqual(optionChecks(simKernel(2).init), {
    patternAndOffsets: 'EINVAL libbpf:uprobe-multi-opts', symsAndOffsets: 'EINVAL libbpf:uprobe-multi-opts', nothing: 'EINVAL libbpf:uprobe-multi-opts',
    cookieCount: 'EINVAL libbpf:uprobe-multi-opts', directory: 'EBADF link:uprobe-not-regular', procFile: 'EIO link:uprobe-no-read-folio', byName: 'EIO link:uprobe-no-read-folio',
  });
});

/**
 * Legacy kprobes: a host without a kprobe PMU whose tracefs takes kprobe_events lines
 * (recorded) and gives the new event the id of sched_switch, a tracepoint, so the kernel
 * refuses the kprobe program on it: the event is removed again, as libbpf does on failure.
 */
test('without a kprobe PMU, kprobe/ sections add a legacy kprobe_events event as libbpf does, and remove it when the attach fails', (t) => {
  const k = simKernel(2);
  const lines: string[] = [];
  const host = hostWith(k.init, {
    appendFile: (path, text) => {
      if (path !== `${TRACEFS}/kprobe_events`) throw new BpfError('ENOENT', 'test:no-file', path);
      lines.push(text);
    },
    readFile: (path) => (/\/events\/kprobes\/libbpf_\d+_\d+_do_sys_open_0x0\/id$/.test(path) ? '372\n' : k.init.readFile(path)),
  });
  t.is(attachSection(host, 'kprobe/do_sys_open'), 'EINVAL link:perf-event-prog-type');
  t.is(lines.length, 2);
  t.regex(lines[0] ?? '', new RegExp(`^p:kprobes/libbpf_${k.init.pid}_\\d+_do_sys_open_0x0 do_sys_open\\+0x0$`));
  t.is(lines[1], `-:kprobes/${(lines[0] ?? '').split(' ')[0]?.slice('p:kprobes/'.length) ?? ''}`);
  lines.length = 0;
  t.is(attachSection(host, 'kretprobe/do_sys_o'), 'ENOENT vfs:no-entry', 'a kretprobe event\'s id is under events/kretprobes');
  t.regex(lines[0] ?? '', /^r:kretprobes\/libbpf_\d+_\d+_do_sys_o_0x0 do_sys_o\+0x0$/);
  t.is(lines.length, 2, 'removed again');
  t.is(attachSection(k.init, 'kprobe/do_sys_open'), 'ENOENT vfs:no-entry', 'the reference build has no kprobe_events');
});

/** Session sections and options on one kernel: the errnos (no file is probed successfully). */
function sessions(host: LibbpfHost): Record<string, unknown> {
  const obj = loaded(host, 'uprobe.session//:*');
  const prog = obj.program('kp');
  const out = {
    attachType: prog.expectedAttachType,
    uprobeSession: outcome(() => prog.attach({ readBinary: () => LIB })),
    sessionAndRetprobe: outcome(() => prog.attachUprobeMulti(-1, '/', undefined, { offsets: [0n], session: true, retprobe: true })),
    procFile: outcome(() => prog.attachUprobeMulti(-1, '/proc/self/mountinfo', undefined, { offsets: [0n], session: true })),
  };
  obj.close();
  const k = loaded(host, 'kprobe.session/x_y');
  const kprobeSession = outcome(() => k.program('kp').attach());
  const kretSession = outcome(() => k.program('kp').attachKprobeMulti(undefined, { syms: ['x'], session: true, retprobe: true }));
  k.close();
  return { ...out, kprobeSession, kretSession };
}

test('uprobe.session and kprobe.session sections: uprobe_multi\'s and kprobe_multi\'s paths with the session attach types', (t) => {
  t.deepEqual(sessions(simKernel(2).init), {
    attachType: A.BPF_TRACE_UPROBE_SESSION, uprobeSession: 'EBADF link:uprobe-not-regular', sessionAndRetprobe: 'EINVAL libbpf:uprobe-multi-opts',
    procFile: 'EIO link:uprobe-no-read-folio', kprobeSession: 'EOPNOTSUPP link:no-fprobe', kretSession: 'EINVAL libbpf:kprobe-multi-opts',
  });
});

test('BpfLink.info() of a kprobe perf link (a simulated kernel with kprobe events): function, offset, address (CAP_SYSLOG), cookie', (t) => {
  const k = createDefaultKernel({ cpus: 2, vmlinuxBtf: hostVmlinuxBtf, kernelConfig: `${BUILTIN_KERNEL_CONFIG}CONFIG_KPROBES=y\nCONFIG_KPROBE_EVENTS=y\n` });
  const obj = loaded(k.init, 'kprobe/do_sys_open');
  const info = obj.program('kp').attach({ cookie: 11n }).info();
  t.like(info, { type: 7, perfEvent: { kind: 'kprobe', name: 'do_sys_open', offset: 0, missed: 0n, cookie: 11n } });
  t.true(info.perfEvent?.kind === 'kprobe' && info.perfEvent.addr >= 0xffff_ffff_8100_0000n, 'the function\'s address, shown to root');
  obj.close();
});

test('kprobe/ sections: a negative offset is EINVAL, as in libbpf\'s attach_kprobe', (t) => {
  t.is(attachSection(simKernel(2).init, 'kprobe/do_sys+-0x1'), 'EINVAL libbpf:kprobe-offset');
});

/** An iter/task program: writes `ok\\n` with bpf_seq_write for each task it is given. */
const ITER_PROG = Uint8Array.from([
  0x79, 0x16, 0, 0, 0, 0, 0, 0, // r6 = ctx->meta
  0x79, 0x17, 8, 0, 0, 0, 0, 0, // r7 = ctx->task
  0x15, 0x07, 6, 0, 0, 0, 0, 0, // if r7 == 0 goto out
  0x62, 0x0a, 0xf8, 0xff, 0x6f, 0x6b, 0x0a, 0x00, // *(u32 *)(r10 - 8) = "ok\n"
  0x79, 0x61, 0, 0, 0, 0, 0, 0, // r1 = meta->seq
  0xbf, 0xa2, 0, 0, 0, 0, 0, 0, // r2 = r10
  0x07, 0x02, 0, 0, 0xf8, 0xff, 0xff, 0xff, // r2 += -8
  0xb7, 0x03, 0, 0, 3, 0, 0, 0, // r3 = 3
  0x85, 0, 0, 0, 127, 0, 0, 0, // call bpf_seq_write
  0xb7, 0, 0, 0, 0, 0, 0, 0, // out: r0 = 0
  0x95, 0, 0, 0, 0, 0, 0, 0, // exit
]);

/** iter/task for one thread (`tid`): what reading the iterator gives and the link's info, or the errno. */
function iterate(host: LibbpfHost, tid: number): unknown {
  const btfId = findVmlinuxBtf(host).byName('bpf_iter_task', 'FUNC');
  if (btfId === undefined) return 'no bpf_iter_task';
  const prog = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_TRACING, expectedAttachType: A.BPF_TRACE_ITER, attachBtfId: btfId, insns: ITER_PROG, license: 'GPL' }).fd;
  try {
    const link = new BpfLink(host, attachIter(host, { name: 'dump_task', fd: prog }, { tid }));
    try {
      const info = link.info();
      return { type: info.type, iter: info.iter, text: outcome(() => new TextDecoder().decode(link.readIter())) };
    } finally {
      link.close();
    }
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `${e.code} ${e.reason}`;
  } finally {
    host.close(prog);
  }
}

test('iter/ programs on the simulated kernel: the iterator link and its info as on Linux; reading it runs the program once per task it visits', (t) => {
  const k = simKernel(2);
  t.deepEqual(iterate(k.init, k.init.pid), { type: 4, iter: { targetName: 'task', mapId: 0, tid: k.init.pid, pid: 0 }, text: 'ok\n' });
  t.like(iterate(k.init, 7), { iter: { tid: 7 }, text: '' }, 'no task 7: only the stop call, which writes nothing');
  k.init.fork();
  k.init.fork();
  t.like(iterate(k.init, 0), { text: 'ok\nok\nok\n' }, 'every task');
  const host = createDefaultKernel({ cpus: 2, vmlinuxBtf: hostVmlinuxBtf }).init;
  t.like(iterate(host, 7), { iter: { targetName: 'task', tid: 7 } }, 'with the host\'s vmlinux BTF too');
});

/**
 * iter/bpf_map: a program that writes each map's `id` (read from `struct bpf_map` at its
 * BTF offset) with bpf_seq_write; the ids read back, or the errno.
 */
function mapIds(host: LibbpfHost): number[] | string {
  const btf = findVmlinuxBtf(host);
  const target = btf.byName('bpf_iter_bpf_map', 'FUNC');
  const mapStruct = btf.byName('bpf_map', 'STRUCT');
  const idMember = mapStruct === undefined ? undefined : btf.type(mapStruct);
  const off = idMember !== undefined && 'members' in idMember ? idMember.members.find((m) => m.name === 'id')?.bitsOffset : undefined;
  if (target === undefined || off === undefined) return 'no bpf_iter_bpf_map or bpf_map.id in the kernel BTF';
  const o = off / 8;
  const insns = Uint8Array.from([
    0x79, 0x16, 0, 0, 0, 0, 0, 0, // r6 = ctx->meta
    0x79, 0x17, 8, 0, 0, 0, 0, 0, // r7 = ctx->map
    0x15, 0x07, 7, 0, 0, 0, 0, 0, // if r7 == 0 goto out
    0x61, 0x71, o & 0xff, o >> 8, 0, 0, 0, 0, // r1 = map->id
    0x63, 0x1a, 0xf8, 0xff, 0, 0, 0, 0, // *(u32 *)(r10 - 8) = r1
    0x79, 0x61, 0, 0, 0, 0, 0, 0, // r1 = meta->seq
    0xbf, 0xa2, 0, 0, 0, 0, 0, 0, // r2 = r10
    0x07, 0x02, 0, 0, 0xf8, 0xff, 0xff, 0xff, // r2 += -8
    0xb7, 0x03, 0, 0, 4, 0, 0, 0, // r3 = 4
    0x85, 0, 0, 0, 127, 0, 0, 0, // call bpf_seq_write
    0xb7, 0, 0, 0, 0, 0, 0, 0, // out: r0 = 0
    0x95, 0, 0, 0, 0, 0, 0, 0,
  ]);
  const prog = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_TRACING, expectedAttachType: A.BPF_TRACE_ITER, attachBtfId: target, insns, license: 'GPL' }).fd;
  try {
    const link = new BpfLink(host, attachIter(host, { name: 'dump_maps', fd: prog }));
    try {
      const bytes = link.readIter();
      const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      return Array.from({ length: bytes.length / 4 }, (_, i) => v.getUint32(i * 4, true));
    } finally {
      link.close();
    }
  } finally {
    host.close(prog);
  }
}

test('iter/bpf_map on the simulated kernel: the program reads each map\'s id from struct bpf_map at its BTF offset, in id order', (t) => {
  const host = simKernel(2).init;
  const fds = [1, 2, 3].map(() => bpfMapCreate(host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
  const ids = fds.map((fd) => bpfMapGetInfoByFd(host, fd).id);
  t.deepEqual(mapIds(host), ids);
  host.close(fds[1] ?? -1);
  t.deepEqual(mapIds(host), [ids[0], ids[2]], 'a closed map is gone');
});

if (linux.available) {
  test('Linux agrees: kprobe.multi (no fprobe in this build), uprobe errnos, uprobe_multi options', (t) => {
    const host = createLinuxSyscall();
    const sim = simKernel(2).init;
    const codes = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v.split(' ')[0] : v]));
    t.deepEqual(codes(kprobeMulti(host)), codes(kprobeMulti(sim)));
    const a = pathDir(host);
    const b = pathDir(sim);
    try {
      t.deepEqual(codes(uprobeErrors(a.host)), codes(uprobeErrors(b.host)));
    } finally {
      a.done();
      b.done();
    }
    t.deepEqual(codes(optionChecks(host)), codes(optionChecks(sim)));
    t.is(errno(() => attachSection(host, 'kprobe/do_sys_open')), 'ok');
    t.is((attachSection(host, 'kprobe/do_sys_open') as string).split(' ')[0], 'ENOENT', 'no kprobe PMU and no kprobe_events on this build, as in the simulated kernel');
    const glob = attachSection(host, 'kprobe.multi/do_s*');
    t.log(`linux: kprobe.multi/do_s* gives ${String(glob)} here (the simulated tracefs has no available_filter_functions: ENOENT)`);
  });

  test('Linux: uprobe and uprobe.multi on a binary found on PATH; perf and uprobe_multi link info', (t) => {
    const { dir, host, done } = pathDir(createLinuxSyscall());
    try {
      writeFileSync(join(dir, 'bu'), LIB);
      writeFileSync(join(dir, 'bpfkuuu'), LIB);
      chmodSync(join(dir, 'bu'), 0o755);
      chmodSync(join(dir, 'bpfkuuu'), 0o755);
      const multi = attachSection(host, 'uprobe.multi/bu:f*');
      t.like(multi, { type: 12, uprobeMulti: { path: join(dir, 'bu'), offsets: [0x1010n, 0x1020n], refCtrOffsets: [0n, 0n], cookies: [0n, 0n], flags: 0, pid: 0 } });
      t.like(attachSection(host, 'uprobe/bpfkuuu:fn1', undefined, 3n), {
        type: 7, perfEvent: { kind: 'uprobe', name: join(dir, 'bpfkuuu'), offset: 0x1020, cookie: 3n, refCtrOffset: 0n },
      });
      const obj = loaded(host, 'uprobe.multi/bu:f*');
      const link = obj.program('kp').attachUprobeMulti(0, join(dir, 'bu'), undefined, { syms: ['other', 'fn0'], cookies: [7n, 8n], readBinary: () => LIB });
      t.like(link.info().uprobeMulti, { offsets: [0x1030n, 0x1010n], cookies: [7n, 8n], pid: process.pid, flags: 0 });
      const ret = obj.program('kp').attachUprobeMulti(-1, 'bu', 'fn1', { retprobe: true, readBinary: () => LIB });
      t.like(ret.info().uprobeMulti, { path: join(dir, 'bu'), offsets: [0x1020n], flags: 1, pid: 0 }, 'BPF_F_UPROBE_MULTI_RETURN, the bare name found on PATH');
      obj.close();
    } finally {
      done();
    }
  });

  test('Linux agrees on sessions; a uprobe session on a real binary is a uprobe_multi link', (t) => {
    const codes = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v.split(' ')[0] : v]));
    const host = createLinuxSyscall();
    t.deepEqual(codes(sessions(host)), codes(sessions(simKernel(2).init)));
    const { dir, done } = pathDir(host);
    try {
      writeFileSync(join(dir, 'bs'), LIB);
      const obj = loaded(host, 'uprobe.session//:*');
      const link = obj.program('kp').attachUprobeMulti(-1, join(dir, 'bs'), 'fn*', { session: true, readBinary: () => LIB });
      t.like(link.info(), { type: 12, uprobeMulti: { path: join(dir, 'bs'), offsets: [0x1010n, 0x1020n], flags: 0 } });
      obj.close();
    } finally {
      done();
    }
  });

  test('Linux: iter/bpf_map lists our maps\' ids in id order among the system\'s', (t) => {
    const host = createLinuxSyscall();
    const fds = [1, 2].map(() => bpfMapCreate(host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }));
    try {
      const ids = fds.map((fd) => bpfMapGetInfoByFd(host, fd).id);
      const all = mapIds(host);
      t.true(Array.isArray(all) && ids.every((id) => all.includes(id)) && all.indexOf(ids[0] ?? 0) < all.indexOf(ids[1] ?? 0), JSON.stringify(all));
      t.true(Array.isArray(all) && all.every((id, i) => i === 0 || id > (all[i - 1] ?? 0)), 'ascending ids');
    } finally {
      for (const fd of fds) host.close(fd);
    }
  });

  test('Linux: iter/task for this thread runs the program once (bpf_seq_write); link info names the target and the thread', (t) => {
    t.deepEqual(iterate(createLinuxSyscall(), process.pid), { type: 4, iter: { targetName: 'task', mapId: 0, tid: process.pid, pid: 0 }, text: 'ok\n' });
    const sim = iterate(simKernel(2).init, process.pid) as Record<string, unknown>;
    const real = iterate(createLinuxSyscall(), process.pid) as Record<string, unknown>;
    t.deepEqual({ ...sim, text: undefined }, { ...real, text: undefined }, 'the same link and info; only the reading is not simulated');
  });

  const tracefs = errno(() => createLinuxSyscall().readFile(`${TRACEFS}/events/sched/sched_process_exec/id`));
  if (tracefs !== 'ok') {
    test.skip(`Linux and the simulated kernel agree on a tracepoint perf link's info: skipped, tracefs is not mounted at ${TRACEFS} (${tracefs})`, () => {});
  } else test('Linux and the simulated kernel agree on a tracepoint perf link\'s info (tracefs mounted)', (t) => {
    const host = createLinuxSyscall();
    const info = (h: LibbpfHost): unknown => {
      const obj = BpfObject.open(CORE_TRACE, { name: 'core_trace', host: h, possibleCpus: 2 });
      obj.load();
      try {
        return obj.program('handle_exec').attach({ cookie: 42n }).info().perfEvent;
      } finally {
        obj.close();
      }
    };
    t.deepEqual(info(host), { kind: 'tracepoint', name: 'sched_process_exec', cookie: 42n });
    t.deepEqual(info(simKernel(2).init), info(host));
  });
} else {
  test.skip(`linux: skipped, bpf() is not available here (${linux.error.code}) [multi-probe, iterator and legacy kprobe attach]`, () => {});
}

/** `base` without a uprobe PMU (its sysfs type file is ENOENT), its tracefs writes recorded. */
function withoutUprobePmu(base: LibbpfHost, lines: string[]): LibbpfHost {
  return hostWith(base, {
    readFile: (path) => {
      if (path.startsWith('/sys/bus/event_source/devices/uprobe/')) throw new BpfError('ENOENT', 'test:no-uprobe-pmu', path);
      if (base.readFile === undefined) throw new BpfError('ENOENT', 'test:no-file', path);
      return base.readFile(path);
    },
    appendFile: (path, text) => {
      lines.push(text);
      if (base.appendFile === undefined) throw new BpfError('ENOENT', 'test:no-file', path);
      base.appendFile(path, text);
    },
  });
}

test('without a uprobe PMU, uprobe/ sections add a legacy uprobe_events event as libbpf does; the simulated kernel has no dynamic events', (t) => {
  const lines: string[] = [];
  const host = withoutUprobePmu(simKernel(2).init, lines);
  t.is(attachSection(host, 'uprobe//tmp/bv:fn0', () => LIB), 'ENOTSUPP tracefs:dynamic-events-not-simulated');
  t.regex(lines[0] ?? '', /^p:uprobes\/libbpf_\d+_\d+__bv_0x1010 \/tmp\/bv:0x1010$/);
});

if (!linux.available || !existsSync('/sys/kernel/tracing/uprobe_events')) {
  test.skip('Linux without a uprobe PMU (hidden): needs bpf() and tracefs mounted at /sys/kernel/tracing', () => undefined);
} else {
  test('Linux without a uprobe PMU (hidden): a legacy uprobe_events event, a perf link on it, removed when the link closes', (t) => {
    const lines: string[] = [];
    writeFileSync('/tmp/bv', LIB);
    try {
      const host = withoutUprobePmu(createLinuxSyscall(), lines);
      const obj = loaded(host, 'uprobe//tmp/bv:fn0');
      try {
        const link = obj.program('kp').attach({ readBinary: () => LIB, cookie: 6n });
        t.like(link.info().perfEvent, { kind: 'uprobe', name: '/tmp/bv', offset: 0x1010, cookie: 6n });
        t.is(lines.length, 1);
        link.close();
      } finally {
        obj.close();
      }
      t.regex(lines[0] ?? '', /^p:uprobes\/libbpf_\d+_\d+__bv_0x1010 \/tmp\/bv:0x1010$/);
      t.is(lines[1], `-:uprobes/${(lines[0] ?? '').split(' ')[0]?.slice('p:uprobes/'.length) ?? ''}`, 'removed after close');
    } finally {
      rmSync('/tmp/bv', { force: true });
    }
  });
}
