import { MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '@bpfkit/kernel-api';
import { BPF_F_MMAPABLE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BpfCmd, BpfMapType as M, BpfProgType, decodeAttrGroup, encodeAttrGroup, encodeGetIdAttr, encodeProgLoadAttr } from '@bpfkit/uapi';
import { freeze, hex, lookup, mapCreate, u32, u64, update } from './ops.js';
import type { CaseRunner, SyscallCase } from './runner.js';

const RW = PROT_READ | PROT_WRITE;
const array = (r: CaseRunner, step: string, maxEntries: number, flags: number): number | undefined =>
  mapCreate(r, step, { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: maxEntries, map_flags: flags });

/** mmap() of BPF_F_MMAPABLE arrays: what may be mapped, and that the mapping is the map's memory. */
const ARRAY_MMAP: SyscallCase = {
  name: 'mmap: arrays',
  run(r) {
    const fd = array(r, 'create a BPF_F_MMAPABLE array', 4, BPF_F_MMAPABLE);
    const plain = array(r, 'create an array without BPF_F_MMAPABLE', 4, 0);
    const big = array(r, 'create a 1000-entry BPF_F_MMAPABLE array', 1000, BPF_F_MMAPABLE);
    const hash = mapCreate(r, 'create a hash', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 4 });
    const roProg = array(r, 'create with BPF_F_RDONLY_PROG', 4, BPF_F_MMAPABLE | BPF_F_RDONLY_PROG);
    const roFd = array(r, 'create with BPF_F_RDONLY', 4, BPF_F_MMAPABLE | BPF_F_RDONLY);
    const woFd = array(r, 'create with BPF_F_WRONLY', 4, BPF_F_MMAPABLE | BPF_F_WRONLY);
    if ([fd, plain, big, hash, roProg, roFd, woFd].some((x) => x === undefined) || fd === undefined) return;
    const m = r.mmap('shared read-write mapping', fd, 4096, RW, MAP_SHARED);
    if (m !== undefined) {
      m.write(8, u64(0x1234));
      lookup(r, 'lookup sees a write through the mapping', fd, u32(1), 8);
      update(r, 'update key 2', fd, u32(2), u64(0x77));
      r.record('the mapping sees the update', hex(m.read(16, 8)));
      freeze(r, 'freeze while a writable mapping exists', fd);
      r.munmap(m);
    }
    freeze(r, 'freeze after munmap', fd);
    r.mmap('writable mapping of a frozen map', fd, 4096, RW, MAP_SHARED);
    const ro = r.mmap('read-only mapping of a frozen map', fd, 4096, PROT_READ, MAP_SHARED);
    if (ro !== undefined) r.record('the frozen map reads through the mapping', hex(ro.read(8, 8)));
    r.mmap('private mapping', big ?? 0, 4096, PROT_READ, MAP_PRIVATE);
    r.mmap('flags 0', big ?? 0, 4096, PROT_READ, 0);
    r.mmap('16 bytes (rounded to a page)', big ?? 0, 16, PROT_READ, MAP_SHARED);
    r.mmap('two pages of a one-page array', plain ?? 0, 8192, PROT_READ, MAP_SHARED);
    r.mmap('two pages of 8000 bytes of values', big ?? 0, 8192, PROT_READ, MAP_SHARED);
    r.mmap('three pages of 8000 bytes of values', big ?? 0, 12288, PROT_READ, MAP_SHARED);
    r.mmap('the second page of 8000 bytes of values', big ?? 0, 4096, PROT_READ, MAP_SHARED, 4096);
    r.mmap('offset past the values', big ?? 0, 4096, PROT_READ, MAP_SHARED, 8192);
    r.mmap('length 0', big ?? 0, 0, PROT_READ, MAP_SHARED);
    r.mmap('array without BPF_F_MMAPABLE', plain ?? 0, 4096, RW, MAP_SHARED);
    r.mmap('array without BPF_F_MMAPABLE, private', plain ?? 0, 4096, PROT_READ, MAP_PRIVATE);
    r.mmap('hash', hash ?? 0, 4096, PROT_READ, MAP_SHARED);
    r.mmap('hash, private', hash ?? 0, 4096, PROT_READ, MAP_PRIVATE);
    r.mmap('writable mapping of a BPF_F_RDONLY_PROG map', roProg ?? 0, 4096, RW, MAP_SHARED);
    r.mmap('read-only mapping of a BPF_F_RDONLY_PROG map', roProg ?? 0, 4096, PROT_READ, MAP_SHARED);
    r.mmap('writable mapping of a read-only fd', roFd ?? 0, 4096, RW, MAP_SHARED);
    r.mmap('read-only mapping of a read-only fd', roFd ?? 0, 4096, PROT_READ, MAP_SHARED);
    r.mmap('mapping of a write-only fd', woFd ?? 0, 4096, PROT_WRITE, MAP_SHARED);
    r.mmap('fd 9999', 9999, 4096, PROT_READ, MAP_SHARED);
    const btf = r.call('BTF_GET_FD_BY_ID 1 (vmlinux)', BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeGetIdAttr({ btf_id: 1 }));
    if (btf !== undefined) {
      r.own(btf);
      r.mmap('a BTF fd', btf, 4096, PROT_READ, MAP_SHARED);
    }
  },
};

