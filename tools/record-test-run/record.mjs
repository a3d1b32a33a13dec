#!/usr/bin/env node
// Records BPF_PROG_TEST_RUN on the running Linux kernel (root, bpf() allowed):
// loads small programs of every test-runnable type through @bpfkit/linux,
// runs them over a grid of data_in/ctx_in/sizes/flags, and writes what the
// kernel answered to packages/vm/test/fixtures/test-run-kernel.json, which
// packages/vm/test/test-run-kernel.test.ts replays through the simulator.
//
//   pnpm -r --filter @bpfkit/linux --filter @bpfkit/asm --filter @bpfkit/uapi build
//   sudo node tools/record-test-run/record.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createLinuxSyscall } from '../../packages/linux/dist/index.js';
import { assemble, encodeProgram } from '../../packages/asm/dist/index.js';
import { decodeBtf } from '../../packages/btf/dist/index.js';
import { BpfCmd, encodeBtfLoadAttr, encodeMapCreateAttr, encodeMapElemAttr, encodeProgLoadAttr, encodeTestRunAttr, decodeTestRunAttr } from '../../packages/uapi/dist/index.js';
import { cases } from './cases.mjs';

const sys = createLinuxSyscall();
const mem = sys.memory;
const hex = (b) => Buffer.from(b).toString('hex');
const OUT = new URL('../../packages/vm/test/fixtures/test-run-kernel.json', import.meta.url);

function encode(prog) {
  const insns = encodeProgram(assemble(prog.text));
  for (const p of prog.patches ?? []) {
    insns[p.insn * 8 + 1] = (insns[p.insn * 8 + 1] & 0x0f) | (p.src << 4);
    new DataView(insns.buffer).setInt32(p.insn * 8 + 4, p.imm, true);
  }
  return insns;
}

/** A frozen read-only array map holding `bytes`, for format strings (BPF_PSEUDO_MAP_VALUE). */
function rodataMap(bytes) {
  const fd = sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: 2, key_size: 4, value_size: 64, max_entries: 1, map_flags: 1 << 7 }));
  const key = mem.alloc(new Uint8Array(4));
  const value = new Uint8Array(64);
  value.set(bytes);
  const val = mem.alloc(value);
  sys.bpf(BpfCmd.BPF_MAP_UPDATE_ELEM, encodeMapElemAttr({ map_fd: fd, key, value: val }));
  sys.bpf(22 /* BPF_MAP_FREEZE */, encodeMapElemAttr({ map_fd: fd }));
  mem.free(key);
  mem.free(val);
  return fd;
}

/**
 * BTF with two static functions `main` and `cb` (both `long f(long a, long b)`) and the
 * func_info placing `cb` at slot `cbInsn`: the verifier wants it for callbacks (bpf_loop).
 */
function funcInfoBtf(cbInsn) {
  const strings = '\0long\0a\0b\0main\0cb\0';
  const off = (s) => strings.indexOf(`\0${s}\0`) + 1;
  const types = [
    off('long'), 1 << 24, 8, 64,
    0, (13 << 24) | 2, 1, off('a'), 1, off('b'), 1,
    off('main'), 12 << 24, 2,
    off('cb'), 12 << 24, 2,
  ];
  const typeBytes = new Uint8Array(new Uint32Array(types).buffer);
  const str = new TextEncoder().encode(strings);
  const blob = new Uint8Array(24 + typeBytes.length + str.length);
  const v = new DataView(blob.buffer);
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, typeBytes.length, true); v.setUint32(16, typeBytes.length, true); v.setUint32(20, str.length, true);
  blob.set(typeBytes, 24); blob.set(str, 24 + typeBytes.length);
  const ptr = mem.alloc(blob);
  const fd = sys.bpf(BpfCmd.BPF_BTF_LOAD, encodeBtfLoadAttr({ btf: ptr, btf_size: blob.length }));
  mem.free(ptr);
  const info = mem.alloc(new Uint8Array(new Uint32Array([0, 3, cbInsn, 4]).buffer));
  return { fd, info };
}

