import { ARENA_GUARD_BYTES, BpfError, type VmArena } from '@bpfkit/kernel-api';
import { createBacking } from './backing.js';
import { Shadow } from './shadow.js';

/** Options of {@link createVmArena}; every field is optional, unknown fields are rejected. */
export interface VmArenaOptions {
  /** Bytes reserved at first (default 16 MiB); the arena grows on demand. */
  readonly initialBytes?: number;
  /** The most the arena may grow to (default and maximum 4 GiB - 64 KiB, WebAssembly's 32-bit limit). */
  readonly maxBytes?: number;
  /** Back the arena with a `WebAssembly.Memory` where the host has one (default true). */
  readonly wasm?: boolean;
}

const KNOWN = new Set(['initialBytes', 'maxBytes', 'wasm']);
const MAX_BYTES = 0x1_0000_0000 - 0x1_0000;

interface Allocation {
  readonly size: number;
  /** Free-list key: the rounded size and alignment. */
  readonly cls: string;
}

/**
 * A {@link VmArena}: bump allocation with exact-size free lists (a map's
 * elements all have one size, so freed elements are reused as they are),
 * zeroed memory, and a shadow bitmap for {@link VmArena.contains}.
 *
 * @example
 * const arena = createVmArena();
 * const value = arena.alloc(8);
 * arena.view.setUint32(value, 42, true);
 * arena.contains(value, 8); // true
 * arena.free(value);
 */
export function createVmArena(options: VmArenaOptions = {}): VmArena {
  for (const k of Object.keys(options)) if (!KNOWN.has(k)) throw new TypeError(`createVmArena: unknown option ${k}`);
  const maxBytes = Math.min(options.maxBytes ?? MAX_BYTES, MAX_BYTES);
  const backing = createBacking(Math.min(options.initialBytes ?? 16 * 1024 * 1024, maxBytes), maxBytes, options.wasm ?? true);
  const shadow = new Shadow();
  const live = new Map<number, Allocation>();
  const freeLists = new Map<string, number[]>();
  let top = ARENA_GUARD_BYTES;
  let allocated = 0;
  let generation = 0;
  let bytes = new Uint8Array(backing.buffer);
  let view = new DataView(backing.buffer);
  shadow.resize(bytes.length);

  const refresh = (): void => {
    if (bytes.buffer === backing.buffer && bytes.length === backing.buffer.byteLength) return;
    bytes = new Uint8Array(backing.buffer);
    view = new DataView(backing.buffer);
    shadow.resize(bytes.length);
    generation++;
  };

  return {
    get bytes() {
      return bytes;
    },
    get view() {
      return view;
    },
    get generation() {
      return generation;
    },
    wasmMemory: backing.wasmMemory,
    get allocatedBytes() {
      return allocated;
    },
    alloc(size, align = 8) {
      if (!Number.isInteger(size) || size < 0) throw new RangeError(`arena: bad size ${size}`);
      if (!Number.isInteger(align) || align < 8 || (align & (align - 1)) !== 0) throw new RangeError(`arena: bad alignment ${align}`);
      const rounded = Math.max(8, Math.ceil(size / 8) * 8);
      const cls = `${rounded}/${align}`;
      let addr = freeLists.get(cls)?.pop();
      if (addr === undefined) {
        const start = Math.ceil(top / align) * align;
        const end = start + rounded;
        if (end > maxBytes || !backing.growTo(end)) {
          throw new BpfError('ENOMEM', 'memory:arena-full', `cannot allocate ${size} bytes: the arena is limited to ${maxBytes} bytes`);
        }
        refresh();
        top = end;
        addr = start;
      } else {
        bytes.fill(0, addr, addr + rounded);
      }
      live.set(addr, { size: rounded, cls });
      shadow.mark(addr, rounded, true);
      allocated += rounded;
      return addr;
    },
    free(addr) {
      const a = live.get(addr);
      if (a === undefined) throw new RangeError(`arena: no allocation at 0x${addr.toString(16)}`);
      live.delete(addr);
      shadow.mark(addr, a.size, false);
      allocated -= a.size;
      let list = freeLists.get(a.cls);
      if (list === undefined) {
        list = [];
        freeLists.set(a.cls, list);
      }
      list.push(addr);
    },
    contains(addr, size) {
      if (!Number.isInteger(addr) || !Number.isInteger(size) || size <= 0) return false;
      if (addr < ARENA_GUARD_BYTES || addr + size > bytes.length) return false;
      return shadow.covered(addr, size);
    },
  };
}
