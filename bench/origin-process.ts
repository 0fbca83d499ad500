// Child-process entry of the benchmark's ferry origin: ferry's own file server over bench/data/, in a process
// of its own so that it never shares an event loop with a contender — what `ferry serve` runs. Protocol on
// stdio: one JSON line {url, pid} when listening; end of stdin stops the server. (CPU time is read from /proc
// by the harness, for this process and its cluster workers alike.)
//
//   node dist/bench/origin-process.js ROOT [--workers N]
import { parseArgs } from 'node:util';

import { startFileServer } from '../lib/file-server/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { workers: { type: 'string', default: '1' } },
});
const root = positionals[0];
if (!root) {
  console.error('usage: origin-process.js ROOT [--workers N]');
  process.exit(2);
}
const server = await startFileServer({
  root,
  workers: Number(values.workers),
  log: (m) => console.error(`origin: ${m}`),
});
process.stdout.write(JSON.stringify({ url: server.url, pid: process.pid }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
