import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import { BpfAttachType as A, BpfCmd, BpfMapType, BpfProgType as P } from '@bpfkit/uapi';
import { createLinuxSyscall, linuxBpfAvailability } from '@bpfkit/linux';
import {
  attachUsdt, BpfLink, BpfObject, bpfMapCreate, bpfMapLookupElem, bpfProgLoad, collectUsdtTargets, supportsUprobeMultiLink, USDT_SPEC_SIZE, UsdtManager,
  usdtSpec, type LibbpfHost,
} from '@bpfkit/libbpf';
import { simKernel } from './helpers.js';
import { usdtBinary, withSection } from './support/elf-so.js';

function outcome(fn: () => unknown): unknown {
  try {
    return fn();
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return `${e.code} ${e.reason}`;
  }
}

/** One `struct __bpf_usdt_arg_spec` (24 bytes) of a spec, decoded. */
function arg(spec: Uint8Array, i: number): Record<string, number | bigint | boolean> {
  const v = new DataView(spec.buffer, spec.byteOffset + i * 24, 24);
  const bits = v.getUint16(10, true);
  return {
    valOff: v.getBigInt64(0, true), type: v.getUint8(8), idxRegOff: bits & 0xfff, scaleShift: bits >> 12, regOff: v.getInt16(14, true),
    signed: v.getUint8(16) === 1, bitshift: v.getInt8(17),
  };
}

test('usdtSpec: libbpf\'s x86-64 argument forms in struct __bpf_usdt_spec (24-byte args, cookie at 288, count at 296)', (t) => {
  const s = usdtSpec('-4@%edi 8@-8(%rbp) 2@(%rsp) 1@-96(%rbp,%rax,8) 8@(%r12,%rbx) -8@$-71 4@%r11d', 0xabcdn);
  t.is(s.length, USDT_SPEC_SIZE);
  t.deepEqual(arg(s, 0), { valOff: 0n, type: 1, idxRegOff: 0, scaleShift: 0, regOff: 112, signed: true, bitshift: 32 });
  t.deepEqual(arg(s, 1), { valOff: -8n, type: 2, idxRegOff: 0, scaleShift: 0, regOff: 32, signed: false, bitshift: 0 });
  t.deepEqual(arg(s, 2), { valOff: 0n, type: 2, idxRegOff: 0, scaleShift: 0, regOff: 152, signed: false, bitshift: 48 });
  t.deepEqual(arg(s, 3), { valOff: -96n, type: 3, idxRegOff: 80, scaleShift: 3, regOff: 32, signed: false, bitshift: 56 });
  t.deepEqual(arg(s, 4), { valOff: 0n, type: 3, idxRegOff: 40, scaleShift: 0, regOff: 24, signed: false, bitshift: 0 });
  t.deepEqual(arg(s, 5), { valOff: -71n, type: 0, idxRegOff: 0, scaleShift: 0, regOff: 0, signed: true, bitshift: 0 });
  t.deepEqual(arg(s, 6), { valOff: 0n, type: 1, idxRegOff: 0, scaleShift: 0, regOff: 48, signed: false, bitshift: 32 });
  const v = new DataView(s.buffer);
  t.is(v.getBigUint64(288, true), 0xabcdn);
  t.is(v.getInt16(296, true), 7);
  t.is(new DataView(usdtSpec('', 0n).buffer).getInt16(296, true), 0, 'no arguments');
  t.is(outcome(() => usdtSpec('3@%eax', 0n)), 'EINVAL libbpf:usdt-arg-size');
  t.is(outcome(() => usdtSpec('4@%xmm0', 0n)), 'ENOENT libbpf:usdt-register');
  t.is(outcome(() => usdtSpec('4@(%rax,%rbx,3)', 0n)), 'EINVAL libbpf:usdt-sib-scale');
  t.is(outcome(() => usdtSpec('4@?', 0n)), 'EINVAL libbpf:usdt-arg');
  t.is(outcome(() => usdtSpec(Array.from({ length: 13 }, () => '4@%eax').join(' '), 0n)), 'E2BIG libbpf:usdt-too-many-args');
});

