import { BpfError, type FsContext, type FsParameter } from '@bpfkit/kernel-api';
import { kstrtouint } from './kstrtox.js';

/** A value type of the generic parser (`fs_param_is_*`) that bpffs uses. */
export type FsParamType = 'u32' | 'u32oct' | 'string';

/** One entry of an `fs_parameter_spec` table (none of bpffs's is a flag). */
export interface FsParameterSpec<Opt extends string> {
  readonly name: string;
  readonly type: FsParamType;
  readonly opt: Opt;
}

/** What `fs_parse()` yields for a matched parameter (`uint32` is 0 for strings). */
export interface FsParseResult<Opt extends string> {
  readonly opt: Opt;
  readonly string: string;
  readonly uint32: number;
}

/**
 * `errorfc`/`invalfc`: a message in the context's log (`e <fs>: <msg>`) and EINVAL.
 * The prefix is the file system's name, as `fc->log.prefix` is.
 */
export function invalfc(ctx: FsContext, reason: `${string}:${string}`, message: string): BpfError {
  ctx.log.push(`e ${ctx.fsType.name}: ${message}`);
  return new BpfError('EINVAL', reason, message);
}

/** `invalf` (no prefix): used by the VFS's own `source` handling. */
function invalf(ctx: FsContext, reason: `${string}:${string}`, message: string): BpfError {
  ctx.log.push(`e ${message}`);
  return new BpfError('EINVAL', reason, message);
}

function badValue(ctx: FsContext, param: FsParameter): BpfError {
  return invalfc(ctx, 'fs:bad-value', `Bad value for '${param.key}'`);
}

/**
 * `fs_parse()` over a table without flags: `undefined` for an unknown key
 * (-ENOPARAM). A key given with the wrong value type, an empty string, or a
 * number that `kstrtouint` refuses is EINVAL with `Bad value for '<key>'`.
 */
export function fsParse<Opt extends string>(
  ctx: FsContext,
  specs: readonly FsParameterSpec<Opt>[],
  param: FsParameter,
): FsParseResult<Opt> | undefined {
  // fs_lookup_key: with no flag specs, a flag parameter still finds the
  // same-named value spec, and then fails its type check below.
  const spec = specs.find((s) => s.name === param.key);
  if (spec === undefined) return undefined;
  if (param.type !== 'string') throw badValue(ctx, param);
  switch (spec.type) {
    case 'string':
      if (param.value === '') throw badValue(ctx, param);
      return { opt: spec.opt, string: param.value, uint32: 0 };
    case 'u32':
    case 'u32oct': {
      const r = kstrtouint(param.value, spec.type === 'u32oct' ? 8 : 0);
      if (!r.ok) throw badValue(ctx, param);
      return { opt: spec.opt, string: param.value, uint32: Number(r.value) };
    }
  }
}

/**
 * `vfs_parse_fs_param_source()`: a `source` key sets `fc->source` once; returns
 * false for any other key.
 */
export function parseSourceParam(ctx: FsContext, param: FsParameter): boolean {
  if (param.key !== 'source') return false;
  if (param.type !== 'string') throw invalf(ctx, 'fs:non-string-source', 'Non-string source');
  if (ctx.source !== undefined) throw invalf(ctx, 'fs:multiple-sources', 'Multiple sources');
  ctx.source = param.value;
  return true;
}
