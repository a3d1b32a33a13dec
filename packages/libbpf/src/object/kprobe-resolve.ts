import { BpfError, isBpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost } from '../host.js';
import { globMatch } from './glob.js';
import { tracefsPath } from './perf-probe.js';

const KALLSYMS = '/proc/kallsyms';
/** `access(2)`'s R_OK. */
const R_OK = 4;

function read(host: LibbpfHost, path: string): string {
  if (host.readFile === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:host-cannot', `this host cannot read ${path}: pass the functions as syms or addrs`);
  return host.readFile(path);
}

function noMatch(pattern: string): BpfError {
  return new BpfError('ENOENT', 'libbpf:kprobe-multi-no-match', `no kernel function matches '${pattern}'`);
}

/** The first whitespace-separated word of every non-empty line (libbpf's `fscanf("%499s%*[^\n]\n")`). */
function firstWords(text: string): string[] {
  return text.split('\n').map((l) => l.trim().split(/\s+/)[0] ?? '').filter((w) => w !== '');
}

/**
 * `libbpf_available_kprobes_parse`: every `<addr> <name>` line of tracefs'
 * `available_filter_functions_addrs` whose name matches; a line that does not parse is EINVAL.
 */
function fromFilterAddrs(host: LibbpfHost, path: string, pattern: string): bigint[] {
  const out: bigint[] = [];
  for (const line of read(host, path).split('\n')) {
    if (line.trim() === '') continue;
    const m = /^\s*([0-9a-fA-F]+)\s+(\S+)/.exec(line);
    if (m === null) throw new BpfError('EINVAL', 'libbpf:kprobe-multi-parse', `failed to parse ${path} entry: '${line}'`);
    if (globMatch(m[2] ?? '', pattern)) out.push(BigInt(`0x${m[1] ?? '0'}`));
  }
  return out;
}

/** `.llvm.<hash>` of LTO builds, which some kernels strip from `available_filter_functions` but not from kallsyms. */
function withoutLlvmSuffix(name: string): string | undefined {
  const at = name.indexOf('.llvm.');
  return at < 0 ? undefined : name.slice(0, at);
}

/**
 * `libbpf_available_kallsyms_parse`: the matching names of `available_filter_functions`
 * (none is ENOENT), then the address of every `/proc/kallsyms` symbol with one of those
 * names (its `.llvm.` suffix dropped when that is what lets it match).
 */
function fromKallsyms(host: LibbpfHost, path: string, pattern: string): bigint[] {
  const traceable = new Set(firstWords(read(host, path)).filter((n) => globMatch(n, pattern)));
  if (traceable.size === 0) throw noMatch(pattern);
  const out: bigint[] = [];
  for (const line of read(host, KALLSYMS).split('\n')) {
    const m = /^([0-9a-fA-F]+)\s+\S\s+(\S+)/.exec(line);
    if (m === null) continue;
    const name = m[2] ?? '';
    if (!globMatch(name, pattern)) continue;
    const trimmed = withoutLlvmSuffix(name);
    if (!traceable.has(name) && (trimmed === undefined || !traceable.has(trimmed))) continue;
    out.push(BigInt(`0x${m[1] ?? '0'}`));
  }
  return out;
}

function readable(host: LibbpfHost, path: string): boolean {
  if (host.access === undefined) return false;
  try {
    host.access(path, R_OK);
    return true;
  } catch (e) {
    if (!isBpfError(e)) throw e;
    return false;
  }
}

/**
 * The kernel addresses a kprobe.multi glob pattern names, as libbpf resolves them:
 * from tracefs' `available_filter_functions_addrs` when it is readable (`access(R_OK)`),
 * else from `available_filter_functions` joined with `/proc/kallsyms`. No match is
 * ENOENT; a file that cannot be read gives its read's errno.
 *
 * @example
 * resolveKprobeMultiPattern(host, 'tcp_v4_*'); // [0xffffffff81c2f0a0n, …]
 */
export function resolveKprobeMultiPattern(host: LibbpfHost, pattern: string): bigint[] {
  const tracefs = tracefsPath(host);
  const addrsPath = `${tracefs}/available_filter_functions_addrs`;
  const addrs = readable(host, addrsPath)
    ? fromFilterAddrs(host, addrsPath, pattern)
    : fromKallsyms(host, `${tracefs}/available_filter_functions`, pattern);
  if (addrs.length === 0) throw noMatch(pattern);
  return addrs;
}
