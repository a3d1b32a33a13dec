import type { BpfSyscall } from '@bpfkit/kernel-api';
import { fromHex, ReplaySys } from '../verifier-corpus/sys.js';

/** A map a helper case creates before its load; element 0 gets `value` (hex) when given, then the map may be frozen. */
export interface HelperCaseMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly value?: string;
  readonly freeze?: boolean;
}

/** One load of a program that calls a helper with good or bad arguments. */
export interface HelperCase {
  /** `bpf_<helper>#<id> <variant>`. */
  readonly name: string;
  readonly helper: number;
  readonly progType: number;
  readonly attachType: number;
  readonly progFlags: number;
  readonly license: string;
  readonly maps: readonly HelperCaseMap[];
  /** The program, hex; a `ld_imm64` of a map fd holds the map's index in {@link maps}, replaced by its fd. */
  readonly insns: string;
  /** The program reads kernel structs (a `task_struct`): the answer depends on the kernel's BTF layout. */
  readonly kernelBtf?: boolean;
  /** `no-perfmon`: loaded without CAP_PERFMON and CAP_SYS_ADMIN (CAP_BPF kept), by a caller the replay provides. */
  readonly caps?: 'no-perfmon';
}

/** The verifier's answer: the verdict, the errno of a refusal and its error line. */
export interface HelperCaseAnswer {
  readonly verdict: 'accept' | 'reject';
  readonly errno?: string;
  readonly line?: string;
}

/** A case with the answer Linux gave. */
export interface RecordedHelperCase extends HelperCase {
  readonly kernel: HelperCaseAnswer;
}

const LD_IMM64 = 0x18, PSEUDO_MAP_FD = 1, PSEUDO_MAP_VALUE = 2;
const STATS_LINE = /^(verification time \d+ usec|stack depth [\d+]+|processed \d+ insns.*)$/;

/** The last line of a log that is no statistics line (the error of a refusal). */
export function helperLogErrorLine(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line !== undefined && !STATS_LINE.test(line)) return line;
  }
  return undefined;
}

function withMapFds(insns: Uint8Array, fds: readonly number[]): Uint8Array {
  const out = insns.slice();
  const view = new DataView(out.buffer);
  for (let at = 0; at + 16 <= out.length; at += 8) {
    const src = (out[at + 1] ?? 0) >> 4;
    if (out[at] !== LD_IMM64 || (src !== PSEUDO_MAP_FD && src !== PSEUDO_MAP_VALUE)) continue;
    const fd = fds[view.getInt32(at + 4, true)];
    if (fd === undefined) throw new RangeError(`map index ${String(view.getInt32(at + 4, true))} has no map`);
    view.setInt32(at + 4, fd, true);
    at += 8;
  }
  return out;
}

/** Creates the case's maps on `sys`, loads its program at log level 1 and closes everything again. */
export function replayHelperCase(sys: BpfSyscall, c: HelperCase): HelperCaseAnswer {
  const replay = new ReplaySys(sys);
  try {
    const fds = c.maps.map((m) => {
      const fd = replay.createMap({ map_type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries, map_flags: m.flags });
      if (m.value !== undefined) replay.updateElem(fd, new Uint8Array(m.keySize), fromHex(m.value));
      if (m.freeze === true) replay.freeze(fd);
      return fd;
    });
    const insns = withMapFds(fromHex(c.insns), fds);
    const logSize = 1 << 20;
    const res = replay.progLoad(({ insns: at, license, logBuf }) => ({
      prog_type: c.progType, expected_attach_type: c.attachType, prog_flags: c.progFlags, insns: at, insn_cnt: insns.length / 8,
      license, log_level: 1, log_size: logSize, log_buf: logBuf,
    }), insns, c.license, logSize, []);
    if ('fd' in res) return { verdict: 'accept' };
    const line = helperLogErrorLine(res.log);
    return { verdict: 'reject', errno: res.errno, ...(line === undefined ? {} : { line }) };
  } finally {
    replay.closeAll();
  }
}
