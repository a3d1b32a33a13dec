export {
  createLinuxSyscall,
  isLinuxBpfAvailable,
  linuxBpfAvailability,
  type LinuxBpfAvailability,
  type LinuxSyscall,
  type LinuxSyscallOptions,
} from './syscall.js';
export type { LinuxUserMemory } from './memory.js';
