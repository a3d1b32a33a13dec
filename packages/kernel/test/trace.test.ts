import test from 'ava';
import { BpfError, type TraceStep, type Tracer } from '@bpfkit/kernel-api';
import { createDefaultKernel } from '@bpfkit/kernel/defaults';
import { BPF_F_PATH_FD, BPF_F_TOKEN_FD, BpfAttachType, BpfCmd, BpfMapType, BpfProgType, encodeAttr } from '@bpfkit/uapi';
import { container, delegated, tokenAttr } from './helpers.js';

/** A tracer that keeps every step, flattened. */
function recorder(): Tracer & { steps: TraceStep[] } {
  const steps: TraceStep[] = [];
  return {
    steps,
    step(s) {
      steps.push(s);
    },
    group(_title, fn) {
      return fn();
    },
  };
}

/** `mov r0, 0; exit`. */
const RET0 = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** The smallest valid BTF: one `int` (4 bytes, 32 bits). */
function intBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const out = new Uint8Array(24 + 16 + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, 16, true);
  v.setUint32(16, 16, true);
  v.setUint32(20, strings.length, true);
  v.setUint32(24, 1, true); // name_off
  v.setUint32(28, 0x01000000, true); // BTF_KIND_INT
  v.setUint32(32, 4, true); // size
  v.setUint32(36, 32, true); // nr_bits
  out.set(strings, 40);
  return out;
}

// Wording a check uses when it failed: a passing step must not say any of it.
const FAILURE_WORDING = /\b(not|without|unknown|lacks?|missing|denied|refused|must)\b|is an O_PATH/;
// Wording a check uses when it passed: a failing step must not say any of it.
const PASS_WORDING = /: held |is within|every bit is a known flag|no security module objected|, a supported type/;

/** A container with full delegation runs token create, map create, BTF load/get and prog load, plus a pin and get. */
function successfulFlow(): TraceStep[] {
  const tracer = recorder();
  const k = createDefaultKernel({ tracer });
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'any', maps: 'any', progs: 'any', attachs: 'any' });
  const token = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  const map = c.bpf(BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, {
    map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 4, map_flags: BPF_F_TOKEN_FD, map_token_fd: token,
  }));
  const blob = intBtf();
  c.bpf(BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, {
    btf: c.memory.alloc(blob), btf_size: blob.length, btf_flags: BPF_F_TOKEN_FD, btf_token_fd: token,
  }));
  c.bpf(BpfCmd.BPF_BTF_GET_FD_BY_ID, encodeAttr(BpfCmd.BPF_BTF_GET_FD_BY_ID, { btf_id: 1, open_flags: BPF_F_TOKEN_FD, fd_by_id_token_fd: token }));
  c.bpf(BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, {
    prog_type: BpfProgType.BPF_PROG_TYPE_XDP, expected_attach_type: BpfAttachType.BPF_XDP, insn_cnt: 2,
    insns: c.memory.alloc(RET0), license: c.memory.alloc(new TextEncoder().encode('GPL\0')),
    prog_flags: BPF_F_TOKEN_FD, prog_token_fd: token,
  }));
  const name = c.memory.alloc(new TextEncoder().encode('m\0'));
  c.bpf(BpfCmd.BPF_OBJ_PIN, encodeAttr(BpfCmd.BPF_OBJ_PIN, { pathname: name, bpf_fd: map, file_flags: BPF_F_PATH_FD, path_fd: bpffs }));
  c.bpf(BpfCmd.BPF_OBJ_GET, encodeAttr(BpfCmd.BPF_OBJ_GET, { pathname: name, file_flags: BPF_F_PATH_FD, path_fd: bpffs }));
  return tracer.steps;
}

test('every step of a successful token, map, BTF and prog flow passes and reads as a pass', (t) => {
  const steps = successfulFlow();
  const ids = new Set(steps.map((s) => s.check));
  for (const id of ['token_create:flags', 'map_create:btf-ids', 'map_create:numa_node', 'map_create:map_type', 'bpf_token_get_from_fd',
    'bpf_token_get_from_fd:is-token', 'prog_load:prog_flags', 'prog_load:insn_cnt', 'btf_load:CAP_BPF', 'obj:path_fd', 'security_bpf']) {
    t.true(ids.has(id), `the flow runs ${id}`);
  }
  for (const s of steps) {
    t.is(s.outcome, 'pass', `${s.check}: ${s.detail}`);
    t.notRegex(s.detail, FAILURE_WORDING, `${s.check} passed but reads as a failure`);
  }
});

test('the failing steps of refused calls carry the failure wording, never the pass wording', (t) => {
  const tracer = recorder();
  const k = createDefaultKernel({ tracer });
  const c = container(k);
  const bpffs = delegated(k, c, { cmds: 'map_create', maps: 'hash' });
  const token = c.bpf(BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs));
  const attempts: [number, Uint8Array][] = [
    [BpfCmd.BPF_TOKEN_CREATE, tokenAttr(bpffs, 1)],
    [BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 1, btf_key_type_id: 1 })],
    [BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, { map_type: 999, key_size: 4, value_size: 8, max_entries: 1 })],
    [BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 1, map_flags: BPF_F_TOKEN_FD, map_token_fd: token })],
    [BpfCmd.BPF_MAP_CREATE, encodeAttr(BpfCmd.BPF_MAP_CREATE, { map_type: BpfMapType.BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 1, map_flags: BPF_F_TOKEN_FD, map_token_fd: bpffs })],
    [BpfCmd.BPF_PROG_LOAD, encodeAttr(BpfCmd.BPF_PROG_LOAD, { prog_type: 1, prog_flags: 0x40000000 })],
    [BpfCmd.BPF_BTF_LOAD, encodeAttr(BpfCmd.BPF_BTF_LOAD, { btf_flags: 1 })],
  ];
  let failures = 0;
  for (const [cmd, attr] of attempts) {
    const before = tracer.steps.length;
    t.throws(() => c.bpf(cmd, attr), { instanceOf: BpfError });
    for (const s of tracer.steps.slice(before)) {
      if (s.outcome !== 'fail') continue;
      failures++;
      t.notRegex(s.detail, PASS_WORDING, `${s.check} failed but reads as a pass`);
    }
  }
  t.true(failures >= attempts.length);
});