test('collectUsdtTargets: the provider:name notes, addresses to file offsets through their PT_LOAD, .stapsdt.base prelink shift, semaphores', (t) => {
  const bin = usdtBinary([
    { provider: 'app', name: 'hit', args: '-4@%edi', loc: 0x401010 },
    { provider: 'app', name: 'other', args: '', loc: 0x401020 },
    { provider: 'app', name: 'hit', args: '8@%rsi', loc: 0x401030, sema: 0x403008 },
  ]);
  t.deepEqual(collectUsdtTargets(bin, '/bin/app', 'app', 'hit'), [
    { provider: 'app', name: 'hit', args: '-4@%edi', absIp: 0x401010n, relIp: 0x1010n, semaOff: 0n },
    { provider: 'app', name: 'hit', args: '8@%rsi', absIp: 0x401030n, relIp: 0x1030n, semaOff: 0x3008n },
  ]);
  t.deepEqual(collectUsdtTargets(bin, '/bin/app', 'app', 'nope'), []);
  const prelinked = usdtBinary([{ provider: 'app', name: 'hit', args: '', loc: 0x401010 }], 0x401f10);
  t.is(collectUsdtTargets(prelinked, 'p', 'app', 'hit')[0]?.relIp, 0x1020n, 'moved by the .stapsdt.base difference');
  t.is(outcome(() => collectUsdtTargets(usdtBinary([{ provider: 'app', name: 'hit', args: '', loc: 0x403010 }]), 'p', 'app', 'hit')), 'ESRCH libbpf:usdt-segment', 'a data segment');
  t.is(outcome(() => collectUsdtTargets(usdtBinary([{ provider: 'app', name: 'hit', args: '', loc: 0x409000 }]), 'p', 'app', 'hit')), 'ESRCH libbpf:usdt-segment', 'no segment');
  t.is(outcome(() => collectUsdtTargets(usdtBinary([{ provider: 'app', name: 'hit', args: '', loc: 0x401010, sema: 0x401100 }]), 'p', 'app', 'hit')), 'ESRCH libbpf:usdt-semaphore');
  t.is(outcome(() => collectUsdtTargets(new Uint8Array(64), 'p', 'app', 'hit')), 'EINVAL libbpf:usdt-elf');
});

const RET0 = Uint8Array.from([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

/** A usdt program (loaded for uprobe_multi where the kernel has it) and a specs map: attach to a binary the kernel cannot probe. */
function unprobeable(host: LibbpfHost): Record<string, unknown> {
  const eat = supportsUprobeMultiLink(host) ? A.BPF_TRACE_UPROBE_MULTI : 0;
  const prog = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_KPROBE, insns: RET0, license: 'GPL', expectedAttachType: eat }).fd;
  const specs = bpfMapCreate(host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: USDT_SPEC_SIZE, maxEntries: 2 });
  try {
    const man = new UsdtManager(specs, 2);
    const bin = usdtBinary([
      { provider: 'app', name: 'hit', args: '-4@%edi', loc: 0x401010 }, { provider: 'app', name: 'hit', args: '-4@%edi', loc: 0x401030 },
      { provider: 'app', name: 'hit', args: '8@%rsi', loc: 0x401050 },
    ]);
    const p = { name: 'usdt', fd: prog };
    const read = (): Uint8Array => bin;
    return {
      multi: eat !== 0,
      procFile: outcome(() => attachUsdt(host, p, man, -1, '/proc/self/mountinfo', 'app', 'hit', { readBinary: read, cookie: 5n })),
      spec0: Buffer.from(bpfMapLookupElem(host, specs, Uint8Array.of(0, 0, 0, 0), USDT_SPEC_SIZE)).equals(Buffer.from(usdtSpec('-4@%edi', 5n))),
      spec1: Buffer.from(bpfMapLookupElem(host, specs, Uint8Array.of(1, 0, 0, 0), USDT_SPEC_SIZE)).equals(Buffer.from(usdtSpec('8@%rsi', 5n))),
      idsGivenBack: outcome(() => attachUsdt(host, p, man, -1, '/', 'app', 'hit', { readBinary: read })),
      noProbe: outcome(() => attachUsdt(host, p, man, -1, '/', 'app', 'nope', { readBinary: read })),
      notes: outcome(() => attachUsdt(host, p, man, -1, '/', 'app', 'hit', { readBinary: () => new Uint8Array(64) })),
      tooManySpecs: outcome(() => attachUsdt(host, p, new UsdtManager(specs, 1), -1, '/', 'app', 'hit', { readBinary: read })),
    };
  } finally {
    host.close(prog);
    host.close(specs);
  }
}

