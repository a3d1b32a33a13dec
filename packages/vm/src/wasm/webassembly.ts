// The slice of the WebAssembly JS API the JIT uses. TypeScript declares it
// only in the DOM library, which this project does not load.

/** `WebAssembly.Module`: compiled code, not yet bound to memory or imports. */
export type WasmModule = object;

/** `WebAssembly.Global` as far as the JIT reads and writes i32/f64 globals. */
export interface WasmGlobal {
  value: number;
}

/** `WebAssembly.Instance`: the module bound to one arena's memory. */
export interface WasmInstance {
  readonly exports: Readonly<Record<string, unknown>>;
}

/** The import object handed to `new WebAssembly.Instance`. */
export type WasmImports = Record<string, Record<string, unknown>>;

/** What the JIT needs from the host's `WebAssembly` namespace. */
export interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => WasmModule;
  readonly Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  readonly Global: new (descriptor: { value: 'i32' | 'f64'; mutable?: boolean }, value: number) => WasmGlobal;
  readonly RuntimeError: abstract new (...args: never[]) => Error;
}

/**
 * The host's `WebAssembly`, or undefined where there is none (some locked-down
 * runtimes, old engines): callers fall back to the interpreter.
 *
 * @example
 * const api = wasmApi();
 * if (api !== undefined) new api.Module(bytes);
 */
export function wasmApi(): WasmApi | undefined {
  const wasm = (globalThis as { WebAssembly?: Partial<WasmApi> }).WebAssembly;
  if (wasm?.Module === undefined || wasm.Instance === undefined || wasm.Global === undefined || wasm.RuntimeError === undefined) return undefined;
  return wasm as WasmApi;
}
