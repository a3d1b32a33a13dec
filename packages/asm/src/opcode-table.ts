import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_H, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE,
  BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LD_IMM64, BPF_LDX, BPF_LSH, BPF_MEM, BPF_MEMSX,
  BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X,
  BPF_XOR,
} from './opcodes.js';

function buildTable(): readonly boolean[] {
  const t: boolean[] = new Array<boolean>(256).fill(false);
  const on = (code: number): void => {
    t[code] = true;
  };
  const aluOps = [BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_LSH, BPF_RSH, BPF_XOR, BPF_MUL, BPF_MOV, BPF_ARSH, BPF_DIV, BPF_MOD];
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of aluOps) for (const src of [BPF_K, BPF_X]) on(cls | op | src);
    on(cls | BPF_NEG);
  }
  on(BPF_ALU | BPF_END | BPF_TO_BE);
  on(BPF_ALU | BPF_END | BPF_TO_LE);
  on(BPF_ALU64 | BPF_END | BPF_TO_LE);
  on(BPF_JMP | BPF_CALL);
  on(BPF_JMP | BPF_EXIT);
  const conds = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JLT, BPF_JGE, BPF_JLE, BPF_JSGT, BPF_JSLT, BPF_JSGE, BPF_JSLE, BPF_JSET];
  for (const cls of [BPF_JMP, BPF_JMP32]) for (const op of conds) for (const src of [BPF_K, BPF_X]) on(cls | op | src);
  on(BPF_JMP | BPF_JA);
  on(BPF_JMP32 | BPF_JA);
  for (const size of [BPF_B, BPF_H, BPF_W, BPF_DW]) {
    on(BPF_STX | BPF_ATOMIC | size);
    on(BPF_STX | BPF_MEM | size);
    on(BPF_ST | BPF_MEM | size);
    on(BPF_LDX | BPF_MEM | size);
  }
  for (const size of [BPF_B, BPF_H, BPF_W]) {
    on(BPF_LDX | BPF_MEMSX | size);
    on(BPF_LD | BPF_ABS | size);
    on(BPF_LD | BPF_IND | size);
  }
  on(BPF_LD_IMM64);
  on(BPF_JMP | BPF_JCOND);
  return t;
}

const TABLE = buildTable();

/**
 * Whether the kernel knows the opcode (`bpf_opcode_in_insntable`, Linux 6.18:
 * the UAPI opcodes, legacy LD_ABS/LD_IND and may_goto; not `gotox`).
 *
 * @example
 * opcodeInTable(0xb7); // true
 * opcodeInTable(0x8d); // false: callx is refused with "unknown opcode 8d"
 */
export function opcodeInTable(code: number): boolean {
  return TABLE[code & 0xff] ?? false;
}
