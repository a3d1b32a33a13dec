import type { Insn } from '../insn.js';

const LIMIT = 4096;

/** A small bounded cache: programs repeat the same instructions a lot. */
export class Memo<V> {
  readonly #map = new Map<string, V>();

  get(key: string, compute: () => V): V {
    const hit = this.#map.get(key);
    if (hit !== undefined) return hit;
    const value = compute();
    if (this.#map.size >= LIMIT) this.#map.clear();
    this.#map.set(key, value);
    return value;
  }
}

/** A cache key with every field of the instruction. */
export function insnKey(insn: Insn): string {
  const s = insn.second;
  const base = `${String(insn.code)},${String(insn.dst)},${String(insn.src)},${String(insn.off)},${String(insn.imm)}`;
  return s === undefined ? base : `${base};${String(s.code)},${String(s.dst)},${String(s.src)},${String(s.off)},${String(s.imm)}`;
}
