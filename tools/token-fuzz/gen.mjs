// Random delegation scenarios in the token-oracle/v1 schema (see the shared corpus README):
// actors in user namespaces, bpffs mounts through fsopen/fsconfig/fsmount/move_mount or mount(2),
// delegate_* options (malformed ones too), capability drops, token create and use, pins.
import { BpfAttachType, BpfCmd, BpfMapType, BpfProgType } from '../../packages/uapi/dist/index.js';
import { Prng, scenarioSeed } from './prng.mjs';

const lower = (obj, prefix) => Object.keys(obj).map((k) => k.slice(prefix.length).toLowerCase());
const CMD_NAMES = lower(BpfCmd, 'BPF_');
const MAP_NAMES = lower(BpfMapType, 'BPF_MAP_TYPE_');
const PROG_NAMES = lower(BpfProgType, 'BPF_PROG_TYPE_');
const ATTACH_NAMES = lower(BpfAttachType, 'BPF_');
const NAMES = { cmds: CMD_NAMES, maps: MAP_NAMES, progs: PROG_NAMES, attachs: ATTACH_NAMES };
const TOKEN_CMDS = ['map_create', 'prog_load', 'btf_load', 'btf_get_fd_by_id', 'token_create'];

// Raw fd numbers: small ones may name whatever the actor opened (both kernels number fds from 0 in
// an empty table: a real actor keeps only its control socket, at fd 1023), the others nothing.
const BAD_FDS = [9999, -1, 4096, 0, 1, 2, 3, 5];
// Map types 0..32: arena (33) cannot be created on the recording machine at all (EPERM even for the
// init root, an environment limit), so it is only asked for as an out-of-range type would be.
const CAPS = ['CAP_BPF', 'CAP_SYS_ADMIN', 'CAP_PERFMON', 'CAP_NET_ADMIN', 'CAP_DAC_OVERRIDE', 'CAP_SETUID'];
const MAP_FLAGS = [0, 0, 0, 1, 2, 4, 8, 16, 64, 128, 256, 1024, 2048, 4096, 1 << 17, 1 << 18, 1 << 20];
const PROG_FLAGS = [0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 1 << 20];
const FSMOUNT_ATTRS = [0, 0, 0, 1, 2, 4, 8, 0x10, 0x20, 0x40, 0x70, 0x80, 0x100000, 0x200000, 0x400, 0x1000, 0x80000000];
const MAP_SHAPES = [
  [4, 8, 1],
  [4, 4, 1],
  [0, 8, 1],
  [8, 8, 16],
  [4, 0, 1],
  [0, 0, 4096],
  [0, 0, 1],
  [4, 8, 0],
  [8, 4, 4096],
];

function delegateValue(r, key) {
  const names = NAMES[key];
  return value(r.weighted([
    [6, 'any'],
    [10, () => (key === 'cmds' ? r.subset(TOKEN_CMDS, 0.6) : Array.from({ length: 1 + r.int(3) }, () => r.pick(names))).join(':') || 'map_create'],
    [3, () => `0x${(r.u32() & (r.chance(0.5) ? 0xff : 0xffffffff)).toString(16)}`],
    [1, () => String(r.int(1 << 20))],
    [1, () => `${r.pick(names)}:0x${r.int(64).toString(16)}`],
    [1, () => `0x${r.int(16).toString(16)}:${r.pick(names)}`],
    [1, () => r.pick(names).toUpperCase()],
    [1, '0xffffffffffffffff'],
    [1, '0x8000000000000000'],
    [1, () => r.pick(['', 'bogus', 'map_create:', ':any', 'BPF_MAP_CREATE', 'bpf_prog_load', '0x', '-1', '0x1ffffffffffffffff', 'any:', 'Any', '18446744073709551616', '0 ', ' any'])],
  ]));
}

function value(v) {
  return typeof v === 'function' ? v() : v;
}

