import { CliError } from '../errors.js';

type ArgType = 'number' | 'string' | 'boolean' | 'string|null' | 'string[]';

const TOKEN_ARGS = { token: 'string', token_flag: 'boolean', raw_token_fd: 'number' } as const;

/** The ops a token-oracle/v1 step may run (the corpus README's table) and the type of each argument. */
const OPS: Readonly<Record<string, Readonly<Record<string, ArgType>>>> = {
  fsopen: { fsname: 'string', flags: 'number' },
  fsconfig: { fs: 'string', cmd: 'string', key: 'string', value: 'string', aux: 'number' },
  fsmount: { fs: 'string', flags: 'number', attr: 'number' },
  fspick: { path: 'string' },
  move_mount: { mnt: 'string', to: 'string' },
  mount: { source: 'string|null', target: 'string', fstype: 'string|null', flags: 'number', data: 'string|null' },
  mkdir: { path: 'string', mode: 'number' },
  open: { path: 'string', dir: 'string', rel: 'string', flags: 'number' },
  close: { h: 'string' },
  mount_opts: { path: 'string' },
  fdinfo: { h: 'string' },
  fstat: { h: 'string' },
  token_create: { bpffs: 'string', raw_fd: 'number', flags: 'number', tail_byte_at: 'number' },
  map_create: { map_type: 'number', key_size: 'number', value_size: 'number', max_entries: 'number', map_flags: 'number', ...TOKEN_ARGS },
  prog_load: { prog_type: 'number', expected_attach_type: 'number', prog: 'string', prog_flags: 'number', ...TOKEN_ARGS },
  btf_load: { btf_flags: 'number', ...TOKEN_ARGS },
  btf_get_fd_by_id: { btf_id: 'number', ...TOKEN_ARGS },
  obj_pin: { h: 'string', path: 'string' },
  drop_caps: { caps: 'string[]', all: 'boolean' },
  restore_caps: {},
};

function hasType(value: unknown, type: ArgType): boolean {
  switch (type) {
    case 'string|null':
      return value === null || typeof value === 'string';
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    default:
      return typeof value === type;
  }
}

