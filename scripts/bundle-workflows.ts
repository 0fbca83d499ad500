// Build step: bundle the workflow code once (webpack, ~3 s of CPU) into dist/workflow-bundle.js, so that a
// worker — and with it every `ferry ... --wait` and `ferry migrate` — starts without bundling.
// worker/index.ts uses the file while it is newer than the compiled workflow code, and bundles at start
// otherwise (a `tsc` without this step never runs stale workflow code).
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE, WORKFLOWS_PATH, quietBundlerLogger } from '../worker/index.js';

const t0 = performance.now();
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
writeFileSync(PREBUILT_BUNDLE, code);
console.log(
  `workflow bundle: ${PREBUILT_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