/** mmap() of a ringbuf: the consumer page may be writable, the rest only readable, the data pages twice. */
const RINGBUF_MMAP: SyscallCase = {
  name: 'mmap: ringbuf',
  run(r) {
    const rb = mapCreate(r, 'create a 4096-byte ringbuf', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 });
    if (rb === undefined) return;
    r.mmap('consumer page, read-only', rb, 4096, PROT_READ, MAP_SHARED);
    r.mmap('consumer page, writable', rb, 4096, RW, MAP_SHARED);
    r.mmap('two pages, writable', rb, 8192, RW, MAP_SHARED);
    r.mmap('producer page and data, read-only', rb, 8192, PROT_READ, MAP_SHARED, 4096);
    r.mmap('producer page and data twice, read-only', rb, 12288, PROT_READ, MAP_SHARED, 4096);
    r.mmap('everything', rb, 16384, PROT_READ, MAP_SHARED);
    r.mmap('one page too many', rb, 20480, PROT_READ, MAP_SHARED);
  },
};

/** mmap() of a user ringbuf: user space produces, so the consumer page is the one page it may not write. */
const USER_RINGBUF_MMAP: SyscallCase = {
  name: 'mmap: user ringbuf',
  run(r) {
    const rb = mapCreate(r, 'create a 4096-byte user ringbuf', { map_type: M.BPF_MAP_TYPE_USER_RINGBUF, max_entries: 4096 });
    if (rb === undefined) return;
    r.mmap('consumer page, read-only', rb, 4096, PROT_READ, MAP_SHARED);
    r.mmap('consumer page, writable', rb, 4096, RW, MAP_SHARED);
    r.mmap('everything, writable', rb, 16384, RW, MAP_SHARED);
    r.mmap('producer page, writable', rb, 4096, RW, MAP_SHARED, 4096);
    const prod = r.mmap('producer page and data twice, writable', rb, 12288, RW, MAP_SHARED, 4096);
    r.mmap('one page too many, writable', rb, 16384, RW, MAP_SHARED, 4096);
    const cons = r.mmap('consumer page again, read-only', rb, 4096, PROT_READ, MAP_SHARED);
    if (prod === undefined || cons === undefined) return;
    prod.write(0, u64(16));
    r.record('producer_pos written through the mapping', hex(prod.read(0, 8)));
    r.record('consumer_pos', hex(cons.read(0, 8)));
  },
};

/** One 8-byte instruction. */
function insn(code: number, dst: number, src: number, off: number, imm: number): number[] {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  v.setUint8(0, code);
  v.setUint8(1, (src << 4) | dst);
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return [...b];
}

