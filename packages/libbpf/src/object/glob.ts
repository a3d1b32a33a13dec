/**
 * libbpf's `glob_match`: `?` is any one character, `*` any run of characters (a
 * trailing `*` also matches nothing), everything else itself. As in libbpf, a `*`
 * followed by more pattern needs at least one character of `str` left to try.
 *
 * @example
 * globMatch('do_sys_openat2', 'do_sys_open*'); // true
 */
export function globMatch(str: string, pat: string): boolean {
  let i = 0;
  let j = 0;
  while (i < str.length && j < pat.length && pat[j] !== '*') {
    if (pat[j] !== '?' && str[i] !== pat[j]) return false;
    i++;
    j++;
  }
  if (pat[j] === '*') {
    while (pat[j] === '*') j++;
    if (j === pat.length) return true;
    const rest = pat.slice(j);
    for (; i < str.length; i++) if (globMatch(str.slice(i), rest)) return true;
  }
  return i === str.length && j === pat.length;
}
