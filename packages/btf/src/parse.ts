import { BpfError, type BpfErrorReason } from '@bpfkit/kernel-api';
import { Btf, type BtfHeader } from './btf.js';
import { BtfCheckError, BtfVerifierEnv } from './env.js';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_MAX_NAME_OFFSET, BTF_MAX_SIZE, BTF_VERSION } from './kinds.js';
import { BPF_LOG_MASK, BtfVerifierLog, finalizeLog } from './log.js';
import { checkAllMetas } from './meta.js';
import { checkAllTypes, checkTypeTags } from './resolve.js';

/** Options of {@link parseBtf}; all optional. */
export interface ParseBtfOptions {
  /** Base BTF for split BTF: type ids and string offsets continue after it. */
  readonly base?: Btf;
  /** `btf_log_level` (0: no log, 1: the verifier's type-by-type log; `BPF_LOG_FIXED` = 8 keeps the head). */
  readonly logLevel?: number;
  /**
   * `btf_log_size`: the caller's log buffer. A log that does not fit gives ENOSPC, as in
   * `BPF_BTF_LOAD`. Leave undefined for an unbounded log.
   */
  readonly logSize?: number;
  /** Also accept byte-swapped (other-endian) blobs; the kernel refuses them ("Invalid magic"). */
  readonly allowSwapped?: boolean;
}

