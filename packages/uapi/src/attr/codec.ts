import { attrFieldSize, type AttrField, type AttrLayout } from './layout.js';

/** A decoded field value. */
export type AttrValue = number | bigint | Uint8Array;

const INT_RANGE: Record<string, readonly [number, number]> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  s32: [-0x80000000, 0x7fffffff],
};

function fieldBytes(field: AttrField, value: unknown): Uint8Array {
  const size = attrFieldSize(field);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  switch (field.type) {
    case 'char': {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      if (!(bytes instanceof Uint8Array)) throw new TypeError(`${field.name}: expected a string or Uint8Array`);
      if (bytes.length > size) throw new RangeError(`${field.name}: ${String(bytes.length)} bytes do not fit char[${String(size)}]`);
      out.set(bytes);
      return out;
    }
    case 'u64':
    case 's64': {
      if (typeof value !== 'bigint') throw new TypeError(`${field.name}: expected a bigint`);
      const ok = field.type === 'u64' ? BigInt.asUintN(64, value) === value : BigInt.asIntN(64, value) === value;
      if (!ok) throw new RangeError(`${field.name}: ${value.toString()} is out of range for ${field.type}`);
      view.setBigUint64(0, BigInt.asUintN(64, value), true);
      return out;
    }
    default: {
      const range = INT_RANGE[field.type];
      if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`${field.name}: expected an integer`);
      if (range === undefined || value < range[0] || value > range[1]) {
        throw new RangeError(`${field.name}: ${String(value)} is out of range for ${field.type}`);
      }
      if (size === 1) view.setUint8(0, value & 0xff);
      else if (size === 2) view.setUint16(0, value & 0xffff, true);
      else view.setUint32(0, value >>> 0, true);
      return out;
    }
  }
}

/**
 * Encodes fields into a zero-filled buffer of `size` bytes (default: the struct's size), little-endian.
 * Throws TypeError for an unknown field or a value of the wrong kind, RangeError for a value out of its
 * type's range, a non-zero field that does not fit in `size`, or two aliases of one union given different bytes.
 */
export function encodeLayout(layout: AttrLayout, fields: object, size: number = layout.size): Uint8Array {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`attr size ${String(size)} is not a byte count`);
  const out = new Uint8Array(size);
  const owner = new Array<string | undefined>(size);
  const byName = new Map(layout.fields.map((f) => [f.name, f]));
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const field = byName.get(name);
    if (field === undefined) throw new TypeError(`unknown attr field '${name}'`);
    const bytes = fieldBytes(field, value);
    for (let i = 0; i < bytes.length; i++) {
      const at = field.offset + i;
      const byte = bytes[i] ?? 0;
      if (at >= size) {
        if (byte !== 0) throw new RangeError(`${name} does not fit in a ${String(size)}-byte attr`);
        continue;
      }
      const previous = owner[at];
      if (previous !== undefined && out[at] !== byte) {
        throw new RangeError(`${name} and ${previous} share bytes (a union) but were given different values`);
      }
      out[at] = byte;
      owner[at] = name;
    }
  }
  return out;
}

/**
 * Decodes every field of a layout. Bytes past the end of `bytes` read as zero, as in the kernel's
 * zero-initialised copy of a short attr; bytes past the struct are ignored. Never throws.
 */
export function decodeLayout(layout: AttrLayout, bytes: Uint8Array): Record<string, AttrValue> {
  // Read in place when the bytes cover the layout (fields are copied out one by one anyway).
  let copy = bytes;
  if (bytes.length < layout.size) {
    copy = new Uint8Array(layout.size);
    copy.set(bytes);
  }
  // Byte arithmetic rather than a DataView: every bpf() call decodes its attr, and a view is an allocation.
  const out: Record<string, AttrValue> = {};
  for (const field of layout.fields) {
    const at = field.offset;
    switch (field.type) {
      case 'char':
        out[field.name] = copy.slice(at, at + attrFieldSize(field));
        break;
      case 'u64':
        out[field.name] = u64le(copy, at);
        break;
      case 's64':
        out[field.name] = BigInt.asIntN(64, u64le(copy, at));
        break;
      case 'u32':
        out[field.name] = s32le(copy, at) >>> 0;
        break;
      case 's32':
        out[field.name] = s32le(copy, at);
        break;
      case 'u16':
        out[field.name] = (copy[at] ?? 0) | ((copy[at + 1] ?? 0) << 8);
        break;
      case 'u8':
        out[field.name] = copy[at] ?? 0;
        break;
    }
  }
  return out;
}

/** The little-endian 32-bit word at `at`, as a signed number. */
function s32le(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8) | ((b[at + 2] ?? 0) << 16) | ((b[at + 3] ?? 0) << 24);
}

/** The little-endian unsigned 64-bit word at `at` (no BigInt arithmetic when the high word is zero). */
function u64le(b: Uint8Array, at: number): bigint {
  const lo = s32le(b, at) >>> 0;
  const hi = s32le(b, at + 4) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * A `char[BPF_OBJ_NAME_LEN]` field as text: the bytes before the first NUL (latin-1, as the kernel
 * compares bytes).
 *
 * @example
 * objName(decodeAttr(BpfCmd.BPF_MAP_CREATE, bytes).map_name); // 'counters'
 */
export function objName(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return String.fromCharCode(...bytes.subarray(0, end === -1 ? bytes.length : end));
}
