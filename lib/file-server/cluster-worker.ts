// Entry of a cluster worker (cluster.ts): one single-process file server on the socket the primary shares,
// started with the options the primary sends; it reports its counters, and stops when told or orphaned.
import type { FromWorker, ToWorker } from './cluster.js';
import { STATS_INTERVAL_MS } from './cluster.js';
import { FileServerError } from './errors.js';
import { startFileServer } from './server.js';
import type { FileServer } from './types.js';
import { messageOf } from '../../common/errors.js';

const send = (m: FromWorker): void => {
  if (process.connected) process.send?.(m);
};

let server: FileServer | undefined;
let stopping = false;
// The primary logs the one "serving" line for all workers; ours is forwarded only after the start.
let started = false;

const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  if (server) {
    await server.close();
    send({ type: 'stats', stats: server.stats() });
  }
  process.disconnect?.();
  process.exit(0);
};

process.on('message', (m: ToWorker) => {
  if (m.type === 'close') {
    void stop();
    return;
  }
  void (async () => {
    try {
      server = await startFileServer({
        ...m.opts,
        workers: 1,
        log: (line) => started && send({ type: 'log', line }),
      });
    } catch (err) {
      const message = messageOf(err);
      // A system error's code too: serveDirectory retries on another port on EADDRINUSE.
      const code = err instanceof FileServerError ? err.code : (err as NodeJS.ErrnoException).code;
      send({ type: 'failed', message, ...(typeof code === 'string' ? { code } : {}) });
      process.disconnect?.();
      process.exit(1);
    }
    started = true;
    send({ type: 'listening', url: server.url, port: server.port });
    let last = '';
    setInterval(() => {
      const stats = server!.stats();
      const now = JSON.stringify(stats);
      if (now !== last) send({ type: 'stats', stats });
      last = now;
    }, STATS_INTERVAL_MS).unref();
  })();
});
// The primary went away without closing us (killed): finish what is in flight, then go.
process.on('disconnect', () => void stop());
// Messages that arrive before a listener exists are dropped, and loading this module is asynchronous: the
// primary sends the options only once we say we can hear them.
send({ type: 'ready' });
