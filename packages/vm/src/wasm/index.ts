export { createWasmEngine, wasmLayout, type WasmEngineOptions } from './engine.js';
export { createDefaultEngine } from './defaultEngine.js';
export type { ControlFlowMode } from './compileModule.js';
