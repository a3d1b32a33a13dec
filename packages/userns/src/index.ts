export { createUserNamespaces, type UserNamespacesDeps } from './create.js';
export { parseIdMap, UID_GID_MAP_MAX_EXTENTS } from './id-map.js';
