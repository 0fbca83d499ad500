// The data host's origin in the multi-host benchmark: a plain static HTTP server on the host's own address.
// Not `ferry worker --serve-root`: a migration's file server refuses a non-loopback address without a token, and
// copy workers have no way to send one (see docs/multi-host.md), so step 1 cannot span hosts today.
// Usage: data-origin.js ROOT ADDRESS PORT
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const [root, address, port] = process.argv.slice(2);
if (!root || !address || !port) {
  console.error('usage: data-origin.js ROOT ADDRESS PORT');
  process.exit(2);
}
let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const rel = normalize(decodeURIComponent((req.url ?? '/').split('?')[0]!)).replace(/^(\.\.(\/|$))+/, '');
  const file = join(root, rel);
  stat(file).then(
    (st) => {
      if (!st.isFile()) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': st.size, etag: `"${st.size}-${st.mtimeMs}"` });
      if (req.method === 'HEAD') return void res.end();
      createReadStream(file).pipe(res);
    },
    () => void res.writeHead(404).end(),
  );
});
server.listen(Number(port), address, () => console.log(`data origin at http://${address}:${port}/`));
process.on('SIGTERM', () => {
  console.log(`requests ${requests}`);
  process.exit(0);
});
