// Child module that throws a BpfError: the parent must reject with the same code and reason.
import { BpfError } from '@bpfkit/kernel-api';

export default function throws(args: { code: 'EACCES' }): never {
  throw new BpfError(args.code, 'test:child', 'thrown in the delegated child');
}
