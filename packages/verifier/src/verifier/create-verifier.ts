import { BpfError, type InsnRewrite, type ProgTypeRegistry, type Verifier, type VerifierRequest, type VerifierResult } from '@bpfkit/kernel-api';
import { checkAttachBtfId } from './attach-btf-id.js';
import type { CheckedRequest } from './checked-request.js';
import { addSubprogs, checkCfg, checkSubprogs } from './cfg.js';
import { processFdArray, resolvePseudoLdimm64 } from './resolve-ld-imm64.js';
import { logLiveRegs } from './live-regs-log.js';
import { Checker } from './do-check.js';
import { decodeSlots } from './insns.js';
import { addKfuncCalls } from './kfunc-meta.js';
import { LOG_STATS, Reject, VerifierLog } from './log.js';
import { logMainFuncArgs } from './main-func.js';
import { checkBtfInfo, checkBtfInfoEarly } from './prog-btf.js';

/** What the verifier is built from. */
export interface VerifierDeps {
  /** Program types (helper availability, return ranges). */
  readonly progTypes: ProgTypeRegistry;
  /**
   * A call of `bpf_loop()`, `bpf_for_each_map_elem()` or another helper that calls back is a loop
   * of its own, as upstream commit f597664454bd ("bpf: bpf_scc_visit instance and backedges
   * accumulation for bpf_loop()") made it in the 6.18 stable builds of 2026: the call instruction
   * is an SCC, and a callback that converges leaves a backedge, which `peak_states` counts and
   * precision propagates through. Without it (false) the verifier is the earlier 6.18 builds', the
   * kernel `../shared/corpus/verifier` was recorded on. Default true.
   *
   * The later builds differ in a few more ways their logs show, which come with it: a NULL given
   * for an argument that may be NULL (and `bpf_get_local_storage`'s zero flags) is made precise,
   * precision of the caller's r1-r5 is traced through a callback's body back to its helper call,
   * a lookup in a map-in-map is a `map_ptr_or_null` at once, and a global function's trusted
   * argument must be a referenced or trusted pointer.
   *
   * @example
   * // verify as the 6.18 build the verifier corpus was recorded on
   * const verifier = createVerifier({ progTypes: createProgTypes(), callbackLoops: false });
   */
  readonly callbackLoops?: boolean;
  /**
   * The kernel's `nr_cpu_ids`: `bpf_get_smp_processor_id()` returns less. Unset, its result is any
   * scalar.
   *
   * @example
   * createVerifier({ progTypes: createProgTypes(), possibleCpus: 2 }); // R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=1,...)
   */
  readonly possibleCpus?: number;
}

function statsLine(processed: number, maxStates: number, total: number, peak: number): string {
  return `processed ${String(processed)} insns (limit 1000000) max_states_per_insn ${String(maxStates)} total_states ${String(total)} peak_states ${String(peak)} mark_read 0`;
}

/**
 * The verifier, first part: control flow, register and stack states along every
 * path, helper calls, exit rules; the kernel's log format and errno.
 *
 * @example
 * const verifier = createVerifier({ progTypes: createProgTypes() });
 * verifier.verify(req); // throws BpfError('EACCES', 'verifier:ptr-leak', 'R0 leaks addr as return value')
 */
export function createVerifier(deps: VerifierDeps): Verifier {
  return {
    verify(req: VerifierRequest): VerifierResult {
      const log = new VerifierLog(req.logLevel, req.logSize);
      const insns = decodeSlots(req.insns);
      let checker: Checker | undefined;
      let stackDepth = 0;
      let rewrites: readonly InsnRewrite[] = [];
      let subprogStack: readonly number[];
      // The subprograms found so far: each has a depth in the stats line, 0 until it is verified.
      const starts: number[] = [];
      const started = performance.now();
      let failure: Reject | undefined;
      try {
        // The kernel's order: fd_array's maps, program BTF and func_info, subprograms and kfuncs, the rest of the
        // BTF info, pseudo ld_imm64 sources, the CFG, then the attach target.
        const usedMaps = processFdArray(log, req);
        const btfInfo = checkBtfInfoEarly(log, req.progBtf);
        let checked: CheckedRequest = btfInfo === undefined ? req : { ...req, btf: btfInfo.btf, funcInfo: btfInfo.funcInfo };
        addSubprogs(log, insns, req.privileges.bpfCapable, starts);
        const subprogs = checkSubprogs(log, insns, starts);
        addKfuncCalls(log, insns, req);
        const lineInfo = checkBtfInfo(log, insns, subprogs, req.progBtf, btfInfo);
        if (lineInfo !== undefined) checked = { ...checked, lineInfo };
        resolvePseudoLdimm64(log, insns, req, usedMaps);
        checkCfg(log, insns, subprogs, req.privileges.bpfCapable, lineInfo);
        const attachFunc = checkAttachBtfId(log, checked);
        if (attachFunc !== undefined) checked = { ...checked, attachFunc };
        const callbackLoops = deps.callbackLoops ?? true;
        logLiveRegs(log, insns, checked, deps.progTypes.get(req.progType), callbackLoops);
        logMainFuncArgs(log, checked);
        checker = new Checker(log, insns, checked, deps.progTypes.get(req.progType), subprogs, callbackLoops, deps.possibleCpus);
        const result = checker.run();
        stackDepth = result.stackDepth;
        rewrites = result.rewrites;
        subprogStack = result.subprogStack;
      } catch (e) {
        if (!(e instanceof Reject)) throw e;
        failure = e;
        subprogStack = checker === undefined ? starts.map(() => 0) : checker.subprogStackSoFar;
      }
      const processed = checker?.processed ?? 0;
      // At log level 1 each verification pass that succeeded left only what it printed after (the checker resets).
      if ((req.logLevel & LOG_STATS) !== 0) {
        log.line(`verification time ${String(Math.round((performance.now() - started) * 1000))} usec`);
        log.line(`stack depth ${subprogStack.join('+')}`);
      }
      if (req.logLevel !== 0 && (failure !== undefined || (req.logLevel & (1 | 2 | LOG_STATS)) !== 0)) log.line(statsLine(processed, checker?.maxStatesPerInsn ?? 0, checker?.totalStates ?? 0, checker?.peakStates ?? 0));
      const fin = log.finalize();
      if (fin.truncated) {
        throw new BpfError('ENOSPC', 'verifier:log-too-small', 'the verifier log did not fit log_size', { log: fin.log });
      }
      if (failure !== undefined) throw new BpfError(failure.code, failure.reason, failure.message, { log: fin.log });
      return {
        log: fin.log, logTrueSize: fin.trueSize, stackDepth,
        ...(rewrites.length === 0 ? {} : { rewrites }),
        stats: { insnProcessed: processed, maxStatesPerInsn: checker?.maxStatesPerInsn ?? 0, totalStates: checker?.totalStates ?? 0, peakStates: checker?.peakStates ?? 0, markRead: 0 },
      };
    },
  };
}
