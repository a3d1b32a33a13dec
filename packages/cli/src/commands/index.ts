import type { Command } from 'commander';
import type { Io } from '../output.js';

/** Adds one verb (or a group of verbs) to the program. */
export type RegisterCommand = (program: Command, io: Io) => void;

/**
 * One verb of `bpfkit`: what `bpfkit --help` lists, and how to load it. The module
 * behind a verb is imported only when that verb runs, so `bpfkit --help` loads
 * none of the packages (a test checks `usage` and `description` against the loaded verb).
 */
export interface Verb {
  readonly name: string;
  /** What follows the name in `bpfkit --help`: `[options] <file>`, or '' for a group. */
  readonly usage: string;
  readonly description: string;
  readonly load: () => Promise<RegisterCommand>;
}

/** Every verb of `bpfkit`, in help order. */
export const VERBS: readonly Verb[] = [
  {
    name: 'disasm',
    usage: '[options] <file>',
    description: 'disassemble BPF instructions (hex, raw bytes or assembly), or the programs of a clang-built ELF object',
    load: async () => (await import('./disasm.js')).registerDisasm,
  },
  {
    name: 'asm',
    usage: '[options] <file>',
    description: 'assemble BPF instructions; prints hex, one 8-byte instruction per line',
    load: async () => (await import('./asm.js')).registerAsm,
  },
  { name: 'btf', usage: '', description: 'BTF: validate and dump type information', load: async () => (await import('./btf.js')).registerBtf },
  {
    name: 'verify',
    usage: '[options] <file>',
    description: "load a program into the simulated kernel and print the verifier's verdict and log",
    load: async () => (await import('./verify.js')).registerVerify,
  },
  { name: 'prog', usage: '', description: 'programs in the simulated kernel', load: async () => (await import('./prog.js')).registerProg },
  {
    name: 'object',
    usage: '',
    description: 'clang-built BPF ELF objects: show what libbpf would open, run one on either kernel',
    load: async () => (await import('./object.js')).registerObject,
  },
  {
    name: 'token',
    usage: '',
    description: 'BPF token delegation: plan a bpffs mount, explain a decision',
    load: async () => (await import('./token.js')).registerToken,
  },
  {
    name: 'scenario',
    usage: '',
    description: 'delegation scenarios (the token-oracle/v1 schema)',
    load: async () => (await import('./scenario.js')).registerScenario,
  },
  { name: 'corpus', usage: '', description: 'programs in the verifier-corpus schema', load: async () => (await import('./corpus.js')).registerCorpus },
  { name: 'gen', usage: '', description: 'generate code from BPF objects', load: async () => (await import('../skeleton/command.js')).registerGen },
  {
    name: 'demo',
    usage: '[options]',
    description: 'the delegation story in the simulated kernel: a container loads the XDP firewall example through a BPF token',
    load: async () => (await import('./demo.js')).registerDemo,
  },
];
