/**
 * Linux capabilities 0–40 (`include/uapi/linux/capability.h`), by name.
 *
 * @example
 * Capability.CAP_BPF; // 39
 */
export const Capability = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
} as const;

/** A capability name such as `CAP_BPF`. */
export type CapabilityName = keyof typeof Capability;
/** A capability number 0–40. */
export type CapabilityValue = (typeof Capability)[CapabilityName];

/** The highest capability number of this kernel (`CAP_LAST_CAP`). */
export const CAP_LAST_CAP = 40;

/** Every valid capability bit set: the mask the kernel gives a full root (`CAP_FULL_SET`), `0x1ffffffffff`. */
export const CAP_FULL_SET = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

const names: readonly CapabilityName[] = (() => {
  const list: CapabilityName[] = [];
  for (const [name, value] of Object.entries(Capability) as [CapabilityName, number][]) list[value] = name;
  return list;
})();

/** True for an integer 0–CAP_LAST_CAP (`cap_valid()`). */
export function capValid(cap: number): cap is CapabilityValue {
  return Number.isInteger(cap) && cap >= 0 && cap <= CAP_LAST_CAP;
}

/**
 * The name of a capability number.
 *
 * @example
 * capName(21); // 'CAP_SYS_ADMIN'
 */
export function capName(cap: number): CapabilityName | undefined {
  return capValid(cap) ? names[cap] : undefined;
}

/**
 * A capability by name: case-insensitive, `CAP_` optional.
 *
 * @example
 * capByName('bpf'); // 39
 */
export function capByName(name: string): CapabilityValue | undefined {
  const upper = name.toUpperCase();
  const key = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return Object.hasOwn(Capability, key) ? Capability[key as CapabilityName] : undefined;
}

/**
 * A 64-bit capability mask (as in `kernel_cap_t`, capget, `/proc/<pid>/status`) with these bits set.
 *
 * @example
 * capMask(Capability.CAP_BPF, Capability.CAP_PERFMON); // 0xc000000000n
 */
export function capMask(...caps: number[]): bigint {
  let mask = 0n;
  for (const cap of caps) {
    if (!Number.isInteger(cap) || cap < 0 || cap > 63) throw new RangeError(`capability ${String(cap)} is not a bit of a 64-bit mask`);
    mask |= 1n << BigInt(cap);
  }
  return mask;
}

/**
 * The bit numbers set in a 64-bit mask, ascending (bits above CAP_LAST_CAP included).
 *
 * @example
 * capsInMask(0x200000n); // [21]
 */
export function capsInMask(mask: bigint): number[] {
  const caps: number[] = [];
  const m = BigInt.asUintN(64, mask);
  for (let bit = 0; bit < 64; bit++) if ((m >> BigInt(bit)) & 1n) caps.push(bit);
  return caps;
}

/** True when `mask` has bit `cap`. @example capInMask(CAP_FULL_SET, Capability.CAP_BPF); // true */
export function capInMask(mask: bigint, cap: number): boolean {
  return cap >= 0 && cap < 64 && ((BigInt.asUintN(64, mask) >> BigInt(cap)) & 1n) === 1n;
}

/**
 * The mask as `/proc/<pid>/status` prints `CapEff:` (16 hex digits, `%016llx`).
 *
 * @example
 * formatCapMask(CAP_FULL_SET); // '000001ffffffffff'
 */
export function formatCapMask(mask: bigint): string {
  return BigInt.asUintN(64, mask).toString(16).padStart(16, '0');
}

/**
 * Parses a hex mask (`000001ffffffffff`, `0x...`); undefined when it is not 1–16 hex digits.
 *
 * @example
 * parseCapMask('0x8000000000'); // 0x8000000000n
 */
export function parseCapMask(text: string): bigint | undefined {
  const hex = text.trim().replace(/^0x/i, '');
  return /^[0-9a-f]{1,16}$/i.test(hex) ? BigInt(`0x${hex}`) : undefined;
}