/** `*(u64 *)(r10 - 8) = 0x1122334455667788; bpf_ringbuf_output(rb, r10 - 8, 8, 0); r0 = XDP_PASS`. */
const SAMPLE_WRITER_FOR = (rb: number): Uint8Array => Uint8Array.from([
  ...insn(0x18, 1, 0, 0, 0x55667788), ...insn(0, 0, 0, 0, 0x11223344),
  ...insn(0x7b, 10, 1, -8, 0),
  ...insn(0x18, 1, 1, 0, rb), ...insn(0, 0, 0, 0, 0),
  ...insn(0xbf, 2, 10, 0, 0), ...insn(0x07, 2, 0, 0, -8),
  ...insn(0xb7, 3, 0, 0, 8), ...insn(0xb7, 4, 0, 0, 0),
  ...insn(0x85, 0, 0, 0, 130),
  ...insn(0xb7, 0, 0, 0, 2), ...insn(0x95, 0, 0, 0, 0),
]);
const SAMPLE_WRITER = SAMPLE_WRITER_FOR(0);

/** A program's samples read through a ringbuf mapping: consumer and producer positions, record header, payload. */
const RINGBUF_CONSUMER: SyscallCase = {
  name: 'mmap: ringbuf samples written by a program',
  run(r) {
    const rb = mapCreate(r, 'create a 4096-byte ringbuf', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 });
    if (rb === undefined) return;
    const insns = SAMPLE_WRITER_FOR(rb);
    const prog = r.call('load an xdp program writing one sample', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(new TextEncoder().encode('GPL\0')),
    }));
    if (prog === undefined) return;
    r.own(prog);
    const run = encodeAttrGroup('test', { prog_fd: prog, data_in: r.mem(new Uint8Array(64)), data_size_in: 64, data_out: r.mem(64), data_size_out: 64, repeat: 2 });
    r.call('run it twice', BpfCmd.BPF_PROG_TEST_RUN, run);
    const m = r.mmap('map consumer, producer and data pages read-only', rb, 3 * 4096, PROT_READ, MAP_SHARED);
    if (m === undefined) return;
    r.record('consumer_pos', hex(m.read(0, 8)));
    r.record('producer_pos', hex(m.read(4096, 8)));
    r.record('first record: header and payload', hex(m.read(8192, 16)));
    r.record('second record: header and payload', hex(m.read(8208, 16)));
  },
};

/** A consumer frees room by writing `consumer_pos` through its writable consumer page. */
const RINGBUF_CONSUME: SyscallCase = {
  name: 'mmap: a ringbuf consumer frees room through the consumer page',
  run(r) {
    const rb = mapCreate(r, 'create a 4096-byte ringbuf', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 });
    if (rb === undefined) return;
    const prog = r.call('load an xdp program writing one sample', BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insn_cnt: SAMPLE_WRITER.length / 8, insns: r.mem(SAMPLE_WRITER_FOR(rb)), license: r.mem(new TextEncoder().encode('GPL\0')),
    }));
    if (prog === undefined) return;
    r.own(prog);
    const runs = (n: number): Uint8Array => encodeAttrGroup('test', { prog_fd: prog, data_in: r.mem(new Uint8Array(64)), data_size_in: 64, data_out: r.mem(64), data_size_out: 64, repeat: n });
    r.call('run it 300 times (more than 4096 bytes of records)', BpfCmd.BPF_PROG_TEST_RUN, runs(300));
    const m = r.mmap('map consumer, producer and data pages read-only', rb, 3 * 4096, PROT_READ, MAP_SHARED);
    const consumer = r.mmap('map the consumer page writable', rb, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (m === undefined || consumer === undefined) return;
    r.record('producer_pos stops at a full ring', hex(m.read(4096, 8)));
    consumer.write(0, m.read(4096, 8));
    r.record('consumer_pos after consuming everything', hex(m.read(0, 8)));
    r.call('run it once more', BpfCmd.BPF_PROG_TEST_RUN, runs(1));
    r.record('producer_pos moves on once there is room', hex(m.read(4096, 8)));
  },
};

