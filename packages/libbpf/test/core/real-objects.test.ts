import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import test from 'ava';
import { encodeProgram } from '@bpfkit/asm';
import { parseBtf, type Btf } from '@bpfkit/btf';
import { loadObjectSpec, type FunctionSpec } from '@bpfkit/elf';
import { builtinVmlinuxBtf, HOST_VMLINUX_BTF } from '@bpfkit/kernel/defaults';
import { applyCoreRelocations, type CoreReloResult } from '../../dist/core/index.js';
import { slot } from './helpers.js';

const FIXTURE = new URL('../../../elf/test/fixtures/trace_ringbuf.o', import.meta.url);
const EXAMPLE = new URL('../../../../examples/core_trace.o', import.meta.url);

/** Offsets of Linux 6.18 on x86-64 (bpftool btf dump file /sys/kernel/btf/vmlinux). */
const TASK_STRUCT = { pid: 1264, tgid: 1268, real_parent: 1280, comm: 1752 } as const;

function relocate(fn: FunctionSpec, local: Btf, target: Btf): { code: Uint8Array; results: CoreReloResult[] } {
  const code = encodeProgram(fn.insns);
  const relos = fn.coreRelos.map((r) => ({ insn: r.insnOff, typeId: r.typeId, accessStr: r.accessStr, kind: r.kind }));
  return { code, results: applyCoreRelocations(code, relos, local, target, fn.name) };
}

function traceRingbuf(): { fn: FunctionSpec; btf: Btf } {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(FIXTURE)));
  const fn = spec.programs.find((p) => p.name === 'handle_exec');
  if (fn === undefined || spec.btf === undefined) throw new Error('fixture without handle_exec or BTF');
  return { fn, btf: spec.btf };
}

/** Member byte offsets of a struct, read from `bpftool btf dump ... format raw`; undefined without bpftool. */
function bpftoolOffsets(struct: string): Map<string, number> | undefined {
  let raw: string;
  try {
    raw = execFileSync('bpftool', ['btf', 'dump', 'file', HOST_VMLINUX_BTF, 'format', 'raw'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  } catch {
    return undefined;
  }
  const lines = raw.split('\n');
  const start = lines.findIndex((l) => l.includes(`STRUCT '${struct}' `));
  const out = new Map<string, number>();
  for (const line of lines.slice(start + 1)) {
    const hit = /^\s+'([^']*)' type_id=\d+ bits_offset=(\d+)/.exec(line);
    if (hit === null) break;
    out.set(hit[1] ?? '', Number(hit[2]) / 8);
  }
  return out;
}

/** The relocated ALU immediates of handle_exec: pid, real_parent, tgid. */
function patchedImms(code: Uint8Array): number[] {
  return [9, 18, 25].map((i) => slot(code, i).imm);
}

test('trace_ringbuf.o: clang\'s CO-RE relocations against the simulated kernel\'s vmlinux', (t) => {
  const { fn, btf } = traceRingbuf();
  const { code, results } = relocate(fn, btf, builtinVmlinuxBtf());
  t.deepEqual(patchedImms(code), [TASK_STRUCT.pid, TASK_STRUCT.real_parent, TASK_STRUCT.tgid]);
  t.deepEqual(results.map((r) => r.poisoned), [false, false, false]);
  t.regex(results[0]?.log.join('\n') ?? '', /prog 'handle_exec': relo #0: <byte_off> \[\d+\] struct task_struct\.pid \(0:0 @ offset 0\)/);
  t.regex(results[0]?.targetSpec ?? '', /struct task_struct\.pid \(0:\d+ @ offset 1264\)$/);
});

const hasHost = existsSync(HOST_VMLINUX_BTF);

(hasHost ? test : test.skip)('trace_ringbuf.o against the host\'s /sys/kernel/btf/vmlinux matches bpftool\'s offsets and the simulated kernel', (t) => {
  const { fn, btf } = traceRingbuf();
  const host = parseBtf(readFileSync(HOST_VMLINUX_BTF));
  const { code } = relocate(fn, btf, host);
  const facts = bpftoolOffsets('task_struct');
  if (facts === undefined) t.log('bpftool not found: compared with the simulated kernel only');
  else t.deepEqual(patchedImms(code), [facts.get('pid'), facts.get('real_parent'), facts.get('tgid')]);
  t.deepEqual(patchedImms(code), patchedImms(relocate(fn, btf, builtinVmlinuxBtf()).code));
});

(existsSync(EXAMPLE) ? test : test.skip)('examples/core_trace.o: the shared subprogram\'s reads (tgid, pid, real_parent->tgid, comm) against the simulated kernel', (t) => {
  const spec = loadObjectSpec(new Uint8Array(readFileSync(EXAMPLE)));
  const fn = spec.subprograms.find((f) => f.name === 'emit_exec');
  if (fn === undefined || spec.btf === undefined) return t.fail('no emit_exec');
  const { results } = relocate(fn, spec.btf, builtinVmlinuxBtf());
  const byField = results.map((r) => [/\.(\w+) \(/.exec(r.localSpec)?.[1], Number(r.newValue)]);
  t.deepEqual(byField, [['tgid', TASK_STRUCT.tgid], ['pid', TASK_STRUCT.pid], ['real_parent', TASK_STRUCT.real_parent], ['tgid', TASK_STRUCT.tgid], ['comm', TASK_STRUCT.comm]]);
  if (hasHost) {
    const host = relocate(fn, spec.btf, parseBtf(readFileSync(HOST_VMLINUX_BTF))).results.map((r) => r.newValue);
    t.deepEqual(host, results.map((r) => r.newValue));
  }
});
