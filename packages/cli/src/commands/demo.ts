import { join } from 'node:path';
import type { Command } from 'commander';
import { decodeProgram, disassemble, encodeProgram, assemble } from '@bpfkit/asm';
import { decodeBtf, dumpRaw } from '@bpfkit/btf';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, type Task } from '@bpfkit/kernel-api';
import { delegatedBpffs, ORACLE_PROGRAMS } from '@bpfkit/testing';
import { BPF_F_TOKEN_FD, BpfAttachType, BpfCmd, BpfMapType, BpfProgType, encodeAttr, type AttrCmd, type AttrGroupOf, type AttrInput } from '@bpfkit/uapi';
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
  tryStep(io, 'BPF_MAP_CREATE hash, with the token', () =>
    bpf(child, BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 16, map_flags: BPF_F_TOKEN_FD, map_token_fd: token }));
  const prog = ORACLE_PROGRAMS.ret0 ?? new Uint8Array();
  const insns = child.memory.alloc(prog);
  const license = child.memory.alloc(new TextEncoder().encode('GPL\0'));
  tryStep(io, 'BPF_PROG_LOAD socket_filter (r0 = 0; exit), with the token', () =>
    bpf(child, BpfCmd.BPF_PROG_LOAD, {
      prog_type: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns, insn_cnt: prog.length / 8, license,
      expected_attach_type: BpfAttachType.BPF_CGROUP_INET_INGRESS, prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
    }));
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
