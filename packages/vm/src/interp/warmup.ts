import { assemble, encodeProgram } from '@bpfkit/asm';
import type { HelperRegistry, RunEnv } from '@bpfkit/kernel-api';
import { createVmArena } from '@bpfkit/memory';

const ALU = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', '%=', '^=', 's>>=', 's/=', 's%='];
const JMP = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];
const SIZES = ['u8', 'u16', 'u32', 'u64'];

/**
 * A program that reaches nearly every path of the hot loop: each ALU op in
 * both widths with a register and an immediate, every jump condition, every
 * load, store and atomic, the fused pairs, a loop, a call and may_goto.
 */
function warmUpText(): string {
  const lines = ['r6 = r1', 'r7 = r2', 'r0 = 0'];
  for (const r of ['r', 'w']) {
    for (const op of ALU) lines.push(`${r}3 = ${r}6`, `${r}3 ${op} ${r}7`, `${r}3 ${op} 5`, `${r}3 ${op} -3`, `r0 += r3`);
    lines.push(`${r}3 = -${r}3`, `${r}3 = (s8)${r}6`, `${r}3 = (s16)${r}6`, `${r}3 = 7`, 'r0 ^= r3');
    for (const op of JMP) lines.push(`if ${r}6 ${op} ${r}7 goto pc+1`, 'r0 += 1', `if ${r}6 ${op} 5 goto pc+1`, 'r0 += 1');
  }
  lines.push('r3 = (s32)r6', 'r0 += r3', 'r3 = 0x123456789 ll', 'r0 += r3');
  for (const e of ['le16', 'le32', 'le64', 'be16', 'be32', 'be64', 'bswap16', 'bswap32', 'bswap64']) lines.push('r3 = r6', `r3 = ${e} r3`, 'r0 ^= r3');
  lines.push('*(u64 *)(r10 -8) = r6', '*(u64 *)(r10 -16) = r7', 'r4 = r10', 'r4 += -16');
  for (const s of SIZES) {
    lines.push(`*(${s} *)(r10 -24) = r6`, `*(${s} *)(r10 -24) = 3`, `r3 = *(${s} *)(r10 -8)`, 'r0 += r3');
    lines.push(`r3 = load_acquire((${s} *)(r4 +0))`, `store_release((${s} *)(r4 +0), r3)`);
  }
  for (const s of ['s8', 's16', 's32']) lines.push(`r3 = *(${s} *)(r10 -8)`, 'r0 += r3');
  lines.push('r3 = *(u16 *)(r10 -8)', 'r3 = be16 r3', 'r3 = *(u32 *)(r10 -8)', 'r3 = be32 r3');
  for (const op of ['+=', '^=', '|=']) for (const w of ['r', 'w']) lines.push('r3 = *(u8 *)(r10 -8)', `${w}0 ${op} ${w}3`);
  for (const [w, t] of [['r', 'u64'], ['w', 'u32']] as const) {
    for (const op of ['+=', '|=', '&=', '^=']) lines.push(`${w}3 = ${w}7`, `lock *(${t} *)(r4 +0) ${op} ${w}3`);
    const fetch = t === 'u64' ? 'atomic64' : 'atomic';
    for (const op of ['add', 'or', 'and', 'xor']) lines.push(`${w}3 = ${fetch}_fetch_${op}((${t} *)(r4 +0), ${w}3)`);
    lines.push(`${w}3 = ${fetch}_xchg((${t} *)(r4 +0), ${w}3)`, `${w}0 = ${fetch}_cmpxchg((${t} *)(r4 +0), ${w}0, ${w}3)`);
  }
  // Fused pairs, the bounds-check triple and loops entered by goto.
  lines.push('r3 = r6', 'r3 += 1', 'r3 = r6', 'r3 <<= 3', 'r3 = r6', 'r3 >>= 3', 'r3 = r6', 'r3 &= 7', 'r3 = r6', 'r5 += 1');
  lines.push('w3 = w6', 'w3 += 1', 'w3 = w6', 'w3 <<= 3', 'w3 = w6', 'w3 >>= 3', 'w3 = w6', 'w3 &= 7');
  lines.push('r3 += 1', 'if r3 > r7 goto pc+0', 'r3 = r6', 'r3 += 1', 'if r3 > r7 goto pc+0');
  lines.push('r9 = 0', 'l0: r9 += 1', 'if r9 < 2 goto l0', 'r3 = r7', 'r3 *= 31', 'r3 *= 0x12345678', 'r0 += r3');
  lines.push('r9 = 0', 'l1: if r9 >= 2 goto l2', 'r9 += 1', 'goto l1', 'l2: if r9 > 3 goto l3', 'r9 += 1', 'goto l2');
  lines.push('l3: may_goto pc+0', 'gotol pc+0', 'r1 = r0', 'call sub', 'exit', 'sub: r0 = r1', 'r0 += 1', 'exit');
  return lines.join('\n');
}

const NO_HELPERS: HelperRegistry = { get: () => undefined, kfunc: () => undefined, all: () => [] };

let warmedUp = false;

/**
 * Runs {@link warmUpText} a few times with different operands once per
 * process, before any real program. V8 optimises the hot loop with the type
 * feedback it has seen; an op first met after that deoptimises it, and after
 * a few rounds of that the reoptimised loop was measured up to 40% slower on
 * programs that came later (fnv1a after sum_bytes: 3.8 vs 2.6 ns per insn).
 * Seeing every path first makes the first optimised loop the good one.
 *
 * @example
 * warmUp(run); // run: (image, args, env) => outcome, the engine's own run
 */
export function warmUp(run: (insns: Uint8Array, r1: number, r2: number, env: RunEnv) => void): void {
  if (warmedUp) return;
  warmedUp = true;
  const insns = encodeProgram(assemble(warmUpText()));
  const arena = createVmArena({ initialBytes: 1 << 18, wasm: false });
  const env: RunEnv = {
    arena,
    cpu: 0,
    helpers: NO_HELPERS,
    services: {
      clock: { nowNs: () => 0n },
      random: { u32: () => 0 },
      current: { pid: 0, tgid: 0, uid: 0, gid: 0, comm: '' },
      mapAt: () => undefined,
      trace: () => undefined,
    },
  };
  for (const [r1, r2] of [[5, 3], [-7, 2 ** 40 + 3]] as const) run(insns, r1, r2, env);
}
