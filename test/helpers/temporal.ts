// Test helpers: connect to the suite's dev server (started by test/run.ts) and run a worker on a fresh
// task queue so tests never steal each other's tasks.
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createFerryWorker, installRuntime, type FerryWorkerOptions } from '../../worker/index.js';

export function testAddress(): string {
  const a = process.env.FERRY_TEST_TEMPORAL_ADDRESS;
  if (!a)
    throw new Error(
      'FERRY_TEST_TEMPORAL_ADDRESS is not set: run the suite with `npm test` (node dist/test/run.js)',
    );
  return a;
}

export interface TestWorker {
  client: Client;
  worker: Worker;
  taskQueue: string;
  done: Promise<void>;
  close(): Promise<void>;
}

export async function startTestWorker(
  opts: Omit<FerryWorkerOptions, 'connection' | 'taskQueue'> = {},
): Promise<TestWorker> {
  const address = testAddress();
  const taskQueue = `test-${randomUUID()}`;
  installRuntime();
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createFerryWorker({ ...opts, connection: nativeConnection, taskQueue });
  const done = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    client,
    worker,
    taskQueue,
    done,
    async close() {
      worker.shutdown();
      await done;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
