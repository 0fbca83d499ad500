// Child-process entry of the benchmark origin: ferry's own file server over bench/data/, in a process of its
// own so that it never shares an event loop with a contender. Protocol on stdio: one JSON line {url} when
// listening; then each line received on stdin is answered with this process's CPU time so far; end of stdin
// stops the server.
import { startFileServer } from '../lib/file-server/index.js';

const root = process.argv[2];
if (!root) {
  console.error('usage: origin-process.js ROOT');
  process.exit(2);
}
const server = await startFileServer({ root, log: (m) => console.error(`origin: ${m}`) });
process.stdout.write(JSON.stringify({ url: server.url, pid: process.pid }) + '\n');
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const cpu = process.cpuUsage();
  const st = server.stats();
  process.stdout.write(
    JSON.stringify({ cpuS: (cpu.user + cpu.system) / 1e6, requests: st.requests, bytes: st.bytesSent }) +
      '\n',
  );
});
process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
