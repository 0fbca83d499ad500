// Every workflow the ferry worker registers. Bundled by the Temporal worker: pure code only.
export { helloWorkflow } from './hello.js';
export {
  migrationWorkflow,
  originReadySignal,
  pauseSignal,
  progressQuery,
  setOptionsUpdate,
  stopSignal,
  unpauseSignal,
} from './migration.js';
export { serveWorkflow } from './serve.js';
export { verifyWorkflow } from './verify.js';
