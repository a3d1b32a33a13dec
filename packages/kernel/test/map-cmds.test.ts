import test from 'ava';
import { MAP_SHARED, PROT_READ, PROT_WRITE, type Kernel } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import {
  BPF_F_PATH_FD,
  BPF_F_TOKEN_FD,
  BpfAttachType,
  encodeAttr,
  BPF_F_MMAPABLE,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BpfCmd,
  BpfMapType,
  BpfProgType,
  decodeAttrGroup,
  encodeAttrGroup,
  encodeGetIdAttr,
  encodeInfoAttr,
  encodeMapElemAttr,
} from '@bpfkit/uapi';
import { container, delegated, tokenAttr } from './helpers.js';
import { arrayMap, counterProg, createMap, errnoOf, freeze, insn, loadProg, lookup, readU64, testRun, u32, u64, update } from './bpf-calls.js';

/** What must be back to its old value after a failing call. */
function live(k: Kernel): unknown {
  const { objects, fds, files, arenaBytes, mappings } = k.counts();
  return { objects, fds, files, arenaBytes, mappings };
}

test('a map lives in the arena until its last fd closes, then its memory is freed', (t) => {
  const k = createDefaultKernel();
  const before = live(k);
  const fd = arrayMap(k.init, 1024);
  t.true((k.counts().arenaBytes ?? 0) >= 8 * 1024);
  k.init.close(fd);
  t.deepEqual(live(k), before);
});

test('failing element commands leave no object, fd or arena byte behind', (t) => {
  const k = createDefaultKernel();
  const fd = arrayMap(k.init);
  const before = live(k);
  const calls: (() => unknown)[] = [
    () => update(k.init, fd, u32(9), u64(1)),
    () => update(k.init, 9999, u32(0), u64(1)),
    () => k.init.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: fd, key: 0n, value: 0n })),
    () => k.init.bpf(BpfCmd.BPF_MAP_LOOKUP_BATCH, encodeAttrGroup('batch', { map_fd: fd, count: 2 })),
    () => k.init.bpf(BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeGetIdAttr({ map_id: 9999 })),
    () => k.init.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 104, info: 0n })),
  ];
  for (const call of calls) {
    t.not(errnoOf(call), undefined);
    t.deepEqual(live(k), before);
  }
});

test('a failed MAP_CREATE after the map types checks leaves no arena bytes behind', (t) => {
  const k = createDefaultKernel();
  const before = live(k);
  t.is(errnoOf(() => createMap(k.init, { map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_name: 'bad name' })), 'EINVAL');
  t.deepEqual(live(k), before);
});

test('a frozen map refuses syscall writes (EPERM) but still reads, and a second freeze is EPERM', (t) => {
  const k = createDefaultKernel();
  const fd = arrayMap(k.init);
  update(k.init, fd, u32(1), u64(7));
  freeze(k.init, fd);
  t.is(errnoOf(() => update(k.init, fd, u32(1), u64(8))), 'EPERM');
  t.is(readU64(lookup(k.init, fd, u32(1))), 7n);
  t.is(errnoOf(() => freeze(k.init, fd)), 'EPERM');
});

test('an fd opened read-only by MAP_GET_FD_BY_ID cannot update (EPERM)', (t) => {
  const k = createDefaultKernel();
  const fd = arrayMap(k.init);
  const ro = k.init.bpf(BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeGetIdAttr({ map_id: 1, open_flags: BPF_F_RDONLY }));
  t.is(errnoOf(() => update(k.init, ro, u32(0), u64(1))), 'EPERM');
  t.is(errnoOf(() => update(k.init, fd, u32(0), u64(1))), undefined);
});

test('MAP_GET_FD_BY_ID needs CAP_SYS_ADMIN in the initial user namespace', (t) => {
  const k = createDefaultKernel();
  arrayMap(k.init);
  const u = k.init.fork();
  u.setresuid(1000, 1000, 1000);
  t.is(errnoOf(() => u.bpf(BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeGetIdAttr({ map_id: 1 }))), 'EPERM');
});