/**
 * Parses and validates a BTF blob with the kernel's rules, checks and order (`btf_parse`):
 * header, string section, every type's meta, then resolution (loops, sizes, members).
 * Failures throw `BpfError` with the kernel's errno; `message` is the failing log line and
 * `log` the whole BTF verifier log (at `logLevel` > 0).
 *
 * @example
 * const btf = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
 * btf.byName('task_struct', 'STRUCT'); // e.g. 150
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  const level = options.logLevel ?? 0;
  const logSize = options.logSize;
  if (bytes.length > BTF_MAX_SIZE) {
    throw new BpfError('E2BIG', 'btf:too-big', `BTF is ${bytes.length} bytes, more than BTF_MAX_SIZE (${BTF_MAX_SIZE})`);
  }
  if ((level & ~BPF_LOG_MASK) !== 0 || (logSize !== undefined && logSize > 0 && level === 0) || (logSize ?? 0) > 0xffffffff >>> 2) {
    throw new BpfError('EINVAL', 'btf:log-attr', `invalid log attributes: log_level ${level}, log_size ${logSize ?? 0}`);
  }
  const log = new BtfVerifierLog(level);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let reason: BpfErrorReason = 'btf:invalid-header';
  try {
    const { header, le } = parseHeader(view, log, options);
    reason = 'btf:invalid-string-section';
    const strStart = header.hdrLen + header.strOff;
    const strings = bytes.subarray(Math.min(strStart, bytes.length), Math.min(strStart + header.strLen, bytes.length));
    const env = new BtfVerifierEnv(strings, options.base, log);
    checkStrings(env, header, bytes.length, strings);
    reason = 'btf:invalid-type';
    if ((header.typeOff & 3) !== 0) throw env.fail('Unaligned type_off');
    if (options.base === undefined && header.typeLen === 0) throw env.fail('No type found');
    const typeStart = header.hdrLen + header.typeOff;
    checkAllMetas(env, view, typeStart, typeStart + header.typeLen, le);
    checkAllTypes(env);
    checkTypeTags(env);
    const fin = finalizeLog(log.text(), level, logSize);
    if (fin.truncated) {
      throw new BpfError('ENOSPC', 'btf:log-truncated', `BTF log needs ${fin.trueSize} bytes, log_size is ${logSize ?? 0}`, { log: fin.log });
    }
    return new Btf({
      header,
      littleEndian: le,
      strings,
      types: env.section,
      base: options.base,
      resolvedIds: env.resolvedIds,
      resolvedSizes: env.resolvedSizes,
      log: fin.log,
      logTrueSize: fin.trueSize,
    });
  } catch (e) {
    if (!(e instanceof BtfCheckError)) throw e;
    const fin = finalizeLog(log.text(), level, logSize);
    if (fin.truncated) {
      throw new BpfError('ENOSPC', 'btf:log-truncated', log.message, { log: fin.log, cause: e.code });
    }
    throw new BpfError(e.code, e.code === 'EEXIST' ? 'btf:loop' : reason, log.message, { log: fin.log });
  }
}

function parseHeader(view: DataView, log: BtfVerifierLog, options: ParseBtfOptions): { header: BtfHeader; le: boolean } {
  const size = view.byteLength;
  const fail = (text: string, code: 'EINVAL' | 'E2BIG' | 'ENOTSUPP' = 'EINVAL'): BtfCheckError => {
    log.fail(text);
    return new BtfCheckError(code);
  };
  if (size < 8) throw fail('hdr_len not found');
  let le = true;
  if (view.getUint16(0, true) !== BTF_MAGIC && options.allowSwapped === true && view.getUint16(0, false) === BTF_MAGIC) le = false;
  const hdrLen = view.getUint32(4, le);
  if (size < hdrLen) throw fail('btf_header not found');
  for (let i = BTF_HEADER_SIZE; i < hdrLen; i++) {
    if (view.getUint8(i) !== 0) throw fail('Unsupported btf_header', 'E2BIG');
  }
  // The kernel copies min(hdr_len, sizeof(struct btf_header)) bytes: a short header reads as zeros.
  const copy = new Uint8Array(BTF_HEADER_SIZE);
  copy.set(new Uint8Array(view.buffer, view.byteOffset, Math.min(hdrLen, BTF_HEADER_SIZE, size)));
  const hv = new DataView(copy.buffer);
  const header: BtfHeader = {
    magic: hv.getUint16(0, le),
    version: hv.getUint8(2),
    flags: hv.getUint8(3),
    hdrLen,
    typeOff: hv.getUint32(8, le),
    typeLen: hv.getUint32(12, le),
    strOff: hv.getUint32(16, le),
    strLen: hv.getUint32(20, le),
  };
  if (log.enabled) {
    log.write(
      `magic: 0x${header.magic.toString(16)}\nversion: ${header.version}\nflags: 0x${header.flags.toString(16)}\n` +
        `hdr_len: ${hdrLen}\ntype_off: ${header.typeOff}\ntype_len: ${header.typeLen}\n` +
        `str_off: ${header.strOff}\nstr_len: ${header.strLen}\nbtf_total_size: ${size}\n`,
    );
  }
  if (header.magic !== BTF_MAGIC) throw fail('Invalid magic');
  if (header.version !== BTF_VERSION) throw fail('Unsupported version', 'ENOTSUPP');
  if (header.flags !== 0) throw fail('Unsupported flags', 'ENOTSUPP');
  if (options.base === undefined && size === hdrLen) throw fail('No data');
  checkSections(header, size, fail);
  return { header, le };
}

/** `btf_check_sec_info`: the type and string sections tile the data after the header. */
function checkSections(h: BtfHeader, size: number, fail: (text: string) => BtfCheckError): void {
  const secs = [
    { off: h.typeOff, len: h.typeLen },
    { off: h.strOff, len: h.strLen },
  ].sort((a, b) => (a.off - b.off) | 0 || (a.len - b.len) | 0);
  const expected = (size - h.hdrLen) >>> 0;
  let total = 0;
  for (const s of secs) {
    if (expected < s.off) throw fail('Invalid section offset');
    if (total < s.off) throw fail('Unsupported section found');
    if (total > s.off) throw fail('Section overlap found');
    if (expected - total < s.len) throw fail('Total section length too long');
    total += s.len;
  }
  if (expected !== total) throw fail('Unsupported section found');
}

/** `btf_parse_str_sec`. */
function checkStrings(env: BtfVerifierEnv, h: BtfHeader, size: number, strings: Uint8Array): void {
  if (h.hdrLen + h.strOff + h.strLen !== size) throw env.fail('String section is not at the end');
  if (env.base !== undefined && h.strLen === 0) return;
  if (h.strLen === 0 || h.strLen - 1 > BTF_MAX_NAME_OFFSET || strings[h.strLen - 1] !== 0) throw env.fail('Invalid string section');
  if (env.base === undefined && strings[0] !== 0) throw env.fail('Invalid string section');
}
