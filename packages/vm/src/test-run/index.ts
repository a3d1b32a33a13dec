export { createTestRunService, type TestRunServiceOptions } from './service.js';
