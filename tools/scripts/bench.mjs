// `pnpm bench`: the ../shared/bench programs on bpfkit's engines and, where the
// `linux` backend works, on the real kernel's JIT in the same run
// (BPF_PROG_TEST_RUN with `repeat`). One JSON line per program and engine:
//   {"kind":"run","program","engine","ns_per_run","insns_per_run","ns_per_insn"}
// then one ratio line per program and bpfkit engine against the kernel, and the
// median ratio per engine. A benchmark, never a pass/fail test on timing.
//
// Then verifier speed: BPF_PROG_LOAD in bpfkit's simulated kernel (log level 0,
// best of at least 5 loads and of as many more as fit in BPFKIT_VERIFY_MS (1 s) of
// loading, so that short loads are timed warm; two when a load takes over 1 s) against the real
// kernel's BPF_PROG_LOAD of the same program in the same run, for every bench
// program (XDP, `kernel_xdp` prolog, "GPL") and the 20 corpus/verifier cases the
// kernel's verifier worked longest on (recorded `processed N insns`). One line each:
//   {"kind":"verify","program","insns_processed","ms","kernel_ms","ratio"}
//   {"kind":"verify-detail","program","kernel_insns_processed","verdict","kernel_verdict","verification_ms","kernel_verification_ms"}
// (`insns_processed`, verdicts and each verifier's own `verification time` line
// from an untimed BPF_LOG_STATS load on each side: the kernel's BPF_PROG_LOAD
// also JIT-compiles, which that line leaves out), then
//   {"kind":"verify-summary","median_ratio","max_ratio","programs","mismatched_verdicts"}
// (over the lines whose verdicts agree)
// and vmlinux BTF: the simulated kernel's BPF_BTF_LOAD of /sys/kernel/btf/vmlinux
// against the real one's (best of up to 5 each; `parse_ms` is parseBtf alone):
//   {"kind":"btf","program":"vmlinux","ms","kernel_ms","ratio","parse_ms"}
// Without the `linux` backend, kernel_ms and ratio are null.
//
// Then token decisions through bpf() (BPF_MAP_CREATE with a token: allowed and refused), per second,
// in the simulated kernel and in a child user namespace of the real one (runWithDelegatedBpffs):
//   {"kind":"token","decision":"allowed"|"refused","per_s","kernel_per_s","ratio"}
// and the CLI's start-up: {"kind":"startup","program":"bpfkit --help","ms","node_ms","over_node_ms"}
//
// Arguments: program names or corpus case ids limit the run to them;
// `--verify-only` skips the engine runs (only the verify and btf lines).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('../..', import.meta.url).pathname;
const load = (pkg) => import(pathToFileURL(join(root, 'packages', pkg, 'dist', 'index.js')).href);
const shared = process.env.BPFKIT_SHARED || join(root, '..', 'shared');
const benchDir = join(shared, 'bench');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const verifyOnly = process.argv.includes('--verify-only');
const minMs = Number(process.env.BPFKIT_BENCH_MS ?? 300);

