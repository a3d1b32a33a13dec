import {
  BPF_ATTR_SIZE,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_RDONLY,
  BPF_F_WRONLY,
  BpfCmd,
  BpfMapType as M,
  BpfProgType as P,
  encodeBtfLoadAttr,
  encodeMapCreateAttr,
  encodeProgLoadAttr,
  encodeTokenCreateAttr,
  type MapCreateAttr,
  type ProgLoadAttr,
} from '@bpfkit/uapi';
import { BTF_INT, GPL, RETURN_ZERO, call, exit, ja, ldxDw, movImm, movReg, program, stxDw } from './bpf-bytes.js';
import type { CaseEnv, DiffCase } from './differential.js';

const mapCase = (name: string, fields: MapCreateAttr): DiffCase => ({
  name: `map_create: ${name}`,
  cmd: BpfCmd.BPF_MAP_CREATE,
  attr: () => encodeMapCreateAttr(fields),
});

/** MAP_CREATE over several map types, valid and invalid sizes and flags. */
export const MAP_CASES: readonly DiffCase[] = [
  mapCase('array 4/8/4', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }),
  mapCase('array key_size 8', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 8, value_size: 8, max_entries: 4 }),
  mapCase('array value_size 0', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 0, max_entries: 4 }),
  mapCase('array max_entries 0', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 0 }),
  mapCase('array BPF_F_NO_PREALLOC', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_flags: BPF_F_NO_PREALLOC }),
  mapCase('array unknown flag bit 31', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_flags: 0x8000_0000 }),
  mapCase('array RDONLY|WRONLY', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_flags: BPF_F_RDONLY | BPF_F_WRONLY }),
  mapCase('array NUMA node 4096', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_flags: BPF_F_NUMA_NODE, numa_node: 4096 }),
  mapCase('array numa_node without BPF_F_NUMA_NODE', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, numa_node: 1 }),
  mapCase('array valid name', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_name: 'my_map.1' }),
  mapCase('array name with a space', { map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4, map_name: 'my map' }),
  mapCase('percpu_array 4/8/4', { map_type: M.BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }),
  mapCase('hash 4/8/16', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16 }),
  mapCase('hash BPF_F_NO_PREALLOC', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16, map_flags: BPF_F_NO_PREALLOC }),
  mapCase('hash key_size 0', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 0, value_size: 8, max_entries: 16 }),
  mapCase('hash value_size 0', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 0, max_entries: 16 }),
  mapCase('hash max_entries 0', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 0 }),
  mapCase('hash key_size 1024', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 1024, value_size: 8, max_entries: 16 }),
  mapCase('lru_hash 4/8/16', { map_type: M.BPF_MAP_TYPE_LRU_HASH, key_size: 4, value_size: 8, max_entries: 16 }),
  mapCase('ringbuf 4096', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4096 }),
  mapCase('ringbuf 4097 (not a power of 2)', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 4097 }),
  mapCase('ringbuf 12288 (page multiple, not a power of 2)', { map_type: M.BPF_MAP_TYPE_RINGBUF, max_entries: 12288 }),
  mapCase('ringbuf key_size 4', { map_type: M.BPF_MAP_TYPE_RINGBUF, key_size: 4, max_entries: 4096 }),
  mapCase('queue 0/4/8', { map_type: M.BPF_MAP_TYPE_QUEUE, value_size: 4, max_entries: 8 }),
  mapCase('queue key_size 4', { map_type: M.BPF_MAP_TYPE_QUEUE, key_size: 4, value_size: 4, max_entries: 8 }),
  mapCase('stack 0/4/8', { map_type: M.BPF_MAP_TYPE_STACK, value_size: 4, max_entries: 8 }),
  mapCase('lpm_trie without BPF_F_NO_PREALLOC', { map_type: M.BPF_MAP_TYPE_LPM_TRIE, key_size: 8, value_size: 4, max_entries: 16 }),
  mapCase('lpm_trie with BPF_F_NO_PREALLOC', { map_type: M.BPF_MAP_TYPE_LPM_TRIE, key_size: 8, value_size: 4, max_entries: 16, map_flags: BPF_F_NO_PREALLOC }),
  mapCase('lpm_trie key_size 4 (no data after prefixlen)', { map_type: M.BPF_MAP_TYPE_LPM_TRIE, key_size: 4, value_size: 4, max_entries: 16, map_flags: BPF_F_NO_PREALLOC }),
  mapCase('bloom_filter map_extra 3', { map_type: M.BPF_MAP_TYPE_BLOOM_FILTER, value_size: 4, max_entries: 16, map_extra: 3n }),
  mapCase('bloom_filter map_extra 16', { map_type: M.BPF_MAP_TYPE_BLOOM_FILTER, value_size: 4, max_entries: 16, map_extra: 16n }),
  mapCase('bloom_filter key_size 4', { map_type: M.BPF_MAP_TYPE_BLOOM_FILTER, key_size: 4, value_size: 4, max_entries: 16 }),
  mapCase('map_extra on a hash', { map_type: M.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16, map_extra: 1n }),
  mapCase('unknown type 99', { map_type: 99, key_size: 4, value_size: 8, max_entries: 4 }),
  {
    name: "map_create: non-zero byte past the command's last field",
    cmd: BpfCmd.BPF_MAP_CREATE,
    attr: () => {
      const a = encodeMapCreateAttr({ map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }, BPF_ATTR_SIZE);
      a[100] = 1;
      return a;
    },
  },
  {
    name: 'map_create: attr longer than sizeof(union bpf_attr) with a non-zero byte',
    cmd: BpfCmd.BPF_MAP_CREATE,
    attr: () => {
      const a = encodeMapCreateAttr({ map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }, BPF_ATTR_SIZE + 16);
      a[BPF_ATTR_SIZE + 15] = 0xff;
      return a;
    },
  },
  {
    name: 'map_create: attr longer than sizeof(union bpf_attr), tail all zero',
    cmd: BpfCmd.BPF_MAP_CREATE,
    attr: () => encodeMapCreateAttr({ map_type: M.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 }, BPF_ATTR_SIZE + 16),
  },
  { name: 'unknown command 200', cmd: 200, attr: () => new Uint8Array(16) },
];

