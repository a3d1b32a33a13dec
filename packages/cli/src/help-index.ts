import { VERBS } from './commands/index.js';

/** The version `bpfkit --version` prints. */
export const VERSION = '0.0.0';

const DESCRIPTION = 'The Linux BPF subsystem, with BPF token delegation, in TypeScript.';
const WIDTH = 80;

const EXIT_CODES = [
  'Exit codes:',
  '  0  done (token explain: every operation is allowed)',
  '  1  the kernel refuses: a failed bpf() call, a rejected program, a refused',
  '     token explain operation, a scenario replay --check mismatch',
  '  2  usage: an unknown verb or option, a missing or extra argument, input',
  '     that cannot be read or parsed',
];

/** `text` wrapped to `width` columns, continuation lines indented by `indent`. */
function wrap(text: string, indent: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

function table(rows: readonly (readonly [string, string])[], col: number): string[] {
  return rows.flatMap(([term, text]) => {
    const [first = '', ...rest] = wrap(text, col, WIDTH);
    return [`  ${term.padEnd(col - 2)}${first}`, ...rest.map((l) => `${' '.repeat(col)}${l}`)];
  });
}

/**
 * `bpfkit --help`, built from the verb table alone: printing it loads neither
 * commander nor any package.
 *
 * @example
 * process.stdout.write(indexHelp()); // Usage: bpfkit [options] [command] …
 */
export function indexHelp(): string {
  const options: [string, string][] = [
    ['-V, --version', 'output the version number'],
    ['-h, --help', 'display help for command'],
  ];
  const commands: [string, string][] = [
    ...VERBS.map((v): [string, string] => [`${v.name}${v.usage === '' ? '' : ` ${v.usage}`}`, v.description]),
    ['help [command]', 'display help for command'],
  ];
  const col = Math.max(...[...options, ...commands].map(([term]) => term.length)) + 4;
  return [
    'Usage: bpfkit [options] [command]',
    '',
    DESCRIPTION,
    '',
    'Options:',
    ...table(options, col),
    '',
    'Commands:',
    ...table(commands, col),
    '',
    ...EXIT_CODES,
    '',
  ].join('\n');
}
