import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { assemble, decodeProgram, disassemble, encodeProgram } from '@bpfkit/asm';
import { decodeBtf, dumpRaw } from '@bpfkit/btf';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { isBpfError, MOVE_MOUNT_F_EMPTY_PATH, type Task } from '@bpfkit/kernel-api';
import { BpfObject } from '@bpfkit/libbpf';
import { delegatedBpffs } from '@bpfkit/testing';
import { CliError } from '../errors.js';
import { explainDelegation } from '../delegation/explain.js';
import { parseOperation } from '../delegation/operation.js';
import { explanationSummary } from '../delegation/summary.js';
import { readInput, readInstructionBytes } from '../input.js';
import { println, type Io } from '../output.js';
import { ipv4Frame, type FrameSpec } from '../demo/packets.js';

const DELEGATE = { cmds: 'map_create:prog_load:btf_load', maps: 'hash:array', progs: 'xdp:socket_filter', attachs: 'any' } as const;
const AT_FDCWD = -100;
const XDP_ACTIONS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

/** `mkdir -p` as `task`. */
function mkdirs(task: Task, path: string): void {
  let at = '';
  for (const part of path.split('/').filter((p) => p !== '')) {
    at += `/${part}`;
    try {
      task.mkdir(at);
    } catch (e) {
      if (!isBpfError(e, 'EEXIST')) throw e;
    }
  }
}

function ip(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 4)].join('.');
}

const PACKETS: readonly (readonly [string, FrameSpec])[] = [
  ['TCP SYN 10.0.0.1:40000 → 10.0.0.2:8080', { src: [10, 0, 0, 1], dst: [10, 0, 0, 2], protocol: 'tcp', sport: 40000, dport: 8080 }],
  ['UDP     10.0.0.1:40000 → 10.0.0.2:53  ', { src: [10, 0, 0, 1], dst: [10, 0, 0, 2], protocol: 'udp', sport: 40000, dport: 53 }],
  ['TCP SYN 10.0.0.7:51000 → 10.0.0.2:443 ', { src: [10, 0, 0, 7], dst: [10, 0, 0, 2], protocol: 'tcp', sport: 51000, dport: 443 }],
  ['UDP     10.0.0.7:51000 → 10.0.0.2:8080', { src: [10, 0, 0, 7], dst: [10, 0, 0, 2], protocol: 'udp', sport: 51000, dport: 8080 }],
];

/** The container loads the XDP firewall through the client; libbpf finds the delegating bpffs and uses a token. */
function loadFirewall(io: Io, child: Task, examples: string): void {
  const file = relative(process.cwd(), join(examples, 'xdp_firewall.o'));
  println(io.stdout, `The container, root in its own user namespace and without capabilities in the initial one, loads ${file}`);
  println(io.stdout, "with the libbpf-style client, as any BPF application would:");
  println(io.stdout, "  const obj = BpfObject.open(bytes, { name: 'xdp_firewall', host: container });");
  println(io.stdout, "  obj.globals('.rodata').setU16('blocked_port', 8080);   // a const volatile knob, before load");
  println(io.stdout, '  obj.load();   // like libbpf 1.5: /sys/fs/bpf is a delegating bpffs, so a BPF token is created and used');
  const obj = BpfObject.open(readInput(file), { name: 'xdp_firewall', host: child });
  obj.globals('.rodata').setU16('blocked_port', 8080);
  try {
    obj.load();
  } catch (e) {
    if (!isBpfError(e)) throw e;
    println(io.stdout, `  ✗ load → ${e.code} (${e.reason}): ${e.message}`);
    return;
  }
  try {
    const token = obj.tokenFd;
    println(io.stdout, `  ✓ BPF_TOKEN_CREATE from /sys/fs/bpf → fd ${String(token)}`);
    if (token !== undefined) {
      const allowed = child.readFile(`/proc/self/fdinfo/${String(token)}`).split('\n').filter((l) => l.startsWith('allowed_'));
      for (const l of allowed) println(io.stdout, `      ${l.replace('\t', ' ')}`);
    }
    println(io.stdout, `  ✓ with the token: BTF loaded, maps ${obj.maps.map((m) => `${m.name} (${m.typeName})`).join(', ')} created, .rodata frozen`);
    for (const p of obj.programs) {
      println(io.stdout, `  ✓ program ${p.name} (${p.progTypeName}) verified: ${String(p.loadRecord?.verifiedInsns ?? 0)} instructions processed`);
    }
    println(io.stdout, '  packets through BPF_PROG_TEST_RUN:');
    const prog = obj.program('xdp_firewall');
    for (const [label, spec] of PACKETS) {
      const { retval } = prog.testRun({ dataIn: ipv4Frame(spec), repeat: 1 });
      println(io.stdout, `      ${label} → ${XDP_ACTIONS[retval] ?? String(retval)}`);
    }
    println(io.stdout, '  the by_source map, read back (key: IPv4 source; value: passed, dropped):');
    const bySource = obj.map('by_source');
    for (let k = bySource.nextKey(null); k !== null; k = bySource.nextKey(k)) {
      const v = new DataView(bySource.lookup(k).buffer);
      println(io.stdout, `      ${ip(k)}: passed ${String(v.getBigUint64(0, true))}, dropped ${String(v.getBigUint64(8, true))}`);
    }
  } finally {
    obj.close();
  }
}

