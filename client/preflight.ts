// Pre-flight checks the CLI runs after validation and before starting a job, so an unreachable origin is a
// clear error (exit 2, nothing started) instead of a job whose every object fails. Light: node:net only.
import { connect } from 'node:net';
import { CLIError } from './format.js';

/** Resolve when `url`'s host accepts a TCP connection; throw CLIError naming the origin otherwise. */
export async function checkOriginReachable(url: string, timeoutMs = 5000): Promise<void> {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(
        new CLIError(`origin ${u.protocol}//${u.host} is unreachable: no answer within ${timeoutMs} ms`),
      );
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve();
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CLIError(`origin ${u.protocol}//${u.host} is unreachable: ${err.code ?? err.message}`));
    });
  });
}
