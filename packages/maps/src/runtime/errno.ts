import { Errno } from '@bpfkit/uapi';

// What the program half of a map returns in r0 on failure: a negative errno.

export const NEG_EPERM = -Errno.EPERM;
export const NEG_ENOENT = -Errno.ENOENT;
export const NEG_E2BIG = -Errno.E2BIG;
export const NEG_EBUSY = -Errno.EBUSY;
export const NEG_EEXIST = -Errno.EEXIST;
export const NEG_EINVAL = -Errno.EINVAL;
export const NEG_ENOSPC = -Errno.ENOSPC;
export const NEG_ENOMEM = -Errno.ENOMEM;
export const NEG_EOPNOTSUPP = -Errno.EOPNOTSUPP;
export const NEG_ENOTSUPP = -Errno.ENOTSUPP;
export const NEG_ENODEV = -Errno.ENODEV;
export const NEG_EFAULT = -Errno.EFAULT;