test('a program run by PROG_TEST_RUN updates the map it names; the engine choice does not change the result', (t) => {
  for (const engine of ['interp', 'wasm'] as const) {
    const k = createDefaultKernel({ engine });
    const m = arrayMap(k.init, 1);
    const prog = counterProg(k.init, m);
    const attr = testRun(k.init, prog, 5);
    const res = decodeAttrGroup('test', attr);
    t.is(res.retval, 2, engine);
    t.is(res.data_size_out, 64, engine);
    t.is(readU64(lookup(k.init, m, u32(0))), 5n, engine);
  }
});

test('a program keeps its maps alive after their fds are closed', (t) => {
  const k = createDefaultKernel();
  const m = arrayMap(k.init, 1);
  const prog = counterProg(k.init, m);
  k.init.close(m);
  t.is(k.counts().byKind['map'], 1);
  testRun(k.init, prog, 2);
  const again = k.init.bpf(BpfCmd.BPF_MAP_GET_FD_BY_ID, encodeGetIdAttr({ map_id: 1 }));
  t.is(readU64(lookup(k.init, again, u32(0))), 2n);
  k.init.close(again);
  k.init.close(prog);
  t.is(k.counts().byKind['map'], 0);
  t.is(k.counts().byKind['prog'], 0);
});

test('bpf_trace_printk lines appear in trace_pipe once, tagged with the task and the message', (t) => {
  const k = createDefaultKernel();
  // "hi\n\0" on the stack, then bpf_trace_printk(fp - 8, 4)
  const prog = loadProg(k.init, BpfProgType.BPF_PROG_TYPE_XDP, [
    ...insn(0x18, 1, 0, 0, 0x000a_6968), ...insn(0, 0, 0, 0, 0),
    ...insn(0x7b, 10, 1, -8, 0),
    ...insn(0xbf, 1, 10, 0, 0), ...insn(0x07, 1, 0, 0, -8),
    ...insn(0xb7, 2, 0, 0, 4),
    ...insn(0x85, 0, 0, 0, 6),
    ...insn(0xb7, 0, 0, 0, 2),
    ...insn(0x95, 0, 0, 0, 0),
  ]);
  testRun(k.init, prog);
  const text = k.init.readFile('/sys/kernel/tracing/trace_pipe');
  t.regex(text, /bpfkit-1 .*bpf_trace_printk: hi\n$/);
  t.is(k.init.readFile('/sys/kernel/tracing/trace_pipe'), '');
});

test('mmap of a BPF_F_MMAPABLE array is a live view: writes through it are what lookups see, and back', (t) => {
  const k = createDefaultKernel();
  const fd = arrayMap(k.init, 4, BPF_F_MMAPABLE);
  const m = k.init.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
  m.write(8, u64(42));
  t.is(readU64(lookup(k.init, fd, u32(1))), 42n);
  update(k.init, fd, u32(2), u64(9));
  t.is(readU64(m.read(16, 8)), 9n);
  k.init.munmap(m);
  t.is(k.counts().mappings, 0);
});

