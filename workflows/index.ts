// Every workflow the ferry worker registers. Bundled by the Temporal worker: pure code only.
export { helloWorkflow } from './hello.js';
