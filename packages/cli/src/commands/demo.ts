import { join } from 'node:path';
import type { Command } from 'commander';
import {
  assemble, atomic, BPF_ADD, BPF_JEQ, call, decodeProgram, disassemble, DW, encodeProgram, exit, ja, jmpImm, ldMapFd, ldxMem,
  mov64Imm, mov64Reg, alu64Imm, R0, R1, R2, R3, R4, R6, R10, stMem, stxMem, W,
} from '@bpfkit/asm';
import { decodeBtf, dumpRaw } from '@bpfkit/btf';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, type Task } from '@bpfkit/kernel-api';
import { delegatedBpffs, ORACLE_PROGRAMS } from '@bpfkit/testing';
import { BPF_F_TOKEN_FD, BpfAttachType, BpfCmd, BpfMapType, BpfProgType, decodeTestRunAttr, encodeAttr, type AttrCmd, type AttrGroupOf, type AttrInput } from '@bpfkit/uapi';
import { explainDelegation } from '../delegation/explain.js';
import { parseOperation } from '../delegation/operation.js';
import { explanationSummary } from '../delegation/summary.js';
import { readInput, readInstructionBytes } from '../input.js';
import { println, type Io } from '../output.js';

const DELEGATE = { cmds: 'map_create:prog_load', maps: 'hash:array', progs: 'socket_filter', attachs: 'cgroup_inet_ingress' } as const;

function bpf<C extends AttrCmd>(task: Task, cmd: C, fields: AttrInput<AttrGroupOf<C>>): number {
  return task.bpf(cmd, encodeAttr(cmd, fields));
}

function tryStep(io: Io, what: string, fn: () => number): number | undefined {
  try {
    const fd = fn();
    println(io.stdout, `  ✓ ${what} → fd ${fd}`);
    return fd;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    println(io.stdout, `  ✗ ${what} → ${e.code} (${e.reason}): ${e.message}`);
    return undefined;
  }
}

/** A socket filter that counts packets per EtherType in a hash map and keeps each whole packet. */
function protocolCounter(mapFd: number): Uint8Array {
  return encodeProgram([
    mov64Reg(R6, R1),
    ldxMem(W, R2, R6, 16), // skb->protocol
    stxMem(W, R10, R2, -4), // key
    ldMapFd(R1, mapFd),
    mov64Reg(R2, R10),
    alu64Imm(BPF_ADD, R2, -4),
    call('bpf_map_lookup_elem'),
    jmpImm(BPF_JEQ, R0, 0, 3),
    mov64Imm(R1, 1),
    atomic(DW, BPF_ADD, R0, R1, 0), // seen before: count += 1
    ja(9),
    stMem(DW, R10, -16, 1), // first time: insert 1
    ldMapFd(R1, mapFd),
    mov64Reg(R2, R10),
    alu64Imm(BPF_ADD, R2, -4),
    mov64Reg(R3, R10),
    alu64Imm(BPF_ADD, R3, -16),
    mov64Imm(R4, 0),
    call('bpf_map_update_elem'),
    ldxMem(W, R0, R6, 0), // keep skb->len bytes
    exit(),
  ]);
}

/** An Ethernet frame of `ethertype` with a payload of `size` zero bytes. */
function frame(ethertype: number, size: number): Uint8Array {
  const f = new Uint8Array(14 + size);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ethertype >> 8, ethertype & 0xff]);
  return f;
}

const ETHERTYPES: readonly (readonly [string, number])[] = [['IPv4', 0x0800], ['IPv6', 0x86dd], ['ARP', 0x0806], ['IPv4', 0x0800]];

/** The container loads a packet counter with its token, runs packets through it, and reads the map back. */
function countPackets(io: Io, child: Task, token: number, map: number): void {
  const m = child.memory;
  const prog = protocolCounter(map);
  const license = m.alloc(new TextEncoder().encode('GPL\0'));
  const fd = tryStep(io, 'BPF_PROG_LOAD socket_filter counting packets per EtherType into that map, with the token', () =>
    bpf(child, BpfCmd.BPF_PROG_LOAD, {
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: m.alloc(prog), insn_cnt: prog.length / 8, license,
      prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
    }));
  if (fd === undefined) return;
  for (const [name, type] of ETHERTYPES) {
    const packet = frame(type, 46);
    const attr = encodeAttr(BpfCmd.BPF_PROG_TEST_RUN, { prog_fd: fd, data_in: m.alloc(packet), data_size_in: packet.length, repeat: 1 });
    child.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
    println(io.stdout, `      BPF_PROG_TEST_RUN, a ${packet.length}-byte ${name} frame → retval ${decodeTestRunAttr(attr).retval} (bytes kept)`);
  }
  println(io.stdout, '      the map, read back with BPF_MAP_GET_NEXT_KEY and BPF_MAP_LOOKUP_ELEM:');
  const key = m.alloc(4);
  const next = m.alloc(4);
  const value = m.alloc(8);
  let cursor = 0n;
  for (;;) {
    try {
      bpf(child, BpfCmd.BPF_MAP_GET_NEXT_KEY, { map_fd: map, key: cursor, next_key: next });
    } catch (e) {
      if (isBpfError(e, 'ENOENT')) break;
      throw e;
    }
    m.write(key, m.read(next, 4));
    cursor = key;
    bpf(child, BpfCmd.BPF_MAP_LOOKUP_ELEM, { map_fd: map, key, value });
    const proto = new DataView(m.read(key, 4).buffer).getUint16(0, false);
    const count = new DataView(m.read(value, 8).buffer).getBigUint64(0, true);
    const name = ETHERTYPES.find(([, t]) => t === proto)?.[0] ?? '?';
    println(io.stdout, `        EtherType 0x${proto.toString(16).padStart(4, '0')} (${name}): ${count} packet${count === 1n ? '' : 's'}`);
  }
}