/** Mount options other than delegate_*: ids, mode, unknown keys, superblock flags, bad values. */
function otherOption(r) {
  return value(r.weighted([
    [3, () => ({ cmd: 'SET_STRING', key: r.pick(['uid', 'gid']), value: String(r.pick([0, 1, 5, 1000, 100000, 100005, 165535, 200000, 4294967295])) }) ],
    [1, () => ({ cmd: 'SET_STRING', key: r.pick(['uid', 'gid']), value: r.pick(['abc', '', '-1', '0x10', '1e3']) })],
    [3, () => ({ cmd: 'SET_STRING', key: 'mode', value: r.pick(['0700', '0755', '0', '1777', '7777', '17777', '8', 'rw', '0o700', '']) })],
    [3, () => ({ cmd: 'SET_FLAG', key: r.pick(['ro', 'rw', 'sync', 'async', 'dirsync', 'lazytime', 'nolazytime', 'mand', 'nomand', 'silent', 'posixacl', 'noatime']) })],
    [1, () => ({ cmd: 'SET_STRING', key: r.pick(['ro', 'sync', 'source']), value: r.pick(['1', 'bpf', '']) })],
    [1, () => ({ cmd: 'SET_STRING', key: r.pick(['foo', 'delegate', 'delegate_x', 'size']), value: 'bar' })],
    [1, () => ({ cmd: 'SET_FLAG', key: r.pick(['uid', 'mode', 'delegate_maps', 'foo']) })],
  ]));
}

class Builder {
  constructor(r) {
    this.r = r;
    this.steps = [];
  }

  spawn(name, spec, parent) {
    this.steps.push(parent === undefined ? { spawn: name, spec } : { spawn: name, parent, spec });
  }

  op(actor, op, args, save) {
    const s = { actor, op, args };
    if (save !== undefined) s.save = save;
    this.steps.push(s);
  }

  pass(from, h, to, save = h) {
    this.steps.push({ pass_fd: { from, h, to, save } });
  }
}