test('mmap errnos follow do_mmap and bpf_map_mmap', (t) => {
  const k = createDefaultKernel();
  const task = k.init;
  const rw = PROT_READ | PROT_WRITE;
  const mm = arrayMap(task, 4, BPF_F_MMAPABLE);
  const plain = arrayMap(task, 4);
  const hash = createMap(task, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 4 });
  const roProg = arrayMap(task, 4, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
  const roFd = arrayMap(task, 4, BPF_F_MMAPABLE | BPF_F_RDONLY);
  const before = live(k);
  const cases: [string, () => unknown, string][] = [
    ['private', () => task.mmap(mm, 4096, rw, 2), 'EINVAL'],
    ['past the map', () => task.mmap(mm, 8192, PROT_READ, MAP_SHARED), 'EINVAL'],
    ['unaligned offset', () => task.mmap(mm, 4096, PROT_READ, MAP_SHARED, 100), 'EINVAL'],
    ['array without BPF_F_MMAPABLE', () => task.mmap(plain, 4096, rw, MAP_SHARED), 'EINVAL'],
    ['hash', () => task.mmap(hash, 4096, PROT_READ, MAP_SHARED), 'ENOTSUPP'],
    ['writable, BPF_F_RDONLY_PROG', () => task.mmap(roProg, 4096, rw, MAP_SHARED), 'EACCES'],
    ['writable, read-only fd', () => task.mmap(roFd, 4096, rw, MAP_SHARED), 'EACCES'],
    ['read-only fd', () => task.mmap(roFd, 4096, PROT_READ, MAP_SHARED), 'EINVAL'],
    ['fd 999', () => task.mmap(999, 4096, PROT_READ, MAP_SHARED), 'EBADF'],
    ['not a map', () => task.mmap(task.open('/proc'), 4096, PROT_READ, MAP_SHARED), 'ENODEV'],
  ];
  for (const [what, call, errno] of cases) t.is(errnoOf(call), errno, what);
  t.is(errnoOf(() => task.mmap(roProg, 4096, PROT_READ, MAP_SHARED)), undefined);
  t.not(k.counts().mappings, (before as { mappings: number }).mappings);
});

test('a writable mapping blocks freeze (EBUSY); a frozen map can only be mapped read-only (EPERM)', (t) => {
  const k = createDefaultKernel();
  const fd = arrayMap(k.init, 4, BPF_F_MMAPABLE);
  const m = k.init.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
  t.is(errnoOf(() => freeze(k.init, fd)), 'EBUSY');
  k.init.munmap(m);
  freeze(k.init, fd);
  t.is(errnoOf(() => k.init.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED)), 'EPERM');
  const ro = k.init.mmap(fd, 4096, PROT_READ, MAP_SHARED);
  t.is(errnoOf(() => { ro.write(0, u64(1)); }), 'EFAULT');
});

test('a mapping keeps its map alive after the fd closes; exit unmaps it', (t) => {
  const k = createDefaultKernel();
  const child = k.init.fork({ fds: 'empty' });
  const fd = arrayMap(child, 4, BPF_F_MMAPABLE);
  const m = child.mmap(fd, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
  child.close(fd);
  t.is(k.counts().byKind['map'], 1);
  m.write(0, u64(5));
  child.exit();
  t.is(k.counts().byKind['map'], 0);
  t.is(k.counts().mappings, 0);
  t.is(errnoOf(() => m.read(0, 8)), 'EFAULT');
});

test('createDefaultKernel takes engine interp or wasm and refuses anything else', (t) => {
  t.notThrows(() => createDefaultKernel({ engine: 'interp' }));
  t.notThrows(() => createDefaultKernel({ engine: 'wasm' }));
  t.throws(() => createDefaultKernel({ engine: 'jit' as 'wasm' }), { instanceOf: TypeError });
});


test('fdinfo of a map and a program has the kernel lines (map_type … frozen; prog_type … prog_tag … verified_insns)', (t) => {
  const k = createDefaultKernel({ engine: 'wasm' });
  const m = arrayMap(k.init);
  freeze(k.init, m);
  const map = k.init.readFile(`/proc/self/fdinfo/${m}`);
  t.regex(map, /\nmap_type:\t2\nkey_size:\t4\nvalue_size:\t8\nmax_entries:\t4\nmap_flags:\t0x0\nmap_extra:\t0x0\nmemlock:\t\d+\nmap_id:\t1\nfrozen:\t1\n$/);
  const p = loadProg(k.init, BpfProgType.BPF_PROG_TYPE_XDP, [...insn(0xb7, 0, 0, 0, 2), ...insn(0x95, 0, 0, 0, 0)]);
  const prog = k.init.readFile(`/proc/self/fdinfo/${p}`);
  // The tag Linux 6.18 reports for `r0 = 2; exit`.
  t.regex(prog, /\nprog_type:\t6\nprog_jited:\t1\nprog_tag:\t614b434cd8324ecc\nmemlock:\t4096\nprog_id:\t1\nrun_time_ns:\t0\nrun_cnt:\t0\nrecursion_misses:\t0\nverified_insns:\t2\n$/);
});

test('a program loaded with a token in a container: the container sees its own uid and, without CAP_BPF in init, no instructions', (t) => {
  const k = createDefaultKernel();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' });
  const token = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  const prog = c.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, {
    prog_type: BpfProgType.BPF_PROG_TYPE_XDP, expected_attach_type: BpfAttachType.BPF_XDP, insn_cnt: 2,
    insns: c.memory.alloc(Uint8Array.from([...insn(0xb7, 0, 0, 0, 2), ...insn(0x95, 0, 0, 0, 0)])),
    license: c.memory.alloc(new TextEncoder().encode('GPL\0')), prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
  }));
  const info = (task: typeof c, fd: number): DataView => {
    const buf = task.memory.alloc(232);
    task.bpf(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, encodeInfoAttr({ bpf_fd: fd, info_len: 232, info: buf }));
    return new DataView(task.memory.read(buf, 232).buffer);
  };
  const inside = info(c, prog);
  t.is(inside.getUint32(48, true), 0, 'created_by_uid as the container sees it');
  t.is(inside.getUint32(20, true), 0, 'xlated_prog_len hidden without CAP_BPF in the initial namespace');
  const passed = c.passFd(prog, k.init);
  const outside = info(k.init, passed);
  t.is(outside.getUint32(48, true), 100000);
  t.is(outside.getUint32(20, true), 16);
  t.is(errnoOf(() => c.bpf(BpfCmd.BPF_PROG_GET_FD_BY_ID, encodeGetIdAttr({ prog_id: 1 }))), 'EPERM');
});