const progCase = (name: string, insns: Uint8Array, extra: (env: CaseEnv) => ProgLoadAttr = () => ({})): DiffCase => ({
  name: `prog_load: ${name}`,
  cmd: BpfCmd.BPF_PROG_LOAD,
  attr: (env) =>
    encodeProgLoadAttr({
      prog_type: P.BPF_PROG_TYPE_SOCKET_FILTER,
      insn_cnt: insns.length / 8,
      insns: env.bytes(insns),
      license: env.bytes(GPL),
      ...extra(env),
    }),
});

const withLog = (level: number, size: number) => (env: CaseEnv): ProgLoadAttr => ({ log_level: level, log_size: size, log_buf: env.bytes(size) });

/** PROG_LOAD as root: trivial, pointer-leaking, helper-calling and malformed programs. */
export const PROG_CASES: readonly DiffCase[] = [
  progCase('socket filter r0 = 0; exit', RETURN_ZERO),
  progCase('socket filter r0 = 0; exit, log level 1', RETURN_ZERO, withLog(1, 4096)),
  progCase('xdp r0 = 0; exit', RETURN_ZERO, () => ({ prog_type: P.BPF_PROG_TYPE_XDP })),
  progCase('kprobe r0 = 0; exit', RETURN_ZERO, () => ({ prog_type: P.BPF_PROG_TYPE_KPROBE })),
  progCase('unknown prog type 999', RETURN_ZERO, () => ({ prog_type: 999 })),
  progCase('insn_cnt 0', new Uint8Array(0)),
  progCase('exit without setting r0', program(exit())),
  progCase('returns the frame pointer (r0 = r10)', program(movReg(0, 10), exit())),
  progCase('returns the context pointer (r0 = r1)', program(movReg(0, 1), exit())),
  progCase('spills r10 to the stack, returns 0', program(stxDw(10, 10, -8), movImm(0, 0), exit())),
  progCase('reads an uninitialised stack slot', program(ldxDw(0, 10, -8), exit())),
  progCase('calls bpf_get_prandom_u32', program(call(7), exit())),
  progCase('calls bpf_ktime_get_ns', program(call(5), exit())),
  progCase('calls unknown helper 10000', program(call(10000), exit())),
  progCase('calls bpf_probe_read_kernel (not for socket filters)', program(call(113), movImm(0, 0), exit())),
  progCase('jump out of range', program(ja(5), movImm(0, 0), exit())),
  progCase('falls off the end', program(movImm(0, 0))),
  progCase('unreachable instruction', program(movImm(0, 0), exit(), movImm(0, 1), exit())),
  progCase('log level 1 with a 16-byte buffer', RETURN_ZERO, withLog(1, 16)),
  progCase('log level 2 into a 128-byte buffer (ENOSPC)', program(movImm(0, 0), movImm(1, 1), movImm(2, 2), movImm(3, 3), exit()), withLog(2, 128)),
  progCase('log level 1 without a buffer', RETURN_ZERO, () => ({ log_level: 1 })),
  progCase('log buffer without a size', RETURN_ZERO, (env) => ({ log_level: 1, log_buf: env.bytes(64) })),
  progCase('log size without a buffer', RETURN_ZERO, () => ({ log_level: 1, log_size: 4096 })),
  progCase('unknown log level bit 8', RETURN_ZERO, withLog(8, 4096)),
  progCase('log buffer given with log level 0', RETURN_ZERO, (env) => ({ log_level: 0, log_size: 256, log_buf: env.bytes(256) })),
  progCase('unknown prog_flags bit 30', RETURN_ZERO, () => ({ prog_flags: 1 << 30 })),
  progCase('prog name with a dash', RETURN_ZERO, () => ({ prog_name: 'bad-name' })),
  progCase('prog name with a dot and underscore', RETURN_ZERO, () => ({ prog_name: 'ok_name.1' })),
  progCase('no license (NULL)', RETURN_ZERO, () => ({ license: 0n })),
];

