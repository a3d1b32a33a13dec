import { BpfError } from '@bpfkit/kernel-api';
import { BPF_F_UPROBE_MULTI_RETURN, BpfAttachType as A, type decodeLinkCreateAttr } from '@bpfkit/uapi';
import { check } from '../bpf/check.js';
import type { ProgRecord } from '../bpf/prog-record.js';
import { splitPath, walkComponents, walkStart } from '../fs/namei.js';
import { procRead } from '../fs/proc.js';
import type { SyscallContext } from '../task/syscall-context.js';

/** `MAX_UPROBE_MULTI_CNT`. */
const MAX_UPROBE_MULTI_CNT = 1 << 20;
/** `PATH_MAX`: how far `strndup_user` reads the path. */
const PATH_MAX = 4096;
const AT_FDCWD = -100;

type LinkCreateAttr = ReturnType<typeof decodeLinkCreateAttr>;

function readU64(task: SyscallContext, base: bigint, i: number): bigint {
  const b = task.memory.read(base + BigInt(i * 8), 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** `strndup_user(upath, PATH_MAX)`: EFAULT for memory it cannot read, EINVAL with no NUL in PATH_MAX bytes. */
function pathFromUser(task: SyscallContext, addr: bigint): string {
  const bytes: number[] = [];
  for (let i = 0; i < PATH_MAX; i++) {
    const c = task.memory.read(addr + BigInt(i), 1)[0] ?? 0;
    if (c === 0) return new TextDecoder().decode(Uint8Array.from(bytes));
    bytes.push(c);
  }
  throw new BpfError('EINVAL', 'link:uprobe-path-too-long', `the uprobe_multi path has no NUL in its first ${PATH_MAX} bytes`);
}

/**
 * `kern_path(name, LOOKUP_FOLLOW)` then `d_is_reg`: whether the path names a regular file
 * (bpffs pins are; the empty path is the working directory). Inside /proc, the process
 * directories are directories and a file the simulated /proc can read is a regular one;
 * anything else there is ENOENT, as the lookup's.
 */
function isRegular(task: SyscallContext, name: string): boolean {
  const ctx = task.walkContext();
  const r = name === '' ? ctx.cwd : walkComponents(ctx, walkStart(ctx, AT_FDCWD, name), splitPath(name));
  if (!('proc' in r)) return r.inode.kind !== 'dir' && r.inode.kind !== 'symlink';
  const rest = r.proc;
  if (rest.length === 0 || (rest.length === 1 && (rest[0] === 'self' || /^\d+$/.test(rest[0] ?? '')))) return false;
  procRead(task, rest);
  return true;
}

/**
 * `bpf_uprobe_multi_link_attach` (6.18), in its order: `link_create.flags` must be 0 and the
 * program loaded for uprobe_multi (EINVAL); only `BPF_F_UPROBE_MULTI_RETURN` in
 * `uprobe_multi.flags`, a path, offsets, a count and a pid not negative (EINVAL); at most
 * 2^20 probes (E2BIG); the path copied in (EFAULT, EINVAL) and looked up (ENOENT…; an
 * empty one is the working directory), a regular file (EBADF); the pid a live process
 * (ESRCH); then each probe's offset (EFAULT; negative EINVAL), semaphore offset and
 * cookie (EFAULT). Registering the first uprobe needs the file's page cache to read
 * instructions from, which no file of the simulated kernel has: EIO, as Linux gives for
 * files without `read_folio` (bpffs pins, /proc files).
 */
export function uprobeMultiLinkAttach(task: SyscallContext, p: ProgRecord, attr: LinkCreateAttr): never {
  const core = task.core;
  check(core, 'bpf_uprobe_multi_link_attach:flags', attr.flags === 0, 'EINVAL', 'link:flags', {
    pass: 'no link_create flags', fail: `link_create.flags 0x${attr.flags.toString(16)} must be 0 for a uprobe_multi link`,
  });
  const multi = p.expectedAttachType === A.BPF_TRACE_UPROBE_MULTI || p.expectedAttachType === A.BPF_TRACE_UPROBE_SESSION;
  check(core, 'bpf_uprobe_multi_link_attach:is_uprobe_multi', multi, 'EINVAL', 'link:attach-type', {
    pass: 'the program was loaded for uprobe_multi',
    fail: `the program was loaded for attach type ${p.expectedAttachType}, not BPF_TRACE_UPROBE_MULTI`,
  });
  const flags = attr['uprobe_multi.flags'];
  check(core, 'bpf_uprobe_multi_link_attach:uprobe_multi.flags', (flags & ~BPF_F_UPROBE_MULTI_RETURN) === 0, 'EINVAL', 'link:uprobe-multi-flags', {
    pass: `uprobe_multi.flags 0x${flags.toString(16)}`, fail: `uprobe_multi.flags 0x${flags.toString(16)} has bits other than BPF_F_UPROBE_MULTI_RETURN`,
  });
  const upath = attr['uprobe_multi.path'];
  const uoffsets = attr['uprobe_multi.offsets'];
  const cnt = attr['uprobe_multi.cnt'];
  const pid = attr['uprobe_multi.pid'] | 0;
  check(core, 'bpf_uprobe_multi_link_attach:args', upath !== 0n && uoffsets !== 0n && cnt !== 0 && pid >= 0, 'EINVAL', 'link:uprobe-multi-args', {
    pass: `path, ${cnt} offsets, pid ${pid}`, fail: 'uprobe_multi needs a path, offsets, a count and a pid that is not negative',
  });
  check(core, 'bpf_uprobe_multi_link_attach:cnt', cnt <= MAX_UPROBE_MULTI_CNT, 'E2BIG', 'link:uprobe-multi-too-many', {
    pass: `${cnt} probes`, fail: `${cnt} probes is more than ${MAX_UPROBE_MULTI_CNT}`,
  });
  const name = pathFromUser(task, upath);
  check(core, 'bpf_uprobe_multi_link_attach:d_is_reg', isRegular(task, name), 'EBADF', 'link:uprobe-not-regular', {
    pass: `${name} is a regular file`, fail: `${name === '' ? 'the working directory' : name} is not a regular file`,
  });
  if (pid !== 0) {
    check(core, 'bpf_uprobe_multi_link_attach:pid', core.tasks.has(pid), 'ESRCH', 'link:no-such-process', {
      pass: `process ${pid}`, fail: `no process ${pid}`,
    });
  }
  const urefCtr = attr['uprobe_multi.ref_ctr_offsets'];
  const ucookies = attr['uprobe_multi.cookies'];
  for (let i = 0; i < cnt; i++) {
    const offset = BigInt.asIntN(64, readU64(task, uoffsets, i));
    if (offset < 0n) throw new BpfError('EINVAL', 'link:uprobe-negative-offset', `uprobe_multi offset ${i} is negative (${offset})`);
    if (urefCtr !== 0n) readU64(task, urefCtr, i);
    if (ucookies !== 0n) readU64(task, ucookies, i);
  }
  throw new BpfError('EIO', 'link:uprobe-no-read-folio', `${name}: the simulated kernel's files have no page cache to read instructions from`);
}