test('a prog array holding a program that uses it is cleared when its last fd closes, so neither leaks', (t) => {
  const k = createDefaultKernel();
  const before = live(k);
  const pa = createMap(k.init, { map_type: BpfMapType.BPF_MAP_TYPE_PROG_ARRAY, key_size: 4, value_size: 4, max_entries: 2 });
  // r2 = prog array; r3 = 0; tail_call; r0 = 2; exit
  const prog = loadProg(k.init, BpfProgType.BPF_PROG_TYPE_XDP, [
    ...insn(0x18, 2, 1, 0, pa), ...insn(0, 0, 0, 0, 0), ...insn(0xb7, 3, 0, 0, 0), ...insn(0x85, 0, 0, 0, 12),
    ...insn(0xb7, 0, 0, 0, 2), ...insn(0x95, 0, 0, 0, 0),
  ]);
  update(k.init, pa, u32(0), u32(prog));
  k.init.close(prog);
  t.is(k.counts().byKind['prog'], 1, 'the slot keeps the program');
  k.init.close(pa);
  t.deepEqual(live(k), before);
});

test('an fd from OBJ_GET with BPF_F_RDONLY reads the pinned map but cannot update it (EPERM)', (t) => {
  const k = createDefaultKernel();
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' });
  const token = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  const map = c.bpf(BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, {
    map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1, map_flags: BPF_F_TOKEN_FD, map_token_fd: token,
  }));
  const name = c.memory.alloc(new TextEncoder().encode('m\0'));
  c.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: map, file_flags: BPF_F_PATH_FD, path_fd: bpffs }));
  const ro = c.bpf(BpfCmd.BPF_OBJ_GET, encodeAttr(BpfCmd.BPF_OBJ_GET, { pathname: name, file_flags: BPF_F_PATH_FD | BPF_F_RDONLY, path_fd: bpffs }));
  t.is(readU64(lookup(c, ro, u32(0))), 0n);
  t.is(errnoOf(() => update(c, ro, u32(0), u64(1))), 'EPERM');
  t.is(errnoOf(() => update(c, map, u32(0), u64(1))), undefined);
});
