// `pnpm bench`: the ../shared/bench programs on bpfkit's engines and, where the
// `linux` backend works, on the real kernel's JIT in the same run
// (BPF_PROG_TEST_RUN with `repeat`). One JSON line per program and engine:
//   {"kind":"run","program","engine","ns_per_run","insns_per_run","ns_per_insn"}
// then one ratio line per program and bpfkit engine against the kernel, and the
// median ratio per engine. A benchmark, never a pass/fail test on timing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;
const load = (pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href);
const shared = process.env.BPFKIT_SHARED || join(root, '..', 'shared');
const benchDir = join(shared, 'bench');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const minMs = Number(process.env.BPFKIT_BENCH_MS ?? 300);

if (!existsSync(join(benchDir, 'manifest.json'))) {
  console.error(`bench: ${benchDir}/manifest.json not found (set BPFKIT_SHARED to the folder holding bench/)`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const manifest = JSON.parse(readFileSync(join(benchDir, 'manifest.json'), 'utf8'));
const hexBytes = (text) => Uint8Array.from(Buffer.from(text.split('\n').map((l) => l.replace(/#.*/, '').trim()).join('').replace(/\s+/g, ''), 'hex'));
const packet = hexBytes(readFileSync(join(benchDir, manifest.packet), 'utf8'));
const programs = manifest.benchmarks.filter((b) => only.length === 0 || only.includes(b.name));

const vm = await load('vm');
const { createVmArena } = await load('memory');
const engines = [];
if (typeof vm.createInterpreter === 'function') engines.push(vm.createInterpreter());
if (typeof vm.createWasmEngine === 'function') engines.push(vm.createWasmEngine());

function emptyHelpers() {
  return { get: () => undefined, kfunc: () => undefined, all: () => [] };
}

/** Times `fn` in batches until `minMs` passed; returns ns per call (the best of 3 rounds). */
function time(fn) {
  for (let i = 0; i < 50; i++) fn();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    let batch = 1;
    while (elapsed < BigInt(minMs) * 1_000_000n / 3n) {
      for (let i = 0; i < batch; i++) fn();
      n += batch;
      batch = Math.min(batch * 2, 1 << 16);
      elapsed = process.hrtime.bigint() - start;
    }
    best = Math.min(best, Number(elapsed) / n);
  }
  return best;
}

const results = new Map();
const line = (o) => console.log(JSON.stringify(o));

for (const b of programs) {
  const body = hexBytes(readFileSync(join(benchDir, b.hex), 'utf8'));
  const prolog = Uint8Array.from(Buffer.from(manifest.prologs.mem_len.hex, 'hex'));
  const insns = new Uint8Array(prolog.length + body.length);
  insns.set(prolog);
  insns.set(body, prolog.length);
  for (const engine of engines) {
    const arena = createVmArena();
    const addr = arena.alloc(packet.length);
    arena.bytes.set(packet, addr);
    const services = { clock: { nowNs: () => 0n }, random: { u32: () => 0 }, current: { pid: 1, tgid: 1, uid: 0, gid: 0, comm: 'bench' }, mapAt: () => undefined, trace: () => undefined };
    const env = { arena, cpu: 0, helpers: emptyHelpers(), services };
    const prog = engine.load({ progType: 6, expectedAttachType: 0, insns, maps: [], verified: true });
    const args = { r1: addr, r2: packet.length };
    const out = prog.run(args, env);
    if (out.kind !== 'exit' || Number(out.r0 & 0xffffffffn) !== b.expected) {
      line({ kind: 'error', program: b.name, engine: engine.name, error: out.kind === 'exit' ? `r0 ${out.r0}, expected ${b.expected}` : out.fault.message });
      continue;
    }
    const ns = time(() => prog.run(args, env));
    const executed = out.insnsExecuted - prolog.length / 8;
    results.set(`${b.name}/${engine.name}`, ns);
    results.set(`${b.name}/insns`, executed);
    line({ kind: 'run', program: b.name, engine: engine.name, ns_per_run: Math.round(ns), insns_per_run: executed, ns_per_insn: +(ns / Math.max(1, executed)).toFixed(3) });
    prog.release();
  }
}

// The kernel's JIT, measured now on this machine.
let kernel;
try {
  const linux = await load('linux');
  const uapi = await load('uapi');
  if (linux.isLinuxBpfAvailable()) kernel = { sys: linux.createLinuxSyscall(), uapi };
  else line({ kind: 'note', note: 'linux backend not available here: no kernel anchor' });
} catch (e) {
  line({ kind: 'note', note: `linux backend not available: ${e.message}` });
}
if (kernel !== undefined) {
  const { sys, uapi } = kernel;
  const mem = sys.memory;
  for (const b of programs) {
    const body = hexBytes(readFileSync(join(benchDir, b.hex), 'utf8'));
    const prolog = Uint8Array.from(Buffer.from(manifest.prologs.kernel_xdp.hex, 'hex'));
    const insns = new Uint8Array(prolog.length + body.length);
    insns.set(prolog);
    insns.set(body, prolog.length);
    const insnsAddr = mem.alloc(insns);
    const license = mem.alloc(new TextEncoder().encode('GPL\0'));
    let fd;
    try {
      fd = sys.bpf(uapi.BpfCmd.BPF_PROG_LOAD, uapi.encodeProgLoadAttr({ prog_type: uapi.BpfProgType.BPF_PROG_TYPE_XDP, insns: insnsAddr, insn_cnt: insns.length / 8, license }));
    } catch (e) {
      line({ kind: 'error', program: b.name, engine: 'kernel', error: e.message });
      continue;
    }
    const dataIn = mem.alloc(packet);
    const runOnce = (repeat) => {
      const attr = uapi.encodeTestRunAttr({ prog_fd: fd, data_in: dataIn, data_size_in: packet.length, repeat });
      sys.bpf(uapi.BpfCmd.BPF_PROG_TEST_RUN, attr);
      return uapi.decodeTestRunAttr(attr);
    };
    const first = runOnce(1);
    if (first.retval !== b.expected) line({ kind: 'error', program: b.name, engine: 'kernel', error: `retval ${first.retval}, expected ${b.expected}` });
    // duration is the kernel's own mean per repetition; take the best of several calls sized to ~minMs in total.
    let repeat = 1;
    while (repeat < 1 << 24) {
      const t0 = process.hrtime.bigint();
      runOnce(repeat);
      if (Number(process.hrtime.bigint() - t0) > minMs * 1e6 / 6) break;
      repeat *= 4;
    }
    let best = Infinity;
    for (let i = 0; i < 3; i++) best = Math.min(best, runOnce(repeat).duration);
    sys.close(fd);
    // The kernel executes the same body; its count is the one our engines measured.
    const executed = results.get(`${b.name}/insns`) ?? null;
    results.set(`${b.name}/kernel`, best);
    line({ kind: 'run', program: b.name, engine: 'kernel', ns_per_run: best, insns_per_run: executed, ns_per_insn: executed === null ? null : +(best / Math.max(1, executed)).toFixed(3) });
  }
}

for (const engine of engines.map((e) => e.name)) {
  const ratios = [];
  for (const b of programs) {
    const ours = results.get(`${b.name}/${engine}`);
    const k = results.get(`${b.name}/kernel`);
    if (ours === undefined || k === undefined || k === 0) continue;
    const ratio = +(ours / k).toFixed(2);
    ratios.push(ratio);
    line({ kind: 'ratio', program: b.name, engine, vs: 'kernel', ratio });
  }
  if (ratios.length > 0) {
    ratios.sort((a, b) => a - b);
    const mid = ratios.length >> 1;
    const median = ratios.length % 2 === 1 ? ratios[mid] : +((ratios[mid - 1] + ratios[mid]) / 2).toFixed(2);
    line({ kind: 'summary', engine, vs: 'kernel', median_ratio: median, programs: ratios.length });
  }
}
