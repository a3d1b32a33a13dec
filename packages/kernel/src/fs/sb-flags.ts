import type { FsContext, SuperBlock } from '@bpfkit/kernel-api';

// Superblock flags (`SB_*`) as fsconfig keys and legacy mount(2) flags set them, and as
// /proc/<pid>/mountinfo shows them before the file system's own options.
const SB_RDONLY = 1;
const SB_SYNCHRONOUS = 16;
const SB_MANDLOCK = 64;
const SB_DIRSYNC = 128;
const SB_SILENT = 32768;
const SB_POSIXACL = 1 << 16;
const SB_LAZYTIME = 1 << 25;

/** The keys the VFS takes as superblock flags before the file system sees them (whatever the value type). */
const KEYS: ReadonlyMap<string, { readonly bit: number; readonly set: boolean }> = new Map([
  ['ro', { bit: SB_RDONLY, set: true }],
  ['rw', { bit: SB_RDONLY, set: false }],
  ['sync', { bit: SB_SYNCHRONOUS, set: true }],
  ['async', { bit: SB_SYNCHRONOUS, set: false }],
  ['dirsync', { bit: SB_DIRSYNC, set: true }],
  ['lazytime', { bit: SB_LAZYTIME, set: true }],
  ['nolazytime', { bit: SB_LAZYTIME, set: false }],
  ['mand', { bit: SB_MANDLOCK, set: true }],
  ['nomand', { bit: SB_MANDLOCK, set: false }],
  ['silent', { bit: SB_SILENT, set: true }],
  ['posixacl', { bit: SB_POSIXACL, set: true }],
]);

/** The mount(2) flags that are superblock flags (same bit values). */
const LEGACY_MASK = SB_RDONLY | SB_SYNCHRONOUS | SB_MANDLOCK | SB_DIRSYNC | SB_SILENT | SB_POSIXACL | SB_LAZYTIME;

/** `fc->sb_flags` and `fc->sb_flags_mask` (the bits a key named, set or cleared). */
const contextFlags = new WeakMap<FsContext, { flags: number; mask: number }>();
const superFlags = new WeakMap<SuperBlock, number>();

/** Applies `key` to the context's superblock flags; false when it is not a superblock flag key. */
export function parseSbFlag(fc: FsContext, key: string): boolean {
  const k = KEYS.get(key);
  if (k === undefined) return false;
  const cur = contextFlags.get(fc) ?? { flags: 0, mask: 0 };
  contextFlags.set(fc, { flags: k.set ? cur.flags | k.bit : cur.flags & ~k.bit, mask: cur.mask | k.bit });
  return true;
}

/** A legacy mount(2) starts its context with the superblock flags among its `MS_*` flags. */
export function setLegacySbFlags(fc: FsContext, msFlags: number): void {
  contextFlags.set(fc, { flags: msFlags & LEGACY_MASK, mask: 0 });
}

/** A superblock created from `fc` keeps the context's flags. */
export function adoptSbFlags(fc: FsContext, sb: SuperBlock): void {
  superFlags.set(sb, contextFlags.get(fc)?.flags ?? 0);
}

/**
 * A successful reconfiguration changes the superblock flags the context named (`reconfigure_super`
 * does this itself, also for a file system without a reconfigure operation, such as bpffs).
 */
export function reconfigureSbFlags(fc: FsContext, sb: SuperBlock): void {
  const c = contextFlags.get(fc);
  if (c === undefined) return;
  const cur = superFlags.get(sb) ?? 0;
  superFlags.set(sb, (cur & ~c.mask) | (c.flags & c.mask));
}

/** `sb_rdonly()`: the superblock is read-only (`ro` given to fsconfig or as MS_RDONLY to a new mount). */
export function sbReadonly(sb: SuperBlock): boolean {
  return ((superFlags.get(sb) ?? 0) & SB_RDONLY) !== 0;
}

/** `ro`/`rw`, then `,sync`, `,dirsync`, `,mand`, `,lazytime` as set: the start of mountinfo's super options. */
export function showSbFlags(sb: SuperBlock): string {
  const f = superFlags.get(sb) ?? 0;
  let out = (f & SB_RDONLY) !== 0 ? 'ro' : 'rw';
  if ((f & SB_SYNCHRONOUS) !== 0) out += ',sync';
  if ((f & SB_DIRSYNC) !== 0) out += ',dirsync';
  if ((f & SB_MANDLOCK) !== 0) out += ',mand';
  if ((f & SB_LAZYTIME) !== 0) out += ',lazytime';
  return out;
}
