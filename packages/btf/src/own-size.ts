import type { BtfType } from './types.js';

/**
 * The size a type carries in its own record (`btf_type_has_size`, plus 8 for
 * a pointer on a 64-bit kernel); `undefined` for arrays (their size comes
 * from resolution) and for kinds without a size.
 */
export function ownSize(t: BtfType): number | undefined {
  switch (t.kind) {
    case 'INT':
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
    case 'DATASEC':
    case 'FLOAT':
    case 'ENUM64':
      return t.size;
    case 'PTR':
      return 8;
    default:
      return undefined;
  }
}