let vmlinux;
/** The vmlinux BTF id of a kfunc. */
function kfuncId(name) {
  vmlinux ??= decodeBtf(new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux')));
  const id = vmlinux.byName(name, 'FUNC');
  if (id === undefined) throw new Error(`no kfunc ${name} in vmlinux BTF`);
  return id;
}

const loaded = new Map();
function load(prog) {
  const key = JSON.stringify(prog);
  const hit = loaded.get(key);
  if (hit !== undefined) return hit;
  const insns = encode(prog);
  const mapFds = (prog.maps ?? []).map((d) => sys.bpf(BpfCmd.BPF_MAP_CREATE, encodeMapCreateAttr({ map_type: d.type, key_size: d.keySize, value_size: d.valueSize, max_entries: d.maxEntries, map_flags: d.flags })));
  for (let i = 0; i < insns.length; i += 8) {
    const imm = new DataView(insns.buffer).getUint32(i + 4, true);
    if (insns[i] === 0x18 && imm >= 0x7fff0000 && imm < 0x7fff0010) {
      insns[i + 1] = (insns[i + 1] & 0x0f) | 0x10;
      new DataView(insns.buffer).setInt32(i + 4, mapFds[imm - 0x7fff0000], true);
    }
  }
  for (let i = 0; i < insns.length; i += 8) {
    const imm = new DataView(insns.buffer).getUint32(i + 4, true);
    if (insns[i] === 0x85 && imm >= 0x7ffe0000 && imm < 0x7ffe0010) {
      insns[i + 1] = (insns[i + 1] & 0x0f) | 0x20;
      new DataView(insns.buffer).setInt32(i + 4, kfuncId(prog.kfuncs[imm - 0x7ffe0000]), true);
    }
  }
  let mapFd;
  if (prog.rodata !== undefined) {
    mapFd = rodataMap(Uint8Array.from(Buffer.from(prog.rodata, 'hex')));
    // the first `rX = 0 ll` with dst 3: BPF_PSEUDO_MAP_VALUE of the map, offset 0
    for (let i = 0; i < insns.length; i += 8) {
      if (insns[i] === 0x18 && (insns[i + 1] & 0x0f) === 3) {
        insns[i + 1] = 0x23;
        new DataView(insns.buffer).setInt32(i + 4, mapFd, true);
        break;
      }
    }
  }
  const btf = prog.callbackAt === undefined ? undefined : funcInfoBtf(prog.callbackAt);
  const insnsPtr = mem.alloc(insns);
  const license = mem.alloc(new TextEncoder().encode('GPL\0'));
  const log = mem.alloc(65536);
  let result;
  try {
    const fd = sys.bpf(BpfCmd.BPF_PROG_LOAD, encodeProgLoadAttr({
      prog_type: prog.type, expected_attach_type: prog.attach ?? 0, prog_flags: prog.flags ?? 0,
      insn_cnt: insns.length / 8, insns: insnsPtr, license, log_level: 1, log_size: 65536, log_buf: log,
      ...(btf === undefined ? {} : { prog_btf_fd: btf.fd, func_info_rec_size: 8, func_info: btf.info, func_info_cnt: 2 }),
    }));
    result = { ok: true, fd, mapFds };
  } catch (e) {
    result = { ok: false, errno: e.code, log: (e.log ?? '').split('\n').slice(-4).join('\n') };
  }
  if (!result.ok) for (const fd of mapFds) sys.close(fd);
  if (btf !== undefined) {
    mem.free(btf.info);
    sys.close(btf.fd);
  }
  mem.free(insnsPtr);
  mem.free(license);
  mem.free(log);
  loaded.set(key, result);
  return result;
}

function run(fd, req) {
  const dataIn = req.dataIn === null ? 0n : mem.alloc(req.dataIn.length === 0 ? new Uint8Array(1) : req.dataIn);
  const ctxIn = req.ctxIn === null ? 0n : mem.alloc(req.ctxIn);
  const dataOut = req.dataSizeOut === 0 ? 0n : mem.alloc(new Uint8Array(req.dataSizeOut).fill(0xee));
  const ctxOut = req.ctxSizeOut === 0 ? 0n : mem.alloc(new Uint8Array(req.ctxSizeOut).fill(0xee));
  const attr = encodeTestRunAttr({
    prog_fd: fd, data_in: dataIn, data_size_in: req.dataIn?.length ?? 0, data_out: dataOut, data_size_out: req.dataSizeOut,
    ctx_in: ctxIn, ctx_size_in: req.ctxIn?.length ?? 0, ctx_out: ctxOut, ctx_size_out: req.ctxSizeOut,
    repeat: req.repeat, flags: req.flags, cpu: req.cpu, batch_size: req.batchSize,
  });
  let errno = null;
  try {
    sys.bpf(BpfCmd.BPF_PROG_TEST_RUN, attr);
  } catch (e) {
    errno = e.code;
  }
  const out = decodeTestRunAttr(attr);
  const res = { errno, retval: out.retval, dataSizeOut: out.data_size_out, ctxSizeOut: out.ctx_size_out };
  if (dataOut !== 0n) {
    const n = Math.min(out.data_size_out, req.dataSizeOut);
    res.dataOut = hex(mem.read(dataOut, n));
  }
  if (ctxOut !== 0n) res.ctxOut = hex(mem.read(ctxOut, Math.min(out.ctx_size_out, req.ctxSizeOut)));
  if (ctxIn !== 0n) res.ctxInAfter = hex(mem.read(ctxIn, req.ctxIn.length));
  for (const p of [dataIn, ctxIn, dataOut, ctxOut]) if (p !== 0n) mem.free(p);
  return res;
}

const fixtures = [];
for (const c of cases()) {
  const l = load(c.prog);
  const entry = {
    name: c.name,
    prog: c.prog,
    req: {
      dataIn: c.req.dataIn === null ? null : hex(c.req.dataIn),
      ctxIn: c.req.ctxIn === null ? null : hex(c.req.ctxIn),
      dataSizeOut: c.req.dataSizeOut, ctxSizeOut: c.req.ctxSizeOut, repeat: c.req.repeat, flags: c.req.flags, cpu: c.req.cpu, batchSize: c.req.batchSize,
    },
  };
  if (!l.ok) entry.load = { errno: l.errno, log: l.log };
  else {
    entry.result = run(l.fd, c.req);
    // Array maps of one entry are read back: programs store what they saw there.
    const dumps = (c.prog.maps ?? []).map((d, i) => {
      if (d.type !== 2 || d.maxEntries !== 1) return null;
      const key = mem.alloc(new Uint8Array(4));
      const val = mem.alloc(d.valueSize);
      sys.bpf(BpfCmd.BPF_MAP_LOOKUP_ELEM, encodeMapElemAttr({ map_fd: l.mapFds[i], key, value: val }));
      const out = hex(mem.read(val, d.valueSize));
      mem.free(key);
      mem.free(val);
      return out;
    });
    if (dumps.some((x) => x !== null)) entry.result.maps = dumps;
  }
  fixtures.push(entry);
}
for (const l of loaded.values()) {
  if (!l.ok) continue;
  sys.close(l.fd);
  for (const fd of l.mapFds) sys.close(fd);
}
const doc = {
  about: 'BPF_PROG_TEST_RUN on the real kernel, recorded by tools/record-test-run/record.mjs; replayed by packages/vm/test/test-run-kernel.test.ts. Byte strings are hex.',
  kernel: (await import('node:os')).release(),
  cases: fixtures,
};
writeFileSync(OUT, JSON.stringify(doc, null, 1) + '\n');
console.log(`recorded ${fixtures.length} cases (${fixtures.filter((f) => f.load).length} programs did not load) to ${OUT.pathname}`);
