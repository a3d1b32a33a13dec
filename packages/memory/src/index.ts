export { createVmArena, type VmArenaOptions } from './arena.js';
