// FerryPlugin's lifecycle, server-free: what its activities hold open is closed when the last worker running
// the plugin stops, not before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from '@temporalio/worker';
import { startFileServer } from '../../lib/file-server/index.js';
import { createOrigin } from '../../lib/origin.js';
import { FerryPlugin } from '../../worker/plugin.js';

test('FerryPlugin closes its origin pool and open file servers when its last worker stops', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'plugin-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const origin = createOrigin();
  let closes = 0;
  const openServers = new Set<{ close(): Promise<void> }>();
  const server = await startFileServer({ root });
  let serverClosed = false;
  openServers.add({
    close: async () => {
      serverClosed = true;
      await server.close();
    },
  });
  const plugin = new FerryPlugin({
    origin: { ...origin, close: async () => void closes++ },
    openServers,
    metrics: false,
  });
  assert.equal(plugin.name, 'ferry');
  for (const a of ['copyBatch', 'finalizeJob', 'prepareBucket', 'serveDirectory', 'syncDelete'])
    assert.ok(a in plugin.activities, a);

  // Two workers (the copy queue and the host queue) share one plugin: the first to stop closes nothing.
  let stopFirst!: () => void;
  let stopSecond!: () => void;
  const worker = {} as Worker;
  const first = plugin.runWorker(worker, () => new Promise<void>((r) => (stopFirst = r)));
  const second = plugin.runWorker(worker, () => new Promise<void>((r) => (stopSecond = r)));
  stopFirst();
  await first;
  assert.equal(closes, 0);
  assert.equal(serverClosed, false);
  stopSecond();
  await second;
  assert.equal(closes, 1);
  assert.equal(serverClosed, true);
  await origin.close();
});
