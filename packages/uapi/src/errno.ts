import { Errno, type ErrnoName } from './errno.generated.js';

export { Errno, ERRNO_DESCRIPTIONS, type ErrnoName } from './errno.generated.js';

const byNumber = new Map<number, ErrnoName>();
for (const [name, value] of Object.entries(Errno) as [ErrnoName, number][]) {
  if (!byNumber.has(value)) byNumber.set(value, name);
}

/**
 * The kernel's name for an errno number (`95` → `EOPNOTSUPP`).
 *
 * @example
 * errnoName(1); // 'EPERM'
 */
export function errnoName(errno: number): ErrnoName | undefined {
  return byNumber.get(errno);
}
