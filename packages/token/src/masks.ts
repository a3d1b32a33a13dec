import type { BpfTokenInfo } from '@bpfkit/kernel-api';
import { MAX_BPF_ATTACH_TYPE, MAX_BPF_CMD, MAX_BPF_MAP_TYPE, MAX_BPF_PROG_TYPE } from '@bpfkit/uapi';

const known = (max: number): bigint => (1n << BigInt(max)) - 1n;

/** Every bit below `__MAX_BPF_*`: the masks `any` stands for in fdinfo. */
export const KNOWN_MASKS = {
  cmds: known(MAX_BPF_CMD),
  maps: known(MAX_BPF_MAP_TYPE),
  progs: known(MAX_BPF_PROG_TYPE),
  attachs: known(MAX_BPF_ATTACH_TYPE),
} as const;

/** `1n << n` for n in 0–63: a decision ANDs with one of these instead of converting and shifting. */
const BITS: readonly bigint[] = Array.from({ length: 64 }, (_, n) => 1n << BigInt(n));

/** Bit `n` of a 64-bit mask; false for numbers outside 0–63. */
export function hasBit(mask: bigint, n: number): boolean {
  const bit = Number.isInteger(n) && n >= 0 && n < 64 ? BITS[n] : undefined;
  return bit !== undefined && (mask & bit) !== 0n;
}

function fdinfoValue(mask: bigint, knownMask: bigint): string {
  return (mask & knownMask) === knownMask ? 'any' : `0x${mask.toString(16)}`;
}

/**
 * `bpf_token_show_fdinfo`: `any` when every known bit is set, else the stored
 * mask in hex, unknown bits included.
 *
 * @example
 * formatTokenFdinfo(token); // 'allowed_cmds:\tany\nallowed_maps:\t0x4\n…'
 */
export function formatTokenFdinfo(token: BpfTokenInfo): string {
  return (
    `allowed_cmds:\t${fdinfoValue(token.allowedCmds, KNOWN_MASKS.cmds)}\n` +
    `allowed_maps:\t${fdinfoValue(token.allowedMaps, KNOWN_MASKS.maps)}\n` +
    `allowed_progs:\t${fdinfoValue(token.allowedProgs, KNOWN_MASKS.progs)}\n` +
    `allowed_attachs:\t${fdinfoValue(token.allowedAttachs, KNOWN_MASKS.attachs)}\n`
  );
}
