import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { createDefaultKernel, hostVmlinuxBtf, HOST_VMLINUX_BTF } from '@bpfkit/kernel/defaults';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import { BpfObject, type LibbpfHost, type OpenOptions } from '@bpfkit/libbpf';
import { FIXTURES, fixture, hex, packet, u32, type Fixture } from './helpers.js';

/** What one kernel made of one fixture: the open view, the verdict, what was submitted, and the runs. */
interface Outcome {
  open: unknown;
  load: { ok: boolean; errnoName: string | null; failedProgram: string | null };
  programs: { name: string; loaded: boolean; errno?: string; insns: string; mapRefs: unknown }[];
  runs: Record<string, unknown>;
}

/** Test runs whose results follow from the fixture sources; keys name them. */
const RUNS: Partial<Record<Fixture, (obj: BpfObject) => Record<string, unknown>>> = {
  xdp_filter: (o) => ({
    retval: o.program('xdp_filter').testRun({ dataIn: packet(), repeat: 1 }).retval,
    counts: [...o.map('counts').entries()].map(([k, v]) => [hex(k), hex(v)]),
  }),
  socket_filter: (o) => ({
    long: o.program('keep_head').testRun({ dataIn: packet(100) }).retval,
    short: o.program('keep_head').testRun({ dataIn: packet(40) }).retval,
  }),
  tc_shared: (o) => ({
    ingressBig: o.program('tc_ingress').testRun({ dataIn: packet(200) }).retval,
    ingressSmall: o.program('tc_ingress').testRun({ dataIn: packet(60) }).retval,
    egress: o.program('tc_egress').testRun({ dataIn: packet(60) }).retval,
    tcx: o.program('tcx_in').testRun({ dataIn: packet(300) }).retval,
  }),
  globals: (o) => ({
    retval: o.program('count_in').testRun({ dataIn: packet(64) }).retval,
    data: hex(o.map('globals.data').lookup(u32(0))),
    bss: hex(o.map('globals.bss').lookup(u32(0))),
    extra: hex(o.map('.data.extra').lookup(u32(0))),
  }),
};

/** Where the two kernels answer differently today, and why (the test logs these instead of failing). */
const KNOWN_DIFFERENCES: Partial<Record<Fixture, string>> = {
  map_values: "the simulated verifier does not follow bpf_loop's callback (ld_imm64 src=BPF_PSEUDO_FUNC): 'unreachable insn 21'; Linux loads main_prog",
};

function outcome(host: LibbpfHost, name: Fixture, extra: Partial<OpenOptions>): Outcome {
  const obj = BpfObject.open(fixture(name), { name, host, kernelRelease: release(), possibleCpus: 2, ...extra });
  const open = {
    programs: obj.programs.map((p) => [p.name, p.section, p.progTypeName, p.expectedAttachTypeName, p.insnCntAtOpen, p.autoload]),
    maps: obj.maps.map((m) => [m.name, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.mapFlags, m.internal, m.initialValue && hex(m.initialValue)]),
  };
  try {
    obj.load();
  } catch {
    // the verdict is in loadReport
  }
  const r = obj.loadReport;
  const out: Outcome = {
    open,
    load: { ok: r?.ok ?? false, errnoName: r?.errnoName ?? null, failedProgram: r?.failedProgram ?? null },
    programs: obj.programs.flatMap((p) => {
      const rec = p.loadRecord;
      if (rec === undefined) return [];
      return [{ name: p.name, loaded: rec.loaded, ...(rec.errno === undefined ? {} : { errno: rec.errno }), insns: hex(rec.insnsNoFds), mapRefs: rec.mapRefs }];
    }),
    runs: r?.ok === true ? (RUNS[name]?.(obj) ?? {}) : {},
  };
  obj.close();
  return out;
}

const availability = linuxBpfAvailability();
if (!availability.available) {
  test.skip(`linux: skipped, bpf() is not available here (${availability.error.code} ${availability.error.reason}) [libbpf fixtures on both kernels]`, () => {});
} else {
  const linux = createLinuxSyscall();
  const hostBtf = existsSync(HOST_VMLINUX_BTF) ? new Uint8Array(readFileSync(HOST_VMLINUX_BTF)) : undefined;
  for (const name of FIXTURES) {
    test(`${name}: open view, load verdict, submitted instructions and test runs match Linux`, (t) => {
      const sim = createDefaultKernel({ cpus: 2, vmlinuxBtf: () => hostVmlinuxBtf() }).init;
      // The simulated kernel's vmlinux BTF object has no raw bytes to copy out, so CO-RE gets them directly.
      const simOut = outcome(sim, name, hostBtf === undefined ? {} : { targetBtf: hostBtf });
      const linuxOut = outcome(linux, name, {});
      t.deepEqual(simOut.open, linuxOut.open);
      const known = KNOWN_DIFFERENCES[name];
      if (known !== undefined && JSON.stringify(simOut) !== JSON.stringify(linuxOut)) {
        t.log(`known difference: ${known}`);
        t.log(`simulated: ${JSON.stringify(simOut.load)}; linux: ${JSON.stringify(linuxOut.load)}`);
        return;
      }
      t.deepEqual(simOut.load, linuxOut.load);
      t.deepEqual(simOut.programs, linuxOut.programs);
      t.deepEqual(simOut.runs, linuxOut.runs);
    });
  }

  test('trace_ringbuf with an init_task address: the same CO-RE-relocated code reaches both verifiers', (t) => {
    // libbpf reads typeless ksyms from /proc/kallsyms; this kernel may not list data symbols, so give both the same address.
    const ksymAddresses = { init_task: 0xffff_ffff_8200_0000n };
    const sim = createDefaultKernel({ cpus: 2, vmlinuxBtf: () => hostVmlinuxBtf() }).init;
    const simOut = outcome(sim, 'trace_ringbuf', { ksymAddresses, ...(hostBtf === undefined ? {} : { targetBtf: hostBtf }) });
    const linuxOut = outcome(linux, 'trace_ringbuf', { ksymAddresses });
    const simExec = simOut.programs.find((p) => p.name === 'handle_exec');
    const linuxExec = linuxOut.programs.find((p) => p.name === 'handle_exec');
    t.is(simExec?.insns, linuxExec?.insns);
    t.deepEqual(simExec?.mapRefs, linuxExec?.mapRefs);
    t.log(`simulated: ${JSON.stringify(simOut.load)}; linux: ${JSON.stringify(linuxOut.load)}`);
    t.log('known difference: the simulated verifier does not model ld_imm64 src=BPF_PSEUDO_BTF_ID (the weak kfunc address check), so handle_exec fails there');
  });
}
