/** Test ELF files: uprobe targets, and a fixture object with another section name. */
import { fixture } from '../helpers.js';

/** A minimal ELF64 shared object: `.text` at 0x401000 (file offset 0x1000), the symbols in one symbol table of `symType`, 0x2000 bytes long. */
export function sharedObject(symbols: readonly { name: string; value: number; bind?: number; type?: number }[], symType = 11): Uint8Array {
  const names = Buffer.concat([Buffer.from([0]), ...symbols.map((s) => Buffer.from(`${s.name}\0`))]);
  const symOff = 64;
  const symSize = (symbols.length + 1) * 24;
  const strOff = symOff + symSize;
  const shOff = Math.ceil((strOff + names.length) / 8) * 8;
  const out = new Uint8Array(0x2000);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 3, true); // ET_DYN
  v.setUint16(18, 62, true); // EM_X86_64
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(52, 64, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 4, true);
  let nameAt = 1;
  symbols.forEach((s, i) => {
    const o = symOff + (i + 1) * 24;
    v.setUint32(o, nameAt, true);
    v.setUint8(o + 4, ((s.bind ?? 1) << 4) | (s.type ?? 2));
    v.setUint16(o + 6, 1, true);
    v.setBigUint64(o + 8, BigInt(s.value), true);
    nameAt += Buffer.byteLength(s.name) + 1;
  });
  out.set(names, strOff);
  const sh = (i: number, type: number, addr: number, offset: number, size: number, link = 0, entsize = 0): void => {
    const o = shOff + i * 64;
    v.setUint32(o + 4, type, true);
    v.setBigUint64(o + 16, BigInt(addr), true);
    v.setBigUint64(o + 24, BigInt(offset), true);
    v.setBigUint64(o + 32, BigInt(size), true);
    v.setUint32(o + 40, link, true);
    v.setBigUint64(o + 56, BigInt(entsize), true);
  };
  sh(1, 1, 0x401000, 0x1000, 0x100);
  sh(2, symType, 0, symOff, symSize, 3, 24);
  sh(3, 3, 0, strOff, names.length);
  return out;
}

/** trace_ringbuf.o with its `kprobe/do_sys_open` section (ELF and BTF strings) renamed to `section`, of the same length. */
export function withSection(section: string): Uint8Array {
  const bytes = fixture('trace_ringbuf');
  const from = Buffer.from('kprobe/do_sys_open');
  const to = Buffer.from(section);
  if (to.length !== from.length) throw new Error(`section '${section}' must be ${from.length} bytes`);
  const buf = Buffer.from(bytes);
  for (let at = buf.indexOf(from); at >= 0; at = buf.indexOf(from, at + 1)) to.copy(buf, at);
  return new Uint8Array(buf);
}

/** A USDT probe site for {@link usdtBinary}: its address in the text segment and its argument spec. */
export interface UsdtNoteSpec {
  readonly provider: string;
  readonly name: string;
  readonly args: string;
  readonly loc: number;
  readonly sema?: number;
}

/**
 * A minimal ELF64 executable with USDT notes as `sys/sdt.h` emits them: a text PT_LOAD
 * (0x401000, file offset 0x1000, executable), a data PT_LOAD (0x403000, file offset 0x3000),
 * `.note.stapsdt` and a one-byte `.stapsdt.base` at 0x401f00 (the notes' base address is
 * `base`, so a note can be off by a prelink difference).
 */
export function usdtBinary(notes: readonly UsdtNoteSpec[], base = 0x401f00): Uint8Array {
  const enc = new TextEncoder();
  const noteBytes: number[] = [];
  const push32 = (n: number): void => { noteBytes.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff); };
  const push64 = (n: number): void => { push32(n); push32(0); };
  const pad4 = (): void => { while (noteBytes.length % 4 !== 0) noteBytes.push(0); };
  for (const n of notes) {
    const desc = [...enc.encode(`${n.provider}\0${n.name}\0${n.args}\0`)];
    push32(8);
    push32(24 + desc.length);
    push32(3);
    noteBytes.push(...enc.encode('stapsdt\0'));
    push64(n.loc);
    push64(0x401f00);
    push64(n.sema ?? 0);
    noteBytes.push(...desc);
    pad4();
  }
  const shstr = enc.encode('\0.text\0.note.stapsdt\0.stapsdt.base\0.shstrtab\0.data\0');
  const out = new Uint8Array(0x4000);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 62, true);
  v.setBigUint64(32, 64n, true); // e_phoff
  v.setUint16(54, 56, true);
  v.setUint16(56, 2, true);
  const ph = (i: number, flags: number, off: number, vaddr: number, size: number): void => {
    const o = 64 + i * 56;
    v.setUint32(o, 1, true);
    v.setUint32(o + 4, flags, true);
    v.setBigUint64(o + 8, BigInt(off), true);
    v.setBigUint64(o + 16, BigInt(vaddr), true);
    v.setBigUint64(o + 32, BigInt(size), true);
    v.setBigUint64(o + 40, BigInt(size), true);
  };
  ph(0, 5, 0x1000, 0x401000, 0x1000);
  ph(1, 6, 0x3000, 0x403000, 0x100);
  const notesAt = 0x2000;
  out.set(noteBytes, notesAt);
  const strAt = notesAt + noteBytes.length + 8;
  out.set(shstr, strAt);
  const shOff = 0x3800;
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 6, true);
  v.setUint16(62, 4, true);
  const sh = (i: number, name: number, type: number, addr: number, offset: number, size: number): void => {
    const o = shOff + i * 64;
    v.setUint32(o, name, true);
    v.setUint32(o + 4, type, true);
    v.setBigUint64(o + 16, BigInt(addr), true);
    v.setBigUint64(o + 24, BigInt(offset), true);
    v.setBigUint64(o + 32, BigInt(size), true);
  };
  sh(1, 1, 1, 0x401000, 0x1000, 0x1000);
  sh(2, 7, 7, 0, notesAt, noteBytes.length);
  sh(3, 21, 1, base, 0x1f00, 1);
  sh(4, 35, 3, 0, strAt, shstr.length);
  sh(5, 45, 1, 0x403000, 0x3000, 0x100);
  return out;
}