test('attachUsdt on the simulated kernel: specs written per distinct argument string, cookies are spec ids, then the uprobe_multi link\'s errno', (t) => {
  t.deepEqual(unprobeable(simKernel(2).init), {
    multi: true, procFile: 'EIO link:uprobe-no-read-folio', spec0: true, spec1: true, idsGivenBack: 'EBADF link:uprobe-not-regular',
    noProbe: 'ENOENT libbpf:usdt-not-found', notes: 'EINVAL libbpf:usdt-elf', tooManySpecs: 'E2BIG libbpf:usdt-specs-full',
  });
});

const linux = linuxBpfAvailability();

test('usdt sections: loaded for uprobe_multi where the kernel has it; the object needs usdt.bpf.h\'s maps; usdt.s/ is EINVAL as libbpf reads it', (t) => {
  const host = simKernel(2).init;
  const obj = BpfObject.open(withSection('usdt//bin/ls:a:bcd'), { name: 'trace_ringbuf', host, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  for (const p of obj.programs) p.autoload = p.name === 'kp';
  obj.load();
  const prog = obj.program('kp');
  t.is(prog.expectedAttachType, A.BPF_TRACE_UPROBE_MULTI);
  t.is(outcome(() => prog.attach()), 'ESRCH libbpf:usdt-no-maps');
  t.is(outcome(() => prog.attachUsdt(-1, '/bin/ls', 'a', 'b')), 'ESRCH libbpf:usdt-no-maps');
  t.is(outcome(() => prog.attach({ cookie: 1n })), 'EINVAL libbpf:multi-cookie');
  obj.close();
  const dotS = BpfObject.open(withSection('usdt.s//bin/l:a:bc'), { name: 'trace_ringbuf', host, possibleCpus: 2, ksymAddresses: { init_task: 0xffff_ffff_8200_0000n } });
  t.is(outcome(() => { dotS.program('kp').attach(); }), 'EINVAL libbpf:bad-usdt-section');
  dotS.close();
});

/**
 * Builds the probed program, attaches a hit-counting program (loaded with
 * `expectedAttachType`) to its `bpfkit:hit` probes and runs it: three hits; the link is
 * of `linkType` (uprobe_multi, or the first site's perf link).
 */
function endToEnd(t: ExecutionContext, host: LibbpfHost, expectedAttachType: number, linkType: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'bpfkit-usdt-'));
  try {
    writeFileSync(join(dir, 'probed.c'), PROBED_C);
    try {
      execFileSync('cc', ['-O1', '-o', join(dir, 'probed'), join(dir, 'probed.c')], { stdio: 'pipe' });
    } catch (e) {
      t.log(`linux: usdt end-to-end not run, cc could not build the probed binary (${(e as Error).message.split('\n')[0] ?? ''})`);
      t.pass();
      return;
    }
    const counts = bpfMapCreate(host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
    const specs = bpfMapCreate(host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: USDT_SPEC_SIZE, maxEntries: 4 });
    const insns = Uint8Array.from([
      0x62, 0x0a, 0xfc, 0xff, 0, 0, 0, 0, 0xbf, 0xa2, 0, 0, 0, 0, 0, 0, 0x07, 0x02, 0, 0, 0xfc, 0xff, 0xff, 0xff,
      0x18, 0x11, 0, 0, counts & 0xff, (counts >> 8) & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
      0x85, 0, 0, 0, 1, 0, 0, 0, 0x15, 0, 3, 0, 0, 0, 0, 0, 0xb7, 0x01, 0, 0, 1, 0, 0, 0, 0xdb, 0x10, 0, 0, 0, 0, 0, 0,
      0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0,
    ]);
    const prog = bpfProgLoad(host, { progType: P.BPF_PROG_TYPE_KPROBE, insns, license: 'GPL', expectedAttachType }).fd;
    try {
      const path = join(dir, 'probed');
      const a = attachUsdt(host, { name: 'count', fd: prog }, new UsdtManager(specs, 4), -1, path, 'bpfkit', 'hit', { cookie: 9n });
      const link = new BpfLink(host, a.fd, undefined, a.cleanup);
      const info = link.info();
      t.is(info.type, linkType);
      const sites = collectUsdtTargets(new Uint8Array(readFileSync(path)), path, 'bpfkit', 'hit');
      t.is(sites.length, 2, 'two probe sites: the loop\'s and the last one');
      const ids = new Map<string, number>();
      for (const s of sites) if (!ids.has(s.args)) ids.set(s.args, ids.size);
      if (info.uprobeMulti !== undefined) {
        t.is(info.uprobeMulti.path, path);
        t.deepEqual(info.uprobeMulti.offsets, sites.map((s) => s.relIp));
        t.deepEqual(info.uprobeMulti.cookies, sites.map((s) => BigInt(ids.get(s.args) ?? -1)), 'one spec id per distinct argument string, from 0');
      } else {
        t.like(info.perfEvent, { kind: 'uprobe', name: path, offset: Number(sites[0]?.relIp ?? 0), cookie: BigInt(ids.get(sites[0]?.args ?? '') ?? -1) });
      }
      for (const [args, id] of ids) {
        t.true(Buffer.from(bpfMapLookupElem(host, specs, Uint8Array.of(id, 0, 0, 0), USDT_SPEC_SIZE)).equals(Buffer.from(usdtSpec(args, 9n))), `spec #${id} is '${args}'`);
      }
      t.is(spawnSync(path).status, 0, 'the probed program ran');
      const hits = new DataView(bpfMapLookupElem(host, counts, Uint8Array.of(0, 0, 0, 0), 8).buffer).getBigUint64(0, true);
      t.is(hits, 3n, 'each probe hit ran the program once');
      link.close();
      t.is(spawnSync(path).status, 0);
      t.is(new DataView(bpfMapLookupElem(host, counts, Uint8Array.of(0, 0, 0, 0), 8).buffer).getBigUint64(0, true), 3n, 'no hits once the link is closed');
    } finally {
      host.close(prog);
      host.close(counts);
      host.close(specs);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A C program with `bpfkit:hit` USDT probes (as sys/sdt.h emits them): one site in a loop run twice, one after it. */
const PROBED_C = String.raw`
#define PROBE(x) __asm__ __volatile__ ( \
  "990: nop\n .pushsection .note.stapsdt,\"\",\"note\"\n .balign 4\n .4byte 992f-991f, 994f-993f, 3\n" \
  "991: .asciz \"stapsdt\"\n992: .balign 4\n993: .8byte 990b\n .8byte _.stapsdt.base\n .8byte 0\n" \
  " .asciz \"bpfkit\"\n .asciz \"hit\"\n .asciz \"-4@%0\"\n994: .balign 4\n .popsection\n" \
  " .ifndef _.stapsdt.base\n .pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
  " .weak _.stapsdt.base\n .hidden _.stapsdt.base\n_.stapsdt.base: .space 1\n .size _.stapsdt.base, 1\n .popsection\n .endif\n" \
  :: "r"(x))
int main(int argc, char **argv) { for (int i = 0; i < 2; i++) PROBE(i); PROBE(argc); return 0; }
`;

if (linux.available) {
  test('Linux gives the same answers to attachUsdt on binaries it cannot probe', (t) => {
    const codes = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? v.split(' ')[0] : v]));
    t.deepEqual(codes(unprobeable(createLinuxSyscall())), codes(unprobeable(simKernel(2).init)));
  });

  test('Linux: a usdt program on a real binary\'s probes counts their hits (uprobe_multi link, spec ids as cookies)', (t) => {
    endToEnd(t, createLinuxSyscall(), A.BPF_TRACE_UPROBE_MULTI, 12);
  });

  test('Linux without uprobe_multi links (refused as a pre-6.6 kernel would): one uprobe perf event per site, the spec id as its cookie', (t) => {
    const sys = createLinuxSyscall();
    const old: LibbpfHost = {
      ...sys,
      bpf: (cmd, attr) => {
        if (cmd === BpfCmd.BPF_LINK_CREATE && new DataView(attr.buffer, attr.byteOffset).getUint32(8, true) === A.BPF_TRACE_UPROBE_MULTI) {
          throw new BpfError('EINVAL', 'test:no-uprobe-multi', 'a kernel before uprobe_multi links');
        }
        return sys.bpf(cmd, attr);
      },
    };
    t.false(supportsUprobeMultiLink(old));
    endToEnd(t, old, 0, 7);
  });
} else {
  test.skip(`linux: skipped, bpf() is not available here (${linux.error.code}) [usdt]`, () => {});
}
