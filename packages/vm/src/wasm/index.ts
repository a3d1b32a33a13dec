export { createWasmEngine, type WasmEngineOptions } from './engine.js';
export type { ControlFlowMode } from './compileModule.js';
