import { isBpfError } from '@bpfkit/kernel-api';
import { BPF_F_MMAPABLE, BpfMapType, BpfProgType, type ErrnoName } from '@bpfkit/uapi';
import { bpfBtfLoad } from '../commands/btf.js';
import { bpfMapCreate } from '../commands/map.js';
import { bpfProgBindMap, bpfProgLoad } from '../commands/prog.js';
import type { LibbpfHost } from '../host.js';
import type { BpfMap } from './map.js';

/** The libbpf `FEAT_*` probes that change what an object load submits. */
export type KernFeature =
  | 'PROG_NAME' | 'GLOBAL_DATA' | 'ARRAY_MMAP' | 'LDIMM64_FULL_RANGE_OFF' | 'PROG_BIND_MAP'
  | 'BTF' | 'BTF_FUNC' | 'BTF_GLOBAL_FUNC' | 'BTF_DATASEC' | 'BTF_FLOAT' | 'BTF_DECL_TAG' | 'BTF_TYPE_TAG' | 'BTF_ENUM64';

const KIND = { INT: 1, PTR: 2, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16, DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19 } as const;
const info = (kind: number, vlen = 0, kflag = 0): number => ((kflag << 31) | (kind << 24) | vlen) >>> 0;
const int32 = (name: number): number[] => [name, info(KIND.INT), 4, (1 << 24) | 32];

/** Raw BTF (types as u32 words, strings) with a 24-byte header. */
function rawBtf(words: readonly number[], strs: string): Uint8Array {
  const s = new TextEncoder().encode(strs);
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + s.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(12, typeLen, true);
  v.setUint32(16, typeLen, true);
  v.setUint32(20, s.length, true);
  words.forEach((w, i) => { v.setUint32(24 + i * 4, w >>> 0, true); });
  out.set(s, 24 + typeLen);
  return out;
}

/** The BTF probes of libbpf's `features.c`, type for type. */
const BTF_PROBES: Readonly<Record<string, () => Uint8Array>> = {
  BTF: () => rawBtf(int32(1), '\0int\0'),
  BTF_FUNC: () => rawBtf([...int32(1), 0, info(KIND.FUNC_PROTO, 1), 0, 7, 1, 5, info(KIND.FUNC), 2], '\0int\0x\0a\0'),
  BTF_GLOBAL_FUNC: () => rawBtf([...int32(1), 0, info(KIND.FUNC_PROTO, 1), 0, 7, 1, 5, info(KIND.FUNC, 1), 2], '\0int\0x\0a\0'),
  BTF_DATASEC: () => rawBtf([...int32(0), 1, info(KIND.VAR), 1, 0, 3, info(KIND.DATASEC, 1), 4, 2, 0, 4], '\0x\0.data\0'),
  BTF_FLOAT: () => rawBtf([1, info(KIND.FLOAT), 4], '\0float\0'),
  BTF_DECL_TAG: () => rawBtf([...int32(0), 1, info(KIND.VAR), 1, 0, 1, info(KIND.DECL_TAG), 2, 0xffff_ffff], '\0tag\0'),
  BTF_TYPE_TAG: () => rawBtf([...int32(0), 1, info(KIND.TYPE_TAG), 1, 0, info(KIND.PTR), 2], '\0tag\0'),
  BTF_ENUM64: () => rawBtf([1, info(KIND.ENUM64), 8], '\0enum64\0'),
};

