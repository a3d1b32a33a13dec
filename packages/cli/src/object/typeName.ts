import type { Btf } from '@bpfkit/btf';

const MAX_DEPTH = 16;

/**
 * A BTF type as C spells it in a declaration of `name` (`const volatile __u32 limit`,
 * `char buf[16]`, `struct xdp_md *ctx`). Loops and dangling ids come out as `?`.
 *
 * @example
 * declaration(btf, 19, 'drop_proto'); // 'const volatile __u32 drop_proto'
 * declaration(btf, 19); // 'const volatile __u32'
 */
export function declaration(btf: Btf, id: number, name = ''): string {
  return decl(btf, id, name, 0).trim();
}

function decl(btf: Btf, id: number, inner: string, depth: number): string {
  // `char buf[16]`, `char [16]`: no space before an array suffix of an unnamed declarator.
  const sp = inner === '' ? '' : inner.startsWith('[') ? inner : ` ${inner}`;
  if (depth > MAX_DEPTH) return `?${sp}`;
  const t = btf.type(id);
  if (t === undefined) return `?${sp}`;
  switch (t.kind) {
    case 'VOID':
      return `void${sp}`;
    case 'INT':
    case 'FLOAT':
    case 'TYPEDEF':
      return `${t.name}${sp}`;
    case 'STRUCT':
    case 'UNION':
    case 'ENUM':
    case 'ENUM64': {
      const tag = t.kind === 'STRUCT' ? 'struct' : t.kind === 'UNION' ? 'union' : 'enum';
      return `${tag} ${t.name === '' ? '{...}' : t.name}${sp}`;
    }
    case 'FWD':
      return `${t.union ? 'union' : 'struct'} ${t.name}${sp}`;
    case 'CONST':
    case 'VOLATILE':
    case 'RESTRICT': {
      const q = t.kind.toLowerCase();
      const target = btf.type(t.type);
      // Qualifiers go before a named base type (`const volatile __u32`), after a pointer (`char *const p`).
      if (target?.kind === 'PTR') return decl(btf, t.type, `${q}${sp}`, depth + 1);
      return `${q} ${decl(btf, t.type, inner, depth + 1)}`;
    }
    case 'TYPE_TAG':
      return decl(btf, t.type, inner, depth + 1);
    case 'PTR':
      return decl(btf, t.type, `*${inner}`, depth + 1);
    case 'ARRAY': {
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      return decl(btf, t.type, `${wrapped}[${String(t.nelems)}]`, depth + 1);
    }
    case 'FUNC_PROTO': {
      const params = t.params.map((p) => (p.type === 0 && p.name === '' ? '...' : decl(btf, p.type, p.name, depth + 1)));
      const wrapped = inner.startsWith('*') ? `(${inner})` : inner;
      return decl(btf, t.type, `${wrapped}(${params.length === 0 ? 'void' : params.join(', ')})`, depth + 1);
    }
    case 'FUNC':
      return decl(btf, t.type, t.name, depth + 1);
    case 'VAR':
      return decl(btf, t.type, inner === '' ? t.name : inner, depth + 1);
    default:
      return `${t.kind.toLowerCase()} ${t.name}${sp}`;
  }
}