function delegationDemo(io: Io): void {
  println(io.stdout, '== Delegation in the simulated Linux 6.18 kernel ==');
  const kernel = createDefaultKernel();
  const { child, bpffsFd } = delegatedBpffs(kernel, { delegate: DELEGATE });
  const opts = Object.entries(DELEGATE).map(([k, v]) => `delegate_${k}=${v}`).join(',');
  println(io.stdout, `A manager (root in the initial user namespace) mounts a bpffs for a container (userns root = uid 100000) with\n  ${opts}`);
  println(io.stdout, 'The container, root in its own user namespace with CAP_BPF there:');
  const token = tryStep(io, 'BPF_TOKEN_CREATE from the bpffs root', () => bpf(child, BpfCmd.BPF_TOKEN_CREATE, { bpffs_fd: bpffsFd }));
  if (token === undefined) return;
  println(io.stdout, child.readFile(`/proc/self/fdinfo/${token}`).split('\n').filter((l) => l.startsWith('allowed_')).map((l) => `      ${l.replace('\t', ' ')}`).join('\n'));
  const map = tryStep(io, 'BPF_MAP_CREATE hash, with the token', () =>
    bpf(child, BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16, map_flags: BPF_F_TOKEN_FD, map_token_fd: token }));
  const prog = ORACLE_PROGRAMS.ret0 ?? new Uint8Array();
  const insns = child.memory.alloc(prog);
  const license = child.memory.alloc(new TextEncoder().encode('GPL\0'));
  tryStep(io, 'BPF_PROG_LOAD socket_filter (r0 = 0; exit), with the token', () =>
    bpf(child, BpfCmd.BPF_PROG_LOAD, {
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns, insn_cnt: prog.length / 8, license,
      expected_attach_type: BpfAttachType.BPF_CGROUP_INET_INGRESS, prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
    }));
  if (map !== undefined) countPackets(io, child, token, map);
  tryStep(io, 'BPF_MAP_CREATE hash, without the token', () =>
    bpf(child, BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16 }));
  tryStep(io, 'BPF_PROG_LOAD xdp, with the token (not delegated)', () =>
    bpf(child, BpfCmd.BPF_PROG_LOAD, {
      prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insns, insn_cnt: prog.length / 8, license,
      expected_attach_type: BpfAttachType.BPF_XDP, prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
    }));
  println(io.stdout);
  println(io.stdout, 'Why was xdp refused?  bpfkit token explain prog_load xdp --attach xdp:');
  const why = explainDelegation({ mount: opts, caller: 'container', operation: parseOperation('prog_load xdp --attach xdp') });
  for (const line of explanationSummary(why)) println(io.stdout, `  ${line}`);
  println(io.stdout, '  (bpfkit token explain prints every check; bpfkit token plan prints the options that would allow it)');
}

function examplesDemo(io: Io, dir: string): void {
  println(io.stdout, `== The bundled examples (${dir}) ==`);
  const hexFile = join(dir, 'xdp_count.hex');
  const insns = decodeProgram(readInstructionBytes(hexFile));
  println(io.stdout, `bpfkit disasm ${hexFile}  (${insns.length} instructions, clang-built XDP program)`);
  for (const line of disassemble(insns, { log: true }).split('\n').slice(0, 8)) println(io.stdout, `  ${line}`);
  println(io.stdout, '  …');
  const again = encodeProgram(assemble(disassemble(insns)));
  println(io.stdout, `bpfkit asm (its disassembly) gives back the same ${again.length} bytes: ${Buffer.from(again).equals(Buffer.from(encodeProgram(insns))) ? 'yes' : 'NO'}`);
  const btfFile = join(dir, 'xdp_count.btf');
  println(io.stdout, `bpfkit btf dump ${btfFile}`);
  for (const line of dumpRaw(decodeBtf(readInput(btfFile))).trimEnd().split('\n').slice(0, 8)) println(io.stdout, `  ${line}`);
  println(io.stdout, '  …');
}

interface DemoOptions {
  readonly examples?: string;
}

/** `bpfkit demo`: the delegation story end to end, and the bundled examples. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('a delegation walk-through in the simulated kernel (and, with --examples DIR, asm/disasm/BTF on the examples)')
    .option('--examples <dir>', 'also run asm, disasm and btf dump on the bundled examples in DIR')
    .action((opts: DemoOptions) => {
      if (opts.examples !== undefined) {
        examplesDemo(io, opts.examples);
        println(io.stdout);
      }
      delegationDemo(io);
    });
}