function insns(...words: [number, number, number, number][]): Uint8Array {
  const out = new Uint8Array(words.length * 8);
  const v = new DataView(out.buffer);
  words.forEach(([code, regs, off, imm], i) => {
    out[i * 8] = code;
    out[i * 8 + 1] = regs;
    v.setInt16(i * 8 + 2, off, true);
    v.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

const MOV_R0_0: [number, number, number, number] = [0xb7, 0, 0, 0];
const EXIT: [number, number, number, number] = [0x95, 0, 0, 0];
/** `ld_imm64 r1, map_value(fd) + off` (src_reg BPF_PSEUDO_MAP_VALUE). */
const ldMapValue = (fd: number, off: number): [number, number, number, number][] => [[0x18, 0x21, 0, fd], [0, 0, 0, off]];

/**
 * libbpf's per-object feature cache (`kernel_supports`): each probe runs at most once, on
 * first use, through the object's host and with its token (`token_fd` + `BPF_F_TOKEN_FD`);
 * a probe the kernel refuses, for whatever reason, means "not supported".
 *
 * @example
 * const features = new FeatureProbes(task, undefined);
 * features.supports('BTF_DECL_TAG'); // true on Linux 6.18
 */
export class FeatureProbes {
  readonly #host: LibbpfHost;
  readonly #tokenFd: number | undefined;
  readonly #cache = new Map<KernFeature, boolean>();
  readonly #errors = new Map<KernFeature, ErrnoName>();

  constructor(host: LibbpfHost, tokenFd: number | undefined) {
    this.#host = host;
    this.#tokenFd = tokenFd;
  }

  /** The token the probes pass (undefined: none). @example features.tokenFd */
  get tokenFd(): number | undefined {
    return this.#tokenFd;
  }

  /** The probes run so far and their results. @example features.results(); // { BTF: true, … } */
  results(): Readonly<Partial<Record<KernFeature, boolean>>> {
    return Object.fromEntries(this.#cache);
  }

  /** The errno of a probe the kernel refused (undefined when it passed or was not run). @example features.errorOf('BTF'); // 'EPERM' */
  errorOf(feature: KernFeature): ErrnoName | undefined {
    return this.#errors.get(feature);
  }

  /** Runs (once) and returns the probe of `feature`. @example features.supports('PROG_NAME') */
  supports(feature: KernFeature): boolean {
    let r = this.#cache.get(feature);
    if (r === undefined) {
      r = this.#probe(feature);
      this.#cache.set(feature, r);
    }
    return r;
  }

  #token(): { tokenFd?: number } {
    return this.#tokenFd === undefined ? {} : { tokenFd: this.#tokenFd };
  }

  #closing<T>(fd: number, fn: (fd: number) => T): T {
    try {
      return fn(fd);
    } finally {
      this.#host.close(fd);
    }
  }

  #probe(feature: KernFeature): boolean {
    try {
      const btf = BTF_PROBES[feature];
      if (btf !== undefined) return this.#closing(bpfBtfLoad(this.#host, btf(), this.#token()), () => true);
      switch (feature) {
        case 'PROG_NAME':
          return this.#closing(bpfProgLoad(this.#host, {
            progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, insns: insns(MOV_R0_0, EXIT), license: 'GPL', progName: 'libbpf_nametest', ...this.#token(),
          }).fd, () => true);
        case 'ARRAY_MMAP':
          return this.#closing(bpfMapCreate(this.#host, {
            mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, mapName: 'libbpf_mmap', keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: BPF_F_MMAPABLE, ...this.#token(),
          }), () => true);
        case 'GLOBAL_DATA':
          return this.#withArray('libbpf_global', 32, (map) => this.#closing(bpfProgLoad(this.#host, {
            progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, license: 'GPL', ...this.#token(),
            insns: insns(...ldMapValue(map, 16), [0x7a, 1, 0, 42], MOV_R0_0, EXIT),
          }).fd, () => true));
        case 'PROG_BIND_MAP':
          return this.#withArray('libbpf_det_bind', 32, (map) => this.#closing(bpfProgLoad(this.#host, {
            progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, license: 'GPL', insns: insns(MOV_R0_0, EXIT), ...this.#token(),
          }).fd, (prog) => {
            bpfProgBindMap(this.#host, prog, map);
            return true;
          }));
        case 'LDIMM64_FULL_RANGE_OFF':
          return this.#withArray('arr', 1, (map) => this.#fullRangeOff(map));
        default:
          return false;
      }
    } catch (e) {
      if (!isBpfError(e)) throw e;
      this.#errors.set(feature, e.code);
      return false;
    }
  }

  #withArray<T>(name: string, valueSize: number, fn: (fd: number) => T): T {
    const map = bpfMapCreate(this.#host, { mapType: BpfMapType.BPF_MAP_TYPE_ARRAY, mapName: name, keySize: 4, valueSize, maxEntries: 1, ...this.#token() });
    return this.#closing(map, () => fn(map));
  }

  /** Supported when the kernel refuses a 1 GiB direct offset for the access, not for its size. */
  #fullRangeOff(map: number): boolean {
    let log: string;
    try {
      const fd = bpfProgLoad(this.#host, {
        progType: BpfProgType.BPF_PROG_TYPE_SOCKET_FILTER, progName: 'global_reloc', license: 'GPL', logLevel: 1, logSize: 1024, ...this.#token(),
        insns: insns(...ldMapValue(map, 1 << 30), EXIT),
      }).fd;
      this.#host.close(fd);
      return false;
    } catch (e) {
      if (!isBpfError(e)) throw e;
      log = e.log ?? '';
    }
    if (log.includes('direct value offset of')) return false;
    return log.includes('invalid access to map value pointer');
  }
}

