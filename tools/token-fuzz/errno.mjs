import { ERRNO_DESCRIPTIONS, errnoName } from '../../packages/uapi/dist/index.js';

const numbers = new Map();
for (let n = 1; n < 600; n++) {
  const name = errnoName(n);
  if (name !== undefined && !numbers.has(name)) numbers.set(name, n);
}

/** The number of an errno name (`EPERM` → 1), or undefined. */
export function errnoNumber(name) {
  return name in ERRNO_DESCRIPTIONS ? numbers.get(name) : undefined;
}
