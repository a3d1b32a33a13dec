export { readElf, EM_BPF, ET_REL, ShType, SHF_EXECINSTR, RelocType, type ElfFile, type ElfSection, type ElfSymbol, type ElfRel } from './elfFile.js';
export { findSecDef, type SecDef } from './secDefs.js';
export { parseBtfExt, type BtfExtSection, type FuncInfo, type LineInfo, type CoreRelo } from './btfExt.js';
export { parseMapDef, type MapSpec, type MapSlotSpec } from './btfMaps.js';
export {
  loadObjectSpec, type ObjectSpec, type ProgramSpec, type FunctionSpec, type RelocationSpec,
  type VariableSpec, type DataSectionSpec, type ExternSpec,
} from './objectSpec.js';
export { specToJson } from './specJson.js';
export { elfError } from './errors.js';
export { typeSize } from './btfSize.js';
export { structOpsMaps, STRUCT_OPS_MAP_TYPE, BPF_F_LINK, type StructOpsSpec, type StructOpsSlotSpec } from './structOps.js';
export { arenaOf, ARENA_SECTION, ARENA_MAP_TYPE, ARENA_PAGE_SIZE, type ArenaSpec, type ArenaVariableSpec } from './arena.js';
export { externDetails, type ExternDetails, type KcfgType } from './externs.js';
export { linkObjects } from './linker.js';
