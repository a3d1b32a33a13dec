import { BpfError } from '@bpfkit/kernel-api';
import type { DataSectionSpec, VariableSpec } from '@bpfkit/elf';
import type { BpfMap } from './map.js';

/**
 * The variables of one global data section (`.rodata`, `.data`, `.bss`, `.data.foo`),
 * read and written by name in the map's initial value — before load only, as a
 * skeleton's `rodata->x = …` (after load: EBUSY).
 *
 * @example
 * obj.globals('.rodata').setU32('drop_proto', 6);
 * obj.globals('.rodata').getU32('drop_proto'); // 6
 */
export class GlobalData {
  readonly section: string;
  readonly #spec: DataSectionSpec;
  readonly #map: BpfMap;
  readonly #isLoaded: () => boolean;

  constructor(spec: DataSectionSpec, map: BpfMap, isLoaded: () => boolean) {
    this.section = spec.name;
    this.#spec = spec;
    this.#map = map;
    this.#isLoaded = isLoaded;
  }

  /** The variables, by offset. */
  get variables(): readonly VariableSpec[] {
    return this.#spec.variables;
  }

  #var(name: string): VariableSpec {
    const v = this.#spec.variables.find((x) => x.name === name);
    if (v === undefined) throw new BpfError('ENOENT', 'libbpf:no-variable', `section '${this.section}' has no variable '${name}'`);
    return v;
  }

  #bytes(): Uint8Array {
    const b = this.#map.initialValue;
    if (b === undefined) throw new BpfError('EINVAL', 'libbpf:no-initial-value', `map '${this.#map.name}' has no initial value`);
    return b;
  }

  /** The variable's bytes (a copy). @example obj.globals('.data').get('packets'); */
  get(name: string): Uint8Array {
    const v = this.#var(name);
    return this.#bytes().slice(v.offset, v.offset + v.size);
  }

  /** Sets the variable's bytes; `bytes` must have its exact size. @example obj.globals('.rodata').set('blocked_port', new Uint8Array([0x90, 0x1f])); */
  set(name: string, bytes: Uint8Array): void {
    if (this.#isLoaded()) throw new BpfError('EBUSY', 'libbpf:already-loaded', `section '${this.section}': globals can only be set before load`);
    const v = this.#var(name);
    if (bytes.length !== v.size) {
      throw new BpfError('EINVAL', 'libbpf:bad-variable-size', `variable '${name}' is ${String(v.size)} bytes, got ${String(bytes.length)}`);
    }
    this.#bytes().set(bytes, v.offset);
  }

  #setInt(name: string, size: number, value: number | bigint): void {
    const v = this.#var(name);
    if (v.size !== size) throw new BpfError('EINVAL', 'libbpf:bad-variable-size', `variable '${name}' is ${String(v.size)} bytes, not ${String(size)}`);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    const big = BigInt.asUintN(size * 8, BigInt(value));
    if (size === 8) dv.setBigUint64(0, big, true);
    else if (size === 4) dv.setUint32(0, Number(big), true);
    else if (size === 2) dv.setUint16(0, Number(big), true);
    else dv.setUint8(0, Number(big));
    this.set(name, out);
  }

  /** @example globals.setU8('flag', 1); */
  setU8(name: string, value: number): void {
    this.#setInt(name, 1, value);
  }

  /** @example globals.setU16('port', 8080); */
  setU16(name: string, value: number): void {
    this.#setInt(name, 2, value);
  }

  /** @example globals.setU32('limit', 1000); */
  setU32(name: string, value: number): void {
    this.#setInt(name, 4, value);
  }

  /** @example globals.setU64('bytes', 0n); */
  setU64(name: string, value: bigint | number): void {
    this.#setInt(name, 8, value);
  }

  /** @example globals.getU32('limit'); // 1000 */
  getU32(name: string): number {
    const b = this.get(name);
    if (b.length !== 4) throw new BpfError('EINVAL', 'libbpf:bad-variable-size', `variable '${name}' is ${String(b.length)} bytes, not 4`);
    return new DataView(b.buffer).getUint32(0, true);
  }

  /** @example globals.getU64('bytes'); // 0n */
  getU64(name: string): bigint {
    const b = this.get(name);
    if (b.length !== 8) throw new BpfError('EINVAL', 'libbpf:bad-variable-size', `variable '${name}' is ${String(b.length)} bytes, not 8`);
    return new DataView(b.buffer).getBigUint64(0, true);
  }
}
