import type { Command } from 'commander';
import { decodeBtf, dumpC, dumpJson, dumpRaw, parseBtf } from '@bpfkit/btf';
import { CliError } from '../errors.js';
import { isElf, readInput } from '../input.js';
import { printJson, println, type Io } from '../output.js';

interface BtfDumpOptions {
  readonly format: string;
  readonly json?: boolean;
  readonly base?: string;
  readonly validate?: boolean;
}

/**
 * `bpfkit btf dump FILE`: decode a BTF blob and print its types. A dump is not a load, so
 * BTF that BPF_BTF_LOAD would refuse (clang's .BTF, DATASEC size 0) still prints, as with
 * bpftool; `--validate` runs the kernel's checks first.
 */
export function registerBtf(program: Command, io: Io): void {
  const btf = program.command('btf').description('BTF: validate and dump type information');
  btf
    .command('dump')
    .description('print the types of a raw BTF blob (e.g. /sys/kernel/btf/vmlinux)')
    .argument('<file>', 'raw BTF blob, or - for standard input')
    .option('-f, --format <format>', 'c (a header) or raw (one line per type, as bpftool)', 'raw')
    .option('--base <file>', 'base BTF for split BTF (e.g. a kernel module blob over vmlinux)')
    .option('--json', 'print the types as JSON')
    .option('--validate', "check the blob as BPF_BTF_LOAD would (the kernel's rules) before printing")
    .action((file: string, opts: BtfDumpOptions) => {
      const bytes = readInput(file);
      if (isElf(bytes)) {
        throw new CliError(`${file} is an ELF object; give its .BTF section (llvm-objcopy --dump-section .BTF=out.btf ${file})`);
      }
      const read = opts.validate === true ? parseBtf : decodeBtf;
      const base = opts.base === undefined ? undefined : read(readInput(opts.base));
      const parsed = read(bytes, base === undefined ? {} : { base });
      if (opts.validate === true) println(io.stderr, 'BTF is valid for BPF_BTF_LOAD');
      if (opts.json === true) {
        printJson(io.stdout, dumpJson(parsed));
        return;
      }
      if (opts.format === 'c') io.stdout.write(dumpC(parsed));
      else if (opts.format === 'raw') io.stdout.write(dumpRaw(parsed));
      else throw new CliError(`unknown format '${opts.format}' (use c or raw)`);
      if (opts.format === 'raw' && parsed.nrTypes === 0) println(io.stdout, '(no types)');
    });
}
