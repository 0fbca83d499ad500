import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { helloWorkflow } from '../../workflows/index.js';
import { startTestWorker } from '../helpers/temporal.js';

test('a workflow runs on a real worker against the Go-built dev server', async (t) => {
  const w = await startTestWorker();
  t.after(() => w.close());
  const handle = await w.client.workflow.start(helloWorkflow, {
    taskQueue: w.taskQueue,
    workflowId: `hello-${w.taskQueue}`,
    args: ['ferry'],
  });
  assert.equal(await handle.result(), `hello ferry from ${hostname()}`);
  const desc = await handle.describe();
  assert.equal(desc.status.name, 'COMPLETED');
  // The history really came from the server: it holds the activity's scheduling and completion.
  const history = await handle.fetchHistory();
  const types = (history.events ?? []).map((e) => e.eventType);
  assert.ok(types.length >= 11, `expected a full history, got ${types.length} events`);
});
