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
