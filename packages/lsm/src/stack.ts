import { BpfError, type LsmVerdict, type SecurityModule, type SecurityStack } from '@bpfkit/kernel-api';
import { LSM_HOOKS } from './hooks.js';

type IntHook = 'capable' | 'bpf' | 'bpfMapCreate' | 'bpfProgLoad' | 'bpfTokenCreate' | 'bpfTokenCmd' | 'bpfTokenCapable' | 'pathPermission';
type FreeHook = 'bpfMapFree' | 'bpfProgFree' | 'bpfTokenFree';

function checkModule(module: SecurityModule, seen: Set<string>): void {
  if (typeof module.name !== 'string' || module.name === '') {
    throw new BpfError('EINVAL', 'lsm:unnamed-module', 'a security module needs a name');
  }
  if (seen.has(module.name)) throw new BpfError('EINVAL', 'lsm:duplicate-module', `security module '${module.name}' is stacked twice`);
  seen.add(module.name);
  for (const key of Object.keys(module)) {
    if (key !== 'name' && !(LSM_HOOKS as readonly string[]).includes(key)) {
      throw new BpfError('EINVAL', 'lsm:unknown-hook', `security module '${module.name}': '${key}' is not an LSM hook`);
    }
  }
}

/**
 * Stacks security modules as the kernel's `call_int_hook` does: each hook runs
 * in stack order, the first denial wins, a module without the hook allows.
 * Free hooks (`call_void_hook`) run on every module. With no modules every
 * check passes, which is the kernel measured for the corpus (no LSM there
 * affects BPF).
 *
 * @example
 * const lsm = createSecurityStack([createPolicyModule({ name: 'xdp-only', progLoad: ({ prog }) => prog.type === 6 || deny('EPERM') })]);
 * lsm.bpfProgLoad(cred, { kind: 'prog', type: 1, name: 'f' }, undefined, false); // { errno: 'EPERM', module: 'xdp-only', … }
 */
export function createSecurityStack(modules: readonly SecurityModule[] = []): SecurityStack {
  const seen = new Set<string>();
  for (const m of modules) checkModule(m, seen);
  const stack = [...modules];

  function run<H extends IntHook>(hook: H, args: Parameters<NonNullable<SecurityModule[H]>>): LsmVerdict {
    for (const m of stack) {
      const fn = m[hook] as ((...a: typeof args) => LsmVerdict) | undefined;
      if (fn === undefined) continue;
      const verdict = fn.apply(m, args);
      if (verdict !== undefined) return verdict.module === undefined ? { ...verdict, module: m.name } : verdict;
    }
    return undefined;
  }

  function runAll<H extends FreeHook>(hook: H, args: Parameters<NonNullable<SecurityModule[H]>>): void {
    for (const m of stack) {
      const fn = m[hook] as ((...a: typeof args) => void) | undefined;
      fn?.apply(m, args);
    }
  }

  return {
    modules: stack,
    capable: (...a) => run('capable', a),
    bpf: (...a) => run('bpf', a),
    bpfMapCreate: (...a) => run('bpfMapCreate', a),
    bpfProgLoad: (...a) => run('bpfProgLoad', a),
    bpfTokenCreate: (...a) => run('bpfTokenCreate', a),
    bpfTokenCmd: (...a) => run('bpfTokenCmd', a),
    bpfTokenCapable: (...a) => run('bpfTokenCapable', a),
    pathPermission: (...a) => run('pathPermission', a),
    bpfMapFree: (...a) => {
      runAll('bpfMapFree', a);
    },
    bpfProgFree: (...a) => {
      runAll('bpfProgFree', a);
    },
    bpfTokenFree: (...a) => {
      runAll('bpfTokenFree', a);
    },
  };
}
