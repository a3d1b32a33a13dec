/**
 * Length of a name without its flavor: everything up to the last `X___Y` separator
 * (X and Y not underscores), as `bpf_core_essential_name_len`.
 *
 * @example
 * essentialNameLen('task_struct___old'); // 11
 */
export function essentialNameLen(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/**
 * The name without its `___flavor` suffix, as CO-RE and the kernel's BTF lookups of
 * program types (a global function's `arg:trusted` struct) compare names.
 *
 * @example
 * essentialName('task_struct___old'); // 'task_struct'
 */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLen(name));
}