/** Something the manager did not delegate: a tc program with a per-CPU array. */
function refusedLoad(io: Io, child: Task, examples: string, opts: string): void {
  const file = relative(process.cwd(), join(examples, 'tc_rewrite.o'));
  println(io.stdout);
  println(io.stdout, `Then the container tries ${file}, a tc (sched_cls) program with a per-CPU array map:`);
  const obj = BpfObject.open(readInput(file), { name: 'tc_rewrite', host: child });
  try {
    obj.load();
    println(io.stdout, '  ✓ loaded (unexpected: nothing delegates sched_cls)');
  } catch (e) {
    if (!isBpfError(e)) throw e;
    println(io.stdout, `  ✗ load → ${e.code} (${e.reason}): ${e.message.split('\n')[0] ?? ''}`);
  } finally {
    obj.close();
  }
  for (const op of ['map_create percpu_array', 'prog_load sched_cls']) {
    println(io.stdout, `  Why? bpfkit token explain ${op}:`);
    const why = explainDelegation({ mount: opts, caller: 'container', operation: parseOperation(op) });
    for (const line of explanationSummary(why)) println(io.stdout, `    ${line}`);
  }
  println(io.stdout, '  (bpfkit token explain prints every check; bpfkit token plan prints the delegate_* options that would allow it)');
}

function delegationDemo(io: Io, examples: string): void {
  println(io.stdout, '== Delegation in the simulated Linux 6.18 kernel ==');
  const kernel = createDefaultKernel();
  mkdirs(kernel.init, '/sys/fs/bpf');
  const { child, mountFd } = delegatedBpffs(kernel, { delegate: DELEGATE });
  child.moveMount(mountFd, '', AT_FDCWD, '/sys/fs/bpf', MOVE_MOUNT_F_EMPTY_PATH);
  const opts = Object.entries(DELEGATE).map(([k, v]) => `delegate_${k}=${v}`).join(',');
  println(io.stdout, 'A manager (root in the initial user namespace) creates a bpffs for a container (userns root = uid 100000):');
  println(io.stdout, '  the container calls fsopen("bpf") and hands the fd to the manager, which sets');
  println(io.stdout, `  ${opts}`);
  println(io.stdout, '  and creates the superblock; the container mounts it at /sys/fs/bpf. Its /proc/self/mountinfo:');
  const mount = child.mountinfo().find((m) => m.mountPoint === '/sys/fs/bpf');
  if (mount !== undefined) println(io.stdout, `      ${mount.mountPoint} ${mount.fsType} ${mount.superOptions}`);
  println(io.stdout);
  loadFirewall(io, child, examples);
  refusedLoad(io, child, examples, opts);
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
  readonly tools?: boolean;
}

/** The repository's examples folder, when the CLI runs from a checkout. */
function defaultExamples(): string | undefined {
  const dir = new URL('../../../../examples/', import.meta.url).pathname;
  return existsSync(join(dir, 'xdp_firewall.o')) ? dir : undefined;
}

/** `bpfkit demo`: the delegation story end to end, and the bundled examples. */
export function registerDemo(program: Command, io: Io): void {
  program
    .command('demo')
    .description('the delegation story in the simulated kernel: a container loads the XDP firewall example through a BPF token')
    .option('--examples <dir>', "the examples folder (xdp_firewall.o, tc_rewrite.o); default: the checkout's examples/")
    .option('--tools', 'also run asm, disasm and btf dump on the xdp_count example')
    .action((opts: DemoOptions) => {
      const examples = opts.examples ?? defaultExamples();
      if (examples === undefined) throw new CliError('demo: no examples folder found; pass --examples DIR (the repository\'s examples/)');
      if (opts.tools === true) {
        examplesDemo(io, examples);
        println(io.stdout);
      }
      delegationDemo(io, examples);
    });
}
