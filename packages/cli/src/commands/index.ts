import type { Command } from 'commander';
import type { Io } from '../output.js';
import { registerAsm } from './asm.js';
import { registerBtf } from './btf.js';
import { registerCorpus } from './corpus.js';
import { registerDisasm } from './disasm.js';
import { registerProg } from './prog.js';
import { registerDemo } from './demo.js';
import { registerObject } from './object.js';
import { registerScenario } from './scenario.js';
import { registerToken } from './token.js';
import { registerVerify } from './verify.js';
import { registerGen } from '../skeleton/command.js';

/** Adds one verb (or a group of verbs) to the program. */
export type RegisterCommand = (program: Command, io: Io) => void;

/** Every verb of `bpfkit`, in help order. */
export const COMMANDS: readonly RegisterCommand[] = [registerDisasm, registerAsm, registerBtf, registerVerify, registerProg, registerObject, registerToken, registerScenario, registerCorpus, registerGen, registerDemo];
