export { main, buildProgram } from './main.js';
export type { Io } from './output.js';
export { runObjectBytes } from './object-run/run-file.js';
export { openKernel, hostPossibleCpus, type KernelChoice, type KernelHost } from './object-run/open-kernel.js';
export { parseSteps, type StepsFile, type Step, type RodataPatch } from './object-run/steps.js';
export { diffDocuments, type DocumentDifference } from './object-run/diff.js';
export type { ObjectRunDocument, OpenView, OpenProgram, OpenMap, ProgramLoad, MapRef, MapDump, DumpEntry } from './object-run/document.js';
export { verifyObjectPrograms, type ObjectProgramVerdict } from './commands/verify-object.js';
