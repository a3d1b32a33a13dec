// Operator spellings of the kernel's verifier-log printer (kernel/bpf/disasm.c).

/** ALU operator by `BPF_OP >> 4`; `undefined` prints as `(null)`, as printk does. */
export const ALU_OPS: readonly (string | undefined)[] = [
  '+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', undefined, undefined,
];

/** Signed forms (off = 1) of div and mod. */
export const ALU_SIGNED_OPS: readonly (string | undefined)[] = [
  undefined, undefined, undefined, 's/=', undefined, undefined, undefined, undefined,
  undefined, 's%=', undefined, undefined, undefined, undefined, undefined, undefined,
];

/** Jump operator by `BPF_OP >> 4`. */
export const JMP_OPS: readonly (string | undefined)[] = [
  'jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', undefined, undefined,
];

/** `u8`… by `BPF_SIZE >> 3`. */
export const LDST_TYPES: readonly string[] = ['u32', 'u16', 'u8', 'u64'];
/** `s8`… for sign-extending loads; there is no `s64`. */
export const LDSX_TYPES: readonly (string | undefined)[] = ['s32', 's16', 's8', undefined];

/** Atomic op names by `BPF_OP(imm) >> 4`. */
export const ATOMIC_OPS: readonly (string | undefined)[] = [
  'add', undefined, undefined, undefined, 'or', 'and', undefined, undefined,
  undefined, undefined, 'xor', undefined, undefined, undefined, undefined, undefined,
];

/** Class names, printed for classes the printer does not otherwise know. */
export const CLASS_NAMES: readonly string[] = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];

/** printf `%s` of a possibly-missing string. */
export function s(value: string | undefined): string {
  return value ?? '(null)';
}

/** printf `%+d`. */
export function signed(n: number): string {
  return n < 0 ? String(n) : `+${String(n)}`;
}

/** printf `%02x` of a byte. */
export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** printf `0x%x` of an int (its unsigned 32-bit value). */
export function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}
