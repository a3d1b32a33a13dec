import { WASM_PAGE, wasmMemoryConstructor, type WasmMemory } from './webassembly.js';

/** Growable bytes: a WebAssembly.Memory, or a plain buffer copied on growth where there is none. */
export interface Backing {
  readonly buffer: ArrayBuffer;
  readonly wasmMemory: WasmMemory | undefined;
  /** Grows to at least `bytes`; false when the limit forbids it. */
  growTo(bytes: number): boolean;
}

export function createBacking(initialBytes: number, maxBytes: number, useWasm: boolean): Backing {
  const Memory = useWasm ? wasmMemoryConstructor() : undefined;
  const maxPages = Math.floor(maxBytes / WASM_PAGE);
  if (Memory !== undefined) {
    const memory = new Memory({ initial: Math.ceil(initialBytes / WASM_PAGE), maximum: maxPages });
    return {
      get buffer() {
        return memory.buffer;
      },
      wasmMemory: memory,
      growTo(bytes) {
        const have = memory.buffer.byteLength;
        if (bytes <= have) return true;
        const want = Math.min(maxPages, Math.max(Math.ceil(bytes / WASM_PAGE), (have / WASM_PAGE) * 2));
        if (want * WASM_PAGE < bytes) return false;
        try {
          memory.grow(want - have / WASM_PAGE);
          return true;
        } catch {
          return false;
        }
      },
    };
  }
  let buffer = new ArrayBuffer(Math.ceil(initialBytes / WASM_PAGE) * WASM_PAGE);
  return {
    get buffer() {
      return buffer;
    },
    wasmMemory: undefined,
    growTo(bytes) {
      if (bytes <= buffer.byteLength) return true;
      const want = Math.min(maxPages, Math.max(Math.ceil(bytes / WASM_PAGE), (buffer.byteLength / WASM_PAGE) * 2)) * WASM_PAGE;
      if (want < bytes) return false;
      const next = new ArrayBuffer(want);
      new Uint8Array(next).set(new Uint8Array(buffer));
      buffer = next;
      return true;
    },
  };
}
