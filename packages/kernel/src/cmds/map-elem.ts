import { BpfError, type BpfMap, type MapSyscallContext } from '@bpfkit/kernel-api';
import { BPF_F_LOCK } from '@bpfkit/uapi';
import { check, flagsDetail } from '../bpf/check.js';
import type { MapFd } from '../bpf/fd-get.js';
import type { KernelCore } from '../core.js';
import type { SyscallContext } from '../task/syscall-context.js';
import { mapFdResolver } from './map-fd-slots.js';

/**
 * `__bpf_copy_key`: `key_size` bytes from the caller (EFAULT on a bad pointer);
 * a map without keys (queue, stack, bloom filter) takes no pointer (EINVAL).
 */
export function copyKey(task: SyscallContext, addr: bigint, keySize: number): Uint8Array {
  if (keySize !== 0) return task.memory.read(addr, keySize);
  if (addr !== 0n) throw new BpfError('EINVAL', 'map:key-without-key-size', 'a key pointer for a map whose key_size is 0');
  return new Uint8Array(0);
}

/** The map's run-time half; ENOTSUPP when the kernel has none for it (no arena, or a type without a runtime yet). */
export function liveMap(m: MapFd): BpfMap {
  const live = m.map.live;
  if (live === undefined) {
    throw new BpfError('ENOTSUPP', 'map:no-runtime', `map #${m.obj.id} has no run-time half in this kernel (no arena, or its type is not simulated yet)`);
  }
  return live;
}

/** `flags & ~BPF_F_LOCK` must be zero (lookup, lookup-and-delete, batch elem_flags). */
export function checkOnlyLockFlag(core: KernelCore, id: string, field: string, flags: bigint): void {
  const unknown = flags & ~BigInt(BPF_F_LOCK);
  check(core, `${id}:${field}`, unknown === 0n, 'EINVAL', 'map:flags', flagsDetail(field, Number(flags & 0xffff_ffffn), Number(unknown & 0xffff_ffffn)));
}

/** `BPF_F_LOCK` needs a `bpf_spin_lock` in the value (EINVAL). */
export function checkLockFlag(core: KernelCore, id: string, m: MapFd, flags: bigint): void {
  if ((flags & BigInt(BPF_F_LOCK)) === 0n) return;
  check(core, `${id}:BPF_F_LOCK`, m.map.hasSpinLock, 'EINVAL', 'map:lock-without-spin-lock', {
    pass: `map #${m.obj.id}'s value has a bpf_spin_lock for BPF_F_LOCK`,
    fail: `BPF_F_LOCK on map #${m.obj.id}, whose value has no bpf_spin_lock`,
  });
}

/** What a syscall-side map update hands the map: the resolver of fds written into fd maps. */
export function syscallContext(task: SyscallContext, m: MapFd): MapSyscallContext {
  return { fds: mapFdResolver(task, m.map), file: m.file };
}

/**
 * Flags as the u64 attr field, narrowed to the number the map contract takes.
 * Bits above 31 (no flag lives there) become bit 30, also no flag: a map's
 * "unknown flags" check sees an unknown bit either way, and bit 30 stays
 * positive under JavaScript's signed 32-bit bitwise operators.
 */
export function flagsNumber(flags: bigint): number {
  const low = Number(flags & 0x7fff_ffffn);
  return flags > 0x7fff_ffffn ? low | 0x4000_0000 : low;
}
