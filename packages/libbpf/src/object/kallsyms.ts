import { BpfError } from '@bpfkit/kernel-api';
import type { LibbpfHost } from '../host.js';

const KALLSYMS = '/proc/kallsyms';

/**
 * Reads `/proc/kallsyms` lines (`address type name [module]`) into addresses by
 * name. A name listed at two different addresses is ambiguous: it maps to
 * `undefined`, which resolution refuses with EINVAL as libbpf does.
 *
 * @example
 * parseKallsyms('ffffffff81000000 T _stext\n'); // Map { '_stext' => 0xffffffff81000000n }
 */
export function parseKallsyms(text: string): Map<string, bigint | undefined> {
  const out = new Map<string, bigint | undefined>();
  for (const line of text.split('\n')) {
    const [addr, , name] = line.split(/\s+/, 3);
    if (addr === undefined || name === undefined || !/^[0-9a-f]+$/i.test(addr)) continue;
    const value = BigInt(`0x${addr}`);
    out.set(name, out.has(name) && out.get(name) !== value ? undefined : value);
  }
  return out;
}

/**
 * The addresses of the object's typeless ksyms: the `ksymAddresses` option when
 * given, else the host's `/proc/kallsyms` (read only when `names` is not empty).
 */
export function ksymAddressesOf(host: LibbpfHost, option: Readonly<Record<string, bigint>> | undefined, names: readonly string[]): Readonly<Record<string, bigint>> {
  if (option !== undefined || names.length === 0) return option ?? {};
  if (host.readFile === undefined) throw new BpfError('EOPNOTSUPP', 'libbpf:kallsyms', `this host cannot read ${KALLSYMS}: pass ksymAddresses`);
  const all = parseKallsyms(host.readFile(KALLSYMS));
  const out: Record<string, bigint> = {};
  for (const name of names) {
    const addr = all.get(name);
    if (all.has(name) && addr === undefined) throw new BpfError('EINVAL', 'libbpf:ksym-ambiguous', `extern (ksym) '${name}': resolution is ambiguous in ${KALLSYMS}`);
    if (addr !== undefined) out[name] = addr;
  }
  return out;
}