/** BTF_LOAD of a good blob and simple malformed ones (the fixture vectors are added by the test). */
export const BTF_CASES: readonly DiffCase[] = [
  btfCase('one int', BTF_INT),
  btfCase('one int, log level 1', BTF_INT, 1, 4096),
  btfCase('empty blob', new Uint8Array(0)),
  btfCase('header only (truncated)', BTF_INT.subarray(0, 24)),
  btfCase('bad magic', Uint8Array.from(BTF_INT, (b, i) => (i === 0 ? 0x34 : b))),
];

/** One BTF_LOAD vector: the blob, and a log level/size as the kernel was measured with. */
export function btfCase(name: string, blob: Uint8Array, logLevel = 0, logSize = 0): DiffCase {
  return {
    name: `btf_load: ${name}`,
    cmd: BpfCmd.BPF_BTF_LOAD,
    attr: (env) =>
      encodeBtfLoadAttr({
        btf: blob.length === 0 ? 0n : env.bytes(blob),
        btf_size: blob.length,
        btf_log_level: logLevel,
        btf_log_size: logSize,
        btf_log_buf: logSize === 0 ? 0n : env.bytes(logSize),
      }),
  };
}

/** TOKEN_CREATE with fds that are not a bpffs root, bad fds and bad flags. */
export const TOKEN_CASES: readonly DiffCase[] = [
  { name: "token_create: bpffs_fd is '/' (not bpffs)", cmd: BpfCmd.BPF_TOKEN_CREATE, attr: (env) => encodeTokenCreateAttr({ bpffs_fd: env.open('/') }) },
  { name: "token_create: bpffs_fd is '/proc' (not bpffs)", cmd: BpfCmd.BPF_TOKEN_CREATE, attr: (env) => encodeTokenCreateAttr({ bpffs_fd: env.open('/proc') }) },
  { name: 'token_create: flags 1', cmd: BpfCmd.BPF_TOKEN_CREATE, attr: (env) => encodeTokenCreateAttr({ flags: 1, bpffs_fd: env.open('/') }) },
  { name: 'token_create: flags 0x80000000, bad fd', cmd: BpfCmd.BPF_TOKEN_CREATE, attr: () => encodeTokenCreateAttr({ flags: 0x8000_0000, bpffs_fd: 9999 }) },
  { name: 'token_create: bpffs_fd 9999 (not open)', cmd: BpfCmd.BPF_TOKEN_CREATE, attr: () => encodeTokenCreateAttr({ bpffs_fd: 9999 }) },
  { name: 'token_create: bpffs_fd -1', cmd: BpfCmd.BPF_TOKEN_CREATE, attr: () => encodeTokenCreateAttr({ bpffs_fd: 0xffff_ffff }) },
  {
    name: "token_create: non-zero byte past the command's last field",
    cmd: BpfCmd.BPF_TOKEN_CREATE,
    attr: (env) => {
      const a = encodeTokenCreateAttr({ bpffs_fd: env.open('/') }, 16);
      a[12] = 1;
      return a;
    },
  },
];
