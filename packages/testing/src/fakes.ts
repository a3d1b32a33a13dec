import { BpfError, type FdTable, type Kernel, type Task } from '@bpfkit/kernel-api';

function nosys(what: string): never {
  throw new BpfError('ENOSYS', 'testing:not-faked', `${what} is not faked`);
}

/**
 * A fake {@link FdTable} whose methods throw ENOSYS unless given in `partial`.
 *
 * @example
 * const table = makeNoopFdTable({ fds: () => [0, 1, 2] });
 */
export function makeNoopFdTable(partial: Partial<FdTable> = {}): FdTable {
  return {
    install: () => nosys('FdTable.install'),
    get: () => undefined,
    close: () => nosys('FdTable.close'),
    setCloexec: () => nosys('FdTable.setCloexec'),
    fds: () => [],
    size: 0,
    ...partial,
  };
}

/**
 * A fake {@link Task}: every syscall throws ENOSYS unless given in `partial`,
 * e.g. a `bpf` that records its calls for a libbpf test.
 *
 * @example
 * const calls: number[] = [];
 * const task = makeNoopTask({ bpf: (cmd) => { calls.push(cmd); return 3; } });
 */
export function makeNoopTask(partial: Partial<Task> = {}): Task {
  const fake: Task = {
    pid: 1,
    get cred(): never {
      return nosys('cred');
    },
    fdTable: makeNoopFdTable(),
    alive: true,
    umask: 0o022,
    memory: {
      read: () => nosys('memory.read'),
      write: () => nosys('memory.write'),
      alloc: () => nosys('memory.alloc'),
      free: () => nosys('memory.free'),
    },
    bpf: () => nosys('bpf'),
    close: () => nosys('close'),
    fork: () => nosys('fork'),
    exit: () => undefined,
    unshare: () => nosys('unshare'),
    setresuid: () => nosys('setresuid'),
    setresgid: () => nosys('setresgid'),
    capget: () => nosys('capget'),
    capset: () => nosys('capset'),
    whoami: () => nosys('whoami'),
    writeFile: () => nosys('writeFile'),
    readFile: () => nosys('readFile'),
    kernelConfig: () => nosys('kernelConfig'),
    readlink: () => nosys('readlink'),
    open: () => nosys('open'),
    mkdir: () => nosys('mkdir'),
    unlink: () => nosys('unlink'),
    rmdir: () => nosys('rmdir'),
    fstat: () => nosys('fstat'),
    getFdFlags: () => nosys('getFdFlags'),
    passFd: () => nosys('passFd'),
    mountinfo: () => [],
    mmap: () => nosys('mmap'),
    munmap: () => nosys('munmap'),
    fsopen: () => nosys('fsopen'),
    fsconfig: () => nosys('fsconfig'),
    readFsLog: () => [],
    fsmount: () => nosys('fsmount'),
    fspick: () => nosys('fspick'),
    moveMount: () => nosys('moveMount'),
    mount: () => nosys('mount'),
  };
  return Object.assign(fake, partial);
}

/**
 * A fake {@link Kernel} around a fake init task.
 *
 * @example
 * const kernel = makeNoopKernel({ init: makeNoopTask({ pid: 7 }) });
 */
export function makeNoopKernel(partial: Partial<Kernel> = {}): Kernel {
  const init = partial.init ?? makeNoopTask();
  return {
    init,
    task: (pid) => (pid === init.pid ? init : undefined),
    sysctl: () => 2,
    setSysctl: () => nosys('setSysctl'),
    counts: () => ({ objects: 0, fds: 0, files: 0, byKind: {} }),
    ...partial,
  };
}
