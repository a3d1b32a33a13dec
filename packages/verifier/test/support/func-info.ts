import { BtfBuilder, parseBtf } from '@bpfkit/btf';
import type { VerifierRequest } from '@bpfkit/kernel-api';
import { progBtfWith } from '@bpfkit/verifier/testing';

/** Program BTF with func_info for `int main(void)` (global) at 0 and a static `int cb(void)` at instruction `sub`. */
export function mainAndStatic(sub: number): VerifierRequest['progBtf'] {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, bits: 32 });
  const proto = b.add({ kind: 'FUNC_PROTO', name: '', type: int, params: [] });
  const main = b.add({ kind: 'FUNC', name: 'main', type: proto, linkage: 1 });
  const callback = b.add({ kind: 'FUNC', name: 'cb', type: proto, linkage: 0 });
  return progBtfWith(parseBtf(b.encode()), [{ insnOff: 0, typeId: main }, { insnOff: sub, typeId: callback }]);
}