/** `return bpf_ringbuf_query(rb, flags)`: the low 32 bits come back as the test run's retval. */
const QUERY_FOR = (rb: number, flags: number): Uint8Array => Uint8Array.from([
  ...insn(0x18, 1, 1, 0, rb), ...insn(0, 0, 0, 0, 0),
  ...insn(0xb7, 2, 0, 0, flags),
  ...insn(0x85, 0, 0, 0, 134),
  ...insn(0x95, 0, 0, 0, 0),
]);

/**
 * `consumer_pos` values user space stores through its consumer page: what
 * `bpf_ringbuf_query` reports for them, and how far the producer may go
 * (the distance is unsigned 64-bit, so a position ahead of the producer leaves no room).
 */
const RINGBUF_CONSUMER_POS: SyscallCase = {
  name: 'mmap: ringbuf consumer_pos stored by user space, seen by the producer and bpf_ringbuf_query',
  run(r) {
    const rb = mapCreate(r, 'create a 4096-byte ringbuf', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 });
    if (rb === undefined) return;
    const load = (step: string, insns: Uint8Array): number | undefined => {
      const fd = r.call(step, BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
        prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insn_cnt: insns.length / 8, insns: r.mem(insns), license: r.mem(new TextEncoder().encode('GPL\0')),
      }));
      return fd === undefined ? undefined : r.own(fd);
    };
    const writer = load('load an xdp program writing one sample', SAMPLE_WRITER_FOR(rb));
    const queries: [string, number | undefined][] = [
      ['BPF_RB_AVAIL_DATA', load('load a program returning BPF_RB_AVAIL_DATA', QUERY_FOR(rb, 0))],
      ['BPF_RB_CONS_POS', load('load a program returning BPF_RB_CONS_POS', QUERY_FOR(rb, 2))],
      ['BPF_RB_PROD_POS', load('load a program returning BPF_RB_PROD_POS', QUERY_FOR(rb, 3))],
    ];
    const m = r.mmap('map consumer, producer and data pages read-only', rb, 3 * 4096, PROT_READ, MAP_SHARED);
    const consumer = r.mmap('map the consumer page writable', rb, 4096, PROT_READ | PROT_WRITE, MAP_SHARED);
    if (writer === undefined || m === undefined || consumer === undefined) return;
    const run = (step: string, prog: number, repeat: number): void => {
      const a = encodeAttrGroup('test', { prog_fd: prog, data_in: r.mem(new Uint8Array(64)), data_size_in: 64, data_out: r.mem(64), data_size_out: 64, repeat });
      r.call(step, BpfCmd.BPF_PROG_TEST_RUN, a, () => ({ retval: decodeAttrGroup('test', a).retval }));
    };
    const observe = (when: string): void => {
      for (const [name, fd] of queries) if (fd !== undefined) run(`${name} ${when}`, fd, 1);
      r.record(`producer_pos ${when}`, hex(m.read(4096, 8)));
    };
    run('write 10 samples', writer, 10);
    observe('after 10 samples');
    consumer.write(0, u64(64));
    observe('after consumer_pos 64 is stored');
    consumer.write(0, u64(4096));
    run('write one sample with consumer_pos ahead of the producer', writer, 1);
    observe('with consumer_pos ahead of the producer');
    consumer.write(0, u64(160n + 16n - 4080n));
    run('write two samples with room for one (consumer_pos below 0 as a u64)', writer, 2);
    observe('with room for one sample');
  },
};

/** mmap() cases, recorded on Linux 6.18. */
export const MMAP_CASES: readonly SyscallCase[] = [ARRAY_MMAP, RINGBUF_MMAP, USER_RINGBUF_MMAP, RINGBUF_CONSUMER, RINGBUF_CONSUME, RINGBUF_CONSUMER_POS];