const SPEC_KEYS: Readonly<Record<string, 'number' | 'boolean' | 'string'>> = {
  pre_uid: 'number', userns: 'boolean', map: 'string', uid_map: 'string', gid_map: 'string',
  self_outer_uid: 'number', self_outer_gid: 'number', mntns: 'boolean', uid: 'number',
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Invalid extends Error {}

function need(ok: boolean, where: string, what: string): void {
  if (!ok) throw new Invalid(`${where}: ${what}`);
}

function checkResult(v: unknown, where: string): void {
  need(isObject(v), where, 'a result is an object {"ok", "errno", "info"?}');
  const r = v as Json;
  need(typeof r['ok'] === 'boolean', where, '"ok" must be true or false');
  need(r['errno'] === null || typeof r['errno'] === 'string', where, '"errno" must be an errno name or null');
  need(r['info'] === undefined || isObject(r['info']), where, '"info" must be an object');
}

function checkStep(v: unknown, where: string, actors: Set<string>): void {
  need(isObject(v), where, 'a step is an object');
  const step = v as Json;
  if (step['expect'] !== undefined) checkResult(step['expect'], `${where}.expect`);
  if ('spawn' in step) {
    need(typeof step['spawn'] === 'string' && step['spawn'] !== '', where, '"spawn" must name the actor');
    need(isObject(step['spec']), where, 'a spawn needs a "spec" object');
    for (const [key, value] of Object.entries(step['spec'] as Json)) {
      const type = SPEC_KEYS[key];
      need(type !== undefined, `${where}.spec`, `unknown key "${key}" (spec keys: ${Object.keys(SPEC_KEYS).join(', ')})`);
      need(typeof value === type, `${where}.spec.${key}`, `must be a ${String(type)}`);
    }
    const map = (step['spec'] as Json)['map'];
    need(map === undefined || map === 'orchestrator' || map === 'self', `${where}.spec.map`, 'must be "orchestrator" or "self"');
    if (step['parent'] !== undefined) {
      need(typeof step['parent'] === 'string' && actors.has(step['parent']), `${where}.parent`, 'must name an actor spawned earlier');
    }
    actors.add(step['spawn'] as string);
    return;
  }
  if ('pass_fd' in step) {
    const p = step['pass_fd'];
    need(isObject(p), `${where}.pass_fd`, 'must be {"from", "h", "to", "save"}');
    for (const key of ['from', 'h', 'to', 'save']) need(typeof (p as Json)[key] === 'string', `${where}.pass_fd.${key}`, 'must be a string');
    for (const key of ['from', 'to']) need(actors.has((p as Json)[key] as string), `${where}.pass_fd.${key}`, `no actor '${String((p as Json)[key])}' spawned earlier`);
    return;
  }
  need(typeof step['actor'] === 'string', where, 'a step has "spawn", "pass_fd", or "actor" with "op"');
  need(actors.has(step['actor'] as string), `${where}.actor`, `no actor '${String(step['actor'])}' spawned earlier`);
  const args = typeof step['op'] === 'string' ? OPS[step['op']] : undefined;
  need(args !== undefined, `${where}.op`, `must be one of ${Object.keys(OPS).join(', ')}`);
  need(isObject(step['args']), `${where}.args`, 'must be an object (the op\'s arguments, {} for none)');
  for (const [key, value] of Object.entries(step['args'] as Json)) {
    const type = args?.[key];
    const known = Object.keys(args ?? {});
    need(type !== undefined, `${where}.args`, `${String(step['op'])} takes no "${key}" (it takes ${known.length === 0 ? 'no arguments' : known.join(', ')})`);
    need(hasType(value, type ?? 'number'), `${where}.args.${key}`, `must be ${String(type).replace('|', ' or ').replace('string[]', 'a list of strings')}`);
  }
  need(step['save'] === undefined || typeof step['save'] === 'string', `${where}.save`, 'must be a handle name');
  need(step['check'] === undefined || typeof step['check'] === 'boolean', `${where}.check`, 'must be true or false');
}

/**
 * Checks a parsed file against the token-oracle/v1 schema (the corpus README): the
 * first problem is one {@link CliError} line naming where it is, e.g.
 * `scenarios.json: not a token-oracle/v1 file: scenarios[2].steps[4].op: must be one of …`.
 *
 * @example
 * validateOracleFile(JSON.parse(readFileSync('scenarios.json', 'utf8')), 'scenarios.json');
 */
export function validateOracleFile(json: unknown, file: string): void {
  try {
    need(isObject(json), 'the file', 'must be a JSON object {"schema", "scenarios", …}');
    const top = json as Json;
    need(typeof top['schema'] === 'string' && top['schema'].startsWith('token-oracle/v1'), 'schema', `must be "token-oracle/v1", not ${JSON.stringify(top['schema'])}`);
    need(top['environment'] === undefined || isObject(top['environment']), 'environment', 'must be an object');
    need(Array.isArray(top['scenarios']), 'scenarios', 'must be an array');
    (top['scenarios'] as unknown[]).forEach((s, i) => {
      const where = `scenarios[${String(i)}]`;
      need(isObject(s), where, 'a scenario is an object {"name", "steps", "expect"?}');
      const scenario = s as Json;
      need(typeof scenario['name'] === 'string', `${where}.name`, 'must be a string');
      need(Array.isArray(scenario['steps']), `${where}.steps`, 'must be an array');
      if (scenario['expect'] !== undefined) checkResult(scenario['expect'], `${where}.expect`);
      const actors = new Set<string>();
      (scenario['steps'] as unknown[]).forEach((step, j) => {
        checkStep(step, `${where}.steps[${String(j)}]`, actors);
      });
    });
  } catch (e) {
    if (e instanceof Invalid) throw new CliError(`${file}: not a token-oracle/v1 file: ${e.message}`);
    throw e;
  }
}
