// The slice of the WebAssembly JS API the arena uses. TypeScript declares it
// only in the DOM library, which this project does not load.

/** `WebAssembly.Memory` as far as the arena needs it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

interface WasmMemoryConstructor {
  new (descriptor: { initial: number; maximum?: number }): WasmMemory;
}

/** The host's `WebAssembly.Memory`, or undefined where there is no WebAssembly. */
export function wasmMemoryConstructor(): WasmMemoryConstructor | undefined {
  const wasm = (globalThis as { WebAssembly?: { Memory?: WasmMemoryConstructor } }).WebAssembly;
  return wasm?.Memory;
}

/** Bytes in one WebAssembly page. */
export const WASM_PAGE = 0x1_0000;
