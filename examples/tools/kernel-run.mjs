#!/usr/bin/env node
// Runs an example's STEPS.json on the real kernel with bpftool, as a cross-check for
// `bpfkit object run` (root, a mounted bpffs at /sys/fs/bpf, bpftool from apt).
//
//   node examples/tools/kernel-run.mjs examples/xdp_firewall.o examples/xdp_firewall.steps.json
//
// Prints one JSON document: each step with rc (and, for test_run, retval, data_out, ring
// buffer samples and every map's contents after it). Loading, map updates and dumps go
// through bpftool; test runs through test_run.py (a direct bpf() call, pinned to CPU 0). rodata_patches are applied to
// a temporary copy of the object's .rodata section before loading, which is what
// libbpf's skeletons do in memory. Steps it cannot express with bpftool
// (perf_buffer_open, attach, drain) are reported as skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [objPath, stepsPath] = process.argv.slice(2);
if (!objPath) {
  console.error('usage: kernel-run.mjs OBJ.o [STEPS.json]');
  process.exit(2);
}
const spec = stepsPath ? JSON.parse(readFileSync(stepsPath, 'utf8')) : { steps: [] };
const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'kernel-run-'));
const tag = `${basename(objPath, '.o')}_${process.pid}`;
const progDir = `/sys/fs/bpf/${tag}`;
const mapDir = `/sys/fs/bpf/${tag}_maps`;

function bpftool(args, { json = true } = {}) {
  try {
    const out = execFileSync('bpftool', json ? ['-j', ...args] : args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, out: json && out.trim() ? JSON.parse(out) : out };
  } catch (e) {
    let msg = `${e.stderr ?? ''}${e.stdout ?? ''}`.trim();
    try {
      msg = JSON.parse(e.stdout).error ?? msg;
    } catch {
      // not bpftool's JSON error document: keep the raw text
    }
    return { ok: false, error: msg };
  }
}

/** Section headers of an ELF64 little-endian file: name -> {offset, size}. */
function sections(buf) {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const hdr = (i) => shoff + i * shentsize;
  const strOff = Number(buf.readBigUInt64LE(hdr(shstrndx) + 0x18));
  const out = {};
  for (let i = 0; i < shnum; i++) {
    const nameOff = buf.readUInt32LE(hdr(i));
    const end = buf.indexOf(0, strOff + nameOff);
    const name = buf.toString('latin1', strOff + nameOff, end);
    out[name] = { offset: Number(buf.readBigUInt64LE(hdr(i) + 0x18)), size: Number(buf.readBigUInt64LE(hdr(i) + 0x20)) };
  }
  return out;
}

function patchedObject() {
  const patches = spec.rodata_patches ?? [];
  if (patches.length === 0) return objPath;
  const buf = readFileSync(objPath);
  const secs = sections(buf);
  const btf = bpftool(['btf', 'dump', 'file', objPath]).out.types;
  for (const p of patches) {
    const ds = btf.find((t) => t.kind === 'DATASEC' && t.name === p.section);
    const v = ds?.vars.find((x) => btf.find((t) => t.id === x.type_id)?.name === p.var);
    if (!v || !secs[p.section]) throw new Error(`no ${p.section} variable ${p.var}`);
    Buffer.from(p.bytes, 'hex').copy(buf, secs[p.section].offset + v.offset);
  }
  const out = join(tmp, basename(objPath));
  writeFileSync(out, buf);
  return out;
}

const toHex = (arr) => arr.map((b) => b.replace(/^0x/, '')).join('');
const spaced = (h) => h.match(/../g) ?? [];

/** The object's ring buffers, for test_run.py to consume after each run. */
function ringbufs() {
  return readdirSync(mapDir).flatMap((name) => {
    const info = bpftool(['map', 'show', 'pinned', join(mapDir, name)]);
    return info.ok && info.out.type === 'ringbuf' ? [{ name, path: join(mapDir, name), size: info.out.max_entries }] : [];
  });
}

function programInfo(name) {
  const out = execFileSync('python3', [join(here, 'test_run.py')], { input: JSON.stringify({ info: join(progDir, name) }), encoding: 'utf8' });
  return { name, ...JSON.parse(out) };
}

const isZero = (h) => !/[^0]/.test(h);

/** Every pinned map's entries; array maps without their all-zero entries, as object-run.md does. */
function dumpMaps() {
  return readdirSync(mapDir).sort().map((name) => {
    const path = join(mapDir, name);
    const info = bpftool(['map', 'show', 'pinned', path]);
    const type = info.ok ? info.out.type : undefined;
    if (type === 'ringbuf' || type === 'perf_event_array') return { name, type, skipped: true };
    const r = bpftool(['map', 'dump', 'pinned', path]);
    if (!r.ok) return { name, type, error: r.error };
    let entries = r.out.map((e) => {
      const key = toHex(e.key);
      if (e.values) return { key, percpu: e.values.map((v) => toHex(v.value)) };
      return { key, value: toHex(e.value) };
    });
    if (/array/.test(type ?? '') && !/[._](bss|data|rodata)$/.test(name))
      entries = entries.filter((e) => !(e.percpu ? e.percpu.every(isZero) : isZero(e.value)));
    else entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { name, type, entries };
  });
}

const result = { file: basename(objPath), kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim() };
try {
  const load = bpftool(['prog', 'loadall', patchedObject(), progDir, 'pinmaps', mapDir], { json: false });
  result.load = load.ok ? { ok: true, programs: readdirSync(progDir).sort().map(programInfo) } : { ok: false, error: load.error.split('\n').slice(-40) };
  if (load.ok) {
    result.maps_after_load = dumpMaps();
    result.steps = spec.steps.map((step) => {
      const r = { ...step };
      if (step.op === 'map_update') {
        const args = ['map', 'update', 'pinned', join(mapDir, step.map.replaceAll('.', '_')), 'key', 'hex', ...spaced(step.key), 'value', 'hex', ...spaced(step.value)];
        if (step.flags === 1) args.push('noexist');
        if (step.flags === 2) args.push('exist');
        const u = bpftool(args, { json: false });
        r.rc = u.ok ? 0 : u.error;
      } else if (step.op === 'test_run') {
        const req = {
          prog: join(progDir, step.program), data_in: step.data_in, data_size_out: step.data_size_out,
          ctx_in: step.ctx_in, ctx_size_out: step.ctx_size_out, repeat: step.repeat, ringbufs: ringbufs(),
        };
        const out = execFileSync('python3', [join(here, 'test_run.py')], { input: JSON.stringify(req), encoding: 'utf8' });
        Object.assign(r, JSON.parse(out));
        if (r.ringbuf_samples?.length === 0) delete r.ringbuf_samples;
        r.maps_after = dumpMaps();
      } else {
        r.skipped = 'not expressible with bpftool';
      }
      return r;
    });
  }
} finally {
  rmSync(progDir, { recursive: true, force: true });
  rmSync(mapDir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(result, null, 1));