/** One random scenario from a 32-bit seed. */
export function generateScenario(seed, name = `fuzz_${seed}`) {
  const r = new Prng(seed);
  const b = new Builder(r);
  const hostMntns = r.chance(0.85);
  b.spawn('host', hostMntns ? { mntns: true } : {});
  const cUid1000 = r.chance(0.15);
  const cSpec = cUid1000 ? { pre_uid: 1000, userns: true, uid_map: '0 1000 1' } : { userns: true, uid_map: '0 100000 65536' };
  if (r.chance(0.9)) cSpec.mntns = true;
  b.spawn('c', cSpec);
  const extra = r.weighted([
    [5, 'none'],
    [1, 'c2'],
    [1, 'g'],
    [1, 'u'],
  ]);
  if (extra === 'c2') b.spawn('c2', { userns: true, uid_map: '0 200000 65536', mntns: true });
  if (extra === 'g') b.spawn('g', { userns: true, map: 'self', self_outer_uid: 0, self_outer_gid: 0, mntns: r.chance(0.8) }, 'c');
  if (extra === 'u') b.spawn('u', { uid: r.pick([1000, 1001]) });
  const actors = ['host', 'c', ...(extra === 'none' ? [] : [extra])];

  // Who opens the fs context, who configures it, who mounts it.
  const opener = r.weighted([[8, 'c'], [2, 'host'], [1, extra === 'none' ? 'c' : extra]]);
  const configurer = r.weighted([[8, 'host'], [2, opener]]);
  const mounter = r.weighted([[6, configurer], [2, opener], [1, 'host']]);
  const user = r.weighted([[8, opener === 'host' ? 'c' : opener], [1, 'c'], [1, 'host']]);
  const legacy = r.chance(0.08);
  let moved = false;

  if (legacy) {
    const opts = Array.from({ length: r.int(4) }, () => {
      const key = r.pick(['cmds', 'maps', 'progs', 'attachs']);
      return `delegate_${key}=${delegateValue(r, key)}`;
    });
    if (r.chance(0.3)) opts.push(r.pick(['mode=0700', 'uid=0', 'ro', 'sync', 'foo=bar']));
    const who = r.pick([user, 'host']);
    b.op(who, 'mount', { source: 'bpf', target: '@dir/m', fstype: 'bpf', flags: r.pick([0, 0, 1, 16, 128]), data: opts.length > 0 ? opts.join(',') : null });
    if (r.chance(0.6)) b.op(who, 'mount_opts', { path: '@dir/m' });
    b.op(user, 'open', { path: '@dir/m', flags: 0 }, 'bpffs');
  } else {
    b.op(opener, 'fsopen', { fsname: r.chance(0.97) ? 'bpf' : r.pick(['bpff', 'bpf ', '']), flags: r.pick([0, 0, 0, 1, 2]) }, 'fs');
    if (configurer !== opener) b.pass(opener, 'fs', configurer);
    const n = r.int(7);
    for (let i = 0; i < n; i++) {
      if (r.chance(0.65)) {
        const key = r.pick(['cmds', 'maps', 'progs', 'attachs']);
        const cmd = r.chance(0.95) ? 'SET_STRING' : 'SET_FLAG';
        const args = { fs: 'fs', cmd, key: `delegate_${key}` };
        if (cmd === 'SET_STRING') args.value = delegateValue(r, key);
        b.op(configurer, 'fsconfig', args);
      } else {
        b.op(configurer, 'fsconfig', { fs: 'fs', ...otherOption(r) });
      }
    }
    if (r.chance(0.95)) b.op(configurer, 'fsconfig', { fs: 'fs', cmd: r.weighted([[20, 'CMD_CREATE'], [1, 'CMD_RECONFIGURE'], [1, 'CMD_CREATE_EXCL']]) });
    if (r.chance(0.05)) b.op(configurer, 'fsconfig', { fs: 'fs', cmd: 'CMD_CREATE' });
    if (mounter !== configurer) b.pass(configurer, 'fs', mounter);
    const attr = r.chance(0.75) ? 0 : r.pick(FSMOUNT_ATTRS);
    b.op(mounter, 'fsmount', { fs: 'fs', flags: r.pick([0, 0, 0, 1, 2]), attr }, 'mnt');
    if (mounter !== user) b.pass(mounter, 'mnt', user);
    if (r.chance(0.45)) {
      moved = true;
      b.op(user, 'move_mount', { mnt: 'mnt', to: r.chance(0.95) ? '@dir/m' : '@dir/nowhere' });
      if (r.chance(0.7)) b.op(user, 'mount_opts', { path: '@dir/m' });
    }
    if (moved && r.chance(0.7)) b.op(user, 'open', { path: '@dir/m', flags: 0 }, 'bpffs');
    else b.op(user, 'open', { dir: 'mnt', rel: '.', flags: 0 }, 'bpffs');
    if (moved && r.chance(0.15)) {
      // Reconfiguration: superblock flags change, bpffs options do not (and need init-ns CAP_SYS_ADMIN when nonzero).
      const who = r.pick([user, 'host']);
      b.op(who, 'fspick', { path: '@dir/m' }, 'pick');
      for (let i = r.int(3); i > 0; i--) b.op(who, 'fsconfig', { fs: 'pick', ...(r.chance(0.6) ? otherOption(r) : { cmd: 'SET_STRING', key: 'delegate_maps', value: delegateValue(r, 'maps') }) });
      b.op(who, 'fsconfig', { fs: 'pick', cmd: r.chance(0.9) ? 'CMD_RECONFIGURE' : 'CMD_CREATE' });
      if (r.chance(0.7)) b.op(who, 'mount_opts', { path: '@dir/m' });
    }
  }

  // Token creation, maybe after dropping capabilities.
  if (r.chance(0.25)) b.op(user, 'drop_caps', r.chance(0.1) ? { caps: [], all: true } : { caps: r.subset(CAPS, 0.4) });
  const tokArgs = r.weighted([
    [20, { bpffs: 'bpffs' }],
    [2, { bpffs: 'mnt' }],
    [1, { raw_fd: r.pick(BAD_FDS) }],
  ]);
  if (r.chance(0.08)) tokArgs.flags = r.pick([1, 2, 0x10000]);
  if (r.chance(0.12)) tokArgs.tail_byte_at = r.pick([8, 9, 12, 16, 100, 167, 168, 169, 175, 200, 255]);
  if (tokArgs.bpffs === 'mnt' && legacy) tokArgs.bpffs = 'bpffs';
  const tokenMaker = r.chance(0.9) ? user : r.pick(actors);
  if (tokenMaker !== user && tokArgs.bpffs !== undefined) b.pass(user, tokArgs.bpffs, tokenMaker, tokArgs.bpffs);
  b.op(tokenMaker, 'token_create', tokArgs, 'tok');
  if (r.chance(0.1)) b.op(tokenMaker, 'fdinfo', { h: 'tok' });
  if (r.chance(0.05)) b.op(tokenMaker, 'fstat', { h: 'tok' });

  // Uses of the token, by its maker or by someone it was passed to.
  let holder = tokenMaker;
  if (r.chance(0.15)) {
    const to = r.pick(actors.filter((a) => a !== tokenMaker));
    b.pass(tokenMaker, 'tok', to);
    holder = to;
  }
  const uses = 1 + r.int(5);
  let objects = 0;
  for (let i = 0; i < uses; i++) {
    const token = r.weighted([
      [12, () => ({ token: 'tok' })],
      [2, () => ({})],
      [1, () => ({ token: 'tok', token_flag: false })],
      [1, () => ({ token: 'bpffs' })],
      [1, () => ({ raw_token_fd: r.pick(BAD_FDS) })],
    ])();
    const kind = r.weighted([[8, 'map'], [6, 'prog'], [2, 'btf'], [1, 'btf_id'], [1, 'caps'], [1, 'restore'], [1, 'pin']]);
    if (kind === 'map') {
      const [key_size, value_size, max_entries] = r.pick(MAP_SHAPES);
      const args = { map_type: r.chance(0.9) ? r.int(33) : r.pick([34, 35, 100]), key_size, value_size, max_entries, ...token };
      const flags = r.chance(0.3) ? r.pick(MAP_FLAGS) : 0;
      if (flags !== 0) args.map_flags = flags;
      b.op(holder, 'map_create', args, `obj${String(++objects)}`);
    } else if (kind === 'prog') {
      // EXT (28) and LSM (29) loads are refused with EPERM up front on the recording machine, for every
      // caller (a policy of that build, as for arena maps): they are drawn as sk_lookup and syscall instead.
      const drawn = r.chance(0.92) ? r.int(33) : r.pick([0, 33, 40]);
      const prog_type = drawn === 28 || drawn === 29 ? drawn + 2 : drawn;
      const expected_attach_type = r.chance(0.5) ? 0 : r.int(r.chance(0.95) ? 58 : 70);
      const args = { prog_type, expected_attach_type, prog: r.weighted([[8, 'ret0'], [1, 'leak_fp'], [1, 'probe_read_kernel']]), ...token };
      if (r.chance(0.3)) args.prog_flags = r.pick(PROG_FLAGS);
      b.op(holder, 'prog_load', args, `obj${String(++objects)}`);
    } else if (kind === 'btf') {
      const args = { ...token };
      if (r.chance(0.1)) args.btf_flags = r.pick([1, 0x8000]);
      b.op(holder, 'btf_load', args, `obj${String(++objects)}`);
    } else if (kind === 'btf_id') {
      b.op(holder, 'btf_get_fd_by_id', { btf_id: r.pick([1, 1, 0, 0x7fffffff]), ...token }, `obj${String(++objects)}`);
    } else if (kind === 'caps') {
      b.op(holder, 'drop_caps', { caps: r.subset(CAPS, 0.4) });
    } else if (kind === 'restore') {
      b.op(holder, 'restore_caps', {});
    } else {
      const h = r.weighted([[4, objects > 0 ? `obj${String(1 + r.int(objects))}` : 'tok'], [2, 'tok'], [2, 'bpffs'], [1, 'mnt']]);
      b.op(holder, 'obj_pin', { h, path: r.pick(['@dir/m/pinned', '@dir/m/pinned', '@dir/b/x', '@dir/m/no/such', '/proc/x']) });
    }
  }
  return { name, description: `random delegation scenario (seed ${String(seed)})`, steps: b.steps };
}

/**
 * `count` scenarios of the run with `seed`: scenario i comes from `scenarioSeed(seed, i)` alone,
 * so `--seed S --only I` regenerates it.
 */
export function generateScenarios(seed, count, first = 0) {
  return Array.from({ length: count }, (_, k) => {
    const i = first + k;
    return generateScenario(scenarioSeed(seed, i), `fuzz_s${String(seed)}_${String(i)}`);
  });
}
