export { createInterpreter, type InterpreterOptions } from './engine.js';
export { createDebugger, type Debugger, type DebuggerOptions, type DebugStop, type RegisterChange, type TraceEntry } from './debugger.js';
// The decoder and layout engines share; `BPF_MAX_LOOPS` (same value) is exported by the helpers.
export {
  CALLBACK_TAG,
  MAX_BPF_STACK,
  MAX_CALL_FRAMES,
  MAX_RUN_FRAMES,
  MAX_TAIL_CALL_CNT,
  STACK_AREA_BYTES,
  callbackTarget,
  callbackValueLow,
  decodeProgram,
  enterRun,
  isCallbackValue,
  leaveRun,
  subprogramLayout,
  tailCallChain,
  takeTailCall,
  type DecodedProgram,
  type SubprogramLayout,
} from '../program/index.js';