const perObject = new WeakMap<object, FeatureProbes>();

/**
 * The feature cache of one object load (libbpf keeps one per object when it has a token):
 * made on first use with the object's host and token fd.
 *
 * @example
 * objectFeatures(obj).results(); // what the load probed
 */
export function objectFeatures(obj: { readonly host: LibbpfHost; readonly tokenFd: number | undefined }): FeatureProbes {
  let f = perObject.get(obj);
  if (f === undefined || (obj.tokenFd !== undefined && f.tokenFd !== obj.tokenFd)) {
    f = new FeatureProbes(obj.host, obj.tokenFd);
    perObject.set(obj, f);
  }
  return f;
}

/**
 * What libbpf does after each program load when the object has `.rodata` and the kernel has
 * BPF_PROG_BIND_MAP: binds every created `.rodata` map to the program; a failure is only a warning.
 *
 * @example
 * bindRodata(obj, prog.fd);
 */
export function bindRodata(obj: { readonly host: LibbpfHost; readonly tokenFd: number | undefined; readonly maps: readonly BpfMap[] }, progFd: number): void {
  const rodata = obj.maps.filter((m) => m.origin.kind === 'data' && m.origin.sectionKind === 'rodata');
  if (rodata.length === 0 || !objectFeatures(obj).supports('PROG_BIND_MAP')) return;
  for (const m of rodata) {
    if (m.fd < 0) continue;
    try {
      bpfProgBindMap(obj.host, progFd, m.fd);
    } catch (e) {
      if (!isBpfError(e)) throw e;
    }
  }
}

/** libbpf's `bpf_object__sanitize_maps`: internal maps lose `BPF_F_MMAPABLE` without ARRAY_MMAP. @example sanitizeMapFlags(flags, features); */
export function sanitizeInternalMapFlags(flags: number, features: FeatureProbes): number {
  return features.supports('ARRAY_MMAP') ? flags : flags & ~BPF_F_MMAPABLE;
}

const POISON_LDIMM64_MAP_BASE = 2001000000;

/**
 * libbpf's `poison_map_ldimm64`: an ld_imm64 of a map that was not created becomes two calls
 * of helper `2001000000 + map index`, which the verifier refuses only if reached.
 *
 * @example
 * poisonMapLdimm64(code, slot, 3); // invalid func unknown#2001000003 when reachable
 */
export function poisonMapLdimm64(code: Uint8Array, slot: number, mapIndex: number): void {
  const v = new DataView(code.buffer, code.byteOffset);
  for (const at of [slot * 8, slot * 8 + 8]) {
    code[at] = 0x85;
    code[at + 1] = 0;
    v.setInt16(at + 2, 0, true);
    v.setInt32(at + 4, POISON_LDIMM64_MAP_BASE + mapIndex, true);
  }
}
