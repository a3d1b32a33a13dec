import type { ObjectDescription } from './describe.js';

const hexFlags = (n: number): string => `0x${n.toString(16)}`;

/**
 * `object show` as text, bpftool style: one line per program, map, global and extern, with
 * `key value` pairs after the name.
 *
 * @example
 * formatDescription(describeObject(spec, 'xdp_filter.o'));
 * // object xdp_filter  license GPL  kern_version 0
 * // programs:
 * //   xdp_filter  section xdp  type xdp  attach_type xdp  insns 28  autoload
 * // …
 */
export function formatDescription(d: ObjectDescription): string {
  const out: string[] = [`object ${d.name}  license ${d.license === '' ? '(none)' : d.license}  kern_version ${String(d.kern_version)}`];
  out.push('programs:');
  if (d.programs.length === 0) out.push('  (none)');
  for (const p of d.programs) {
    const parts = [`  ${p.name}`, `section ${p.section}`, `type ${p.prog_type}`];
    if (p.expected_attach_type !== null) parts.push(`attach_type ${p.expected_attach_type}`);
    parts.push(`insns ${String(p.insn_cnt)}`, p.autoload ? 'autoload' : 'no-autoload');
    if (p.sleepable) parts.push('sleepable');
    if (p.subprograms.length > 0) parts.push(`subprogs ${p.subprograms.join(',')}`);
    out.push(parts.join('  '));
  }
  out.push('maps:');
  if (d.maps.length === 0) out.push('  (none)');
  for (const m of d.maps) {
    const parts = [`  ${m.name}`, `type ${m.type}`, `key ${String(m.key_size)}B`, `value ${String(m.value_size)}B`, `max_entries ${String(m.max_entries)}`, `flags ${hexFlags(m.flags)}`];
    if (m.section !== null) parts.push(`section ${m.section}`);
    if (m.inner !== null) parts.push(`inner ${m.inner}`);
    if (m.pinning !== 'none') parts.push(`pinning ${m.pinning}`);
    out.push(parts.join('  '));
  }
  if (d.globals.length > 0) {
    out.push('globals:');
    for (const g of d.globals) {
      out.push(`  ${g.section}  ${g.name}  offset ${String(g.offset)}  size ${String(g.size)}${g.type === '' ? '' : `  type ${g.type}`}${g.global ? '' : '  static'}`);
    }
  }
  if (d.externs.length > 0) {
    out.push('externs:');
    for (const e of d.externs) out.push(`  ${e.name}  kind ${e.kind}${e.weak ? '  weak' : ''}${e.type === '' ? '' : `  type ${e.type}`}`);
  }
  const btf = d.btf === null ? 'btf: none' : `btf: ${String(d.btf.types)} types, ${String(d.btf.string_bytes)} string bytes`;
  out.push(`${btf}; func_info ${String(d.func_info)}, line_info ${String(d.line_info)}, core_relos ${String(d.core_relos)}`);
  return out.join('\n');
}
