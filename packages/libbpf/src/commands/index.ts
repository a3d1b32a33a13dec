export { bpfMapCreate, bpfMapUpdateElem, bpfMapLookupElem, bpfMapLookupAndDeleteElem, bpfMapDeleteElem, bpfMapGetNextKey, bpfMapFreeze, type MapCreateOptions } from './map.js';
export { bpfProgLoad, bpfProgTestRun, bpfProgAttach, bpfProgDetach, bpfProgBindMap, BPF_LOG_BUF_SIZE, type ProgLoadOptions, type ProgLoadResult, type ExtRecords, type TestRunOptions, type TestRunResult, type ProgAttachOptions } from './prog.js';
export { bpfBtfLoad, bpfTokenCreate, type BtfLoadOptions } from './btf.js';
export {
  bpfObjPin, bpfObjGet, bpfProgGetNextId, bpfMapGetNextId, bpfBtfGetNextId, bpfLinkGetNextId, bpfProgGetFdById, bpfMapGetFdById,
  bpfBtfGetFdById, bpfLinkGetFdById, bpfLinkCreate, bpfEnableStats, type LinkCreateOptions,
} from './obj.js';
export { bpfProgGetInfoByFd, bpfMapGetInfoByFd, bpfBtfGetInfoByFd, type ProgInfo, type MapInfo, type BtfInfo } from './info.js';
export { bpfRawTracepointOpen, bpfLinkDetach, bpfLinkUpdate, bpfLinkGetInfoByFd, type RawTracepointOpenOptions, type LinkUpdateOptions, type LinkInfo, type PerfEventLinkInfo } from './link.js';
