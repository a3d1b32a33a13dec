import type { VerifierEnv } from './env.js';
import { markAllScalarsPrecise, precisionMarksSet, propagatePrecision } from './precision.js';
import type { Checkpoint } from './prune.js';
import { cloneState, type VState } from './state.js';

/** Rounds of precision propagation over a loop's backedges before giving up and marking all precise. */
const MAX_BACKEDGE_ITERS = 64;

/** A state that came back to an equal one inside a loop, and that state. */
interface Backedge {
  readonly state: VState;
  readonly equal: VState;
  /** The checkpoint the state had above it when it was copied (`parent`). */
  readonly parent: Checkpoint | undefined;
}

/** `struct bpf_scc_visit`: one pass of a call chain through a loop, from its entry state until that state is done. */
interface Visit {
  entry: Checkpoint | undefined;
  backedges: Backedge[];
}

/**
 * 6.18's loop bookkeeping (`bpf_scc_visit`): a checkpoint entering a strongly connected component
 * of the instruction graph opens a visit of its call chain; states that prune against a state of
 * the loop while it is open record a backedge, and such pruning compares ranges even of imprecise
 * scalars; when the entry state has no paths left, precision is propagated through the backedges
 * until nothing changes. Level 2 logs `SCC enter/backedge/exit (callsites…,scc)`.
 */
export class SccVisits {
  private readonly visits = new Map<string, Visit>();
  /** Backedges held by all open visits (`num_backedges`, counted in peak_states). */
  backedges = 0;

  constructor(private readonly env: VerifierEnv, private readonly scc: Uint32Array) {}

  /**
   * `compute_scc_callchain`: the call sites down to the first frame that is inside a loop, and
   * that loop, as a map key; undefined outside loops.
   */
  private callchain(st: VState): string | undefined {
    const last = st.frames.length - 1;
    let key = '';
    for (let i = 0; i <= last; i++) {
      const at = i === last ? st.insnIdx : (st.frames[i + 1]?.returnTo ?? 0) - 1;
      const scc = this.scc[at] ?? 0;
      if (scc !== 0) return `${key}${String(scc)}`;
      if (i === last) return undefined;
      key += `${String(at)},`;
    }
    return undefined;
  }

  /** `format_callchain`: `(callsites…,scc)`, the call sites printed up to the first zero. */
  private static text(key: string): string {
    const parts = key.split(',');
    const scc = parts.pop() ?? '';
    const zero = parts.indexOf('0');
    return `(${(zero < 0 ? parts : parts.slice(0, zero)).map((c) => `${c},`).join('')}${scc})`;
  }

  /** `maybe_enter_scc`: a new checkpoint inside a loop opens its call chain's visit if none is open. */
  enter(cp: Checkpoint): void {
    const chain = this.callchain(cp.state);
    if (chain === undefined) return;
    let visit = this.visits.get(chain);
    if (visit === undefined) {
      visit = { entry: undefined, backedges: [] };
      this.visits.set(chain, visit);
    }
    if (visit.entry !== undefined) return;
    visit.entry = cp;
    if (this.env.log.level2) this.env.log.line(`SCC enter ${SccVisits.text(chain)}`);
  }

  /** `maybe_exit_scc`: the entry checkpoint of a visit has no paths left: close it, propagating precision over its backedges. */
  exit(cp: Checkpoint): void {
    const chain = this.callchain(cp.state);
    if (chain === undefined) return;
    const visit = this.visits.get(chain);
    if (visit?.entry !== cp) return;
    if (this.env.log.level2) this.env.log.line(`SCC exit ${SccVisits.text(chain)}`);
    visit.entry = undefined;
    this.propagateBackedges(visit);
    this.backedges -= visit.backedges.length;
    visit.backedges = [];
  }

  /** `incomplete_read_marks`: the state is in a loop whose visit has backedges still to propagate. */
  incomplete(st: VState): boolean {
    // Most programs never record a backedge: no call chain is built for them.
    if (this.backedges === 0) return false;
    const chain = this.callchain(st);
    return chain !== undefined && (this.visits.get(chain)?.backedges.length ?? 0) > 0;
  }

  /** `add_scc_backedge`: `cur` pruned against `equal`, a state of an open loop visit. */
  addBackedge(equal: VState, cur: VState, pc: number, parent: Checkpoint | undefined): void {
    const chain = this.callchain(equal);
    const visit = chain === undefined ? undefined : this.visits.get(chain);
    if (chain === undefined || visit === undefined) return;
    if (this.env.log.level2) this.env.log.line(`SCC backedge ${SccVisits.text(chain)}`);
    const state = cloneState(cur);
    state.insnIdx = pc;
    visit.backedges.unshift({ state, equal, parent });
    this.backedges++;
  }

  /** `propagate_backedges`: precision from each equal state into its backedge, until a fixed point. */
  private propagateBackedges(visit: Visit): void {
    for (let i = 0; ; i++) {
      if (i > MAX_BACKEDGE_ITERS) {
        if (this.env.log.level2) this.env.log.line('propagate_backedges: too many iterations');
        for (const b of visit.backedges) markAllScalarsPrecise(this.env, b.state);
        return;
      }
      const before = precisionMarksSet();
      for (const b of visit.backedges) propagatePrecision(this.env, b.equal, b.state, b.parent);
      if (precisionMarksSet() === before) return;
    }
  }
}
