import { BpfError } from '@bpfkit/kernel-api';

/** `BPF_USDT_MAX_ARG_CNT`. */
const MAX_ARGS = 12;
/** `sizeof(struct __bpf_usdt_arg_spec)` and `sizeof(struct __bpf_usdt_spec)` on x86-64 and BPF. */
const ARG_SPEC_SIZE = 24;
export const USDT_SPEC_SIZE = 304;
const COOKIE_AT = MAX_ARGS * ARG_SPEC_SIZE;
const ARG_CNT_AT = COOKIE_AT + 8;

/** `enum __bpf_usdt_arg_type`. */
const ARG_CONST = 0;
const ARG_REG = 1;
const ARG_REG_DEREF = 2;
const ARG_SIB = 3;

/** `offsetof(struct pt_regs, …)` on x86-64 for each register name (64, 32, 16 and 8 bits). */
const PT_REGS: readonly (readonly [readonly string[], number])[] = [
  [['rip', 'eip'], 128],
  [['rax', 'eax', 'ax', 'al'], 80], [['rbx', 'ebx', 'bx', 'bl'], 40], [['rcx', 'ecx', 'cx', 'cl'], 88], [['rdx', 'edx', 'dx', 'dl'], 96],
  [['rsi', 'esi', 'si', 'sil'], 104], [['rdi', 'edi', 'di', 'dil'], 112], [['rbp', 'ebp', 'bp', 'bpl'], 32], [['rsp', 'esp', 'sp', 'spl'], 152],
  [['r8', 'r8d', 'r8w', 'r8b'], 72], [['r9', 'r9d', 'r9w', 'r9b'], 64], [['r10', 'r10d', 'r10w', 'r10b'], 56], [['r11', 'r11d', 'r11w', 'r11b'], 48],
  [['r12', 'r12d', 'r12w', 'r12b'], 24], [['r13', 'r13d', 'r13w', 'r13b'], 16], [['r14', 'r14d', 'r14w', 'r14b'], 8], [['r15', 'r15d', 'r15w', 'r15b'], 0],
];

function regOff(name: string): number {
  const hit = PT_REGS.find(([names]) => names.includes(name));
  if (hit === undefined) throw new BpfError('ENOENT', 'libbpf:usdt-register', `usdt: unrecognized register '${name}'`);
  return hit[1];
}

interface ArgSpec {
  readonly type: number;
  readonly valOff: bigint;
  readonly regOff: number;
  readonly idxRegOff: number;
  readonly scaleShift: number;
  readonly size: number;
}

/** sscanf's `%d` / `%ld`: a decimal number. */
const NUM = '([-+]?\\d+)';
const REG = '%([^,)\\s]{1,15})';
const FORMS: readonly (readonly [RegExp, (m: RegExpExecArray) => Omit<ArgSpec, 'size'>])[] = [
  [new RegExp(`^\\s*${NUM}\\s*@\\s*${NUM}?\\s*\\(\\s*${REG}\\s*,\\s*${REG}\\s*(?:,\\s*(\\d+)\\s*)?\\)\\s*`), (m) => sib(m[2], m[3] ?? '', m[4] ?? '', m[5])],
  [new RegExp(`^\\s*${NUM}\\s*@\\s*${NUM}?\\s*\\(\\s*${REG}\\s*\\)\\s*`), (m) => ({ type: ARG_REG_DEREF, valOff: cLong(m[2] ?? '0'), regOff: regOff(m[3] ?? ''), idxRegOff: 0, scaleShift: 0 })],
  [new RegExp(`^\\s*${NUM}\\s*@\\s*%(\\S{1,15})\\s*`), (m) => ({ type: ARG_REG, valOff: 0n, regOff: regOff(m[2] ?? ''), idxRegOff: 0, scaleShift: 0 })],
  [new RegExp(`^\\s*${NUM}\\s*@\\s*\\$${NUM}\\s*`), (m) => ({ type: ARG_CONST, valOff: cLong(m[2] ?? '0'), regOff: 0, idxRegOff: 0, scaleShift: 0 })],
];

function cLong(s: string): bigint {
  return BigInt(s.replace(/^\+/, ''));
}

function sib(off: string | undefined, base: string, index: string, scale: string | undefined): Omit<ArgSpec, 'size'> {
  const shift = { 1: 0, 2: 1, 4: 2, 8: 3 }[Number(scale ?? '1')];
  const spec = { type: ARG_SIB, valOff: cLong(off ?? '0'), regOff: regOff(base), idxRegOff: regOff(index) };
  if (shift === undefined) throw new BpfError('EINVAL', 'libbpf:usdt-sib-scale', `usdt: invalid SIB scale ${scale ?? ''}, expected 1, 2, 4, 8`);
  return { ...spec, scaleShift: shift };
}

/** libbpf's x86-64 `parse_usdt_arg`: one `<size>@<location>` argument and how much of `s` it took. */
function parseArg(s: string, argNum: number): { arg: ArgSpec; len: number } {
  for (const [re, build] of FORMS) {
    const m = re.exec(s);
    if (m === null) continue;
    return { arg: { ...build(m), size: Number(cLong(m[1] ?? '0')) }, len: m[0].length };
  }
  throw new BpfError('EINVAL', 'libbpf:usdt-arg', `usdt: unrecognized arg #${argNum} spec '${s}'`);
}

/**
 * libbpf's `parse_usdt_spec`: the bytes of `struct __bpf_usdt_spec` (what `usdt.bpf.h`'s
 * `bpf_usdt_arg()` reads from the `__bpf_usdt_specs` map) for a note's argument string:
 * each argument's kind (constant, register, register dereference, scale-index-base), its
 * `pt_regs` offsets, signedness and shift; then the cookie and the count. More than 12
 * arguments is E2BIG, a size other than 1, 2, 4 or 8 (signed when negative) EINVAL.
 *
 * @example
 * usdtSpec('-4@%edi 8@-8(%rbp)', 0n).length; // 304
 */
export function usdtSpec(args: string, cookie: bigint): Uint8Array {
  const out = new Uint8Array(USDT_SPEC_SIZE);
  const v = new DataView(out.buffer);
  let rest = args;
  let n = 0;
  while (rest !== '') {
    if (n >= MAX_ARGS) throw new BpfError('E2BIG', 'libbpf:usdt-too-many-args', `usdt: too many USDT arguments (> ${MAX_ARGS}) in '${args}'`);
    const { arg, len } = parseArg(rest, n);
    const size = Math.abs(arg.size);
    if (![1, 2, 4, 8].includes(size)) throw new BpfError('EINVAL', 'libbpf:usdt-arg-size', `usdt: unsupported arg #${n} (spec '${rest}') size: ${size}`);
    const o = n * ARG_SPEC_SIZE;
    v.setBigUint64(o, BigInt.asUintN(64, arg.valOff), true);
    v.setUint8(o + 8, arg.type);
    v.setUint16(o + 10, (arg.idxRegOff & 0xfff) | (arg.scaleShift << 12), true);
    v.setInt16(o + 14, arg.regOff, true);
    v.setUint8(o + 16, arg.size < 0 ? 1 : 0);
    v.setInt8(o + 17, 64 - size * 8);
    rest = rest.slice(len);
    n++;
  }
  v.setBigUint64(COOKIE_AT, BigInt.asUintN(64, cookie), true);
  v.setInt16(ARG_CNT_AT, n, true);
  return out;
}
