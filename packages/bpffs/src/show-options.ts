import { S_IALLUGO, S_IRWXUGO, S_ISVTX, type BpfFsOptions, type SuperBlock } from '@bpfkit/kernel-api';
import { DELEGATE_ENUMS, DELEGATE_KINDS } from './delegate-enums.js';
import { formatDelegateOption } from './delegate-option.js';

/**
 * `bpf_show_options`: `,uid=`/`,gid=` when the root directory is not owned by
 * global root (printed as init-userns ids, i.e. the kuid), `,mode=` when its
 * permissions (sticky bit hidden) are not 0777, then each nonzero delegate
 * mask in the order cmds, maps, progs, attachs.
 *
 * @example
 * showBpfOptions(sb); // ',uid=100000,gid=100000,delegate_cmds=map_create'
 */
export function showBpfOptions(sb: SuperBlock, opts: Readonly<BpfFsOptions>): string {
  const root = sb.root;
  let out = '';
  if (root.uid !== 0) out += `,uid=${root.uid >>> 0}`;
  if (root.gid !== 0) out += `,gid=${root.gid >>> 0}`;
  const mode = root.mode & S_IALLUGO & ~S_ISVTX;
  if (mode !== S_IRWXUGO) out += `,mode=${mode.toString(8)}`;
  for (const kind of DELEGATE_KINDS) {
    const text = formatDelegateOption(kind, opts.delegate[kind]);
    if (text !== undefined) out += `,${DELEGATE_ENUMS[kind].key}=${text}`;
  }
  return out;
}