if (!existsSync(join(benchDir, 'manifest.json'))) {
  console.error(`bench: ${benchDir}/manifest.json not found (set BPFKIT_SHARED to the folder holding bench/)`);
  process.exit(process.env.CI === 'true' ? 1 : 0);
}
const manifest = JSON.parse(readFileSync(join(benchDir, 'manifest.json'), 'utf8'));
const hexBytes = (text) => Uint8Array.from(Buffer.from(text.split('\n').map((l) => l.replace(/#.*/, '').trim()).join('').replace(/\s+/g, ''), 'hex'));
const packet = hexBytes(readFileSync(join(benchDir, manifest.packet), 'utf8'));
const programs = manifest.benchmarks.filter((b) => only.length === 0 || only.includes(b.name));
const runPrograms = verifyOnly ? [] : programs;

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

for (const b of runPrograms) {
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
  for (const b of runPrograms) {
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
  for (const b of runPrograms) {
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

// Verifier speed: BPF_PROG_LOAD on both sides, the same programs, the same run.
const { BpfCmd, BpfProgType, encodeProgLoadAttr, encodeBtfLoadAttr } = await load('uapi');
const { createDefaultKernel, hostVmlinuxBtf, HOST_VMLINUX_BTF } = await import(pathToFileURL(join(root, 'packages', 'kernel', 'dist', 'defaults', 'index.js')).href);
const testing = await load('testing');
const { parseBtf } = await load('btf');
const vmlinux = hostVmlinuxBtf();
// A load slower than this ends the repetitions early: such a load is timed twice, the best counts.
const BUDGET_MS = 1000;
const REPS = 5;
const PROCESSED = /^processed (\d+) insns/m;
const VERIFICATION = /^verification time (\d+) usec/m;
/** The verifier's own `verification time N usec` line of a stats log, in ms. */
const verificationMs = (log) => {
  const m = VERIFICATION.exec(log ?? '');
  return m === null ? null : Number(m[1]) / 1000;
};
const round = (x, digits) => (x === null || x === undefined ? null : +x.toFixed(digits));

/**
 * How many ms of loads one side of a verify line takes at least: enough for a short program's
 * load to reach steady state on a JIT-compiled verifier (a few hundred ms of loads do not).
 */
const verifyMs = Number(process.env.BPFKIT_VERIFY_MS ?? 1000);

/**
 * Best of the calls of `fn` (which returns its own ms): at least REPS, more until
 * the timed calls add up to `verifyMs` (warm, as the kernel's loads always are), one
 * more only while a call stays under the budget. The same rule on both sides.
 */
function bestOf(fn) {
  let best = Infinity;
  let total = 0;
  for (let i = 0; i < REPS || (total < verifyMs && i < testing.MAX_WARM_LOADS); i++) {
    const ms = fn();
    best = Math.min(best, ms);
    total += ms;
    if (ms > BUDGET_MS && i >= 1) break;
  }
  return best;
}

/** One XDP BPF_PROG_LOAD of `insns` on `sys`; only the bpf() call is timed. */
function loadXdp(sys, insns, logLevel) {
  const mem = sys.memory;
  const insnsAddr = mem.alloc(insns);
  const license = mem.alloc(new TextEncoder().encode('GPL\0'));
  const logSize = logLevel === 0 ? 0 : 1 << 20;
  const logBuf = logSize === 0 ? 0n : mem.alloc(logSize);
  const attr = encodeProgLoadAttr({ prog_type: BpfProgType.BPF_PROG_TYPE_XDP, insns: insnsAddr, insn_cnt: insns.length / 8, license, log_level: logLevel, log_size: logSize, log_buf: logBuf });
  const start = performance.now();
  let fd;
  let errno = null;
  try {
    fd = sys.bpf(BpfCmd.BPF_PROG_LOAD, attr);
  } catch (e) {
    if (typeof e?.code !== 'string') throw e;
    errno = e.code;
  }
  const ms = performance.now() - start;
  let log = '';
  if (logBuf !== 0n) {
    const bytes = mem.read(logBuf, logSize);
    const nul = bytes.indexOf(0);
    log = new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
    mem.free(logBuf);
  }
  mem.free(insnsAddr);
  mem.free(license);
  if (fd !== undefined) sys.close(fd);
  const m = PROCESSED.exec(log);
  return { ms, errno, processed: m === null ? null : Number(m[1]), verificationMs: verificationMs(log) };
}

/** `{ms, processed, verdict}` of one side, or `{error}`. */
function xdpSide(sys, insns) {
  try {
    const counted = loadXdp(sys, insns, 4);
    const ms = bestOf(() => loadXdp(sys, insns, 0).ms);
    return { ms, processed: counted.processed, verdict: counted.errno === null ? 'accept' : `reject ${counted.errno}`, verificationMs: counted.verificationMs };
  } catch (e) {
    return { error: e.message };
  }
}

// The real kernel as the corpus harness's replay target. Unlike the harness this
// process keeps CAP_SYS_ADMIN, which changes no verdict of the cases picked here.
const linuxTarget = kernel === undefined ? undefined : { open: () => kernel.sys, close: () => {} };

/** The same for a corpus case through the replayer (maps, BTF, aux programs set up untimed). */
function corpusSide(target, c, ctx) {
  try {
    let timed = testing.timeCorpusLoad(target, c, ctx, { repetitions: REPS, budgetMs: BUDGET_MS, warmMs: verifyMs });
    if ('error' in timed.line) return { error: timed.line.error };
    if (timed.repetitions === 1) {
      // A slow load, timed once: once more, as bestOf does.
      const again = testing.timeCorpusLoad(target, c, ctx, { repetitions: 1 });
      if (again.ms !== undefined && (timed.ms === undefined || again.ms < timed.ms)) timed = again;
    }
    const { line, log } = testing.statsCorpusLoad(target, c, ctx);
    if ('error' in line) return { error: line.error };
    return { ms: timed.ms ?? null, processed: line.processed, verdict: line.errno === null ? line.verdict : `${line.verdict} ${line.errno}`, verificationMs: verificationMs(log) };
  } catch (e) {
    return { error: e.message };
  }
}

// A load that ends in another verdict than the kernel's (e.g. an early refusal of
// an instruction not modelled yet) did other work: its ratio is printed but
// left out of the summary, which counts those lines in `mismatched_verdicts`.
const verifyRatios = [];
let mismatchedVerdicts = 0;
function verifyLine(program, ours, theirs) {
  if ('error' in ours) {
    line({ kind: 'error', program, engine: 'bpfkit', error: ours.error });
    return;
  }
  if (theirs !== undefined && 'error' in theirs) line({ kind: 'error', program, engine: 'kernel', error: theirs.error });
  const k = theirs === undefined || 'error' in theirs ? undefined : theirs;
  const ratio = k === undefined || !(k.ms > 0) ? null : round(ours.ms / k.ms, 2);
  if (ratio !== null && k.verdict !== ours.verdict) mismatchedVerdicts++;
  else if (ratio !== null) verifyRatios.push(ratio);
  // The verify line is the contract, exactly these keys; what else was measured goes on a line of its own.
  line({ kind: 'verify', program, insns_processed: ours.processed, ms: round(ours.ms, 3), kernel_ms: round(k?.ms, 3), ratio });
  line({
    kind: 'verify-detail', program, kernel_insns_processed: k?.processed ?? null, verdict: ours.verdict, kernel_verdict: k?.verdict ?? null,
    verification_ms: round(ours.verificationMs, 3), kernel_verification_ms: round(k?.verificationMs, 3),
  });
}

const simKernel = () => createDefaultKernel({ vmlinuxBtf: () => vmlinux });
const xdpProlog = Uint8Array.from(Buffer.from(manifest.prologs.kernel_xdp.hex, 'hex'));
{
  const task = simKernel().init;
  for (const b of programs) {
    const body = hexBytes(readFileSync(join(benchDir, b.hex), 'utf8'));
    const insns = new Uint8Array(xdpProlog.length + body.length);
    insns.set(xdpProlog);
    insns.set(body, xdpProlog.length);
    verifyLine(b.name, xdpSide(task, insns), kernel === undefined ? undefined : xdpSide(kernel.sys, insns));
  }
}

const corpusDir = join(shared, 'corpus', 'verifier');
if (existsSync(corpusDir)) {
  const picks = testing.largestCorpusCases(corpusDir, 20).filter((p) => only.length === 0 || only.includes(p.id));
  for (const pick of picks) {
    const file = testing.readCaseFile(pick.path, { fixupsPath: join(corpusDir, 'fixup_kinds.json'), vmlinux });
    const c = file.cases.find((x) => x.id === pick.id);
    const ours = corpusSide(testing.simulatedReplayTarget(simKernel()), c, file.context);
    verifyLine(pick.id, ours, linuxTarget === undefined ? undefined : corpusSide(linuxTarget, c, file.context));
  }
} else {
  line({ kind: 'note', note: `${corpusDir} not found: no corpus cases in the verify lines` });
}

{
  const sorted = [...verifyRatios].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length === 0 ? null : sorted.length % 2 === 1 ? sorted[mid] : +((sorted[mid - 1] + sorted[mid]) / 2).toFixed(2);
  line({ kind: 'verify-summary', median_ratio: median, max_ratio: sorted.length === 0 ? null : sorted[sorted.length - 1], programs: sorted.length, mismatched_verdicts: mismatchedVerdicts });
}

// vmlinux BTF: BPF_BTF_LOAD of the same bytes on both sides (the simulated one parses and validates them).
if (existsSync(HOST_VMLINUX_BTF)) {
  const bytes = new Uint8Array(readFileSync(HOST_VMLINUX_BTF));
  const btfLoad = (sys) => {
    const addr = sys.memory.alloc(bytes);
    const attr = encodeBtfLoadAttr({ btf: addr, btf_size: bytes.length });
    try {
      return bestOf(() => {
        const start = performance.now();
        const fd = sys.bpf(BpfCmd.BPF_BTF_LOAD, attr);
        const ms = performance.now() - start;
        sys.close(fd);
        return ms;
      });
    } finally {
      sys.memory.free(addr);
    }
  };
  const side = (sys, engine) => {
    try {
      return btfLoad(sys);
    } catch (e) {
      line({ kind: 'error', program: 'vmlinux', engine, error: e.message });
      return null;
    }
  };
  const ours = side(simKernel().init, 'bpfkit');
  const theirs = kernel === undefined ? null : side(kernel.sys, 'kernel');
  const parseMs = bestOf(() => {
    const start = performance.now();
    parseBtf(bytes);
    return performance.now() - start;
  });
  const ratio = ours === null || theirs === null || !(theirs > 0) ? null : round(ours / theirs, 2);
  line({ kind: 'btf', program: 'vmlinux', ms: round(ours, 3), kernel_ms: round(theirs, 3), ratio, parse_ms: round(parseMs, 3) });
} else {
  line({ kind: 'note', note: `${HOST_VMLINUX_BTF} not found: no btf line` });
}

// Token decisions through bpf(): BPF_MAP_CREATE with a token, allowed (hash, delegated) and refused
// (array, not delegated), per second, in the simulated kernel's container task and in a child user
// namespace of the real kernel with the same delegating bpffs:
//   {"kind":"token","decision":"allowed"|"refused","per_s","kernel_per_s","ratio"}
// ratio = per_s / kernel_per_s (the target is >= 1: at least as many decisions as the kernel).
{
  const tokenRate = await import(pathToFileURL(join(root, 'tools', 'scripts', 'bench', 'token-rate.mjs')).href);
  const uapi = await load('uapi');
  const delegate = { cmds: 'map_create', maps: 'hash', progs: '', attachs: '' };
  const { child, bpffsFd } = testing.delegatedBpffs(createDefaultKernel(), { delegate: { cmds: delegate.cmds, maps: delegate.maps } });
  const ours = tokenRate.measure(child, bpffsFd, uapi);
  let theirs;
  try {
    const linux = await import(pathToFileURL(join(root, 'packages', 'linux', 'dist', 'delegation', 'index.js')).href);
    if (linux.delegationAvailability().available) {
      const run = await linux.runWithDelegatedBpffs({
        module: pathToFileURL(join(root, 'tools', 'scripts', 'bench', 'token-rate.mjs')).href,
        args: { uapi: pathToFileURL(join(root, 'packages', 'uapi', 'dist', 'index.js')).href, ms: 200 },
        delegate: { cmds: delegate.cmds, maps: delegate.maps },
      });
      theirs = run.result;
    } else {
      line({ kind: 'note', note: 'delegation on the real kernel not available here: token lines without kernel_per_s' });
    }
  } catch (e) {
    line({ kind: 'error', program: 'token', engine: 'kernel', error: e.message });
  }
  for (const decision of ['allowed', 'refused']) {
    const k = theirs?.[decision];
    line({ kind: 'token', decision, per_s: ours[decision], kernel_per_s: k ?? null, ratio: k === undefined ? null : round(ours[decision] / k, 2) });
  }
}

// CLI start-up: `bpfkit --help` next to `node -e 0` (best of 10 each; the target is within
// 150 ms of node itself): {"kind":"startup","program":"bpfkit --help","ms","node_ms","over_node_ms"}
{
  const { execFileSync } = await import('node:child_process');
  const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');
  const best = (args) => {
    let ms = Infinity;
    for (let i = 0; i < 10; i++) {
      const start = performance.now();
      execFileSync(process.execPath, args);
      ms = Math.min(ms, performance.now() - start);
    }
    return ms;
  };
  if (existsSync(bin)) {
    const nodeMs = best(['-e', '0']);
    const ms = best([bin, '--help']);
    line({ kind: 'startup', program: 'bpfkit --help', ms: round(ms, 1), node_ms: round(nodeMs, 1), over_node_ms: round(ms - nodeMs, 1) });
  }
}
