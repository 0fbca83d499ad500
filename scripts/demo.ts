// Quick-start demo (placeholder until the migration workflow lands): starts the pinned dev server, runs the
// hello workflow on an in-process worker, prints the Web UI address.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer } from '../devserver/temporal.js';
import { createFerryWorker, installRuntime } from '../worker/index.js';
import { helloWorkflow } from '../workflows/index.js';

async function run(): Promise<void> {
  installRuntime();
  const server = await startDevServer();
  console.log(`Temporal dev server: ${server.address}  Web UI: ${server.uiUrl ?? '(headless)'}`);
  const native = await NativeConnection.connect({ address: server.address });
  const worker = await createFerryWorker({ connection: native, taskQueue: 'ferry-demo' });
  const connection = await Connection.connect({ address: server.address });
  try {
    const result = await worker.runUntil(
      new Client({ connection }).workflow.execute(helloWorkflow, {
        taskQueue: 'ferry-demo',
        workflowId: `hello-${Date.now()}`,
        args: ['ferry'],
      }),
    );
    console.log(`workflow result: ${result}`);
  } finally {
    await connection.close();
    await native.close();
    await server.stop();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
