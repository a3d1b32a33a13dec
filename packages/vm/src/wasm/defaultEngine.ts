import type { ExecutionEngine } from '@bpfkit/kernel-api';
import { createInterpreter } from '../interp/index.js';
import { createWasmEngine } from './engine.js';
import { wasmApi } from './webassembly.js';

/**
 * The engine to use when you have no reason to choose: the WebAssembly JIT
 * where the host has WebAssembly (with the interpreter behind it for what
 * the JIT cannot run), else the interpreter.
 *
 * @example
 * const engine = createDefaultEngine();
 * engine.name; // 'wasm' on Node and in browsers
 */
export function createDefaultEngine(): ExecutionEngine {
  const interp = createInterpreter();
  return wasmApi() === undefined ? interp : createWasmEngine({ fallback: interp });
}
