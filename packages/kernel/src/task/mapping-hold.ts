import type { MapRecord } from '../bpf/map-record.js';
import type { KFile } from '../fs/file.js';

/**
 * What a mapping of a map holds while it is live: a reference to the map's file and, when the
 * mapping is writable, one count of the map's writable mappings (`bpf_map_write_active`).
 *
 * @example
 * const hold = new MappingHold(rec, file, true);
 * hold.release(() => { onUnmap(mapping); }); // once; later calls do nothing
 */
export class MappingHold {
  #live = true;

  constructor(private readonly rec: MapRecord, private readonly file: KFile, private readonly writable: boolean) {
    file.get();
    if (writable) rec.writeActive++;
  }

  get live(): boolean {
    return this.#live;
  }

  /** `munmap`: drops what the mapping held, after `onUnmap`; only the first call does anything. */
  release(onUnmap: () => void): void {
    if (!this.#live) return;
    this.#live = false;
    if (this.writable) this.rec.writeActive--;
    onUnmap();
    this.file.put();
  }
}
