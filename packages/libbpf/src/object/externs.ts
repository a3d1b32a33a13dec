import type { Btf } from '@bpfkit/btf';
import type { ExternSpec } from '@bpfkit/elf';
import { BpfError } from '@bpfkit/kernel-api';

/** A `.kconfig` extern placed in the kconfig map. */
export interface KconfigSlot {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly kind: 'bool' | 'char' | 'int' | 'chars';
  readonly signed: boolean;
}

/** The `.kconfig` map's layout and contents. */
export interface KconfigData {
  readonly slots: readonly KconfigSlot[];
  readonly bytes: Uint8Array;
}

/** KERNEL_VERSION(a, b, c) as the kernel's `LINUX_VERSION_CODE` packs it. @example kernelVersionCode('6.18.0'); // 397824 */
export function kernelVersionCode(release: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release);
  if (m === null) throw new BpfError('EINVAL', 'libbpf:bad-release', `cannot read a kernel version from '${release}'`);
  const [a, b, c] = [Number(m[1]), Number(m[2]), Math.min(Number(m[3] ?? 0), 255)];
  return (a << 16) + (b << 8) + c;
}

function slotShape(btf: Btf, ext: ExternSpec): Omit<KconfigSlot, 'name' | 'offset'> & { align: number } {
  const r = btf.resolve(ext.typeId);
  const t = r?.type;
  if (t?.kind === 'INT') {
    if ((t.encoding & 4) !== 0) return { kind: 'bool', size: 1, signed: false, align: 1 };
    if ((t.encoding & 2) !== 0 && t.size === 1) return { kind: 'char', size: 1, signed: false, align: 1 };
    return { kind: 'int', size: t.size, signed: (t.encoding & 1) !== 0, align: t.size };
  }
  if (t?.kind === 'ENUM' || t?.kind === 'ENUM64') return { kind: 'int', size: t.size, signed: t.signed, align: t.size };
  if (t?.kind === 'ARRAY') {
    const el = btf.resolve(t.type)?.type;
    if (el?.kind === 'INT' && el.size === 1) return { kind: 'chars', size: t.nelems, signed: false, align: 1 };
  }
  throw new BpfError('EOPNOTSUPP', 'libbpf:kconfig-type', `extern (kcfg) '${ext.name}': type is unsupported`);
}

/** The `.kconfig` map's layout: one slot per extern, and the value size. */
export interface KconfigLayoutResult {
  readonly slots: readonly (KconfigSlot & { readonly weak: boolean })[];
  readonly size: number;
}

/**
 * Lays out the `.kconfig` map as libbpf does at open: externs by alignment (largest
 * first), then size, then name. Undefined when the object has no `.kconfig` extern.
 *
 * @example
 * layoutKconfig(btf, spec.externs)?.size; // 5
 */
export function layoutKconfig(btf: Btf | undefined, externs: readonly ExternSpec[]): KconfigLayoutResult | undefined {
  const kc = externs.filter((e) => e.kind === 'kconfig');
  if (kc.length === 0 || btf === undefined) return undefined;
  const shaped = kc.map((e) => ({ ext: e, ...slotShape(btf, e) }));
  shaped.sort((a, b) => b.align - a.align || a.size - b.size || (a.ext.name < b.ext.name ? -1 : a.ext.name > b.ext.name ? 1 : 0));
  let off = 0;
  const slots: (KconfigSlot & { weak: boolean })[] = [];
  for (const s of shaped) {
    off = Math.ceil(off / s.align) * s.align;
    slots.push({ name: s.ext.name, offset: off, size: s.size, kind: s.kind, signed: s.signed, weak: s.ext.weak });
    off += s.size;
  }
  return { slots, size: off };
}

/**
 * Fills the `.kconfig` values at load: `LINUX_KERNEL_VERSION` from the kernel version code,
 * `LINUX_HAS_*` as a 6.18 kernel answers, `CONFIG_*` from `kconfig` (`y`/`m`/`n`, numbers,
 * quoted strings). A weak extern without a value stays 0; a strong one is ESRCH.
 *
 * @example
 * fillKconfig(layout, { CONFIG_HZ: '250' }, kernelVersionCode('6.18.0'));
 */
