// Build step: bundle the workflow code once (webpack, ~3 s of CPU) into dist/workflow-bundle.js, so that a
// worker — and with it every `ferry ... --wait` and `ferry migrate` — starts without bundling.
// worker/index.ts uses the file while it is newer than the compiled workflow code, and bundles at start
// otherwise (a `tsc` without this step never runs stale workflow code). Its source map keeps the mappings and drops
// the sources' text (worker/bundle-map.ts).
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { dropSourcesContent } from '../worker/bundle-map.js';
import { PREBUILT_BUNDLE, WORKFLOWS_PATH, quietBundlerLogger } from '../worker/index.js';

const t0 = performance.now();
const bundled = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
const code = dropSourcesContent(bundled.code);
writeFileSync(PREBUILT_BUNDLE, code);
console.log(
  `workflow bundle: ${PREBUILT_BUNDLE} (${(code.length / 1024).toFixed(0)} KiB, ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
);
