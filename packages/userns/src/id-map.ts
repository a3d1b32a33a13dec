import { BpfError, INVALID_ID, type IdMapExtent } from '@bpfkit/kernel-api';

/** At most this many lines in one id map write (`UID_GID_MAP_MAX_EXTENTS`). */
export const UID_GID_MAP_MAX_EXTENTS = 340;

const U32 = 0x1_0000_0000;
const U32_MAX = U32 - 1;
// The kernel's isspace(): space, \t, \n, \v, \f, \r.
const SPACE = new Set([' ', '\t', '\n', '\v', '\f', '\r']);

function badMap(message: string): BpfError {
  return new BpfError('EINVAL', 'userns:bad-id-map', message);
}

/** A cursor over one line, with the kernel's `simple_strtoul` and `skip_spaces`. */
class LineReader {
  pos = 0;
  constructor(private readonly line: string) {}
  get char(): string {
    return this.line.charAt(this.pos); // '' at the end, like the NUL
  }
  skipSpaces(): void {
    while (SPACE.has(this.char)) this.pos++;
  }
  /** Decimal digits only (no sign, no 0x); the value wraps to 32 bits as the u32 field truncates it. */
  number(): number {
    let value = 0;
    while (this.char >= '0' && this.char <= '9') {
      value = (value * 10 + (this.char.charCodeAt(0) - 48)) % U32;
      this.pos++;
    }
    return value;
  }
  atSpace(): boolean {
    return SPACE.has(this.char);
  }
}

function overlaps(extents: readonly IdMapExtent[], e: IdMapExtent): boolean {
  const last = e.first + e.count - 1;
  const lowerLast = e.lowerFirst + e.count - 1;
  return extents.some(
    (p) =>
      (p.first <= last && p.first + p.count - 1 >= e.first) ||
      (p.lowerFirst <= lowerLast && p.lowerFirst + p.count - 1 >= e.lowerFirst),
  );
}

/**
 * Parses the text of a `uid_map`/`gid_map` write as `map_write` does: lines of
 * `first lower count` in decimal separated by white space, a final newline
 * optional, at most 340 lines, no empty line, no zero or wrapping count, no
 * range overlapping an earlier one on either side. EINVAL otherwise.
 * `lowerFirst` is still an id of the parent namespace.
 *
 * @example
 * parseIdMap('0 100000 65536\n'); // [{ first: 0, lowerFirst: 100000, count: 65536 }]
 */
export function parseIdMap(text: string): IdMapExtent[] {
  const nul = text.indexOf('\0');
  const body = nul === -1 ? text : text.slice(0, nul);
  const lines = body.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const extents: IdMapExtent[] = [];
  for (const [index, line] of lines.entries()) {
    const r = new LineReader(line);
    const where = `line ${index + 1}`;
    r.skipSpaces();
    const first = r.number();
    if (!r.atSpace()) throw badMap(`${where}: expected '<first> <lower> <count>'`);
    r.skipSpaces();
    const lowerFirst = r.number();
    if (!r.atSpace()) throw badMap(`${where}: expected '<first> <lower> <count>'`);
    r.skipSpaces();
    const count = r.number();
    if (r.char !== '' && !r.atSpace()) throw badMap(`${where}: the count is not a decimal number`);
    r.skipSpaces();
    if (r.char !== '') throw badMap(`${where}: trailing text after the count`);
    if (first === U32_MAX || lowerFirst === U32_MAX) throw badMap(`${where}: 4294967295 is not a valid id`);
    if (count === 0 || first + count >= U32 || lowerFirst + count >= U32) {
      throw badMap(`${where}: the count is zero or the range wraps past 4294967295`);
    }
    const extent = { first, lowerFirst, count };
    if (overlaps(extents, extent)) throw badMap(`${where}: the range overlaps an earlier line`);
    if (extents.length + 1 === UID_GID_MAP_MAX_EXTENTS && index + 1 < lines.length) {
      throw badMap(`more than ${UID_GID_MAP_MAX_EXTENTS} lines`);
    }
    extents.push(extent);
  }
  return extents;
}

/** `map_id_range_down`: `id..id+count-1` must sit inside one extent. */
export function mapIdRangeDown(extents: readonly IdMapExtent[], id: number, count: number): number {
  const last = id + count - 1;
  const e = extents.find((x) => id >= x.first && last <= x.first + x.count - 1);
  return e === undefined ? INVALID_ID : id - e.first + e.lowerFirst;
}

/** `map_id_down`: an id inside → the id below, or INVALID_ID. */
export function mapIdDown(extents: readonly IdMapExtent[], id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > U32_MAX) return INVALID_ID;
  return mapIdRangeDown(extents, id, 1);
}

/** `map_id_up`: an id below → the id inside, or INVALID_ID. */
export function mapIdUp(extents: readonly IdMapExtent[], id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > U32_MAX) return INVALID_ID;
  const e = extents.find((x) => id >= x.lowerFirst && id <= x.lowerFirst + x.count - 1);
  return e === undefined ? INVALID_ID : id - e.lowerFirst + e.first;
}

/** One line of `/proc/<pid>/uid_map` (`%10u %10u %10u\n`); an unmapped lower id prints as 4294967295. */
export function formatIdMapLine(first: number, lower: number, count: number): string {
  const u = (n: number): string => String(n === INVALID_ID ? U32_MAX : n).padStart(10);
  return `${u(first)} ${u(lower)} ${u(count)}\n`;
}
