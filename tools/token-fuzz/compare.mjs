// Step-by-step comparison of the simulated and the real kernel's results of one scenario.

/** The `info` keys compared when either side reports them. */
export const COMPARED_INFO = [
  'whoami', 'log', 'fstype', 'source', 'super_opts', 'mnt_opts', 'fdinfo', 'mode', 'uid_in_ns', 'gid_in_ns', 'link',
  'fd_flags_cloexec', 'cap_eff', 'verifier_log_tail',
];

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Where two results of one step differ: a list of `what: sim vs linux` strings (empty if they agree). */
export function stepDiff(sim, real, ignore = new Set()) {
  const out = [];
  if (sim === undefined || real === undefined) return ['missing step result'];
  if (sim.ok !== real.ok || sim.errno !== real.errno) out.push(`result: ${sim.errno ?? 'ok'} vs ${real.errno ?? 'ok'}`);
  for (const k of COMPARED_INFO) {
    if (ignore.has(k)) continue;
    const a = sim.info?.[k];
    const b = real.info?.[k];
    if (!same(a, b)) out.push(`${k}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  }
  return out;
}

/** The first step where the two runs of a scenario differ, or undefined. */
export function firstDisagreement(simResult, realResult, ignore) {
  const n = Math.max(simResult.steps.length, realResult.steps.length);
  for (let i = 0; i < n; i++) {
    const d = stepDiff(simResult.steps[i], realResult.steps[i], ignore);
    if (d.length > 0) return { step: i, diffs: d, sim: simResult.steps[i], real: realResult.steps[i] };
  }
  return undefined;
}
