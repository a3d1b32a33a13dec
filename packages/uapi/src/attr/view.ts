import { attrFieldSize, attrGroupLayout, type AttrField, type AttrGroup, type AttrOutput } from './layout.js';

/** A command's attr read in place: each field is read from the bytes when asked for. */
export type AttrView<G extends AttrGroup> = Readonly<AttrOutput<G>>;

type ViewClass = new (bytes: Uint8Array) => { readonly bytes: Uint8Array };

const viewClasses = new Map<AttrGroup, ViewClass>();

const byte = (b: Uint8Array, at: number): number => b[at] ?? 0;
const s32 = (b: Uint8Array, at: number): number => byte(b, at) | (byte(b, at + 1) << 8) | (byte(b, at + 2) << 16) | (byte(b, at + 3) << 24);

function u64(b: Uint8Array, at: number): bigint {
  const lo = s32(b, at) >>> 0;
  const hi = s32(b, at + 4) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

function fieldReader(field: AttrField): (b: Uint8Array) => number | bigint | Uint8Array {
  const at = field.offset;
  switch (field.type) {
    case 'char': {
      const end = at + attrFieldSize(field);
      // A copy of the field's bytes, zero-filled past a short attr (as the decoders give).
      return (b) => {
        const out = new Uint8Array(end - at);
        out.set(b.subarray(at, end));
        return out;
      };
    }
    case 'u64':
      return (b) => u64(b, at);
    case 's64':
      return (b) => BigInt.asIntN(64, u64(b, at));
    case 'u32':
      return (b) => s32(b, at) >>> 0;
    case 's32':
      return (b) => s32(b, at);
    case 'u16':
      return (b) => byte(b, at) | (byte(b, at + 1) << 8);
    case 'u8':
      return (b) => byte(b, at);
  }
}

function viewClass(group: AttrGroup): ViewClass {
  const known = viewClasses.get(group);
  if (known !== undefined) return known;
  class View {
    constructor(readonly bytes: Uint8Array) {}
  }
  for (const field of attrGroupLayout(group).fields) {
    const read = fieldReader(field);
    Object.defineProperty(View.prototype, field.name, {
      get(this: View) {
        return read(this.bytes);
      },
      enumerable: true,
    });
  }
  viewClasses.set(group, View);
  return View;
}

/**
 * A group's attr read in place, field by field, instead of decoded whole: what `bpf()` uses on its
 * hot paths (decoding builds every field of the struct on every call). Bytes past the end of
 * `bytes` read as zero; the view reads `bytes` when a field is asked for, so they must not change
 * while it is in use. Never throws.
 *
 * @example
 * attrView('map_create', bytes).map_type; // same as decodeMapCreateAttr(bytes).map_type
 */
export function attrView<G extends AttrGroup>(group: G, bytes: Uint8Array): AttrView<G> {
  const View = viewClass(group);
  return new View(bytes) as unknown as AttrView<G>;
}