export function fillKconfig(layout: KconfigLayoutResult, kconfig: Readonly<Record<string, string>>, kernelVersion: number): KconfigData {
  const bytes = new Uint8Array(layout.size);
  const view = new DataView(bytes.buffer);
  for (const slot of layout.slots) {
    const value = builtinValue(slot.name, kernelVersion) ?? kconfig[slot.name];
    if (value === undefined) {
      if (slot.weak) continue;
      throw new BpfError('ESRCH', 'libbpf:extern-unresolved', `extern (kcfg) '${slot.name}': value not found (strong extern not resolved)`);
    }
    writeValue(view, slot, value);
  }
  return { slots: layout.slots, bytes };
}

function builtinValue(name: string, kernelVersion: number): string | undefined {
  if (name === 'LINUX_KERNEL_VERSION') return String(kernelVersion);
  if (name === 'LINUX_HAS_BPF_COOKIE' || name === 'LINUX_HAS_SYSCALL_WRAPPER') return 'y';
  return undefined;
}

function writeValue(view: DataView, slot: KconfigSlot, value: string): void {
  const fail = (): never => {
    throw new BpfError('EINVAL', 'libbpf:kconfig-value', `extern (kcfg) '${slot.name}': value '${value}' does not fit its type`);
  };
  if (slot.kind === 'chars') {
    if (!value.startsWith('"') || !value.endsWith('"') || value.length < 2) fail();
    const s = new TextEncoder().encode(value.slice(1, -1)).subarray(0, slot.size - 1);
    new Uint8Array(view.buffer, slot.offset, slot.size).set(s);
    return;
  }
  let n: bigint;
  if (value === 'y' || value === 'm' || value === 'n') {
    if (slot.kind === 'char') {
      view.setUint8(slot.offset, value.charCodeAt(0));
      return;
    }
    n = value === 'y' ? 1n : value === 'm' ? 2n : 0n;
    if (slot.kind === 'bool' && value === 'm') fail();
  } else {
    try {
      n = BigInt(value);
    } catch {
      return fail();
    }
    if (slot.kind === 'bool' && n !== 0n && n !== 1n) fail();
  }
  const bits = slot.size * 8;
  if (slot.signed ? BigInt.asIntN(bits, n) !== n : BigInt.asUintN(bits, n) !== n) fail();
  const u = BigInt.asUintN(bits, n);
  if (slot.size === 8) view.setBigUint64(slot.offset, u, true);
  else if (slot.size === 4) view.setUint32(slot.offset, Number(u), true);
  else if (slot.size === 2) view.setUint16(slot.offset, Number(u), true);
  else view.setUint8(slot.offset, Number(u));
}

/** How a `.ksyms` extern resolved. */
export type KsymResolution =
  | { readonly kind: 'btf-var'; readonly btfId: number }
  | { readonly kind: 'kfunc'; readonly btfId: number }
  | { readonly kind: 'addr'; readonly addr: bigint }
  | { readonly kind: 'missing' };

/**
 * Resolves one `.ksyms` extern against the target BTF (typed variables and kfuncs) or
 * `ksymAddresses` (typeless `extern const void x __ksym`); a weak one may be missing,
 * a strong one that is not found is ESRCH (libbpf's rule).
 *
 * @example
 * resolveKsym(objBtf, vmlinux, { name: 'bpf_task_under_cgroup', kind: 'kfunc', weak: true, typeId: 30 }, {});
 */
export function resolveKsym(local: Btf, target: Btf | undefined, ext: ExternSpec, ksymAddresses: Readonly<Record<string, bigint>>): KsymResolution {
  const missing = (why: string): KsymResolution => {
    if (ext.weak) return { kind: 'missing' };
    throw new BpfError('ESRCH', 'libbpf:extern-unresolved', `extern (${ext.kind === 'kfunc' ? 'func ksym' : 'var ksym'}) '${ext.name}': ${why}`);
  };
  if (ext.kind === 'kfunc') {
    const id = target?.byName(ext.name, 'FUNC');
    return id === undefined ? missing('not found in kernel BTF') : { kind: 'kfunc', btfId: id };
  }
  const resolved = local.resolve(ext.typeId);
  const typeless = ext.typeId === 0 || resolved === undefined || resolved.type.kind === 'VOID';
  if (typeless) {
    const addr = ksymAddresses[ext.name];
    return addr === undefined ? missing('failed to find in kallsyms') : { kind: 'addr', addr };
  }
  const id = target?.byName(ext.name, 'VAR');
  return id === undefined ? missing('not found in kernel BTF') : { kind: 'btf-var', btfId: id };
}
